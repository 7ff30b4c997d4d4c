"""The English grammar of requests.

    [politeness / want / question frame] [verb] [quantity or ordinal] [modifiers] HEAD
    [post-modifiers: with / without / in / on / that / which / who ...] [exclusion clause] [selection]

The sentence is read before any word is looked up: the frame and the verb are taken off the front, selections,
relations, exclusions and post-modifiers are taken out as structure, and what is left is the noun phrase, whose
words must be nouns or modifiers in the lexicon. SAM3 gets the head noun with the modifiers it can see (colour,
material, state); everything else becomes plan structure.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass, field

from segchat.parser.lexicon import (ACKNOWLEDGEMENT_EN, AMBIGUOUS_JARGON, AUXILIARIES, CLOSED_CLASS,
                                    curated_modifiers, curated_words,
                                    IMAGE_ONLY_WORDS, IMAGE_WORDS,
                                    STRICT_JARGON, DETERMINERS, IMAGE_WORDS, JARGON, NUMBER_WORDS,
                                    ORDINAL_WORDS, PAIRED_PARTS, POLITENESS, PREPOSITIONS, PRONOUNS, QUESTION_WORDS,
                                    REQUEST_VERBS, WANT_VERBS, head_frequency, is_adjective, is_bare_verb, is_known,
                                    is_noun, is_participle, lemmas, participle_of, saco_heads, saco_modifiers,
                                    saco_ending, saco_phrases, singular,
                                    singular_phrase, TASK_LABELS)
from segchat.parser.vocabulary import PLAIN_MODIFIERS, PLAIN_NOUNS, PLURALIA_TANTUM

# ------------------------------------------------------------------------------------------------ data
@dataclass
class Selection:
    kind: str = "all"
    count: int | None = None
    ordinal: int | None = None


@dataclass
class Reading:
    """One target as read from the text, before it becomes a plan Target."""

    phrase: str = ""
    selection: Selection = field(default_factory=Selection)
    exclude: list[str] = field(default_factory=list)
    relation: tuple[str, str] | None = None
    unsure: list[str] = field(default_factory=list)  # why this reading may be wrong (shown as low confidence)


# ------------------------------------------------------------------------------------------------ words
FRAME_WORDS = (PRONOUNS | AUXILIARIES | POLITENESS | WANT_VERBS | REQUEST_VERBS | DETERMINERS
               | {"for", "of", "to", "out", "up", "down", "off", "if", "it", "and", "there", "here", "able", "go",
                  "ahead", "further", "quick", "possible", "love", "grateful", "appreciate", "wondering", "thinking",
                  "im", "i'm", "i'd", "i'll", "we'd", "you'd", "you're", "that's", "there's", "what's", "lets"})
FRAME_WORDS -= {"one"}
# the request said after its object ('3 syringes segmeted', 'every cup maskd'): typos are read as these too
REQUEST_PARTICIPLES = frozenset({"segmented", "masked", "outlined", "highlighted", "selected", "circled", "annotated",
                                 "labelled", "labeled", "isolated", "extracted"})
KEYWORDS = sorted(REQUEST_VERBS | {"leftmost", "rightmost", "topmost", "bottommost", "smallest", "largest", "biggest",
                                   "highest", "lowest", "middle", "center", "except", "excluding", "holding", "wearing",
                                   "please", "segmentation", "every", "without", "just", "only", "furthest",
                                   "farthest", "tiniest", "closest", "nearest"} | REQUEST_PARTICIPLES
                  # the words of a relation ('the bag undr the desk', 'the cup besdie the sink')
                  | {"under", "underneath", "below", "beneath", "above", "beside", "behind", "between", "inside",
                     "next", "near", "atop", "across", "against"})
SIZE_SUPERLATIVE = {"biggest": "largest", "largest": "largest", "smallest": "smallest", "tiniest": "smallest",
                    "littlest": "smallest", "tallest": "largest", "shortest": "smallest"}
POSITION_WORD = {"left": "leftmost", "right": "rightmost", "top": "topmost", "bottom": "bottommost",
                 "middle": "center", "center": "center", "centre": "center", "upper": "topmost", "lower": "bottommost",
                 "highest": "topmost", "lowest": "bottommost", "uppermost": "topmost", "leftmost": "leftmost",
                 "rightmost": "rightmost", "topmost": "topmost", "bottommost": "bottommost", "central": "center",
                 "furthest": None}
NUMBER = r"(?:\d{1,4}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a dozen|a single|single|" \
         r"a couple of|a couple|couple of|a pair of|pair of)"
ORDINAL = r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d{1,3}(?:st|nd|rd|th))"
CLOTHING = r"(?:raincoat|coat|jacket|shirt|t shirt|t-shirt|tshirt|dress|hat|cap|helmet|hoodie|sweater|uniform|suit|" \
           r"vest|scarf|jersey|apron|skirt|gown|robe|costume|overalls|jeans|pants|trousers|shorts|boots|shoes|" \
           r"sneakers|gloves|glasses|sunglasses|sun glasses|goggles|mask|headphones|tie|blouse|cardigan|clothes|" \
           r"outfit|top|kimono|sari|poncho|bikini|swimsuit|pajamas|backpack|wetsuit|tracksuit|overcoat|parka|" \
           r"windbreaker|blazer|tuxedo|sweatshirt|tank top|leggings|scrubs|cape|cloak|beanie|bandana|turban|veil|" \
           r"hijab|sandals|slippers|heels|mittens|life jacket|lifejacket|hi-vis|high-vis|gi|leotard|sweatpants)"
COLOURS = r"(?:red|green|blue|yellow|purple|orange|white|black|gray|grey|pink|brown|gold|silver|beige|navy|maroon|" \
          r"teal|violet|dark|light)"


def number_value(text: str) -> int | None:
    text = text.strip()
    if text.isdigit():
        return int(text)
    text = re.sub(r"^(a|an) |\bof$", "", text).strip()
    return NUMBER_WORDS.get(text.split()[-1]) if text else None


def ordinal_value(text: str) -> int | None:
    text = text.strip()
    match = re.fullmatch(r"(\d{1,3})(?:st|nd|rd|th)", text)
    return int(match.group(1)) if match else ORDINAL_WORDS.get(text)


def fix_typos(text: str) -> str:
    """Correct misspelt request and selection words ('segmnet', 'highlght', 'smalest'); a word the dictionary knows
    is never 'corrected' ('remote' is no typo of 'remove')."""
    text = HEARD_COLOUR.sub(lambda m: f"{m.group('det')} {COLOUR_HOMOPHONES[m.group('c')]}", text)
    out = []
    for word in re.findall(r"[a-z0-9'\-]+|[^a-z0-9'\-]+", text):
        if len(word) >= 4 and word.isalpha() and word not in KEYWORDS and not is_known(word) \
                and not _instrument_of_keyword(word):
            # a 4-letter word is only a dropped letter of a longer keyword ('evry') or two of its letters swapped
            # ('jsut'), never a short one's twin
            candidates = KEYWORDS if len(word) >= 5 else [
                k for k in KEYWORDS
                if len(k) == len(word) + 1 or (sorted(k) == sorted(word) and edit_distance(k, word) == 1)]
            if not word.endswith("d"):  # a participle's typo keeps its ending ('segmeted', 'outlind'); 'highlite' is a verb
                candidates = [k for k in candidates if k not in REQUEST_PARTICIPLES]
            swapped = [k for k in candidates if sorted(k) == sorted(word) and edit_distance(k, word) == 1]
            close = swapped[:1] or difflib.get_close_matches(word, candidates, n=1, cutoff=0.8)
            # 'yelow' is 'yellow' with a letter of its double dropped, not 'below': an object word or a quality that
            # differs only so is left for correct_object_typos
            doubled = _undoubled(word) in _undoubled_object_words()
            # a slip keeps the first letter: 'labtop' is no 'atop' (correct_object_typos reads it as 'laptop')
            if close and not doubled and close[0][0] == word[0]:
                word = close[0]
        out.append(word)
    return "".join(out)


def _object_name_as_written(word: str) -> bool:
    """'bollards', 'samoyeds': a head of SAM3's phrases or of our vocabulary lemminflect does not know is written
    right, no typo of a commoner word ('board')."""
    forms = (word, singular(word), word[:-1]) if word.endswith("s") else (word,)
    return any(form in saco_heads() or form in curated_words() for form in forms)


def _instrument_of_keyword(word: str) -> bool:
    """'highlighters', 'markers': a keyword with the suffix of the thing that does it is an object, no typo of it."""
    stem = re.sub(r"(?:er|or)s?$", "", word)
    return stem != word and any(stem in (keyword, keyword.rstrip("e")) for keyword in KEYWORDS)


@functools.lru_cache(maxsize=1)
def _object_words() -> dict[str, tuple[str, ...]]:
    """Real words SAM3's phrases and our vocabulary use, by first letter: what a misspelt object word may be."""
    by_letter: dict[str, list[str]] = {}
    for word in saco_heads() | saco_modifiers() | curated_words() | PLURALIA_TANTUM:
        if word.isalpha() and len(word) >= 4 and (lemmas(word) or word in PLURALIA_TANTUM):
            by_letter.setdefault(word[0], []).append(word)
    return {letter: tuple(sorted(found)) for letter, found in by_letter.items()}


@functools.lru_cache(maxsize=1)
def _undoubled_object_words() -> frozenset[str]:
    """The object words with every doubled letter written once ('yellow' -> 'yelow')."""
    return frozenset(_undoubled(word) for found in _object_words().values() for word in found)


