"""The two-step SAM3 predictor: `embed(image)` once, then `find(embedding, phrases)` in one batched forward."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

import torch
from PIL import Image

from segchat.segmenter.cache import ByteBudgetLRU
from segchat.segmenter.images import ImageSource, image_digest, load_image
from segchat.segmenter.instances import Instance
from segchat.segmenter.loader import LoadedSam3, load_sam3
from segchat.segmenter.masks import upsample_to_crop

DEFAULT_MASK_THRESHOLD = 0.5
DEFAULT_NMS_IOU = 0.7


@dataclass
class ImageEmbedding:
    """The vision features of one image, ready to be matched against any phrases.

    fpn_hidden_states / fpn_position_encoding: tuples of 1xCxhxw tensors (one per FPN level).
    size: (height, width) of the original image.
    """

    key: str
    fpn_hidden_states: tuple[torch.Tensor, ...]
    fpn_position_encoding: tuple[torch.Tensor, ...]
    size: tuple[int, int]

    @property
    def nbytes(self) -> int:
        tensors = (*self.fpn_hidden_states, *self.fpn_position_encoding)
        return sum(t.numel() * t.element_size() for t in tensors)

    def expanded(self, n: int):
        """A Sam3VisionEncoderOutput whose batch is `n` views of this one image (no copy)."""
        from transformers.models.sam3.modeling_sam3 import Sam3VisionEncoderOutput

        return Sam3VisionEncoderOutput(
            fpn_hidden_states=tuple(t.expand(n, *t.shape[1:]) for t in self.fpn_hidden_states),
            fpn_position_encoding=tuple(t.expand(n, *t.shape[1:]) for t in self.fpn_position_encoding),
        )


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


class Sam3Segmenter:
    """SAM3 with an embedding cache. Thread-safe: one forward at a time per segmenter."""

    def __init__(self, loaded: LoadedSam3, *, cache_bytes: int = 1 << 30, max_image_pixels: int = 40_000_000) -> None:
        self.model = loaded.model
        self.processor = loaded.processor
        self.device = loaded.device
        self.dtype = loaded.dtype
        self.source = loaded.source
        self.default_threshold = loaded.default_threshold
        self.cache: ByteBudgetLRU[ImageEmbedding] = ByteBudgetLRU(cache_bytes)
        self.max_image_pixels = max_image_pixels
        self.max_text_tokens = int(self.model.config.text_config.max_position_embeddings)
        self._lock = threading.Lock()

    @classmethod
    def from_pretrained(
        cls, source: str, *, device: str = "auto", dtype: str = "auto", cache_bytes: int = 1 << 30,
        max_image_pixels: int = 40_000_000,
    ) -> Sam3Segmenter:
        return cls(load_sam3(source, device=device, dtype=dtype), cache_bytes=cache_bytes,
                   max_image_pixels=max_image_pixels)

    # -- step 1 -----------------------------------------------------------------------------
    def embed(self, image: ImageSource) -> tuple[ImageEmbedding, bool]:
        """Run the vision encoder once for `image` (or take it from the cache). Returns (embedding, cache_hit)."""
        pil = image if isinstance(image, Image.Image) and image.mode == "RGB" else load_image(
            image, max_pixels=self.max_image_pixels)
        key = image_digest(pil)
        cached = self.cache.get(key)
        if cached is not None:
            return cached, True
        inputs = self.processor.image_processor(images=pil, return_tensors="pt")
        pixel_values = inputs["pixel_values"].to(self.device, self.dtype)
        with self._lock, torch.inference_mode():
            vision = self.model.get_vision_features(pixel_values=pixel_values)
        embedding = ImageEmbedding(
            key=key,
            fpn_hidden_states=tuple(vision.fpn_hidden_states),
            fpn_position_encoding=tuple(vision.fpn_position_encoding),
            size=(pil.height, pil.width),
        )
        self.cache.put(key, embedding, embedding.nbytes)
        return embedding, False

    # -- step 2 -----------------------------------------------------------------------------
    def find(
        self,
        embedding: ImageEmbedding,
        phrases: list[str],
        *,
        threshold: float | None = None,
        mask_threshold: float = DEFAULT_MASK_THRESHOLD,
        nms_iou: float | None = DEFAULT_NMS_IOU,
        timings: dict[str, float] | None = None,
    ) -> list[Instance]:
        """Find every phrase in `embedding` with one batched forward; instances come in phrase order.

        `threshold` None is the checkpoint's default (`default_threshold`). `nms_iou` drops a phrase's
        lower-scored instance whose mask overlaps a better one by more than
        that IoU (SAM3's post-processing does no NMS); None turns it off.
        """
        if not phrases:
            return []
        threshold = self.default_threshold if threshold is None else threshold
        start = time.perf_counter()
        outputs = self.forward_phrases(embedding, phrases)
        decoded = time.perf_counter()
        instances = self.postprocess(outputs, phrases, embedding.size, threshold=threshold,
                                     mask_threshold=mask_threshold, nms_iou=nms_iou)
        if timings is not None:
            timings["decode"] = timings.get("decode", 0.0) + (decoded - start) * 1000
            timings["postprocess"] = timings.get("postprocess", 0.0) + (time.perf_counter() - decoded) * 1000
        return instances

    def tokenize(self, phrases: list[str]) -> dict[str, torch.Tensor]:
        tokens = self.processor.tokenizer(
            [p.strip().lower() for p in phrases], padding="max_length", max_length=self.max_text_tokens,
            truncation=True, return_tensors="pt",
        )
        return {"input_ids": tokens["input_ids"].to(self.device), "attention_mask": tokens["attention_mask"].to(self.device)}

    def forward_phrases(self, embedding: ImageEmbedding, phrases: list[str]):
        """Raw Sam3ImageSegmentationOutput for `phrases` on one cached embedding (batch = len(phrases))."""
        tokens = self.tokenize(phrases)
        with self._lock, torch.inference_mode():
            return self.model(vision_embeds=embedding.expanded(len(phrases)), **tokens)

    @staticmethod
    def postprocess(
        outputs, phrases: list[str], size: tuple[int, int], *, threshold: float, mask_threshold: float,
        nms_iou: float | None,
    ) -> list[Instance]:
        """Scores = sigmoid(logits) x sigmoid(presence), as transformers does; masks resized to `size`."""
        height, width = size
        scores_all = outputs.pred_logits.float().sigmoid()
        if outputs.presence_logits is not None:
            scores_all = scores_all * outputs.presence_logits.float().sigmoid()
        boxes_all = outputs.pred_boxes.float() * torch.tensor([width, height, width, height], dtype=torch.float32,
                                                              device=scores_all.device)
        instances: list[Instance] = []
        logit_threshold = math.log(mask_threshold / (1 - mask_threshold))  # sigmoid(x) > t  <=>  x > logit(t)
        for b, phrase in enumerate(phrases):
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
                instances.append(Instance(phrase=phrase, score=float(score), box=tuple(float(v) for v in box),
                                          cropped=cropped))
        return instances

    # -- both ---------------------------------------------------------------------------------
    def detect(
        self,
        image: ImageSource,
        phrases: list[str],
        *,
        threshold: float | None = None,
        mask_threshold: float = DEFAULT_MASK_THRESHOLD,
        nms_iou: float | None = DEFAULT_NMS_IOU,
    ) -> Detection:
        start = time.perf_counter()
        pil = load_image(image, max_pixels=self.max_image_pixels)
        loaded = time.perf_counter()
        embedding, hit = self.embed(pil)
        embedded = time.perf_counter()
        timings = {"load_image": (loaded - start) * 1000, "embed": (embedded - loaded) * 1000}
        instances = self.find(embedding, phrases, threshold=threshold, mask_threshold=mask_threshold,
                              nms_iou=nms_iou, timings=timings)
        timings["total"] = (time.perf_counter() - start) * 1000
        return Detection(instances=instances, size=embedding.size, timings_ms=timings, cache_hit=hit)
