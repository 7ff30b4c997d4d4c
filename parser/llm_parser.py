"""The LLM parser, once for every backend: instruction -> Plan through any `ChatBackend` (an OpenAI-compatible
server, a Qwen-VL model in this process), with the offline parser as fallback.

One request carries the image, the instruction, a summary of the conversation and the Plan's JSON schema. A reply
that is not a valid plan gets one repair (the reply and the validation error go back to the model); then, and on any
failure to call the model, the offline parser answers and the plan says `source: offline` with the reason. After
a few failures in a row the circuit breaker pauses the LLM, so that turns do not wait on a model that is down.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from PIL import Image
from pydantic import ValidationError

from segchat.contracts.plan import Plan, llm_json_schema
from segchat.parser.base import ParseOutcome, ParserBackend, ParserState, ParserStatus, plan_from_reply
from segchat.parser.breaker import CircuitBreaker
from segchat.parser.chat import BackendUnavailable, ChatBackend, Message
from segchat.parser.messages import (GENERAL, GENERAL_SCHEMA, PLAN, VERIFY, VERIFY_SCHEMA, Ask, generalize_messages,
                                     plan_messages, repair_messages, reply_field, verify_messages)
from segchat.parser.offline import generalize_offline, parse_offline_with_notes

log = logging.getLogger(__name__)

MAX_REPLY_CHARS = 20_000  # a plan is a few hundred characters: more is a model that rambles
INVALID_REPLY = "the LLM reply was not a valid plan"


class LlmCallFailed(Exception):
    """The LLM could not be asked (paused, down, too slow, a reply too long); `reason` is for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LlmParser:
    """Instruction -> Plan through `chat`, repaired once, behind a circuit breaker, with the offline parser as
    fallback. `plan_schema` is the schema plans are decoded under (default: the Plan's; the in-process backend passes
    a tighter one that its grammar enforces)."""

    can_verify = True

    def __init__(self, chat: ChatBackend, *, plan_schema: dict | None = None,
                 breaker: CircuitBreaker | None = None) -> None:
        self.chat = chat
        self.backend: ParserBackend = chat.kind
        self.plan_schema = plan_schema if plan_schema is not None else llm_json_schema()
        self.breaker = breaker or CircuitBreaker()

    def parse(self, text: str, image: Image.Image | None = None, history: str | None = None) -> ParseOutcome:
        start = time.perf_counter()
        try:
            plan = self._plan(plan_messages(text, image, history))
        except LlmCallFailed as failure:
            return offline_outcome(text, failure.reason, start)
        if plan is None:
            return offline_outcome(text, INVALID_REPLY, start)
        return ParseOutcome(plan=plan, llm_ms=(time.perf_counter() - start) * 1000)

    def generalize(self, phrase: str, image: Image.Image | None = None) -> str | None:
        """Ask once for a more general phrase SAM3 may know; the offline rule when the LLM can't answer."""
        try:
            general = str(reply_field(self._complete(generalize_messages(phrase, image), GENERAL_SCHEMA, GENERAL),
                                      "phrase"))
        except LlmCallFailed:
            return generalize_offline(phrase)
        except ValueError as exc:
            self.breaker.record(False, "the LLM reply was not a phrase")
            log.warning("the LLM's more general phrase was unreadable (%s)", str(exc)[:120])
            return generalize_offline(phrase)
        self.breaker.record(True)
        general = " ".join(general.lower().split())[:80]
        return general or None

    def verify_marks(self, picture: Image.Image, question: str) -> list[int] | None:
        """The numbers of the marks on `picture` that the VL model says answer `question`; None on any failure."""
        try:
            matching = reply_field(self._complete(verify_messages(picture, question), VERIFY_SCHEMA, VERIFY),
                                   "matching")
            if not isinstance(matching, list):
                raise ValueError("'matching' is not a list")
            numbers = [int(n) for n in matching]
        except LlmCallFailed:
            return None
        except (ValueError, TypeError) as exc:
            self.breaker.record(False, "the LLM reply was not a list of marks")
            log.warning("verification reply was unreadable (%s): keeping every candidate", str(exc)[:120])
            return None
        self.breaker.record(True)
        return numbers

    def status(self) -> ParserStatus:
        """The backend's status, or PAUSED while the breaker keeps the LLM from being called."""
        status = self.chat.status()
        paused_s = self.breaker.seconds_left()
        if paused_s > 0:
            return replace(status, state=ParserState.PAUSED,
                           detail=f"failed repeatedly ({self.breaker.last_failure}); the offline parser answers "
                                  f"for {paused_s:.0f} s")
        return status

    def _plan(self, messages: list[Message]) -> Plan | None:
        """The plan in the model's reply, after one repair if needed; None when it stays invalid."""
        reply = self._complete(messages, self.plan_schema, PLAN)
        try:
            plan = plan_from_reply(reply)
        except (ValueError, ValidationError) as exc:
            log.info("LLM reply was not a valid plan (%s): asking once for a repair", str(exc)[:120])
            reply = self._complete(repair_messages(messages, reply, str(exc)), self.plan_schema, PLAN)
            try:
                plan = plan_from_reply(reply)
            except (ValueError, ValidationError):
                self.breaker.record(False, INVALID_REPLY)
                log.warning("LLM reply stayed invalid after one repair: using the offline parser")
                return None
        self.breaker.record(True)
        return plan

    def _complete(self, messages: list[Message], schema: dict, ask: Ask) -> str:
        """The backend's reply; LlmCallFailed (counted by the breaker) when it can't give one."""
        if not self.breaker.allow():
            raise LlmCallFailed(f"the LLM failed repeatedly and is paused ({self.breaker.last_failure})")
        try:
            reply = self.chat.complete(messages, schema, name=ask.name, max_tokens=ask.max_tokens)
        except BackendUnavailable as exc:
            reason = f"LLM unavailable ({exc})"
        except Exception as exc:  # noqa: BLE001 - openai's timeouts and HTTP errors, torch's out of memory, ...
            reason = f"LLM unavailable ({type(exc).__name__})"
            log.warning("the %s LLM failed (%s: %s): using the offline parser", self.backend.value,
                        type(exc).__name__, str(exc)[:200])
        else:
            if len(reply) <= MAX_REPLY_CHARS:
                return reply
            reason = f"the LLM reply was too long ({len(reply)} characters)"
        self.breaker.record(False, reason)
        raise LlmCallFailed(reason)


def offline_outcome(text: str, reason: str, start: float) -> ParseOutcome:
    """The offline parser's plan for `text`, saying why it answered instead of the LLM."""
    plan, notes = parse_offline_with_notes(text)
    if not plan.clarify:  # the LLM was asked and failed: whatever the grammar read, it is the second opinion
        plan.confidence = "low"
        notes = [*notes, f"the LLM failed ({reason}); the offline parser read this"]
    return ParseOutcome(plan=plan, fallback_reason=reason, llm_ms=(time.perf_counter() - start) * 1000, notes=notes)
