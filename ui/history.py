"""A browser's session as stored: its turns' records (instruction, result, image key), and a `Turn` rebuilt from a
record only when a file must be drawn (a page load decodes no image whose files are still on disk)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PIL import Image

from segchat.agent import Agent, Turn
from segchat.agent.results import instances_from_result
from segchat.contracts.errors import BadRequestError
from segchat.contracts.results import AgentResult


@dataclass(frozen=True)
class TurnRecord:
    """One stored turn as the page needs it."""

    session_id: str
    index: int
    instruction: str
    image_key: str
    result: AgentResult


def turn_records(agent: Agent, session_id: str, owner: str) -> list[TurnRecord]:
    """The session's turns, oldest first; SessionNotFoundError when it is not the owner's. Read from the store
    directly: the agent's `replay` would decode every image of the session, which a page load does not need."""
    agent.store.get_session(session_id, owner)
    return [TurnRecord(session_id=session_id, index=stored["index"], instruction=stored["instruction"],
                       image_key=stored["image_key"], result=AgentResult.model_validate(stored["result"]))
            for stored in agent.store.turns(session_id)]


def record_of(agent: Agent, session_id: str, index: int, owner: str) -> TurnRecord:
    for record in turn_records(agent, session_id, owner):
        if record.index == index:
            return record
    raise BadRequestError(f"session {session_id!r} has no turn {index}", code="unknown_turn")


def rebuilt_turn(agent: Agent, record: TurnRecord, images: dict[str, Image.Image] | None = None) -> Turn:
    """The record as a `Turn` that can draw and export itself (its image loaded once per key via `images`)."""
    images = {} if images is None else images
    if record.image_key not in images:
        images[record.image_key] = agent.store.load_image(record.image_key)
    stored: dict[str, Any] = record.result.model_dump()
    return Turn(result=record.result, instances=instances_from_result(stored), image=images[record.image_key],
                session_id=record.session_id, index=record.index, instruction=record.instruction,
                image_key=record.image_key)
