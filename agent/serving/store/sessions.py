"""Sessions and their turns: who owns a session, its turns in order, and the listing `segchat sessions` shows."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from sqlalchemy import Engine, Row, func, select

from segchat.agent.serving.store.engine import writing
from segchat.agent.serving.store.records import SessionRecord, SessionSummary
from segchat.agent.serving.store.tables import sessions, turns
from segchat.contracts.errors import SessionNotFoundError

SESSION_COLUMNS = (sessions.c.id, sessions.c.owner, sessions.c.created, sessions.c.updated, sessions.c.image_key)
TURN_COLUMNS = (turns.c.idx, turns.c.created, turns.c.instruction, turns.c.image_key, turns.c.result)


class SessionTables:
    """The store's session methods (a part of `SessionStore`)."""

    engine: Engine

    def create_session(self, owner: str = "", session_id: str | None = None) -> str:
        session_id = session_id or uuid.uuid4().hex
        now = time.time()
        with self.engine.begin() as connection:
            connection.execute(sessions.insert().values(id=session_id, owner=owner, created=now, updated=now))
        return session_id

    def get_session(self, session_id: str, owner: str = "") -> SessionRecord:
        with self.engine.connect() as connection:
            row = connection.execute(select(*SESSION_COLUMNS).where(sessions.c.id == session_id)).first()
        if row is None or row.owner != owner:  # another key's session is as good as absent
            raise SessionNotFoundError(f"no session {session_id!r}")
        return SessionRecord(*row)

    def get_or_create(self, session_id: str | None, owner: str = "") -> SessionRecord:
        if session_id:
            try:
                return self.get_session(session_id, owner)
            except SessionNotFoundError:
                with self.engine.connect() as connection:
                    exists = connection.execute(select(sessions.c.id).where(sessions.c.id == session_id)).first()
                if exists:
                    raise
                self.create_session(owner, session_id)
                return self.get_session(session_id, owner)
        return self.get_session(self.create_session(owner), owner)

    def append_turn(self, session_id: str, instruction: str, image_key: str | None, result: dict[str, Any]) -> int:
        """Write one completed turn atomically; returns its index."""
        payload = json.dumps(result, ensure_ascii=False)
        now = time.time()
        with writing(self.engine) as connection:
            # the session's row locked first (PostgreSQL): two turns of one session never get the same index
            connection.execute(select(sessions.c.id).where(sessions.c.id == session_id).with_for_update())
            idx = connection.execute(select(func.coalesce(func.max(turns.c.idx), -1) + 1)
                                     .where(turns.c.session_id == session_id)).scalar_one()
            connection.execute(turns.insert().values(session_id=session_id, idx=idx, created=now,
                                                     instruction=instruction, image_key=image_key, result=payload))
            changes: dict[str, Any] = {"updated": now} | ({"image_key": image_key} if image_key else {})
            connection.execute(sessions.update().where(sessions.c.id == session_id).values(**changes))
        return idx

    def turns(self, session_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(*TURN_COLUMNS).where(turns.c.session_id == session_id)
                                      .order_by(turns.c.idx)).all()
        return [_turn(row) for row in rows]

    def last_turn(self, session_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(*TURN_COLUMNS).where(turns.c.session_id == session_id)
                                     .order_by(turns.c.idx.desc()).limit(1)).first()
        return None if row is None else _turn(row)

    def list_sessions(self, owner: str = "", limit: int = 50) -> list[SessionRecord]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(*SESSION_COLUMNS).where(sessions.c.owner == owner)
                                      .order_by(sessions.c.updated.desc()).limit(limit)).all()
        return [SessionRecord(*row) for row in rows]

    def session_summaries(self, owner: str = "", limit: int = 50) -> list[SessionSummary]:
        """`owner`'s sessions, the most recently updated first, each with its number of turns and last instruction."""
        of_session = turns.c.session_id == sessions.c.id
        count = select(func.count()).select_from(turns).where(of_session).scalar_subquery()
        last = select(turns.c.instruction).where(of_session).order_by(turns.c.idx.desc()).limit(1).scalar_subquery()
        query = (select(sessions.c.id, sessions.c.created, sessions.c.updated, count, last)
                 .where(sessions.c.owner == owner)
                 .order_by(sessions.c.updated.desc(), sessions.c.created.desc(), sessions.c.id).limit(limit))
        with self.engine.connect() as connection:
            return [SessionSummary(*row) for row in connection.execute(query).all()]


def _turn(row: Row) -> dict[str, Any]:
    return {"index": row.idx, "created": row.created, "instruction": row.instruction, "image_key": row.image_key,
            "result": json.loads(row.result)}
