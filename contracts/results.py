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
