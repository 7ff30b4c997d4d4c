"""Named concepts ("remember this as X"): an owner's phrase, exemplar crop and box under a name."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import Engine, select

from segchat.agent.serving.store.engine import upsert
from segchat.agent.serving.store.tables import concepts


class ConceptTable:
    """The store's concept methods (a part of `SessionStore`)."""

    engine: Engine

    def save_concept(self, owner: str, name: str, phrase: str, crop_png: bytes,
                     box: tuple[float, float, float, float]) -> None:
        """Remember a named concept for `owner` (replacing one of the same name)."""
        with self.engine.begin() as connection:
            upsert(connection, concepts, owner=owner, name=name, phrase=phrase, crop=crop_png,
                   box=json.dumps(list(box)), created=time.time())

    def concept(self, owner: str, name: str) -> dict[str, Any] | None:
        query = select(concepts).where(concepts.c.owner == owner, concepts.c.name == name)
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        return {"name": row.name, "phrase": row.phrase, "crop": row.crop, "box": tuple(json.loads(row.box)),
                "created": row.created}

    def concepts(self, owner: str) -> list[dict[str, Any]]:
        query = (select(concepts.c.name, concepts.c.phrase, concepts.c.box, concepts.c.created)
                 .where(concepts.c.owner == owner).order_by(concepts.c.name))
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [{"name": row.name, "phrase": row.phrase, "box": json.loads(row.box), "created": row.created}
                for row in rows]

    def delete_concept(self, owner: str, name: str) -> bool:
        with self.engine.begin() as connection:
            deleted = connection.execute(concepts.delete().where(concepts.c.owner == owner, concepts.c.name == name))
        return deleted.rowcount > 0
