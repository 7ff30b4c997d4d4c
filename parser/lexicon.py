"""The English lexicon: word classes and lemmas from `lemminflect`, the closed classes a grammar needs, and the SA-Co
noun phrases SAM3 was evaluated on.

Open classes (nouns, verbs, adjectives) come from lemminflect's dictionary, never from a list of our own; only the
closed classes (pronouns, determiners, prepositions, question words, modal verbs) and a few domain words (request
verbs, output jargon) are written out here, because no dictionary marks "segment" as a request or "bbox" as jargon.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

from lemminflect import getAllLemmas, getInflection  # required: a missing lemminflect must fail loudly

from segchat.parser.vocabulary import EN_SYNONYMS, PLURALIA_TANTUM, ZH_MODIFIERS, ZH_NOUNS

PRONOUNS = frozenset("""i me my mine myself you your yours yourself u ur he him his himself she her hers herself it its
itself we us our ours ourselves they them their theirs themselves this that these those something anything everything
nothing someone somebody anyone anybody noone whatever whichever one ones thing things stuff""".split())
QUESTION_WORDS = frozenset("what which where who whom whose why how when whether".split())
AUXILIARIES = frozenset("""can could would will shall should may might must do does did done is are am was were be been
being have has had 's 're 'm 've 'd 'll isn't aren't wasn't weren't don't doesn't didn't can't couldn't won't wouldn't
shouldn't""".split())
DETERMINERS = frozenset("the a an all every each any some both either another other such no more most few several many "
                        "lots rest remaining".split())
PREPOSITIONS = frozenset("""of in on at to from by with without for into onto over under above below beneath underneath
beside besides near next behind between among inside outside within across along around against toward towards
through off up down out about like than via atop upon""".split())
CONJUNCTIONS = frozenset("and or but nor so yet if then while because although though unless plus as".split())
# words of thanks and praise: a sentence of only these has nothing to find ('thanks, that's great')
ACKNOWLEDGEMENT_EN = frozenset("""thanks thank you thx ty so much very really a lot that that's thats it it's its this
is looks look was great good perfect nice cool awesome amazing excellent brilliant fantastic wonderful lovely super sweet
well done job work wow yay ok okay yes yeah yep lol haha love exactly right correct hey hi hello there oh""".split())
POLITENESS = frozenset("""please pls plz kindly thanks thank thx ty hey hi hello ok okay so now actually just also too
again instead well alright sure yes yeah oh um uh hmm maybe perhaps really simply quickly only even""".split())
WANT_VERBS = frozenset("want wanna need like love wish help let lets let's try go ahead able mind care gimme lemme "
                       "gotta gonna".split())
# what a user asks the tool to do: a request verb is the frame, never the object
REQUEST_VERBS = frozenset("""segment segmnet seg select cut find mask highlight mark outline circle detect locate show isolate
extract pick separate identify get give label grab crop choose spot point trace annotate colour color draw box frame
bound output return generate produce make display delineate capture track recognize recognise recognise search look
seek fetch keep drop remove delete add include exclude discard deselect take lose forget narrow put leave
segmentate cutout sketch shade tint encircle enclose tag flag underline""".split())
# output formats and model words people paste into prompts ("output its bbox coordinates in JSON format")
JARGON = frozenset("""bbox bboxes bounding mask masks segmentation segmentations json xml coordinates coordinate coords
polygon polygons contour contours pixel pixels format formats output outputs annotation annotations label labels region
regions position positions location locations result results instance instances prompt prompts commentary
explanation explanations narration prose chatter""".split())
# jargon that is never an object; 'mask', 'label', 'position' may be one ('the kid wearing a mask')
STRICT_JARGON = frozenset("""bbox bboxes bounding segmentation segmentations json xml coordinates coordinate coords
polygon polygons contour contours pixel pixels""".split())
AMBIGUOUS_JARGON = JARGON - STRICT_JARGON
# words that place an image, not an object in it ("in this picture")
IMAGE_WORDS = frozenset("picture image photo photograph pic frame scene shot figure img screenshot diagram view".split()
                        # a specialist's picture ('in this micrograph', 'on the radiograph')
                        + "micrograph photomicrograph radiograph xray mri sonogram thermogram mammogram angiogram "
                          "tomogram".split())
# of those, the ones that never name an object in the image ('the picture hanging on the wall' is one)
IMAGE_ONLY_WORDS = frozenset("image img pic screenshot scene".split())
# how another program labels its request ('Task: segment …'); read as structure, never as an object
TASK_LABELS = frozenset("task instruction instructions request query prompt goal command job input".split())
INFORMAL_FRAMES = frozenset("gimme lemme wanna gonna gotta plz pls pleeease kinda".split())
NUMBER_WORDS = {"one": 1, "single": 1, "two": 2, "pair": 2, "couple": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "dozen": 12}
ORDINAL_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
                 "ninth": 9, "tenth": 10}
