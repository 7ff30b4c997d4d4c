"""One segmenter worker: an image path in, an `ImageRecord` out. The same class runs in-process, in a local worker
process and inside a Ray actor, so every backend labels an image with exactly the same code.

The plan was made once, before the run; here it only executes: one batched SAM3 call per image, then the agent's
rules (selection, exclusion, relations) through `execute_plan`, which is the single place they live.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from functools import partial
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from segchat.datasets.records import AnnotationRecord, ImageFailure, ImageItem, ImageRecord, RleSegmentation
from segchat.contracts.errors import BadRequestError, SegchatError
from segchat.contracts.plan import Plan
from segchat.segmenter.instances import Instance

# a callable a notebook (or a test) can swap in: an RGB PIL image -> the instances to write, labelled with their
# category (the target phrase)
LabelImage = Callable[[object], list[Instance]]


class WorkerConfig(BaseModel):
    """Everything a worker needs to build itself, as JSON: it crosses process and Ray boundaries."""

    model_config = ConfigDict(extra="forbid")
    model: str
    plan: Plan
    mode: Literal["plan", "phrases"] = Field("plan", description="phrases: plain detector labels, no rules")
    device: Literal["auto", "cpu", "cuda"] = "auto"
    dtype: Literal["auto", "float32", "bfloat16"] = "auto"
    threshold: float | None = None
    mask_threshold: float = 0.5
    max_image_pixels: int = 40_000_000
    threads: int | None = Field(None, ge=1, description="torch threads in this worker; null: torch's default")


def check_dataset_plan(plan: Plan) -> None:
    """A dataset plan must name what to find on every image by itself: no clarifying question, no follow-up on a
    previous result, no reference to a previous result's instances."""
    if plan.clarify or not plan.targets:
        question = f" The parser asks: {plan.clarify}" if plan.clarify else ""
        raise BadRequestError(f"the instruction names nothing to segment, so there is nothing to label.{question}",
                              code="empty_plan")
    for target in plan.targets:
        if not target.phrase:
            raise BadRequestError("the instruction refers to a previous result ('them', 'those'); a dataset "
                                  "instruction must name the objects, e.g. 'every forklift and every pallet'",
                                  code="empty_plan")
        if target.exemplars:
            raise BadRequestError("the instruction refers to instances of a previous result (#N); a dataset "
                                  "instruction must name the objects", code="empty_plan")


def categories_of(plan: Plan) -> list[str]:
    """The COCO categories, in target order: one per distinct target phrase."""
    return list(dict.fromkeys(t.phrase for t in plan.targets if t.phrase))


def plan_for_phrases(phrases: list[str]) -> Plan:
    """Plain detector labels: one target per phrase, every instance, nothing else."""
    from segchat.contracts.plan import Target

    cleaned = list(dict.fromkeys(" ".join(p.lower().split()) for p in phrases if p and p.strip()))
    if not cleaned:
        raise BadRequestError("--phrases needs at least one non-empty phrase", code="empty_plan")
    return Plan(targets=[Target(phrase=p) for p in cleaned])


def _configure_threads(threads: int | None) -> None:
    import torch

    if threads is None:
        return
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(threads)
    except RuntimeError:  # only allowed before the first parallel op; the intra-op count is what matters here
        pass


class PlanLabeller:
    """`label_image(image) -> list[Instance]` for one plan on one segmenter; an instance's `label` is its category."""

    def __init__(self, segmenter, plan: Plan, *, mode: str = "plan", threshold: float | None = None,
                 mask_threshold: float = 0.5) -> None:
        self.segmenter = segmenter
        self.plan = plan
        self.mode = mode
        self.threshold = threshold
        self.mask_threshold = mask_threshold

    def find_each(self, embedding, prompts: list) -> list[list[Instance]]:
        """Each prompt's instances, every prompt in one batched SAM3 call on the image's embedding."""
        return self.segmenter.find_each(embedding, prompts, threshold=self.threshold,
                                        mask_threshold=self.mask_threshold)

    def __call__(self, image) -> list[Instance]:
        embedding, _ = self.segmenter.embed(image)
        if self.mode == "phrases":
            phrases = categories_of(self.plan)
            found = self.find_each(embedding, phrases)
            return [inst.but(label=phrase) for phrase, group in zip(phrases, found) for inst in group]
        # The seam with the agent: `execute_plan(plan, find(prompts) -> one list per prompt, size)`. Recovery by a
        # more general phrase is off: a category must mean what the instruction said on every image, and each
        # image should cost one forward.
        from segchat.agent.execute import execute_plan

        execution = execute_plan(self.plan, partial(self.find_each, embedding), embedding.size, recovery_rounds=0)
        return list(execution.instances)


def annotation_of(inst: Instance) -> AnnotationRecord:
    x0, y0, x1, y1 = inst.box
    rle = inst.mask.rle()
    return AnnotationRecord(category=inst.label, score=round(float(inst.score), 6),
                            bbox=[float(x0), float(y0), float(x1 - x0), float(y1 - y0)], area=int(inst.area),
                            segmentation=RleSegmentation(size=list(rle["size"]), counts=str(rle["counts"])))


class ImageAnnotator:
    """Loads the model once (or takes a loaded one) and labels images one at a time; never raises for a bad image."""

    def __init__(self, config: WorkerConfig, *, segmenter=None, label_image: LabelImage | None = None) -> None:
        from segchat.segmenter.images import load_image

        _configure_threads(config.threads)
        self.config = config
        self._load_image = load_image
        if label_image is None:
            if segmenter is None:
                from segchat.segmenter.predictor import Sam3Segmenter

                # no embedding cache: a dataset's images are each seen once, and a worker's memory is the budget
                segmenter = Sam3Segmenter.from_pretrained(config.model, device=config.device, dtype=config.dtype,
                                                          cache_bytes=0, max_image_pixels=config.max_image_pixels)
            label_image = PlanLabeller(segmenter, config.plan, mode=config.mode, threshold=config.threshold,
                                       mask_threshold=config.mask_threshold)
        self.label_image = label_image
        self.name = f"{socket.gethostname()}:{os.getpid()}"

    def __call__(self, item: ImageItem) -> ImageRecord:
        start = time.perf_counter()
        base = {"image_id": item.id, "file_name": item.file_name, "worker": self.name}
        try:
            image = self._load_image(item.path, max_pixels=self.config.max_image_pixels)
            instances = self.label_image(image)
            annotations = [annotation_of(inst) for inst in instances]
            return ImageRecord(**base, status="ok", width=image.width, height=image.height, annotations=annotations,
                               elapsed_ms=round((time.perf_counter() - start) * 1000, 2))
        except SegchatError as exc:
            failure = ImageFailure(code=exc.code, message=exc.message)
        except Exception as exc:  # a model error on one odd image must not end a 40,000-image run
            failure = ImageFailure(code="internal_error", message=f"{type(exc).__name__}: {exc}")
        return ImageRecord(**base, status="error", error=failure,
                           elapsed_ms=round((time.perf_counter() - start) * 1000, 2))
