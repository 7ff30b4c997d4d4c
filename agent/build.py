"""The composition root: the one place an agent is built from settings (CLI, server, benchmarks, examples)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from segchat.agent.core import Agent
from segchat.agent.serving.store import SessionStore
from segchat.contracts.resources import demo_model_dir
from segchat.contracts.settings import Settings
from segchat.parser import make_parser
from segchat.parser.base import InstructionParser
from segchat.segmenter.base import Segmenter
from segchat.segmenter.predictor import Sam3Segmenter

log = logging.getLogger(__name__)


def load_segmenter(settings: Settings) -> Sam3Segmenter:
    start = time.perf_counter()
    segmenter = Sam3Segmenter.from_pretrained(
        settings.model_path(), device=settings.device, dtype=settings.dtype,
        cache_bytes=settings.embedding_cache_bytes, max_image_pixels=settings.max_image_pixels,
        prompt_batch=settings.prompt_batch,
    )
    log.info("model loaded in %.1f s", time.perf_counter() - start)
    return segmenter


def build_parser(settings: Settings) -> InstructionParser:
    return make_parser(settings.llm_url, settings.llm_model, offline=settings.offline, api_key=settings.llm_api_key,
                       timeout_s=settings.llm_timeout_s)


def runs_the_demo_model(settings: Settings) -> bool:
    """Whether the checkpoint is the shapes demo model: `--demo`, or its folder named with --model."""
    if settings.demo:
        return True
    try:
        return Path(settings.model).expanduser().resolve() == demo_model_dir().resolve()
    except OSError:  # a hub id that is no path at all
        return False


def build_agent(settings: Settings, *, segmenter: Segmenter | None = None,
                parser: InstructionParser | None = None, store: SessionStore | None = None) -> Agent:
    """The agent for `settings`: its segmenter (checkpoint, device, dtype, cache), parser (LLM or offline),
    session store and limits. A caller may hand in any of the three parts it already has (a test double, a loaded
    model); the score threshold is still resolved once, in `Agent` (the setting, else the checkpoint's own)."""
    return Agent(
        segmenter if segmenter is not None else load_segmenter(settings),
        parser if parser is not None else build_parser(settings),
        store if store is not None else SessionStore(settings.data_dir, settings.database_url),
        threshold=settings.threshold, mask_threshold=settings.mask_threshold,
        max_instruction_chars=settings.max_instruction_chars, max_image_pixels=settings.max_image_pixels,
        max_upload_bytes=settings.max_upload_bytes, image_url_prefixes=settings.image_url_prefixes(),
        queue_size=settings.queue_size, concurrency=settings.concurrency, batch_wait_ms=settings.batch_wait_ms,
        max_video_frames=settings.max_video_frames, max_video_bytes=settings.max_video_bytes,
        demo=runs_the_demo_model(settings),
    )
