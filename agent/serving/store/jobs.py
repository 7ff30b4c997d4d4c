"""The video job queue, safe for several worker processes (and nodes) on one database.

A worker *claims* the oldest queued job, or a running one whose lease lapsed (its worker died or hung): on
PostgreSQL with `SELECT ... FOR UPDATE SKIP LOCKED` (two workers never wait for, nor take, the same row), on SQLite
in an IMMEDIATE transaction (the file's one write lock). A claim counts an attempt, sets a lease the worker renews
and bumps the job's fence; every later write of the worker (progress, its end) names that fence and is refused with
`LeaseLostError` once the job was claimed again, so no job runs to its end twice, and none is lost: a lapsed lease
is taken over, and a job that lapsed MAX_ATTEMPTS times is failed.

A job's input and outputs are rows of `job_files` (job id, name -> bytes) in the same database, not files under a
shared folder: the store is then the one thing a cluster must share (no network file system to mount and keep in
step), a job's files come and go in the transactions that change its state, and `segchat db copy` moves them with
the rest. Videos are bounded (`max_video_bytes`, 200 MB), well inside what SQLite and PostgreSQL's bytea hold; a node
keeps a working copy under `<data_dir>/jobs/<id>/` as a cache.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Engine, Row, or_, select

from segchat.agent.serving.store.engine import upsert, writing
from segchat.agent.serving.store.records import Job, JobState, LeaseLostError
from segchat.agent.serving.store.tables import job_files, jobs

JOB_COLUMNS = tuple(jobs.c[name] for name in Job.__dataclass_fields__)


class JobQueue:
    """The store's job methods (a part of `SessionStore`)."""

    engine: Engine

    def add_job(self, job: Job, files: Mapping[str, bytes] | None = None) -> None:
        """Queue `job` with its input `files` (name -> bytes), in one transaction."""
        with self.engine.begin() as connection:
            connection.execute(jobs.insert().values(**_row_of(job)))
            for name, data in (files or {}).items():
                connection.execute(job_files.insert().values(job_id=job.id, name=name, data=data))

    def job(self, job_id: str, owner: str = "") -> Job | None:
        """The job, or None when there is none of that id for `owner` (another key's job is as good as absent)."""
        with self.engine.connect() as connection:
            row = connection.execute(select(*JOB_COLUMNS).where(jobs.c.id == job_id, jobs.c.owner == owner)).first()
        return None if row is None else Job(*row)

    def jobs_in(self, *states: JobState, limit: int | None = None) -> list[Job]:
        """Every owner's jobs in one of `states`, the oldest first (the queue's length, a listing)."""
        query = (select(*JOB_COLUMNS).where(jobs.c.state.in_([state.value for state in states]))
                 .order_by(jobs.c.created, jobs.c.id).limit(limit))
        with self.engine.connect() as connection:
            return [Job(*row) for row in connection.execute(query).all()]

    def claim_job(self, worker: str, lease_s: float, max_attempts: int, *, job_id: str | None = None,
                  error: str = "the job's worker stopped too often") -> Job | None:
        """The oldest job this worker may run (or `job_id` alone), claimed for `lease_s` seconds: its fence bumped,
        an attempt counted. A lapsed job that already had `max_attempts` is failed with `error` instead (and one
        whose cancelling was asked is cancelled); None when there is nothing to run."""
        with writing(self.engine) as connection:
            while (row := _next_claimable(connection, time.time(), job_id)) is not None:
                job = Job(*row)
                if job.state is JobState.RUNNING and (job.cancel_requested or job.attempts >= max_attempts):
                    end = JobState.CANCELLED if job.cancel_requested else JobState.FAILED
                    _set(connection, job, state=end, error=None if job.cancel_requested else error)
                    continue
                claimed = _set(connection, job, state=JobState.RUNNING, attempts=job.attempts + 1, frames_done=0,
                               lease_holder=worker, lease_expires=time.time() + lease_s)
                return claimed
        return None

    def heartbeat(self, job_id: str, fence: int, lease_s: float, *, frames_done: int | None = None,
                  frames_total: int | None = None) -> bool:
        """Renew the lease of claim `fence` (and note the progress); returns whether cancelling was asked.
        LeaseLostError when the job is no longer this claim's."""
        changes: dict[str, Any] = {"lease_expires": time.time() + lease_s}
        changes |= {"frames_done": frames_done} if frames_done is not None else {}
        changes |= {"frames_total": frames_total} if frames_total else {}
        with self.engine.begin() as connection:
            return bool(_fenced_update(connection, job_id, fence, changes).cancel_requested)

    def finish_job(self, job_id: str, fence: int, state: JobState, *, error: str | None = None,
                   frames: int | None = None, files: Mapping[str, bytes] | None = None) -> None:
        """End claim `fence`'s run in `state`, with its output `files`, in one transaction (LeaseLostError, and
        nothing written, when the job is no longer this claim's)."""
        changes: dict[str, Any] = {"state": state.value, "error": error, "lease_holder": None, "lease_expires": None}
        changes |= {"frames_done": frames, "frames_total": frames} if frames is not None else {}
        with self.engine.begin() as connection:
            _fenced_update(connection, job_id, fence, changes)
            for name, data in (files or {}).items():
                upsert(connection, job_files, job_id=job_id, name=name, data=data)

    def cancel_job(self, job_id: str, owner: str = "") -> Job | None:
        """A queued job is cancelled at once; a running one is asked to stop (its worker, in whichever process,
        sees it at its next heartbeat). None when there is no such job."""
        with writing(self.engine) as connection:
            row = connection.execute(select(*JOB_COLUMNS).where(jobs.c.id == job_id, jobs.c.owner == owner)
                                     .with_for_update()).first()
            if row is None:
                return None
            job = Job(*row)
            if job.state is JobState.QUEUED:
                job = _set(connection, job, state=JobState.CANCELLED, bump_fence=False)
            elif job.state is JobState.RUNNING:
                job = _set(connection, job, cancel_requested=True, bump_fence=False)
            return job

    def lease_holders(self) -> set[str]:
        """The workers that hold a running job's lease now."""
        query = select(jobs.c.lease_holder).where(jobs.c.state == JobState.RUNNING.value,
                                                  jobs.c.lease_holder.is_not(None)).distinct()
        with self.engine.connect() as connection:
            return set(connection.execute(query).scalars())

    def lapse_leases(self, holders: set[str]) -> list[str]:
        """End the leases of `holders` now (workers known to be dead): their jobs are claimable at once, not when
        the leases would have run out. The fence is left alone (the next claim bumps it). Returns the jobs' ids."""
        if not holders:
            return []
        held = (jobs.c.state == JobState.RUNNING.value) & jobs.c.lease_holder.in_(sorted(holders))
        with self.engine.begin() as connection:
            ids = list(connection.execute(select(jobs.c.id).where(held)).scalars())
            connection.execute(jobs.update().where(held).values(lease_expires=0.0))
        return ids

    def job_file(self, job_id: str, name: str) -> bytes | None:
        query = select(job_files.c.data).where(job_files.c.job_id == job_id, job_files.c.name == name)
        with self.engine.connect() as connection:
            return connection.execute(query).scalar_one_or_none()

    def job_files(self, job_id: str, under: str = "") -> dict[str, bytes]:
        """The job's files whose name is `under` or lies inside it (a folder of frames), or all of them."""
        query = select(job_files.c.name, job_files.c.data).where(job_files.c.job_id == job_id)
        if under:
            query = query.where(or_(job_files.c.name == under, job_files.c.name.startswith(f"{under}/")))
        with self.engine.connect() as connection:
            return {row.name: row.data for row in connection.execute(query.order_by(job_files.c.name)).all()}


