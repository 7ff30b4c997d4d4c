"""The in-process LLM backend (`local:DIR`) with a tiny random Qwen2.5-VL built offline (tests/make_tiny_qwen.py).

Random weights write garbage when decoding is free; decoding under the plan schema must still give a plan that
validates. A model that can't load falls back to the offline parser and says why.
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
from segchat.parser.base import ParserState, plan_from_reply
from segchat.parser.local_llm import LocalLlmParser, decoding_schema
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
    assert isinstance(parser, LocalLlmParser) and parser.backend == "local"
    assert parser.status().state is ParserState.NOT_LOADED  # loading waits for the first request
    parser.max_new_tokens = 400  # the tiny model's tokens are bytes: a plan is a few hundred of them
    return parser


def test_free_decoding_of_the_random_model_is_no_plan(local_parser):
    reply = local_parser.generate(local_parser.messages("the dog on the left", None, None), None, None, 32)
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
