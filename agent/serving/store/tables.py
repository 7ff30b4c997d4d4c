"""The schema at the newest migration, as SQLAlchemy Core tables: what the store's queries are written against.
The migrations under `migrations/versions/` build it step by step and never import this module (a migration is
frozen at the schema of its day)."""

from __future__ import annotations

from sqlalchemy import (Boolean, Column, Double, ForeignKey, Index, Integer, LargeBinary, MetaData, Table, Text,
                        text)

metadata = MetaData()

sessions = Table(
    "sessions", metadata,
    Column("id", Text, primary_key=True),
    Column("owner", Text, nullable=False),
    Column("created", Double, nullable=False),
    Column("updated", Double, nullable=False),
    Column("image_key", Text),
)

turns = Table(
    "turns", metadata,
    Column("session_id", Text, ForeignKey("sessions.id"), primary_key=True),
    Column("idx", Integer, primary_key=True),
    Column("created", Double, nullable=False),
    Column("instruction", Text, nullable=False),
    Column("image_key", Text),
    Column("result", Text, nullable=False),  # the turn's result JSON
)

concepts = Table(
    "concepts", metadata,
    Column("owner", Text, primary_key=True),
    Column("name", Text, primary_key=True),
    Column("phrase", Text, nullable=False),
    Column("crop", LargeBinary, nullable=False),  # PNG
    Column("box", Text, nullable=False),  # JSON [x0, y0, x1, y1]
    Column("created", Double, nullable=False),
)

jobs = Table(
    "jobs", metadata,
    Column("id", Text, primary_key=True),
    Column("owner", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("instruction", Text, nullable=False),
    Column("tracker", Text, nullable=False),
    Column("threshold", Double),
    Column("input", Text, nullable=False),
    Column("created", Double, nullable=False),
    Column("updated", Double, nullable=False),
    Column("frames_done", Integer, nullable=False, server_default=text("0")),
    Column("frames_total", Integer),
    Column("error", Text),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    # 0002: leases
    Column("lease_holder", Text),
    Column("lease_expires", Double),
    Column("fence", Integer, nullable=False, server_default=text("0")),
    Column("cancel_requested", Boolean, nullable=False, server_default=text("false")),
    Index("ix_jobs_state_created", "state", "created"),
)

# 0003: images by content key, so every node reads the same image
images = Table(
    "images", metadata,
    Column("key", Text, primary_key=True),
    Column("png", LargeBinary, nullable=False),
    Column("created", Double, nullable=False),
)

# 0004: a job's input and outputs, by job and name
job_files = Table(
    "job_files", metadata,
    Column("job_id", Text, ForeignKey("jobs.id"), primary_key=True),
    Column("name", Text, primary_key=True),
    Column("data", LargeBinary, nullable=False),
)
