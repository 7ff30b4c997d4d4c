"""0004: a job's files in the database (job id, name -> bytes): its input video (or frames) and its outputs
(`result.json`, `overlay.mp4`, each object's first appearance), so the worker that runs a job and the node that
serves its result need not share a disk. `jobs.input` becomes the input's name among them.

A data directory of before kept them under `<data_dir>/jobs/<id>/`: imported here, as the images are in 0003 (and
for the same reason); the folders are left in place."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import context, op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

LOCAL_ONLY = {"job.json"}  # the old runner's note of the job's row: the row itself is the record


def upgrade() -> None:
    job_files = op.create_table(
        "job_files",
        sa.Column("job_id", sa.Text, sa.ForeignKey("jobs.id"), primary_key=True),
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    jobs = sa.table("jobs", sa.column("id", sa.Text), sa.column("input", sa.Text))
    connection = op.get_bind()
    data_dir: Path | None = context.config.attributes.get("data_dir")
    for job_id, input_path in connection.execute(sa.select(jobs.c.id, jobs.c.input)).all():
        connection.execute(jobs.update().where(jobs.c.id == job_id).values(input=Path(input_path).name))
        folder = data_dir / "jobs" / job_id if data_dir is not None else None
        if folder is None or not folder.is_dir():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in LOCAL_ONLY):
            connection.execute(job_files.insert().values(job_id=job_id, name=path.relative_to(folder).as_posix(),
                                                         data=path.read_bytes()))


def downgrade() -> None:
    op.drop_table("job_files")