# paired parts: "the left hand" names a part, "the left lion" a position
PAIRED_PARTS = frozenset("""hand hands arm arms leg legs foot feet eye eyes ear ears wing wings shoe shoes glove gloves
knee knees elbow shoulder ankle wrist paw paws cheek eyebrow lane side bank headlight taillight mirror wheel door
page""".split())
# "wine glasses" are glasses to drink from; "glasses" alone are eyeglasses
GLASS_NOUNS = frozenset("wine beer shot water drinking champagne cocktail martini pint whisky whiskey juice milk".split())
CLOSED_CLASS = PRONOUNS | QUESTION_WORDS | AUXILIARIES | DETERMINERS | PREPOSITIONS | CONJUNCTIONS | POLITENESS


@functools.lru_cache(maxsize=65536)
def lemmas(word: str) -> dict[str, tuple[str, ...]]:
    """lemminflect's readings of `word`: {'NOUN': ('crack',), 'VERB': ('crack',)}; {} for an unknown word."""
    if not (word.isalpha() or "'" in word):
        return {}
    readings = getAllLemmas(word)
    if "NOUN" not in readings and re.search(r"(?:fe|f)s$", word):
        # 'knifes', 'leafs', 'shelfs': the regular plural of an -f(e) noun, a common slip for knives, leaves, shelves
        singular = getAllLemmas(word[:-1]).get("NOUN")
        if singular:
            readings = {**readings, "NOUN": singular}
    return readings


