"""The REST API and MCP against a real `serve.py` process on loopback (tiny random SAM3: wiring, not accuracy)."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest
from PIL import Image

from segchat.segmenter.rle import rle_to_mask
from bench.server_process import REPO, AppServer, ServerProcess

UPLOAD_LIMIT = 2_000_000


def png_bytes(width=90, height=60, seed=0) -> bytes:
    image = Image.fromarray(np.random.default_rng(seed).integers(0, 255, (height, width, 3), dtype=np.uint8))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def data_url(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


@pytest.fixture(scope="module")
def server(tiny_checkpoint, tmp_path_factory):
    env = {"SEGCHAT_THRESHOLD": "0.0", "SEGCHAT_MAX_UPLOAD_BYTES": str(UPLOAD_LIMIT)}
    process = ServerProcess("--model", str(tiny_checkpoint), "--offline", env=env,
                            data_dir=tmp_path_factory.mktemp("server-data"))
    with process:
        yield process


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=120) as http:
        yield http


def test_health_ready_openapi_and_tools(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["llm_state"] == "offline" and ready["device"] == "cpu"
    spec = client.get("/openapi.json").json()
    assert {"/v1/segment", "/v1/sessions", "/v1/sessions/{session_id}/messages", "/v1/detect"} <= set(spec["paths"])
    tools = client.get("/v1/tools").json()
    function = tools[0]["function"]
    assert function["name"] == "segment_image" and "instruction" in function["parameters"]["required"]
    assert set(function["parameters"]["properties"]) == {"image", "instruction", "threshold", "session", "verify",
                                                         "exemplars"}
    body = spec["paths"]["/v1/segment"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["instruction"]["description"] == function["parameters"]["properties"]["instruction"]["description"]


def test_gradio_s_monitoring_summary_is_not_served(client):
    """Before: the UI was mounted with Gradio's default (enable_monitoring=None), which serves the per-function
    timing summary of every event to anyone at /monitoring/summary."""
    assert client.get("/monitoring/summary").status_code == 403


def test_segment_json_and_multipart(client):
    response = client.post("/v1/segment", json={"image": data_url(png_bytes()), "instruction": "the two largest dogs"})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["image"] == {"width": 90, "height": 60} and len(result["instances"]) == 2
    assert all(rle_to_mask(i["mask"]).shape == (60, 90) for i in result["instances"])
    assert result["plan"]["targets"][0]["select"] == {"kind": "largest", "count": 2, "ordinal": None}
    assert result["session"]
    upload = client.post("/v1/segment", files={"image": ("photo.png", png_bytes(), "image/png")},
                         data={"instruction": "把最左边的狗抠出来"})
    assert upload.status_code == 200, upload.text
    assert upload.json()["reply_language"] == "zh" and len(upload.json()["instances"]) == 1


def test_two_turn_session_narrows(client):
    session = client.post("/v1/sessions").json()["session"]
    first = client.post(f"/v1/sessions/{session}/messages",
                        json={"image": data_url(png_bytes(seed=5)), "instruction": "all the dogs"}).json()
    second = client.post(f"/v1/sessions/{session}/messages", json={"instruction": "now only the one on the left"}).json()
    assert len(first["instances"]) >= 2 and len(second["instances"]) == 1
    assert second["plan"]["followup"] == "refine"
    assert second["instances"][0]["id"] in {i["id"] for i in first["instances"]}
    history = client.get(f"/v1/sessions/{session}").json()
    assert [t["instruction"] for t in history["turns"]] == ["all the dogs", "now only the one on the left"]


def test_detect_raw_phrases(client):
    result = client.post("/v1/detect", json={"image": base64.b64encode(png_bytes()).decode(),
                                             "phrases": ["cat", "dog"]}).json()
    assert {i["label"] for i in result["instances"]} <= {"cat", "dog"} and result["instances"]


@pytest.mark.parametrize("body,status,code", [
    ({"image": base64.b64encode(b"this is text").decode(), "instruction": "the dog"}, 400, "unreadable_image"),
    ({"image": "!!!not base64!!!", "instruction": "the dog"}, 400, "bad_base64"),
    ({"image": data_url(b"%PDF-1.4", "application/pdf"), "instruction": "the dog"}, 400, "unsupported_media_type"),
    ({"image": "http://127.0.0.1:22/secret.png", "instruction": "the dog"}, 400, "url_not_allowed"),
    ({"image": data_url(png_bytes()), "instruction": "   "}, 400, "empty_instruction"),
    ({"image": data_url(png_bytes())}, 422, "validation_error"),
    ({"image": data_url(png_bytes()), "instruction": 5}, 422, "validation_error"),
    ({"image": data_url(png_bytes()), "instruction": "dog", "threshold": 7}, 422, "validation_error"),
    ({"image": data_url(png_bytes()), "instruction": "dog", "unknown": 1}, 422, "validation_error"),
    ({"image": data_url(png_bytes()), "instruction": "dog", "session": "../../etc/passwd"}, 422, "validation_error"),
    # exemplar boxes: outside the 90x60 image, no area, one too many; each the same 400 the CLI and MCP give
    ({"image": data_url(png_bytes()), "instruction": "dog", "exemplars": [{"box": [10, 10, 95, 20]}]}, 400,
     "bad_exemplar"),
    ({"image": data_url(png_bytes()), "instruction": "dog", "exemplars": [{"box": [10, 10, 10, 20]}]}, 400,
     "bad_exemplar"),
    ({"image": data_url(png_bytes()), "instruction": "dog", "exemplars": [{"box": [1, 1, 5, 5]}] * 17}, 400,
     "too_many_exemplars"),
])
def test_error_statuses(client, body, status, code):
    response = client.post("/v1/segment", json=body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code and response.json()["error"]["message"]


def test_malformed_json_too_large_and_unknown_session(client):
    response = client.post("/v1/segment", content=b'{"image": ', headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_json"
    big = client.post("/v1/segment", json={"image": base64.b64encode(b"\0" * (UPLOAD_LIMIT + 10)).decode(),
                                           "instruction": "dog"})
    assert big.status_code == 413
    upload = client.post("/v1/segment", files={"image": ("big.png", b"\0" * (UPLOAD_LIMIT * 2), "image/png")},
                         data={"instruction": "dog"})
    assert upload.status_code == 413
    missing = client.post("/v1/sessions/nope123/messages", json={"instruction": "dog"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "session_not_found"
    assert client.get("/v1/sessions/nope123").status_code == 404


def wait_until(condition, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the condition never came true"
        time.sleep(0.01)


def test_full_queue_answers_503(tiny_checkpoint, tiny_segmenter, tmp_path):
    """Covers the REST mapping of a full work queue: 503 `queue_full` with Retry-After while the one running slot
    and the one waiting place are taken, and the request that waited is still answered once the slot frees. The
    queue is filled on purpose (a held job in the running slot, a real request in the waiting place), not by hoping
    that a 2 MP image is slow enough."""
    from segchat.agent import build_agent
    from segchat.contracts.settings import Settings
    from segchat.faces.rest import create_app

    settings = Settings(model=str(tiny_checkpoint), offline=True, threshold=0.0, queue_size=1, concurrency=1,
                        data_dir=tmp_path)
    agent = build_agent(settings, segmenter=tiny_segmenter)
    release = threading.Event()
    body = {"image": data_url(png_bytes()), "instruction": "all the dogs"}
    with AppServer(create_app(agent, settings)) as app, ThreadPoolExecutor(2) as pool:
        try:
            held = pool.submit(agent.queue.run, release.wait, 60)
            wait_until(lambda: agent.queue.stats.running == 1)
            waiting = pool.submit(httpx.post, app.url + "/v1/segment", json=body, timeout=60)
            wait_until(lambda: agent.queue.stats.waiting == 1)
            refused = httpx.post(app.url + "/v1/segment", json=body, timeout=10)
        finally:
            release.set()
        assert refused.status_code == 503 and refused.headers.get("retry-after") == "1", refused.text
        assert refused.json()["error"]["code"] == "queue_full"
        assert held.result() is True and waiting.result().status_code == 200
    assert agent.queue.stats.rejected == 1


def test_mcp_client_lists_and_calls_the_tool(server):
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def run():
        async with streamable_http_client(server.url + "/mcp/") as (read, write, *_):
            async with ClientSession(read, write) as session:
                await session.initialize()
                tools = await session.list_tools()
                result = await session.call_tool("segment_image", {"image": data_url(png_bytes()),
                                                                   "instruction": "把最左边的狗抠出来"})
                too_long = await session.call_tool("segment_image", {"image": data_url(png_bytes()),
                                                                     "instruction": "dog " * 600})
                # over a quarter MB of base64: decoded in the payload decoder's worker processes
                big = await session.call_tool("segment_image", {"image": data_url(png_bytes(400, 300)),
                                                                "instruction": "all the dogs"})
                no_video = await session.call_tool("track_video", {"instruction": "all the dogs"})
                return tools, result, too_long, big, no_video

    tools, result, too_long, big, no_video = asyncio.run(run())
    assert not big.is_error and json.loads(big.content[1].text)["image"] == {"width": 400, "height": 300}
    assert no_video.is_error and "missing_video" in no_video.content[0].text
    # one instruction limit, one error: the same code as REST's 400 (not a schema error on one face only)
    assert too_long.is_error and "instruction_too_long" in too_long.content[0].text
    rest = httpx.post(server.url + "/v1/segment", json={"image": data_url(png_bytes()), "instruction": "dog " * 600},
                      timeout=60)
    assert rest.status_code == 400 and rest.json()["error"]["code"] == "instruction_too_long"
    assert [t.name for t in tools.tools] == ["segment_image", "track_video"]
    assert "instruction" in tools.tools[0].input_schema["properties"]
    assert not result.is_error
    image_block = next(c for c in result.content if c.type == "image")
    overlay = Image.open(io.BytesIO(base64.b64decode(image_block.data)))
    assert overlay.size == (90, 60)
    payload = json.loads(next(c for c in result.content if c.type == "text").text)
    assert payload["reply_language"] == "zh" and len(payload["instances"]) == 1


def test_api_key_is_required_when_configured(tiny_checkpoint, tmp_path):
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    env = {"SEGCHAT_API_KEY": "s3cret-key-a,s3cret-key-b", "SEGCHAT_THRESHOLD": "0.0"}
    with ServerProcess("--model", str(tiny_checkpoint), "--offline", env=env, data_dir=tmp_path) as keyed:
        with httpx.Client(base_url=keyed.url, timeout=60) as http:
            for path in ("/healthz", "/readyz", "/v1/tools", "/", "/openapi.json", "/mcp/"):
                response = http.get(path)
                assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized", path
            assert http.get("/v1/tools", headers={"Authorization": "Bearer wrong"}).status_code == 401
            assert http.get("/v1/tools", headers={"Authorization": "Bearer s3cret-key-a"}).status_code == 200
            assert http.get("/v1/tools", headers={"X-API-Key": "s3cret-key-b"}).status_code == 200
            # each key's sessions are its own
            a = {"Authorization": "Bearer s3cret-key-a"}
            session = http.post("/v1/segment", headers=a, json={"image": data_url(png_bytes()),
                                                                "instruction": "all the dogs"}).json()["session"]
            assert http.get(f"/v1/sessions/{session}", headers=a).status_code == 200
            other = http.get(f"/v1/sessions/{session}", headers={"X-API-Key": "s3cret-key-b"})
            assert other.status_code == 404

        async def mcp_call(key: str):
            import httpx2  # the MCP SDK's own HTTP client package

            async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=60) as client:
                async with streamable_http_client(keyed.url + "/mcp/", http_client=client) as (read, write, *_):
                    async with ClientSession(read, write) as mcp_session:
                        await mcp_session.initialize()
                        return await mcp_session.call_tool("segment_image", {"instruction": "only the leftmost one",
                                                                             "session": session})

        assert not asyncio.run(mcp_call("s3cret-key-a")).is_error  # the same key continues over MCP
        assert asyncio.run(mcp_call("s3cret-key-b")).is_error  # another key cannot
        assert "s3cret-key" not in keyed.log()


def test_refuses_public_bind_without_key_and_bad_model_cleanly(tmp_path):
    public = subprocess.run([sys.executable, str(REPO / "serve.py"), "--host", "0.0.0.0", "--demo", "--data-dir",
                             str(tmp_path)], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert public.returncode == 2 and "SEGCHAT_API_KEY" in public.stderr
    broken = subprocess.run([sys.executable, str(REPO / "serve.py"), "--model", str(tmp_path / "none"), "--port", "0",
                             "--data-dir", str(tmp_path)], capture_output=True, text=True, timeout=180, cwd=REPO)
    assert broken.returncode == 2 and "could not load SAM3 from local folder" in broken.stderr
    # a local folder's hint says what a checkpoint folder must hold, not how to log in to the hub
    assert "save_pretrained" in broken.stderr and "hf auth login" not in broken.stderr
    assert "Traceback" not in broken.stderr


def test_the_ui_exposes_no_gradio_api(client):
    """Agents use REST or MCP (one queue, one set of limits and errors); the chat's own events are private."""
    info = client.get("/gradio_api/info")
    assert info.status_code == 200, info.text
    assert info.json()["named_endpoints"] == {} and info.json()["unnamed_endpoints"] == {}
