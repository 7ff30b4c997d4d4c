"""The database behind the store: an SQLAlchemy engine for SQLite (one file in the data directory, WAL, the default)
or PostgreSQL (`SEGCHAT_DATABASE_URL=postgresql+psycopg://...`, for several processes or nodes).

Writes that read before they write (the next turn's index, a job claim) run in `writing()` transactions: on
PostgreSQL they lock the rows they read (`SELECT ... FOR UPDATE`), on SQLite they begin IMMEDIATE, which takes the
database's one write lock at once, so two processes never read the same state and both act on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from segchat.contracts.errors import SettingsError

SQLITE_FILE = "segchat.db"
SQLITE_BUSY_TIMEOUT_S = 30  # a write waits this long for another process's write
IMMEDIATE = "segchat_immediate"  # an execution option: this transaction writes after reading


def database_url(data_dir: str | Path, url: str | None = None) -> str:
    """`url` when given, else the SQLite file in `data_dir`."""
    return url or f"sqlite:///{Path(data_dir).expanduser() / SQLITE_FILE}"


def open_engine(url: str) -> Engine:
    """An engine for `url`; an URL that names no database we can open is a SettingsError (a clear message)."""
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() not in ("sqlite", "postgresql"):
            raise SettingsError(f"the database URL must be sqlite:///FILE or postgresql+psycopg://..., not "
                                f"{parsed.get_backend_name()!r}")
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(url)
        return create_engine(url, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise SettingsError(f"not a database URL we can use: {_without_password(url)} ({exc})") from None


def _sqlite_engine(url: str) -> Engine:
    # the driver's own transaction handling is off (autocommit), so the "begin" hook below decides how each begins
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S,
                                              "isolation_level": None})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
        cursor.execute("PRAGMA synchronous=FULL")  # a finished turn survives a power cut
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A transaction that reads, then writes on what it read (see the module's docstring)."""
    with engine.connect().execution_options(**{IMMEDIATE: True}) as connection, connection.begin():
        yield connection


def _without_password(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unreadable)"


def insert_ignoring_duplicates(connection: Connection, table: Table, **values: Any) -> None:
    """INSERT ... ON CONFLICT DO NOTHING (the same row written twice, by two requests at once, is one row)."""
    connection.execute(_dialect_insert(connection, table).values(**values).on_conflict_do_nothing())


def upsert(connection: Connection, table: Table, **values: Any) -> None:
    """INSERT, or UPDATE the row of the same primary key (the newest write wins)."""
    keys = [column.name for column in table.primary_key.columns]
    statement = _dialect_insert(connection, table).values(**values)
    connection.execute(statement.on_conflict_do_update(
        index_elements=keys, set_={name: statement.excluded[name] for name in values if name not in keys}))


def _dialect_insert(connection: Connection, table: Table):
    # ON CONFLICT is each dialect's own construct in SQLAlchemy (both speak the same SQL for it)
    return (postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert)(table)


def describe(engine: Engine) -> str:
    """The database for a log line: the URL without its password."""
    return engine.url.render_as_string(hide_password=True)
