"""A page load: the browser's conversation rebuilt from the store (a reload or a restart loses nothing), drawing
only the files that are not on disk; and the remembered concepts, listed and forgotten. Errors are said, never
swallowed: a failed delete or a missing API key shows in the page."""

from __future__ import annotations

from typing import Any

import gradio as gr
from PIL import Image

from segchat.agent.results import instances_from_result
from segchat.contracts.errors import SegchatError, SessionNotFoundError
from segchat.ui.context import UiContext
from segchat.ui.history import TurnRecord, rebuilt_turn, turn_records
from segchat.ui.messages import browser_language, friendly_error, language_of, parser_notice
from segchat.ui.turns import Chat, concept_rows, rows_of

# chatbot, instances table, downloads, picker, concepts, state, concept note
RestoreUpdate = tuple[Chat, list, Any, Any, Any, dict, str]


def overlay_of(ctx: UiContext, record: TurnRecord, images: dict[str, Image.Image]) -> str:
    """The turn's overlay file: the one on disk, else drawn now (after a sweep)."""
    path = ctx.files.export_path(record.session_id, record.index, "overlay")
    if path.exists():
        return str(path)
    return str(ctx.files.export(rebuilt_turn(ctx.agent, record, images), "overlay"))


def chat_of(ctx: UiContext, records: list[TurnRecord]) -> Chat:
    """The conversation as the chat shows it: each image once, each instruction, overlay and explanation."""
    history: Chat = []
    shown = None
    images: dict[str, Image.Image] = {}  # decoded only for an overlay that must be drawn again
    for record in records:
        if record.image_key != shown:
            image = ctx.files.image(record.session_id, record.image_key)
            history.append({"role": "user", "content": {"path": str(image)}})
            shown = record.image_key
        history.append({"role": "user", "content": record.instruction})
        if record.result.instances:
            history.append({"role": "assistant", "content": {"path": overlay_of(ctx, record, images)}})
        history.append({"role": "assistant", "content": record.result.explanation})
    return history


def table_of(record: TurnRecord) -> list[list]:
    return rows_of(instances_from_result(record.result.model_dump()), record.result.reply_language)


def restore(ctx: UiContext, state: dict | None, request: gr.Request) -> RestoreUpdate:
    """The page as the browser left it; an error (a missing API key, a conversation gone) is said in the chat."""
    ctx.files.sweep_now_and_then()
    state = dict(state or {})
    language = language_of("", state.get("language") or browser_language(request))
    session_id = state.get("session")
    try:
        owner = ctx.owner(request)
        concepts = concept_rows(ctx, owner)
        if not session_id:
            return [], [], None, None, concepts, state, ""
        records = turn_records(ctx.agent, session_id, owner)
        if not records:
            return [], [], None, None, concepts, state, ""
        last = records[-1]
        state.update(turn=last.index, language=last.result.reply_language)
        downloads = [str(p) for p in ctx.files.existing_exports(session_id, last.index)]
        return (chat_of(ctx, records), table_of(last), downloads or None,
                str(ctx.files.image(session_id, last.image_key)), concepts, state, "")
    except SegchatError as exc:
        message = friendly_error(exc, language)
        if isinstance(exc, SessionNotFoundError):  # said once: the next load starts a new conversation
            state["session"] = None
        return [{"role": "assistant", "content": message}], [], None, None, gr.skip(), state, message


def banner(ctx: UiContext) -> Any:
    """The parser's banner for this page load: who reads the instructions now."""
    return gr.update(value=parser_notice(ctx.agent.readiness()), visible=True)


def list_concepts(ctx: UiContext, state: dict, request: gr.Request) -> tuple[Any, str]:
    """The remembered concepts, read when their panel opens (no turn re-reads them): the rows and a note, which
    says what went wrong when they cannot be read."""
    language = language_of("", (state or {}).get("language") or browser_language(request))
    try:
        return concept_rows(ctx, ctx.owner(request)), ""
    except SegchatError as exc:
        return gr.skip(), "⚠️ " + friendly_error(exc, language)


def forget(ctx: UiContext, name: str, state: dict, request: gr.Request) -> tuple[Any, Any, str]:
    """Forget a remembered concept; the list, the name box and a note saying what happened (or what went wrong)."""
    state = state or {}
    # the conversation's language; before any answer, the name's (or the browser's)
    language = language_of("", state.get("language") or language_of(name, browser_language(request)))
    try:
        owner = ctx.owner(request)
        ctx.agent.forget_concept(name, owner)
        rows = concept_rows(ctx, owner)
    except SegchatError as exc:
        return gr.skip(), gr.skip(), "⚠️ " + friendly_error(exc, language)
    done = f"Forgot “{name.strip()}”." if language == "en" else f"已删除“{name.strip()}”。"
    return rows, "", done
