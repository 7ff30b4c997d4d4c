"""The server's event loop stays free: /healthz answers within a second while a request waits 5 s on a slow
allow-listed image URL, and while big base64 bodies are parsed and decoded (a real `serve.py --demo --offline`).

Wide margins, not tight timings: a stalled loop shows as a probe of seconds (the URL's 5 s; the ~2 s a 124 MB body
takes to parse and decode on this 2-core machine), a free one as tens to a few hundred milliseconds (the copies in
and out of the decoding worker), and the line is drawn at one second.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from bench.healthz_under_load import SLOW_PATH, probing, slow_image_host, slow_url_request
from bench.server_process import ServerProcess
from segchat.agent.serving.payloads import DecodedBody
from segchat.contracts.errors import BadRequestError, PayloadTooLargeError
from segchat.faces.http import PayloadDecoder

STALL_S = 5.0  # the slow host's wait
PROBE_LIMIT_S = 1.0
BIG_DECODED = 90_000_000  # bytes of each big body's payload (about 124 MB of JSON as MIME base64)
BIG_BODIES = 2


@pytest.fixture(scope="module")
def slow_host():
    with slow_image_host(STALL_S) as host:
        yield host


@pytest.fixture(scope="module")
def server(slow_host, tmp_path_factory):
    env = {"SEGCHAT_IMAGE_URL_ALLOWLIST": slow_host + "/slow/", "SEGCHAT_MAX_UPLOAD_BYTES": str(BIG_DECODED * 11 // 10)}
    with ServerProcess("--demo", "--offline", env=env, data_dir=tmp_path_factory.mktemp("event-loop")) as process:
        yield process


def test_a_slow_image_url_leaves_the_loop_free(server, slow_host):
    answer: dict = {}
    with probing(server.url, interval_s=0.05) as probe:
        slow_url_request(server.url, slow_host + SLOW_PATH, answer)
    assert answer["status"] == 200 and answer["seconds"] >= STALL_S
    assert len(probe.latencies) >= 20 and probe.failures == 0
    assert max(probe.latencies) < PROBE_LIMIT_S, f"/healthz waited {max(probe.latencies):.2f} s"


def test_mcp_waits_on_a_slow_url_off_the_loop(server, slow_host):
    """The MCP tool is a coroutine of the same loop: it must wait on the URL (in the agent's thread) too."""
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def call():
        async with streamable_http_client(server.url + "/mcp/") as (read, write, *_):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await session.call_tool("segment_image", {"image": slow_host + SLOW_PATH,
                                                                 "instruction": "all the red circles"})

    with probing(server.url, interval_s=0.05) as probe:
        result = asyncio.run(call())
    assert not result.is_error, result.content
    assert len(probe.latencies) >= 20 and probe.failures == 0
    assert max(probe.latencies) < PROBE_LIMIT_S, f"/healthz waited {max(probe.latencies):.2f} s"


def test_big_base64_bodies_are_decoded_off_the_loop(server):
    """Two 124 MB bodies at once, base64 as MIME writes it (line breaks: JSON escapes, then whitespace to drop);
    the bytes are no image, so the answer (400 unreadable_image) comes right after the decoding."""
    body = json.dumps({"image": base64.encodebytes(os.urandom(BIG_DECODED)).decode(),
                       "instruction": "all the shapes"}).encode()

    def post(_) -> httpx.Response:
        return httpx.post(server.url + "/v1/segment", content=body, headers={"content-type": "application/json"},
                          timeout=300)

    with probing(server.url, interval_s=0.05) as probe, ThreadPoolExecutor(BIG_BODIES) as pool:
        answers = list(pool.map(post, range(BIG_BODIES)))
    assert [a.json()["error"]["code"] for a in answers] == ["unreadable_image"] * BIG_BODIES
    assert probe.failures == 0
    assert max(probe.latencies) < PROBE_LIMIT_S, f"/healthz waited {max(probe.latencies):.2f} s"


def test_the_worker_decodes_as_the_loop_would():
    """A body sent to the worker processes answers as one decoded at once: the image's bytes, a URL left for the
    agent to fetch, and our errors (their code) carried back."""
    asyncio.run(compare_worker_and_loop())


async def compare_worker_and_loop() -> None:
    image = os.urandom(1000)
    bodies = [{"image": "data:image/png;base64," + base64.b64encode(image).decode(), "instruction": "x"},
              {"image": "https://example.com/a.png", "instruction": "x"}]
    at_once, in_worker = PayloadDecoder(), PayloadDecoder(workers=1, inline_below=0)
    try:
        for body in bodies:
            raw = json.dumps(body).encode()
            assert await in_worker.json_body(raw, 10_000) == await at_once.json_body(raw, 10_000)
        assert (await in_worker.json_body(json.dumps(bodies[0]).encode(), 10_000)) == DecodedBody(
            {"image": "", "instruction": "x"}, image)
        for raw, error, code in [(b'{"image": "!!"}', BadRequestError, "bad_base64"), (b"{", BadRequestError, "bad_json"),
                                 (json.dumps(bodies[0]).encode(), PayloadTooLargeError, "payload_too_large")]:
            with pytest.raises(error) as raised:
                await in_worker.json_body(raw, 100)
            assert raised.value.code == code
    finally:
        in_worker.close()


ORPHAN_PROBE = """
import asyncio, base64, json, sys, time
from segchat.faces.http import PayloadDecoder

decoder = PayloadDecoder(workers=2, inline_below=0)
payload = base64.b64encode(b"not an image, only bytes to decode").decode()
asyncio.run(decoder.image(payload, 1 << 20))
print(json.dumps(sorted(decoder._pool._processes)), flush=True)
time.sleep(120)
"""


def test_decoding_workers_leave_when_the_server_is_killed(tmp_path):
    """Before: a server killed with SIGKILL left its two decoding workers running, orphaned, each holding ~0.5 GB
    (16 of them had piled up on this machine after a day of test runs). Now each worker watches its parent."""
    import signal
    import subprocess
    import sys
    import time

    server = subprocess.Popen([sys.executable, "-c", ORPHAN_PROBE], stdout=subprocess.PIPE, text=True)
    workers = json.loads(server.stdout.readline())
    assert workers and all(_alive(pid) for pid in workers)  # the pool starts its workers as work comes
    server.send_signal(signal.SIGKILL)
    server.wait(timeout=10)
    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers), workers


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie waiting for its reaper counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
