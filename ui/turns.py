"""The chat's turns: a message (and maybe an image) through the one tool definition, `Agent.segment_image`, and
what the page shows of the answer; "more like / not like" an instance; the box picker; the downloads."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import gradio as gr
from pydantic import ValidationError

from segchat.agent import Turn
from segchat.agent.explain import display_label
from segchat.agent.results import EXPORT_KINDS
from segchat.contracts.errors import BadRequestError, SegchatError
from segchat.contracts.tool import ExemplarBox, SegmentImageParameters
from segchat.segmenter.instances import Instance
from segchat.ui.context import UiContext
from segchat.ui.files import read_uploads
from segchat.ui.history import TurnRecord, rebuilt_turn, record_of
from segchat.ui.messages import MORE_LIKE, NOT_LIKE, browser_language, friendly_error, language_of, say

log = logging.getLogger(__name__)

Chat = list[dict[str, Any]]
# box, chatbot, state, instances table, downloads, picker, box note (the order of the outputs in app.wire_chat)
TurnUpdate = tuple[Any, Chat, dict, Any, Any, Any, str]
# the message box emptied, as a value: for an update (a component, gr.update, even gr.skip) Gradio builds a new
# component and its config on every call, a cost each turn would pay; a turn's answer returns values only
EMPTY_MESSAGE: dict[str, Any] = {"text": "", "files": []}


def rows_of(instances: list[Instance], language: str) -> list[list]:
    """The instances table: #, label in the answer's language, score, area in pixels."""
    return [[f.id, display_label(f.label, language), round(f.score, 3), f.area] for f in instances]


def concept_rows(ctx: UiContext, owner: str) -> list[list]:
    return [[c["name"], c["phrase"]] for c in ctx.agent.concept_list(owner)]


def turn_parameters(text: str, state: dict, threshold: float, verify: bool,
                    box: list[float] | None) -> SegmentImageParameters:
    """The page's fields as the tool's parameters (the same model REST and MCP validate)."""
    if not text:
        raise BadRequestError("the instruction is empty: say what to segment", code="empty_instruction")
    try:
        return SegmentImageParameters(instruction=text, session=state.get("session") or None, threshold=threshold,
                                      verify=verify, exemplars=[ExemplarBox(box=box, positive=True)] if box else [])
    except ValidationError as exc:
        raise BadRequestError(f"bad request: {exc.errors()[0]['msg']}") from None


def answer(ctx: UiContext, text: str, files: list[str], state: dict, threshold: float, verify: bool,
           box: list[float] | None, owner: str) -> Turn:
    upload = read_uploads(files)
    return ctx.agent.segment_image(turn_parameters(text, state, threshold, verify, box), owner=owner, image=upload)


def answered(ctx: UiContext, turn: Turn, history: Chat, text: str, files: list[str], state: dict,
             smoothness: float) -> TurnUpdate:
    """The page after an answer: the image once (when one was sent), the overlay, the explanation, the table; the
    downloads list offers the overlay, and the other exports when asked for ("Prepare downloads")."""
    state.update(session=turn.session_id, language=turn.result.reply_language, turn=turn.index)
    # the server's own copy of the session's image, written once by the store: in the chat when it came with this
    # message, and always in the box picker (a value costs less than leaving it alone: see EMPTY_MESSAGE); the
    # agent's turn names it (an answered turn always has an image), so the session is not read again for its key
    image = str(ctx.files.image(turn.session_id, str(turn.image_key)))
    if files:
        history.insert(len(history) - (1 if text else 0), {"role": "user", "content": {"path": image}})
    overlay = str(ctx.files.export(turn, "overlay", smoothness))
    if turn.instances:
        history.append({"role": "assistant", "content": {"path": overlay}})
    history.append({"role": "assistant", "content": turn.result.explanation})
    rows = rows_of(turn.instances, turn.result.reply_language)
    return EMPTY_MESSAGE, history, state, rows, [overlay], image, ""


def failed(history: Chat, text: str, files: list[str], state: dict, message: str) -> TurnUpdate:
    if files:
        history.insert(len(history) - (1 if text else 0), {"role": "user", "content": "📎"})
    history.append({"role": "assistant", "content": message})
    return EMPTY_MESSAGE, history, state, gr.skip(), gr.skip(), gr.skip(), ""


def run_turn(ctx: UiContext, text: str, files: list[str], history: Chat | None, state: dict | None,
             threshold: float, smoothness: float, verify: bool, request: gr.Request | None) -> TurnUpdate:
    """One turn from the page: the chat, the instances table, the downloads, the box picker, the concepts."""
    history = list(history or [])
    state = dict(state or {})
    box = state.pop("box", None)
    state.pop("corners", None)
    language = language_of(text, state.get("language") or browser_language(request))
    if text:
        history.append({"role": "user", "content": text + (f"  ▭ {box}" if box else "")})
    try:
        owner = ctx.owner(request)
        turn = answer(ctx, text, files, state, threshold, verify, box, owner)
        return answered(ctx, turn, history, text, files, state, smoothness)
    except SegchatError as exc:
        return failed(history, text, files, state, friendly_error(exc, language))
    except Exception:  # noqa: BLE001 - never a stack trace in the chat
        log.exception("chat turn failed")
        return failed(history, text, files, state, friendly_error(SegchatError("internal error"), language))