def edit_distance(a: str, b: str) -> int:
    """Insertions, deletions, substitutions and swaps of neighbours ('candel' / 'candle' is one)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


@functools.lru_cache(maxsize=1)
def _NOT_OBJECT_WORDS() -> frozenset[str]:  # noqa: N802 - a constant, built once the module is loaded
    return frozenset(CLOSED_CLASS | FRAME_WORDS | JARGON | IMAGE_WORDS | set(NUMBER_WORDS) | set(ORDINAL_WORDS)
                     | set(KEYWORDS) | ACKNOWLEDGEMENT_EN)


def correct_object_typos(text: str) -> str:
    """'donky' -> 'donkey', 'candel' -> 'candle': a word no dictionary knows, one or two letters from exactly one
    object word with the same first letter. A name or a rare object word is left as it is when nothing is that
    close; the coverage check still sees the word as written, so the plan says it guessed."""
    out: list[str] = []
    tokens = re.findall(r"[a-z0-9'\-]+|[^a-z0-9'\-]+", text)
    for index, word in enumerate(tokens):
        if len(word) >= 4 and word.isalpha() and not is_known(word) and word not in _NOT_OBJECT_WORDS() \
                and not _instrument_of_keyword(word) and not _object_name_as_written(word):
            limit = 1 if len(word) < 8 else 2
            # the object words are singular: 'rakets' is 'raket' + s; but 'tenis' may be 'tennis' as well as 'teni' + s
            readings = [(word, "")] + ([(word[:-1], "s")] if word.endswith("s") and len(word) > 4 else [])
            close = [(w, suffix) for stem, suffix in readings for w in _object_words().get(word[0], ())
                     if abs(len(w) - len(stem)) <= limit and edit_distance(stem, w) <= limit]
            previous = next((w for w in reversed(out) if w.strip() and w[0].isalpha()), "")
            following = next((w for w in tokens[index + 1:] if w.strip() and w[0].isalpha()), "")
            if len({w + suffix for w, suffix in close}) > 1:
                # 'sunflowrs': the reading nearest what was typed ('sunflower' + s is one letter away, 'sunflower'
                # two)
                nearest = min(edit_distance(word[:len(word) - len(suffix)], w) for w, suffix in close)
                close = [(w, suffix) for w, suffix in close
                         if edit_distance(word[:len(word) - len(suffix)], w) == nearest]
            if len({w + suffix for w, suffix in close}) > 1:
                # 'hosre': two letters swapped keep every letter typed ('horse'), where 'hose' would drop one
                close = [(w, suffix) for w, suffix in close
                         if sorted(w) == sorted(word[:len(word) - len(suffix)])] or close
            if len({w + suffix for w, suffix in close}) > 1:
                # 'towl': a letter left out keeps every letter typed in order ('towel'), where 'town' and 'tool'
                # change one
                close = [(w, suffix) for w, suffix in close
                         if _subsequence(word[:len(word) - len(suffix)], w)] or close
            if len({w + suffix for w, suffix in close}) > 1:
                # 'aples', 'tenis': the commonest slip drops one letter of a double; the word that differs only so
                close = [(w, suffix) for w, suffix in close
                         if _undoubled(w) == _undoubled(word[:len(word) - len(suffix)])] or close
            if len({w + suffix for w, suffix in close}) > 1:
                # 'tennis rakets', 'tenis balls': the one that makes a phrase SAM3 knows with the word before or after
                close = [(w, suffix) for w, suffix in close
                         if f"{previous} {w}" in saco_phrases() or f"{w} {singular(following)}" in saco_phrases()] \
                    or close
            if len({w + suffix for w, suffix in close}) == 1:
                word = close[0][0] + close[0][1]
        out.append(word)
    return "".join(out)


# a clause's verb of holding or wearing, by its first three letters (each form of each verb shares them: 'carries',
# 'carrying'), and the participle the relations read
CLAUSE_VERB_PARTICIPLE = {"hol": "holding", "car": "carrying", "wea": "wearing", "rid": "riding"}
QUALITY_THEN_PLACE = re.compile(r"\b(?P<noun>[a-z]+) (?:that|which|who)(?:'s| is| are|'re) (?P<quality>[a-z]+)\s+"
                                r"(?=(?:under|underneath|beneath|below|on|in|inside|near|beside|next to|behind|above|"
                                r"atop|by|on top of|in front of)\b)")


def _quality_before_noun(match: re.Match) -> str:
    quality = match.group("quality")
    # 'the dogs that are not near the fence': a denial, no quality (SA-Co's phrases hold 'not' as a word)
    if not is_adjective(quality) or is_noun(quality) or quality in ("not", "never", "no"):
        return match.group(0)
    return f"{PLAIN_MODIFIERS.get(quality, quality)} {match.group('noun')} "


def _as_modifier(noun: str) -> str:
    """A noun before another is singular ('flowers' in 'flower bouquet'), unless it has no singular ('glasses')."""
    return noun if noun in PLURALIA_TANTUM else singular(noun)


def _subsequence(typed: str, word: str) -> bool:
    """Whether every letter typed is in `word`, in order ('towl' in 'towel')."""
    letters = iter(word)
    return all(letter in letters for letter in typed)


def _undoubled(word: str) -> str:
    """The word with every doubled letter written once ('apple' -> 'aple')."""
    return re.sub(r"(.)\1+", r"\1", word)


# ------------------------------------------------------------------------------------------------ follow-ups
# 'of those, keep only …', 'among them, drop …': the previous answer named as what the request chooses from
FROM_PREVIOUS = (r"(?:(?:of|among|amongst|from|out of) (?:those|these|them|the previous ones|the last ones|what you "
                 r"(?:found|marked|selected|got))(?: ones| results?| masks?)?(?:\s*,\s*|\s+(?=(?:please |now |then )*"
                 r"(?:keep|only|just|select|pick|choose|give|show|mark|segment|mask|drop|remove|leave|i want|i need|"
                 r"i'd like|take|get rid|discard|the)\b)))")
# what may stand before a follow-up's word: fillers (spoken ones too: 'nah just keep …', 'yeah only …', 'um, keep
# …'), or the previous answer named as what to choose from
FOLLOWUP_FILLER = r"(?:actually|ok|okay|now|and|then|please|hmm+|no|nah|nope|naw|yeah|yep|yup|well|alright|um+|uh+|oh|wait)"
FOLLOWUP_LEAD = rf"(?:{FOLLOWUP_FILLER}[, ]+|{FROM_PREVIOUS})*"
TRAILING_ADDITION = re.compile(r"\b(?:as well|too)\s*,?\s*(?:please|pls|thanks|thank you|thx)?\s*$")
REMOVE_VERBS = (r"(?:drop|remove|delete|get rid of|take out|take away|exclude|discard|deselect|lose|forget|ditch|"
                r"unselect|throw out|leave out|skip|ignore|omit)")
REQUEST_VERB_WORDS = "|".join(sorted(REQUEST_VERBS, key=len, reverse=True))
# 'just gimme four tennis balls', 'just segment the cats': 'just' before the request's own verb softens it; before
# what to keep it narrows the previous answer ('just the cats', 'just keep the cats')
FOLLOWUP_VERBS = frozenset("keep drop remove delete add include exclude discard deselect take lose forget narrow put "
                           "leave".split())
FRAME_VERB_WORDS = "|".join(sorted((REQUEST_VERBS - FOLLOWUP_VERBS) | WANT_VERBS, key=len, reverse=True))
FOLLOWUP_PATTERNS = [
    # 'ok now also remove the cups': 'also' joins this removal to the last one; what it does is remove
    (rf"^(?:(?:and|please|oh|ok|okay|now|then)[, ]+)*(?:also|and also|additionally)\s+{REMOVE_VERBS}\b", "remove"),
    (r"^(?:(?:and|please|oh|ok|okay|now)[, ]+)*(?:also|add|plus|and also|as well as|include|additionally)\b", "add"),
    # 'can you also grab the traffic lights?', 'i'd also like the cats': the request's frame, then 'also'
    (r"^(?:(?:and|please|oh|ok|okay|now)[, ]+)*(?:(?:can|could|would|will) you (?:please )?|please |i'?d |i would |"
     r"i want to |i need to |let'?s )(?:also|additionally)\b", "add"),
    # 'remove the broken ones too': a removal that ends in 'too' removes as well; it adds nothing; 'can you remove
    # the two smallest ones from that': the request's frame before the removal
    (rf"^{FOLLOWUP_LEAD}(?:(?:can|could|would|will) (?:you|u) (?:please |pls )?|please |pls )?{REMOVE_VERBS}\b",
     "remove"),
    (TRAILING_ADDITION.pattern, "add"),
    (rf"^{FOLLOWUP_LEAD}(?:only|just|keep only|keep just|narrow (?:it )?(?:down )?"
     rf"to|now only|now just|only keep|just keep|limit (?:it )?to)\b(?! (?:{FRAME_VERB_WORDS}|a|an|one|two|three|four|"
     r"five|\d)\b)", "refine"),
    (rf"^{FOLLOWUP_LEAD}keep\b", "refine"),
    (rf"^(?:(?:actually|ok|okay|now|and|then|please|so)[, ]+)*{FROM_PREVIOUS}", "refine"),
]


def adds_within_itself(text: str, readings: list[Reading]) -> bool:
    """'box all the trucks and the forklifts too': a request that starts with its own verb, names two targets or more
    and ends in 'too' adds the later ones to the first within itself, not to an earlier answer ('and the dogs
    too', 'also the cups and the plates' add to one)."""
    trailing = TRAILING_ADDITION.search(text)
    # 'the largest pizza slice and the smallest one too': a later target that is the first's noun again ('one')
    # is said within the request, with or without its verb
    restated = len(readings) > 1 and bool(re.search(r"\bones?\s+(?:too|as well)\b", text)) \
        and not re.match(r"^\s*(?:and|also|plus|oh|ok|okay)\b", text)
    return bool(trailing) and len(readings) > 1 and (bool(REQUEST_START.match(text)) or restated) \
        and take_followup(text[:trailing.start()].strip())[0] == "new"


# 'just the cats', 'only the red mugs please': no verb of keeping and no word of the last answer, only the object
BARE_NARROWING = re.compile(r"^(?:(?:ok|okay|please|pls|plz|hmm+|um+|uh+|oh|well|yeah|hey)[, ]+)*(?:only|just)\s+"
                            r"(?!.*\b(?:keep|now|remaining|rest|those|these|them|ones?|of the|left|instead)\b)")


def take_followup(text: str) -> tuple[str, str]:
    for pattern, kind in FOLLOWUP_PATTERNS:
        match = re.search(pattern, text)
        if match:
            return kind, (text[:match.start()] + " " + text[match.end():]).strip()
    return "new", text


# ------------------------------------------------------------------------------------------------ selection
# 'counting up from the bottom', 'starting from the left', 'from the left of the frame': where a count or an
# ordinal begins
COUNTED_FROM = r"(?:(?:counting|counted|starting|going|reading|moving)(?: (?:up|down|over|across|along|in))? )?" \
               r"(?:from|on|at|to|counting from) (?:the )?(?P<dir>left|right|top|bottom)\b(?: side| end| edge)?" \
               r"(?: of (?:the )?(?:frame|image|picture|photo|pic|shot|screen|row|line|shelf|pile|stack))?"
SELECT_PATTERNS: list[tuple[str, str | None]] = [
    # 'the first three boats counting up from the bottom': the three bottommost, not the first of them
    (rf"\b(?:the )?first (?P<n>{NUMBER})\b(?P<noun>(?: [a-z]+){{0,3}}?),? {COUNTED_FROM}", "first_n_from"),
    # ordinals: 'the second from the left', 'the third largest', 'the 2nd leftmost'
    (rf"\b(?P<ord>{ORDINAL})(?: (?:one|ones))?(?P<noun>(?: \w+){{0,3}}?),? {COUNTED_FROM}", "ordinal_from"),
    (rf"\b(?P<ord>{ORDINAL}) (?P<sup>biggest|largest|smallest|tiniest|tallest|shortest|leftmost|rightmost|topmost|"
     rf"bottommost|highest|lowest)\b", "ordinal_super"),
    # size superlatives, with an optional count on either side ('the two smallest', 'largest three')
    (rf"\b(?:(?P<n1>{NUMBER}) )?(?:of the )?(?P<sup>biggest|largest|smallest|tiniest|littlest|tallest|shortest)"
     rf"(?: (?P<n2>{NUMBER})\b)?", "super"),
    (r"\b(?:the )?(?P<sup>big|bigger|large|larger|small|smaller|little) (?:one|ones)\b", "size_one"),
    # 'keep the bigger two', 'the smaller three mugs': a comparative with a count is the superlative's count
    (rf"\b(?:the )?(?P<sup>bigger|larger|smaller) (?P<n>{NUMBER})\b", "size_n"),
    # corners: 'top left', 'bottom-right corner' (one axis only: the vertical one)
    (r"\b(?:in |at |on )?(?:the )?(?:very )?(?P<v>top|bottom|upper|lower)[ -](?P<h>left|right)(?: corner| side| hand side)?\b",
     "corner"),
    (r"\b(?:in |at |on )?(?:the )?(?:very )?(?P<h>left|right)[ -](?P<v>top|bottom)(?: corner)?\b", "corner"),
    # positions: 'furthest to the left', 'on the far left', 'at the very bottom of the pile', 'in the middle'
    (r"\b(?:that is |that's |which is |who is )?(?:the )?(?:furthest|farthest|most|far|closest|nearest) (?:to |on |at )?"
     r"(?:the )?(?P<pos>left|right|top|bottom)\b(?! of)", "position"),
    (r"\b(?:(?P<n1>\w+) )?(?:on|at|to|towards|toward|in) the (?:far |very |extreme )?(?P<pos>left|right)"
     r"(?: side| hand side| end| edge)?\b(?! of)", "position"),
    (r"\b(?:(?P<n1>\w+) )?(?:in|at) (?:the )?(?:very )?(?P<pos>middle|center|centre)(?: of (?:the )?[a-z]+)?\b", "position"),
    (r"\b(?:(?P<n1>\w+) )?(?:at|on|in) the (?:very )?(?P<pos>top|bottom)(?: of (?:the )?[a-z]+)?\b", "position"),
    (r"\b(?:(?P<n1>\w+) )?(?:on|at) top\b(?! of)", "on_top"),
    (r"\b(?:far|furthest|farthest|most) (?P<pos>left|right)\b", "position"),
    (r"\b(?:(?P<n1>\w+) )?(?P<pos>leftmost|rightmost|topmost|bottommost|uppermost|left most|right most|top most|"
     r"bottom most|central)\b", "position"),
    (r"\b(?:that'?s |that is |which is |flying |sitting |hanging |placed |standing )*(?:the )?(?P<pos>highest|lowest)"
     r"(?: up| down)?\b", "position"),
    (r"\b(?:the )?(?P<pos>left|right|top|bottom|middle|center|centre)(?: one| ones)\b", "position"),
]
POSITION_BEFORE_NOUN = re.compile(r"\b(?P<pos>left|right|top|bottom|middle|upper|lower|center|centre)\b")


def _count_word(word: str | None) -> int | None:
    return number_value(word) if word else None


def take_selection(text: str) -> tuple[Selection, str, list[str]]:
    """The selection a phrase asks for and the text without it (and notes when it had to guess)."""
    notes: list[str] = []
    selection = Selection()
    for pattern, name in SELECT_PATTERNS:
        match = re.search(pattern, text)
        if not match:
            continue
        groups = match.groupdict()
        count = None
        start = match.start()
        if name == "first_n_from":
            # the noun sits between the count and where the counting starts: keep it
            selection = Selection(POSITION_WORD[groups["dir"]], _count_word(groups["n"]) or 1)
            return selection, text[:start] + " " + groups["noun"] + " " + text[match.end():], notes
        if name == "ordinal_from":
            ordinal = ordinal_value(groups["ord"]) or 1
            selection = Selection(POSITION_WORD[groups["dir"]], 1, ordinal if ordinal > 1 else None)
            # the noun sits between the ordinal and 'from' ('the second car from the left'): keep it
            text = text[:start] + " " + groups["noun"] + " " + text[match.end():]
            return selection, text, notes
        if name == "ordinal_super":
            ordinal = ordinal_value(groups["ord"]) or 1
            kind = SIZE_SUPERLATIVE.get(groups["sup"]) or POSITION_WORD[groups["sup"]]
            selection = Selection(kind, 1, ordinal if ordinal > 1 else None)
        elif name == "super":
            count = _count_word(groups.get("n1")) or _count_word(groups.get("n2"))
            selection = Selection(SIZE_SUPERLATIVE[groups["sup"]], count or 1)
        elif name == "size_one":
            selection = Selection("largest" if groups["sup"] in ("big", "bigger", "large", "larger") else "smallest", 1)
        elif name == "size_n":
            selection = Selection("largest" if groups["sup"] in ("bigger", "larger") else "smallest",
                                  _count_word(groups["n"]) or 1)
        elif name == "corner":
            selection = Selection(POSITION_WORD[groups["v"]], 1)
            notes.append("a corner is two directions; the plan keeps the vertical one")
        elif name == "on_top":
            count = _count_word(groups.get("n1"))
            selection = Selection("topmost", count or 1)
            if count is None and groups.get("n1"):
                start = match.start() + len(groups["n1"]) + 1
        else:
            pos = groups["pos"].replace(" ", "")
            kind = POSITION_WORD.get(pos) or POSITION_WORD.get(pos.replace("most", ""))
            count = _count_word(groups.get("n1"))
            if groups.get("n1") and count is None:
                start = match.start() + len(groups["n1"]) + 1  # the word before belongs to the noun phrase
            selection = Selection(kind or "all", count or 1)
        return selection, text[:start] + " " + text[match.end():], notes
    # 'the left lion', 'left back to us guy': a position adjective before a noun (not 'the left hand')
    for match in POSITION_BEFORE_NOUN.finditer(text):
        following = text[match.end():].split()
        noun = following[0] if following else ""
        if not noun or noun in CLOSED_CLASS or noun in PAIRED_PARTS or singular(noun) in PAIRED_PARTS:
            continue
        if f"{match.group('pos')} {singular(noun)}" in saco_phrases() and singular(noun) in PAIRED_PARTS:
            continue
        if match.group("pos") in ("top", "bottom") and noun in ("shelf", "drawer", "row", "layer", "floor", "step"):
            pass  # 'the top shelf' is the topmost shelf too
        kind = POSITION_WORD[match.group("pos")]
        return Selection(kind, 1), text[:match.start()] + " " + text[match.end():], notes
    return selection, text, notes


def _any_plural(text: str) -> bool:
    """'any birds perched on the line': 'any' before a plural is every one of them, no count of one; so is 'any'
    before a noun and a clause that says which ('plus any car that's left of the bus')."""
    if re.search(r"\bany\s+(?:[a-z\-]+\s+){1,3}?(?:that|which|who|whose|to the (?:left|right)|next to|near|"
                 r"beside|behind|under|below|above|on top of)\b", text) \
            and not re.search(r"\b(?:a|an|one|just|only|random|randomly|pick|choose)\b", text):
        return True
    match = re.search(r"\bany\s+((?:[a-z\-]+\s+){0,3}[a-z]+)\b", text)
    after = match.group(1).split() if match else []
    # 'any trash bins': a plural among the words after 'any' (the noun may come after its modifiers)
    return bool(match) and not re.search(r"\b(?:a|an)\s", text) and any(
        singular(word) != word and word not in PLURALIA_TANTUM for word in after)


# 'both giraffes', 'both of the mugs': two of them ('both the cats and the dogs' joins two targets instead)
BOTH_OF = re.compile(r"\bboth (?=of |(?!(?:the|these|those|my|our|his|her|their) )(?:[a-z\-]+ ){0,2}[a-z]+s\b)")


def take_count(text: str, selection: Selection) -> tuple[Selection, str]:
    """A bare count ('3 of the geese', 'just one hamster', 'a single strawberry'); the kind stays as it is."""
    match = re.search(rf"(?<![\w'#])(?P<n>{NUMBER})(?P<of> of)?\b(?! (?:%|percent|times|o'clock|years?|months?|days?|"
                      rf"hours?|minutes?|seconds?|degrees?|meters?|metres?|inches?|feet|cm|mm|km)\b)", text)
    if match:
        word = match.group("n")
        rest = text[:match.start()] + " " + text[match.end():]
        following = text[match.end():].split()
        # 'one hamster' / 'one of the pens' count; 'the one on the right' / 'the left one' are a pronoun
        counted = word != "one" or match.group("of") or (
            bool(following) and following[0] not in CLOSED_CLASS and following[0] not in PREPOSITIONS)
        if not counted:
            return selection, rest  # 'the one on the right', 'the left one': a pronoun, no count
        value = number_value(word)
        if value and 1 <= value <= 1000:
            if selection.kind == "all" or value > 1:
                selection = Selection(selection.kind, value, selection.ordinal)
        return selection, rest
    if selection.kind == "all" and re.search(r"\b(?:just|only|any|random|randomly|pick|choose)\b", text) \
            and re.search(r"\b(?:a|an|any)\s+(?!lot\b|few\b|couple\b|bit\b)[a-z]", text) \
            and not _any_plural(text):
        return Selection("all", 1), text
    return selection, text


# ------------------------------------------------------------------------------------------------ relations
RELATIONS: list[tuple[str, str]] = [
    (r"\bwith (?:the |a |an |his |her |their |its )?(?P<a>.+?) in (?:her|his|their|its|the) (?:arms|hands?|mouth|paws?)\b",
     "holding"),
    (r"\b(?:holding|carrying|grasping|gripping|clutching|hugging|cradling|holds|carries)\b", "holding"),
    (r"\b(?:wearing|dressed in|clad in|wears|sporting)\b", "wearing"),
    (rf"\bin (?=(?:a |an |the |his |her |their )?(?:[a-z][a-z\-]* ){{0,3}}{CLOTHING}\b)", "wearing"),
    (r"\b(?:to the |on the )?left of\b", "left_of"),
    (r"\b(?:to the |on the )?right of\b", "right_of"),
    (r"\b(?:under(?:neath)?|below|beneath)\b", "below"),
    (r"\b(?:above|over|hanging over)\b(?!-)", "above"),
    (r"\b(?:next to|beside|by|near|close to|closest to|nearest(?: to)?|nearby|alongside|behind|in front of|"
     r"in the back of|at the back of)\b", "near"),
    (r"\b(?:on|at|to) the (?:far|other|near|opposite|back|front) (?:side|end|edge) of\b", "near"),
    (r"\b(?:riding|on top of|on|atop|upon|sitting on|standing on|lying on|resting on|placed on|parked on|"
     r"perched on)\b", "on"),
    (r"\b(?:inside|in|within|into)\b", "in"),
]


# 'the toaster beside it', 'the vase on it', 'the mouse to its right': the anchor is a thing named before, which
# `read_pieces` puts in its place (nothing named before: the relation cannot be read)
PRONOUN_ANCHOR = "<it>"
ANCHOR_PRONOUN = re.compile(r"^\s*(?:it|them|that|this|that one|this one|those|these|him|her)\s*$")
TO_ITS_SIDE = re.compile(r"\bto (?:its|their|the) (?P<side>left|right)(?: side| hand side)?\b")


def take_relation(text: str) -> tuple[str, tuple[str, str] | None, list[str]]:
    """(text before the relation, (type, anchor) or None, notes). The anchor is the noun phrase after the cue; a
    pronoun anchor is `PRONOUN_ANCHOR`."""
    side = TO_ITS_SIDE.search(text)
    if side and noun_phrase(text[:side.start()])[0] and not noun_phrase(text[side.end():])[0]:
        return text[:side.start()], (f"{side.group('side')}_of", PRONOUN_ANCHOR), []
    for pattern, kind in RELATIONS:
        for match in re.finditer(pattern, text):
            before, after = text[:match.start()], text[match.end():]
            if match.groupdict().get("a"):
                anchor, _, _ = noun_phrase(match.group("a"))
            else:
                anchor_text = re.split(r"\b(?:that|which|who|and|with|while|where)\b|,", after)[0]
                anchor, _, _ = noun_phrase(anchor_text)
                if not anchor and ANCHOR_PRONOUN.match(anchor_text) and noun_phrase(before)[0]:
                    return before, (kind, PRONOUN_ANCHOR), []
            head, _, _ = noun_phrase(before)
            if not anchor or not head:
                continue
            notes = ["'behind' / 'in front of' read as near"] if re.search(r"behind|front", match.group(0)) else []
            if kind == "in" and re.fullmatch(COLOURS, anchor):
                continue  # 'the kid in red' is no place
            if anchor in IMAGE_WORDS:
                continue  # 'in this photo' places the request, not the object
            return before, (kind, anchor), notes
    return text, None, []


# ------------------------------------------------------------------------------------------------ post-modifiers
def take_negative_post_modifier(text: str) -> tuple[str, list[str]]:
    """'who are not wearing helmets' / 'without cushions' / 'with no lid' -> exclusions '{head} wearing helmet'."""
    excluded: list[str] = []
    negative = re.search(r"\b(?:that|which|who)\s+(?:is|are|'s|'re|was|were)?\s*(?:not|n't|isn't|aren't|wasn't|"
                         r"weren't|don't|doesn't|do not|does not)\s+(?P<verb>wearing|having|have|has|holding|with|"
                         r"carrying)\s+(?P<x>.+)$|\b(?P<verb2>not wearing|without|with no|not holding|not carrying|"
                         r"lacking|missing)\s+(?P<x2>.+)$", text)
    if negative:
        verb = negative.group("verb") or negative.group("verb2")
        body = negative.group("x") or negative.group("x2")
        joiner = "wearing" if "wearing" in verb else "carrying" if "carrying" in verb else "holding" if "holding" in verb \
            else "with"
        obj, _, _ = noun_phrase(body)
        # 'without cracks', "that don't have bruises": a defect named as a noun is the state it leaves ('cracked')
        state = participle_of(obj) if joiner == "with" and obj and " " not in obj \
            and "NOUN" in lemmas(obj) and not is_noun_phrase_object(obj) else None
        state = state if state in curated_modifiers() else None  # a damage we name, not 'collared' or 'handled'
        if state:
            excluded.append(f"{state} {{head}}")
        elif obj:
            excluded.append(f"{{head}} {joiner} {obj}")
        text = text[:negative.start()]
        return text, excluded
    # 'every plant that isn't in a pot', 'the books not on the shelf': a place the clause denies is an exclusion of
    # the things in that place, not a relation of the ones meant
    place = re.search(r"(?:\b(?:that|which|who)\s+(?:isn't|aren't|is not|are not|'s not|'re not|are n't)|(?<![a-z])not)"
                      r"\s+(?P<cue>in|inside|on|under|near|next to|beside|by|above|below)\s+(?P<x>.+)$", text)
    anchor = noun_phrase(place.group("x"))[0] if place else ""
    if place and anchor:
        cue = "in" if place.group("cue") == "inside" else place.group("cue")
        excluded.append(f"{{head}} {cue} {anchor}")
        text = text[:place.start()]
    return text, excluded


RELATION_START = re.compile(r"^(?:holding|carrying|wearing|dressed|clad|sitting|standing|lying|resting|placed|parked|"
                            r"perched|hanging|riding|on|in|inside|under|underneath|below|beneath|above|over|next|"
                            r"beside|by|near|close|behind|to the|left of|right of|with|without|having|has|have|"
                            r"(?:not|n't) (?=wearing|holding|carrying|having|with\b))\b")


# verbs that only say where a thing is: a clause of one of them adds nothing to find
PLACEMENT_VERBS = frozenset("hangs hang sits sit stands stand lies lie floats float flies fly rests rest stays stay "
                            "is are grows grow".split())


def take_relative_clause(text: str) -> tuple[str, list[str]]:
    """'the woman who is holding the umbrella' -> 'the woman holding the umbrella' (a relation the grammar reads);
    'the pears that are bruised' stays for the post-modifiers; any other clause ('the food that tastes spicy',
    'the lens that is more suitable for ...') is left out, and the reading says so."""
    match = re.search(r"\b(?:that|which|who|whose)\b\s*(?P<aux>(?:is|are|was|were|'s|'re|has been|have been)\s+)?"
                      r"(?P<rest>.*)$", text)
    if not match:
        return text, []
    rest = match.group("rest")
    first = rest.split()[0] if rest.split() else ""
    if MADE_OF.match(text, match.start()):
        return text, []  # 'the vases that are made of glass': a material, which take_post_modifiers reads
    if RELATION_START.match(rest):
        return text[:match.start()] + " " + rest, []
    state_words = [w for w in rest.split() if w not in ("and", "or", "very", "slightly", "all")]
    if match.group("aux") and len(state_words) <= 2 and all(is_adjective(w) or is_participle(w) or w in ("not", "no")
                                                             for w in state_words):
        return text, []  # a state ('that are bruised'): take_post_modifiers reads it
    if rest.strip() in PLACEMENT_VERBS:
        return text[:match.start()], []  # 'the lantern that hangs (the lowest)': the selection was read already
    if re.match(r"(?:isn't|aren't|wasn't|weren't|not)\b", rest):
        return text, []
    if re.match(r"(?:the )?(?:highest|lowest|biggest|largest|smallest|furthest|farthest)\b", rest):
        return text[:match.start()] + " " + rest, []
    # 'the lantern that hangs the lowest', 'the one that sits furthest left': a verb of place and a superlative
    placed = re.match(r"[a-z]+ (?=(?:the )?(?:highest|lowest|furthest|farthest|closest|nearest|most)\b)", rest)
    if placed:
        return text[:match.start()] + " " + rest[placed.end():], []
    return text[:match.start()], [f"the clause '{match.group(0).strip()[:40]}' was left out"]


# 'made of glass', 'that are made out of plastic': the material, which SAM3's phrases say before the noun
MADE_OF = re.compile(rf"\s*\b(?:(?:that|which) (?:are|is|were|was) |(?:that|which)'(?:re|s) )?(?:made|built|crafted|"
                     rf"carved|moulded|molded|fashioned|cast) (?:entirely |mostly |completely |all )?(?:of|from|out of) "
                     rf"(?P<m>(?:{COLOURS} |clear |solid |recycled )?[a-z]+)\b")
MADE_OF_VERB = r"(?:made|built|crafted|carved|moulded|molded|fashioned|cast) (?:entirely |mostly |completely |all )?" \
               r"(?:of|from|out of)\b"
# the words that stand for the noun before a material clause ('excluding any made of glass')
MATERIAL_PRONOUN = re.compile(rf"\b(?:any|those|these|the ones|ones|the one|one|them|some)(?={MADE_OF.pattern})")


def material_before_noun(text: str) -> tuple[str, str | None]:
    """(text without its material clause, the material): 'bottles made of glass' -> ('bottles', 'glass')."""
    match = MADE_OF.search(text)
    if not match:
        return text, None
    return text[:match.start()] + " " + text[match.end():], match.group("m")


def take_post_modifiers(text: str) -> tuple[str, list[str], list[str], list[str]]:
    """Post-modifiers after the head: (text without them, modifiers for the phrase, exclusions with '{head}',
    notes). 'with cracks' / 'that are bruised' become 'cracked' / 'bruised' before the head; 'without X' and
    'that isn't X' become exclusions; any other relative clause is dropped and noted."""
    text, material = material_before_noun(text)
    text = re.sub(r"\b(that|which|who)'(s|re)\b", lambda m: f"{m.group(1)} {'is' if m.group(2) == 's' else 'are'}",
                  text)  # "the cat that's asleep": the clause's verb written out
    modifiers: list[str] = [material] if material else []
    excluded: list[str] = []
    notes: list[str] = []
    # 'every bird that isn't a crow': a kind the clause denies is an exclusion of that kind
    kind = re.search(r"\b(?:that|which|who)\s+(?:isn't|aren't|is not|are not|'s not|'re not)\s+(?:a|an)\s+"
                     r"(?P<k>[a-z][a-z \-]*?)\s*$", text)
    denied = noun_phrase(kind.group("k"))[0] if kind else ""
    if denied:
        excluded.append(denied)
        text = text[:kind.start()]
    state = re.search(r"\b(?:that|which|who)\s+(?:is|are|'s|'re|was|were|isn't|aren't|is not|are not|'s not|'re not|"
                      r"have not been|haven't been|hasn't been|has not been)\s+(?P<neg>not\s+)?(?P<x>[a-z\-]+)(?P<rest>.*)$", text)
    if state:
        negated = bool(state.group("neg")) or re.search(r"n't|not", state.group(0)[:state.start("x") - state.start()])
        word = state.group("x")
        if is_adjective(word) or is_participle(word):
            word = PLAIN_MODIFIERS.get(word, word)  # 'that's asleep': sleeping
            (excluded.append(f"{word} {{head}}") if negated else modifiers.append(word))
            rest = state.group("rest")
            # 'that isn't white or silver': each quality the clause denies is an exclusion of its own
            other = re.match(r"\s*,?\s*(?:or|nor)\s+(?P<y>[a-z\-]+)(?P<rest>.*)$", rest) if negated else None
            if other and (is_adjective(other.group("y")) or is_participle(other.group("y"))):
                excluded.append(f"{other.group('y')} {{head}}")
                rest = other.group("rest")
            text = text[:state.start()] + " " + rest
    having = re.search(r"\b(?:with|that have|that has|which have|which has|having)\s+(?:a |an |some |many |visible |"
                       r"small |big |deep )?(?P<x>[a-z]+)\b(?P<rest>.*)$", text)
    if having:
        state_word = participle_of(having.group("x")) if "ADJ" not in lemmas(having.group("x")) else None
        if state_word and not is_noun_phrase_object(having.group("x")):
            modifiers.append(state_word)
            text = text[:having.start()] + " " + having.group("rest")
    clause = re.search(r"\b(?:that|which|who|whose)\b(?P<rest>.*)$", text)
    if clause:
        notes.append(f"the clause '{clause.group(0).strip()[:40]}' was left out")
        text = text[:clause.start()]
    return text, modifiers, excluded, notes


def is_noun_phrase_object(word: str) -> bool:
    """'with hats' names an object (no state); 'with cracks' names a state."""
    return word in ("hat", "hats", "cap", "caps", "glasses", "helmet", "helmets", "flowers", "flower", "leaves")


# ------------------------------------------------------------------------------------------------ exclusions
EXCEPT = re.compile(r"\b(?:except(?: for)?|excluding|but not|other than|apart from|not including|save for|"
                    # ('the skipping rope' is a thing, no exclusion)
                    r"aside from|minus|with the exception of|(?:but )?(?:leave|leaving) out|(?:but )?(?:skip|skipping|"
                    r"ignore|ignoring|omit|omitting)(?! ropes?\b)|not counting|"
                    r"(?:but )?(?:don't|do not) (?:include|select|mark|"
                    r"count|take|want|need)|(?:(?<=, )|(?<=, just )|(?<=, but )|(?<=; ))"
                    r"not(?= (?:the|any|those|that|these)\b)|"
                    # 'every car without the parked ones': 'without' before the ones of a kind; 'no need for the …'
                    r"without(?= (?:the|any|those) (?:[a-z\-]+ )?ones?\b)|but leave(?= (?:the|any|those|these)\b)|"
                    r"(?:but )?no need (?:for|to (?:do|include|mark|"
                    r"select|get))|"
                    # 'mask the cat, no dogs', 'every cup, but no mugs': 'no' and a plural after the request
                    r"(?<=, )(?:but )?no(?= (?!(?:wait|thanks|thank|need|problem|worries|rush|idea|more)\b)[a-z]+"
                    r"(?: [a-z]+)?s\b))\b")
# 'the carrots but not the peeled ones, and the peeler too': another target after an exclusion (with 'too', 'also'
# or 'as well' said, and no 'ones' of the head)
ALSO_AFTER_EXCLUSION = re.compile(r"\s*,?\s*\b(?:and|plus)\s+(?:also\s+)?(?:the|a|an|all the)\s+"
                                  r"(?P<np>[a-z][a-z\- ]*?)(?<!\bones)(?<!\bone)\s*(?:too|as well)?\s*$")
QUANTIFIED_BUT = re.compile(r"\b(?:every|all|each|any)\b.*?(?P<but>\bbut\b)(?! also\b)")


def take_exclusion(text: str) -> tuple[str, list[str]]:
    """'all cars except the red one' -> ('all cars', ['red']); the fragments are completed by `fill_head`."""
    match = EXCEPT.search(text)
    if match:
        before, body = text[:match.start()], text[match.end():]
    else:
        quantified = QUANTIFIED_BUT.search(text)  # 'every balloon but the red one'
        if not quantified:
            return text, []
        before, body = text[:quantified.start("but")], text[quantified.end("but"):]
    # 'except the glass ones', 'but not the baby ones': the word before 'ones' says which of the head are meant
    body = re.sub(r"\b(?P<w>[a-z][a-z\-]*) ones?\b",
                  lambda m: m.group(0) if m.group("w") in CLOSED_CLASS else f"{m.group('w')} {{head}}", body)
    # 'leave out anyone with a backpack': 'anyone' stands for the head as 'those' does
    body = re.sub(r"\b(?:those|the ones|ones|the one|anyone|anybody|anything|that|which|who|is|are|'s|'re)\b", " ",
                  body)
    fragments = []
    for part in re.split(r",|\band\b|\bor\b|\bnor\b", body):
        # 'the ones that are still green': adverbs of time and degree say how, not which
        words = [w for w in re.findall(r"\{head\}|[a-z][a-z\-']*", part)
                 if w not in ("the", "a", "an", "one", "ones", "any", "still", "already", "completely", "totally",
                              "fully", "slightly", "really", "very", "kinda", "partly", "partially")]
        if words:
            fragments.append(" ".join(words))
    return before, fragments


def fill_head(excluded: list[str], head: str) -> list[str]:
    """Completes exclusion fragments with the head noun: 'red' -> 'red car'; 'sailboat' stays."""
    out = []
    head_last = head.split()[-1] if head else ""
    for item in excluded:
        rest, material = material_before_noun(item)
        if material:  # 'except bottles made of glass': the head (or the noun said) of that material
            item = f"{material} {rest.strip() or '{head}'}"
        said_noun = re.search(r"(?P<w>[a-z]+) \{head\}", item)
        if said_noun and head_last and (singular(said_noun.group("w")) == singular(head_last)
                                        or said_noun.group("w").endswith(head_last)):
            # 'except the paper bag ones': the kind of the head named whole, its 'ones' adds nothing; 'except the 篮球
            # ones' of balls: a basketball is a ball already
            item = item.replace(" {head}", "")
        if "{head}" in item:
            out.append(item.replace("{head}", head).strip())
            continue
        placed = re.match(r"(?P<cue>in|with|wearing|holding|carrying|pushing|pulling|riding|walking|using|on|under|"
                          r"near|beside|behind|above|below|by|next to|inside)\s+(?P<x>.+)$", item)
        if placed and head:  # 'the one in the yellow shirt': the head itself, placed so
            obj, _, _ = noun_phrase(placed.group("x"), keep_adjective_only=True)
            if obj:
                out.append(f"{head} {placed.group('cue')} {obj}")
                continue
        # 'any that are covered in mud', 'the ones stained with ink': a state the head is in, said with its cause
        stated = re.match(r"(?P<state>[a-z]+(?:ed|en))\s+(?P<prep>in|with|by|on)\s+(?P<x>.+)$", item)
        if stated and head and is_participle(stated.group("state")):
            obj, _, _ = noun_phrase(stated.group("x"), keep_adjective_only=True)
            if obj:
                out.append(f"{head} {stated.group('state')} {stated.group('prep')} {obj}")
                continue
        phrase, _, _ = noun_phrase(item, keep_adjective_only=True)
        words = phrase.split()
        if not words:
            continue
        last = re.sub(rf" in {COLOURS}$", "", phrase).split()[-1]
        said = item.split()[-1]
        # an adjective has no plural: 'except the squares' names squares, 'except the square one' a shape
        plural_noun = said != last and said.endswith("s") and is_noun(last)
        names_object = plural_noun or last in (head_last, singular(head_last)) or (
            not is_participle(last) and last not in _COLOUR_WORDS and (not is_adjective(last) or not is_known(last)
                                                                      or (is_noun(last) and "ADJ" not in lemmas(last))))
        if head and names_object:
            out.append(phrase)
        elif head:
            out.append(f"{phrase} {head}")
        else:
            out.append(phrase)
    return [o for o in out if o]


# ------------------------------------------------------------------------------------------------ noun phrases
# what holds or gathers something else: 'a bottle of water' is read as the phrase 'water bottle'
CONTAINERS = frozenset("""jar bottle cup glass bowl plate box bag basket can bucket pot tray carton packet slice mug loaf
bar stick roll sack crate tube jug pitcher vase bouquet tin pan bale bundle""".split())
CONTAINER_OF = re.compile(r"\b(?P<container>" + "|".join(sorted(CONTAINERS)) + r"|"
                          r"glasses|bottles|jars|cups|bowls|plates|boxes|bags|baskets|cans|slices|mugs|loaves)s? of "
                          r"(?:the |a |an |some |fresh )?(?P<content>[a-z]+)\b(?! of\b)")
PERSON_PRONOUNS = frozenset("everyone everybody anyone anybody someone somebody".split())
QUANTITY_NOUNS = frozenset("""group bunch pile stack set crowd herd flock pack row line collection number lot lots pair
couple kind type sort variety handful dozen piece pieces cluster heap team swarm school""".split())
# 'in this construction site photo': the picture named by what it shows, where to look and no place of the object
PICTURE_BY_SCENE = (r"\b(?:in|on|from|within) (?:this|that|my|our|your) (?:(?!of\b|with\b)[a-z]+[- ]){1,3}"
                    r"(?:picture|image|photo|photograph|pic|shot|screenshot|snapshot)s?\b|"
                    # 'in picture': the same, typed without its article
                    r"\b(?:in|within) (?:picture|image|photo|pic|img)\b|"
                    # 'for our museum catalogue' at the end: what the masks are for, never a place of the object
                    r"\bfor (?:my|our) [a-z]+(?: [a-z]+){0,2}(?=\s*(?:[?.!,;]|$))|"
                    # 'while you're at it': an aside
                    r"\bwhile (?:you'?re|you are|ur|u r) at it\b")
NOISE = re.compile(PICTURE_BY_SCENE + r"|"
                   r"\b(?:in|on|from|of|within) (?:this|the|that|these|my|our|your) (?:[a-z]+[- ]?up |wide |aerial |"
                   r"whole |entire |provided |given |attached |uploaded |input |following |current |above )?"
                   r"(?:picture|image|photo|photograph|pic|"
                   r"frame|scene|shot|figure|img|screenshot|video|view)s?\b|\b(?:separated? |cut out |isolated? )?"
                   r"from (?:the|its|their) (?:background|rest)\b|\b(?:in|using|as|with) (?:a |the )?(?:json|xml|"
                   r"coco|yolo|png) ?(?:format|file)?\b|\b(?:for me|for us|if you can|if possible|if you could|"
                   r"right now|asap|(?:thanks|thank you|thx|ty)(?: (?:so |very )?much| a lot| a ton| in advance)*|please|pls|plz|"
                   r"much appreciated|(?:i )?appreciate (?:it|that|this)|in advance)\b|"
                   r"\b(?:that |which )?(?:you|u) (?:can|could|might) (?:see|spot|find|make out|notice)\b|"
                   r"\bif (?:that'?s|that is|it'?s|it is) (?:possible|ok|okay|alright|not too much trouble)\b")


def noun_phrase(text: str, keep_adjective_only: bool = False) -> tuple[str, list[str], list[str]]:
    """(noun phrase, words that were dropped because they are no object words, notes) for the rest of a chunk.

    The head is the last noun; the words before it stay when they are modifiers (adjectives, participles, nouns
    of compounds), and everything else (verbs, pronouns, question words, jargon, function words) is dropped."""
    text = NOISE.sub(" ", text)
    # 'the jar of honey' -> 'honey jar', 'a slice of cake' -> 'cake slice': SAM3's phrases name the container so
    # 'a bouquet of flowers' -> 'flower bouquet': the content before its container, as a modifier (singular)
    text = CONTAINER_OF.sub(lambda m: f"{_as_modifier(m.group('content'))} {m.group('container')}", text)
    # 'the kid in red': SAM3's phrases say 'man in white'
    colour_clothes = re.search(rf"\b(?:dressed )?in (?:all )?(?P<c>{COLOURS})\b(?! (?:[a-z]+ )?{CLOTHING})", text)
    if colour_clothes:
        text = text[:colour_clothes.start()] + " " + text[colour_clothes.end():]
        phrase, dropped, notes = noun_phrase(text, keep_adjective_only)
        return (f"{phrase} in {colour_clothes.group('c')}" if phrase else ""), dropped, notes
    text = re.sub(r"\b(?:the )?(?:bbox|bounding box|mask|masks|segmentation|outline|position|location|coordinates?|"
                  r"contour|silhouette|region|area) (?:of|for)\b", " ", text)
    tokens = re.findall(r"[a-z][a-z\-']*|\d+", text)
    dropped: list[str] = []
    words: list[str] = []
    for index, token in enumerate(tokens):
        token = token.strip("'-")
        if not token:
            continue
        if token in PERSON_PRONOUNS:
            token = "person"  # 'everyone except the kid in white'
        if token in QUANTITY_NOUNS and index + 1 < len(tokens) and tokens[index + 1] == "of":
            words.append("|")  # 'a group of people' is people
            continue
        if token.endswith("'s") and len(token) > 2:
            token = token[:-2]  # possessive: "the dog's collar" -> "dog collar"
        if token in AUXILIARIES and words and words[-1] != "|" and is_noun(token):
            words.append(token)  # 'trash can', 'dented can': a noun after a modifier
            continue
        if token in CLOSED_CLASS or token in IMAGE_ONLY_WORDS or token.isdigit() or token in NUMBER_WORDS \
                or token in ORDINAL_WORDS:
            if token in CLOSED_CLASS and token not in DETERMINERS and token not in PREPOSITIONS \
                    and token not in ("and", "or", "please", "thanks", "one", "ones", "just", "only", "also", "too",
                                      "now", "actually", "then", "again", "so", "ok", "okay", "well"):
                dropped.append(token)
            words.append("|")  # a boundary: 'cat in picture' keeps no 'in'
            continue
        previous = tokens[index - 1] if index else ""
        following = tokens[index + 1] if index + 1 < len(tokens) else ""
        if token in STRICT_JARGON or (token in AMBIGUOUS_JARGON and (
                previous in STRICT_JARGON | {"output", "binary", "instance", "semantic", "its", "their", "json"}
                or following in ("of", "for", "format", "coordinates", "json") or not is_noun(token))):
            dropped.append(token)  # 'output segmentation mask', 'masks for the bananas' (not 'wearing a mask')
            words.append("|")
            continue
        if token in REQUEST_VERBS and not words and not is_noun(token):
            dropped.append(token)
            continue
        if is_bare_verb(token):
            dropped.append(token)
            words.append("|")
            continue
        words.append(token)
    # the noun phrase is the last run of content words ('pigeon | that's | highest' -> 'pigeon')
    runs = [run.split() for run in " ".join(words).split("|")]
    runs = [run for run in runs if run]
    if not runs:
        return "", dropped, []
    # the head comes first in English ('guy with white hat', 'giraffe with its head up'): the first run that has
    # a noun is the noun phrase; later runs are post-modifiers
    chosen = None
    for run in runs:
        if any(is_noun(w) or not is_known(w) for w in run) or keep_adjective_only:
            chosen = run
            break
    if chosen is not None and len(chosen) == 1 and "ADJ" in lemmas(chosen[0]) and not keep_adjective_only:
        later = [run for run in runs[runs.index(chosen) + 1:] if any(is_noun(w) and "ADJ" not in lemmas(w) for w in run)]
        chosen = later[0] if later else chosen  # 'big maybe hotdog': 'big' is no head
    if chosen is None:
        return "", dropped, []
    notes = []
    if len(runs) > 1:
        others = [" ".join(r) for r in runs if r is not chosen]
        notes.append("left out: " + ", ".join(others)[:60])
    # adverbs and participles after the head start a clause ('cat sleeping', 'lamp hanging', 'bike parked',
    # 'donuts segmented'), unlike the head of a compound SAM3 knows ('apartment building', 'cutting board')
    while len(chosen) > 1 and (set(lemmas(chosen[-1])) <= {"ADV", "VERB"} and "ADV" in lemmas(chosen[-1])
                               or trailing_participle(chosen[-2], chosen[-1])):
        chosen = chosen[:-1]
    # leading adverbs ('really big') go
    while len(chosen) > 1 and set(lemmas(chosen[0])) == {"ADV"}:
        chosen = chosen[1:]
    phrase = singular_phrase(" ".join(chosen))
    head = phrase.rsplit(" ", 1)[-1]
    if head in PLAIN_NOUNS and phrase not in saco_phrases():  # 'the guy' is a man; 'lady bug' stays
        phrase = (phrase[:-len(head)] + PLAIN_NOUNS[head]).strip()
    *modifiers, head = phrase.split() or [""]
    phrase = " ".join([*(PLAIN_MODIFIERS.get(word, word) for word in modifiers), head])
    return phrase, dropped, notes


def trailing_participle(previous: str, word: str) -> bool:
    if not is_participle(word) or f"{previous} {word}" in saco_phrases():
        return False
    if not is_noun(previous) and not is_participle(previous) and lemmas(previous):
        return False  # 'the red building': the participle is the head
    return word.endswith("ed") or head_frequency(word) < 3


# ------------------------------------------------------------------------------------------------ sentences
COORDINATION = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+&\s+|\s*\+\s*|\s+plus\s+|\s+as well as\s+|\s+along with\s+|"
                          r"\s+together with\s+|\s+or\s+")


