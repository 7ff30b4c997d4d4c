"""The Gradio chat: drop an image, ask in any language, get masks and an explanation, keep talking.

This module lays the page out and wires its events; what each event does lives in `turns`, `restore` and `video`.
"""

from __future__ import annotations

import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from segchat.agent import Agent
from segchat.agent.serving.jobs import JobRunner
from segchat.contracts.resources import demo_image_path
from segchat.contracts.results import TrackerKind
from segchat.contracts.settings import Settings
from segchat.ui import restore as restoring
from segchat.ui import turns
from segchat.ui.context import UiContext, bind
from segchat.ui.event_values import EventValues
from segchat.ui.files import UiFiles, read_uploads, serve_in_place
from segchat.ui.messages import CSS, DEMO_NOTICE
from segchat.ui.video import track_video

# CSS: the server passes it to Gradio; read_uploads: tests import it from here
__all__ = ["CSS", "build_ui", "read_uploads"]

# Gradio's upload cache (uploads, and the examples' picture, which it keeps): private uploads are read at once by
# the turn they came with, so an hour is plenty; swept every ten minutes
UPLOAD_MAX_AGE_S = 3600
UPLOAD_SWEEP_S = 600
# how many events Gradio's queue lets pass between two rebuilds of its monitoring summary (sic: Gradio's spelling)
MONITORING_SUMMARY_EVERY = "ANAYLTICS_CACHE_FREQUENCY"


def examples() -> list[dict]:
    image = str(demo_image_path())
    return [{"text": text, "files": [image]} for text in
            ("把最左边的红色圆形抠出来", "all the green shapes", "the biggest blue square", "所有黄色的图形，五角星除外")]


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


def no_monitoring_summary(demo: gr.Blocks) -> None:
    """Gradio's queue rebuilds a pandas summary of its last 10,000 events after every event, for a monitoring page
    this server does not serve (mounted with `enable_monitoring=False`): ~6 ms of CPU after each chat turn with a
    hundred events behind it, and more as they pile up. It is computed once every `sys.maxsize` events instead; the
    attribute is checked, so that a Gradio that renames it fails the tests rather than bringing the cost back."""
    queue = demo._queue
    if not hasattr(queue, MONITORING_SUMMARY_EVERY):
        raise RuntimeError(f"Gradio's queue has no {MONITORING_SUMMARY_EVERY}: see no_monitoring_summary")
    setattr(queue, MONITORING_SUMMARY_EVERY, sys.maxsize)


@dataclass
class ChatWidgets:
    chatbot: gr.Chatbot
    box: gr.MultimodalTextbox
    threshold: gr.Slider
    smoothness: gr.Slider
    verify: gr.Checkbox
    table: gr.Dataframe
    selected: gr.Markdown
    more: gr.Button
    fewer: gr.Button
    picker: gr.Image
    box_note: gr.Markdown
    clear_box: gr.Button
    downloads: gr.File
    prepare: gr.Button
    downloads_note: gr.Markdown
    concepts_panel: gr.Accordion
    concepts: gr.Dataframe
    forget_name: gr.Textbox
    forget: gr.Button
    concept_note: gr.Markdown
    clear: gr.Button


@dataclass
class VideoWidgets:
    video: gr.Video
    text: gr.Textbox
    tracker: gr.Radio
    track: gr.Button
    status: gr.Markdown
    progress: gr.Slider
    output: gr.Video
    files: gr.File


def chat_column() -> tuple[gr.Chatbot, gr.MultimodalTextbox]:
    chatbot = gr.Chatbot(label="segchat", height=560, elem_id="chat", buttons=["copy"])
    box = gr.MultimodalTextbox(placeholder="Attach an image and say what to segment / 上传图片并说出要分割的物体",
                               file_types=["image"], sources=["upload"], show_label=False, elem_id="prompt")
    gr.Examples(examples=examples(), inputs=[box], label="Examples / 示例")
    return chatbot, box


