"""The offline parser: English, Chinese (simplified and traditional) and mixed instructions to a Plan, no LLM.

Order of reading: is it a request at all (`intent`), a concept to remember or an exemplar reference
(`references`), a pasted class list (`pasted`), else the grammar of the user's language (`english`, `chinese`).
A reading the grammar had to guess at is sent with `confidence: "low"`; a text with no object it knows gets
`clarify`. Nothing here raises for any input: `read_offline` is tested on random text, and `parse_offline` keeps a
last guard that answers `clarify` and logs the error should a bug slip through.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from segchat.contracts.plan import ExemplarRef, Plan, Relation, RememberConcept, Select, Target
from segchat.parser.base import ParseOutcome, ParserBackend, ParserStatus
from segchat.parser.chinese import noun_phrase as chinese_noun_phrase
from segchat.parser.chinese import CL as ZH_CL
from segchat.parser.chinese import DICTIONARY_GUESSES, ZH_NUMBER, ZH_SELECT, drop_context_clauses, normalise_chinese
from segchat.parser.chinese import parse_chinese
from segchat.parser.chinese import state_word
from segchat.parser.chinese import take_relation as take_zh_relation
from segchat.parser.chinese import zh_number
from segchat.parser.chinese import modifiers_only as chinese_modifiers
from segchat.parser.vocabulary import ZH_MODIFIERS
from segchat.parser.zh_lexicon import words as zh_words
from segchat.parser.coverage import (names_object, names_quality, says_a_selection, structural_doubts,
                                    unaccounted_words)
from segchat.parser.english import CONTEXT_CLAUSE, MADE_OF, Reading, Selection, parse_english, strip_frame
from segchat.parser.english import correct_object_typos, drop_commentary, expand_shorthand, fix_typos
from segchat.parser.english import request_sentences, split_sentences
from segchat.parser.english import noun_phrase as english_noun_phrase
from segchat.parser.english import take_followup as english_followup
from segchat.parser.intent import CLARIFIED, LOW_CONFIDENCE, Intent, classify, clarify_text
from segchat.parser.language import (CJK, cantonese_to_mandarin, keep_the_correction, normalize, reply_language,
                                     to_simplified)
from segchat.parser.lexicon import CLOSED_CLASS, STRICT_JARGON, is_bare_verb, is_noun
from segchat.parser.pasted import detector_list, strip_tool_markup
from segchat.parser.references import read_exemplars, read_instance_pick, read_remember
from segchat.parser.vocabulary import EN_SYNONYMS

log = logging.getLogger(__name__)

# what a picture cannot show: a request to segment only these asks for something no mask holds
NOT_VISIBLE = frozenset("sound sounds voice voices noise noises smell smells odor odour scent music song songs "
                        "temperature taste flavor flavour silence feeling feelings emotion emotions mood".split())
MAX_CHARS = 400  # an instruction longer than this is read up to here (a caption, not a request, past that)
CLARIFY_EN = clarify_text(Intent.VAGUE, "en")
ZH_CONJUNCTION = re.compile(r"和|与|跟|以及|及|还有|或者|或|加上|再加上|外加")
CLARIFY_ZH = clarify_text(Intent.VAGUE, "zh")
# the notes that carry the request's unused words, written by read_offline and read back by low_confidence_note
UNUSED_WORDS = "words the plan does not use: "
UNREAD_REQUEST = "a request the offline parser could not read: "


def _alternates(phrase: str) -> list[str]:
    words = phrase.split()
    for size in (2, 1):
        head = " ".join(words[-size:])
        if len(words) >= size and head in EN_SYNONYMS:
            return [" ".join(words[:-size] + [alt]) for alt in EN_SYNONYMS[head] if alt != head][:3]
    return []


def _short(phrase: str, limit: int = 80) -> str:
    """At most `limit` characters, cut at a word boundary (a runaway phrase is garbage, not an object name)."""
    phrase = " ".join(phrase.split())
    return phrase if len(phrase) <= limit else phrase[:limit].rsplit(" ", 1)[0][:limit]


def _clean(phrase: str) -> str:
    """A last check on every phrase SAM3 will get: no function word, question word, bare verb or jargon at its
    edges (inner prepositions stay: 'man in white', 'tomato with cracks')."""
    words = [w for w in phrase.split() if w not in STRICT_JARGON and not is_bare_verb(w)]
    while words and words[0] in CLOSED_CLASS:
        words.pop(0)
    while words and words[-1] in CLOSED_CLASS and not (len(words) > 1 and is_noun(words[-1])):
        words.pop()
    return _short(" ".join(words))


def _target(reading: Reading, exemplars: list[int] | None = None) -> Target:
    phrase = _clean(reading.phrase)
    relation = None
    if reading.relation:
        anchor = _clean(reading.relation[1])
        if anchor:
            relation = Relation(type=reading.relation[0], anchor=anchor)
    selection = reading.selection
    count = selection.count if selection.count is None or 1 <= selection.count <= 1000 else None
    ordinal = selection.ordinal if selection.ordinal is None or 1 <= selection.ordinal <= 1000 else None
    excluded = [e for e in dict.fromkeys(_clean(e) for e in reading.exclude) if e and e != phrase][:8]
    return Target(phrase=phrase, alternates=_alternates(phrase) if phrase else [],
                  select=Select(kind=selection.kind, count=count, ordinal=ordinal), exclude=excluded,
                  relation=relation, exemplars=[ExemplarRef(instance=n) for n in exemplars or []])


# a selection's kind as the English word that says it before a noun
KIND_WORD = {"leftmost": "leftmost", "rightmost": "rightmost", "topmost": "topmost", "bottommost": "bottommost",
             "center": "middle", "largest": "biggest", "smallest": "smallest"}


def _position_word(run: str) -> str | None:
    """'the 最右边 forklift', 'the 最大的 melon': a Chinese position or size word alone is the selection it says,
    read as the English word would be (the dictionary would make 最右边 a noun, 'right side')."""
    core = re.sub(r"(?:的|那个|那只|那)$", "", run)
    for pattern, kind in ZH_SELECT:
        if re.fullmatch(pattern, core):
            return KIND_WORD[kind]
    return None


HAVING_RUN = re.compile(r"(?:有|带)着?(?P<x>[\u4e00-\u9fff]{1,4}?)的")
# how the English grammar says each relation before its anchor
_RELATION_WORDS = {"on": "on", "in": "in", "near": "next to", "holding": "holding", "wearing": "wearing",
                   "left_of": "to the left of", "right_of": "to the right of", "above": "above", "below": "under"}


def _related_run(run: str) -> str | None:
    """'the 沙发上的枕头': a Chinese run that holds an object and its place, said in English for the English grammar
    ('pillow on the sofa'); None for a run with no relation in it."""
    rest, relation = take_zh_relation(run)
    if relation is None and run.startswith("在"):
        # 'the shoes 在床底下': the place of the English noun before the run, which holds no object of its own
        _, relation = take_zh_relation(run[1:].removesuffix("的") + "的", object_required=False)
        if relation and relation[0] in _RELATION_WORDS:
            return f"{_RELATION_WORDS[relation[0]]} the {relation[1]}"
        return None
    if relation is None or relation[0] not in _RELATION_WORDS:
        return None
    noun, _, _ = chinese_noun_phrase(rest)
    if not noun:
        return None
    return f"{noun} {_RELATION_WORDS[relation[0]]} the {relation[1]}"


def _merged_restatements(targets: list[Target]) -> list[Target]:
    """'把橙子选出来，橙子要两个': the same object said again with only a count is one target with that count."""
    out: list[Target] = []
    for target in targets:
        same = next((kept for kept in out if kept.phrase and kept.phrase == target.phrase
                     and kept.exclude == target.exclude and kept.relation == target.relation
                     and kept.select.kind == target.select.kind
                     and (kept.select.count is None) != (target.select.count is None)), None)
        if same is None:
            out.append(target)
        elif same.select.count is None:
            same.select = target.select
    return out


TRAILING_ZH_EXCLUSION = re.compile(r"[,，]\s*(?:(?P<a>[\u4e00-\u9fff]{1,8}?)的?(?:都|就)?(?:不要|除外|别要|不算)|"
                                  r"(?:不要|别要)(?P<b>[\u4e00-\u9fff]{1,8}?)的?)(?:了|啊|哦)?\s*[.!。！]*\s*$")


def _english_exclusion(match: re.Match) -> str:
    said = match.group("a") or match.group("b")
    english = chinese_modifiers(said) or chinese_noun_phrase(said)[0]
    return f", except the {english} ones" if english else match.group(0)


def _translate_cjk_runs(text: str, notes: list[str]) -> str:
    """English-led text with Chinese nouns in it: each Chinese run translated in place ('the 木头椅子'); what the
    translation guessed (a dictionary sense among several: 柴 firewood) goes to `notes`, as in Chinese text."""
    def replace(match: re.Match) -> str:
        run = match.group(0)
        if ZH_CONJUNCTION.fullmatch(run):
            return " and "
        position = _position_word(run)
        if position:
            return f" {position} "
        related = _related_run(run)
        if related:
            return f" {related} "
        having = HAVING_RUN.fullmatch(run)
        state = state_word(having.group("x")) if having else None
        if state:
            return f" {state} "  # 'the 有裂缝的 tiles': cracked, the state the noun has
        english, _, guesses = chinese_noun_phrase(run)
        notes.extend(note for note in guesses if note.startswith(DICTIONARY_GUESSES))
        # an attribute alone ('the 红色 fire extinguisher', 'except the 绿色的 ones') for the noun after
        attribute = run[:-1] if run.endswith("的") and len(run) > 1 else run
        if not english and all(tag.startswith("a") or word in ZH_MODIFIERS for word, tag in zh_words(attribute)):
            english = chinese_modifiers(attribute)
        return f" {english} " if english else " "

    # 'all the pigeons, 白色的不要': a Chinese clause of what is not wanted after an English request
    text = TRAILING_ZH_EXCLUSION.sub(_english_exclusion, text)
    # 'select all the cups, 但是不要 paper cups': a Chinese word of exclusion before what is excluded is 'except'
    text = re.sub(r"(?:[,，]\s*)?(?:但是|但|可是|不过)?(?:不要|别要|除了|除去|不包括)\s*(?=[A-Za-z\u4e00-\u9fff])", " except ",
                  text)
    # '两个 parking meters', 'segment 三 of the cupcakes': a Chinese count reads as the digits would
    text = re.sub(rf"{ZH_NUMBER}{ZH_CL}|(?<![\u3400-\u9fff]){ZH_NUMBER}(?![\u3400-\u9fff])",
                  lambda m: f" {zh_number(m.group(1) or m.group(2)) or m.group(0)} ", text)
    text = text.replace("、", " , ")  # 'ruler、eraser 还有 pencil case': the list mark and the conjunctions join targets
    return re.sub(r"[\u3400-\u9fff]+", replace, text)


def _clarify(intent: Intent, language: str) -> Plan:
    return Plan(reply_language=language, clarify=clarify_text(intent, language))  # type: ignore[arg-type]


def _exemplar_plan(text: str, chinese: bool, language: str) -> Plan | None:
    request = read_exemplars(text, chinese)
    if request is None:
        return None
    if request.negative:
        followup = "remove"
    elif chinese:
        followup = "add" if re.search(r"也|加上|添加|还要", request.rest) else "new"
    else:
        followup = "add" if re.search(r"\b(?:also|add|too|as well|plus)\b", request.rest) else "new"
    if chinese:
        phrase, _, _ = chinese_noun_phrase(re.sub(r"[的了]", " ", request.rest))
    else:
        phrase = english_noun_phrase(strip_frame(english_followup(request.rest)[1])[0])[0]
    reading = Reading(phrase=phrase)
    return Plan(targets=[_target(reading, request.instances)], followup=followup, reply_language=language)


def attach_bare_selections(readings: list[Reading], text: str = "") -> list[Reading]:
    """'橙子，要三个', 'the peaches, only one of them': a count or a position said in a clause of its own belongs to
    the object named just before it, when that object has no selection yet; when it has one, the clause is a second
    target of the same noun ('the biggest tomato and the tiniest one'). A colour or material said with 'ones' after
    a named object narrows it ('every umbrella, only the red ones'); `text` is the request, to find that 'ones'."""
    out: list[Reading] = []
    for reading in readings:
        words = reading.phrase.split()
        if words and set(words) <= COLOUR_AND_MATERIAL and out and out[-1].phrase \
                and re.search(rf"\b{re.escape(reading.phrase)} ones?\b|\bones?{MADE_OF.pattern}", text) \
                and not set(out[-1].phrase.split()) & COLOUR_AND_MATERIAL and reading.relation is None:
            # 'every umbrella, only the red ones': a colour or material alone narrows the object before it
            out[-1].phrase = f"{reading.phrase} {out[-1].phrase}"
            continue
        bare = not reading.phrase and not reading.exclude and reading.relation is None
        if bare and out and out[-1].phrase and out[-1].selection == Selection():
            out[-1].selection = reading.selection
            out[-1].unsure.extend(reading.unsure)
            continue
        if bare and out and out[-1].phrase and reading.selection != Selection():
            # 'the biggest tomato and the tiniest one', '最大的西红柿和最小的那个': 'one' stands for the noun before
            reading.phrase = out[-1].phrase
        out.append(reading)
    return _share_noun_after(out)


def _share_noun_after(readings: list[Reading]) -> list[Reading]:
    """'最大和最小的卷心菜': a selection with no noun, first in the request, before a named target that has a selection
    of its own, selects among the same noun (two superlatives sharing one noun)."""
    if len(readings) >= 2:
        first, second = readings[0], readings[1]
        if not first.phrase and not first.exclude and first.relation is None and first.selection != Selection() \
                and second.phrase and second.selection != Selection():
            first.phrase = second.phrase
    return readings


# 'which cow is furthest to the right? segment that one', 'which jar is the biggest? mask it': a question of which one
# by its place or its size, then a request that points at it; the selection is the answer, nothing is guessed
ANSWERED_QUESTION = re.compile(r"^\s*(?:ok |so |hmm |um )?which (?:one |[a-z]+ )?(?:is|are|'s) (?:the )?(?:furthest|farthest|"
                               r"closest|nearest|most|biggest|largest|smallest|tiniest|tallest|shortest|highest|lowest|"
                               r"leftmost|rightmost|topmost|bottommost|on the (?:left|right)|at the (?:top|bottom))\b[^?]*"
                               r"\?\s*(?:please |pls |now |then |ok |okay )*(?:segment|select|mask|highlight|outline|"
                               r"mark|cut out|cut|circle|isolate|pick|grab|box|find|show me)\s+(?:that|it|this|the one|that one|this one|"
                               r"them|those)\b")


def read_offline(text: str) -> tuple[Plan, list[str]]:
    """The plan for `text` and the notes on what had to be guessed. Never raises (tested on random text)."""
    normalized = normalize(text if isinstance(text, str) else str(text))
    if len(normalized) > MAX_CHARS:
        normalized = normalized[:MAX_CHARS].rsplit(" ", 1)[0] if " " in normalized[:MAX_CHARS] else normalized[:MAX_CHARS]
    language = reply_language(normalized)
    if not re.search(r"[A-Za-z\u3400-\u9fff]", normalized):
        return _clarify(Intent.VAGUE, language), []
    chinese_text = normalise_chinese(cantonese_to_mandarin(to_simplified(normalized)))
    english_text = chinese_text if CJK.search(chinese_text) else drop_commentary(chinese_text)
    simplified = drop_context_clauses(keep_the_correction(expand_shorthand(strip_tool_markup(english_text))))
    chinese = language == "zh"
    intent = classify(simplified, language)
    if intent in CLARIFIED:
        return _clarify(intent, language), []
    notes: list[str] = ["a question, read as a request for the objects it names"] if intent is Intent.COUNT_QUESTION else []

    remember = read_remember(simplified, chinese)
    if remember is not None:
        return Plan(remember=RememberConcept(instance=remember.instance, name=remember.name),
                    reply_language=language), notes
    pick = read_instance_pick(simplified, chinese)
    if pick is not None:  # 'only #2', '把3号去掉': the previous result's instances by number
        return Plan(targets=[Target(instances=pick.instances)], followup="remove" if pick.drop else "refine",
                    reply_language=language), notes
    exemplar_plan = _exemplar_plan(simplified, chinese, language)
    if exemplar_plan is not None:
        return exemplar_plan, notes

    if re.search(r"#\s*\d|\d\s*号(?!电池|楼|线|门|车厢|球衣)|\b(?:number|instance|object)\s+\d+\b", simplified):
        # 'the red ones and #2': numbers mixed with other words, which one target cannot say; the LLM backend reads it
        plan = _clarify(Intent.VAGUE, language)
        plan.confidence = "low"
        return plan, ["a reference to a numbered instance the offline parser cannot express"]

    items = None if CJK.search(simplified) else detector_list(simplified)
    if items:
        readings = []
        for item in items:
            phrase, _, _ = english_noun_phrase(item.name)
            if phrase:
                readings.append(Reading(phrase=phrase, selection=Selection("all", item.count)))
        followup = "new"
    elif chinese:
        readings, followup = parse_chinese(simplified)
    else:
        english = _translate_cjk_runs(simplified, notes) if CJK.search(simplified) else simplified
        readings, followup = parse_english(english)

    targets = [_target(r) for r in attach_bare_selections(readings, simplified.lower())]
    targets = [t for t in targets if t.phrase or t.select.kind != "all" or t.select.count is not None]
    # 'pick two chickens, any two': the same target said twice is one target
    targets = _merged_restatements([t for index, t in enumerate(targets) if t not in targets[:index]])
    if followup in ("refine", "remove"):
        for target in targets:
            if not target.phrase:
                target.exclude, target.relation = [], None
    if followup == "new" and targets and not any(t.phrase for t in targets):
        followup = "refine"  # 'the second from the left', '左数第二个': a selection of the previous result
    if not targets or (followup == "add" and not any(t.phrase for t in targets)):
        plan = _clarify(Intent.VAGUE, language)
        # a request whose words name something the grammar could not read is a guess, not an empty request
        skipped = unaccounted_words(fix_typos(simplified.lower()), Plan(reply_language=language))
        # a follow-up read as nothing ('只留下红色的': the red ones of the last answer) is a request not read either
        unread_followup = followup != "new" or any(names_quality(word) for word in skipped) \
            or says_a_selection(simplified)
        if targets or (intent is Intent.REQUEST and (unread_followup or any(names_object(word) for word in skipped))):
            notes.append(UNREAD_REQUEST + " ".join(dict.fromkeys(skipped))[:80])
            plan.confidence = "low"
        return plan, notes
    if all(t.phrase and t.phrase.split()[-1] in NOT_VISIBLE for t in targets):
        return _clarify(Intent.VAGUE, language), notes  # '照片里的声音': nothing a mask could hold
    for reading in readings:
        notes.extend(reading.unsure)
    if intent is Intent.COUNT_QUESTION and ANSWERED_QUESTION.match(simplified.lower()) \
            and all(t.phrase and t.select.kind != "all" for t in targets):
        # 'which cow is furthest right? segment that one': the selection answers 'which', nothing is guessed
        intent = Intent.REQUEST
        notes = [note for note in notes if not note.startswith("a question, read as")]
    plan = Plan(targets=targets[:8], followup=followup, reply_language=language)
    # the words as read: a misspelt word with exactly one object word a letter away is that word
    checked = correct_object_typos(fix_typos(CONTEXT_CLAUSE.sub("", simplified.lower(), count=1)))
    if not chinese and not CJK.search(checked):
        # the sentences that only tell where the picture comes from are no part of the request, as read
        kept = request_sentences(checked)
        if len(kept) < len(split_sentences(checked)):
            checked = " . ".join(kept)
    skipped = unaccounted_words(checked, plan)
    if skipped:
        notes.append(UNUSED_WORDS + " ".join(dict.fromkeys(skipped))[:80])
    notes.extend(structural_doubts(checked, plan))
    plan.confidence = "low" if notes or intent is Intent.COUNT_QUESTION else "high"
    return plan, notes


def parse_offline(text: str, history: list[dict] | None = None) -> Plan:
    """Parse one instruction into a Plan without any LLM. `history` is accepted for interface parity."""
    return parse_offline_with_notes(text)[0]


def parse_offline_with_notes(text: str) -> tuple[Plan, list[str]]:
    try:
        return read_offline(text)
    except Exception:  # noqa: BLE001 - the last guard: a bug must cost one clarify answer, never the turn
        log.exception("the offline parser failed on %r", str(text)[:200])
        language = "zh" if isinstance(text, str) and CJK.search(text) else "en"
        return Plan(reply_language=language, clarify=clarify_text(Intent.VAGUE, language), confidence="low"), \
            ["the offline parser failed on this text"]


@dataclass(frozen=True)
class _ReadingWords:
    """How a target's reading is written back to the user, in one language."""

    previous: str  # a target with no phrase works on the last answer
    instance: str  # one numbered instance, {n}
    separator: str  # between items of a list
    count: str  # after the selection's kind, {n}
    selection: str  # {kind}{count}
    relation: str  # {type} {anchor}
    exclusion: str  # before the excluded phrases
    joiner: str  # between the parts


