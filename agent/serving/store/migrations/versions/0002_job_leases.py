"""0002: job leases. A worker claims a job for a while (`lease_holder`, `lease_expires`) and renews the lease as it
runs; each claim bumps `fence`, and a worker's writes carry the fence its claim returned, so a worker whose lease
lapsed (and whose job another worker took) can no longer write. `cancel_requested` lets any process cancel a job
that runs in another."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as jobs:
        jobs.add_column(sa.Column("lease_holder", sa.Text))
        jobs.add_column(sa.Column("lease_expires", sa.Double))
        jobs.add_column(sa.Column("fence", sa.Integer, nullable=False, server_default=sa.text("0")))
        jobs.add_column(sa.Column("cancel_requested", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_index("ix_jobs_state_created", "jobs", ["state", "created"])  # the queue, oldest first


def downgrade() -> None:
    op.drop_index("ix_jobs_state_created", "jobs")
    with op.batch_alter_table("jobs") as jobs:
        for column in ("cancel_requested", "fence", "lease_expires", "lease_holder"):
            jobs.drop_column(column)