def respond(ctx: UiContext, message: dict | None, history: Chat, state: dict, threshold: float, smoothness: float,
            verify: bool, request: gr.Request) -> TurnUpdate:
    message = message or {}
    return run_turn(ctx, (message.get("text") or "").strip(), message.get("files") or [], history, state, threshold,
                    smoothness, verify, request)


def ask_like(ctx: UiContext, positive: bool, history: Chat, state: dict, threshold: float, smoothness: float,
             verify: bool, request: gr.Request | None) -> TurnUpdate:
    """"More like #N" / "not like #N" for the row clicked in the instances table, said in the chat's language."""
    state = dict(state or {})
    chosen = state.get("selected")
    language = language_of("", state.get("language") or browser_language(request))
    if not chosen:
        note = say(language, "Click a row of the instances table first.", "先在实例表里点一行。")
        return (gr.skip(), list(history or []) + [{"role": "assistant", "content": note}], state, gr.skip(),
                gr.skip(), gr.skip(), "")
    text = (MORE_LIKE if positive else NOT_LIKE)[language].format(n=chosen)
    return run_turn(ctx, text, [], history, state, threshold, smoothness, verify, request)


def more_like(ctx: UiContext, history: Chat, state: dict, threshold: float, smoothness: float, verify: bool,
              request: gr.Request) -> TurnUpdate:
    return ask_like(ctx, True, history, state, threshold, smoothness, verify, request)


def not_like(ctx: UiContext, history: Chat, state: dict, threshold: float, smoothness: float, verify: bool,
             request: gr.Request) -> TurnUpdate:
    return ask_like(ctx, False, history, state, threshold, smoothness, verify, request)


def turn_exports(ctx: UiContext, record: TurnRecord, smoothness: float) -> list[Path]:
    """Every export of the turn, building only those not on disk yet (the turn is rebuilt from the store once)."""
    have = ctx.files.existing_exports(record.session_id, record.index, smoothness)
    if len(have) == len(EXPORT_KINDS):
        return have
    turn = rebuilt_turn(ctx.agent, record)
    return [ctx.files.export(turn, kind, smoothness) for kind in EXPORT_KINDS]


def prepare_downloads(ctx: UiContext, state: dict, smoothness: float, request: gr.Request) -> tuple[Any, str]:
    """The "Prepare downloads" button: the last answer's masks ZIP, COCO JSON, cut-outs ZIP and layered PSD beside
    its overlay, built now (a PSD costs more than the turn itself, so no turn builds one unasked)."""
    state = state or {}
    language = language_of("", state.get("language") or browser_language(request))
    if not state.get("session") or state.get("turn") is None:
        return gr.skip(), friendly_error(SegchatError("no turn yet", code="no_turn_yet"), language)
    try:
        record = record_of(ctx.agent, state["session"], int(state["turn"]), ctx.owner(request))
        return [str(path) for path in turn_exports(ctx, record, smoothness)], ""
    except SegchatError as exc:
        return gr.skip(), friendly_error(exc, language)


def select_row(state: dict, event: gr.SelectData) -> tuple[dict, str]:
    state = dict(state or {})
    row = event.index[0] if isinstance(event.index, (list, tuple)) else event.index
    values = event.row_value or []
    state["selected"] = int(values[0]) if values else None
    note = f"#{state['selected']} selected: ask for more like it, or not like it." if state["selected"] else ""
    return state, note if row is not None else ""


def pick_corner(state: dict, event: gr.SelectData) -> tuple[dict, str]:
    """Two clicks on the image: the corners of an example box for the next message."""
    state = dict(state or {})
    corners = list(state.get("corners") or []) + [[float(v) for v in event.index[:2]]]
    if len(corners) < 2:
        state["corners"] = corners
        return state, "▭ one corner set: click the opposite corner / 已选一个角，请点对角"
    (ax, ay), (bx, by) = corners[:2]
    state["box"] = [min(ax, bx), min(ay, by), max(ax, bx) + 1, max(ay, by) + 1]
    state.pop("corners", None)
    return state, f"▭ example box {state['box']}: it goes with your next message / 样例框会随下一条消息发送"


def clear_box(state: dict) -> tuple[dict, str]:
    state = dict(state or {})
    state.pop("box", None)
    state.pop("corners", None)
    return state, ""


def new_conversation() -> tuple[Chat, dict, list, None, None, str]:
    return [], {"session": None}, [], None, None, ""
