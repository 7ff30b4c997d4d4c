"""Shapes of a reading that no right reading has: the second half of what the offline parser's confidence means.

`coverage.unaccounted_words` asks whether every word of the request was used. A reading can use every word and still
be a guess: two objects glued into one phrase ('pear peach'), a function word kept inside a phrase ('cat that'), an
exclusion where the request excludes nothing, a position said and no selection taken, an anchor that is the picture
itself. Each check here looks only at the plan's shape and the request's structure words, never at the sentence the
grammar read, so it catches a rule that misfired whichever rule it was.
"""

from __future__ import annotations

import functools
import re

from segchat.contracts.plan import Plan, Target
from segchat.parser.english import CONTAINERS
from segchat.parser.lexicon import (CLOSED_CLASS, IMAGE_WORDS, is_adjective, is_noun, lemmas, saco_heads,
                                    saco_phrases)
from segchat.parser.vocabulary import EN_SYNONYMS, ZH_MODIFIERS, ZH_NOUNS

# the words that join an exclusion's object to its own ('person wearing glasses'): structure, not a stray word
_JOINERS = frozenset({"with", "wearing", "holding", "in", "on", "and", "of"})
# a word said only to exclude: a plan with an exclusion and none of these excluded what nobody asked to leave out
EXCLUSION_WORD = re.compile(
    r"n't\b|\b(?:except|exept|excpet|excluding|exclude|but|not|no|without|w/o|leave|leaving|skip|skipping|ignore|"
    r"ignoring|omit|omitting|minus|other than|apart|besides|aside|never|unless|drop|remove|rid|nothing|none)\b"
    r"|[不别没无除免甭]|去掉|排除|剔除|跳过|忽略|略过|算了")
# questions made with 不 ('能不能', '要不要') ask politely; they exclude nothing
_A_NOT_A = re.compile(r"([\u4e00-\u9fff])不\1")
# a place or a side: a request that says one is read with a selection or a relation, never without both
POSITION_SAID = re.compile(
    r"\b(?:(?<!is )(?<!are )(?<!was )(?<!were )left(?! over| behind)|right(?! there| here| now| away| after| before)|"
    # 'tank top', 'top hat', 'bell bottoms': clothes, not places
    r"(?<!tank )(?<!crop )(?<!tube )(?<!halter )top(?! hat)|(?<!bell )bottom(?!s)|leftmost|rightmost|topmost|"
    r"bottommost|middle|center|centre|central|highest|lowest|uppermost|biggest|largest|smallest|tiniest|tallest|"
    r"shortest|below|under|underneath|beneath|above|beside|next to|nearest|closest|behind|in front of)\b|"
    r"最|左|右|中间|中央|正中|上面|上方|下面|下方|顶上|底下|底部|顶部|旁边|附近|隔壁|挨着")
# words that ask to add to the last answer, and words that ask to take away from it
ADD_SAID = re.compile(r"\b(?:also|too(?=\s*(?:[.,!?]|please|pls|$))|as well)\b|也|还有|顺便")
REMOVE_SAID = re.compile(r"\b(?:remove|drop|delete|get rid of|take away|deselect|unselect|discard)\b|去掉|删掉|删除|移除|"
                         r"拿掉|取消|去除")
# what holds or gathers the noun before it ('firewood bundle', 'grape bunch'): the grammar's own compounds
_HOLDERS = CONTAINERS | {"bunch"}
# the request's own nouns: one target named so beside others is the answer's form read as an object
_REQUEST_NOUNS = frozenset({"mask", "outline", "segmentation", "cutout", "bbox", "box outline"})


@functools.lru_cache(maxsize=1)
def _known_phrases() -> frozenset[str]:
    """Phrases SAM3 has seen and the English of our own vocabulary: a pair of nouns in one of them is one object."""
    ours = [*ZH_NOUNS.values(), *ZH_MODIFIERS.values(), *EN_SYNONYMS, *sum(EN_SYNONYMS.values(), [])]
    pairs = set()
    for phrase in [*saco_phrases(), *ours]:  # every two neighbours inside a known phrase ('metal dumbbell rack')
        words = phrase.split()
        pairs.update(" ".join(words[i:i + 2]) for i in range(len(words) - 1))
        if len(words) == 3 and words[1] == "of":
            pairs.add(f"{words[2]} {words[0]}")  # 'bundle of firewood', which a phrase says as 'firewood bundle'
    return frozenset(saco_phrases()) | frozenset(ours) | frozenset(pairs)


def _within_known(words: list[str], index: int) -> bool:
    """Whether word `index` belongs to a two-word phrase SAM3 or our vocabulary knows, with either neighbour."""
    pairs = [" ".join(words[index:index + 2]), " ".join(words[max(index - 1, 0):index + 1])]
    return any(" " in pair and pair in _known_phrases() for pair in pairs)


