"""The result JSON shared by every face: one definition, used by CLI, REST, MCP and UI."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field


class TrackerKind(StrEnum):
    """Which video tracker follows the objects (the tool's `tracker` parameter, the CLI's --tracker, the result's
    `tracker` field)."""

    AUTO = "auto"  # a choice, never a result: SAM3 where the checkpoint has a tracker, else detect
    SAM3 = "sam3"  # SAM3's video model with its memory tracker
    DETECT = "detect"  # the image model on every frame, its detections linked across frames


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
    tracker: Literal[TrackerKind.SAM3, TrackerKind.DETECT] = Field(
        description="'sam3' (SAM3's memory tracker) or 'detect' (detection on every frame + association)")
    timings_ms: dict[str, float]


class QueueCounts(BaseModel):
    """The work queue right now and since the start."""

    running: int
    waiting: int
    served: int
    rejected: int


class BatchCounts(BaseModel):
    """Cross-request batching since the start (absent when requests run one at a time)."""

    batches: int
    requests: int
    rows: int


class ReplicaStats(BaseModel):
    """One segmenter (this process's, or one Ray Serve replica's) since it started: how often a request found its
    image's embedding already held (a hit) and how long the encoder and the finds kept it busy."""

    replica: str = Field(description="the replica's name (its Ray Serve id; 'local' in one process)")
    pid: int = Field(description="the process the replica runs in")
    finds: int = Field(description="find requests answered")
    cache_hits: int = Field(description="requests whose image's embedding was held")
    cache_misses: int = Field(description="requests whose image had to be embedded")
    embeds: int = Field(description="runs of the vision encoder")
    batches: int = Field(description="forwards that answered one or more requests together")
    busy_ms: float = Field(description="time spent embedding and finding")
    cached_images: int = Field(description="embeddings held now")


class SegmenterStats(BaseModel):
    """`GET /v1/stats`: every segmenter replica the server has heard from (their counters as of their latest
    answer) and how many are up now."""

    replicas_up: int
    replicas: list[ReplicaStats]


class Readiness(BaseModel):
    """What `/readyz`, `serve.py`'s banner and the UI say about a running agent: its model, its parser and load."""

    model: str = Field(description="the SAM3 checkpoint: a folder or a Hugging Face id")
    demo: bool = Field(description="the checkpoint is the shapes demo model: it knows only coloured circles, "
                                   "squares, triangles, stars and hexagons")
    device: str
    dtype: str = Field(description="float32 or bfloat16")
    threshold: float = Field(description="the score threshold answers use unless a request sets its own")
    parser: str = Field(description="which backend reads instructions: offline, llm or local")
    llm: str | None = Field(description="the LLM endpoint or model folder; null for the offline parser")
    llm_state: str = Field(description="offline, ready, not_loaded, unreachable or unavailable")
    llm_detail: str = Field(description="for people: the device the model is on, why it could not load")
    uses_llm: bool = Field(description="whether an LLM reads the instructions now (else the offline parser)")
    queue: QueueCounts
    batching: BatchCounts | None
    segmenter_replicas: int = Field(1, description="segmenter replicas up (1 in one process; on Ray Serve, those "
                                                   "running now)")