_READING_WORDS = {
    "en": _ReadingWords(previous="the previous result", instance="#{n}", separator=", ", count=", {n}",
                        selection="({kind}{count})", relation="{type} “{anchor}”", exclusion="except ", joiner=" "),
    "zh": _ReadingWords(previous="上一轮的结果", instance="{n}号", separator="、", count="，{n} 个",
                        selection="（{kind}{count}）", relation="，{type}“{anchor}”", exclusion="，排除", joiner=""),
}


def _reading(target: Target, language: str) -> str:
    words = _READING_WORDS[language]
    parts = [f"“{target.phrase}”" if target.phrase else words.previous]
    if target.instances:
        parts.append(words.separator.join(words.instance.format(n=n) for n in target.instances))
    select = target.select
    if select.kind != "all" or select.count is not None:
        count = words.count.format(n=select.count) if select.count else ""
        parts.append(words.selection.format(kind=select.kind, count=count))
    if target.relation:
        parts.append(words.relation.format(type=target.relation.type.replace("_", " "), anchor=target.relation.anchor))
    if target.exclude:
        parts.append(words.exclusion + words.separator.join(f"“{e}”" for e in target.exclude))
    return words.joiner.join(parts)


def low_confidence_note(plan: Plan, notes: list[str] | None = None) -> str | None:
    """What a face says with a low-confidence plan, in the user's language: how the request was read and the words
    it did not use, so the user can rephrase; None for a sure one."""
    if plan.confidence != "low":
        return None
    zh = plan.reply_language == "zh"
    unused = [note.split(": ", 1)[1] for note in notes or [] if note.startswith((UNUSED_WORDS, UNREAD_REQUEST))]
    unused = [words for words in unused if words.strip()]
    if not plan.targets:
        return LOW_CONFIDENCE[plan.reply_language]
    if zh:
        reading = "；".join(_reading(t, "zh") for t in plan.targets)
        left = f"（没有用到：{'、'.join(unused)}）" if unused else ""
        return f"我把这句理解为{reading}{left}；如果不是这个意思，请换个说法。"
    reading = "; ".join(_reading(t, "en") for t in plan.targets)
    left = f" (words not used: {', '.join(unused)})" if unused else ""
    return f"I read this as {reading}{left} — rephrase if that's not it."