# who owns what follows when the apostrophe is left out ('kids shoes', 'mens jackets'): never a list's first item
POSSESSORS_UNMARKED = frozenset("kids mens womens girls boys childrens ladies babies students players workers "
                                "dogs cats peoples".split())


def unmarked_list(piece: str) -> list[str]:
    """'forks knives': a list typed without its commas, where a plural noun stands right before another noun and the
    two make no phrase SAM3 knows ('sports cars' and 'glasses cases' stay one)."""
    words = piece.split()
    for index, (word, after) in enumerate(zip(words, words[1:])):
        if word in POSSESSORS_UNMARKED:
            continue  # 'the kids shoes': whose shoes, the apostrophe left out
        if re.fullmatch(r"[a-z]+", word) and singular(word) != word and word not in PLURALIA_TANTUM \
                and not word.endswith("ss") and is_noun(singular(word)) and is_noun(singular(after)) \
                and f"{word} {after}" not in saco_phrases() and f"{singular(word)} {singular(after)}" not in saco_phrases():
            return [" ".join(words[:index + 1]), *unmarked_list(" ".join(words[index + 1:]))]
    return [piece]


def split_targets(text: str) -> list[str]:
    """One chunk per target: 'the laptop, the mouse and the keyboard' -> three; 'black and white cat' stays one
    (a chunk with no noun joins the next)."""
    pieces = [p for p in COORDINATION.split(text) if p and p.strip()]
    if len(pieces) > 1:  # 'the forks knives and spoons': a list whose commas were left out
        pieces = [part for piece in pieces for part in unmarked_list(piece)]
    chunks: list[str] = []
    pending = ""
    for piece in pieces:
        combined = f"{pending} and {piece}".strip() if pending else piece
        words = re.findall(r"[a-z][a-z\-']*|\d+", piece)
        if not chunks and not pending and words and set(words) <= ACKNOWLEDGEMENT_EN:
            continue  # 'great, now the dog': thanks or praise before the request
        # 'ladies walking a dog, behind a bicycle' and 'food that tastes spicy and hot' are one target
        if chunks and not pending and words and (words[0] in PREPOSITIONS - {"plus"}
                                                 or (is_participle(words[0]) and head_frequency(words[0]) < 3
                                                     and not _participle_compound(words))
                                                 or re.search(r"\b(?:that|which|who)\b", chunks[-1])
                                                 or re.search(r"\bwith\b", chunks[-1])):
            chunks[-1] = f"{chunks[-1]} {piece}" if words[0] in PREPOSITIONS else f"{chunks[-1]} and {piece}"
            continue
        # 'i need the black and white soccer ball': the frame's verb of wanting is no noun of the list
        content = [w for w in words if w not in CLOSED_CLASS and w not in REQUEST_VERBS and w not in JARGON
                   and w not in WANT_VERBS]
        has_noun = any(is_noun(w) and not (is_adjective(w) and w in _COLOUR_WORDS) for w in content) \
            or any(not is_known(w) for w in content)
        # 'black and white cat' waits for its noun; 'the leftmost one and the plates' is a target of its own
        if not has_noun and content and words[-1] not in ("one", "ones") \
                and all(is_adjective(w) or w in _COLOUR_WORDS for w in content):
            pending = combined  # 'black and white cat': the colours wait for their noun
            continue
        chunks.append(combined)
        pending = ""
    if pending:
        chunks.append(pending)
    return chunks