@functools.lru_cache(maxsize=1)
def saco_phrases() -> frozenset[str]:
    """The SA-Co noun phrases (normalised), shipped as parser/data/saco_phrases.txt."""
    text = resources.files("segchat.parser").joinpath("data/saco_phrases.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


@functools.lru_cache(maxsize=1)
def _saco_endings() -> frozenset[str]:
    """The last two words of every SA-Co phrase ('blue yoga mat' -> 'yoga mat')."""
    return frozenset(" ".join(phrase.split()[-2:]) for phrase in saco_phrases() if len(phrase.split()) >= 2)


def saco_ending(words: str) -> bool:
    """Whether some SA-Co phrase ends in these two words ('yoga mat', 'microphone stand')."""
    return words in _saco_endings()


@functools.lru_cache(maxsize=1)
def saco_heads() -> frozenset[str]:
    """The last word of every SA-Co phrase: nouns SAM3 has seen as the head of a phrase."""
    return frozenset(phrase.rsplit(" ", 1)[-1] for phrase in saco_phrases())


@functools.lru_cache(maxsize=1)
def _head_counts() -> dict[str, int]:
    counts: dict[str, int] = {}
    for phrase in saco_phrases():
        head = phrase.rsplit(" ", 1)[-1]
        counts[head] = counts.get(head, 0) + 1
    return counts


def head_frequency(word: str) -> int:
    """How many SA-Co phrases end in `word`: 'building' heads many, 'hanging' few."""
    return _head_counts().get(word, 0)


@functools.lru_cache(maxsize=1)
def saco_modifiers() -> frozenset[str]:
    """Words SA-Co uses before a head noun ('cracked', 'rusty', 'wooden')."""
    words: set[str] = set()
    for phrase in saco_phrases():
        parts = phrase.split()
        if 1 < len(parts) <= 4 and not set(parts) & PREPOSITIONS:
            words.update(parts[:-1])
    return frozenset(words)


@functools.lru_cache(maxsize=1)
def curated_words() -> frozenset[str]:
    """Nouns and adjectives of our own vocabulary (translations of the Chinese lexicon, synonyms)."""
    words: set[str] = set()
    for phrase in [*ZH_NOUNS.values(), *ZH_MODIFIERS.values(), *EN_SYNONYMS, *sum(EN_SYNONYMS.values(), [])]:
        words.update(phrase.split())
    return frozenset(words)


def is_noun(word: str) -> bool:
    if re.fullmatch(r"[a-z]+(?:-[a-z]+)+", word):
        return is_noun(word.rpartition("-")[2])  # 't-shirts': a compound names what its last part names
    readings = lemmas(word)
    return "NOUN" in readings or "PROPN" in readings or word in saco_heads() or word in curated_words() \
        or (singular(word) != word and singular(word) in saco_heads())  # 'pans', 'oxen': plurals of SAM3's heads


def is_adjective(word: str) -> bool:
    return "ADJ" in lemmas(word) or word in saco_modifiers()


@functools.lru_cache(maxsize=65536)  # asked for every word of every request: the inflections are computed once
def is_participle(word: str) -> bool:
    """'-ed' / '-ing' / irregular past participles of a verb: they modify a noun ('cracked tile', 'sleeping cat'),
    with a particle too ('knocked-over', 'burnt-out': the English preprocessing joins them so)."""
    phrasal = re.fullmatch(r"([a-z]+)-(?:over|off|out|down|up|away|apart)", word)
    if phrasal:
        return is_participle(phrasal.group(1))
    verbs = lemmas(word).get("VERB", ())
    if not verbs:
        return False
    forms = {form for lemma in verbs for tag in ("VBN", "VBG", "VBD") for form in getInflection(lemma, tag) or ()}
    return word in forms


def is_bare_verb(word: str) -> bool:
    """A verb that is no noun or adjective and no participle ('see', 'converse', 'act'): never part of a phrase."""
    readings = lemmas(word)
    if "VERB" not in readings and "AUX" not in readings:
        return False
    if "NOUN" in readings or "ADJ" in readings or "PROPN" in readings or is_participle(word):
        return False
    return word not in saco_heads() and word not in curated_words() and singular(word) not in saco_heads()


def is_known(word: str) -> bool:
    """Any reading in the dictionary, or a word SAM3's phrases use; a hyphenated compound ('half-eaten',
    'long-haired') is known when each of its parts is."""
    if "-" in word.strip("-"):
        return all(is_known(part) for part in word.strip("-").split("-"))
    return bool(lemmas(word)) or word in saco_heads() or word in saco_modifiers() or word in curated_words()


def singular(word: str, previous: str | None = None) -> str:
    """The singular of a head noun: lemminflect's noun lemma; plural-only words stay ('glasses', 'scissors')."""
    if word in ("people", "persons", "folks", "humans"):
        return "person" if word != "humans" else "human"
    if word == "glasses" and previous in GLASS_NOUNS:
        return "glass"
    if word in PLURALIA_TANTUM and previous and f"{previous} {word[:-1]}" in saco_phrases() \
            and "NOUN" in lemmas(word[:-1]):
        return word[:-1]  # 'jet skis': one jet ski each, which SAM3's phrases name (a skier's skis are a pair)
    if re.fullmatch(r"[a-z]+(?:-[a-z]+)+", word) and word not in PLURALIA_TANTUM:
        # 't-shirts', 'flip-flops': a hyphenated compound's plural is its last part's
        head, _, tail = word.rpartition("-")
        return f"{head}-{singular(tail)}"
    if word in PLURALIA_TANTUM or len(word) <= 2 or not word.isalpha():
        return word
    if word == "oxen":
        return "ox"  # the one irregular plural of an animal lemminflect does not know
    candidates = lemmas(word).get("NOUN") or lemmas(word).get("PROPN")
    if candidates:
        if len(candidates) == 1:
            return candidates[0]
        # 'taxis' -> ('taxi', 'taxis'), 'leaves' -> ('leave', 'leaf'): the reading SAM3's phrases use, the
        # singular before the word itself
        ranked = sorted(candidates, key=lambda c: (c not in saco_heads(), c == word))
        return ranked[0]
    if lemmas(word):  # a known word with no noun reading is left alone ...
        # ... unless SAM3's phrases name its singular ('pans': to pan, to the dictionary, and a pan to SAM3)
        return word[:-1] if word.endswith("s") and word[:-1] in saco_heads() else word
    if word.endswith("os") and "NOUN" in lemmas(word[:-1]):
        return word[:-1]  # 'tomatos', 'potatos': the plural of an -o noun typed without its e
    # an unknown word: only the regular plural endings, never a final 's' of '-us' / '-ss' / '-is'
    if re.search(r"(ss|us|is|os)$", word):
        return word[:-2] if word.endswith("os") and len(word) > 4 else word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if re.search(r"(ch|sh|x|z)es$", word):
        return word[:-2]
    if word.endswith("s") and len(word) > 3:
        return word[:-1]
    return word


def singular_phrase(phrase: str) -> str:
    """Only the head (last word) of a noun phrase changes: 'glass bottles' -> 'glass bottle'."""
    words = phrase.split()
    if not words or " ".join(words[-2:]) in PLURALIA_TANTUM:
        return phrase
    words[-1] = singular(words[-1], words[-2] if len(words) > 1 else None)
    return " ".join(words)


def participle_of(noun: str) -> str | None:
    """'cracks' -> 'cracked', 'dents' -> 'dented': the state a noun names, when SAM3's phrases or our own word list
    ('bruises' -> 'bruised', 'scratches' -> 'scratched') use that word."""
    for lemma in lemmas(noun).get("NOUN", ()) + lemmas(noun).get("VERB", ()):
        for form in getInflection(lemma, "VBN") or ():
            if form in saco_modifiers() or form in curated_modifiers():
                return form
    return None


@functools.lru_cache(maxsize=1)
def curated_modifiers() -> frozenset[str]:
    """The one-word states and qualities of our own vocabulary (the English of its Chinese modifiers)."""
    return frozenset(word for word in ZH_MODIFIERS.values() if " " not in word)


def agent_noun(participle: str) -> str | None:
    """'skiing' -> 'skier', 'swimming' -> 'swimmer': the noun for one who does it, when SAM3's phrases have it as a
    head; None otherwise ('standing' has none)."""
    for verb in lemmas(participle).get("VERB", ()):
        for candidate in (verb + "er", verb + verb[-1:] + "er", verb + "r", verb[:-1] + "ier"):
            if candidate in saco_heads():
                return candidate
    return None
