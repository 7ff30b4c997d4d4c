"""The session store: sessions, turns (plans and results as RLE), images by content key, concepts and video jobs
in one database, SQLite by default or PostgreSQL, migrated by Alembic when it opens, so a restart loses nothing and
several processes can share it. Every table is read and written here, through narrow named methods (the job runner
included). One module per part: `tables` (the schema), `engine` (the database and its transactions), `schema` (the
migrations' runner), `sessions`, `images`, `concepts`, `jobs`, `copy` (one store into another), `migrations`."""

from __future__ import annotations

from segchat.agent.serving.store.records import (Job, JobState, LeaseLostError, SessionRecord, SessionSummary,
                                                 owner_of)
from segchat.agent.serving.store.session_store import SessionStore, has_sqlite_store

__all__ = ["Job", "JobState", "LeaseLostError", "SessionRecord", "SessionStore", "SessionSummary",
           "has_sqlite_store", "owner_of"]
