"""The stored conversations, read back: a session's history, its turns as `Turn`s again, their exports, its images
as video frames, and all its turns' instances as one COCO document. Needs only the store, never a model, so
`segchat sessions` reads them without loading SAM3; the agent delegates its session methods here."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from PIL import Image

from segchat.agent.results import ExportFile, ExportKind, Turn, instances_from_result
from segchat.agent.serving.store import SessionStore
from segchat.contracts.errors import BadRequestError
from segchat.contracts.results import AgentResult, SessionHistory, TurnRecord


class SessionArchive:
    """Read access to the sessions a `SessionStore` keeps, checked against the caller's owner id."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store

    def create_session(self, owner: str = "") -> str:
        return self.store.create_session(owner)

    def history(self, session_id: str, owner: str = "") -> SessionHistory:
        """The session's turns as the result JSON (REST's `GET /v1/sessions/{id}`)."""
        self.store.get_session(session_id, owner)
        return SessionHistory(session=session_id, turns=[
            TurnRecord(index=t["index"], created=t["created"], instruction=t["instruction"],
                       result=AgentResult.model_validate(t["result"])) for t in self.store.turns(session_id)])

    def replay(self, session_id: str, owner: str = "") -> list[Turn]:
        """Every stored turn of a session as a `Turn` again (image, instances), to show or export."""
        self.store.get_session(session_id, owner)
        images: dict[str, Image.Image] = {}
        turns = []
        for stored in self.store.turns(session_id):
            key = stored["image_key"]
            if key not in images:
                images[key] = self.store.load_image(key)
            turns.append(Turn(result=AgentResult.model_validate(stored["result"]),
                              instances=instances_from_result(stored["result"]), image=images[key],
                              session_id=session_id, index=stored["index"], instruction=stored["instruction"],
                              image_key=key))
        return turns

    def turn_at(self, session_id: str, index: int, owner: str = "") -> Turn:
        turns = self.replay(session_id, owner)
        for turn in turns:
            if turn.index == index:
                return turn
        raise BadRequestError(f"session {session_id!r} has no turn {index} (it has {len(turns)})", code="unknown_turn",
                              http_status=404)

    def export(self, session_id: str, index: int, kind: ExportKind | str, *, owner: str = "",
               smoothness: float = 0.0) -> ExportFile:
        return self.turn_at(session_id, index, owner).export(kind, smoothness)

    def frames(self, session_id: str, owner: str = "") -> Path:
        """A session's images, in the order they were sent, as a new folder of frames (a video job over them; the
        job runner takes the folder over and removes it)."""
        turns = self.replay(session_id, owner)
        if not turns:
            raise BadRequestError(f"session {session_id!r} has no images yet", code="missing_image")
        folder = Path(tempfile.mkdtemp(prefix="segchat-frames-"))
        previous = None
        count = 0
        for turn in turns:
            if turn.image is not previous:
                if previous is not None and turn.image.size != previous.size:
                    raise BadRequestError("the session's images have different sizes: they are no video",
                                          code="mixed_frame_sizes")
                turn.image.save(folder / f"frame_{count:05d}.png")
                previous, count = turn.image, count + 1
        return folder

    def coco(self, session_id: str, owner: str = "", turn_index: int | None = None) -> dict[str, Any]:
        """The turns' own COCO exports (`Turn.export("coco")`) as one document: an image entry per turn (named after
        its image's content key, `<key>.png`: the file `store.image_png(key)` gives), annotations numbered anew,
        categories by label."""
        turns = self.replay(session_id, owner)  # an unknown session (or another key's): NotFound
        if turn_index is not None:
            turns = [self.turn_at(session_id, turn_index, owner)]
        keys = {t["index"]: t["image_key"] for t in self.store.turns(session_id)}
        documents = [(turn, json.loads(turn.export(ExportKind.COCO).data)) for turn in turns]
        labels = sorted({c["name"] for _, document in documents for c in document["categories"]})
        category_of = {label: number for number, label in enumerate(labels, start=1)}
        merged: dict[str, Any] = {"images": [], "annotations": [],
                                  "categories": [{"id": category_of[label], "name": label} for label in labels]}
        for turn, document in documents:
            image_id = turn.index + 1
            names = {c["id"]: c["name"] for c in document["categories"]}
            merged["images"] += [{**image, "id": image_id, "file_name": f"{keys[turn.index]}.png", "turn": turn.index,
                                  "instruction": turn.instruction} for image in document["images"]]
            merged["annotations"] += [{**item, "id": len(merged["annotations"]) + number, "image_id": image_id,
                                       "category_id": category_of[names[item["category_id"]]], "instance": item["id"]}
                                      for number, item in enumerate(document["annotations"], start=1)]
        return merged
