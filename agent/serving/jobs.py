"""Video jobs: a video takes longer than a request, so the server tracks it in the background.

A job is a row of the session store and its files (the input video, then `result.json`, `overlay.mp4` and each
object's first appearance), kept by the store (`store/jobs.py` says why in the database); this process keeps a working
copy under `<data_dir>/jobs/<id>/`. One worker thread per runner claims jobs from the store under a lease it renews
(several processes, on several nodes, may run workers on one database); the queue is bounded. A job whose worker
died is claimed again once its lease lapses, at once when a runner starts on the machine where that worker ran (and
failed after MAX_ATTEMPTS claims): never lost silently, never run to its end twice. Cancelling, asked in any process, is checked between frames.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from segchat.agent.serving.store import Job, JobState, LeaseLostError, SessionStore
from segchat.contracts.errors import NotFoundError, QueueFullError
from segchat.contracts.results import TrackerKind, VideoResult

log = logging.getLogger(__name__)

STORE_RETRY_S = 2.0  # a worker whose store did not answer waits this long before asking again
MAX_ATTEMPTS = 2
LEASE_S = 30.0  # a worker renews its lease every third of this; a job whose worker is silent this long is taken over
PROGRESS_EVERY_S = 0.5  # a row update every half second is plenty for a progress bar
WAITING = (JobState.QUEUED, JobState.RUNNING)
STOPPED_TOO_OFTEN = "the job's worker stopped too often while it ran"

__all__ = ["Job", "JobRunner", "JobState", "LEASE_S", "MAX_ATTEMPTS"]


class JobRunner:
    """Submits, runs, reports and cancels video jobs for one agent; the jobs table is the store's."""

    def __init__(self, agent, *, max_queued: int = 8, lease_s: float = LEASE_S, worker: str | None = None) -> None:
        self.agent = agent
        self.store: SessionStore = agent.store
        self.folder = self.store.data_dir / "jobs"  # this process's working copies
        self.folder.mkdir(parents=True, exist_ok=True)
        self.max_queued = max_queued
        self.lease_s = lease_s
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._cancel: set[str] = set()
        self._thread: threading.Thread | None = None
        self._lapse_dead_workers_leases()

    def _lapse_dead_workers_leases(self) -> None:
        """Jobs that a process of this machine ran and died with (a server restarted): claimable at once rather than
        when their leases run out. A worker elsewhere, or alive, keeps its lease."""
        host = socket.gethostname()
        dead = {holder for holder in self.store.lease_holders() if _dead_here(holder, host)}
        for job_id in self.store.lapse_leases(dead):
            log.info("job %s was interrupted (its worker died): it will run again", job_id)

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
        self.store.add_job(Job(job_id, owner, JobState.QUEUED, instruction, tracker, threshold,
                               target.relative_to(folder).as_posix(), now, now, frames_total=total),
                           _files_in(target, folder))
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
        data = self.store.job_file(job.id, "result.json") if job.state is JobState.DONE else None
        return None if data is None else VideoResult.model_validate_json(data)

    def file(self, job_id: str, name: str, owner: str = "") -> Path:
        """The job's output `name` as a local file (streamed by REST, linked by the UI): this process's copy, made
        from the store the first time it is asked for."""
        job = self.get(job_id, owner)
        path = self.folder / job.id / name
        if job.state is JobState.DONE and not path.is_file():
            data = self.store.job_file(job.id, name)
            if data is not None:
                _write_atomically(path, data)
        if job.state is not JobState.DONE or not path.is_file():
            raise NotFoundError(f"job {job_id} has no {name} (it is {job.state})", code="job_file_not_found")
        return path

    def cancel(self, job_id: str, owner: str = "") -> Job:
        job = self.store.cancel_job(job_id, owner)
        if job is None:
            raise NotFoundError(f"no job {job_id!r}", code="job_not_found")
        if job.state is JobState.RUNNING:
            self._cancel.add(job.id)  # when this process runs it, sooner than its next heartbeat
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
        from sqlalchemy.exc import SQLAlchemyError

        while not self._stop.is_set():
            try:
                claimed = self.store.claim_job(self.worker, self.lease_s, MAX_ATTEMPTS, error=STOPPED_TOO_OFTEN)
            except SQLAlchemyError as exc:  # the database restarting, or busy: the worker waits and asks again
                log.warning("video jobs: the store did not answer (%s); trying again", type(exc).__name__)
                self._stop.wait(STORE_RETRY_S)
                continue
            if claimed is None:
                self._wake.wait(1.0)
                self._wake.clear()
                continue
            self._execute(claimed)

    def run(self, job: Job) -> None:
        """Claim `job` and run it to its end state (the worker's step; tests call it directly). Nothing happens when
        another worker holds it or it has ended."""
        claimed = self.store.claim_job(self.worker, self.lease_s, MAX_ATTEMPTS, job_id=job.id,
                                       error=STOPPED_TOO_OFTEN)
        if claimed is not None:
            self._execute(claimed)

    def _execute(self, job: Job) -> None:
        """Run a claimed job under its lease; every write names the claim's fence (LeaseLostError: another worker
        took the job over, and this one drops it)."""
        from segchat.agent.outputs.video_out import write_video_outputs
        from segchat.agent.tracks import Cancelled
        from segchat.contracts.errors import SegchatError

        lease = _Lease(self.store, job, self.lease_s, cancelled_here=lambda: job.id in self._cancel)
        outputs = self.folder / job.id / f"claim{job.fence}"
        try:
            source = self._working_copy(job)
            result = self.agent.track(str(source), job.instruction, tracker=job.tracker, threshold=job.threshold,
                                      progress=lease.progress, cancelled=lease.should_stop)
            write_video_outputs(result, str(source), outputs, max_frames=self.agent.max_video_frames)
            files = _files_in(outputs, outputs)
            if self._finish(job, JobState.DONE, frames=result.video.frames, files=files):
                for name in files:  # this process's copies of the outputs, for `file` (only when this run counts)
                    (outputs / name).replace(self.folder / job.id / name)
        except Cancelled:
            if not lease.lost:
                self._finish(job, JobState.CANCELLED)
        except SegchatError as exc:
            self._finish(job, JobState.FAILED, error=exc.message)
        except Exception as exc:  # noqa: BLE001 - a job's failure is reported on the job, never lost
            log.exception("video job %s failed", job.id)
            self._finish(job, JobState.FAILED, error=f"internal error ({type(exc).__name__})")
        finally:
            lease.end()
            self._cancel.discard(job.id)
            shutil.rmtree(outputs, ignore_errors=True)

    def _finish(self, job: Job, state: JobState, **end: object) -> bool:
        """Record the run's end; False when it was dropped (another worker claimed the job meanwhile, and its run is
        the one that counts)."""
        try:
            self.store.finish_job(job.id, job.fence, state, **end)
        except LeaseLostError:
            log.warning("video job %s: lease %d lost, the %s end of this run is dropped", job.id, job.fence, state)
            return False
        return True

    def _working_copy(self, job: Job) -> Path:
        """The job's input as a local file (or folder of frames): this process's copy, else made from the store."""
        path = self.folder / job.id / job.input
        if not path.exists():
            for name, data in self.store.job_files(job.id, under=job.input).items():
                _write_atomically(self.folder / job.id / name, data)
        return path


