"""The running service behind every face (REST, MCP, UI): the agent, a bounded queue, limits and image payloads."""

from __future__ import annotations

import base64
import binascii
import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

from segchat.agent.core import SegchatAgent, TurnOutput
from segchat.contracts.errors import BadRequestError, PayloadTooLargeError, QueueFullError
from segchat.faces.image_urls import fetch_image_url
from segchat.contracts.results import build_result
from segchat.contracts.settings import Settings

log = logging.getLogger(__name__)

DATA_URL = re.compile(r"^data:(?P<mime>[\w.+\-]+/[\w.+\-]+)?(?P<params>(;[\w\-]+=[\w\-]+)*)(?P<b64>;base64)?,(?P<data>.*)$",
                      re.DOTALL)
IMAGE_MIMES = {"image/png", "image/jpeg", "image/jpg", "image/webp", "image/gif", "image/bmp", "image/tiff"}


def decode_image_payload(payload: str, max_bytes: int, url_allowlist: list[str] | None = None) -> bytes:
    """Bytes of an image sent as base64, a data URL, or a URL on `url_allowlist`; 400 for junk, a non-image type or
    a URL that is not allowed, 413 past `max_bytes`."""
    if not isinstance(payload, str) or not payload.strip():
        raise BadRequestError("no image was sent", code="missing_image")
    payload = payload.strip()
    if len(payload) > max_bytes * 4 // 3 + 1024:
        raise PayloadTooLargeError(f"the image is larger than the limit of {max_bytes} bytes")
    if payload.startswith("data:"):
        match = DATA_URL.match(payload)
        if match is None or not match.group("b64"):
            raise BadRequestError("a data URL must look like data:image/png;base64,...", code="bad_data_url")
        mime = (match.group("mime") or "").lower()
        if mime not in IMAGE_MIMES:
            raise BadRequestError(f"a data URL of type {mime or 'unknown'!r} is not an image we accept "
                                  f"({', '.join(sorted(IMAGE_MIMES))})", code="unsupported_media_type")
        payload = match.group("data")
    elif re.match(r"^[a-z][a-z0-9+.\-]*://", payload, re.IGNORECASE):
        return fetch_image_url(payload, url_allowlist or [], max_bytes)
    try:
        data = base64.b64decode(re.sub(r"\s+", "", payload), validate=True)
    except (binascii.Error, ValueError):
        raise BadRequestError("the image is not valid base64", code="bad_base64") from None
    if len(data) > max_bytes:
        raise PayloadTooLargeError(f"the image is {len(data)} bytes; the limit is {max_bytes}")
    return data


@dataclass
class QueueStats:
    running: int = 0
    waiting: int = 0
    served: int = 0
    rejected: int = 0


class WorkQueue:
    """At most one job runs at a time on the model; at most `size` wait. Past that: QueueFullError (503)."""

    def __init__(self, size: int, wait_timeout_s: float = 120.0) -> None:
        self.size = size
        self.wait_timeout_s = wait_timeout_s
        self._run_lock = threading.Lock()
        self._guard = threading.Lock()
        self.stats = QueueStats()

    def run(self, job, *args, **kwargs):
        with self._guard:
            if self.stats.waiting >= self.size:
                self.stats.rejected += 1
                raise QueueFullError(f"the server is busy ({self.stats.waiting} requests waiting); try again shortly")
            self.stats.waiting += 1
        acquired = self._run_lock.acquire(timeout=self.wait_timeout_s)
        with self._guard:
            self.stats.waiting -= 1
            if acquired:
                self.stats.running += 1
        if not acquired:
            raise QueueFullError("the server is busy and the request waited too long; try again shortly")
        try:
            return job(*args, **kwargs)
        finally:
            with self._guard:
                self.stats.running -= 1
                self.stats.served += 1
            self._run_lock.release()


class SegchatService:
    def __init__(self, settings: Settings, agent: SegchatAgent) -> None:
        self.settings = settings
        self.agent = agent
        self.queue = WorkQueue(settings.queue_size)
        self.started = time.time()

    # -- the tool ------------------------------------------------------------------------------
    def default_threshold(self) -> float:
        """The score threshold a request without one gets: the setting, else the checkpoint's own default."""
        if self.settings.threshold is not None:
            return self.settings.threshold
        return self.agent.segmenter.default_threshold

    def segment(self, image: str | bytes | None, instruction: str, *, threshold: float | None = None,
                session: str | None = None, verify: bool = False, owner: str = "") -> TurnOutput:
        data = None
        if isinstance(image, bytes):
            if len(image) > self.settings.max_upload_bytes:
                raise PayloadTooLargeError(f"the image is {len(image)} bytes; the limit is {self.settings.max_upload_bytes}")
            data = image or None
        elif image:
            data = decode_image_payload(image, self.settings.max_upload_bytes, self.settings.image_url_prefixes())
        instruction = self.agent.check_instruction(instruction)
        return self.queue.run(self.agent.turn, instruction, data, session, owner=owner, threshold=threshold,
                              verify=verify)

    def detect(self, image: str | bytes, phrases: list[str], threshold: float | None = None) -> dict[str, Any]:
        data = image if isinstance(image, bytes) else decode_image_payload(image, self.settings.max_upload_bytes,
                                                                            self.settings.image_url_prefixes())
        cleaned = [p.strip() for p in phrases if isinstance(p, str) and p.strip()]
        if not cleaned:
            raise BadRequestError("give at least one non-empty phrase", code="missing_phrases")

        def job() -> dict[str, Any]:
            detection = self.agent.segmenter.detect(
                data, cleaned, threshold=self.default_threshold() if threshold is None else threshold,
                mask_threshold=self.settings.mask_threshold)
            return build_result(detection.instances, detection.size, detection.timings_ms).model_dump()

        return self.queue.run(job)

    def create_session(self, owner: str = "") -> str:
        return self.agent.store.create_session(owner)

    def history(self, session_id: str, owner: str = "") -> list[dict[str, Any]]:
        return self.agent.history(session_id, owner)

    # -- status --------------------------------------------------------------------------------
    def readiness(self) -> dict[str, Any]:
        parser = self.agent.parser
        llm_url = getattr(parser, "base_url", None)
        llm_state = "offline"
        if llm_url:
            llm_state = "reachable" if _reachable(llm_url) else "unreachable (offline parser answers)"
        return {"model": self.agent.segmenter.source, "device": str(self.agent.segmenter.device),
                "dtype": str(self.agent.segmenter.dtype).replace("torch.", ""), "llm": llm_url or None,
                "llm_state": llm_state, "queue": vars(self.queue.stats).copy(), "demo": self.settings.demo,
                "threshold": self.default_threshold()}


def _reachable(base_url: str, timeout: float = 2.0) -> bool:
    import httpx

    try:
        return httpx.get(base_url.rstrip("/") + "/models", timeout=timeout).status_code < 500
    except httpx.HTTPError:
        return False
