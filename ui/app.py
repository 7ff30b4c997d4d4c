"""The Gradio chat: drop an image, ask in any language, get masks and an explanation, keep talking."""

from __future__ import annotations

import json
import logging
import os
import secrets
import uuid
from pathlib import Path

import gradio as gr

from segchat.agent.core import TurnOutput, instances_from_result
from segchat.agent.found import Found
from segchat.agent.explain import display_label
from segchat.agent.export import coco_json, masks_zip, smoothed
from segchat.agent.overlay import render_overlay
from segchat.agent.store import owner_of
from segchat.parser.language import reply_language
from segchat.contracts.errors import SegchatError
from segchat.faces.rest import presented_key
from segchat.faces.service import SegchatService
from segchat.segmenter.images import image_digest

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_IMAGE = str(REPO / "examples" / "shapes_demo.png")
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


def build_ui(service: SegchatService) -> gr.Blocks:
    settings = service.settings
    data_dir = Path(settings.data_dir).expanduser()
    files_dir = data_dir / "ui_files"
    files_dir.mkdir(parents=True, exist_ok=True)

    def owner_for(request: gr.Request | None) -> str:
        """The browser's owner id: a hash of the API key it presented (the cookie set at /?api_key=...)."""
        if not settings.api_keys():
            return ""
        starlette_request = getattr(request, "request", None)
        return owner_of(presented_key(starlette_request)) if starlette_request is not None else "unauthenticated"
    ready = service.readiness()
    notices = []
    if settings.demo:
        notices.append("Demo model: a small SAM3 trained here on the shapes world. It knows coloured circles, squares, "
                       "triangles, stars and hexagons, nothing else. 演示模型只认识彩色的圆形、正方形、三角形、五角星和六边形。")
    if ready["llm_state"] != "reachable":
        notices.append("Offline parser: no LLM is used to read the instructions (English and Chinese). "
                       "离线解析器：未使用大语言模型。")

    def write_downloads(output: TurnOutput, smoothness: float) -> tuple[str, list[str], list[Found]]:
        instances = smoothed(output.instances, smoothness)
        folder = files_dir / output.session_id
        folder.mkdir(parents=True, exist_ok=True)
        stem = uuid.uuid4().hex[:10]
        labels = {f.id: display_label(f.label, output.result.reply_language) for f in instances}
        overlay_path = folder / f"{stem}_overlay.png"
        render_overlay(output.image, instances, labels).save(overlay_path)
        zip_path = folder / f"{stem}_masks.zip"
        zip_path.write_bytes(masks_zip(instances))
        coco_path = folder / f"{stem}_coco.json"
        coco_path.write_text(json.dumps(coco_json(instances, (output.image.height, output.image.width)),
                                        ensure_ascii=False), encoding="utf-8")
        return str(overlay_path), [str(overlay_path), str(zip_path), str(coco_path)], instances

    def respond(message: dict | None, history: list, state: dict, threshold: float, smoothness: float,
                verify: bool, request: gr.Request):
        owner = owner_for(request)
        message = message or {}
        text = (message.get("text") or "").strip()
        files = message.get("files") or []
        history = list(history or [])
        state = dict(state or {})
        image_bytes = None
        for path in files:
            # read the upload, then remove Gradio's copy: nothing stays on disk under a name the client chose
            try:
                image_bytes = Path(path).read_bytes()
            except OSError:
                image_bytes = b""
            Path(path).unlink(missing_ok=True)
        if text:
            history.append({"role": "user", "content": text})
        try:
            output = service.segment(image_bytes if files else None, text, threshold=threshold,
                                     session=state.get("session"), verify=verify, owner=owner)
        except SegchatError as exc:
            if files:
                history.insert(len(history) - (1 if text else 0), {"role": "user", "content": "📎"})
            history.append({"role": "assistant", "content": friendly_error(exc, text)})
            return gr.MultimodalTextbox(value=None), history, state, gr.skip(), gr.skip()
        except Exception:  # never a stack trace in the chat
            log.exception("chat turn failed")
            history.append({"role": "assistant", "content": friendly_error(SegchatError("internal error"), text)})
            return gr.MultimodalTextbox(value=None), history, state, gr.skip(), gr.skip()
        if files:  # show the server's own copy of the image (stored under its content digest)
            stored = service.agent.store.images_dir / f"{image_digest(output.image)}.png"
            history.insert(len(history) - (1 if text else 0), {"role": "user", "content": {"path": str(stored)}})
        state["session"] = output.session_id
        overlay_path, downloads, instances = write_downloads(output, smoothness)
        history.append({"role": "assistant", "content": {"path": overlay_path}})
        history.append({"role": "assistant", "content": output.result.explanation})
        rows = [[f.id, display_label(f.label, output.result.reply_language), round(f.score, 3), f.area]
                for f in instances]
        return gr.MultimodalTextbox(value=None), history, state, rows, downloads

    def restore(state: dict, request: gr.Request):
        """Rebuild the chat of the browser's session from the store (a reload or a server restart loses nothing)."""
        owner = owner_for(request)
        session_id = (state or {}).get("session")
        if not session_id:
            return [], [], None
        try:
            turns = service.history(session_id, owner)
        except SegchatError:
            return [], [], None
        history: list[dict] = []
        rows: list[list] = []
        shown_image = None
        for turn in turns:
            result = turn["result"]
            if turn["image_key"] and turn["image_key"] != shown_image:
                history.append({"role": "user", "content": {"path": str(service.agent.store.images_dir /
                                                                        f"{turn['image_key']}.png")}})
                shown_image = turn["image_key"]
            history.append({"role": "user", "content": turn["instruction"]})
            instances = instances_from_result(result)
            if instances and turn["image_key"]:
                image = service.agent.store.load_image(turn["image_key"])
                folder = files_dir / session_id
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / f"restored_{turn['index']}.png"
                labels = {f.id: display_label(f.label, result["reply_language"]) for f in instances}
                render_overlay(image, instances, labels).save(path)
                history.append({"role": "assistant", "content": {"path": str(path)}})
            history.append({"role": "assistant", "content": result["explanation"]})
            rows = [[f.id, display_label(f.label, result["reply_language"]), f.score, f.area] for f in instances]
        return history, rows, None

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
                threshold = gr.Slider(0.0, 1.0, value=service.default_threshold(), step=0.01, label="Detection threshold")
                smoothness = gr.Slider(0.0, 5.0, value=0.0, step=0.5, label="Mask smoothness (edge refinement)")
                verify = gr.Checkbox(value=False, label="Verify with the VL model",
                                     interactive=ready["llm_state"] == "reachable")
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
