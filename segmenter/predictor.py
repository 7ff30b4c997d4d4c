"""The two-step SAM3 predictor: `embed(image)` once, then `find_each(handle, prompts)` in one batched forward.

The embedding stays here (the byte-budgeted cache, or the few most recent uncached ones); callers hold an
`EmbeddingHandle`, which names it (see `segchat.segmenter.base`).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import torch
from PIL import Image

from segchat.segmenter.base import (DEFAULT_MASK_THRESHOLD, DEFAULT_NMS_IOU, EmbeddingHandle,
                                    EmbeddingMissingError, FindKnobs, Segmenter)
from segchat.segmenter.cache import ByteBudgetLRU
from segchat.segmenter.images import ImageSource, image_digest, load_image
from segchat.segmenter.instances import Instance
from segchat.segmenter.loader import LoadedSam3, load_sam3
from segchat.segmenter.masks import upsample_to_crop
from segchat.segmenter.prompts import Prompt
from segchat.segmenter.sharing import rows_share_one_image, share_image_only_work

__all__ = ["DEFAULT_MASK_THRESHOLD", "DEFAULT_NMS_IOU", "DEFAULT_PROMPT_BATCH", "Detection", "ImageEmbedding",
           "Sam3Segmenter", "exemplar_tensors"]

DEFAULT_PROMPT_BATCH = 4  # prompts per forward; a full-size SAM3 needs ~0.4 GB of activations per prompt on a CPU
# embeddings kept outside the cache (video frames, images larger than the whole budget) so that the find step right
# after the embed step finds them; what a caller once held for the length of one frame now stays until two newer ones
# push it out. A find that comes later than that embeds the image again (the caller passes it).
RECENT_UNCACHED = 2


@dataclass
class ImageEmbedding:
    """The vision features of one image, ready to be matched against any prompts.

    fpn_hidden_states: the FPN levels the detector reads (1xCxhxw each; SAM3's coarsest level is never read by the
        image path, so it is not kept).
    fpn_position_encoding: the same levels' position encodings. They depend only on the input size and are shared
        by every image of that size (one copy per size, held by the segmenter), so `nbytes` leaves them out.
    size: (height, width) of the original image.
    """

    key: str
    fpn_hidden_states: tuple[torch.Tensor, ...]
    fpn_position_encoding: tuple[torch.Tensor, ...]
    size: tuple[int, int]

    @property
    def nbytes(self) -> int:
        """What one more cached image really holds: its own feature maps."""
        return sum(t.numel() * t.element_size() for t in self.fpn_hidden_states)

    @property
    def handle(self) -> EmbeddingHandle:
        """The name a caller holds instead of this object."""
        return EmbeddingHandle(key=self.key, size=self.size, nbytes=self.nbytes)

    def expanded(self, n: int):
        """A Sam3VisionEncoderOutput whose batch is `n` views of this one image (no copy); the coarsest level,
        which Sam3Model drops before using any, is an empty placeholder."""
        from transformers.models.sam3.modeling_sam3 import Sam3VisionEncoderOutput

        def views(levels: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
            kept = tuple(t.expand(n, *t.shape[1:]) for t in levels)
            return (*kept, kept[-1].new_empty((n, kept[-1].shape[1], 0, 0)))

        return Sam3VisionEncoderOutput(fpn_hidden_states=views(self.fpn_hidden_states),
                                       fpn_position_encoding=views(self.fpn_position_encoding))


@dataclass
class Detection:
    """What `detect` returns: instances in phrase order, stage timings, and whether the cache was hit."""

    instances: list[Instance]
    size: tuple[int, int]
    timings_ms: dict[str, float] = field(default_factory=dict)
    cache_hit: bool = False


def _mask_nms(masks: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> list[int]:
    """Greedy NMS on binary low-resolution masks (KxHxW bool); returns kept indices by descending score."""
    order = torch.argsort(scores, descending=True)
    flat = masks[order].flatten(1).float()
    inter = flat @ flat.T
    area = flat.sum(1)
    union = area[:, None] + area[None, :] - inter
    iou = torch.where(union > 0, inter / union.clamp(min=1), torch.zeros_like(inter))
    keep: list[int] = []
    suppressed = torch.zeros(len(order), dtype=torch.bool)
    for i in range(len(order)):
        if suppressed[i]:
            continue
        keep.append(int(order[i]))
        suppressed |= iou[i] > iou_threshold
    return keep


BOX_PADDING_LABEL = -10  # what Sam3Model reads as "no box here"


def exemplar_tensors(prompts: list[Prompt], size: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
    """(input_boxes B x K x 4 normalised cx, cy, w, h; input_boxes_labels B x K: 1 positive, 0 negative, -10 pad)
    for the prompts' exemplar boxes on an image of `size` = (height, width).

    Every prompt's boxes are normalised by the image size (transformers' processor normalises only the first
    prompt's boxes when several prompts share one image, unless given one original size per prompt).
    """
    height, width = size
    most = max(1, max(len(p.exemplars) for p in prompts))
    boxes = torch.zeros(len(prompts), most, 4)
    labels = torch.full((len(prompts), most), BOX_PADDING_LABEL, dtype=torch.long)
    for row, prompt in enumerate(prompts):
        for k, exemplar in enumerate(prompt.exemplars):
            x0, y0, x1, y1 = exemplar.box
            boxes[row, k] = torch.tensor([(x0 + x1) / 2 / width, (y0 + y1) / 2 / height, (x1 - x0) / width,
                                          (y1 - y0) / height])
            labels[row, k] = 1 if exemplar.positive else 0
    return boxes, labels


class Sam3Segmenter(Segmenter):
    """SAM3 with an embedding cache. Thread-safe: one forward at a time per segmenter."""

    def __init__(self, loaded: LoadedSam3, *, cache_bytes: int = 1 << 30, max_image_pixels: int = 40_000_000,
                 prompt_batch: int = DEFAULT_PROMPT_BATCH) -> None:
        self.model = loaded.model
        self.processor = loaded.processor
        self.device = loaded.device
        self.dtype = loaded.dtype
        self.source = loaded.source
        self.default_threshold = loaded.default_threshold
        self.cache: ByteBudgetLRU[ImageEmbedding] = ByteBudgetLRU(cache_bytes)
        self._recent: ByteBudgetLRU[ImageEmbedding] = ByteBudgetLRU(RECENT_UNCACHED)
        self.max_image_pixels = max_image_pixels
        self.max_text_tokens = int(self.model.config.text_config.max_position_embeddings)
        self._lock = threading.Lock()
        self._positions: dict[tuple, tuple[torch.Tensor, ...]] = {}
        self.prompt_batch = max(1, prompt_batch)
        share_image_only_work(self.model)

    @classmethod
    def from_pretrained(
        cls, source: str, *, device: str = "auto", dtype: str = "auto", cache_bytes: int = 1 << 30,
        max_image_pixels: int = 40_000_000, prompt_batch: int = DEFAULT_PROMPT_BATCH,
    ) -> Sam3Segmenter:
        return cls(load_sam3(source, device=device, dtype=dtype), cache_bytes=cache_bytes,
                   max_image_pixels=max_image_pixels, prompt_batch=prompt_batch)

    # -- step 1 -----------------------------------------------------------------------------
    def embed(self, image: ImageSource, *, cache: bool = True) -> tuple[EmbeddingHandle, bool]:
        """Run the vision encoder once for `image` (or find its embedding already held). Returns (handle, whether
        it was held). The embedding stays here: in the cache, or (`cache=False`, a video frame seen once; or an
        image larger than the whole budget) among the few most recent uncached ones."""
        embedding, hit = self._embedding(image, cache=cache)
        return embedding.handle, hit

    def embedding_of(self, handle: EmbeddingHandle, image: ImageSource | None = None) -> ImageEmbedding:
        """The embedding `handle` names, in this process: held, else made again from `image` (the cache may have
        evicted it since `embed`, under other requests' images)."""
        held = self.cache.peek(handle.key) or self._recent.peek(handle.key)
        if held is not None:
            return held
        if image is None:
            raise EmbeddingMissingError(f"the embedding of image {handle.key[:12]}… is no longer held here; pass the "
                                        "image to embed it again")
        embedding, _ = self._embedding(image, cache=False)
        if embedding.key != handle.key:
            raise ValueError(f"the image given ({embedding.key[:12]}…) is not the one the handle names "
                             f"({handle.key[:12]}…)")
        return embedding

    def _embedding(self, image: ImageSource, *, cache: bool) -> tuple[ImageEmbedding, bool]:
        pil = image if isinstance(image, Image.Image) and image.mode == "RGB" else load_image(
            image, max_pixels=self.max_image_pixels)
        key = image_digest(pil)
        held = self.cache.get(key)
        if held is not None:
            return held, True
        recent = self._recent.peek(key)
        if recent is not None:
            if cache:  # seen once as a video frame, now asked for again: it has earned a place in the cache
                self.cache.put(key, recent, recent.nbytes)
            return recent, True
        inputs = self.processor.image_processor(images=pil, return_tensors="pt")
        pixel_values = inputs["pixel_values"].to(self.device, self.dtype)
        with self._lock, torch.inference_mode():
            vision = self.model.get_vision_features(pixel_values=pixel_values)
        levels = len(vision.fpn_hidden_states) - 1  # the image detector never reads the coarsest level
        embedding = ImageEmbedding(
            key=key,
            fpn_hidden_states=tuple(vision.fpn_hidden_states[:levels]),
            fpn_position_encoding=self._shared_positions(tuple(vision.fpn_position_encoding[:levels])),
            size=(pil.height, pil.width),
        )
        if not (cache and self.cache.put(key, embedding, embedding.nbytes)):
            self._recent.put(key, embedding, 1)  # counted, not sized: RECENT_UNCACHED of them at most
        return embedding, False

    def _shared_positions(self, encodings: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
        """One copy of the position encodings per input size and dtype, whichever image asked first."""
        key = tuple((tuple(t.shape), t.dtype, str(t.device)) for t in encodings)
        return self._positions.setdefault(key, encodings)

    # -- step 2 -----------------------------------------------------------------------------
    def find(self, handle: EmbeddingHandle, prompts: Sequence[str | Prompt], **options: Any) -> list[Instance]:
        """Every prompt's instances, in prompt order, as one list (`options`: `find_each`'s keyword arguments)."""
        return [inst for group in self.find_each(handle, prompts, **options) for inst in group]

    def _find_prompts(self, handle: EmbeddingHandle, prompts: list[Prompt], *, image: ImageSource | None,
                      knobs: FindKnobs, timings: dict[str, float] | None) -> list[list[Instance]]:
        """`find_each` (written once, in `Finder`): every prompt (a phrase, exemplar boxes, or both) in the embedding
        `handle` names (made again from `image` when no longer held), in one batched forward for the phrases and one
        for the prompts with boxes (SAM3 adds a geometry token to every row of a call that has boxes, so the two
        kinds are never mixed in one batch). Returns each prompt's instances, by descending score.

        `threshold` None is the checkpoint's default (`default_threshold`). `nms_iou` drops a prompt's
        lower-scored instance whose mask overlaps a better one by more than that IoU (SAM3's post-processing does
        no NMS); None turns it off.
        """
        return self._find_each(self.embedding_of(handle, image), prompts, threshold=knobs.threshold,
                               mask_threshold=knobs.mask_threshold, nms_iou=knobs.nms_iou, timings=timings)

    def _find_each(self, embedding: ImageEmbedding, prompts: Sequence[str | Prompt], *, threshold: float | None,
                   mask_threshold: float, nms_iou: float | None,
                   timings: dict[str, float] | None) -> list[list[Instance]]:
        prompts = [p if isinstance(p, Prompt) else Prompt(p) for p in prompts]
        found: list[list[Instance]] = [[] for _ in prompts]
        if not prompts:
            return found
        threshold = self.default_threshold if threshold is None else threshold
        groups = [[i for i, p in enumerate(prompts) if bool(p.exemplars) == with_boxes] for with_boxes in (False, True)]
        # at most `prompt_batch` prompts per forward: peak memory grows with the batch, not with the request
        chunks = [g[k:k + self.prompt_batch] for g in groups for k in range(0, len(g), self.prompt_batch)]
        for group in chunks:
            start = time.perf_counter()
            outputs = self.forward_prompts(embedding, [prompts[i] for i in group])
            decoded = time.perf_counter()
            per_prompt = self.postprocess(outputs, [prompts[i].label for i in group], embedding.size,
                                          threshold=threshold, mask_threshold=mask_threshold, nms_iou=nms_iou)
            for i, instances in zip(group, per_prompt):
                found[i] = instances
            if timings is not None:
                timings["decode"] = timings.get("decode", 0.0) + (decoded - start) * 1000
                timings["postprocess"] = timings.get("postprocess", 0.0) + (time.perf_counter() - decoded) * 1000
        return found

    def tokenize(self, texts: list[str]) -> dict[str, torch.Tensor]:
        tokens = self.processor.tokenizer(
            [t.strip().lower() for t in texts], padding="max_length", max_length=self.max_text_tokens,
            truncation=True, return_tensors="pt",
        )
        return {"input_ids": tokens["input_ids"].to(self.device), "attention_mask": tokens["attention_mask"].to(self.device)}

    def forward_phrases(self, embedding: ImageEmbedding, phrases: list[str]):
        """Raw Sam3ImageSegmentationOutput for text-only `phrases` on one embedding of this process
        (`embedding_of(handle)`; batch = len(phrases))."""
        return self.forward_prompts(embedding, [Prompt(p) for p in phrases])

    def forward_prompts(self, embedding: ImageEmbedding, prompts: list[Prompt]):
        """Raw Sam3ImageSegmentationOutput for `prompts` (all with boxes or all without) on one cached embedding."""
        inputs = self.tokenize([p.model_text for p in prompts])
        if any(p.exemplars for p in prompts):
            boxes, labels = exemplar_tensors(prompts, embedding.size)
            inputs.update(input_boxes=boxes.to(self.device, self.dtype), input_boxes_labels=labels.to(self.device))
        with self._lock, torch.inference_mode(), rows_share_one_image():
            return self.model(vision_embeds=embedding.expanded(len(prompts)), **inputs)

    @staticmethod
    def postprocess(
        outputs, labels: list[str], size: tuple[int, int], *, threshold: float, mask_threshold: float,
        nms_iou: float | None,
    ) -> list[list[Instance]]:
        """Scores = sigmoid(logits) x sigmoid(presence), as transformers does; masks resized to `size`.
        One list of instances per batch row (named by `labels`), by descending score."""
        height, width = size
        scores_all = outputs.pred_logits.float().sigmoid()
        if outputs.presence_logits is not None:
            scores_all = scores_all * outputs.presence_logits.float().sigmoid()
        boxes_all = outputs.pred_boxes.float() * torch.tensor([width, height, width, height], dtype=torch.float32,
                                                              device=scores_all.device)
        found: list[list[Instance]] = []
        logit_threshold = math.log(mask_threshold / (1 - mask_threshold))  # sigmoid(x) > t  <=>  x > logit(t)
        for b, label in enumerate(labels):
            instances: list[Instance] = []
            found.append(instances)
            keep = torch.nonzero(scores_all[b] > threshold).flatten()
            if len(keep) == 0:
                continue
            if nms_iou is not None and len(keep) > 1:
                low_res = (outputs.pred_masks[b, keep] > logit_threshold).cpu()
                chosen = _mask_nms(low_res, scores_all[b, keep].cpu(), nms_iou)
                keep = keep[chosen]
            else:
                keep = keep[torch.argsort(scores_all[b, keep], descending=True)]
            masks_b = outputs.pred_masks[b].detach()
            if masks_b.device.type == "cpu" and masks_b.dtype == torch.float32:
                all_logits = masks_b.numpy()  # a view: no copy of the 200 low-resolution masks
                logits = [all_logits[q] for q in keep.tolist()]
            else:  # GPU or bfloat16: move only the kept masks
                logits = list(masks_b[keep].float().cpu().numpy())
            scores = scores_all[b, keep].cpu().tolist()
            boxes = boxes_all[b, keep].clamp(min=0).cpu().numpy()
            boxes[:, 0::2] = boxes[:, 0::2].clip(max=width)
            boxes[:, 1::2] = boxes[:, 1::2].clip(max=height)
            for mask_logit, score, box in zip(logits, scores, boxes):
                # only the crop that can pass the threshold is upsampled (same pixels as F.interpolate)
                cropped = upsample_to_crop(mask_logit, (height, width), mask_threshold)
                if cropped.area == 0:  # a score without a single pixel is no instance
                    continue
                instances.append(Instance(phrase=label, score=float(score), mask=cropped,
                                          model_box=tuple(float(v) for v in box)))
        return found

    # -- both ---------------------------------------------------------------------------------
    def detect(
        self,
        image: ImageSource,
        prompts: Sequence[str | Prompt],
        *,
        threshold: float | None = None,
        mask_threshold: float = DEFAULT_MASK_THRESHOLD,
        nms_iou: float | None = DEFAULT_NMS_IOU,
    ) -> Detection:
        start = time.perf_counter()
        pil = load_image(image, max_pixels=self.max_image_pixels)
        loaded = time.perf_counter()
        embedding, hit = self._embedding(pil, cache=True)
        embedded = time.perf_counter()
        timings = {"load_image": (loaded - start) * 1000, "embed": (embedded - loaded) * 1000}
        found = self._find_each(embedding, prompts, threshold=threshold, mask_threshold=mask_threshold,
                                nms_iou=nms_iou, timings=timings)
        instances = [inst for group in found for inst in group]
        timings["total"] = (time.perf_counter() - start) * 1000
        return Detection(instances=instances, size=embedding.size, timings_ms=timings, cache_hit=hit)
