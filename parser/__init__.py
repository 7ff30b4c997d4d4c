"""Instruction -> Plan behind one interface (`InstructionParser`): the offline parser, or the LLM parser
(`LlmParser`) over one of two chat backends, an OpenAI-compatible endpoint or a Qwen-VL model in this process
(`local:MODEL_ID_OR_DIR`)."""

from __future__ import annotations

from segchat.parser.base import InstructionParser, ParseOutcome, ParserStatus
from segchat.parser.offline import OfflineParser, generalize_offline, parse_offline

LOCAL_PREFIX = "local:"


def make_parser(llm_url: str | None, llm_model: str, *, offline: bool = False, api_key: str = "EMPTY",
                timeout_s: float = 30.0) -> InstructionParser:
    """The offline parser when `offline` is set or no URL is configured; the in-process model for
    `local:MODEL_ID_OR_DIR` (loaded on the first request); else the LLM behind the OpenAI-compatible URL."""
    if offline or not llm_url:
        return OfflineParser()
    if llm_url.startswith(LOCAL_PREFIX):
        from segchat.parser.local_llm import local_parser

        return local_parser(llm_url[len(LOCAL_PREFIX):].strip() or llm_model)
    from segchat.parser.llm import server_parser

    return server_parser(llm_url, llm_model, api_key=api_key, timeout_s=timeout_s)


__all__ = ["InstructionParser", "LOCAL_PREFIX", "OfflineParser", "ParseOutcome", "ParserStatus", "generalize_offline",
           "make_parser", "parse_offline"]
