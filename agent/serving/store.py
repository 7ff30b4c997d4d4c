"""Sessions in an embedded SQLite database (WAL): turns, plans and results (RLE), concepts and video jobs, so a
restart loses nothing. Every table is read and written here, through narrow named methods (the job runner included).

Images are written under `<data_dir>/images/` with names we choose (their content digest), never the client's.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

from PIL import Image

from segchat.contracts.errors import SessionNotFoundError
from segchat.segmenter.images import image_digest

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    image_key TEXT
);
CREATE TABLE IF NOT EXISTS turns (
    session_id TEXT NOT NULL REFERENCES sessions(id),
    idx INTEGER NOT NULL,
    created REAL NOT NULL,
    instruction TEXT NOT NULL,
    image_key TEXT,
    result TEXT NOT NULL,
    PRIMARY KEY (session_id, idx)
);
CREATE TABLE IF NOT EXISTS concepts (
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    phrase TEXT NOT NULL,
    crop BLOB NOT NULL,
    box TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (owner, name)
);
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
    """A video job's life: queued -> running -> done | failed | cancelled (running -> queued after a crash)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass
class Job:
    """One row of the jobs table."""

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

    def __post_init__(self) -> None:
        self.state = JobState(self.state)  # rows hold the state's text

    def public(self) -> dict[str, Any]:
        return {"job": self.id, "state": self.state.value, "instruction": self.instruction, "tracker": self.tracker,
                "frames_done": self.frames_done, "frames_total": self.frames_total, "error": self.error,
                "created": self.created, "updated": self.updated}


JOB_COLUMNS = tuple(field.name for field in fields(Job))
# what changes once a job is queued (its id, owner, request, input and creation time never do)
JOB_MUTABLE = frozenset({"state", "frames_done", "frames_total", "error", "attempts"})


