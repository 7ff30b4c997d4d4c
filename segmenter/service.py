"""The segmenter as a service: what one segmenter replica (a Ray Serve replica, or this process) answers.

A caller sends a `FindCall`: the image itself (its pixels, a few MB) with its content key and the prompts. The
service embeds the image unless it holds the embedding already (its cache is an optimisation, never state: a
replica that is new, restarted or re-balanced simply embeds again), finds the prompts, and answers with the
instances, whether the embedding was held, and its own counters, so the caller can see cache affinity per replica.

`find_many` answers several calls in one batch (`segchat.segmenter.batching.run_together`, the same step the
in-process batcher runs): a replica's `@serve.batch` hands it the calls that arrived together.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from segchat.contracts.results import ReplicaStats
from segchat.segmenter.base import DEFAULT_MASK_THRESHOLD, DEFAULT_NMS_IOU
from segchat.segmenter.batching import FindRequest, run_together
from segchat.segmenter.cache import CacheStats
from segchat.segmenter.instances import Instance
from segchat.segmenter.predictor import Sam3Segmenter
from segchat.segmenter.prompts import Prompt
from segchat.segmenter.video_loader import default_tracker


@dataclass(frozen=True)
class FindCall:
    """One request's prompts on one image, as it travels to a replica.

    key: the image's content digest (the routing key: equal images reach the replica that embedded them).
    pixels: the image, H x W x 3 uint8 RGB. cache: False for a video frame seen once (kept out of the cache).
    """

    key: str
    pixels: np.ndarray
    prompts: tuple[Prompt, ...]
    threshold: float | None = None
    mask_threshold: float = DEFAULT_MASK_THRESHOLD
    nms_iou: float | None = DEFAULT_NMS_IOU
    cache: bool = True


@dataclass(frozen=True)
class FindAnswer:
    """Each prompt's instances, whether the image's embedding was held, the replica's times and counters."""

    instances: list[list[Instance]]
    held: bool
    embed_ms: float
    find_ms: float
    replica: ReplicaStats


@dataclass(frozen=True)
class SegmenterInfo:
    """What the agent reads about the checkpoint a replica serves (readiness, thresholds, the tracker's kind)."""

    source: str
    device: str
    dtype: str
    default_threshold: float
    tracker: str


@dataclass
class _Counters:
    finds: int = 0
    batches: int = 0
    busy_s: float = 0.0
    # a call whose image's embedding was held is a hit: the affinity routing is measured by
    embeddings: CacheStats = field(default_factory=CacheStats)
    lock: threading.Lock = field(default_factory=threading.Lock)


class SegmenterService:
    """Answers `FindCall`s with one loaded segmenter. Thread-safe (the segmenter serialises its forwards)."""

    def __init__(self, segmenter: Sam3Segmenter, *, name: str = "local", max_rows: int | None = None) -> None:
        self.segmenter = segmenter
        self.name = name
        self.max_rows = max_rows or max(segmenter.prompt_batch, 8)
        self._counters = _Counters()

    def info(self) -> SegmenterInfo:
        segmenter = self.segmenter
        return SegmenterInfo(source=str(segmenter.source), device=str(segmenter.device),
                             dtype=str(segmenter.dtype).replace("torch.", ""),
                             default_threshold=float(segmenter.default_threshold),
                             tracker=default_tracker(str(segmenter.source)).value)

    def find(self, call: FindCall) -> FindAnswer:
        return self.find_many([call])[0]

    def find_many(self, calls: Sequence[FindCall]) -> list[FindAnswer]:
        """Embed each call's image (unless held), then run every call's prompts together."""
        started = time.perf_counter()
        requests: list[FindRequest] = []
        embedded: list[tuple[bool, float]] = []
        for call in calls:
            embed_start = time.perf_counter()
            image = Image.fromarray(call.pixels)
            handle, held = self.segmenter.embed(image, cache=call.cache)
            if handle.key != call.key:  # the caller names the image it sent: a mismatch is a caller's bug
                raise ValueError(f"the image sent is {handle.key[:12]}…, not {call.key[:12]}… as named")
            embedded.append((held, (time.perf_counter() - embed_start) * 1000))
            # with the image: another batch's images may have pushed this one's embedding out meanwhile
            requests.append(FindRequest(self.segmenter.embedding_of(handle, image), list(call.prompts),
                                        self.segmenter.default_threshold if call.threshold is None
                                        else call.threshold, call.mask_threshold, call.nms_iou))
        find_start = time.perf_counter()
        if any(r.prompts for r in requests):
            run_together(self.segmenter, [r for r in requests if r.prompts], max_rows=self.max_rows)
        find_ms = (time.perf_counter() - find_start) * 1000
        counters = self._counters
        with counters.lock:
            counters.finds += len(calls)
            counters.embeddings.hits += sum(held for held, _ in embedded)
            counters.embeddings.misses += sum(not held for held, _ in embedded)
            counters.batches += 1
            counters.busy_s += time.perf_counter() - started
        stats = self.stats()
        return [FindAnswer(request.result if request.prompts else [], held, embed_ms, find_ms, stats)
                for request, (held, embed_ms) in zip(requests, embedded)]

    def stats(self) -> ReplicaStats:
        counters = self._counters
        with counters.lock:
            return ReplicaStats(replica=self.name, pid=os.getpid(), finds=counters.finds,
                                cache_hits=counters.embeddings.hits, cache_misses=counters.embeddings.misses,
                                embeds=counters.embeddings.misses, batches=counters.batches,
                                busy_ms=counters.busy_s * 1000, cached_images=len(self.segmenter.cache))


def this_process(segmenter: object) -> ReplicaStats:
    """The counters of a segmenter that runs in this process (the single-process server): its cache's."""
    cache = getattr(segmenter, "cache", None)
    stats = getattr(cache, "stats", None)
    hits, misses = (stats.hits, stats.misses) if stats is not None else (0, 0)
    return ReplicaStats(replica="local", pid=os.getpid(), finds=hits + misses, cache_hits=hits, cache_misses=misses,
                        embeds=misses, batches=0, busy_ms=0.0, cached_images=len(cache) if cache is not None else 0)
