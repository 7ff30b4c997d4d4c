"""The Gradio chat: drop an image, ask in any language, get masks and an explanation, keep talking."""

from __future__ import annotations

import logging
import os
import secrets
import uuid
from pathlib import Path

import gradio as gr

from segchat.agent import Agent, Turn
from segchat.agent.explain import display_label
from segchat.contracts.errors import ImageReadError, SegchatError
from segchat.contracts.settings import REPO_DIR, Settings
from segchat.faces.http import request_owner
from segchat.parser.language import reply_language

log = logging.getLogger(__name__)

EXAMPLE_IMAGE = str(REPO_DIR / "examples" / "shapes_demo.png")
EXAMPLES = [
    {"text": "把最左边的红色圆形抠出来", "files": [EXAMPLE_IMAGE]},
    {"text": "all the green shapes", "files": [EXAMPLE_IMAGE]},
    {"text": "the biggest blue square", "files": [EXAMPLE_IMAGE]},
    {"text": "所有黄色的图形，五角星除外", "files": [EXAMPLE_IMAGE]},
]
FRIENDLY = {
    "unreadable_image": ("I couldn't read that file as an image. Please send a PNG, JPEG, WebP, GIF, BMP or TIFF.",
                         "这个文件无法作为图片读取。请上传 PNG、JPEG、WebP、GIF、BMP 或 TIFF 图片。"),
    "image_too_large": ("That image is too large for this server. Please send a smaller one.",
                        "这张图片太大了，请上传小一点的图片。"),
    "payload_too_large": ("That file is too large for this server. Please send a smaller one.",
                          "文件太大了，请上传小一点的文件。"),
    "empty_instruction": ("Please tell me what to segment, e.g. “the red circle on the left”.",
                          "请告诉我要分割什么，例如“左边的红色圆形”。"),
    "missing_image": ("Please attach an image first, then tell me what to segment.",
                      "请先上传一张图片，再告诉我要分割什么。"),
    "queue_full": ("The server is busy right now. Please try again in a moment.", "服务器正忙，请稍后再试。"),
    "instruction_too_long": ("That instruction is too long. Please say it in fewer words.", "指令太长了，请说得简短一些。"),
    "unauthorized": ("This server needs an API key: open the page as /?api_key=<your key>.",
                     "这个服务器需要 API 密钥：请用 /?api_key=<密钥> 打开页面。"),
    "unknown_instance": ("There is no such number in the last answer. Please use one of the #numbers shown.",
                         "上一轮结果里没有这个编号，请用图上显示的编号。"),
}
CSS = ".notice {background: #fff7e0; border-left: 4px solid #f0a500; padding: 6px 10px; border-radius: 4px}"


def friendly_error(exc: SegchatError, text: str) -> str:
    english, chinese = FRIENDLY.get(exc.code, (f"Sorry, that didn't work: {exc.message}", f"抱歉，出错了：{exc.message}"))
    return chinese if reply_language(text or "") == "zh" else english


def browser_state_secret(data_dir: Path) -> str:
    """The key that encrypts the session id kept in the browser, stored once in the data directory.

    Gradio draws a new one per process by default, and a restarted server could then no longer read the browser's
    session id: the conversation would be in the store but out of reach.
    """
    path = data_dir / "ui_secret"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    secret = secrets.token_urlsafe(32)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process wrote it first
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as stream:
        stream.write(secret)
    return secret


DOWNLOADS = ("overlay", "masks", "coco")


def read_uploads(paths: list[str]) -> bytes | None:
    """The bytes of the browser's upload (the last file), or None when nothing was attached. Gradio's copies are
    removed once read, so nothing stays on disk under a name the client chose; an upload that cannot be read is
    an error, never "no image" (which would run the turn on the session's previous image)."""
    data = None
    for path in paths:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ImageReadError(f"the upload could not be read ({exc.strerror or exc})") from None
        finally:
            Path(path).unlink(missing_ok=True)
    return data