def concepts_panel() -> tuple[gr.Accordion, gr.Dataframe, gr.Textbox, gr.Button, gr.Markdown]:
    with gr.Accordion("Concepts / 记住的概念", open=False) as panel:
        concepts = gr.Dataframe(headers=["name", "phrase"], interactive=False, elem_id="concepts")
        with gr.Row():
            name = gr.Textbox(show_label=False, placeholder="name to forget / 要删除的名字", elem_id="forget-name")
            forget = gr.Button("Forget / 删除", size="sm", elem_id="forget")
        note = gr.Markdown("", elem_id="concept-note")
    return panel, concepts, name, forget, note


def chat_tab(agent: Agent) -> ChatWidgets:
    with gr.Row():
        with gr.Column(scale=3):
            chatbot, box = chat_column()
        with gr.Column(scale=1):
            threshold = gr.Slider(0.0, 1.0, value=agent.threshold, step=0.01, label="Detection threshold")
            smoothness = gr.Slider(0.0, 5.0, value=0.0, step=0.5, label="Mask smoothness (edge refinement)")
            verify = gr.Checkbox(value=False, label="Verify with the VL model", interactive=agent.parser.can_verify)
            table = gr.Dataframe(headers=["#", "label", "score", "area"], label="Instances (click a row)",
                                 interactive=False, elem_id="instances")
            selected = gr.Markdown("", elem_id="selected")
            with gr.Row():
                more = gr.Button("More like this / 找相似的", elem_id="more-like", size="sm")
                fewer = gr.Button("Not like this / 不要这种", elem_id="not-like", size="sm")
            picker = gr.Image(label="Example box: click two corners / 点两个对角画样例框", interactive=False,
                              type="filepath", elem_id="picker", height=220)
            box_note = gr.Markdown("", elem_id="box-note")
            clear_box = gr.Button("Clear the box / 清除样例框", size="sm")
            downloads = gr.File(label="Downloads: the overlay; prepare the masks ZIP, COCO JSON, cut-outs ZIP and "
                                      "layered PSD / 下载", file_count="multiple", interactive=False,
                                elem_id="downloads")
            prepare = gr.Button("Prepare downloads / 准备下载文件", size="sm", elem_id="prepare-downloads")
            downloads_note = gr.Markdown("", elem_id="downloads-note")
            panel, concepts, forget_name, forget, concept_note = concepts_panel()
            clear = gr.Button("New conversation / 新对话")
    return ChatWidgets(chatbot, box, threshold, smoothness, verify, table, selected, more, fewer, picker, box_note,
                       clear_box, downloads, prepare, downloads_note, panel, concepts, forget_name, forget,
                       concept_note, clear)


def video_tab() -> VideoWidgets:
    gr.Markdown("Upload a video and say what to track: ids stay the same for the whole video. "
                "上传视频并说出要跟踪的物体。")
    with gr.Row():
        with gr.Column(scale=2):
            video = gr.Video(label="Video / 视频", sources=["upload"], elem_id="video-input")
            text = gr.Textbox(label="What to track / 要跟踪什么", elem_id="video-instruction",
                              placeholder="all the red shapes / 把所有红色的图形都找出来")
            tracker = gr.Radio([kind.value for kind in TrackerKind], value=TrackerKind.AUTO.value, label="Tracker")
            track = gr.Button("Track / 跟踪", elem_id="track", variant="primary")
        with gr.Column(scale=2):
            status = gr.Markdown("", elem_id="video-status")
            progress = gr.Slider(0, 100, value=0, label="Frames done (%) / 进度", interactive=False,
                                 elem_id="video-progress")
            output = gr.Video(label="Overlay / 结果", interactive=False, elem_id="video-output")
            files = gr.File(label="Downloads: result JSON, overlay MP4", file_count="multiple", interactive=False,
                            elem_id="video-downloads")
    return VideoWidgets(video, text, tracker, track, status, progress, output, files)