COLOUR_AND_MATERIAL = {"red", "green", "blue", "yellow", "purple", "orange", "white", "black", "gray", "grey", "pink",
                       "brown", "gold", "silver", "beige", "wooden", "plastic", "metal", "glass", "ceramic", "leather",
                       "paper", "stone", "steel", "iron", "copper", "porcelain"}


def generalize_offline(phrase: str) -> str | None:
    """A more general phrase without the LLM: drop the modifiers that are neither colour nor material
    ('fluffy white dog' -> 'white dog'); None when there is nothing to drop."""
    words = phrase.split()
    if len(words) < 2:
        return None
    kept = [w for w in words[:-1] if w in COLOUR_AND_MATERIAL] + words[-1:]
    return " ".join(kept) if kept != words else None


class OfflineParser:
    """The parser interface with no LLM at all: English, Chinese and mixed text, from lexicons and a grammar."""

    backend = ParserBackend.OFFLINE
    can_verify = False

    def parse(self, text: str, image=None, history: str | None = None) -> ParseOutcome:
        plan, notes = parse_offline_with_notes(text)
        return ParseOutcome(plan=plan, notes=notes)

    def generalize(self, phrase: str, image=None) -> str | None:
        return generalize_offline(phrase)

    def verify_marks(self, picture, question: str) -> list[int] | None:
        return None

    def status(self) -> ParserStatus:
        return ParserStatus(backend=ParserBackend.OFFLINE)


def warm_up() -> None:
    """Loads the lexicons now (jieba, CC-CEDICT, lemminflect, SA-Co phrases: a few seconds), so that the first user
    request doesn't pay for it; `segchat serve` may call it at start-up."""
    read_offline("warm up: the red cup on the left, 左边的红色杯子")
