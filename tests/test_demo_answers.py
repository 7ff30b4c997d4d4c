"""Right answers, not only wiring: the shipped shapes model on the demo image, checked against its ground truth
(examples/shapes_demo.json), through the CLI, a plain HTTP client and an MCP client of `serve.py --demo --offline`.

Only requests the committed model answers right are here (`examples/check_demo.py` lists all of them, with the
misses); a retrained model that breaks one of them fails this file.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import subprocess
import sys
import threading
from http.server import ThreadingHTTPServer

import httpx
import pytest
from PIL import Image

from segchat.lab.agent_tasks import matches
from segchat.segmenter.rle import rle_to_mask
from examples.render_demo import IMAGE, demo_truth_masks
from bench.server_process import REPO, ServerProcess
from tests.test_image_urls import ImageHost

TRUTH = demo_truth_masks()
DEMO_URL = "data:image/png;base64," + base64.b64encode(IMAGE.read_bytes()).decode()


def assert_instances_are(result: dict, truth_ids: list[int]) -> None:
    got = [rle_to_mask(i["mask"]) for i in result["instances"]]
    boxes = [i["box"] for i in result["instances"]]
    assert matches(got, [TRUTH[i] for i in truth_ids]), f"got boxes {boxes}, expected annotations {truth_ids}"


def segchat(*args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "segchat.faces.cli", *args], capture_output=True, text=True, cwd=REPO,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_cli_detect_and_chinese_segment_on_the_demo_image():
    assert_instances_are(segchat("detect", str(IMAGE), "red circle", "--demo", "--json"), [3, 6])
    answer = segchat("segment", str(IMAGE), "把最左边的红色圆形抠出来", "--demo", "--offline", "--json")
    assert_instances_are(answer, [6])
    assert answer["reply_language"] == "zh" and "最左边" in answer["explanation"]


@pytest.fixture(scope="module")
def image_host():
    """A real HTTP server on loopback that serves the demo image under /public/."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), ImageHost)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory, image_host):
    env = {"SEGCHAT_IMAGE_URL_ALLOWLIST": image_host + "/public/"}
    with ServerProcess("--demo", "--offline", env=env, data_dir=tmp_path_factory.mktemp("demo-data")) as server:
        yield server


def test_an_allowed_image_url_is_fetched_and_others_refused(demo_server, image_host):
    with httpx.Client(base_url=demo_server.url, timeout=120) as http:
        fetched = http.post("/v1/segment", json={"image": image_host + "/public/demo.png",
                                                 "instruction": "the leftmost red circle"})
        assert fetched.status_code == 200, fetched.text
        assert_instances_are(fetched.json(), [6])
        for url in (image_host + "/private.png", "http://169.254.169.254/latest/meta-data/"):
            refused = http.post("/v1/segment", json={"image": url, "instruction": "the red circle"})
            assert refused.status_code == 400 and refused.json()["error"]["code"] == "url_not_allowed"


def test_rest_chinese_request_and_a_two_turn_session(demo_server):
    with httpx.Client(base_url=demo_server.url, timeout=120) as http:
        session = http.post("/v1/sessions").json()["session"]
        first = http.post(f"/v1/sessions/{session}/messages",
                          json={"image": DEMO_URL, "instruction": "把所有红色的圆形都选出来"})
        assert first.status_code == 200, first.text
        assert_instances_are(first.json(), [3, 6])
        assert first.json()["explanation"].startswith("查找")
        second = http.post(f"/v1/sessions/{session}/messages", json={"instruction": "现在只要右边那个"})
        assert second.status_code == 200, second.text
        assert second.json()["plan"]["followup"] == "refine"
        assert_instances_are(second.json(), [3])
        upload = http.post("/v1/segment", files={"image": ("shapes.png", IMAGE.read_bytes(), "image/png")},
                           data={"instruction": "把最大的蓝色正方形抠出来"})
        assert upload.status_code == 200, upload.text
        assert_instances_are(upload.json(), [7])


def test_mcp_client_gets_the_right_masks_and_the_overlay(demo_server):
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def call():
        async with streamable_http_client(demo_server.url + "/mcp/") as (read, write, *_):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await session.call_tool("segment_image", {"image": DEMO_URL,
                                                                 "instruction": "所有黄色的图形，五角星除外"})

    result = asyncio.run(call())
    assert not result.is_error
    payload = json.loads(next(c for c in result.content if c.type == "text").text)
    assert payload["reply_language"] == "zh"
    assert_instances_are(payload, [5])  # the yellow circle, not the yellow star
    overlay = Image.open(io.BytesIO(base64.b64decode(next(c for c in result.content if c.type == "image").data)))
    assert overlay.size == (480, 360)
