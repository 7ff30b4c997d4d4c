"""A segmenter that lives elsewhere (a Ray Serve deployment): the agent's `Segmenter`, answered over a transport.

`embed` only names the image (its content digest and size): the embedding is made by whichever replica the
`find` reaches, routed by that name, so a follow-up on the same image reaches the replica that holds it. Every
find carries the image itself: a replica that does not hold the embedding (new, restarted, re-balanced) makes it
again, and nothing is lost when a replica dies (the transport sends the call to another one).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Protocol

import numpy as np
from PIL import Image

from segchat.contracts.results import ReplicaStats
from segchat.segmenter.base import EmbeddingHandle, EmbeddingMissingError, FindKnobs, Segmenter
from segchat.segmenter.images import ImageSource, image_digest, load_image
from segchat.segmenter.instances import Instance
from segchat.segmenter.prompts import Prompt
from segchat.segmenter.service import FindAnswer, FindCall, SegmenterInfo, SegmenterService

# images `embed` named and `find_each` may be called for without the image: the few most recent
RECENT_IMAGES = 4


class SegmenterTransport(Protocol):
    """How calls reach the replicas: Ray Serve's handle in a cluster, a `SegmenterService` in this process."""

    def find(self, call: FindCall) -> FindAnswer: ...

    def info(self) -> SegmenterInfo: ...

    def running_replicas(self) -> set[str]: ...


class LocalTransport:
    """Calls a `SegmenterService` in this process (tests and benchmarks measure the remote path without Ray)."""

    def __init__(self, service: SegmenterService) -> None:
        self.service = service

    def find(self, call: FindCall) -> FindAnswer:
        return self.service.find(call)

    def info(self) -> SegmenterInfo:
        return self.service.info()

    def running_replicas(self) -> set[str]:
        return {self.service.name}


class RemoteSegmenter(Segmenter):
    """`segchat.segmenter.base.Segmenter` over a transport; `remote` tells the agent that the model is not here
    (its video runs on the detect tracker, through these calls)."""

    remote = True

    def __init__(self, transport: SegmenterTransport, *, max_image_pixels: int = 40_000_000) -> None:
        self.transport = transport
        self.max_image_pixels = max_image_pixels
        info = transport.info()
        self.source = info.source
        self.device = info.device
        self.dtype = info.dtype
        self.default_threshold = info.default_threshold
        self.tracker_kind = info.tracker
        self._recent: OrderedDict[str, tuple[Image.Image, bool]] = OrderedDict()
        self._replicas: dict[str, ReplicaStats] = {}
        self._lock = threading.Lock()  # turns, `/readyz` and `/v1/stats` read and write both from several threads

    def embed(self, image: ImageSource, *, cache: bool = True) -> tuple[EmbeddingHandle, bool]:
        """Name the image (the embedding is made where the find lands). Returns (handle, False): whether a replica
        holds it is known only when the find is answered."""
        pil = image if isinstance(image, Image.Image) and image.mode == "RGB" else load_image(
            image, max_pixels=self.max_image_pixels)
        key = image_digest(pil)
        with self._lock:
            self._recent[key] = (pil, cache)
            self._recent.move_to_end(key)
            while len(self._recent) > RECENT_IMAGES:
                self._recent.popitem(last=False)
        return EmbeddingHandle(key, (pil.height, pil.width)), False

    def _find_prompts(self, handle: EmbeddingHandle, prompts: list[Prompt], *, image: ImageSource | None,
                      knobs: FindKnobs, timings: dict[str, float] | None) -> list[list[Instance]]:
        pil, cache = self._image_for(handle, image)
        call = FindCall(handle.key, np.asarray(pil), tuple(prompts), knobs.threshold, knobs.mask_threshold,
                        knobs.nms_iou, cache)
        answer = self.transport.find(call)
        with self._lock:
            self._replicas[answer.replica.replica] = answer.replica
        if timings is not None:  # the replica's own times: the encoder's (0-ish on a hit) and the find's
            timings["embed"] = timings.get("embed", 0.0) + answer.embed_ms
            timings["decode"] = timings.get("decode", 0.0) + answer.find_ms
        return answer.instances

    def _image_for(self, handle: EmbeddingHandle, image: ImageSource | None) -> tuple[Image.Image, bool]:
        with self._lock:
            recent = self._recent.get(handle.key)
        if image is None:
            if recent is None:
                raise EmbeddingMissingError(f"image {handle.key[:12]}… is no longer at hand; pass the image")
            return recent
        pil = image if isinstance(image, Image.Image) and image.mode == "RGB" else load_image(
            image, max_pixels=self.max_image_pixels)
        return pil, recent[1] if recent is not None else True

    def replica_stats(self) -> tuple[int, list[ReplicaStats]]:
        """How many replicas run now, and the counters of those among them that have answered (as of their latest
        answer), by name. A replica that died is left out: its successor starts from zero."""
        running = self.transport.running_replicas()
        with self._lock:
            for gone in set(self._replicas) - running:
                del self._replicas[gone]
            heard = [self._replicas[name] for name in running & set(self._replicas)]
        return len(running), sorted(heard, key=lambda stats: stats.replica)
