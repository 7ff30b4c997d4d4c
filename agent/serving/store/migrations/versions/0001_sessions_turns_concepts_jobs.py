"""0001: the schema the SQLite-only store made (`CREATE TABLE IF NOT EXISTS` at every start): sessions, turns,
concepts, jobs. A data directory made by that store has these tables and no alembic_version: it is stamped here."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("owner", sa.Text, nullable=False),
        sa.Column("created", sa.Double, nullable=False),
        sa.Column("updated", sa.Double, nullable=False),
        sa.Column("image_key", sa.Text),
    )
    op.create_table(
        "turns",
        sa.Column("session_id", sa.Text, sa.ForeignKey("sessions.id"), primary_key=True),
        sa.Column("idx", sa.Integer, primary_key=True),
        sa.Column("created", sa.Double, nullable=False),
        sa.Column("instruction", sa.Text, nullable=False),
        sa.Column("image_key", sa.Text),
        sa.Column("result", sa.Text, nullable=False),
    )
    op.create_table(
        "concepts",
        sa.Column("owner", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("phrase", sa.Text, nullable=False),
        sa.Column("crop", sa.LargeBinary, nullable=False),
        sa.Column("box", sa.Text, nullable=False),
        sa.Column("created", sa.Double, nullable=False),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("owner", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("instruction", sa.Text, nullable=False),
        sa.Column("tracker", sa.Text, nullable=False),
        sa.Column("threshold", sa.Double),
        sa.Column("input", sa.Text, nullable=False),
        sa.Column("created", sa.Double, nullable=False),
        sa.Column("updated", sa.Double, nullable=False),
        sa.Column("frames_done", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("frames_total", sa.Integer),
        sa.Column("error", sa.Text),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
    )


def downgrade() -> None:
    for table in ("jobs", "concepts", "turns", "sessions"):
        op.drop_table(table)