class _Lease:
    """A claimed job's lease, renewed by a thread of its own (a model that loads, or a frame that takes long, must
    not let it lapse) and with each progress report; a lost lease, or a cancelling asked anywhere, stops the run."""

    def __init__(self, store: SessionStore, job: Job, lease_s: float, cancelled_here: Callable[[], bool]) -> None:
        self.store, self.job, self.lease_s = store, job, lease_s
        self.lost = False
        self._cancel_asked = False
        self._cancelled_here = cancelled_here
        self._last_progress = 0.0
        self._ended = threading.Event()
        self._thread = threading.Thread(target=self._renew, name=f"segchat-lease-{job.id[:8]}", daemon=True)
        self._thread.start()

    def _renew(self) -> None:
        while not self._ended.wait(self.lease_s / 3):
            self._beat()

    def _beat(self, **progress: int | None) -> None:
        from sqlalchemy.exc import SQLAlchemyError

        try:
            self._cancel_asked |= self.store.heartbeat(self.job.id, self.job.fence, self.lease_s, **progress)
        except LeaseLostError:
            log.warning("video job %s: lease %d lost to another worker; stopping", self.job.id, self.job.fence)
            self.lost = True
        except SQLAlchemyError as exc:  # a store that did not answer this once: the next beat renews the lease
            log.warning("video job %s: the lease could not be renewed now (%s)", self.job.id, type(exc).__name__)

    def progress(self, done: int, total: int | None) -> None:
        if time.monotonic() - self._last_progress > PROGRESS_EVERY_S:
            self._last_progress = time.monotonic()
            self._beat(frames_done=done, frames_total=total)

    def should_stop(self) -> bool:
        return self.lost or self._cancel_asked or self._cancelled_here()

    def end(self) -> None:
        self._ended.set()
        self._thread.join()


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


def _dead_here(holder: str, host: str) -> bool:
    """Whether the worker `holder` (`host:pid:tag`, as JobRunner names its workers) ran on `host` in a process that
    no longer exists."""
    parts = holder.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != host or not parts[1].isdigit() or int(parts[1]) == os.getpid():
        return False
    try:
        os.kill(int(parts[1]), 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except PermissionError:  # it exists, as another user's
        return False
    return False


def _files_in(target: Path, folder: Path) -> dict[str, bytes]:
    """`target` (a file, or a folder's files) as the store keeps it: names relative to `folder`."""
    paths = sorted(p for p in target.rglob("*") if p.is_file()) if target.is_dir() else [target]
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in paths}


def _write_atomically(path: Path, data: bytes) -> None:
    """A temporary name of its own first: two requests may make the same copy at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    temporary.write_bytes(data)
    temporary.replace(path)


def _discard(handed_over: Path | None) -> None:
    """A refused job's input is removed as an accepted one's is moved: submit owns what it was handed."""
    if handed_over is not None and handed_over.is_dir():
        shutil.rmtree(handed_over, ignore_errors=True)
    elif handed_over is not None:
        handed_over.unlink(missing_ok=True)
