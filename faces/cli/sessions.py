"""`segchat sessions list | show ID | export ID`: the conversations the store keeps (as simonw/llm's `llm logs`).

These verbs read what is stored: they load no model. `show --json` is the session history exactly as REST's
`GET /v1/sessions/{id}` answers it; `export --format coco` is each turn's COCO export in one document.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable

import click

from segchat.agent.serving.store import SessionStore, SessionSummary, has_sqlite_store, owner_of
from segchat.agent.sessions import SessionArchive
from segchat.contracts.errors import SegchatError, SessionNotFoundError
from segchat.contracts.settings import Settings
from segchat.faces.cli.common import checked_settings, emit, fail, guarded
from segchat.faces.options import DATA_OPTIONS, options

SESSION_OPTIONS = [
    *DATA_OPTIONS,
    click.option("--api-key", help="Whose sessions: the API key they were made with on the server (default: those "
                                   "made without a key, as the CLI makes them)."),
]
EXPORT_FORMATS = ("json", "coco")


@click.group()
def sessions() -> None:
    """The stored conversations: list them, show one, export one."""


@sessions.command("list")
@options(SESSION_OPTIONS)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="How many, newest first.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array of the sessions.")
def list_sessions(data_dir: str | None, api_key: str | None, limit: int, as_json: bool) -> None:
    """The sessions, the most recently used first: id, created, updated, turns and the last instruction."""
    settings = checked_settings(data_dir=data_dir)
    found = _summaries(settings, owner_of(api_key), limit)
    if as_json:
        click.echo(json.dumps([_summary_json(s) for s in found], ensure_ascii=False))
    elif not found:
        click.echo(f"no sessions in {settings.data_dir}" + (" for that API key" if api_key else ""))
    else:
        click.echo(f"{'session':<32}  {'created':<16}  {'updated':<16}  turns  last instruction")
        for summary in found:
            click.echo(f"{summary.id:<32}  {_when(summary.created)}  {_when(summary.updated)}  {summary.turns:>5}  "
                       f"{_shortened(summary.last_instruction or '', 60)}")


@sessions.command("show")
@click.argument("session_id", metavar="ID")
@options(SESSION_OPTIONS)
@click.option("--json", "as_json", is_flag=True, help="The session history JSON (as GET /v1/sessions/{id}).")
def show_session(session_id: str, data_dir: str | None, api_key: str | None, as_json: bool) -> None:
    """The conversation ID: each turn's instruction, explanation and instances."""
    settings = checked_settings(data_dir=data_dir)

    def run() -> None:
        history = _archive(settings, session_id).history(session_id, owner_of(api_key))
        if as_json:
            emit(history.model_dump(mode="json"))
            return
        click.echo(f"session {history.session}: {len(history.turns)} turn(s)")
        for turn in history.turns:
            _print_turn(turn.index, turn.created, turn.instruction, turn.result.model_dump(mode="json"))

    guarded(run)


@sessions.command("export")
@click.argument("session_id", metavar="ID")
@options(SESSION_OPTIONS)
@click.option("--format", "export_format", type=click.Choice(EXPORT_FORMATS), default="json", show_default=True,
              help="json: the session history; coco: every turn's instances as one COCO document.")
@click.option("--turn", "turn_index", type=click.IntRange(min=0), help="Only this turn (its index, from 0).")
@click.option("--out", "out_file", type=click.Path(dir_okay=False), help="Write here instead of to stdout.")
def export_session(session_id: str, data_dir: str | None, api_key: str | None, export_format: str,
                   turn_index: int | None, out_file: str | None) -> None:
    """Export the conversation ID as JSON, or its turns' instances as COCO (RLE masks; one image entry per turn)."""
    settings = checked_settings(data_dir=data_dir)

    def run() -> None:
        archive = _archive(settings, session_id)
        owner = owner_of(api_key)
        document = _EXPORTS[export_format](archive, session_id, owner, turn_index)
        _write(json.dumps(document, ensure_ascii=False), out_file)

    guarded(run)


# -- the exports -----------------------------------------------------------------------------------------------------
def _history_json(archive: SessionArchive, session_id: str, owner: str, turn_index: int | None) -> dict[str, Any]:
    history = archive.history(session_id, owner).model_dump(mode="json")
    if turn_index is not None:
        archive.turn_at(session_id, turn_index, owner)  # an unknown turn: the archive's own error
        history["turns"] = [t for t in history["turns"] if t["index"] == turn_index]
    return history


def _coco(archive: SessionArchive, session_id: str, owner: str, turn_index: int | None) -> dict[str, Any]:
    return archive.coco(session_id, owner, turn_index)


_EXPORTS: dict[str, Callable[..., dict[str, Any]]] = {"json": _history_json, "coco": _coco}


# -- helpers ---------------------------------------------------------------------------------------------------------
def _summaries(settings: Settings, owner: str, limit: int) -> list[SessionSummary]:
    if _nothing_stored(settings):  # nothing was ever stored here: nothing to list (and nothing to create)
        return []
    try:
        store = open_store(settings)
    except SegchatError as exc:  # an unreachable database
        fail(exc.message)
    try:
        return store.session_summaries(owner, limit)
    finally:
        store.close()


def _archive(settings: Settings, session_id: str) -> SessionArchive:
    """The stored sessions, read without a model; an empty data folder has no session ID."""
    if _nothing_stored(settings):
        raise SessionNotFoundError(f"no session {session_id!r} (nothing is stored in {settings.data_dir})")
    return SessionArchive(open_store(settings))


def open_store(settings: Settings) -> SessionStore:
    """The configured store: SEGCHAT_DATABASE_URL, else the data directory's SQLite file."""
    return SessionStore(settings.data_dir, settings.database_url)


def _nothing_stored(settings: Settings) -> bool:
    return settings.database_url is None and not has_sqlite_store(settings.data_dir)


def _summary_json(summary: SessionSummary) -> dict[str, Any]:
    return {"session": summary.id, "created": summary.created, "updated": summary.updated, "turns": summary.turns,
            "last_instruction": summary.last_instruction}


def _print_turn(index: int, created: float, instruction: str, result: dict[str, Any]) -> None:
    instances = result["instances"]
    click.echo(f"\n[{index}] {_when(created)}  {instruction}")
    click.echo(f"    {result['explanation']}")
    click.echo(f"    {len(instances)} instance(s)" + (": " if instances else "") +
               ", ".join(f"#{item['id']} {item['label']} {item['score']:.2f}" for item in instances))


def _write(text: str, out_file: str | None) -> None:
    if out_file is None:
        click.echo(text)
        return
    try:
        Path(out_file).write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write to '{out_file}': {exc.strerror or exc}")
    click.echo(f"wrote {out_file}", err=True)


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def _shortened(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"
