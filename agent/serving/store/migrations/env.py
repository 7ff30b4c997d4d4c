"""Alembic's entry point, run programmatically: the caller hands over an open connection (inside its transaction,
with the migration lock held), so no alembic.ini and no URL are needed here."""

from __future__ import annotations

from alembic import context

context.configure(connection=context.config.attributes["connection"], target_metadata=None,
                  render_as_batch=True)  # SQLite alters a table by copying it: batch mode does that
with context.begin_transaction():
    context.run_migrations()
