"""`SessionStore`: the one object the rest of segchat keeps its state in, on SQLite or PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from alembic.util.exc import CommandError
from sqlalchemy.exc import OperationalError, ProgrammingError

from segchat.agent.serving.store import schema
from segchat.agent.serving.store.concepts import ConceptTable
from segchat.agent.serving.store.engine import SQLITE_FILE, database_url, describe, open_engine
from segchat.agent.serving.store.images import ImageTable
from segchat.agent.serving.store.jobs import JobQueue
from segchat.agent.serving.store.sessions import SessionTables
from segchat.agent.serving.store.tables import concepts, images, jobs, sessions
from segchat.contracts.errors import SettingsError


class SessionStore(SessionTables, ImageTable, ConceptTable, JobQueue):
    """Sessions, turns, images, concepts and video jobs in one database: `url` (e.g. `postgresql+psycopg://...`,
    for several processes or nodes), else the SQLite file `<data_dir>/segchat.db`. The database is migrated to the
    newest schema when the store opens. `data_dir` also holds this process's local caches (a job's working copy)."""

    def __init__(self, data_dir: str | Path, url: str | None = None) -> None:
        self.data_dir = Path(data_dir).expanduser()
        url = url or None  # an empty SEGCHAT_DATABASE_URL is no URL: the SQLite default, legacy imports included
        if url is None:  # SQLite: the data directory holds the database itself
            self.data_dir.mkdir(parents=True, exist_ok=True)
        self.engine = open_engine(database_url(self.data_dir, url))
        # a legacy data directory's image and job files are imported by the migrations (SQLite only: that store
        # knew no other database)
        try:
            schema.upgrade(self.engine, self.data_dir if url is None else None)
        except (OperationalError, ProgrammingError) as exc:  # no server there, a wrong password, no such database,
            self.engine.dispose()  # no right to create the tables
            raise SettingsError(f"cannot open the database {self.location}: {str(exc.orig).strip()}") from None
        except CommandError as exc:  # a schema this version does not know: a newer segchat migrated it
            self.engine.dispose()
            raise SettingsError(f"the database {self.location} was set up by a newer segchat ({exc}); upgrade "
                                "segchat before opening it") from None

    @property
    def location(self) -> str:
        """Where the store keeps its data, for a log line (no password)."""
        return describe(self.engine)

    def is_empty(self) -> bool:
        """Whether nothing at all is stored (no session, image, concept or job)."""
        with self.engine.connect() as connection:
            return all(connection.execute(select(func.count()).select_from(table)).scalar_one() == 0
                       for table in (sessions, images, concepts, jobs))

    def close(self) -> None:
        self.engine.dispose()


def has_sqlite_store(data_dir: str | Path) -> bool:
    """Whether `data_dir` holds a SQLite store (a read-only verb need not make one where nothing was stored)."""
    return (Path(data_dir).expanduser() / SQLITE_FILE).exists()
