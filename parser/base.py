"""The one interface every parser backend implements (LLM server, in-process LLM, offline).

The agent asks a backend what it can do (`can_verify`) instead of checking its class.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from PIL import Image

from segchat.contracts.plan import Plan


@dataclass
class ParseOutcome:
    plan: Plan
    fallback_reason: str | None = None  # why the offline parser answered instead of the LLM
    llm_ms: float = 0.0
    notes: list[str] = field(default_factory=list)  # what the offline parser had to guess (why confidence is low)


@dataclass
class ParserStatus:
    """What a face shows about the parser: which backend, where, and whether it answers right now."""

    backend: str  # "offline" | "llm" | "local"
    location: str | None = None  # the endpoint URL or the model folder
    state: str = "offline"  # "offline" | "reachable" | "unreachable (offline parser answers)" | "loaded" | ...


@runtime_checkable
class InstructionParser(Protocol):
    """Instruction -> Plan, and the two other things the agent may ask of the language side."""

    backend: str
    can_verify: bool  # whether `verify_marks` can judge a picture (a VL model); False for the offline parser

    def parse(self, text: str, image: Image.Image | None = None, history: str | None = None) -> ParseOutcome:
        """The plan for `text` (with the image and a summary of the conversation where the backend uses them).
        Never raises for any text: a backend that fails falls back to the offline parser and says why."""
        ...

    def generalize(self, phrase: str, image: Image.Image | None = None) -> str | None:
        """A more general phrase SAM3 may know when `phrase` found nothing ('fluffy white dog' -> 'white dog'),
        or None."""
        ...

    def verify_marks(self, picture: Image.Image, question: str) -> list[int] | None:
        """Which numbered marks on `picture` answer `question`; None when the backend cannot tell."""
        ...

    def status(self) -> ParserStatus:
        ...


def plan_from_reply(reply: str) -> Plan:
    """The Plan in an LLM's JSON reply (server or in-process); ValueError / ValidationError when it is not one, so
    that the caller can repair or fall back."""
    data = json.loads(reply)
    if not isinstance(data, dict):
        raise ValueError("the reply is not a JSON object")
    data["source"] = "llm"
    plan = Plan.model_validate(data)
    if not plan.targets and not plan.clarify and not plan.remember:
        raise ValueError("a plan needs targets, a clarify question or a concept to remember")
    return plan
