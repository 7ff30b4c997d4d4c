"""Sessions in an embedded SQLite database (WAL): turns, plans and results (RLE), so a restart loses nothing.

Images are written under `<data_dir>/images/` with names we choose (their content digest), never the client's.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
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
