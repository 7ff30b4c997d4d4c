"""The in-process LLM backend (`local:DIR`) with a tiny random Qwen2.5-VL built offline (tests/make_tiny_qwen.py).

Random weights write garbage when decoding is free; decoding under the plan schema must still give a plan that
validates. The in-process backend sits behind the same `LlmParser` as the server: a reply cut short is repaired once
through the real model, replies that stay invalid open the circuit breaker, and a model that can't load falls back
to the offline parser and says why.
"""

from __future__ import annotations

import json
import runpy
import sys

import jsonschema
import pytest
from PIL import Image

from segchat import prompts
from segchat.contracts.plan import Plan
from segchat.parser import make_parser
from segchat.parser.base import ParserBackend, ParserState, plan_from_reply
from segchat.parser.breaker import CircuitBreaker
from segchat.parser.decoding import decoding_schema
from segchat.parser.llm_parser import LlmParser
from segchat.parser import local_llm
from segchat.parser.local_llm import InProcessModel
from segchat.parser.messages import PLAN, plan_messages
from tests.conftest import REPO

pytest.importorskip("xgrammar")


@pytest.fixture(scope="module")
def tiny_qwen_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-qwen-local")
    argv = sys.argv
    try:  # in this process: the build shares the torch / transformers import with the test
        sys.argv = ["make_tiny_qwen.py", str(folder)]
        runpy.run_path(str(REPO / "tests" / "make_tiny_qwen.py"), run_name="__main__")
    finally:
        sys.argv = argv
    return folder


@pytest.fixture(scope="module")
def local_parser(tiny_qwen_dir):
    parser = make_parser(f"local:{tiny_qwen_dir}", "unused")
    assert isinstance(parser, LlmParser) and isinstance(parser.chat, InProcessModel)
    assert parser.backend is ParserBackend.LOCAL and parser.plan_schema == decoding_schema()
    assert parser.status().state is ParserState.NOT_LOADED  # loading waits for the first request
    parser.chat.max_new_tokens = 400  # the tiny model's tokens are bytes: a plan is a few hundred of them
    return parser


class CallsSpy:
    """A spy around the real in-process backend: records each call, and cuts the first `cut` replies short (as
    `max_new_tokens` would), so that the parser's repair runs through the real model."""

    def __init__(self, real: InProcessModel, cut: int = 0) -> None:
        self.real, self.cut, self.kind, self.calls = real, cut, real.kind, []

    def complete(self, messages, schema, *, name, max_tokens):
        self.calls.append(messages)
        reply = self.real.complete(messages, schema, name=name, max_tokens=max_tokens)
        return reply[:len(reply) // 2] if len(self.calls) <= self.cut else reply

    def status(self):
        return self.real.status()


def test_free_decoding_of_the_random_model_is_no_plan(local_parser):
    reply = local_parser.chat.complete(plan_messages("the dog on the left", None, None), None, name=PLAN.name,
                                       max_tokens=32)
    with pytest.raises((ValueError, json.JSONDecodeError)):
        plan_from_reply(reply)


def test_constrained_decoding_of_the_random_model_gives_a_plan_that_validates(local_parser):
    outcome = local_parser.parse("把最左边的红色圆形抠出来", Image.new("RGB", (64, 48), (220, 40, 40)),
                                 history="previous instruction 'all the shapes'")
    assert outcome.fallback_reason is None, outcome.fallback_reason
    assert outcome.plan.source == "llm"
    Plan.model_validate(outcome.plan.model_dump())
    assert outcome.plan.targets or outcome.plan.clarify or outcome.plan.remember
    assert local_parser.status().state is ParserState.READY and "loaded on cpu" in local_parser.status().detail


def test_a_reply_cut_short_is_repaired_through_the_real_model(local_parser):
    spy = CallsSpy(local_parser.chat, cut=1)
    parser = LlmParser(spy, plan_schema=local_parser.plan_schema)
    outcome = parser.parse("the dog on the left")
    assert outcome.fallback_reason is None and outcome.plan.source == "llm", outcome.fallback_reason
    assert len(spy.calls) == 2
    cut_reply, repair = spy.calls[1][-2:]
    assert cut_reply["role"] == "assistant" and cut_reply["content"].startswith("{")
    assert repair["role"] == "user" and "not a valid plan" in repair["content"]


def test_replies_that_stay_invalid_open_the_breaker(tiny_qwen_dir):
    # a budget of 6 byte tokens cuts every plan open: the reply and its repair are invalid, every time
    parser = local_llm.local_parser(str(tiny_qwen_dir), max_new_tokens=6,
                                    breaker=CircuitBreaker(failures=2, cooldown_s=60))
    spy = CallsSpy(parser.chat)
    parser.chat = spy
    for _ in range(2):
        outcome = parser.parse("the dog on the left")
        assert (outcome.plan.source, outcome.fallback_reason) == ("offline", "the LLM reply was not a valid plan")
    assert len(spy.calls) == 4  # each parse: the reply and one repair
    paused = parser.parse("the dog on the left")
    assert "paused" in paused.fallback_reason and len(spy.calls) == 4  # the model was not called again
    assert paused.plan.targets[0].select.kind == "leftmost"
    assert parser.status().state is ParserState.PAUSED and parser.status().backend is ParserBackend.LOCAL
    assert parser.generalize("fluffy white dog") == "white dog" and len(spy.calls) == 4


def test_a_model_that_cannot_load_falls_back_to_the_offline_parser(tmp_path):
    parser = make_parser(f"local:{tmp_path / 'no-such-model'}", "unused")
    outcome = parser.parse("segment the cat on the right")
    assert outcome.fallback_reason.startswith("LLM unavailable (the local model could not be loaded")
    assert outcome.plan.source == "offline"
    assert (outcome.plan.targets[0].phrase, outcome.plan.targets[0].select.kind) == ("cat", "rightmost")
    assert parser.status().state is ParserState.UNAVAILABLE
    assert parser.verify_marks(Image.new("RGB", (8, 8)), "which?") is None
    assert parser.generalize("fluffy white dog") == "white dog"


def test_decoding_schema_admits_every_prompt_example_and_only_plans():
    schema = decoding_schema()
    for example in prompts.examples():
        plan = Plan.model_validate({**example["plan"], "source": "llm"}).model_dump(exclude={"source"})
        jsonschema.validate(plan, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({}, schema)
    with pytest.raises(jsonschema.ValidationError):  # a phrase SAM3 can't read
        bad = Plan.model_validate({**prompts.examples()[0]["plan"]}).model_dump(exclude={"source"})
        bad["targets"][0]["phrase"] = "左边的狗"
        jsonschema.validate(bad, schema)
