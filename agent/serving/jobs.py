"""Video jobs: a video takes longer than a request, so the server tracks it in the background.

A job is a row in the session store's SQLite database and a folder under `<data_dir>/jobs/<id>/` (the input video,
then `result.json`, `overlay.mp4` and each object's first appearance). One worker thread runs queued jobs in order;
the queue is bounded. A job that was running when the process died is queued again when the server starts (and marked
failed after a second interruption): never lost silently. Cancelling is checked between frames.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from segchat.contracts.errors import NotFoundError, QueueFullError
from segchat.contracts.results import VideoResult

log = logging.getLogger(__name__)

JOBS_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    state TEXT NOT NULL,
    instruction TEXT NOT NULL,
    tracker TEXT NOT NULL,
    threshold REAL,
    input TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    frames_done INTEGER NOT NULL DEFAULT 0,
    frames_total INTEGER,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0
);
"""
STATES = ("queued", "running", "done", "failed", "cancelled")
MAX_ATTEMPTS = 2


@dataclass
class Job:
    id: str
    owner: str
    state: str
    instruction: str
    tracker: str
    threshold: float | None
    input: str
    created: float
    updated: float
    frames_done: int
    frames_total: int | None
    error: str | None
    attempts: int

    def public(self) -> dict[str, Any]:
        return {"job": self.id, "state": self.state, "instruction": self.instruction, "tracker": self.tracker,
                "frames_done": self.frames_done, "frames_total": self.frames_total, "error": self.error,
                "created": self.created, "updated": self.updated}


