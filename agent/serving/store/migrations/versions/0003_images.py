"""0003: images in the database (content key -> PNG bytes), so every node of a cluster reads every session's image.

A data directory of before kept them as `<data_dir>/images/<key>.png`: they are imported here, byte for byte, in
the same transaction (rather than read from the folder as a fallback for ever), so the database alone holds the
store's state and `segchat db copy` moves everything. The files are left where they are (a rollback to the old code
still finds them); nothing reads them after this step."""

from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa
from alembic import context, op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    images = op.create_table(
        "images",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("png", sa.LargeBinary, nullable=False),
        sa.Column("created", sa.Double, nullable=False),
    )
    data_dir: Path | None = context.config.attributes.get("data_dir")
    folder = data_dir / "images" if data_dir is not None else None
    if folder is None or not folder.is_dir():
        return
    for path in sorted(folder.glob("*.png")):
        if path.stem.isalnum():  # the old store's names; a stray temporary file is no image
            op.get_bind().execute(images.insert().values(key=path.stem, png=path.read_bytes(),
                                                         created=path.stat().st_mtime or time.time()))


def downgrade() -> None:
    op.drop_table("images")