def build_ui(agent: Agent, settings: Settings) -> gr.Blocks:
    data_dir = Path(settings.data_dir).expanduser()
    files_dir = data_dir / "ui_files"
    files_dir.mkdir(parents=True, exist_ok=True)
    keys = settings.api_keys()
    ready = agent.readiness()
    notices = []
    if settings.demo:
        notices.append("Demo model: a small SAM3 trained here on the shapes world. It knows coloured circles, squares, "
                       "triangles, stars and hexagons, nothing else. 演示模型只认识彩色的圆形、正方形、三角形、五角星和六边形。")
    if ready["llm_state"] not in ("reachable", "loaded"):
        notices.append("Offline parser: no LLM is used to read the instructions (English and Chinese). "
                       "离线解析器：未使用大语言模型。")

    def owner_for(request: gr.Request | None) -> str:
        """The browser's owner id: a hash of the API key it presented (the cookie set at /?api_key=...)."""
        return request_owner(getattr(request, "request", None), keys)

    def session_folder(session_id: str) -> Path:
        folder = files_dir / session_id
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def save_file(session_id: str, name: str, data: bytes) -> str:
        """A file the page may show or offer, under a name the server chose."""
        path = session_folder(session_id) / f"{uuid.uuid4().hex[:10]}_{name}"
        path.write_bytes(data)
        return str(path)

    def image_file(turn: Turn) -> str:
        from segchat.agent.export import png_bytes

        return save_file(turn.session_id, "image.png", png_bytes(turn.image))

    def downloads_of(turn: Turn, smoothness: float) -> list[str]:
        return [save_file(turn.session_id, f.name, f.data)
                for f in (turn.export(kind, smoothness) for kind in DOWNLOADS)]

    def rows_of(turn: Turn) -> list[list]:
        return [[f.id, display_label(f.label, turn.result.reply_language), round(f.score, 3), f.area]
                for f in turn.instances]

    def respond(message: dict | None, history: list, state: dict, threshold: float, smoothness: float,
                verify: bool, request: gr.Request):
        message = message or {}
        text = (message.get("text") or "").strip()
        files = message.get("files") or []
        history = list(history or [])
        state = dict(state or {})
        if text:
            history.append({"role": "user", "content": text})

        def fail(exc: SegchatError):
            if files:
                history.insert(len(history) - (1 if text else 0), {"role": "user", "content": "📎"})
            history.append({"role": "assistant", "content": friendly_error(exc, text)})
            return gr.MultimodalTextbox(value=None), history, state, gr.skip(), gr.skip()

        try:
            owner = owner_for(request)
            image_bytes = read_uploads(files)
            turn = agent.turn(text, agent.image_bytes(image_bytes) if image_bytes is not None else None,
                              state.get("session"), owner=owner, threshold=threshold, verify=verify)
        except SegchatError as exc:
            return fail(exc)
        except Exception:  # noqa: BLE001 - never a stack trace in the chat
            log.exception("chat turn failed")
            return fail(SegchatError("internal error"))
        if files:  # show the server's own copy of the image
            history.insert(len(history) - (1 if text else 0), {"role": "user", "content": {"path": image_file(turn)}})
        state["session"] = turn.session_id
        downloads = downloads_of(turn, smoothness)
        history.append({"role": "assistant", "content": {"path": downloads[0]}})
        history.append({"role": "assistant", "content": turn.result.explanation})
        return gr.MultimodalTextbox(value=None), history, state, rows_of(turn), downloads

    def restore(state: dict, request: gr.Request):
        """Rebuild the chat of the browser's session from the store (a reload or a server restart loses nothing)."""
        session_id = (state or {}).get("session")
        if not session_id:
            return [], [], None
        try:
            turns = agent.replay(session_id, owner_for(request))
        except SegchatError:
            return [], [], None
        history: list[dict] = []
        shown = None
        for turn in turns:
            if turn.image is not shown:
                history.append({"role": "user", "content": {"path": image_file(turn)}})
                shown = turn.image
            history.append({"role": "user", "content": turn.instruction})
            if turn.instances:
                history.append({"role": "assistant", "content": {
                    "path": save_file(session_id, "overlay.png", turn.export("overlay").data)}})
            history.append({"role": "assistant", "content": turn.result.explanation})
        return history, rows_of(turns[-1]) if turns else [], None

    def new_conversation():
        return [], {"session": None}, [], None

    with gr.Blocks(title="segchat") as demo:
        gr.Markdown("## segchat: say what to segment, in your own words\n"
                    "Drop an image, then ask: *“all cars except the red one”*, *“把左边那只狗抠出来”*, "
                    "*“now only the bigger one”*.")
        for notice in notices:
            gr.Markdown(notice, elem_classes=["notice"])
        state = gr.BrowserState({"session": None}, storage_key="segchat_session",
                                secret=browser_state_secret(data_dir))
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(label="segchat", height=560, elem_id="chat", buttons=["copy"])
                box = gr.MultimodalTextbox(placeholder="Attach an image and say what to segment / 上传图片并说出要分割的物体",
                                           file_types=["image"], sources=["upload"], show_label=False,
                                           elem_id="prompt")
                gr.Examples(examples=EXAMPLES, inputs=[box], label="Examples / 示例")
            with gr.Column(scale=1):
                threshold = gr.Slider(0.0, 1.0, value=agent.threshold, step=0.01, label="Detection threshold")
                smoothness = gr.Slider(0.0, 5.0, value=0.0, step=0.5, label="Mask smoothness (edge refinement)")
                verify = gr.Checkbox(value=False, label="Verify with the VL model",
                                     interactive=agent.parser.can_verify)
                table = gr.Dataframe(headers=["#", "label", "score", "area"], label="Instances", interactive=False,
                                     elem_id="instances")
                downloads = gr.File(label="Downloads: overlay PNG, masks ZIP, COCO JSON", file_count="multiple",
                                    interactive=False, elem_id="downloads")
                clear = gr.Button("New conversation / 新对话")
        # the UI's own events are not an API: programs use REST or MCP (one definition of the tool)
        box.submit(respond, [box, chatbot, state, threshold, smoothness, verify], [box, chatbot, state, table, downloads],
                   api_visibility="private")
        clear.click(new_conversation, None, [chatbot, state, table, downloads], api_visibility="private")
        demo.load(restore, [state], [chatbot, table, downloads], api_visibility="private")
    demo.queue(max_size=settings.queue_size, default_concurrency_limit=1)
    demo.segchat_files_dir = files_dir  # for serve.py's allowed_paths
    return demo
