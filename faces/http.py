"""What the HTTP faces (REST, MCP, the browser UI) share: which API key a request presents and whose it is, and
the decoder that keeps big payloads off the event loop."""

from __future__ import annotations

import asyncio
import hmac
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any, TypeVar

from starlette.requests import HTTPConnection

from segchat.agent.serving.payloads import (DecodedBody, decode_inline_image, decode_json_body, decode_video_payload,
                                            is_url)
from segchat.agent.serving.store import owner_of
from segchat.contracts.errors import SegchatError, UnauthorizedError

Decoded = TypeVar("Decoded")

KEY_COOKIE = "segchat_key"


def presented_key(request: HTTPConnection) -> str | None:
    """The key in `Authorization: Bearer`, `X-API-Key`, the UI's cookie or `?api_key=` (first found)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("x-api-key") or request.cookies.get(KEY_COOKIE) or request.query_params.get("api_key")


def key_matches(presented: str | None, keys: list[str]) -> bool:
    """Whether `presented` is one of `keys`, comparing in constant time (every key is compared)."""
    if presented is None:
        return False
    found = False
    for key in keys:
        found |= hmac.compare_digest(presented.encode(), key.encode())
    return found


def request_owner(request: HTTPConnection | None, keys: list[str]) -> str:
    """The owner of what a request creates: '' when no key is configured, else a hash of its (valid) key.
    Raises UnauthorizedError for a missing or wrong key."""
    if not keys:
        return ""
    key = presented_key(request) if request is not None else None
    if not key_matches(key, keys):
        raise UnauthorizedError("an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key'")
    return owner_of(key)


# A quarter of a megabyte parses and decodes in about a millisecond: less than the trip to a worker and back.
INLINE_BELOW = 256 * 1024
# Decoding is throughput work and the event loop is latency work: on a busy machine the loop gets the CPU first.
WORKER_NICENESS = 10
PARENT_CHECK_S = 1.0  # how often a decoding worker looks whether the server that started it is still there


def start_decoding_worker(niceness: int, server_pid: int) -> None:
    """A decoding worker's start: a lower priority than the server's, and an end of its own when the server is gone.

    A server killed with SIGKILL cannot stop its pool, and a worker waiting for work never notices: it would stay,
    orphaned, holding its memory (hundreds of MB once it has decoded a big payload) until the machine restarts. So
    each worker watches its parent and leaves when it is no longer the server that started it."""
    os.nice(niceness)

    def leave_when_orphaned() -> None:
        while os.getppid() == server_pid:
            time.sleep(PARENT_CHECK_S)
        os._exit(0)

    threading.Thread(target=leave_when_orphaned, name="segchat-orphan-watch", daemon=True).start()


class DecoderUnavailableError(SegchatError):
    """A decoding worker died (killed, out of memory): the pool is started again for the next request."""

    code = "decoder_unavailable"
    http_status = 503


class PayloadDecoder:
    """Decodes request payloads (a JSON body, base64, a data URL) without holding the server's event loop: small
    ones at once, big ones in worker processes.

    `json.loads` and base64 of a 27 MB body hold the interpreter lock for about 0.2 s, in a thread as much as on the
    loop, so a thread would still stall every other request and /healthz; a worker process does not, and only the
    copies in and out of it (milliseconds) remain here. The pool starts at the first big payload, with 'spawn':
    the server has threads (and maybe CUDA) that a fork would copy in a broken state. URLs are never fetched here:
    the agent fetches them in the request's thread, where waiting costs the loop nothing."""

    def __init__(self, workers: int = 2, inline_below: int = INLINE_BELOW) -> None:
        self.workers = workers
        self.inline_below = inline_below
        self._pool: ProcessPoolExecutor | None = None

    async def json_body(self, raw: bytes, max_image_bytes: int) -> DecodedBody:
        """The body parsed, with its `image` decoded when it is base64 or a data URL (`decode_json_body`)."""
        if len(raw) < self.inline_below:
            return decode_json_body(raw, max_image_bytes)
        return await self._in_worker(decode_json_body, raw, max_image_bytes)

    async def image(self, payload: str, max_bytes: int) -> bytes | None:
        """The bytes of an image sent as base64 or a data URL; None when it names a URL or is empty (the agent
        fetches or refuses it)."""
        if not payload.strip() or is_url(payload):
            return None
        if len(payload) < self.inline_below:
            return decode_inline_image(payload, max_bytes)
        return await self._in_worker(decode_inline_image, payload, max_bytes)

    async def video(self, payload: str, max_bytes: int) -> tuple[bytes, str]:
        """(bytes, file suffix) of a video sent as base64 or a data URL."""
        if len(payload) < self.inline_below:
            return decode_video_payload(payload, max_bytes)
        return await self._in_worker(decode_video_payload, payload, max_bytes)

    async def _in_worker(self, function: Callable[..., Decoded], *args: Any) -> Decoded:
        try:
            return await asyncio.get_running_loop().run_in_executor(self._started(), function, *args)
        except BrokenProcessPool:
            self.close()
            raise DecoderUnavailableError("the server could not decode this request just now; try again") from None

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=get_context("spawn"),
                                             initializer=start_decoding_worker,
                                             initargs=(WORKER_NICENESS, os.getpid()))
        return self._pool

    def close(self) -> None:
        """Stop the workers (a later big payload starts them again)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
