"""Which language the user wrote in, and text normalisation shared by both parsers."""

from __future__ import annotations

import re
import unicodedata

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
LATIN_WORD = re.compile(r"[A-Za-z]+")


def to_simplified(text: str) -> str:
    import zhconv

    return zhconv.convert(text, "zh-cn")


def normalize(text: str) -> str:
    """NFKC (full-width to half-width), no control characters, single spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return " ".join(text.split())


def reply_language(text: str) -> str:
    """'zh' when most of the text is Chinese, else 'en'. A Chinese word is about two characters long, so two
    characters weigh as much as one English word ('Please outline the 黑色皮沙发' is English-led)."""
    cjk = len(CJK.findall(text))
    words = len(LATIN_WORD.findall(text))
    if cjk == 0:
        return "en"
    return "zh" if cjk / 2 > words else "en"
