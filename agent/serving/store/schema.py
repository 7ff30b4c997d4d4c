"""Brings a database to the newest schema when a store opens: Alembic's upgrade, run in-process on one connection
(no alembic.ini), with a lock held so that two processes opening the same database migrate it once.

A data directory made before the migrations existed has the tables of 0001 and no `alembic_version`: it is stamped
at 0001 first and then upgraded like any other (0003 and 0004 import the files it kept beside the database).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, func, inspect, select

from segchat.agent.serving.store.engine import writing

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
LEGACY_REVISION = "0001"  # the schema of the SQLite-only store
MIGRATION_LOCK = 0x5E6C4A7  # PostgreSQL advisory lock id: one migrating process at a time


def alembic_config(connection: Connection | None = None, data_dir: Path | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    config.attributes["data_dir"] = data_dir  # where a legacy store kept its image and job files
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, data_dir: Path | None = None) -> None:
    """Migrate the database behind `engine` to the newest schema (a no-op when it is there already)."""
    with writing(engine) as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK)))
        config = alembic_config(connection, data_dir)
        tables = set(inspect(connection).get_table_names())
        if "sessions" in tables and "alembic_version" not in tables:
            command.stamp(config, LEGACY_REVISION)
        if MigrationContext.configure(connection).get_current_revision() != head_revision():
            command.upgrade(config, "head")
