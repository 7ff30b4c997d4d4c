"""The result JSON shared by every face: one definition, used by CLI, REST, MCP and UI."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ImageSize(BaseModel):
    width: int
    height: int


class RleMask(BaseModel):
    """COCO run-length encoding (compressed string counts), as pycocotools writes it."""

    size: list[int] = Field(description="[height, width]")
    counts: str


class InstanceOut(BaseModel):
    id: int
    label: str
    score: float
    box: list[float] = Field(description="[x0, y0, x1, y1] in pixels")
    mask: RleMask


class SegmentationResult(BaseModel):
    image: ImageSize
    instances: list[InstanceOut]
    timings_ms: dict[str, float] = Field(description="'total' is the request's wall time; other keys per stage")


class AgentResult(SegmentationResult):
    explanation: str
    reply_language: str
    plan: dict[str, Any]
    session: str | None = None


def mask_or_model_box(inst) -> tuple[float, float, float, float]:
    """The tight xyxy box of a segmenter instance's mask, or the model's box when the mask is empty."""
    if inst.cropped.area > 0:
        return inst.cropped.box()
    return inst.box


def build_result(
    instances: list, size: tuple[int, int], timings_ms: dict[str, float], ids: list[int] | None = None,
    rles: list[dict] | None = None,
) -> SegmentationResult:
    """Result JSON for segmenter `Instance`s on an image of `size` = (height, width) (`rles`: already encoded).

    Ids count from 1 unless given, and each box is the tight box of the returned mask (the model's own box only
    when the mask is empty), as in the agent's answers: one instance has one box on every face.
    """
    height, width = size
    out = [
        InstanceOut(
            id=ids[i] if ids is not None else i + 1,
            label=inst.phrase,
            score=round(float(inst.score), 4),
            box=[round(float(v), 1) for v in mask_or_model_box(inst)],
            mask=RleMask(**(rles[i] if rles is not None else inst.cropped.rle())),
        )
        for i, inst in enumerate(instances)
    ]
    return SegmentationResult(image=ImageSize(width=width, height=height), instances=out,
                              timings_ms={k: round(v, 2) for k, v in timings_ms.items()})
