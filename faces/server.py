"""The application: the Gradio chat at /, the REST API under /v1, MCP at /mcp, and serving it from one process
(`python serve.py`; `faces/launch.py` reads the flags, `faces/cluster/` serves the same app on Ray Serve)."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import sys
from typing import Any

import click

from segchat.contracts.errors import SegchatError
from segchat.contracts.settings import Settings
from segchat.segmenter.base import Segmenter


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_app(settings: Settings, *, segmenter: Segmenter | None = None):
    """The whole application and its agent; raises SegchatError (e.g. ModelLoadError) when it can't be built.
    segmenter: one already at hand (on a cluster, the remote segmenter replicas), else loaded from settings."""
    # Gradio reads its upload folder from the environment, once, when it is imported: browser uploads land under
    # the data directory too, and Gradio's cache expires them by age (delete_cache)
    os.environ.setdefault("GRADIO_TEMP_DIR", str(settings.data_dir.expanduser() / "uploads"))
    import gradio as gr
    from fastapi import FastAPI

    from segchat.agent import build_agent
    from segchat.agent.serving.jobs import JobRunner
    from segchat.faces.http import PayloadDecoder
    from segchat.faces.mcp import build_mcp
    from segchat.faces.rest import BodyLimit, create_app
    from segchat.ui.app import CSS, build_ui

    agent = build_agent(settings, segmenter=segmenter)
    agent.warm_up()
    jobs = JobRunner(agent).start()
    decoder = PayloadDecoder()  # one pool of decoding workers for REST and MCP
    mcp = build_mcp(agent, settings, decoder)
    # SSE responses (not plain JSON), so that a long tool can send progress notifications before its answer
    mcp_app = mcp.streamable_http_app(streamable_http_path="/", stateless_http=True, json_response=False,
                                      host=settings.host)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        try:
            async with mcp.session_manager.run():
                yield
        finally:
            decoder.close()

    app: FastAPI = create_app(agent, settings, jobs, decoder)
    app.router.lifespan_context = lifespan
    app.mount("/mcp", mcp_app)
    ui = build_ui(agent, settings, jobs)
    # no monitoring page: Gradio's default (None) leaves its summary of every event's timings readable by anyone
    app = gr.mount_gradio_app(app, ui, path="/", allowed_paths=[str(ui.segchat_files_dir)], footer_links=["api"],
                              css=CSS, enable_monitoring=False)
    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes * 4 // 3 + 256 * 1024,
                       video_limit=settings.max_video_bytes + 256 * 1024)
    return app, agent


def limit_malloc_arenas(arenas: int = 2) -> None:
    """glibc gives every thread that allocates its own arena; with a pool of request threads that reads as memory
    growth under load. Two arenas keep the resident size flat (no effect outside glibc)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-8, arenas)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass


def serve_one_process(settings: Settings) -> None:
    """Build the app and serve it with uvicorn in this process until it is stopped."""
    try:
        app, agent = build_app(settings)
    except SegchatError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
    import uvicorn

    url = f"http://{settings.host}:{settings.port}/"
    print_banner(url, agent.readiness(), settings)
    print(f"  sessions: {agent.store.location}", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", workers=1)


def print_banner(url: str, ready: dict[str, Any], settings: Settings) -> None:
    """Where the server answers, and what model and parser answer there."""
    print(f"segchat is running at {url}  (chat UI; REST under {url}v1, OpenAPI {url}openapi.json, MCP {url}mcp)")
    print(f"  model: {ready['model']} on {ready['device']} ({ready['dtype']}), score threshold {ready['threshold']:.2f}"
          + ("  [shapes demo]" if settings.demo else ""))
    print(f"  parser: {ready['parser']}" + (f" at {ready['llm']} - {ready['llm_state']}"
                                         + (f" ({ready['llm_detail']})" if ready["llm_detail"] else "")
                                         if ready["llm"] else ""), flush=True)
