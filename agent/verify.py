"""Optional verification by the VL model: all candidates, numbered on one image, judged in one call."""

from __future__ import annotations

import json

from PIL import Image

from segchat import prompts
from segchat.agent.outputs.overlay import render_overlay
from segchat.contracts.plan import Target
from segchat.parser.base import InstructionParser
from segchat.segmenter.instances import Instance


def describe(target: Target) -> str:
    parts = [target.phrase or "the previous objects"]
    if target.relation is not None:
        parts.append(f"{target.relation.type.replace('_', ' ')} {target.relation.anchor}")
    if target.exclude:
        parts.append("but not " + " or ".join(target.exclude))
    return " ".join(parts)


def verify_candidates(parser: InstructionParser, image: Image.Image, instruction: str, target: Target,
                      candidates: list[Instance]) -> list[Instance] | None:
    """The subset of `candidates` the VL model says matches; None when it can't tell (keep them all)."""
    numbered = {number: item for number, item in enumerate(candidates, start=1)}
    marked = [item.but(id=number, label="") for number, item in numbered.items()]
    picture = render_overlay(image, marked, labels={number: "" for number in numbered})
    question = prompts.load("verify.md").format(instruction=json.dumps(instruction, ensure_ascii=False),
                                                meaning=describe(target))
    matching = parser.verify_marks(picture, question)
    if matching is None:
        return None
    return [numbered[n] for n in sorted(set(matching)) if n in numbered]
