"""The Video tab: a video job through the job runner (REST's queue, limits and store), followed until it ends."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from segchat.agent.serving.jobs import Job, JobRunner
from segchat.agent.serving.store import JobState
from segchat.contracts.errors import BadRequestError, SegchatError
from segchat.ui.context import UiContext
from segchat.ui.files import link_or_copy
from segchat.ui.messages import Language, browser_language, friendly_error, language_of, say

# status, progress (%), overlay video, downloads
VideoUpdate = tuple[str, float, Any, Any]
ACTIVE_STATES = (JobState.QUEUED, JobState.RUNNING)
POLL_S = 0.5


def state_of(job: Job) -> JobState:
    return JobState(job.state)


def submit(jobs: JobRunner, path: str | None, text: str, tracker: str, owner: str) -> Job:
    """The job for the attached video; missing_video when nothing is attached (said as such, not as an image
    that could not be read). The upload stays where Gradio put it, as an image's does: the same video may be
    tracked again with another instruction, and Gradio's cache expires it."""
    if not path:
        raise BadRequestError("attach a video first", code="missing_video")
    source = Path(path)
    return jobs.submit(source, source.suffix.lower() or ".mp4", text or "", owner=owner, tracker=tracker,
                       keep_source=True)


def progress_line(job: Job, language: Language) -> VideoUpdate:
    done, total = job.frames_done, job.frames_total
    share = 100.0 * done / total if total else 0.0
    queued = state_of(job) is JobState.QUEUED
    line = say(language, f"{state_of(job).value}: {done} / {total or '?'} frames",
               f"{'排队中' if queued else '跟踪中'}：{done} / {total or '?'} 帧")
    return line, share, gr.skip(), gr.skip()


def finished(ctx: UiContext, jobs: JobRunner, job: Job, owner: str) -> VideoUpdate:
    """The overlay video and the result JSON, as files of the page (the overlay linked, not copied)."""
    result = jobs.result(job.id, owner)
    folder = ctx.files.folder(f"video-{job.id}")
    overlay = folder / "overlay.mp4"
    if not overlay.exists():
        link_or_copy(jobs.file(job.id, "overlay.mp4", owner), overlay)
    data = folder / "result.json"
    data.write_text(result.model_dump_json(), encoding="utf-8")
    return result.explanation, 100.0, str(overlay), [str(data), str(overlay)]


def track_video(ctx: UiContext, path: str | None, text: str, tracker: str,
                request: gr.Request) -> Iterator[VideoUpdate]:
    """Submit a video job and follow it: progress while it runs, then the overlay video and the downloads."""
    language = language_of(text, browser_language(request))
    if ctx.jobs is None:
        yield say(language, "This server runs no video jobs.", "这个服务器不运行视频任务。"), 0, None, None
        return
    try:
        owner = ctx.owner(request)
        job = submit(ctx.jobs, path, text, tracker, owner)
    except SegchatError as exc:
        yield f"⚠️ {friendly_error(exc, language)}", 0, None, None
        return
    while state_of(job) in ACTIVE_STATES:
        yield progress_line(job, language)
        time.sleep(POLL_S)
        job = ctx.jobs.get(job.id, owner)
    if state_of(job) is not JobState.DONE:
        yield f"⚠️ {state_of(job).value}: {job.error or ''}", 0, None, None
        return
    yield finished(ctx, ctx.jobs, job, owner)