def wire_chat(ctx: UiContext, chat: ChatWidgets, state: gr.BrowserState) -> None:
    """The chat's events; private: programs use REST or MCP (one definition of the tool), not the page's events."""
    private = {"api_visibility": "private"}
    # no concept list among a turn's outputs: it is read when its panel opens (each output costs every turn)
    outputs = [chat.box, chat.chatbot, state, chat.table, chat.downloads, chat.picker, chat.box_note]
    settings = [chat.threshold, chat.smoothness, chat.verify]
    # a turn's values converted in its own thread (see event_values), not one thread hop per component
    in_one_thread = {"preprocess": False, "postprocess": False, **private}
    typed = EventValues([chat.box, chat.chatbot, state, *settings], outputs)  # a message from the box
    asked = EventValues([chat.chatbot, state, *settings], outputs)  # "more like / not like" the row clicked
    chat.box.submit(typed.event(bind(turns.respond, ctx)), typed.inputs, outputs, **in_one_thread)
    chat.more.click(asked.event(bind(turns.more_like, ctx)), asked.inputs, outputs, **in_one_thread)
    chat.fewer.click(asked.event(bind(turns.not_like, ctx)), asked.inputs, outputs, **in_one_thread)
    chat.table.select(turns.select_row, [state], [state, chat.selected], **private)
    chat.picker.select(turns.pick_corner, [state], [state, chat.box_note], **private)
    chat.clear_box.click(turns.clear_box, [state], [state, chat.box_note], **private)
    chat.prepare.click(bind(turns.prepare_downloads, ctx), [state, chat.smoothness],
                       [chat.downloads, chat.downloads_note], **private)
    chat.concepts_panel.expand(bind(restoring.list_concepts, ctx), [state], [chat.concepts, chat.concept_note],
                               **private)
    chat.forget.click(bind(restoring.forget, ctx), [chat.forget_name, state],
                      [chat.concepts, chat.forget_name, chat.concept_note], **private)
    chat.clear.click(turns.new_conversation, None,
                     [chat.chatbot, state, chat.table, chat.downloads, chat.picker, chat.box_note], **private)


def wire_page(ctx: UiContext, demo: gr.Blocks, chat: ChatWidgets, video: VideoWidgets, state: gr.BrowserState,
              notice: gr.Markdown) -> None:
    """The Video tab's event, and what every page load does: the parser's banner as it is now, the conversation."""
    private = {"api_visibility": "private"}
    video.track.click(bind(track_video, ctx), [video.video, video.text, video.tracker],
                      [video.status, video.progress, video.output, video.files], **private)
    demo.load(bind(restoring.banner, ctx), None, [notice], **private)
    demo.load(bind(restoring.restore, ctx), [state], [chat.chatbot, chat.table, chat.downloads, chat.picker,
                                                      chat.concepts, state, chat.concept_note], **private)


def build_ui(agent: Agent, settings: Settings, jobs: JobRunner | None = None) -> gr.Blocks:
    data_dir = Path(settings.data_dir).expanduser()
    files = UiFiles(data_dir / "ui_files", agent.store.image_png)
    ctx = UiContext(agent=agent, files=files, jobs=jobs, keys=settings.api_keys())
    serve_in_place(files.root)
    with gr.Blocks(title="segchat", delete_cache=(UPLOAD_SWEEP_S, UPLOAD_MAX_AGE_S)) as demo:
        gr.Markdown("## segchat: say what to segment, in your own words\n"
                    "Drop an image, then ask: *“all cars except the red one”*, *“把左边那只狗抠出来”*, "
                    "*“now only the bigger one”*.")
        if settings.demo:
            gr.Markdown(DEMO_NOTICE, elem_classes=["notice"])
        notice = gr.Markdown("", visible=False, elem_classes=["notice"], elem_id="parser-notice")
        state = gr.BrowserState({"session": None}, storage_key="segchat_session",
                                secret=browser_state_secret(data_dir))
        with gr.Tab("Chat / 对话", elem_id="chat-tab"):
            chat = chat_tab(agent)
        with gr.Tab("Video / 视频", elem_id="video-tab"):
            video = video_tab()
        wire_chat(ctx, chat, state)
        wire_page(ctx, demo, chat, video, state, notice)
    # several browsers at once: the agent queues and batches their SAM3 calls itself
    demo.queue(max_size=settings.queue_size, default_concurrency_limit=settings.concurrency)
    no_monitoring_summary(demo)
    demo.segchat_files_dir = files.root  # for serve.py's allowed_paths
    files.sweep_now_and_then()  # at start, then now and then on page loads
    return demo
