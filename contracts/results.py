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
    id: int = Field(description="counts from 1 within a result; stable across the turns of a session")
    label: str
    score: float
    box: list[float] = Field(description="[x0, y0, x1, y1] in pixels: the tight box of the mask (x1, y1 exclusive)")
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


class TurnRecord(BaseModel):
    """One stored turn of a conversation, as `GET /v1/sessions/{id}` lists it."""

    index: int
    created: float = Field(description="Unix time")
    instruction: str
    result: AgentResult


class SessionHistory(BaseModel):
    session: str
    turns: list[TurnRecord]


class VideoInfoOut(BaseModel):
    width: int
    height: int
    frames: int
    fps: float | None


class VideoObjectOut(BaseModel):
    id: int = Field(description="counts from 1 and is stable for the whole video")
    label: str
    score: float = Field(description="mean score over the frames the object is present in")
    first_frame: int
    last_frame: int
    frames_present: int


class FrameInstanceOut(BaseModel):
    id: int
    score: float
    box: list[float] = Field(description="[x0, y0, x1, y1] in pixels: the tight box of the mask")
    mask: RleMask


class FrameOut(BaseModel):
    index: int
    instances: list[FrameInstanceOut] = Field(description="empty where nothing is visible")


class VideoResult(BaseModel):
    """The video result JSON (CLI, REST jobs, MCP): every frame listed, ids stable for the whole video."""

    video: VideoInfoOut
    objects: list[VideoObjectOut]
    frames: list[FrameOut]
    explanation: str
    reply_language: str
    plan: dict[str, Any]
    tracker: str = Field(description="'sam3' (SAM3's memory tracker) or 'detect' (detection on every frame + "
                                      "association)")
    timings_ms: dict[str, float]
