"""Batching across requests: prompts of requests that wait at the same moment go through SAM3 in one forward.

A request that arrives when no batch is forming becomes the batch's leader: it waits `wait_s` (a few milliseconds)
for others to join, then runs every joined request's prompts together (text prompts in one forward, prompts with
boxes in another, at most `max_rows` rows each) and hands each request its own instances. A request waits at most
the bound plus the batch it joined; alone, it pays the bound and nothing else.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Sequence

import torch

from segchat.contracts.results import BatchCounts
from segchat.segmenter.base import EmbeddingHandle, FindKnobs, Finder
from segchat.segmenter.images import ImageSource
from segchat.segmenter.instances import Instance
from segchat.segmenter.predictor import ImageEmbedding, Sam3Segmenter, exemplar_tensors
from segchat.segmenter.prompts import Prompt
from segchat.segmenter.sharing import rows_share_one_image

OUTPUT_FIELDS = ("pred_logits", "pred_boxes", "pred_masks", "presence_logits")


@dataclass
class FindRequest:
    """One caller's prompts on one embedding, waiting to run in a batch (with other callers' prompts)."""

    embedding: ImageEmbedding  # looked up by the caller's thread: the batch runs on what was held when it joined
    prompts: list[Prompt]
    threshold: float
    mask_threshold: float
    nms_iou: float | None
    done: threading.Event = field(default_factory=threading.Event)
    result: list[list[Instance]] | None = None
    error: BaseException | None = None


class CrossRequestBatcher(Finder):
    """`find_each` with the segmenter's signature (a `segchat.segmenter.base.Finder`), merging concurrent calls.
    It runs in the segmenter's process: it reads the embeddings the handles name from the segmenter's cache."""

    def __init__(self, segmenter: Sam3Segmenter, *, wait_s: float = 0.008, max_rows: int | None = None) -> None:
        self.segmenter = segmenter
        self.wait_s = wait_s
        self.max_rows = max_rows or max(segmenter.prompt_batch, 8)
        self._guard = threading.Lock()
        self._pending: list[FindRequest] = []
        self._leading = False
        self.stats = BatchCounts(batches=0, requests=0, rows=0)

    def _find_prompts(self, handle: EmbeddingHandle, prompts: list[Prompt], *, image: ImageSource | None,
                      knobs: FindKnobs, timings: dict[str, float] | None) -> list[list[Instance]]:
        threshold = self.segmenter.default_threshold if knobs.threshold is None else knobs.threshold
        request = FindRequest(self.segmenter.embedding_of(handle, image), prompts, threshold, knobs.mask_threshold,
                              knobs.nms_iou)
        start = time.perf_counter()
        with self._guard:
            self._pending.append(request)
            lead = not self._leading
            if lead:
                self._leading = True
        if lead:
            time.sleep(self.wait_s)  # the bound: let the requests arriving now join this batch
            self._lead()
        request.done.wait()
        if timings is not None:
            timings["decode"] = timings.get("decode", 0.0) + (time.perf_counter() - start) * 1000
        if request.error is not None:
            raise request.error
        return request.result

    def _lead(self) -> None:
        """Run batches until nobody is waiting, then step down."""
        while True:
            with self._guard:
                batch, self._pending = self._pending, []
                if not batch:
                    self._leading = False
                    return
            try:
                self._run(batch)
            except BaseException as exc:  # noqa: BLE001 - every waiter must wake, with the error
                for request in batch:
                    if not request.done.is_set():
                        request.error = exc
                        request.done.set()

    def _run(self, batch: list[FindRequest]) -> None:
        self.stats.batches += 1
        self.stats.requests += len(batch)
        self.stats.rows += run_together(self.segmenter, batch, max_rows=self.max_rows)


def run_together(segmenter: Sam3Segmenter, batch: Sequence[FindRequest], *, max_rows: int) -> int:
    """Run every request's prompts, from any number of images, in as few forwards as the kinds of prompt and
    `max_rows` allow; sets each request's result and wakes it. Returns the number of rows run. The one batching
    step: the in-process batcher and a Ray Serve replica's `@serve.batch` both call it."""
    results = {id(r): [[] for _ in r.prompts] for r in batch}
    rows_run = 0
    for with_boxes in (False, True):
        rows = [(r, i) for r in batch for i, p in enumerate(r.prompts) if bool(p.exemplars) == with_boxes]
        for start in range(0, len(rows), max_rows):
            chunk = rows[start:start + max_rows]
            rows_run += len(chunk)
            outputs = _forward(segmenter, chunk)
            for row, (request, index) in enumerate(chunk):
                one = SimpleNamespace(**{name: getattr(outputs, name)[row:row + 1] for name in OUTPUT_FIELDS})
                results[id(request)][index] = Sam3Segmenter.postprocess(
                    one, [request.prompts[index].label], request.embedding.size, threshold=request.threshold,
                    mask_threshold=request.mask_threshold, nms_iou=request.nms_iou)[0]
    for request in batch:
        request.result = results[id(request)]
        request.done.set()
    return rows_run


def _forward(segmenter: Sam3Segmenter, rows: list[tuple[FindRequest, int]]):
    """One SAM3 forward for rows from any number of cached images (views of one image need no copy)."""
    embeddings = [request.embedding for request, _ in rows]
    one_image = all(e.key == embeddings[0].key for e in embeddings)
    if one_image:
        vision = embeddings[0].expanded(len(rows))
    else:
        parts = [e.expanded(1) for e in embeddings]
        vision = type(parts[0])(
            fpn_hidden_states=tuple(torch.cat(level) for level in zip(*(p.fpn_hidden_states for p in parts))),
            fpn_position_encoding=tuple(torch.cat(level) for level in zip(*(p.fpn_position_encoding
                                                                             for p in parts))))
    prompts = [request.prompts[index] for request, index in rows]
    inputs = segmenter.tokenize([p.model_text for p in prompts])
    if any(p.exemplars for p in prompts):
        boxes = [exemplar_tensors([p], e.size) for p, e in zip(prompts, embeddings)]
        most = max(b.shape[1] for b, _ in boxes)
        padded = [(torch.cat([b, b.new_zeros(1, most - b.shape[1], 4)], 1),
                   torch.cat([lab, lab.new_full((1, most - lab.shape[1]), -10)], 1)) for b, lab in boxes]
        inputs.update(input_boxes=torch.cat([b for b, _ in padded]).to(segmenter.device, segmenter.dtype),
                      input_boxes_labels=torch.cat([lab for _, lab in padded]).to(segmenter.device))
    with segmenter._lock, torch.inference_mode(), rows_share_one_image(one_image):
        return segmenter.model(vision_embeds=vision, **inputs)