def _object_word(word: str) -> bool:
    """A word that names an object and nothing else: a noun SAM3 has seen as a head, never an adverb or preposition
    ('down' of 'down jacket' is one)."""
    readings = lemmas(word)
    return word in saco_heads() and "NOUN" in readings and not {"ADV", "ADP", "ADJ"} & set(readings)


def glued_objects(phrase: str) -> list[str]:
    """'pear peach', 'pond person': two objects side by side that no known phrase joins."""
    words = phrase.split()
    # a word SAM3's phrases use before a head ('steel', 'floor', 'business') modifies the noun after it
    return [f"{a} {b}" for a, b in zip(words, words[1:])
            if _object_word(a) and not is_adjective(a) and _object_word(b) and b not in _HOLDERS
            and f"{a} {b}" not in _known_phrases()]  # 'firewood bundle': the grammar's reading of 'bundle of firewood'


def stray_words(phrase: str) -> list[str]:
    """Words no object's name holds: function words ('cat that'), adverbs ('big quite castle'), single letters
    ('ball s'), unless a known phrase holds them ('trash can', 'down jacket')."""
    words = phrase.split()
    out = []
    for index, word in enumerate(words):
        if word in _JOINERS or _within_known(words, index):
            continue
        readings = set(lemmas(word))
        if len(word) == 1 or (word in CLOSED_CLASS and word not in saco_heads()) or (readings and readings <= {"ADV"}):
            out.append(word)
    return out


def _phrases(target: Target) -> list[str]:
    anchor = target.relation.anchor if target.relation else ""
    return [p for p in (target.phrase, *target.exclude, anchor) if p]


def _phrase_doubts(target: Target) -> list[str]:
    doubts = []
    for phrase in _phrases(target):
        words = phrase.split()
        glued = glued_objects(phrase)
        if glued:
            doubts.append("two objects read as one phrase: " + ", ".join(glued))
        stray = stray_words(phrase)
        if stray:
            doubts.append(f"a word no object's name holds, inside '{phrase}': " + " ".join(stray))
        if len(set(words)) < len(words):
            doubts.append(f"a word twice in one phrase: {phrase}")  # 'paper bag shopping bag'
        last = lemmas(words[-1])  # a word lemminflect knows, never as a noun, and no head of SAM3's phrases
        if last and "NOUN" not in last and "PROPN" not in last and words[-1] not in saco_heads():
            doubts.append(f"a phrase that ends in no noun: {phrase}")  # 'help earlier'
    for excluded in target.exclude:
        joined = re.search(r"\b(?:with|wearing|holding)\b(.*)$", excluded)
        if joined and not (joined.group(1).split() and is_noun(joined.group(1).split()[-1])):
            doubts.append(f"an exclusion 'with' nothing: {excluded}")
    if target.relation and target.relation.anchor and target.relation.anchor.split()[-1] in IMAGE_WORDS \
            and target.relation.anchor not in saco_phrases():  # a picture frame is a thing in the picture
        doubts.append(f"the picture read as an anchor: {target.relation.anchor}")  # 'in this micrograph'
    return doubts


def _request_doubts(text: str, plan: Plan) -> list[str]:
    """What the request's structure words say that the plan's shape does not."""
    doubts = []
    lowered = text.lower()
    if any(t.exclude for t in plan.targets) and not EXCLUSION_WORD.search(_A_NOT_A.sub(" ", lowered)):
        doubts.append("an exclusion where the request says no word of one")
    selected = any(t.select.kind != "all" or t.relation or t.select.ordinal or t.instances for t in plan.targets)
    position = POSITION_SAID.search(lowered)
    if position and not selected:
        doubts.append(f"a position said ('{position.group(0)}') and no selection or relation taken")
    added, removed = ADD_SAID.search(lowered), REMOVE_SAID.search(lowered)
    if removed and plan.followup == "add":
        doubts.append(f"a word of removing ('{removed.group(0)}') read as adding")  # 'also remove the cups'
    elif added and not removed and plan.followup == "new" and len(plan.targets) == 1 and plan.targets[0].phrase:
        doubts.append(f"a word of adding ('{added.group(0)}') read as a new request")
    if len(plan.targets) > 1 and any(t.phrase in _REQUEST_NOUNS for t in plan.targets):
        doubts.append("the answer's form read as one of the objects")  # '… and return masks'
    return doubts


def shape_doubts(text: str, plan: Plan) -> list[str]:
    """Doubts about a reading from its shape (`text` normalised and simplified, as the grammar read it)."""
    if plan.clarify or not plan.targets:
        return []
    doubts = [doubt for target in plan.targets for doubt in _phrase_doubts(target)]
    return doubts + _request_doubts(text, plan)
