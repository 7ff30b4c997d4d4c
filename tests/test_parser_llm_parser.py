"""`LlmParser`, once for every backend, over a scripted chat backend (a test double): repair, the circuit breaker,
the fallback's reasons, `generalize`, `verify_marks` and the status, whichever backend kind it stands for.
The real backends are in test_parser_llm.py (HTTP), test_parser_local_llm.py (tiny Qwen in process) and
test_parser_transformers_serve.py (a real server)."""

from __future__ import annotations

import json
import time

import pytest
from PIL import Image

from segchat.contracts.plan import llm_json_schema
from segchat.parser.base import InstructionParser, ParserBackend, ParserState, ParserStatus
from segchat.parser.breaker import CircuitBreaker
from segchat.parser.chat import BackendUnavailable, ChatBackend
from segchat.parser.decoding import decoding_schema
from segchat.parser.llm_parser import MAX_REPLY_CHARS, LlmParser
from segchat.parser.local_llm import local_parser, qwen_messages
from segchat.parser.messages import plan_messages

GOOD = {"targets": [{"phrase": "dog", "alternates": [], "select": {"kind": "leftmost", "count": 1}, "exclude": [],
                     "relation": None}], "followup": "new", "reply_language": "en", "clarify": None}


class ScriptedChatDouble:
    """A test double of a chat backend: each call takes the next scripted reply (a string) or raises it (an
    exception), and is recorded with its schema name and token budget."""

    def __init__(self, kind: ParserBackend, script: list[str | Exception]) -> None:
        self.kind = kind
        self.script = list(script)
        self.calls: list[dict] = []

    def complete(self, messages, schema, *, name, max_tokens):
        self.calls.append({"messages": messages, "schema": schema, "name": name, "max_tokens": max_tokens})
        action = self.script.pop(0)
        if isinstance(action, Exception):
            raise action
        return action

    def status(self) -> ParserStatus:
        return ParserStatus(backend=self.kind, location="double", state=ParserState.READY)


BOTH = pytest.mark.parametrize("kind", [ParserBackend.LOCAL, ParserBackend.LLM])


@BOTH
def test_the_parser_and_the_double_keep_their_interfaces(kind):
    double = ScriptedChatDouble(kind, [])
    parser = LlmParser(double)
    assert isinstance(double, ChatBackend) and isinstance(parser, InstructionParser)
    assert parser.backend is kind and parser.status().backend is kind


@BOTH
def test_a_bad_first_reply_is_repaired_with_the_validation_error(kind):
    double = ScriptedChatDouble(kind, ['{"targets": "dog"}', json.dumps(GOOD)])
    outcome = LlmParser(double).parse("the dog on the left", Image.new("RGB", (20, 10)), history="3 dogs found")
    assert outcome.plan.source == "llm" and outcome.fallback_reason is None
    first, repair = double.calls
    assert first["name"] == repair["name"] == "segmentation_plan" and first["schema"] == llm_json_schema()
    assert repair["messages"][:-2] == first["messages"]
    bad_reply, request = repair["messages"][-2:]
    assert bad_reply == {"role": "assistant", "content": '{"targets": "dog"}'}
    assert "not a valid plan" in request["content"] and "targets" in request["content"]  # the error itself


@BOTH
def test_a_reply_invalid_twice_falls_back_with_the_offline_plan(kind):
    double = ScriptedChatDouble(kind, ["not json", json.dumps({"targets": []})])
    outcome = LlmParser(double).parse("segment the cat on the right")
    assert (outcome.plan.source, outcome.fallback_reason) == ("offline", "the LLM reply was not a valid plan")
    assert (outcome.plan.targets[0].phrase, outcome.plan.targets[0].select.kind) == ("cat", "rightmost")
    assert len(double.calls) == 2


