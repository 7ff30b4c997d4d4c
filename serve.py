"""One command, one process: the Gradio chat at /, the REST API under /v1, MCP at /mcp.

    python serve.py --demo --offline            # the shapes demo model, no LLM: runs on any CPU
    python serve.py --model facebook/sam3 --llm-url http://127.0.0.1:8000/v1
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import logging
import sys

from segchat.contracts.errors import ModelLoadError, SegchatError
from segchat.contracts.settings import Settings

log = logging.getLogger("segchat.serve")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_args(argv: list[str] | None = None) -> Settings:
    parser = argparse.ArgumentParser(description="segchat server: chat UI, REST API and MCP on one port")
    parser.add_argument("--host", help="bind address (default 127.0.0.1; anything else needs SEGCHAT_API_KEY)")
    parser.add_argument("--port", type=int, help="port (default 7860)")
    parser.add_argument("--model", help="SAM3 checkpoint: Hugging Face id or local folder (default facebook/sam3)")
    parser.add_argument("--demo", action="store_true", default=None, help="use the shapes demo model")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--dtype", choices=["auto", "float32", "bfloat16"])
    parser.add_argument("--llm-url", help="OpenAI-compatible base URL of the VL model, e.g. http://127.0.0.1:8000/v1")
    parser.add_argument("--llm-model", help="model name at that endpoint")
    parser.add_argument("--offline", action="store_true", default=None, help="never call the LLM")
    parser.add_argument("--data-dir", help="where sessions are stored (default ~/.segchat)")
    parser.add_argument("--queue-size", type=int, help="requests allowed to wait (default 16)")
    args = vars(parser.parse_args(argv))
    return Settings(**{k: v for k, v in args.items() if v is not None})


def build_app(settings: Settings):
    """The whole application; raises ModelLoadError when the checkpoint can't be loaded."""
    import os

    # browser uploads land under the data directory too (and are deleted once read)
    os.environ.setdefault("GRADIO_TEMP_DIR", str(settings.data_dir.expanduser() / "uploads"))
    import gradio as gr
    from fastapi import FastAPI

    from segchat.agent.core import SegchatAgent
    from segchat.agent.store import SessionStore
    from segchat.parser import make_parser, parse_offline
    from segchat.faces.mcp import build_mcp
    from segchat.faces.rest import BodyLimit, create_app
    from segchat.faces.service import SegchatService
    from segchat.segmenter.predictor import Sam3Segmenter
    from segchat.ui.app import build_ui

    segmenter = Sam3Segmenter.from_pretrained(settings.model_path(), device=settings.device, dtype=settings.dtype,
                                              cache_bytes=settings.embedding_cache_bytes,
                                              max_image_pixels=settings.max_image_pixels)
    instruction_parser = make_parser(settings.llm_url, settings.llm_model, offline=settings.offline,
                                     api_key=settings.llm_api_key, timeout_s=settings.llm_timeout_s)
    agent = SegchatAgent(segmenter, instruction_parser, SessionStore(settings.data_dir), threshold=settings.threshold,
                         mask_threshold=settings.mask_threshold, max_instruction_chars=settings.max_instruction_chars,
                         max_image_pixels=settings.max_image_pixels)
    # load the dictionaries and inflect (plural nouns) now, not on the first request
    parse_offline("把左边的红色圆形抠出来 and the sleeping kittens")
    service = SegchatService(settings, agent)
    mcp = build_mcp(service)
    mcp_app = mcp.streamable_http_app(streamable_http_path="/", stateless_http=True, json_response=True,
                                      host=settings.host)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        async with mcp.session_manager.run():
            yield

    app: FastAPI = create_app(service)
    app.router.lifespan_context = lifespan
    app.mount("/mcp", mcp_app)
    ui = build_ui(service)
    app = gr.mount_gradio_app(app, ui, path="/", allowed_paths=[str(ui.segchat_files_dir),
                                                                  str(agent.store.images_dir)],
                              footer_links=["api"], css=".notice {background:#fff7e0; padding:6px 10px}")
    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes * 4 // 3 + 256 * 1024)
    app.state.service = service
    return app, service


def limit_malloc_arenas(arenas: int = 2) -> None:
    """glibc gives every thread that allocates its own arena; with a pool of request threads that reads as memory
    growth under load. Two arenas keep the resident size flat (no effect outside glibc)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-8, arenas)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass


def main(argv: list[str] | None = None) -> None:
    limit_malloc_arenas()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = parse_args(argv)
    except Exception as exc:  # pydantic ValidationError on a bad SEGCHAT_* value
        print(f"error: bad setting: {exc}", file=sys.stderr)
        sys.exit(2)
    if not is_loopback(settings.host) and not settings.api_key:
        print(f"error: binding to {settings.host} exposes the server beyond this machine; set SEGCHAT_API_KEY "
              "first (clients then send 'Authorization: Bearer <key>')", file=sys.stderr)
        sys.exit(2)
    try:
        app, service = build_app(settings)
    except ModelLoadError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        sys.exit(2)
    except SegchatError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        sys.exit(2)
    import uvicorn

    ready = service.readiness()
    url = f"http://{settings.host}:{settings.port}/"
    print(f"segchat is running at {url}  (chat UI; REST under {url}v1, OpenAPI {url}openapi.json, MCP {url}mcp)")
    print(f"  model: {ready['model']} on {ready['device']} ({ready['dtype']}), score threshold {ready['threshold']:.2f}"
          + ("  [shapes demo]" if settings.demo else ""))
    print(f"  parser: {'LLM at ' + ready['llm'] + ' - ' + ready['llm_state'] if ready['llm'] else 'offline (no LLM)'}")
    print(f"  sessions: {service.agent.store.path}", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", workers=1)


if __name__ == "__main__":
    main()