# participles that take an object: after a comma they start a clause about the item before ('a man, wearing glasses')
_CLAUSE_PARTICIPLES = frozenset("""wearing holding carrying riding eating drinking using pushing pulling playing reading
walking watching hugging wielding sitting standing lying sleeping""".split())


def _participle_compound(words: list[str]) -> bool:
    """'hiking boots', 'sleeping bag', 'camping chair': a list's item that is a participle and a noun (or one SAM3
    knows as part of an object's name) is that object, not a clause about the item before ('a man, holding a
    cup', 'the dog, sleeping on the couch')."""
    if len(words) < 2:
        return False
    pair = f"{words[0]} {singular(words[1])}"
    if pair in saco_phrases() or saco_ending(pair):
        return True
    return len(words) == 2 and words[0] not in _CLAUSE_PARTICIPLES and is_noun(singular(words[1])) \
        and words[1] not in CLOSED_CLASS


_COLOUR_WORDS = frozenset(COLOURS.strip("(?:)").split("|"))
COLOUR_PAIR = re.compile(rf"\b({COLOURS}) and ({COLOURS})\b(?= [a-z])")
# the pairs that name one look of one thing (a cow, porcelain, a zebra crossing), never two sets of things
TWO_COLOUR_NAMES = frozenset({"black and white", "blue and white", "white and blue", "black and yellow",
                              "red and white", "white and red", "brown and white", "black and tan"})


def demonstrative_that(word: str, following: str) -> bool:
    """'mask that dog', 'grab that guy holding the kite': 'that' before a noun points at it; 'that are red' or
    'that is' opens a relative clause."""
    return word == "that" and following not in AUXILIARIES and not is_bare_verb(following) \
        and not following.endswith(("'s", "'re"))


def strip_frame(text: str) -> tuple[str, list[str]]:
    """Takes the politeness / want / question frame and the request verb off the front of a chunk."""
    text = re.sub(r"^(?:there (?:is|are|'s)|(?:the|this|that) (?:image|picture|photo|scene) (?:shows|contains|has|"
                  r"depicts|features)|(?:in|on) (?:the|this) (?:image|picture|photo),?)\s+", "", text.strip())
    words = text.split()
    dropped: list[str] = []
    while len(words) > 1:
        word = words[0]
        following = words[1]
        if word in ("that", "which", "who", "whose", "whom") and dropped and not demonstrative_that(word, following):
            break  # a relative clause after the frame stays for take_relative_clause
        if word in QUESTION_WORDS and not dropped:
            dropped.append(word)  # first, it is a question word ('which is the biggest melon?')
            words.pop(0)
            continue
        if word in PERSON_PRONOUNS and following not in AUXILIARIES | REQUEST_VERBS | WANT_VERBS:
            break  # 'mask someone holding an umbrella': the person is the object ('can anyone mark …' asks)
        if word in FRAME_WORDS and word not in DETERMINERS:
            dropped.append(word)
            words.pop(0)
            continue
        if word in DETERMINERS and following in ("of",):
            words.pop(0)
            continue
        if is_bare_verb(word) and word not in ("one",):
            dropped.append(word)
            words.pop(0)
            continue
        if not is_known(word) and following in DETERMINERS:
            dropped.append(word)  # 'gimme the ...', 'segmentate all ...': an unknown word before 'the' is a verb
            words.pop(0)
            continue
        break
    return " ".join(words), dropped