@BOTH
def test_failures_in_a_row_open_the_breaker_and_the_status_says_paused(kind):
    double = ScriptedChatDouble(kind, [TimeoutError("slow")] * 2)
    parser = LlmParser(double, breaker=CircuitBreaker(failures=2, cooldown_s=60))
    for _ in range(2):
        assert parser.parse("the red car").fallback_reason == "LLM unavailable (TimeoutError)"
    paused = parser.parse("the red car")
    assert "paused" in paused.fallback_reason and "TimeoutError" in paused.fallback_reason
    assert parser.generalize("fluffy white dog") == "white dog"  # the offline rule, without a call
    assert parser.verify_marks(Image.new("RGB", (8, 8)), "which?") is None
    assert len(double.calls) == 2
    status = parser.status()
    assert (status.backend, status.state, status.uses_llm) == (kind, ParserState.PAUSED, False)


def test_the_breaker_counts_failures_in_a_row_and_closes_after_its_cooldown():
    good = json.dumps(GOOD)
    double = ScriptedChatDouble(ParserBackend.LOCAL, [OSError("x"), good, OSError("x"), OSError("x"), good])
    parser = LlmParser(double, breaker=CircuitBreaker(failures=2, cooldown_s=0.2))
    assert [parser.parse("the dog").plan.source for _ in range(3)] == ["offline", "llm", "offline"]  # a success resets
    assert parser.parse("the dog").plan.source == "offline"  # second failure in a row: paused
    assert "paused" in parser.parse("the dog").fallback_reason and len(double.calls) == 4
    time.sleep(0.25)
    assert parser.parse("the dog").plan.source == "llm" and parser.status().state is ParserState.READY


def test_a_backend_that_cannot_answer_says_why():
    double = ScriptedChatDouble(ParserBackend.LOCAL, [BackendUnavailable("the local model could not be loaded: x")])
    outcome = LlmParser(double).parse("two lemons")
    assert outcome.fallback_reason == "LLM unavailable (the local model could not be loaded: x)"
    assert outcome.plan.targets[0].select.count == 2


def test_a_reply_too_long_is_not_read():
    double = ScriptedChatDouble(ParserBackend.LLM, [" " * (MAX_REPLY_CHARS + 1) + json.dumps(GOOD)])
    outcome = LlmParser(double).parse("the dog")
    assert outcome.plan.source == "offline" and "too long" in outcome.fallback_reason and len(double.calls) == 1


@BOTH
def test_generalize_and_verify_read_their_replies_and_fall_back(kind):
    double = ScriptedChatDouble(kind, [json.dumps({"phrase": " Small  DOG "}), "[]",
                                       json.dumps({"matching": [3, 1]}), json.dumps({"matching": "all"})])
    parser = LlmParser(double)
    assert parser.generalize("fluffy white dog") == "small dog"  # the model's phrase, normalised
    assert parser.generalize("fluffy white dog") == "white dog"  # an unreadable reply: the offline rule
    picture = Image.new("RGB", (8, 8))
    assert parser.verify_marks(picture, "which?") == [3, 1]
    assert parser.verify_marks(picture, "which?") is None
    assert [c["name"] for c in double.calls] == ["general_phrase"] * 2 + ["verification"] * 2
    assert double.calls[2]["messages"][0]["content"][0]["type"] == "image"


def test_the_local_backend_is_wired_to_the_shared_parser_with_its_bounded_schema(tmp_path):
    parser = local_parser(str(tmp_path / "no-model"))  # nothing loads until the first request
    assert isinstance(parser, LlmParser) and parser.backend is ParserBackend.LOCAL
    assert parser.plan_schema == decoding_schema() and isinstance(parser.breaker, CircuitBreaker)


def test_qwen_messages_make_every_content_a_list_of_parts():
    messages = qwen_messages(plan_messages("the dog", Image.new("RGB", (4, 4)), None))
    assert all(isinstance(m["content"], list) for m in messages)
    assert messages[0]["content"][0]["type"] == "text" and "SAM3" in messages[0]["content"][0]["text"]
    assert [part["type"] for part in messages[-1]["content"]] == ["image", "text"]