class JobRunner:
    """Submits, runs, reports and cancels video jobs for one agent."""

    COLUMNS = ("id, owner, state, instruction, tracker, threshold, input, created, updated, frames_done, frames_total, "
               "error, attempts")

    def __init__(self, agent, *, max_queued: int = 8) -> None:
        self.agent = agent
        self.store = agent.store
        self.folder = self.store.data_dir / "jobs"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.max_queued = max_queued
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._cancel: set[str] = set()
        self._thread: threading.Thread | None = None
        with self.store._lock:
            self.store._db.executescript(JOBS_SCHEMA)
        self._recover()

    # -- the table ---------------------------------------------------------------------------------------------
    def _rows(self, where: str, args: tuple) -> list[Job]:
        with self.store._lock:
            rows = self.store._db.execute(f"SELECT {self.COLUMNS} FROM jobs WHERE {where}", args).fetchall()
        return [Job(*row) for row in rows]

    def _update(self, job_id: str, **fields: Any) -> None:
        fields["updated"] = time.time()
        assignments = ", ".join(f"{name} = ?" for name in fields)
        with self.store._lock:
            self.store._db.execute(f"UPDATE jobs SET {assignments} WHERE id = ?", (*fields.values(), job_id))

    def _recover(self) -> None:
        """Jobs a dead process left running: queued again, or failed when this already happened once."""
        for job in self._rows("state = 'running'", ()):
            if job.attempts >= MAX_ATTEMPTS:
                self._update(job.id, state="failed", error="the server stopped twice while this job ran")
            else:
                self._update(job.id, state="queued", frames_done=0)
                log.info("job %s was interrupted: queued again", job.id)

    # -- the API -----------------------------------------------------------------------------------------------
    def submit(self, video: bytes | Path, suffix: str, instruction: str, *, owner: str = "", tracker: str = "auto",
               threshold: float | None = None) -> Job:
        """Check the request, keep the video, queue the job (QueueFullError when the queue is full)."""
        from segchat.segmenter.video import open_video

        instruction = self.agent.check_instruction(instruction)
        self.agent.tracker(tracker)  # an unknown tracker, or sam3 on a checkpoint without one: refused now
        if len(self._rows("state IN ('queued', 'running')", ())) >= self.max_queued:
            raise QueueFullError(f"{self.max_queued} video jobs are already waiting; try again later")
        job_id = uuid.uuid4().hex
        folder = self.folder / job_id
        folder.mkdir(parents=True)
        if isinstance(video, Path):
            target = folder / ("frames" if video.is_dir() else f"input{suffix}")
            (shutil.copytree if video.is_dir() else shutil.copyfile)(video, target)
        else:
            target = folder / f"input{suffix}"
            target.write_bytes(video)
        try:  # unreadable, too long or too large: refused at once, not after a wait in the queue
            with open_video(target, max_frames=self.agent.max_video_frames,
                            max_pixels=self.agent.max_image_pixels) as reader:
                total = reader.info.frames
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        now = time.time()
        with self.store._lock:
            self.store._db.execute(f"INSERT INTO jobs ({self.COLUMNS}) VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, 0, ?, "
                                   "NULL, 0)", (job_id, owner, instruction, tracker, threshold, str(target), now, now,
                                                total))
        self._wake.set()
        return self.get(job_id, owner)

    def get(self, job_id: str, owner: str = "") -> Job:
        found = self._rows("id = ? AND owner = ?", (job_id, owner))
        if not found:
            raise NotFoundError(f"no job {job_id!r}", code="job_not_found")
        return found[0]

    def result(self, job_id: str, owner: str = "") -> VideoResult | None:
        job = self.get(job_id, owner)
        path = self.folder / job.id / "result.json"
        return VideoResult.model_validate_json(path.read_text()) if job.state == "done" and path.exists() else None

    def file(self, job_id: str, name: str, owner: str = "") -> Path:
        job = self.get(job_id, owner)
        path = self.folder / job.id / name
        if job.state != "done" or not path.is_file():
            raise NotFoundError(f"job {job_id} has no {name} (it is {job.state})", code="job_file_not_found")
        return path

    def cancel(self, job_id: str, owner: str = "") -> Job:
        job = self.get(job_id, owner)
        if job.state == "queued":
            self._update(job.id, state="cancelled")
        elif job.state == "running":
            self._cancel.add(job.id)
        return self.get(job_id, owner)

    # -- the worker --------------------------------------------------------------------------------------------
    def start(self) -> "JobRunner":
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="segchat-jobs", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def _work(self) -> None:
        while not self._stop.is_set():
            queued = self._rows("state = 'queued' ORDER BY created LIMIT 1", ())
            if not queued:
                self._wake.wait(1.0)
                self._wake.clear()
                continue
            self.run(queued[0])

    def run(self, job: Job) -> None:
        """Run one job to its end state (the worker's step; tests call it directly)."""
        from segchat.agent.tracks import Cancelled
        from segchat.agent.outputs.video_out import write_video_outputs
        from segchat.contracts.errors import SegchatError

        self._update(job.id, state="running", attempts=job.attempts + 1, frames_done=0)
        folder = self.folder / job.id
        last = [0.0]

        def progress(done: int, total: int | None) -> None:
            if time.monotonic() - last[0] > 0.5:  # a row update every half second is plenty for a progress bar
                last[0] = time.monotonic()
                self._update(job.id, frames_done=done, **({"frames_total": total} if total else {}))

        try:
            result = self.agent.track(job.input, job.instruction, tracker=job.tracker, threshold=job.threshold,
                                      progress=progress, cancelled=lambda: job.id in self._cancel)
            write_video_outputs(result, job.input, folder, max_frames=self.agent.max_video_frames)
            self._update(job.id, state="done", frames_done=result.video.frames, frames_total=result.video.frames)
        except Cancelled:
            self._update(job.id, state="cancelled")
        except SegchatError as exc:
            self._update(job.id, state="failed", error=exc.message)
        except Exception as exc:  # noqa: BLE001 - a job's failure is reported on the job, never lost
            log.exception("video job %s failed", job.id)
            self._update(job.id, state="failed", error=f"internal error ({type(exc).__name__})")
        finally:
            self._cancel.discard(job.id)
            (folder / "job.json").write_text(json.dumps(self.get(job.id, job.owner).public()))
