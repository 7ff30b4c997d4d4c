"""`segchat db upgrade | copy --to URL`: the store's database itself (migrate it; move it to another database, e.g.
from a single machine's SQLite file to the PostgreSQL a cluster shares)."""

from __future__ import annotations

import click

from segchat.agent.serving.store import SessionStore
from segchat.agent.serving.store.copy import copy_store
from segchat.agent.serving.store.schema import current_revision
from segchat.faces.cli.common import checked_settings, guarded
from segchat.faces.cli.sessions import open_store
from segchat.faces.options import DATA_OPTIONS, options


@click.group()
def db() -> None:
    """The store's database: migrate it, copy it into another."""


@db.command("upgrade")
@options(DATA_OPTIONS)
def upgrade(data_dir: str | None) -> None:
    """Migrate the configured store (SEGCHAT_DATABASE_URL, else the data directory's SQLite file) to the newest
    schema. Any store is migrated when it opens; this does only that."""
    settings = checked_settings(data_dir=data_dir)

    def run() -> None:
        store = open_store(settings)
        try:
            click.echo(f"{store.location} is at schema {current_revision(store.engine)}")
        finally:
            store.close()

    guarded(run)


@db.command("copy")
@options(DATA_OPTIONS)
@click.option("--to", "target_url", required=True, metavar="URL",
              help="The database to copy into, e.g. postgresql+psycopg://user:password@host/segchat (migrated "
                   "first; it must be empty).")
def copy(data_dir: str | None, target_url: str) -> None:
    """Copy every session, turn, image, concept and video job of the configured store into the database URL."""
    settings = checked_settings(data_dir=data_dir)

    def run() -> None:
        source = open_store(settings)
        try:
            target = SessionStore(settings.data_dir, target_url)
            try:
                report = copy_store(source, target)
            finally:
                target.close()
        finally:
            source.close()
        click.echo(f"copied into {target.location}: " + ", ".join(f"{rows} {table}"
                                                                 for table, rows in report.rows.items()))

    guarded(run)
