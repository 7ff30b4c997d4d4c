"""Optional verification by the VL model: all candidates, numbered on one image, judged in one call."""

from __future__ import annotations

import json
import logging

from PIL import Image

from segchat import prompts
from segchat.agent.found import Found
from segchat.agent.overlay import render_overlay
from segchat.parser.llm import LlmParser, image_data_url
from segchat.contracts.plan import Target

log = logging.getLogger(__name__)

VERIFY_SCHEMA = {"type": "object", "properties": {"matching": {"type": "array", "items": {"type": "integer"}}},
                 "required": ["matching"], "additionalProperties": False}


def describe(target: Target) -> str:
    parts = [target.phrase or "the previous objects"]
    if target.relation is not None:
        parts.append(f"{target.relation.type.replace('_', ' ')} {target.relation.anchor}")
    if target.exclude:
        parts.append("but not " + " or ".join(target.exclude))
    return " ".join(parts)


def verify_candidates(llm: LlmParser, image: Image.Image, instruction: str, target: Target,
                      candidates: list[Found]) -> list[Found] | None:
    """The subset of `candidates` the VL model says matches; None when the call fails (keep them all)."""
    numbered = {number: item for number, item in enumerate(candidates, start=1)}
    marked = [Found(label="", score=item.score, mask=item.mask, id=number) for number, item in numbered.items()]
    picture = render_overlay(image, marked, labels={number: "" for number in numbered})
    text = prompts.load("verify.md").format(instruction=json.dumps(instruction, ensure_ascii=False),
                                            meaning=describe(target))
    try:
        response = llm.client.chat.completions.create(
            model=llm.model, temperature=0.0, max_tokens=200,
            messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": image_data_url(picture)}},
                                                   {"type": "text", "text": text}]}],
            response_format={"type": "json_schema",
                             "json_schema": {"name": "verification", "schema": VERIFY_SCHEMA, "strict": True}},
        )
        matching = json.loads(response.choices[0].message.content or "")["matching"]
        chosen = {int(n) for n in matching if int(n) in numbered}
    except Exception as exc:  # a failed check must never fail the turn
        log.warning("verification call failed (%s): keeping every candidate", type(exc).__name__)
        return None
    return [numbered[n] for n in sorted(chosen)]
