"""English instruction pieces: singular forms, typo-tolerant keywords, noun-phrase clean-up."""

from __future__ import annotations

import difflib
import functools
import re

from segchat.parser.vocabulary import EN_NUMBERS, PLURALIA_TANTUM

VERBS = ["segment", "select", "cut", "out", "find", "mask", "highlight", "mark", "outline", "circle", "detect",
         "locate", "show", "isolate", "extract", "pick", "separate", "identify", "get", "give", "label", "grab",
         "crop", "keep", "choose", "spot", "point", "trace", "annotate", "color", "colour", "separated"]
FILLER_WORDS = {"please", "pls", "plz", "can", "could", "would", "will", "you", "u", "me", "for", "i", "need", "want",
                "like", "to", "masks", "mask", "of", "the", "a", "an", "all", "every", "each", "any", "some", "this",
                "that", "these", "those", "just", "only", "now", "also", "too", "as", "well", "thanks", "thank",
                "and", "in", "picture", "image", "photo", "pic", "frame", "scene", "here", "there", "them", "it",
                "up", "from", "background", "with", "hey", "ok", "okay", "actually", "then", "must", "should", "do",
                "kindly", "let's", "lets", "us", "my", "your", "is", "are", "there's", "which", "who", "that's",
                "whole", "entire", "possible", "visible", "instances", "instance", "everything", "both", "one", "ones",
                "again", "instead"}
TRAILING_FILLERS = {"please", "pls", "plz", "thanks", "thank", "you", "too", "as", "well", "here", "there", "now",
                    "again", "instead", "for", "me", "them", "it", "up", "out", "ones", "one", "the", "a", "an",
                    "and", "of", "in", "this", "that", "picture", "image", "photo", "pic"}
DETERMINERS = {"the", "a", "an", "all", "every", "each", "any", "some", "this", "that", "these", "those", "my", "your"}
CLAUSE_STARTERS = {"under", "on", "in", "at", "near", "next", "by", "with", "the", "a", "an", "to", "from", "over",
                   "above", "below", "beside", "behind", "inside", "underneath", "beneath", "into", "around"}
KEYWORDS = VERBS + ["leftmost", "rightmost", "topmost", "bottommost", "smallest", "largest", "biggest", "highest",
                    "lowest", "middle", "center", "except", "excluding", "holding", "wearing", "segmentation"]


@functools.lru_cache(maxsize=1)
def known_nouns() -> frozenset[str]:
    """Head nouns we know (from the curated Chinese vocabulary's translations)."""
    from segchat.parser.vocabulary import ZH_NOUNS

    return frozenset(phrase.split()[-1] for phrase in ZH_NOUNS.values())


@functools.lru_cache(maxsize=1)
def known_words() -> frozenset[str]:
    """Words we know as nouns or adjectives: never 'corrected' into a keyword ('remote' is no typo of 'remove')."""
    from segchat.parser.vocabulary import EN_SYNONYMS, ZH_MODIFIERS, ZH_NOUNS

    words: set[str] = set()
    for phrase in [*ZH_NOUNS.values(), *ZH_MODIFIERS.values(), *EN_SYNONYMS, *sum(EN_SYNONYMS.values(), [])]:
        words.update(phrase.split())
    return frozenset(words | {w + "s" for w in words})


@functools.lru_cache(maxsize=1)
def _inflect():
    import inflect

    return inflect.engine()


def singular(word: str) -> str:
    if word in PLURALIA_TANTUM or len(word) <= 3 or not word.isalpha():
        return word
    if word in ("people", "persons"):
        return "person"
    result = _inflect().singular_noun(word)
    return result if isinstance(result, str) and result else word


def singular_phrase(phrase: str) -> str:
    """Singular form of a noun phrase: only its last word changes ('glass bottles' -> 'glass bottle')."""
    words = phrase.split()
    if not words:
        return phrase
    if " ".join(words[-2:]) in PLURALIA_TANTUM:
        return phrase
    words[-1] = singular(words[-1])
    return " ".join(words)


def fix_typos(text: str) -> str:
    """Correct misspelt keywords ('segmnet', 'highlite', 'smalest'); other words are left alone."""
    out = []
    for word in re.findall(r"[a-z0-9'\-]+|[^a-z0-9'\-]+", text):
        if len(word) >= 5 and word.isalpha() and word not in KEYWORDS and word not in known_words():
            close = difflib.get_close_matches(word, KEYWORDS, n=1, cutoff=0.8)
            if close:
                word = close[0]
        out.append(word)
    return "".join(out)


def number_value(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    return EN_NUMBERS.get(word)


NUMBER_PATTERN = r"(\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a single|single|a couple of|a pair of)"


def clean_noun_phrase(text: str) -> str:
    """Strip verbs, determiners and fillers around the noun phrase; drop trailing participles and clauses."""
    text = re.sub(r"\b(in|on|from) (this|the) (picture|image|photo|pic|frame|scene|shot)\b", " ", text)
    text = re.sub(r"\b(separated? )?from (the|its|their) background\b", " ", text)
    text = re.sub(r"\b(cut|pick|point|single|separate[d]?) (out|from)\b", " ", text)
    text = re.sub(r"\b(that|who|which)\b.*$", " ", text)
    words = [w for w in re.findall(r"[a-z][a-z\-']*|\d+", text)]
    seen_determiner = False
    while words:
        first = words[0]
        is_verb = first in VERBS and not seen_determiner and len(words) > 1  # 'circle the dog', not 'the circle'
        if not (first in FILLER_WORDS or is_verb or number_value(first) is not None):
            break
        seen_determiner |= first in DETERMINERS
        words.pop(0)
    while words and words[-1] in TRAILING_FILLERS:
        words.pop()
    # a participle after the head noun starts a clause ('cat sleeping under the table'), unlike 'chopping board'
    for i, word in enumerate(words[1:], start=1):
        following = words[i + 1] if i + 1 < len(words) else None
        if word.endswith("ing") and (following is None or following in CLAUSE_STARTERS):
            words = words[:i]
            break
    words = [w for w in words if w not in ("the", "a", "an")]
    return singular_phrase(" ".join(words))
