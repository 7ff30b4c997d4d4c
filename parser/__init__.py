"""Instruction -> Plan: an LLM parser (OpenAI-compatible endpoint) and an offline parser sharing one interface."""

from __future__ import annotations

from segchat.parser.llm import LlmParser, OfflineParser, ParseOutcome
from segchat.parser.offline import parse_offline
from segchat.contracts.plan import Plan, Relation, Select, Target


def make_parser(llm_url: str | None, llm_model: str, *, offline: bool = False, api_key: str = "EMPTY",
                timeout_s: float = 30.0) -> LlmParser | OfflineParser:
    """The LLM parser when a URL is configured and `offline` is not set, else the offline parser."""
    if offline or not llm_url:
        return OfflineParser()
    return LlmParser(llm_url, llm_model, api_key=api_key, timeout_s=timeout_s)


__all__ = ["LlmParser", "OfflineParser", "ParseOutcome", "Plan", "Relation", "Select", "Target", "make_parser",
           "parse_offline"]