def read_chunk(chunk: str) -> Reading | None:
    """One target from one chunk of text."""
    reading = Reading()
    text, dropped = strip_frame(BOTH_OF.sub("two ", chunk, count=1))  # the frame would take 'both' as 'all'
    text = NOISE.sub(" ", text)  # 'in this close-up shot' places the request: no relation, no object
    # 'the black and white cat', 'blue and white porcelain vases': two colours of one thing before its noun
    pair = COLOUR_PAIR.search(text)
    if pair:
        text = text[:pair.start()] + f"{pair.group(1)}-and-{pair.group(2)}" + text[pair.end():]
        if f"{pair.group(1)} and {pair.group(2)}" not in TWO_COLOUR_NAMES:
            reading.unsure.append("two colours before one noun, read as one thing of both colours")
    text, excluded = take_exclusion(text)
    text, excluded_negative = take_negative_post_modifier(text)
    excluded += excluded_negative
    selection, text, notes = take_selection(text)
    reading.unsure.extend(notes)
    selection, text = take_count(text, selection)
    text, clause_notes = take_relative_clause(text)
    reading.unsure.extend(clause_notes)
    text, relation, notes = take_relation(text)
    reading.unsure.extend(notes)
    text, modifiers, excluded_post, notes = take_post_modifiers(text)
    reading.unsure.extend(notes)
    phrase, dropped_words, notes = noun_phrase(text)
    reading.unsure.extend(notes)
    if modifiers and phrase:
        phrase = " ".join(dict.fromkeys(modifiers + phrase.split()))
    phrase = phrase.replace("-and-", " and ")  # the two colours of one thing, as the user wrote them
    if not phrase and selection.kind == "all" and selection.count is None and not excluded:
        return None
    reading.phrase = phrase
    reading.selection = selection
    reading.relation = relation
    reading.exclude = fill_head(excluded + excluded_post, phrase) if phrase else []
    # 'which cow is furthest to the right': the copula of the question the selection answers is read with it
    copula = {"is", "are", "was", "were", "'s"} if (set(dropped_words) | set(dropped)) & {
        "which", "what", "who", "whichever", "whatever"} else set()
    bad = [w for w in dropped_words if (w in QUESTION_WORDS or w in JARGON or is_bare_verb(w)) and w not in copula]
    if bad:
        reading.unsure.append("words left out: " + " ".join(bad[:6]))
    if phrase and not all(is_known(w) for w in phrase.split()):
        unknown = [w for w in phrase.split() if not is_known(w)]
        reading.unsure.append("unknown words: " + " ".join(unknown[:4]))
    return reading


# 'draw a box around', 'put circles round', 'make a mask of': the mark to draw is the request, not an object
DRAWN_MARK = re.compile(r"\b(?:draw|put|place|make|add|create|sketch|trace|paint|stick|give me)\s+(?:a\s+|an\s+|the\s+)?(?:bounding\s+|tight\s+|"
                        r"red\s+|green\s+)?(?:box|boxes|circle|circles|rectangle|rectangles|outline|outlines|border|"
                        r"borders|line|lines|mask|masks|contour|contours|frame|frames|polygon|polygons)\s+"
                        r"(?:around|round|over|on|onto|for|of|about)\b")


# 'Task: …', 'Instruction: …': how another program labels its request, not part of it
TASK_LABEL = re.compile(rf"^\s*(?:{'|'.join(sorted(TASK_LABELS))})\s*:\s*")
# 'doesn't matter which', 'any will do', 'whichever': the user leaves the choice to us, which `select` already says
INDIFFERENCE = re.compile(r"\b(?:it )?(?:does(?:n't| not)|don't|do not) matter(?: (?:which|what)(?: ones?)?)?\b|"
                          r"\b(?:i )?(?:don't|do not) care (?:which|what)(?: ones?)?\b|"
                          r"\b(?:any|either)(?: ones?| of (?:them|those|these)| (?:\d+|two|three|four|five|six|seven|eight|"
                          r"nine|ten)(?: of (?:them|those|these))?)? (?:will do|is fine|are fine|works|is ok|is okay)\b|"
                          # 'segment cupcakes, three is enough': a count, then that it suffices
                          r"(?:" + "|".join(f"(?<=\\b{n})" for n in "two three four five six seven eight nine ten".split())
                          + r"|(?<=\d))(?:'s| is| are| should be| would be) (?:enough|plenty|fine|ok|okay)\b")


# 'I'm building a wildflower dataset, so I'd like masks for …': who asks and why, said before the request
CONTEXT_CLAUSE = re.compile(r"^(?:(?:hi|hello|hey|ok|okay|so|alright|well|anyway|right)\b[!,.]*\s*)*(?:i'?m|i am|we'?re|we are|i'?ve been|we'?ve been|"
                            r"i have been|we have been|i was|"
                            r"we were|i work|we work|working on|for (?:my|our) \w+|"
                            # 'took this at my kid's birthday party, …': where the picture was taken
                            r"(?:i |we )?(?:took|shot|snapped) (?:this|these|it)(?: (?:photo|pic|picture|one))?)\b"
                            r"[^,;.!?]*?(?:[,;.]|\s-|"
                            # '… glassware and i'd like every beaker masked': the request joined by 'and'
                            r"\s+and(?=\s+(?:i'?d like|i would like|i want|i need|we'?d like|we need|could you|"
                            r"can you|please|i was wondering|i'?m wondering|i am wondering|i was hoping|i'?m hoping|"
                            r"i am hoping)\b))\s*"
                            r"(?:so\s+|and\s+|therefore\s+|hence\s+)?(?=\S)")


# how people type without an apostrophe or in shorthand ('isnt', 'thats', 'w/o'): read as the words they stand for
CONTRACTION_WITHOUT_APOSTROPHE = re.compile(
    r"\b(is|are|was|were|do|does|did|has|have|had|ca|wo|could|would|should)nt\b|\b(that|there|what|who)s\b")
# function words typed with two letters swapped or dropped ('teh', 'adn'): no object is spelt so
FUNCTION_WORD_TYPOS = {"teh": "the", "hte": "the", "th": "the", "adn": "and", "nad": "and", "fo": "of", "taht": "that",
                       "thier": "their", "wiht": "with", "whit": "with", "ot": "to", "fro": "for", "tho": "", "tbh": "",
                       "u": "you", "ur": "your", "ppl": "people", "cn": "can", "cud": "could", "pls": "please",
                       "waht": "what", "wat": "what", "hwo": "how", "whihc": "which"}
# another program's label before its request: 'AGENT REQUEST (from planner-7):', 'User query:'
REQUEST_LABEL = re.compile(rf"^\s*(?:[a-z][a-z0-9_-]*\s+){{0,2}}(?:{'|'.join(sorted(TASK_LABELS))})\s*(?:\([^)]{{0,60}}\))?"
                           r"\s*:\s*", re.IGNORECASE)


# 'QC for the recycling line: segment the dented cans', 'festival photo - segment the lantern': what the picture is
# for, said before a colon or a dash, and then the request
LEAD_IN = re.compile(r"^(?P<lead>[^:;\n]{2,80}?)\s*(?::|\s[-–—]{1,2}\s)\s*(?P<rest>\S.*)$", re.DOTALL)
REQUEST_START = re.compile(r"(?i)(?:(?:please|pls|plz|kindly|can you|could you|would you|can u|now|just|then|so)\s+)*"
                           r"(?:segment|select|mask|highlight|outline|mark|find|cut out|cut|circle|isolate|pick|grab|"
                           r"detect|locate|extract|trace|label|annotate|identify|give me|get me|show me|box|"
                           # a verb of marking that inspection labels use ('QC: flag every dented can')
                           r"flag|tag|spot|underline|encircle)\b")
# 'cause those go to compost', 'because they're for the report': why the user wants it, never what to find
REASON_CLAUSE = re.compile(r"(?i)\s*,?\s*\b(?:(?:because|'?cause|cuz|coz|since)\s+(?:those|these|they|them|it|it's|its|"
                           r"that|this|i|i'm|we|we're|you|he|she|the|my|our)|(?:so that|so)\s+(?:i|we|you|he|she|they)"
                           r"\s+(?:can|could|may|might|will|would)\b)[^,.;!?]*")
# 'nope wrong one, i meant …', 'same as before but …': a correction or a reference to the last answer before the
# request; the request itself says what changes
_WRONG = (r"(?:no|nope|nah|oops|sorry|wrong(?: one| ones)?|not (?:that|this|those|these)(?: one| ones)?|"
          r"that'?s (?:wrong|not it|not right|not what i meant)|"
          # 'no wait, …', 'ugh that's too many, …': a pause or a complaint about the last answer before the change
          r"wait|hold on|hang on|ugh+|argh+|hmm+|(?:that'?s |that is |way )?too (?:many|much|few))")
CORRECTION = re.compile(rf"(?i)^(?:{_WRONG}[\s,.!]+)*{_WRONG}\s*[,.!]+\s*(?:i (?:meant|mean|wanted)\s+)?|"
                        r"^i (?:meant|mean)\s+|"
                        r"^(?:(?:the )?same (?:as|like) (?:before|last time|earlier|previously|the last one)|"
                        r"like before|as before)\s*,?\s*(?:but\s+)?")


# 'drone shot, mask …', 'kitchen photo, segment …', 'on this scanned contract, select …': the picture (or the document
# pictured) named by what it shows, then a comma and the request
DOCUMENT_WORDS = frozenset("""document doc contract page form receipt invoice scan letter sheet slide poster drawing
sketch map chart painting illustration comic manuscript certificate report paper worksheet blueprint xray x-ray""".split())
# the picture's source: a camera and what it records ('warehouse cam 3, …', 'dashcam still, …')
SOURCE_WORDS = frozenset("cam camera feed footage cctv webcam dashcam bodycam livestream stream recording capture".split())
_PICTURE_WORDS = "|".join(sorted(IMAGE_WORDS | DOCUMENT_WORDS | SOURCE_WORDS | {"snapshot", "snap", "selfie"}))
SCENE_LEAD_IN = re.compile(rf"^(?P<lead>[^,:;\n]{{0,60}}?\b(?:{_PICTURE_WORDS})s?(?:\s*#?\d{{1,4}}[a-z]?)?"
                           # 'family pic from sunday, …', 'photo taken at the fair, …': the picture with a qualifier
                           r"(?:\s+(?:from|of|at|taken|shot|on)\b[^,:;\n]{1,40}?)?)\s*,\s*"
                           r"(?P<rest>\S.*)$",
                           re.DOTALL | re.IGNORECASE)


def drop_lead_in(text: str) -> str:
    """The request without what was said before a colon or a dash (or before a comma, when that names the picture),
    when the lead names no request and the request after it names its own object ('the cats: segment them' keeps
    its cats)."""
    match = LEAD_IN.match(text) or SCENE_LEAD_IN.match(text)
    if not match or re.search(r"[\u3400-\u9fff]", match.group("lead")):
        return text
    lead_words = set(re.findall(r"[a-z]+", match.group("lead").lower()))
    rest = match.group("rest")
    start = REQUEST_START.match(rest)
    if lead_words & REQUEST_VERBS or not start:
        return text
    named = [w for w in re.findall(r"[a-z]+", rest[start.end():].lower())
             if w not in CLOSED_CLASS and w not in ("them", "it", "those", "these", "all", "one", "ones")]
    # 'the cats: segment them': the lead names what the request points at
    return rest if named else f"{rest[:start.end()]} {match.group('lead')}"


PSEUDO_CLEFT = re.compile(r"(?i)\bwhat (i|we) (need|want|would like|'d like|am looking for|'m looking for)"
                          r"(?: (?:is|are)|'s)\b")


# 'would you mind outlining …': the request verb as a gerund after the polite frame
MIND_GERUND = re.compile(r"(?i)\b(?:would|do|could) (?:you|u) mind (?P<verb>[a-z]+ing)\b")


def _mind_gerund(match: re.Match) -> str:
    verb = match.group("verb").lower()
    lemma = next(iter(lemmas(verb).get("VERB", ())), "")
    return f"please {lemma}" if lemma in REQUEST_VERBS else match.group(0)


# 'yo mask my skateboard real quick lol': a slang greeting before the request, a laugh after it and 'real quick'
# say how the user talks, never what to find ('lol this pic is funny' alone stays chatter: something must remain)
SLANG_GREETING = re.compile(r"(?i)^\s*(?:yo+|sup|oi|ay+|heya|yo yo)\b[\s!,.]*(?=\S)")
# 'gg lol select …', 'omg ngl mask …': interjections before a request (alone, 'lol look at my dog' stays chatter)
INTERJECTION_LEAD = re.compile(r"(?i)^\s*(?:(?:gg|lol|lmao|lmfao|omg|bruh|tbh|ngl|fr|welp|smh|idk)\b[\s!,.]*)+(?=\S)")
# 'in my screenshot select …': where to look said first, then the request verb
PICTURE_FIRST = re.compile(rf"(?i)^\s*(?:in|on|from|within)\s+(?:this|that|my|our|your|the)\s+(?:[a-z]+\s+)?"
                           rf"(?:{_PICTURE_WORDS})s?\s*[,:]?\s+(?={REQUEST_START.pattern[4:]})")
TRAILING_LAUGH = re.compile(r"(?i)(?<=[a-z0-9])[\s,!.]*\b(?:lol|lmao|lmfao|rofl|haha+|hehe+|xd)\b[\s!.]*$")
HURRY = re.compile(r"(?i)\b(?:real|right|super|really) quick(?:ly)?\b|\b(?:asap|rn)\b")


def drop_slang(text: str) -> str:
    text = SLANG_GREETING.sub("", text, count=1)
    rest = PICTURE_FIRST.sub("", INTERJECTION_LEAD.sub("", text, count=1), count=1)
    if REQUEST_START.match(rest):
        text = rest
    return HURRY.sub(" ", TRAILING_LAUGH.sub("", text))


# 'you picked up the chairs too, take those out': what the last answer held, then a follow-up that points at it by
# a pronoun; the pronoun is the thing named ('take out the chairs')
ANSWER_RECALLED = re.compile(r"(?i)^(?:(?:hey|oops|hmm+|um+|ok|okay|so|but|uh+|wait)[,!. ]+)*(?:you|u) (?:also |"
                             r"accidentally |wrongly |mistakenly )?(?:picked up|picked|selected|got|grabbed|included|"
                             r"caught|masked|marked|found|segmented|highlighted|outlined|chose|took|boxed)\s+"
                             r"(?P<obj>[^,.;!]+?)(?:\s+(?:too|as well|also|by mistake|by accident))?\s*[,.;!]+\s*"
                             r"(?P<rest>.*\b(?:those|them|these|it|they)\b.*)$")
# 'take those out', 'leave the lids out': the particle of a separable verb after its object, put back next to it
SEPARATED_PARTICLE = re.compile(r"(?i)\b(take|leave|throw|get|cut) (those|them|these|it|that|the [a-z]+(?: [a-z]+)?) "
                                r"(out|away)\b")


# 'take the bruised pears out of the selection', 'remove the red cups from the results': where a follow-up takes them
# from is the last answer, which the follow-up already means
OUT_OF_ANSWER = re.compile(r"(?i)\b(?P<verb>take|remove|drop|delete|get|cut|throw|leave|pull|exclude|deselect|subtract)"
                           r"\b(?P<obj>[^,.;!?]{1,60}?)\s+(?:out of|from|off)\s+(?:the |my |your |this |that |our )?"
                           r"(?:current |last |previous |existing )?(?:selection|selections|results?|answer|masks?|"
                           r"set|list|picks)\b")


def _out_of_answer(match: re.Match) -> str:
    verb = match.group("verb").lower()
    return f"{match.group('verb')}{match.group('obj')}" + (" out" if verb in ("take", "get", "pull", "throw", "cut")
                                                           else "")


def recall_answer(text: str) -> str:
    match = ANSWER_RECALLED.match(text)
    if match:
        text = re.sub(r"(?i)\b(?:those|them|these|it|they)\b", match.group("obj"), match.group("rest"), count=1)
    return SEPARATED_PARTICLE.sub(r"\1 \3 \2", text)


# 'in this one from the park yesterday, could you …': 'this one' before a comma, with where or when it was taken,
# is the picture among the user's pictures, never an object
THIS_ONE_LEAD = re.compile(r"(?i)^\s*(?:and |ok |okay |so )?(?:in|on|for) (?:this|that) one(?: (?:from|of|at|taken|we took|i took)"
                           r"\b[^,;:]{0,50})?\s*[,;:]\s*(?=\S)")