class SessionStore:
    def __init__(self, data_dir: str | Path) -> None:
        self.data_dir = Path(data_dir).expanduser()
        self.images_dir = self.data_dir / "images"
        self.images_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.data_dir / "segchat.db"
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- images -------------------------------------------------------------------------------
    @staticmethod
    def image_key(image: Image.Image) -> str:
        """The name an image is stored under: its content digest (never a name the client chose)."""
        return image_digest(image)

    def save_image(self, image: Image.Image, key: str | None = None) -> str:
        """Store `image` under its key (a no-op when it is already there); returns the key."""
        key = key or image_digest(image)
        path = self.images_dir / f"{key}.png"
        if not path.exists():
            # a temporary name of its own: two requests may store the same image at the same moment
            tmp = path.with_name(f"{key}.{uuid.uuid4().hex[:8]}.tmp")
            image.save(tmp, format="PNG")
            tmp.replace(path)  # atomic; the same bytes whichever writer lands last
        return key

    def load_image(self, key: str) -> Image.Image:
        if not key.isalnum():
            raise SessionNotFoundError("unknown image")
        with Image.open(self.images_dir / f"{key}.png") as image:
            return image.convert("RGB")

    # -- sessions -----------------------------------------------------------------------------
    def create_session(self, owner: str = "", session_id: str | None = None) -> str:
        session_id = session_id or uuid.uuid4().hex
        now = time.time()
        with self._lock:
            self._db.execute("INSERT INTO sessions (id, owner, created, updated) VALUES (?, ?, ?, ?)",
                             (session_id, owner, now, now))
        return session_id

    def get_session(self, session_id: str, owner: str = "") -> SessionRecord:
        with self._lock:
            row = self._db.execute("SELECT id, owner, created, updated, image_key FROM sessions WHERE id = ?",
                                   (session_id,)).fetchone()
        if row is None or row[1] != owner:  # another key's session is as good as absent
            raise SessionNotFoundError(f"no session {session_id!r}")
        return SessionRecord(*row)

    def get_or_create(self, session_id: str | None, owner: str = "") -> SessionRecord:
        if session_id:
            try:
                return self.get_session(session_id, owner)
            except SessionNotFoundError:
                with self._lock:
                    exists = self._db.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone()
                if exists:
                    raise
                self.create_session(owner, session_id)
                return self.get_session(session_id, owner)
        return self.get_session(self.create_session(owner), owner)

    def append_turn(self, session_id: str, instruction: str, image_key: str | None, result: dict[str, Any]) -> int:
        """Write one completed turn atomically; returns its index."""
        payload = json.dumps(result, ensure_ascii=False)
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                idx = self._db.execute("SELECT COALESCE(MAX(idx), -1) + 1 FROM turns WHERE session_id = ?",
                                       (session_id,)).fetchone()[0]
                self._db.execute("INSERT INTO turns (session_id, idx, created, instruction, image_key, result) "
                                 "VALUES (?, ?, ?, ?, ?, ?)", (session_id, idx, now, instruction, image_key, payload))
                self._db.execute("UPDATE sessions SET updated = ?, image_key = COALESCE(?, image_key) WHERE id = ?",
                                 (now, image_key, session_id))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return idx

    def turns(self, session_id: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT idx, created, instruction, image_key, result FROM turns "
                                    "WHERE session_id = ? ORDER BY idx", (session_id,)).fetchall()
        return [{"index": idx, "created": created, "instruction": instruction, "image_key": image_key,
                 "result": json.loads(result)} for idx, created, instruction, image_key, result in rows]

    def last_turn(self, session_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT idx, created, instruction, image_key, result FROM turns "
                                   "WHERE session_id = ? ORDER BY idx DESC LIMIT 1", (session_id,)).fetchone()
        if row is None:
            return None
        idx, created, instruction, image_key, result = row
        return {"index": idx, "created": created, "instruction": instruction, "image_key": image_key,
                "result": json.loads(result)}

    def list_sessions(self, owner: str = "", limit: int = 50) -> list[SessionRecord]:
        with self._lock:
            rows = self._db.execute("SELECT id, owner, created, updated, image_key FROM sessions WHERE owner = ? "
                                    "ORDER BY updated DESC LIMIT ?", (owner, limit)).fetchall()
        return [SessionRecord(*row) for row in rows]

    def session_summaries(self, owner: str = "", limit: int = 50) -> list[SessionSummary]:
        """`owner`'s sessions, the most recently updated first, each with its number of turns and last instruction."""
        with self._lock:
            rows = self._db.execute(
                "SELECT s.id, s.created, s.updated, "
                "(SELECT COUNT(*) FROM turns t WHERE t.session_id = s.id), "
                "(SELECT t.instruction FROM turns t WHERE t.session_id = s.id ORDER BY t.idx DESC LIMIT 1) "
                "FROM sessions s WHERE s.owner = ? ORDER BY s.updated DESC, s.created DESC, s.id LIMIT ?",
                (owner, limit)).fetchall()
        return [SessionSummary(*row) for row in rows]

    # -- concepts -----------------------------------------------------------------------------
    def save_concept(self, owner: str, name: str, phrase: str, crop_png: bytes,
                     box: tuple[float, float, float, float]) -> None:
        """Remember a named concept for `owner` (replacing one of the same name)."""
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO concepts (owner, name, phrase, crop, box, created) "
                             "VALUES (?, ?, ?, ?, ?, ?)", (owner, name, phrase, crop_png, json.dumps(list(box)),
                                                          time.time()))

    def concept(self, owner: str, name: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT name, phrase, crop, box, created FROM concepts WHERE owner = ? AND name = ?",
                                   (owner, name)).fetchone()
        if row is None:
            return None
        return {"name": row[0], "phrase": row[1], "crop": row[2], "box": tuple(json.loads(row[3])), "created": row[4]}

    def concepts(self, owner: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT name, phrase, box, created FROM concepts WHERE owner = ? ORDER BY name",
                                    (owner,)).fetchall()
        return [{"name": n, "phrase": p, "box": json.loads(b), "created": c} for n, p, b, c in rows]

    def delete_concept(self, owner: str, name: str) -> bool:
        with self._lock:
            return self._db.execute("DELETE FROM concepts WHERE owner = ? AND name = ?", (owner, name)).rowcount > 0

    # -- video jobs ---------------------------------------------------------------------------
    def add_job(self, job: Job) -> None:
        with self._lock:
            marks = ", ".join("?" * len(JOB_COLUMNS))
            self._db.execute(f"INSERT INTO jobs ({', '.join(JOB_COLUMNS)}) VALUES ({marks})",
                             tuple(_column_value(getattr(job, name)) for name in JOB_COLUMNS))

    def job(self, job_id: str, owner: str = "") -> Job | None:
        """The job, or None when there is none of that id for `owner` (another key's job is as good as absent)."""
        with self._lock:
            row = self._db.execute(f"SELECT {', '.join(JOB_COLUMNS)} FROM jobs WHERE id = ? AND owner = ?",
                                   (job_id, owner)).fetchone()
        return None if row is None else Job(*row)

    def jobs_in(self, *states: JobState, limit: int | None = None) -> list[Job]:
        """Every owner's jobs in one of `states`, the oldest first (the worker's queue, the queue's length)."""
        marks = ", ".join("?" * len(states))
        arguments = (*(state.value for state in states), -1 if limit is None else limit)
        with self._lock:
            rows = self._db.execute(f"SELECT {', '.join(JOB_COLUMNS)} FROM jobs WHERE state IN ({marks}) "
                                    "ORDER BY created, id LIMIT ?", arguments).fetchall()
        return [Job(*row) for row in rows]

    def update_job(self, job_id: str, **changes: Any) -> None:
        """Set some of a job's fields (JOB_MUTABLE) and its `updated` time."""
        unknown = set(changes) - JOB_MUTABLE
        if unknown:  # column names go into the SQL text: only known ones
            raise ValueError(f"a job has no changeable field {sorted(unknown)}")
        changes["updated"] = time.time()
        assignments = ", ".join(f"{name} = ?" for name in changes)
        with self._lock:
            self._db.execute(f"UPDATE jobs SET {assignments} WHERE id = ?",
                             (*(_column_value(v) for v in changes.values()), job_id))

    def recover_jobs(self, max_attempts: int, error: str) -> list[str]:
        """Jobs a dead process left running: failed with `error` once they have started `max_attempts` times, else
        queued again (from frame 0). One transaction; returns the ids queued again."""
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("UPDATE jobs SET state = ?, error = ?, updated = ? WHERE state = ? AND attempts >= ?",
                                 (JobState.FAILED.value, error, now, JobState.RUNNING.value, max_attempts))
                requeued = [row[0] for row in self._db.execute("SELECT id FROM jobs WHERE state = ?",
                                                               (JobState.RUNNING.value,)).fetchall()]
                self._db.execute("UPDATE jobs SET state = ?, frames_done = 0, updated = ? WHERE state = ?",
                                 (JobState.QUEUED.value, now, JobState.RUNNING.value))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return requeued


def _column_value(value: Any) -> Any:
    """What SQLite stores for a field: an enum as its text."""
    return value.value if isinstance(value, JobState) else value
