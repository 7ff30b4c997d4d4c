"""The LLM parser: a Qwen-VL model behind any OpenAI-compatible endpoint (vLLM in production).

One request carries the image, the instruction, a summary of the conversation and a JSON schema
(`response_format`), which vLLM turns into constrained decoding. An invalid reply gets one repair attempt;
then, and on any timeout, connection or HTTP error, the offline parser answers and the plan says `source: offline`.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import threading
import time
from dataclasses import dataclass

from PIL import Image
from pydantic import ValidationError

from segchat import prompts
from segchat.contracts.plan import llm_json_schema
from segchat.parser.base import ParseOutcome, ParserBackend, ParserState, ParserStatus, plan_from_reply
from segchat.parser.offline import generalize_offline, parse_offline_with_notes

log = logging.getLogger(__name__)

MAX_REPLY_CHARS = 20_000
MAX_IMAGE_SIDE = 1024


def image_data_url(image: Image.Image, max_side: int = MAX_IMAGE_SIDE) -> str:
    """The image as a JPEG data URL, its longer side at most `max_side` (the VL model needs no more)."""
    image = image.convert("RGB")
    if max(image.size) > max_side:
        image = image.copy()
        image.thumbnail((max_side, max_side))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@dataclass
class CircuitBreaker:
    """Stops calling an endpoint after `failures` failures in a row; tries it again after `cooldown_s`."""

    failures: int = 3
    cooldown_s: float = 60.0
    _count: int = 0
    _open_until: float = 0.0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def allow(self) -> bool:
        with self._lock:
            return time.monotonic() >= self._open_until

    def record(self, ok: bool) -> None:
        with self._lock:
            if ok:
                self._count = 0
                return
            self._count += 1
            if self._count >= self.failures:
                self._open_until = time.monotonic() + self.cooldown_s
                self._count = 0
                log.warning("LLM endpoint failed %d times in a row: not calling it for %.0f s",
                            self.failures, self.cooldown_s)


VERIFY_SCHEMA = {"type": "object", "properties": {"matching": {"type": "array", "items": {"type": "integer"}}},
                 "required": ["matching"], "additionalProperties": False}


class LlmParser:
    """Instruction -> Plan through an OpenAI-compatible chat endpoint, with the offline parser as fallback."""

    backend = "llm"
    can_verify = True

    def __init__(self, base_url: str, model: str, *, api_key: str = "EMPTY", timeout_s: float = 30.0,
                 breaker: CircuitBreaker | None = None) -> None:
        from openai import OpenAI

        self.base_url = base_url
        self.model = model
        self.timeout_s = timeout_s
        self.client = OpenAI(base_url=base_url, api_key=api_key, timeout=timeout_s, max_retries=0)
        self.breaker = breaker or CircuitBreaker()

    def messages(self, text: str, image: Image.Image | None, history: str | None) -> list[dict]:
        messages: list[dict] = [{"role": "system", "content": prompts.load("system.md")}]
        for example in prompts.examples():
            messages.append({"role": "user", "content": f"Instruction: {example['user']}"})
            messages.append({"role": "assistant", "content": json.dumps(example["plan"], ensure_ascii=False)})
        content: list[dict] = []
        if image is not None:
            content.append({"type": "image_url", "image_url": {"url": image_data_url(image)}})
        summary = f"Conversation so far: {history}\n" if history else "Conversation so far: none (a new request).\n"
        content.append({"type": "text", "text": summary + "Instruction: " + json.dumps(text, ensure_ascii=False)})
        messages.append({"role": "user", "content": content})
        return messages

    def _complete(self, messages: list[dict]) -> str:
        response = self.client.chat.completions.create(
            model=self.model,
            messages=messages,
            temperature=0.0,
            max_tokens=800,
            response_format={"type": "json_schema",
                             "json_schema": {"name": "segmentation_plan", "schema": llm_json_schema(), "strict": True}},
        )
        reply = response.choices[0].message.content or ""
        if len(reply) > MAX_REPLY_CHARS:
            raise ValueError(f"reply of {len(reply)} characters is too long")
        return reply

    def parse(self, text: str, image: Image.Image | None = None, history: str | None = None) -> ParseOutcome:
        start = time.perf_counter()
        if not self.breaker.allow():
            return self._fallback(text, history, "the LLM endpoint failed repeatedly and is paused", start)
        messages = self.messages(text, image, history)
        try:
            reply = self._complete(messages)
        except Exception as exc:  # openai raises APITimeoutError, APIConnectionError, APIStatusError, ...
            self.breaker.record(False)
            log.warning("LLM call to %s failed (%s: %s): using the offline parser", self.base_url,
                        type(exc).__name__, str(exc)[:200])
            return self._fallback(text, history, f"LLM unavailable ({type(exc).__name__})", start)
        for attempt in (1, 2):
            try:
                plan = plan_from_reply(reply)
                self.breaker.record(True)
                return ParseOutcome(plan=plan, llm_ms=(time.perf_counter() - start) * 1000)
            except (ValueError, ValidationError) as exc:
                error = str(exc)[:500]
                if attempt == 2:
                    break
                log.info("LLM reply was not a valid plan (%s): asking once for a repair", error[:120])
                repair = messages + [{"role": "assistant", "content": reply[:4000]},
                                     {"role": "user", "content": prompts.load("repair.md").format(error=error)}]
                try:
                    reply = self._complete(repair)
                except Exception as call_error:
                    self.breaker.record(False)
                    return self._fallback(text, history, f"LLM unavailable ({type(call_error).__name__})", start)
        self.breaker.record(False)
        log.warning("LLM reply stayed invalid after one repair: using the offline parser")
        return self._fallback(text, history, "the LLM reply was not a valid plan", start)

    def generalize(self, phrase: str, image: Image.Image | None = None) -> str | None:
        """Ask once for a more general phrase SAM3 may know; the offline rule when the LLM can't answer."""
        if not self.breaker.allow():
            return generalize_offline(phrase)
        content: list[dict] = []
        if image is not None:
            content.append({"type": "image_url", "image_url": {"url": image_data_url(image)}})
        content.append({"type": "text", "text": prompts.load("generalize.md").format(phrase=phrase)})
        schema = {"type": "object", "properties": {"phrase": {"type": "string", "maxLength": 80}},
                  "required": ["phrase"], "additionalProperties": False}
        try:
            response = self.client.chat.completions.create(
                model=self.model, temperature=0.0, max_tokens=60, messages=[{"role": "user", "content": content}],
                response_format={"type": "json_schema",
                                 "json_schema": {"name": "general_phrase", "schema": schema, "strict": True}})
            general = json.loads(response.choices[0].message.content or "")["phrase"]
        except Exception as exc:  # noqa: BLE001 - a failed call must never fail the turn
            log.warning("asking the LLM for a more general phrase failed (%s)", type(exc).__name__)
            self.breaker.record(False)
            return generalize_offline(phrase)
        general = " ".join(str(general).lower().split())[:80]
        return general or None

    def verify_marks(self, picture: Image.Image, question: str) -> list[int] | None:
        """The numbers of the marks on `picture` that the VL model says answer `question`; None on any failure."""
        if not self.breaker.allow():
            return None
        try:
            response = self.client.chat.completions.create(
                model=self.model, temperature=0.0, max_tokens=200,
                messages=[{"role": "user", "content": [
                    {"type": "image_url", "image_url": {"url": image_data_url(picture)}},
                    {"type": "text", "text": question}]}],
                response_format={"type": "json_schema",
                                 "json_schema": {"name": "verification", "schema": VERIFY_SCHEMA, "strict": True}},
            )
            return [int(n) for n in json.loads(response.choices[0].message.content or "")["matching"]]
        except Exception as exc:  # noqa: BLE001 - a failed check must never fail the turn
            log.warning("verification call failed (%s): keeping every candidate", type(exc).__name__)
            return None

    def status(self) -> ParserStatus:
        reachable = _reachable(self.base_url)
        return ParserStatus(backend=ParserBackend.LLM, location=self.base_url,
                            state=ParserState.READY if reachable else ParserState.UNREACHABLE,
                            detail="" if reachable else "the offline parser answers")

    @staticmethod
    def _fallback(text: str, history: str | None, reason: str, start: float) -> ParseOutcome:
        plan, notes = parse_offline_with_notes(text)
        return ParseOutcome(plan=plan, fallback_reason=reason, llm_ms=(time.perf_counter() - start) * 1000,
                            notes=notes)


def _reachable(base_url: str, timeout: float = 2.0) -> bool:
    import httpx

    try:
        return httpx.get(base_url.rstrip("/") + "/models", timeout=timeout).status_code < 500
    except httpx.HTTPError:
        return False
