"""The LLM parser against a real OpenAI-compatible server: `transformers serve` with a tiny random Qwen2.5-VL.

The server accepts the request (image included) and answers; its random tokens are no plan, so the parser must
repair once and then fall back to the offline parser. (`transformers serve` ignores `response_format`.)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image
from pydantic import ValidationError

from segchat.contracts.plan import llm_json_schema
from segchat.parser.base import plan_from_reply
from segchat.parser.llm import OpenAIServer, server_parser
from segchat.parser.messages import PLAN, plan_messages
from bench.server_process import REPO, free_port

TRANSFORMERS_CLI = Path(sys.executable).parent / "transformers"


@pytest.fixture(scope="module")
def tiny_qwen_server(tmp_path_factory):
    if not TRANSFORMERS_CLI.exists() and not shutil.which("transformers"):
        pytest.skip("the transformers CLI is not installed")
    model_dir = tmp_path_factory.mktemp("tiny-qwen")
    subprocess.run([sys.executable, str(REPO / "tests" / "make_tiny_qwen.py"), str(model_dir)], check=True,
                   capture_output=True, timeout=300)
    port = free_port()
    log_path = model_dir / "serve.log"
    log = open(log_path, "w")
    process = subprocess.Popen([str(TRANSFORMERS_CLI), "serve", str(model_dir), "--device", "cpu", "--host", "127.0.0.1",
                                "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(log_path.read_text())
            try:
                httpx.get(url + "/models", timeout=2)  # any answer means it listens (it may 500 scanning the hub cache)
                break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            raise RuntimeError("transformers serve did not come up: " + log_path.read_text())
        yield url, str(model_dir), log_path
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_real_server_accepts_the_request_and_garbage_falls_back(tiny_qwen_server):
    url, model, log_path = tiny_qwen_server
    parser = server_parser(url, model, timeout_s=120)
    outcome = parser.parse("把最左边的红色圆形抠出来", Image.new("RGB", (64, 48), (220, 40, 40)),
                           history="previous instruction 'all the shapes'")
    # the server answered (HTTP 200) with random tokens: one repair, then the offline parser
    assert outcome.fallback_reason == "the LLM reply was not a valid plan"
    assert outcome.plan.source == "offline"
    assert (outcome.plan.targets[0].phrase, outcome.plan.targets[0].select.kind) == ("red circle", "leftmost")
    log = log_path.read_text()
    assert log.count('"POST /v1/chat/completions HTTP/1.1" 200') == 2


def test_real_server_reply_to_the_exact_request(tiny_qwen_server):
    url, model, log_path = tiny_qwen_server
    server = OpenAIServer(url, model, timeout_s=120)
    answered = log_path.read_text().count('"POST /v1/chat/completions HTTP/1.1" 200')
    reply = server.complete(plan_messages("the dog", Image.new("RGB", (40, 40), (0, 0, 255)), None), llm_json_schema(),
                            name=PLAN.name, max_tokens=PLAN.max_tokens)
    # the exact request (system prompt, few-shot examples, image, schema) was accepted and generated text came back
    assert log_path.read_text().count('"POST /v1/chat/completions HTTP/1.1" 200') == answered + 1
    assert reply.strip(), "the server answered 200 with no generated text"
    # random weights and a server that ignores response_format: the text is no plan, so the parser must repair
    with pytest.raises((ValueError, ValidationError)):
        plan_from_reply(reply)
