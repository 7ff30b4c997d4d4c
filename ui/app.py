"""The Gradio chat: drop an image, ask in any language, get masks and an explanation, keep talking."""

from __future__ import annotations

import logging
import os
import time
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


DOWNLOADS = ("overlay", "masks", "coco", "cutouts", "psd")
MORE_LIKE = {"en": "more like #{n}", "zh": "找出和{n}号一样的"}
NOT_LIKE = {"en": "not like #{n}", "zh": "不要像{n}号那样的"}


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


def build_ui(agent: Agent, settings: Settings, jobs=None) -> gr.Blocks:
    data_dir = Path(settings.data_dir).expanduser()
    files_dir = data_dir / "ui_files"
    files_dir.mkdir(parents=True, exist_ok=True)
    keys = settings.api_keys()
    ready = agent.readiness()
    notices = []
    if settings.demo:
        notices.append("Demo model: a small SAM3 trained here on the shapes world. It knows coloured circles, squares, "
                       "triangles, stars and hexagons, nothing else. 演示模型只认识彩色的圆形、正方形、三角形、五角星和六边形。")
    if not ready["uses_llm"]:
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
        from segchat.agent.outputs.export import png_bytes

        return save_file(turn.session_id, "image.png", png_bytes(turn.image))

    def downloads_of(turn: Turn, smoothness: float) -> list[str]:
        return [save_file(turn.session_id, f.name, f.data)
                for f in (turn.export(kind, smoothness) for kind in DOWNLOADS)]

    def rows_of(turn: Turn) -> list[list]:
        return [[f.id, display_label(f.label, turn.result.reply_language), round(f.score, 3), f.area]
                for f in turn.instances]

    def concept_rows(request: gr.Request | None) -> list[list]:
        try:
            return [[c["name"], c["phrase"]] for c in agent.concept_list(owner_for(request))]
        except SegchatError:
            return []

    def run_turn(text: str, files: list[str], history: list, state: dict, threshold: float, smoothness: float,
                 verify: bool, request: gr.Request):
        """One turn from the page: the chat, the instances table, the downloads, the box picker, the concepts."""
        history = list(history or [])
        state = dict(state or {})
        box = state.pop("box", None)
        state.pop("corners", None)
        if text:
            history.append({"role": "user", "content": text + (f"  ▭ {box}" if box else "")})

        def fail(exc: SegchatError):
            if files:
                history.insert(len(history) - (1 if text else 0), {"role": "user", "content": "📎"})
            history.append({"role": "assistant", "content": friendly_error(exc, text)})
            return (gr.MultimodalTextbox(value=None), history, state, gr.skip(), gr.skip(), gr.skip(), "",
                    gr.skip())

        try:
            owner = owner_for(request)
            image_bytes = read_uploads(files)
            turn = agent.turn(text, agent.image_bytes(image_bytes) if image_bytes is not None else None,
                              state.get("session"), owner=owner, threshold=threshold, verify=verify,
                              exemplars=[{"box": box, "positive": True}] if box else None)
        except SegchatError as exc:
            return fail(exc)
        except Exception:  # noqa: BLE001 - never a stack trace in the chat
            log.exception("chat turn failed")
            return fail(SegchatError("internal error"))
        shown = image_file(turn)
        if files:  # show the server's own copy of the image
            history.insert(len(history) - (1 if text else 0), {"role": "user", "content": {"path": shown}})
        state.update(session=turn.session_id, language=turn.result.reply_language)
        downloads = downloads_of(turn, smoothness)
        history.append({"role": "assistant", "content": {"path": downloads[0]}})
        history.append({"role": "assistant", "content": turn.result.explanation})
        return (gr.MultimodalTextbox(value=None), history, state, rows_of(turn), downloads, shown, "",
                concept_rows(request))

    def respond(message: dict | None, history: list, state: dict, threshold: float, smoothness: float,
                verify: bool, request: gr.Request):
        message = message or {}
        return run_turn((message.get("text") or "").strip(), message.get("files") or [], history, state, threshold,
                        smoothness, verify, request)

    def like_selected(positive: bool):
        def ask(history: list, state: dict, threshold: float, smoothness: float, verify: bool, request: gr.Request):
            state = dict(state or {})
            chosen = state.get("selected")
            language = state.get("language", "en")
            if not chosen:
                note = "先在实例表里点一行。" if language == "zh" else "Click a row of the instances table first."
                return (gr.skip(), list(history or []) + [{"role": "assistant", "content": note}], state, gr.skip(),
                        gr.skip(), gr.skip(), "", gr.skip())
            text = (MORE_LIKE if positive else NOT_LIKE)[language].format(n=chosen)
            return run_turn(text, [], history, state, threshold, smoothness, verify, request)
        return ask

    def select_row(state: dict, event: gr.SelectData):
        state = dict(state or {})
        row = event.index[0] if isinstance(event.index, (list, tuple)) else event.index
        values = event.row_value or []
        state["selected"] = int(values[0]) if values else None
        note = f"#{state['selected']} selected: ask for more like it, or not like it." if state["selected"] else ""
        return state, note if row is not None else ""

    def pick_corner(state: dict, event: gr.SelectData):
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

    def clear_box(state: dict):
        state = dict(state or {})
        state.pop("box", None)
        state.pop("corners", None)
        return state, ""

    def forget(name: str, request: gr.Request):
        try:
            agent.forget_concept(name, owner_for(request))
        except SegchatError:
            pass
        return concept_rows(request), ""

    def restore(state: dict, request: gr.Request):
        """Rebuild the chat of the browser's session from the store (a reload or a server restart loses nothing)."""
        session_id = (state or {}).get("session")
        if not session_id:
            return [], [], None, None, concept_rows(request)
        try:
            turns = agent.replay(session_id, owner_for(request))
        except SegchatError:
            return [], [], None, None, []
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
        return history, rows_of(turns[-1]) if turns else [], None, image_file(turns[-1]) if turns else None, \
            concept_rows(request)

    def track_video(path: str | None, text: str, tracker: str, request: gr.Request):
        """Submit a video job and follow it: progress while it runs, then the overlay video and the downloads."""
        language = reply_language(text or "")
        if jobs is None:
            yield "This server runs no video jobs.", 0, None, None
            return
        try:
            if not path:
                raise ImageReadError("attach a video first" if language == "en" else "请先上传视频")
            owner = owner_for(request)
            source = Path(path)
            try:
                job = jobs.submit(source, source.suffix.lower() or ".mp4", text or "", owner=owner, tracker=tracker)
            finally:
                source.unlink(missing_ok=True)  # the job keeps its own copy, under its own name
        except SegchatError as exc:
            yield f"⚠️ {friendly_error(exc, text)}", 0, None, None
            return
        while job.state in ("queued", "running"):
            done, total = job.frames_done, job.frames_total
            share = 100.0 * done / total if total else 0.0
            yield (f"{job.state}: {done} / {total or '?'} frames" if language == "en" else
                   f"{'排队中' if job.state == 'queued' else '跟踪中'}：{done} / {total or '?'} 帧"), share, gr.skip(), gr.skip()
            time.sleep(0.5)
            job = jobs.get(job.id, owner)
        if job.state != "done":
            yield f"⚠️ {job.state}: {job.error or ''}", 0, None, None
            return
        result = jobs.result(job.id, owner)
        folder = session_folder(f"video-{job.id}")
        overlay = folder / "overlay.mp4"
        overlay.write_bytes(jobs.file(job.id, "overlay.mp4", owner).read_bytes())
        data = folder / "result.json"
        data.write_text(result.model_dump_json(), encoding="utf-8")
        yield result.explanation, 100.0, str(overlay), [str(data), str(overlay)]

    def new_conversation():
        return [], {"session": None}, [], None, None, ""

    with gr.Blocks(title="segchat") as demo:
        gr.Markdown("## segchat: say what to segment, in your own words\n"
                    "Drop an image, then ask: *“all cars except the red one”*, *“把左边那只狗抠出来”*, "
                    "*“now only the bigger one”*.")
        for notice in notices:
            gr.Markdown(notice, elem_classes=["notice"])
        state = gr.BrowserState({"session": None}, storage_key="segchat_session",
                                secret=browser_state_secret(data_dir))
        with gr.Tab("Chat / 对话", elem_id="chat-tab"):
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
                    table = gr.Dataframe(headers=["#", "label", "score", "area"], label="Instances (click a row)",
                                         interactive=False, elem_id="instances")
                    selected = gr.Markdown("", elem_id="selected")
                    with gr.Row():
                        more = gr.Button("More like this / 找相似的", elem_id="more-like", size="sm")
                        fewer = gr.Button("Not like this / 不要这种", elem_id="not-like", size="sm")
                    picker = gr.Image(label="Example box: click two corners / 点两个对角画样例框", interactive=False,
                                      type="filepath", elem_id="picker", height=220)
                    box_note = gr.Markdown("", elem_id="box-note")
                    clear_box_button = gr.Button("Clear the box / 清除样例框", size="sm")
                    downloads = gr.File(label="Downloads: overlay PNG, masks ZIP, COCO JSON, cut-outs ZIP, layered PSD",
                                        file_count="multiple", interactive=False, elem_id="downloads")
                    with gr.Accordion("Concepts / 记住的概念", open=False):
                        concepts = gr.Dataframe(headers=["name", "phrase"], interactive=False, elem_id="concepts")
                        with gr.Row():
                            forget_name = gr.Textbox(show_label=False, placeholder="name to forget / 要删除的名字",
                                                     elem_id="forget-name")
                            forget_button = gr.Button("Forget / 删除", size="sm", elem_id="forget")
                    clear = gr.Button("New conversation / 新对话")
        with gr.Tab("Video / 视频", elem_id="video-tab"):
            gr.Markdown("Upload a video and say what to track: ids stay the same for the whole video. "
                        "上传视频并说出要跟踪的物体。")
            with gr.Row():
                with gr.Column(scale=2):
                    video_in = gr.Video(label="Video / 视频", sources=["upload"], elem_id="video-input")
                    video_text = gr.Textbox(label="What to track / 要跟踪什么", elem_id="video-instruction",
                                            placeholder="all the red shapes / 把所有红色的图形都找出来")
                    tracker_choice = gr.Radio(["auto", "detect", "sam3"], value="auto", label="Tracker")
                    track_button = gr.Button("Track / 跟踪", elem_id="track", variant="primary")
                with gr.Column(scale=2):
                    video_status = gr.Markdown("", elem_id="video-status")
                    video_progress = gr.Slider(0, 100, value=0, label="Frames done (%) / 进度", interactive=False,
                                               elem_id="video-progress")
                    video_out = gr.Video(label="Overlay / 结果", interactive=False, elem_id="video-output")
                    video_files = gr.File(label="Downloads: result JSON, overlay MP4", file_count="multiple",
                                          interactive=False, elem_id="video-downloads")
        # the UI's own events are not an API: programs use REST or MCP (one definition of the tool)
        turn_outputs = [box, chatbot, state, table, downloads, picker, box_note, concepts]
        box.submit(respond, [box, chatbot, state, threshold, smoothness, verify], turn_outputs,
                   api_visibility="private")
        more.click(like_selected(True), [chatbot, state, threshold, smoothness, verify], turn_outputs,
                   api_visibility="private")
        fewer.click(like_selected(False), [chatbot, state, threshold, smoothness, verify], turn_outputs,
                    api_visibility="private")
        table.select(select_row, [state], [state, selected], api_visibility="private")
        picker.select(pick_corner, [state], [state, box_note], api_visibility="private")
        clear_box_button.click(clear_box, [state], [state, box_note], api_visibility="private")
        forget_button.click(forget, [forget_name], [concepts, forget_name], api_visibility="private")
        track_button.click(track_video, [video_in, video_text, tracker_choice],
                           [video_status, video_progress, video_out, video_files], api_visibility="private")
        clear.click(new_conversation, None, [chatbot, state, table, downloads, picker, box_note],
                    api_visibility="private")
        demo.load(restore, [state], [chatbot, table, downloads, picker, concepts], api_visibility="private")
    demo.queue(max_size=settings.queue_size, default_concurrency_limit=1)
    demo.segchat_files_dir = files_dir  # for serve.py's allowed_paths
    return demo
