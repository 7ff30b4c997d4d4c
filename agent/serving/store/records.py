"""What the store hands out: plain records of its rows, the job states, and whose a session is."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


def owner_of(api_key: str | None) -> str:
    """Sessions belong to a hash of the caller's API key ('' = no key configured); the key itself is never stored."""
    return hashlib.sha256(api_key.encode()).hexdigest() if api_key else ""


@dataclass
class SessionRecord:
    id: str
    owner: str
    created: float
    updated: float
    image_key: str | None


@dataclass(frozen=True)
class SessionSummary:
    """One line of a session listing: when, how many turns, and what was asked last."""

    id: str
    created: float
    updated: float
    turns: int
    last_instruction: str | None


class JobState(StrEnum):
    """A video job's life: queued -> running -> done | failed | cancelled (running -> running again, by another
    worker, when its lease lapses)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass
class Job:
    """One row of the jobs table. `input` names the job's input among its files (a video, or a folder of frames);
    `fence` is the token of the latest claim: a worker's writes carry the one its claim returned."""

    id: str
    owner: str
    state: JobState
    instruction: str
    tracker: str
    threshold: float | None
    input: str
    created: float
    updated: float
    frames_done: int = 0
    frames_total: int | None = None
    error: str | None = None
    attempts: int = 0
    lease_holder: str | None = None
    lease_expires: float | None = None
    fence: int = 0
    cancel_requested: bool = False

    def __post_init__(self) -> None:
        self.state = JobState(self.state)  # rows hold the state's text
        self.cancel_requested = bool(self.cancel_requested)

    def public(self) -> dict[str, Any]:
        return {"job": self.id, "state": self.state.value, "instruction": self.instruction, "tracker": self.tracker,
                "frames_done": self.frames_done, "frames_total": self.frames_total, "error": self.error,
                "created": self.created, "updated": self.updated}


class LeaseLostError(RuntimeError):
    """A worker wrote to a job it no longer holds: another worker claimed it after this one's lease lapsed (or the
    job was finished meanwhile). The write was refused; the worker must drop the job."""

    def __init__(self, job_id: str, fence: int) -> None:
        super().__init__(f"job {job_id}: the lease of claim {fence} was lost; the write was refused")
        self.job_id = job_id
        self.fence = fence