# '[cam07] all the vans …', '【监控】…': a bracketed tag before the request names the picture's source, never an object
SOURCE_TAG = re.compile(r"^\s*[\[【(（][^\]】)）\n]{1,30}[\]】)）]\s*[:：,，\-–—]?\s*(?=\S)")
# 'need masks on every forklift', 'i want outlines for the cats': the answer's form with a preposition is the request
WANTED_MARKS_ON = re.compile(r"(?i)\b(?:(?:i|we)\s+)?(?:need|want|would like|'d like)\s+(?:a\s+|the\s+|some\s+)?"
                             r"(?:(?:instance|segmentation|binary|separate)\s+)?(?:masks?|outlines?|segmentations?|"
                             r"cut-?outs?|bounding boxes|bboxes|boxes)\s+(?:on|for|of|around|over)\b")
# 'for the claim file I need …': what the masks are for, said before the need
PURPOSE_BEFORE_NEED = re.compile(r"(?i)^\s*for (?:the|my|our|this|a|an|your) [a-z' -]{1,40}?,?\s+"
                                 r"(?=(?:i|we) (?:need|want|would like|'d like)\b)")
# 'I need the dented car door masked', 'we want every bottle outlined': the thing wanted, then what to do to it
NEEDED_DONE = re.compile(r"(?i)\b(?P<want>(?:(?:i|we)\s*)?(?:need|want|would like|'d like))\s+"
                         r"(?P<obj>(?:the|all|every|each|those|these|my|our|a|an|some|both|any)\b[^,.;!?]{1,60}?)\s+"
                         r"(?:masked|outlined|segmented|cut out|highlighted|selected|marked|circled|boxed|traced|"
                         r"isolated|extracted|labell?ed|annotated)(?:\s+out)?\b")