def _next_claimable(connection: Connection, now: float, job_id: str | None) -> Row | None:
    lapsed = (jobs.c.state == JobState.RUNNING.value) & (
        jobs.c.lease_expires.is_(None) | (jobs.c.lease_expires < now))
    query = select(*JOB_COLUMNS).where(or_(jobs.c.state == JobState.QUEUED.value, lapsed))
    if job_id is not None:
        query = query.where(jobs.c.id == job_id)
    # SKIP LOCKED: a row another worker is claiming right now is not waited for; the next one is taken
    query = query.order_by(jobs.c.created, jobs.c.id).limit(1).with_for_update(skip_locked=True)
    return connection.execute(query).first()


def _set(connection: Connection, job: Job, *, bump_fence: bool = True, **changes: Any) -> Job:
    """Write `changes` to the (locked) row of `job`; a claim or an end decided by the claimer bumps the fence."""
    values = {name: value.value if isinstance(value, JobState) else value for name, value in changes.items()}
    values["updated"] = time.time()
    if bump_fence:
        values["fence"] = job.fence + 1
    connection.execute(jobs.update().where(jobs.c.id == job.id).values(**values))
    return Job(**{**vars(job), **values})


def _fenced_update(connection: Connection, job_id: str, fence: int, changes: dict[str, Any]) -> Row:
    """The fencing check: the write lands only while the job still runs under claim `fence`."""
    done = connection.execute(
        jobs.update().where(jobs.c.id == job_id, jobs.c.fence == fence, jobs.c.state == JobState.RUNNING.value)
        .values(**changes, updated=time.time()).returning(jobs.c.cancel_requested)).first()
    if done is None:
        raise LeaseLostError(job_id, fence)
    return done


def _row_of(job: Job) -> dict[str, Any]:
    return {name: value.value if isinstance(value, JobState) else value for name, value in vars(job).items()}
