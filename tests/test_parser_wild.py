"""Honesty on real prompts (../shared/eval/prompts_in_the_wild): the share of phrases sent to SAM3 that carry no
question word, verb, pronoun or output jargon, checked by a word-class test independent of the parser's own lists
(lemminflect's readings, and short closed-class lists written here), and which prompts get clarify or a
low-confidence reading.

    .venv/bin/python -m tests.test_parser_wild      # prints the share and the lists
"""

from __future__ import annotations

import json

import pytest
from lemminflect import getAllLemmas, getInflection

from segchat.parser.offline import parse_offline
from tests.conftest import SHARED

WILD = SHARED / "eval" / "prompts_in_the_wild" / "prompts.jsonl"
QUESTION = set("what which where who whom whose why how when whether".split())
PRONOUN = set("""i me my mine you your yours he him his she her hers it its we us our they them their this that these
those something anything everything someone somebody anyone anybody""".split())
JARGON = set("""bbox bboxes bounding mask masks segmentation json xml coordinates coordinate coords polygon output format
pixel pixels""".split())


def _participle(word: str) -> bool:
    verbs = getAllLemmas(word).get("VERB", ())
    return any(word in (getInflection(v, tag) or ()) for v in verbs for tag in ("VBN", "VBG", "VBD"))


def dirty_words(phrase: str) -> list[str]:
    """Words SAM3 can't use: question words, pronouns, jargon, and verbs (a word whose only readings are verbs,
    other than a participle modifying the head: 'cracked tile', 'sleeping cat')."""
    words = phrase.split()
    bad = []
    for index, word in enumerate(words):
        readings = getAllLemmas(word)
        verb_only = bool(readings) and set(readings) <= {"VERB", "AUX"}
        if word in QUESTION or word in PRONOUN or word in JARGON:
            bad.append(word)
        elif verb_only and not (_participle(word) and index < len(words) - 1):
            bad.append(word)
    return bad


def measure() -> dict:
    rows = [json.loads(line) for line in WILD.read_text(encoding="utf-8").splitlines() if line.strip()]
    phrases, dirty, clarify, low = [], [], [], []
    for row in rows:
        plan = parse_offline(row["text"])
        if plan.clarify:
            clarify.append(f"{row['id']} {row['text'][:70]}")
        elif plan.confidence == "low":
            low.append(f"{row['id']} {row['text'][:70]}")
        for phrase in plan.phrases():
            phrases.append(phrase)
            if dirty_words(phrase):
                dirty.append(f"{row['id']} {phrase!r}: {' '.join(dirty_words(phrase))}")
    return {"prompts": len(rows), "phrases": len(phrases), "clean": len(phrases) - len(dirty),
            "share": (len(phrases) - len(dirty)) / max(1, len(phrases)), "dirty": dirty, "clarify": clarify,
            "low": low}


def test_the_independent_check_can_fail():
    assert dirty_words("where can driver see car speed") == ["where", "see"]
    assert dirty_words("bbox of it") == ["bbox", "it"]
    assert dirty_words("cracked tile") == [] and dirty_words("sleeping cat") == []


def test_phrases_sent_to_sam3_are_clean_on_prompts_in_the_wild():
    if not WILD.exists():
        pytest.skip("../shared/eval is not laid beside this checkout")
    report = measure()
    assert report["share"] >= 0.95, report["dirty"]


if __name__ == "__main__":
    result = measure()
    print(f"{result['clean']}/{result['phrases']} phrases clean ({result['share']:.3f}) over {result['prompts']} prompts")
    for title in ("dirty", "clarify", "low"):
        print(f"\n{title} ({len(result[title])}):")
        print("\n".join("  " + line for line in result[title]))
