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
from pathlib import Path

from segchat.agent.serving.store import Job, JobState
from segchat.contracts.errors import NotFoundError, QueueFullError
from segchat.contracts.results import TrackerKind, VideoResult

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 2
WAITING = (JobState.QUEUED, JobState.RUNNING)

__all__ = ["Job", "JobRunner", "JobState", "MAX_ATTEMPTS"]


class JobRunner:
    """Submits, runs, reports and cancels video jobs for one agent; the jobs table is the store's."""

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
        self._recover()

    def _recover(self) -> None:
        """Jobs a dead process left running: queued again, or failed when this already happened once."""
        for job_id in self.store.recover_jobs(MAX_ATTEMPTS, "the server stopped twice while this job ran"):
            log.info("job %s was interrupted: queued again", job_id)

    # -- the API -----------------------------------------------------------------------------------------------
    def submit(self, video: bytes | Path, suffix: str, instruction: str, *, owner: str = "",
               tracker: TrackerKind | str = TrackerKind.AUTO, threshold: float | None = None,
               keep_source: bool = False) -> Job:
        """Check the request, keep the video, queue the job (QueueFullError when the queue is full).

        `video`: the upload's bytes, or a file or folder of frames. A path is handed over: moved into the job's
        folder, and removed when the job is refused (a session's frames and an upload spooled to disk are temporary
        files that nobody else would remove). With `keep_source` it is copied and left as it was (the UI's upload,
        which may be tracked again)."""
        handed_over = video if isinstance(video, Path) and not keep_source else None
        try:
            instruction = self._checked(instruction, tracker)
        except BaseException:
            _discard(handed_over)
            raise
        job_id = uuid.uuid4().hex
        folder = self.folder / job_id
        folder.mkdir(parents=True)
        try:  # unreadable, too long or too large: refused at once, not after a wait in the queue
            target = _keep(video, suffix, folder, move=handed_over is not None)
            total = self._frames_in(target)
        except BaseException:
            _discard(handed_over)
            shutil.rmtree(folder, ignore_errors=True)
            raise
        now = time.time()
        self.store.add_job(Job(job_id, owner, JobState.QUEUED, instruction, tracker, threshold, str(target),
                               now, now, frames_total=total))
        self._wake.set()
        return self.get(job_id, owner)

    def _checked(self, instruction: str, tracker: TrackerKind | str) -> str:
        """The instruction as the agent takes it; a request that cannot be queued is refused before anything else."""
        instruction = self.agent.check_instruction(instruction)
        self.agent.tracker(tracker)  # an unknown tracker, or sam3 on a checkpoint without one: refused now
        if len(self.store.jobs_in(*WAITING)) >= self.max_queued:
            raise QueueFullError(f"{self.max_queued} video jobs are already waiting; try again later")
        return instruction

    def _frames_in(self, video: Path) -> int | None:
        from segchat.segmenter.video import open_video

        with open_video(video, max_frames=self.agent.max_video_frames,
                        max_pixels=self.agent.max_image_pixels) as reader:
            return reader.info.frames

    def get(self, job_id: str, owner: str = "") -> Job:
        job = self.store.job(job_id, owner)
        if job is None:
            raise NotFoundError(f"no job {job_id!r}", code="job_not_found")
        return job

    def result(self, job_id: str, owner: str = "") -> VideoResult | None:
        job = self.get(job_id, owner)
        path = self.folder / job.id / "result.json"
        if job.state is not JobState.DONE or not path.exists():
            return None
        return VideoResult.model_validate_json(path.read_text())

    def file(self, job_id: str, name: str, owner: str = "") -> Path:
        job = self.get(job_id, owner)
        path = self.folder / job.id / name
        if job.state is not JobState.DONE or not path.is_file():
            raise NotFoundError(f"job {job_id} has no {name} (it is {job.state})", code="job_file_not_found")
        return path

    def cancel(self, job_id: str, owner: str = "") -> Job:
        job = self.get(job_id, owner)
        if job.state is JobState.QUEUED:
            self.store.update_job(job.id, state=JobState.CANCELLED)
        elif job.state is JobState.RUNNING:
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
            queued = self.store.jobs_in(JobState.QUEUED, limit=1)
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

        self.store.update_job(job.id, state=JobState.RUNNING, attempts=job.attempts + 1, frames_done=0)
        folder = self.folder / job.id
        last = [0.0]

        def progress(done: int, total: int | None) -> None:
            if time.monotonic() - last[0] > 0.5:  # a row update every half second is plenty for a progress bar
                last[0] = time.monotonic()
                self.store.update_job(job.id, frames_done=done, **({"frames_total": total} if total else {}))

        try:
            result = self.agent.track(job.input, job.instruction, tracker=job.tracker, threshold=job.threshold,
                                      progress=progress, cancelled=lambda: job.id in self._cancel)
            write_video_outputs(result, job.input, folder, max_frames=self.agent.max_video_frames)
            frames = result.video.frames
            self.store.update_job(job.id, state=JobState.DONE, frames_done=frames, frames_total=frames)
        except Cancelled:
            self.store.update_job(job.id, state=JobState.CANCELLED)
        except SegchatError as exc:
            self.store.update_job(job.id, state=JobState.FAILED, error=exc.message)
        except Exception as exc:  # noqa: BLE001 - a job's failure is reported on the job, never lost
            log.exception("video job %s failed", job.id)
            self.store.update_job(job.id, state=JobState.FAILED, error=f"internal error ({type(exc).__name__})")
        finally:
            self._cancel.discard(job.id)
            (folder / "job.json").write_text(json.dumps(self.get(job.id, job.owner).public()))


def _keep(video: bytes | Path, suffix: str, folder: Path, *, move: bool) -> Path:
    """The job's own copy of its input, in its folder: the bytes written, or the caller's file or folder moved in
    (`move`) or copied."""
    if isinstance(video, bytes):
        target = folder / f"input{suffix}"
        target.write_bytes(video)
        return target
    target = folder / ("frames" if video.is_dir() else f"input{suffix}")
    if move:
        shutil.move(video, target)
    elif video.is_dir():
        shutil.copytree(video, target)
    else:
        shutil.copyfile(video, target)
    return target


def _discard(handed_over: Path | None) -> None:
    """A refused job's input is removed as an accepted one's is moved: submit owns what it was handed."""
    if handed_over is not None and handed_over.is_dir():
        shutil.rmtree(handed_over, ignore_errors=True)
    elif handed_over is not None:
        handed_over.unlink(missing_ok=True)