def split_sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[\w'])\s*[.!?;]+(?:\s+|$)", text.strip(" .!?;")) if s.strip()]


def request_sentences(text: str) -> list[str]:
    """The sentences that hold the request. A sentence made only of output requests ('Please output segmentation
    mask.') carries no target; one that only counts ('I need 4 of them') counts the target before it; sentences
    that name things before the first one that asks for something tell where the picture comes from ('These are
    from my sister's brunch. I'd like masks on the chipped mugs.')."""
    sentences = split_sentences(text)
    useful = [s for s in sentences if noun_phrase(strip_frame(NOISE.sub(" ", s))[0])[0]
              or re.search(rf"(?<![\w'#]){NUMBER} of (?:them|those|these)\b", s)] or sentences[:1]
    # only what comes before the first sentence that asks is context; later sentences add to the request ('Segment
    # the dog. Also the cat.')
    first = next((i for i, s in enumerate(useful) if ASKING_SENTENCE.search(s) and _names_an_object(s)), 0)
    return useful[first:]


def _names_an_object(sentence: str) -> bool:
    """Whether a sentence names a thing to find ('Give me three masks.' names only the answer's form)."""
    phrase = noun_phrase(strip_frame(NOISE.sub(" ", sentence))[0])[0]
    return bool(phrase) and phrase.split()[-1] not in ANSWER_FORM_NOUNS


# the answer's forms, which a sentence may ask for without naming what to find
ANSWER_FORM_NOUNS = frozenset({"mask", "masks", "box", "boxes", "outline", "outlines", "segmentation", "cutout",
                               "bbox", "polygon", "contour"})
# '…, two separate masks' after two targets: how many masks, which the targets already say ('the ducks, 2 separate
# outlines' counts the ducks)
SEPARATE_MASKS = re.compile(r"(?i)\s*,?\s*(?:as )?(?:\d+|two|three|four|five)? ?(?:separate|individual|distinct) "
                            r"(?:masks|outlines|segmentations|cutouts)\b")
ASKING_SENTENCE = re.compile(r"\b(?:segment|select|mask|masks|outline|highlight|cut|circle|mark|find|pick|grab|"
                             r"isolate|box|label|detect|extract|give me|i'?d like|i would like|i need|i want|can you|"
                             r"could you|please)\b")
JUST_THE_KIND = re.compile(r"(?i)^(?P<pre>.*?\b(?:the|all the|all|every)\s+)(?P<x>[a-z][a-z \-]*?)\s*(?:—|–|--|,|;)\s*"
                           r"(?:but\s+)?(?:just|only)\s+the\s+(?P<q>[a-z\-]+)\s+ones?\b(?:\s+though|\s+please|\s+pls)?"
                           r"\s*[.!]*\s*$")
# "I'm looking for the steel kettle, can you cut it out?": the object named in a clause of its own, then the request
# with only a pronoun for it
NAMED_THEN_PRONOUN = re.compile(r"(?i)^\s*(?:i'?m|i am|we'?re|we are) "
                                r"(?:looking for|trying to find|searching for|after)\s+"
                                r"(?P<x>[^,.;!?]{2,60}?)\s*[,.;]\s*(?P<ask>(?:(?:please|pls|so)\s+)?"
                                r"(?:(?:can|could|would) (?:you|u)\s+)?(?:please\s+)?"
                                r"(?P<verb>segment|select|mask|outline|highlight|cut|find|"
                                r"mark|circle|isolate|pick|grab|box))\s+(?:it|them|that|those|these)(?P<out>\s+out)?\b")
# 'birds all select please': the object first, then 'all' and the request verb (a word order of Chinese)
OBJECT_FIRST = re.compile(r"(?i)^\s*(?:the\s+)?(?P<x>[a-z][a-z -]{1,30}?)\s+(?:all|every one|each)\s+"
                          r"(?P<verb>select|mask|segment|highlight|outline|circle|mark|find|cut out|box)"
                          r"(?=\s*(?:please|pls|plz)?\s*(?:[,.!]|$))")
# 'birds all select please, pigeons no need': an exclusion said as the thing, then that it is not wanted
UNWANTED_AFTER = re.compile(r"(?i)\s*,\s*(?:but\s+)?(?:the\s+)?(?P<x>[a-z][a-z -]{0,30}?)\s+(?:no need|not need(?:ed)?|"
                            r"no want|(?:i |we )?(?:don'?t|do not|dont) (?:want|need)(?: (?:them|those|it))?)\b"
                            r"(?:\s*(?:please|pls|plz))?\s*(?=$|[.!,;])")
# 'would you be so kind as to segment …', 'would you be kind enough to …': an elaborate 'please'
POLITE_FRAME = re.compile(r"(?i)\b(?:would|could|will|can)\s+(?:you|u)\s+(?:please\s+)?be\s+(?:so\s+kind|kind enough|"
                          r"so\s+good|good enough|a dear|an angel)\s+(?:as\s+)?(?:to\s+)?|"
                          r"\b(?:i'?d|i would|we'?d|we would)\s+(?:be\s+)?(?:really\s+|very\s+|so\s+)?(?:grateful|thankful)\s+"
                          r"if\s+(?:you|u)\s+(?:could|would|can)\s+")
# "there's like ten chickens in here, I only need four of them masked": how many there are, said as context, then how
# many of them are wanted; the noun of the first clause is what the count of the second takes
_EXISTING = (rf"^\s*(?:(?:ok|okay|so|well|hmm|um)[, ]+)*there(?:'s|'re| is| are)\s+(?:like\s+|about\s+|around\s+|"
             rf"roughly\s+|maybe\s+|approximately\s+|at least\s+|exactly\s+|some\s+)?{NUMBER}\s+"
             r"(?P<noun>[a-z][a-z\- ]{1,40}?)(?:\s+(?:in here|here|in there|there|in (?:the|this|that) (?:picture|photo|"
             r"image|pic|shot|frame|scene|one)))?\s*[,;.]\s*")
COUNT_AS_CONTEXT = re.compile(_EXISTING + rf"(?P<rest>.*?(?<![\w'#])(?P<n>{NUMBER}) of (?:them|those|these|'em)\b.*)$",
                              re.IGNORECASE | re.DOTALL)


def _count_as_context(match: re.Match) -> str:
    rest, start = match.group("rest"), match.start("n") - match.start("rest")
    end = match.end("n") - match.start("rest")
    after = re.match(r" of (?:them|those|these|'em)\b", rest[end:])
    return f"{rest[:start]}{match.group('n')} {match.group('noun')}{rest[end + after.end():]}"


# a clause of the story told around the request: a subject of its own and its verb ('I run a little shop',
# 'the light was terrible', 'then I'll crop them myself')
NARRATIVE_EN = re.compile(r"(?i)^\s*(?:(?:ok|okay|so|and|but|then|well|anyway|also|um+|uh+|btw|[a-z]+ly)[,\s]+)*(?:(?:i|we|i'm|im|i've|"
                          r"ive|we're|i'll|ill|we'll|i'd|it|it's|its|they|he|she|my [a-z]+|the [a-z]+)\s+(?:[a-z']+\s+)?"
                          r"(?:am|is|are|was|were|run|runs|ran|have|has|had|do|did|doing|going|gonna|will|can|crop|took|"
                          r"take|make|made|got|work|love|like|want to post|need to post|sell|selling|shoot|shot|"
                          r"[a-z]+ed|[a-z]+ing)\b|(?:i'?ll|we'?ll|i will|we will|i'?m going to|i'?m gonna)\s+[a-z]+|"
                          r"but whatever|whatever|anyway)")


# 'mask the dog on the left, um, yeah the left one': a filler, then the request said again in part
RESTATED_EN = re.compile(r"(?i)^(?P<head>.+?)\s*,\s*(?:(?:um+|uh+|er+|erm|hmm+)\s*,?\s*)?(?:yeah|yes|yep|i mean|like|so)"
                         r"\s*,?\s+(?P<x>[a-z' ]{1,40}?)\s*[.!]*$")


def drop_restatement(text: str) -> str:
    match = RESTATED_EN.match(text.strip())
    if not match:
        return text
    said = [w for w in match.group("x").lower().split() if w not in ("the", "one", "ones", "that", "this", "those",
                                                                       "these", "a", "an", "just")]
    head = set(re.findall(r"[a-z']+", match.group("head").lower()))
    return match.group("head") if said and all(w in head for w in said) else text


def drop_narrative_clauses(text: str) -> str:
    """With one comma clause that starts with the request ('could you segment the teapots'), the story told before
    and after it goes ('I run a little ceramics shop, the light was terrible, …, then I'll crop them myself'); a list of
    nouns before a request verb stays ('the red car, the blue car, mask them')."""
    clauses = re.split(r"\s*[,;]\s*|(?<=[a-z])[.!?]+\s+", text)
    starts = [i for i, c in enumerate(clauses) if REQUEST_START.match(re.sub(r"(?i)^\s*(?:(?:ok|okay|so|and|but|then|"
                                                                             r"well|anyway|also)\s+)*", "", c))]
    if len(clauses) < 2 or len(starts) != 1:
        return text
    request = clauses[starts[0]]
    start = REQUEST_START.search(request)
    named = [w for w in re.findall(r"[a-z]+", request[start.end():].lower()) if w not in CLOSED_CLASS
             and w not in ("them", "it", "those", "these", "all", "one", "ones", "both", "me", "for")]
    if not named:
        return text  # 'the cat sitting on the mat, the dog, mask them': the clauses before name what it points at
    if len(clauses) == 2 and not any({"NOUN"} <= set(lemmas(w)) and "ADJ" not in lemmas(w) for w in named):
        # 'the dogs are running, mask the brown one': a story of one clause stays when the request names no noun
        return text
    kept = [c for i, c in enumerate(clauses) if i == starts[0] or not NARRATIVE_EN.match(c)]
    if len(kept) == len(clauses):
        return text
    # 'the light was bad, but please mask the cups': the conjunction joined the request to the story that went
    return ", ".join(kept[:1] and [re.sub(r"(?i)^\s*(?:(?:but|so|and|then|anyway)\s+)+", "", kept[0])] + kept[1:])


LATER_PURPOSE = re.compile(r"(?i)(?:(?<=[.!?,;])\s*|\s+(?=so\b)|^)"
                           r"(?:i(?:'ll| will| want to| wanna| need to|'m going to| am going to| plan to)|"
                           r"so (?:that )?i can)\s+[^.?!]*?\b(?:later|afterwards?|myself)\b"
                           r"[^.?!]*[.?!]?")


def expand_shorthand(text: str) -> str:
    """The words a user typed in shorthand, written out, before anything reads the text: 'w/o' is 'without',
    'isnt' is "isn't", 'every single' is 'every' (not a count of one); another program's label goes, and so do a
    lead-in before a colon, a correction's preamble and the reasons given."""
    # 'wich kite is flying lowest?': 'which' typed short
    text = re.sub(r"(?i)\bwich\b", "which", text)
    # 'the biggest truck and the tiniest one, two separate masks': how many masks, which the targets already say
    text = SEPARATE_MASKS.sub(lambda m: "" if re.search(r"\band\b", text[:m.start()]) else m.group(0), text)
    # 'the biggest box in the warehouse shot', 'every hard hat on the construction site': the picture named by its
    # scene, or the scene itself, is where everything is, no place of the one meant
    text = re.sub(r"(?i)\s*\b(?:in|on|from) (?:the|this|that|my|our) (?:[a-z]+ ){0,2}"
                  r"(?:shot|snap|snapshot|pic|photo)\b", "", text)
    text = re.sub(r"(?i)\s*\b(?:on|at|in) (?:the|this) (?:construction|building|work) site\b"
                  r"(?! (?:photo|picture|image|shot|pic|snap)s?\b)|\s*\bon site\b", "", text)
    # 'the spoon nex to the cutting board': 'next' with its last letter dropped
    text = re.sub(r"(?i)\bnex(?= to\b)", "next", text)
    # 'the three bottom-most plates in the stack': the stack, pile or row the objects make is where they are counted,
    # no other object
    text = re.sub(r"(?i)\s*\b(?:in|on|of|from) the (?:stack|pile|heap|row|line|column)(?=\s*[.!?,]*\s*$)", "", text)
    # 'every brown horse in the field', 'every red kickball on the playground': open ground the whole picture shows,
    # said at the end, is the scene everything is in (a pier, a shelf, a table are things that hold others)
    text = re.sub(r"(?i)\s*\b(?:on|at|in) the (?:field|playground|road|shore|meadow|pasture|lawn|sky)"
                  r"(?=\s*[.!?]*\s*$)", "", text)
    # 'the sunflowers in this field', 'the cracked pots on this balcony': a place said with 'this' at the end of the
    # request is the one the picture shows, where everything is
    text = re.sub(r"(?i)\s*\b(?:on|at|in) this (?:[a-z]+ )?(?P<place>[a-z]+)(?=\s*[.!?]*\s*$)",
                  lambda m: "" if is_noun(m.group("place").lower()) and "ADJ" not in lemmas(m.group("place").lower())
                  else m.group(0), text)
    # 'mask the man with the hose? I want to blur him out later': what the user will do with the mask afterwards,
    # an edit of their own, not one asked of us
    text = LATER_PURPOSE.sub(" ", text)
    # 'thanks for the help, now mask the dog': thanks for what was done before names nothing to find
    text = re.sub(r"(?i)\b(thanks|thank you|thx|ty)(?: so much| a lot)? for (?:the|your|all the|all your) help"
                  r"(?: earlier| today| before| again| yesterday)?\b|"
                  r"\b(thanks|thank you|thx|ty)(?: so much| a lot)? for (?:yesterday|earlier|before|everything)\b",
                  lambda m: m.group(1) or m.group(2), text)
    # 'which shopping carts are dented? segment those': the question names the quality of the ones meant
    text = re.sub(r"(?i)\bwhich ((?:[a-z]+ ){0,2}[a-z]+) (?:is|are) ([a-z]+)\s*\?",
                  lambda m: f"the {m.group(2)} {m.group(1)}." if is_adjective(m.group(2).lower())
                  or is_participle(m.group(2).lower()) else m.group(0), text)
    # 'just pick 5 random dumplings': 'random' after a count says which ones do not matter, no kind of dumpling
    text = re.sub(r"(?i)\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|a few|a couple of|some) random\b",
                  r"\1", text)
    # 'the tinyest cupcake': a superlative of -y spelt with its y kept
    text = re.sub(r"(?i)\b([a-z]+)yest\b", lambda m: f"{m.group(1)}iest" if lemmas(f"{m.group(1).lower()}iest")
                  else m.group(0), text)
    # 'rite in the middle': 'right' as it sounds
    text = re.sub(r"(?i)\brite(?= (?:in|on|at|next|by|there|here|now|side)\b)", "right", text)
    # 'giv me 4 …': the request verb typed short
    text = re.sub(r"(?i)\bgiv(?= (?:me|us)\b)", "give", text)
    # 'the lab coats — just the white ones though': the kind meant, said after the object
    text = JUST_THE_KIND.sub(lambda m: f"{m.group('pre')}{m.group('q')} {m.group('x')}", text, count=1)
    # 'every street lamp that's switched on': a lamp that is on is lit
    text = re.sub(r"(?i)\b(?:that|which)(?:'s| is| are|'re) (?:switched|turned) on\b", "that is lit", text)
    # 'the firework burst that's highest in the sky': the sky is where it is highest, no place of its own
    text = re.sub(r"(?i)\b(highest|lowest|tallest)(?: up| down)? in the (?:sky|air|picture|photo|image|frame|scene)\b",
                  r"\1", text)
    # 'any hangers you can find': where the user expects them to be found names nothing (said before the list is cut)
    text = re.sub(r"(?i)\s+(?:that |which )?(?:you|u) (?:can|could|might|will) "
                  r"(?:see|spot|find|make out|notice)\b", " ", text)
    # 'the sticky-note pad dead center', 'smack in the middle': the one in the middle
    text = re.sub(r"(?i)\b(?:dead|smack(?: in the)?|right in the|bang in the) (?:center|centre|middle)\b",
                  "in the middle", text)
    # 'id like a mask of …', 'im looking for …': the apostrophe left out
    text = re.sub(r"(?i)\b(id|im|ive)(?= (?:like|love|want|need|looking|trying|got|been)\b)",
                  lambda m: {"id": "i'd", "im": "i'm", "ive": "i've"}[m.group(1).lower()], text)
    text = REQUEST_LABEL.sub("", text, count=1)
    text = SOURCE_TAG.sub("", text, count=1)
    text = THIS_ONE_LEAD.sub("", text, count=1)
    text = WANTED_MARKS_ON.sub(" mask ", text)
    text = POLITE_FRAME.sub("please ", text)
    text = PURPOSE_BEFORE_NEED.sub("", text, count=1)
    text = drop_restatement(drop_narrative_clauses(text))
    text = NEEDED_DONE.sub(lambda m: f"{m.group('want')} to segment {m.group('obj')}", text)
    text = OBJECT_FIRST.sub(lambda m: f"{m.group('verb')} all {m.group('x')}", text)
    text = NAMED_THEN_PRONOUN.sub(lambda m: f"{m.group('ask')}{m.group('out') or ''} {m.group('x')}", text, count=1)
    text = UNWANTED_AFTER.sub(lambda m: f", except {m.group('x')}", text)
    text = COUNT_AS_CONTEXT.sub(_count_as_context, text, count=1)
    text = drop_lead_in(text)
    text = CORRECTION.sub("", text, count=1)
    text = recall_answer(drop_slang(OUT_OF_ANSWER.sub(_out_of_answer, text)))
    text = REASON_CLAUSE.sub("", text)
    text = MIND_GERUND.sub(_mind_gerund, text)
    # 'what I need is the microphones': the request said as a pseudo-cleft
    text = PSEUDO_CLEFT.sub(r"\1 ", text)
    text = re.sub(r"(?i)\b(thanks|thank you|thx|ty)((?: (?:so |very )?much| a lot)?) in advance\b", r"\1\2", text)
    # 'thanks a lot', 'thank you so much': how much is thanked names nothing ('a lot' is no object)
    text = re.sub(r"(?i)\b(thanks|thank you|thx|ty)(?: (?:so |very )?much| a lot| a ton| a bunch| heaps)+\b", r"\1",
                  text)
    text = re.sub(r"(?i)(?<![\w'])'?em\b", "them", text)  # 'all of em'
    text = re.sub(r"(?i)(?<![a-z])w/o(?![a-z])", "without", text)
    text = re.sub(r"(?i)\b(which|what|who|where|when|how) ever\b", r"\1ever", text)  # 'which ever tent
    text = re.sub(r"(?i)(?<![a-z])w/(?=\s|[a-z])", "with ", text)
    text = CONTRACTION_WITHOUT_APOSTROPHE.sub(
        lambda m: f"{m.group(1)}n't" if m.group(1) else f"{m.group(2)}'s", text)
    # 'every single one of the ducks', 'each one of the cups': all of them, no count of one
    text = re.sub(r"(?i)\b(?:every|each)(?: single)? one of\b", "all of", text)
    text = re.sub(r"(?i)\b(every|each|all) single\b", r"\1", text)
    text = re.sub(r"(?i)(?<![\w'\-])(" + "|".join(FUNCTION_WORD_TYPOS) + r")(?![\w'\-])",
                  lambda m: FUNCTION_WORD_TYPOS[m.group(1).lower()], text)
    # ', if possible' / ', if that's ok': politeness in a clause of its own, read before the clauses are split
    text = re.sub(r"(?i)\bif (?:that'?s |that is |it'?s |it is )?(?:possible|ok|okay|alright|not too much trouble)\b|"
                  r"\bif (?:you|u) (?:can|could|don'?t mind)\b", " ", text)
    # 'every mug, but only the blue ones': 'but' brings a narrowing here, not an exception
    text = re.sub(r"(?i),?\s*\bbut only (?=the\b|those\b)", ", only ", text)
    # 'two pairs of pliers': the count is of the things that come in pairs
    text = re.sub(r"(?i)\b(\d+|two|three|four|five|six|seven|eight|nine|ten) pairs of\b", r"\1", text)
    # 'the smallest of the three violins': the number says how many there are, not how many to take
    text = re.sub(r"(?i)\b(biggest|largest|smallest|tiniest|tallest|shortest|leftmost|rightmost|topmost|bottommost)"
                  r" (of|among|out of) (?:the |these |those |all |all the )?(?:\d+|two|three|four|five|six|seven|eight|"
                  r"nine|ten)\b", r"\1 \2 the", text)
    return text


# masks, outlines, boxes drawn: the form of the answer, never an object when an object was named before them
OUTPUT_FORM = (r"(?:(?:separate|individual|distinct|different|instance|segmentation|binary|clean|tight) )?"
               r"(?:masks|outlines|segmentations|cut-outs|cutouts|cut outs|bounding boxes|bboxes|contours|polygons|"
               r"silhouettes)\b(?! (?:of|for|around|on|over|from)\b)")
COUNTED_OUTPUT = re.compile(rf"(?<![\w'#])(?P<n>{NUMBER}) {OUTPUT_FORM}")
WANTED_OUTPUT = re.compile(rf"\b(?P<verb>need|want|give me|get me|send me|return|output) (?:the |some )?{OUTPUT_FORM}")


def output_form_as_count(text: str) -> str:
    """'Chickens. I need exactly 4 masks': after a sentence or a clause has named the object, the number of masks
    (outlines, cut-outs, bounding boxes) asked for is how many of it to take, and masks asked for with no number
    are it; 'segment the 2 masks on the table' names masks (nothing was named before) and stays."""
    boundary = re.search(r"[.,;:!?]|\s-\s", text)
    if not boundary:
        return text
    head, tail = text[:boundary.end()], text[boundary.end():]
    tail = COUNTED_OUTPUT.sub(lambda m: f"{m.group('n')} of them", tail)
    return head + WANTED_OUTPUT.sub(lambda m: f"{m.group('verb')} them", tail)


# 'the capsule right in the middle', 'the mug right next to the kettle': 'right' intensifies the place after it; 'on
# the right at the top' and 'bottom right in the corner' keep theirs (a side, after 'the' or another side)
INTENSIFIED_PLACE = re.compile(r"(?<!\bthe )(?<!\bto )(?<!\btop )(?<!\bbottom )(?<!\bupper )(?<!\blower )(?<!\bfar )"
                               r"\bright\s+(?=(?:in|at|on|next|behind|above|below|beside|under|underneath|near|by|"
                               r"between|against|outside|inside|along|over|in front|up against)\b)")


# 'the jar right there', 'the lamp over here': pointing at the picture, which says nothing the plan can hold
POINTED_PLACE = re.compile(r"(?<=[a-z])\s+(?:right|over|just|up|down)\s+(?:there|here)\b")


# 'the biggest and the smallest melon': two superlatives share the noun after the second; read as 'the smallest
# melon and the biggest one' (the noun phrase runs to the next clause or 'and')
_SUPERLATIVES = (r"(?:biggest|largest|smallest|tiniest|tallest|shortest|leftmost|rightmost|topmost|bottommost|"
                 r"highest|lowest)")
SHARED_NOUN = re.compile(rf"\b(?:the\s+)?(?P<first>{_SUPERLATIVES})\s+(?:and|&|or)\s+(?:the\s+)?"
                         rf"(?P<second>{_SUPERLATIVES})\s+(?P<rest>(?:(?!\b(?:and|or|but|except)\b)[^,.;!?])+)")


# 'frame_0412.jpg', 'IMG_2231.png': a picture named by its file, as 'this image' names it
IMAGE_FILE = re.compile(r"\b(?:the |this |that |image |file |picture |photo )*[\w\-]+\.(?:jpe?g|png|gif|bmp|tiff?|"
                        r"webp|heic)\b")
# 'the carts visible in this image', 'all the buoys shown': being in the picture is what every object here is
IN_PICTURE = re.compile(r"\s+\b(?:visible|shown|pictured|present|depicted|seen|appearing)\b(?=\s*(?:$|[,.;!?]|"
                        rf"(?:in|on|within)\s+(?:this|the|that|my|our|your)\s+(?:{'|'.join(sorted(IMAGE_WORDS))})s?\b))")
# 'dogs which are brown colour', 'a red-coloured kite': the colour said with the word 'colour' after it
COLOUR_NOUN = re.compile(rf"\b(?P<c>{COLOURS})(?:\s+in)?[\s-]+colou?r(?:ed|s)?\b")


# 'all the read peppers', 'the blew car': a speech-to-text homophone of a colour, heard where a colour stands (after
# a determiner or a count, before another word); a verb 'read' anywhere else stays a verb
COLOUR_HOMOPHONES = {"read": "red", "blew": "blue", "whight": "white", "wight": "white", "grean": "green",
                     "yeller": "yellow", "bleu": "blue"}
HEARD_COLOUR = re.compile(rf"\b(?P<det>the|a|an|all|every|each|those|these|any|some|both|two|three|four|five|six|"
                          rf"seven|eight|nine|ten|\d+)\s+(?P<c>{'|'.join(COLOUR_HOMOPHONES)})(?=\s+[a-z]{{3,}})")
# 'in this micrograph', 'on the x-ray', 'in my thermal image': a specialist's picture, where to look
SPECIALIST_PICTURE = re.compile(r"\b(?P<p>in|on|within|from)\s+(?P<d>this|that|the|my|our|your)\s+(?:(?:thermal|infrared|"
                                r"ct|mri|pet|x-?ray|microscope|microscopy|ultrasound|satellite|chest|dental|electron)\s+)?"
                                r"(?:photomicrograph|micrograph|radiograph|x-?rays?|mri|ct|ultrasound|sonogram|"
                                r"thermogram|mammogram|angiogram|tomogram|(?:thermal|infrared|microscope|ct|mri|"
                                r"ultrasound) (?:image|picture|photo|shot|scan)|(?<=this )(?:scan|slide)|"
                                r"(?<=that )(?:scan|slide)|(?<=my )(?:scan|slide))s?\b")


# ', that's the one we're entering at the fair', ', it's the one we bought yesterday': what the user says about the
# object after the request, with a person as its subject; the object was named already
TRAILING_COMMENT = re.compile(r"""(?ix)
    \s* [,;—–-]+ \s*
    (?: that'?s | thats | it'?s | its | this[ ]is | they'?re | theyre | those[ ]are | these[ ]are ) [ ]
    (?:the[ ])? ones? [ ] (?: that[ ] | which[ ] | who[ ] )?
    (?: i | we | my | our | you | your | he | she | they | his | her | the[ ]kids? ) \b     # a person says it
    [^,;]*$
""")
# 'segment the following: stethoscope, syringe', 'find the following items: …': the list that follows is the request
LIST_INTRO = re.compile(r"(?i)\b(?:the )?following(?: (?:items|objects|things|classes|categories|labels))?\s*:\s*")
# 'Tennis balls: I need masks for four of them', 'Lemons - mask three of them': the topic first, then a count of it
TOPIC_FIRST = re.compile(r"""(?ix)
    ^\s* (?P<topic>[a-z][a-z\ '\-]{1,30}?) \s* (?: : | \s[-–—] ) \s*                  # 'Tennis balls:'
    (?P<rest> .* \b (?P<n>\w+) [ ]of[ ] (?:them|those|these) \b .* )$                  # '… four of them'
""")
# 'oh and the leash to': a follow-up that ends in 'to' with nothing after it means 'too'
TRAILING_TO = re.compile(r"(?i)^(?P<lead>\s*(?:(?:oh|ok|okay|and|also|plus|now)[, ]+)*(?:and|also|plus)\b.*?[a-z]{3,})\s+to\s*[.!]*$")


# 'the mechanic in the middle, the one holding the torque wrench': the one named, said again with what it has or does
APPOSITIVE_ONE = re.compile(r"""(?ix)
    , \s* (?:the|that|those) [ ]ones? [ ] (?: who'?s[ ] | that'?s[ ] | who[ ]is[ ] | that[ ]is[ ] | which[ ]is[ ]
                                           | who[ ]are[ ] | that[ ]are[ ] | which[ ]are[ ] )?
    (?= (?: holding | wearing | carrying | with | in | on | near | next[ ]to | beside | by | under | above
          | below | riding | sitting | standing ) \b )
""")


def drop_commentary(text: str) -> str:
    """The English request without what is said about it after it, with a list's intro read as the list, a topic
    said first put back into its count, and a final 'to' of a follow-up read as 'too'."""
    text = TRAILING_COMMENT.sub("", text)
    text = APPOSITIVE_ONE.sub(" ", text)
    text = LIST_INTRO.sub("", text)
    topic = TOPIC_FIRST.match(text)
    topic_words = topic.group("topic").lower().split() if topic else []
    # a topic is a noun phrase alone: 'mask the sheep - just two of them' is a request and its count
    if topic and noun_phrase(" ".join(topic_words))[0] and not set(topic_words) & (REQUEST_VERBS | WANT_VERBS | {
            "task", "instruction", "prompt", "query", "note", "request", "please", "pls", "i", "we", "can", "could"}):
        text = re.sub(r"(?i)\bof (?:them|those|these)\b", f"of the {topic.group('topic').strip()}", topic.group("rest"),
                      count=1)
    trailing_to = TRAILING_TO.match(text)
    if trailing_to and not re.search(r"(?i)\b(?:next|close|up|due|according|similar|closest|nearest)$",
                                     trailing_to.group("lead")):
        text = f"{trailing_to.group('lead')} too"
    return text


# a participle and its particle are one state ('knocked over', 'switched off', 'burnt out', 'worn out'), unless an
# object follows (the cat that knocked over the vase)
PHRASAL_STATE = re.compile(r"\b(?P<p>[a-z]+)\s+(?P<x>over|off|out|down|up|away|apart)\b(?!-)"
                           r"(?!\s+(?:the|a|an|this|that|these|those|my|his|her|its|their|our|your|some|every|all|"
                           r"each|any|both|by|of|from|in|on|at|with)\b)")


APPOSED_QUALITY = re.compile(r"\bthe\s+(?P<np>[a-z][a-z\- ]{0,40}?)\s*,\s*the\s+(?P<q>[a-z\-]+)\s+ones?\b")


def _apposed_quality(match: re.Match) -> str:
    quality = match.group("q")
    if is_adjective(quality) or is_participle(quality) or re.fullmatch(r"[a-z]+-[a-z]+ed", quality):
        return f"the {quality} {match.group('np')}"
    return match.group(0)


# participles that, with a particle, ask for the answer or pick it ('cut out', 'singled out', 'left out'): no state
_REQUEST_PARTICIPLES = frozenset("""cut put set left let singled picked ruled filtered carved cropped zoomed blacked
crossed blocked marked pointed counted sorted separated isolated outlined boxed circled segmented masked highlighted
selected traced drawn shown given taken brought laid kept dropped""".split())


def _phrasal_state(match: re.Match) -> str:
    participle = match.group("p")
    if participle in _REQUEST_PARTICIPLES or participle.endswith("ing") or not is_participle(participle):
        return match.group(0)
    return f"{participle}-{match.group('x')}"


def preprocess(text: str) -> str:
    """Lower case, typos fixed, quotes and glued numbers ('3carrots') undone, noise phrases out."""
    text = TASK_LABEL.sub("", text.lower())
    text = PHRASAL_STATE.sub(_phrasal_state, text)
    # 'the red leather armchair, the scratched one': a quality said after the object in apposition is its own
    text = APPOSED_QUALITY.sub(_apposed_quality, text)
    # 'the clock that hangs above the fireplace': a clause of where it is said with a verb of being placed
    text = re.sub(r"\b(?:that|which|who)\s+(?:hangs?|sits?|stands?|lies?|rests?|sleeps?|floats?|perch(?:es)?)\s+"
                  r"(?=(?:above|below|under|underneath|beneath|on|in|inside|next to|beside|near|behind|over)\b)", "", text)
    # 'keep only the one closest to the middle': the one in the middle
    text = re.sub(r"\b(?:closest|nearest) to the (?:middle|center|centre)\b", "in the middle", text)
    # 'the sailboat nearest the left edge of the photo': the side of the picture, the leftmost
    text = re.sub(r"\b(?:nearest|closest to|nearest to|at|on|by|along) the (left|right|top|bottom) (?:edge|side|border)"
                  r"(?: of the (?:photo|picture|image|frame|pic|shot))?", r"on the far \1", text)
    # 'the two lowest-flying kites': the superlative says where; what they are doing is part of it
    text = re.sub(r"\b(lowest|highest|furthest|farthest|closest|nearest|uppermost)-[a-z]+ing\b", r"\1", text)
    # 'the lowest hanging lantern': how it hangs or flies, said with the superlative, names no kind of lantern
    text = re.sub(r"\b(lowest|highest) (?:hanging|flying|growing|sitting|placed|mounted|lying)\b", r"\1", text)
    text = IMAGE_FILE.sub("this image", text)
    text = IN_PICTURE.sub("", text)
    text = COLOUR_NOUN.sub(r"\g<c>", text)
    text = HEARD_COLOUR.sub(lambda m: f"{m.group('det')} {COLOUR_HOMOPHONES[m.group('c')]}", text)
    text = SPECIALIST_PICTURE.sub(lambda m: f"{m.group('p')} {m.group('d')} image", text)
    text = CONTEXT_CLAUSE.sub("", text, count=1)
    text = INDIFFERENCE.sub(" ", correct_object_typos(fix_typos(text)))
    text = output_form_as_count(text)
    # 'ball(s)', 'box(es)': a plural left optional is the plural
    text = re.sub(r"(?<=[a-z])\((s|es)\)", r"\1", text)
    # 'the plush bears which color is brown', 'bottles with colour green': the colour said as a clause is the colour
    text = re.sub(rf"\s+(?:(?:whose|which|that|with|of|in)\s+(?:the\s+)?)?colou?rs?\s+(?:is\s+|are\s+|=\s*|:\s*)?"
                  rf"(?P<c>{COLOURS})\b", r" that are \g<c>", text)
    # 'so theres a cat on the washing machine can you segment it': dictated without a stop, the question that asks
    # begins a sentence of its own
    text = re.sub(rf"(?<=[a-z])\s+(?=(?:can|could|would|will) (?:you|u) (?:please |pls )?(?:{REQUEST_VERB_WORDS})\b)",
                  ". ", text)
    # 'every cup not made of glass', 'the chairs that aren't made of plastic': a negated material is 'not glass',
    # which the post-modifiers read as an exclusion; with no relative word before it, the clause gets one
    text = re.sub(r"\b(that|which|who)'(s|re) not\b", lambda m: f"{m.group(1)} {'is' if m.group(2) == 's' else 'are'} not",
                  text)
    text = re.sub(rf"(?<=[a-z])(?<!\bis)(?<!\bare)(?<!\bwas)(?<!\bwere)(?<!\bthat)(?<!\bwhich)(?<!\bdo)(?<!\bdoes)"
                  rf"(?<!\bones)(?<!\bthose)(?<!\bany)\s+not\s+(?={MADE_OF_VERB})", " that are not ", text)
    text = re.sub(rf"(?<=\bnot|n't)\s+{MADE_OF_VERB}", " ", text)
    # 'excluding any made of glass', 'only the ones made of plastic': the pronoun is the noun of that material
    text = MATERIAL_PRONOUN.sub(lambda m: f"the {MADE_OF.match(text, m.end()).group('m')} ones", text)
    text = re.sub(rf"(?<=ones){MADE_OF.pattern}", "", text)
    # 'produce instance masks for every X', 'generate segmentation masks of the X': another program's request verb
    text = re.sub(r"\b(?:produce|generate|create|make|compute|output|return|give me|get me)\s+(?:(?:the|some)\s+)?"
                  r"(?:(?:instance|instance-level|segmentation|binary|pixel|object)\s+)?(?:masks?|segmentations?)"
                  r"\s+(?:for|of)\b", " segment ", text)
    # 'the cat that's sleeping under the car': a participle's clause says where it is ('the cat sleeping under …')
    text = re.sub(r"\b(?:that|which|who)(?:'s| is| are|'re)\s+(?=[a-z]+ing\s+(?:under|underneath|beneath|below|on|"
                  r"in|inside|near|beside|next to|behind|above|atop|by|on top of|in front of)\b)", "", text)
    # 'man which hold the red umbrella', 'the girl who wears a hat': a verb of holding or wearing in a clause is
    # its participle ('holding', 'wearing'), as the relations read it
    text = re.sub(r"\b(?:that|which|who)\s+(?:is\s+|are\s+)?(?P<v>holds?|holding|carr(?:y|ies|ying)|wears?|wearing|"
                  r"rides?|riding)\b", lambda m: CLAUSE_VERB_PARTICIPLE[m.group("v")[:3]], text)
    # 'the cat that's asleep on the sofa': a quality said in the clause before where it is goes before the noun
    text = QUALITY_THEN_PLACE.sub(_quality_before_noun, text)
    # 'whoever is furthest left', 'whoever is holding the flag': the person the clause describes
    text = re.sub(r"\b(?:whoever|whomever)\b(?=\s+[a-z])", "the person who", text)
    text = re.sub(r"\b(?:whoever|whomever)\b", "the person", text)
    # 'all instances of X': the request for every X (another program's wording)
    text = re.sub(r"\b(?:all |every |each )?(?:the )?(?:instances|instance|occurrences|occurrence) of\b", " all ", text)
    # 'remove the two smallest ones from that': the last answer, named after what is done to it
    text = re.sub(r"\s+(?:from|out of) (?:that|this|those|these|them|it)(?: (?:selection|set|results?|answer|lot))?"
                  r"(?=\s*,?\s*(?:please|pls|thanks|thank you)?\s*[.!?]*\s*$)", " ", text)
    # 'cracked floor tile, all instances': every one of them, said after the object
    text = re.sub(r"[,;]?\s*\b(?:all|every|each)(?: the)? (?:instances|instance|occurrences|of them)\b(?=\s*[.!]*\s*$)",
                  " ", text)
    text = DRAWN_MARK.sub(" outline ", text)
    text = INTENSIFIED_PLACE.sub("", text)
    text = POINTED_PLACE.sub("", text)
    text = SHARED_NOUN.sub(lambda m: f"the {m.group('second')} {m.group('rest').strip()} and the {m.group('first')} one ",
                           text)
    text = re.sub(r"[\"“”‘’`]", "'", text)
    text = re.sub(r"(?<=\d)(?=[a-z]{3,})", " ", text)
    text = re.sub(r"\b(\w+)-(left|right|top|bottom)\b", r"\1 \2", text)
    text = re.sub(r"\b(sun) (glasses)\b", r"\1\2", text)
    return text


OUTPUT_CLAUSE = re.compile(r"^(?:and |then |please |also )*(?:output|report|return|print|give|save|export|list|"
                           r"provide|write|explain|answer|respond|reply|tell|describe|show me (?:its|their|the) "
                           r"(?:bbox|coordinates))"
                           r"\b(?:.*\b(?:bbox|bboxes|coordinates?|json|xml|mask|masks|format|why|reason|"
                           r"names?|position|location)\b|\s+(?:why|the reason))|"
                           # 'no commentary', 'no explanation needed': how to answer, nothing to find
                           r"^(?:and |but |with )?(?:no|without)\s+(?:(?:extra|other|further|additional)\s+)?"
                           r"(?:commentary|comments?|explanations?|text|prose|chatter|narration|description)\b")


# '… and return masks', 'then output the bounding boxes as json': the answer's form joined to the request by 'and'
ANSWER_FORM_TAIL = re.compile(r"\s*,?\s*\b(?:and|then|and then)\s+(?:please\s+)?(?:return|output|give|send|export|save|"
                              r"provide|report|write|respond|reply)\s+(?:me\s+|us\s+|back\s+)?(?:with\s+)?"
                              r"(?:(?:the|their|its|all|binary|instance|"
                              r"segmentation|pixel|individual|separate|one|a)\s+)*(?:masks?|bboxe?s?|bounding boxes|"
                              r"coordinates|polygons?|json|results?|outlines?|contours?|segmentations?)\b(?:\s+(?:for "
                              r"each|as|in)\b[a-z0-9 \-]*?)?(?:\s+(?:only|please|pls|thanks|thx))*\s*$")


# 'the croissants, the burnt ones': a clause of only 'the ADJ ones' after a comma narrows the noun named before it
NARROWING_ONES = re.compile(r"^\s*(?:only |just )?(?:the|those|these) (?P<mods>[a-z]+(?: [a-z]+)?) ones?\s*$")


def narrowing_modifiers(piece: str, text: str) -> str | None:
    """The modifiers of a piece that is only 'the ADJ ones' said after a comma; None for any other piece."""
    match = NARROWING_ONES.match(piece)
    if not match or not re.search(rf",\s*{re.escape(piece.strip())}", text):
        return None
    mods = match.group("mods").split()
    return match.group("mods") if all(is_adjective(w) or is_participle(w) for w in mods) else None


UNNAMED_IT = "a relation to 'it' with nothing named before it"
# "There's a bed in this hotel room photo. Could you segment the lamp to the right of it?": what the sentence before
# the request says is there is what 'it' stands for
THERE_IS = re.compile(r"\bthere(?:'s| is| are) (?:a |an |one |some |two |the )?(?P<x>[a-z][a-z \-]*?)"
                      r"(?= in\b| on\b| at\b|\s*[.,!?;]|$)")


def anchor_named_before(readings: list[Reading], text: str, request: str) -> None:
    """Each relation to 'it' that no earlier target names takes the one thing a sentence before the request says
    is there; with none, the relation is left out (the reading says so)."""
    start = text.find(request[:20]) if request else -1
    said = THERE_IS.search(text[:start]) if start > 0 else None
    thing = noun_phrase(said.group("x"))[0] if said else ""
    for reading in readings:
        if reading.relation and reading.relation[1] == PRONOUN_ANCHOR:
            reading.relation = (reading.relation[0], thing) if thing else None
            reading.unsure = [note for note in reading.unsure if note != UNNAMED_IT] + ([] if thing else [UNNAMED_IT])


def read_pieces(pieces: list[str], text: str) -> list[Reading]:
    """A reading for each piece; a piece that narrows the bare noun read just before it joins that reading."""
    readings: list[Reading] = []
    for piece in pieces:
        modifiers = narrowing_modifiers(piece, text)
        if modifiers and readings and len(readings[-1].phrase.split()) == 1:
            readings[-1].phrase = f"{modifiers} {readings[-1].phrase}"
            readings[-1].exclude = fill_head(readings[-1].exclude, readings[-1].phrase)
            continue
        reading = read_chunk(piece)
        if reading is not None and reading.relation and reading.relation[1] == PRONOUN_ANCHOR:
            named = [earlier.phrase for earlier in readings if earlier.phrase]
            reading.relation = (reading.relation[0], named[-1]) if named else reading.relation
            if not named:  # parse_english looks for it in a sentence before the request, else leaves it out
                reading.unsure.append(UNNAMED_IT)
        if reading is not None and not any(_same_target(reading, earlier) for earlier in readings):
            readings.append(reading)  # 'the microphones, just all the microphones': said again, read once
    return readings


AND_A_NEW_TARGET = re.compile(r"(?<=\w),?\s+and\s+(?=(?:also\s+)?(?:the|all|every|each|any)\s)")


def exclusion_after_several(text: str) -> list[Reading] | None:
    """'the chickens and the goats, no need for the baby goats': several targets, then an exclusion in a clause of
    its own; each excluded phrase goes to the target with its head noun (else the last one). None when the text is
    not so."""
    match = EXCEPT.search(text)
    if not match or not text[:match.start()].rstrip().endswith(","):
        return None
    before = text[:match.start()].rstrip(" ,")
    pieces = split_targets(before)
    if len(pieces) < 2:
        return None
    readings = read_pieces(pieces, text)
    named = [r for r in readings if r.phrase]
    if len(named) < 2:
        return None
    _, fragments = take_exclusion(text[match.start():])
    for fragment in fragments:
        if "{head}" in fragment:
            # 'the cups and the plates, except the red ones': said once of every target, which may not be meant
            for reading in named:
                reading.exclude += fill_head([fragment], reading.phrase)
            named[-1].unsure.append("an exclusion said once after several targets, applied to each")
            continue
        head = singular(fragment.split()[-1]) if fragment.split() else ""
        owner = next((r for r in named if r.phrase.split()[-1] == head), named[-1])
        owner.exclude += fill_head([fragment], owner.phrase)
    return readings


def without_courtesy_clauses(text: str) -> str:
    """'hi, could you … , thanks': a greeting or thanks in a clause of its own before or after the request goes (the
    list's split drops them; an exclusion's text is read whole)."""
    clauses = [c for c in re.split(r"\s*,\s*", text) if c.strip()]
    courtesy = ACKNOWLEDGEMENT_EN | POLITENESS
    while len(clauses) > 1 and set(clauses[0].split()) <= courtesy:
        clauses.pop(0)
    while len(clauses) > 1 and set(clauses[-1].split()) <= courtesy:
        clauses.pop()
    return " , ".join(clauses)


def _same_target(a: Reading, b: Reading) -> bool:
    return (a.phrase, a.selection, a.relation, a.exclude) == (b.phrase, b.selection, b.relation, b.exclude)


def parse_english(text: str) -> tuple[list[Reading], str]:
    """(readings, follow-up kind) for an English instruction."""
    text = preprocess(text)
    text_in = text
    asked = request_sentences(text)
    text = " , ".join(asked)
    text = re.sub(r"<[^>]*>", " ", text)
    text = re.sub(r"\bside by side\b", " ", text)
    # ', output its bbox coordinates in JSON' / 'and explain why': requests about the output, no object
    text = ANSWER_FORM_TAIL.sub("", text)
    clauses = [c for c in re.split(r"\s*,\s*", text) if c.strip()]
    kept = [c for c in clauses if not OUTPUT_CLAUSE.match(c.strip())] or clauses[:1]
    text = " , ".join(kept)
    request = text.strip()
    followup, text = take_followup(request)
    text = re.sub(r"[!?;:()\[\]{}<>]+", " ", text)
    text = re.sub(r"(?<![a-z])\.|\.(?![a-z])", " ", text)
    shared = exclusion_after_several(text)
    if shared is not None:
        readings = shared
    elif not EXCEPT.search(text) and not QUANTIFIED_BUT.search(text) and re.search(r"\b(?:without|with no)\b", text) \
            and AND_A_NEW_TARGET.search(text):
        # 'the cyclists without helmets and the bikes': 'and the' after a negative post-modifier starts a new target
        readings = read_pieces(AND_A_NEW_TARGET.split(text), text)
    elif EXCEPT.search(text) or QUANTIFIED_BUT.search(text) or re.search(r"\b(?:not|without|with no)\b|n't\b", text):
        added = ALSO_AFTER_EXCLUSION.search(text) if re.search(r"\b(?:too|also|as well)\b", request) else None
        if added and (EXCEPT.search(text[:added.start()]) or QUANTIFIED_BUT.search(text[:added.start()])):
            readings = read_pieces([without_courtesy_clauses(text[:added.start()]), added.group("np")], text)
        else:
            readings = read_pieces([without_courtesy_clauses(text)], text)
    else:
        readings = read_pieces(split_targets(text), text)
    anchor_named_before(readings, text_in, asked[0] if asked else "")
    if followup == "add" and adds_within_itself(request, readings):
        followup = "new"
    if followup == "refine" and readings and readings[0].phrase and BARE_NARROWING.match(request):
        # 'just the stethoscope pls': as many users ask anew for one kind as narrow the last answer to it
        readings[0].unsure.append("'just' or 'only' before an object may narrow the last answer or ask anew")
    if readings and re.search(r"\bexplain\b|\bwhy\b|\banswer\b", text_in):
        readings[0].unsure.append("the request also asks for an explanation, which needs the LLM")
    if readings and len(text_in.split()) > 30:
        readings[0].unsure.append("a long description, not a request: read as a list of the objects it names")
    return readings, followup
