"""The one interface every parser backend implements (LLM server, in-process LLM, offline).

The agent asks a backend what it can do (`can_verify`) instead of checking its class.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

from PIL import Image

from segchat.contracts.plan import Plan


@dataclass
class ParseOutcome:
    plan: Plan
    fallback_reason: str | None = None  # why the offline parser answered instead of the LLM
    llm_ms: float = 0.0
    notes: list[str] = field(default_factory=list)  # what the offline parser had to guess (why confidence is low)


class ParserBackend(StrEnum):
    """Which backend reads the instructions."""

    OFFLINE = "offline"  # the lexicons and grammar of this package; no LLM
    LLM = "llm"  # an OpenAI-compatible server (vLLM, transformers serve)
    LOCAL = "local"  # a Qwen-VL model in this process


class ParserState(StrEnum):
    """Whether the backend answers right now. Every state but READY means the offline parser reads the
    instructions (OFFLINE: by choice; the others: as a fallback)."""

    OFFLINE = "offline"  # no LLM is configured
    READY = "ready"  # the LLM server answers, or the local model is loaded
    NOT_LOADED = "not_loaded"  # the local model loads on the first request
    UNREACHABLE = "unreachable"  # the LLM server does not answer
    UNAVAILABLE = "unavailable"  # the local model could not be loaded
    PAUSED = "paused"  # the LLM failed repeatedly: the circuit breaker keeps it from being called for a while


@dataclass
class ParserStatus:
    """What a face shows about the parser: which backend, where, and whether it answers right now."""

    backend: ParserBackend
    location: str | None = None  # the endpoint URL or the model folder
    state: ParserState = ParserState.OFFLINE
    detail: str = ""  # for people: the device the model is on, why it could not load

    @property
    def uses_llm(self) -> bool:
        """Whether an LLM reads the instructions (configured, and reachable or loadable)."""
        return self.backend is not ParserBackend.OFFLINE and self.state in (ParserState.READY,
                                                                             ParserState.NOT_LOADED)

    def describe(self) -> str:
        """One line for a banner or a log: 'llm at URL: ready'."""
        where = f" at {self.location}" if self.location else ""
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.backend.value}{where}: {self.state.value.replace('_', ' ')}{detail}"


@runtime_checkable
class InstructionParser(Protocol):
    """Instruction -> Plan, and the two other things the agent may ask of the language side."""

    backend: ParserBackend
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
