"""The LLM server backend: a Qwen-VL model behind any OpenAI-compatible chat endpoint (vLLM in production,
`transformers serve`, a recorded server). The schema goes as `response_format` (json_schema, strict), which vLLM
turns into constrained decoding; images go as JPEG data URLs. Prompts, repair and fallback are `LlmParser`'s.
"""

from __future__ import annotations

import base64
import io

from PIL import Image

from segchat.parser.base import ParserBackend, ParserState, ParserStatus
from segchat.parser.breaker import CircuitBreaker
from segchat.parser.chat import Message
from segchat.parser import llm_parser

MAX_IMAGE_SIDE = 1024


def image_data_url(image: Image.Image, max_side: int = MAX_IMAGE_SIDE) -> str:
    """The image as a JPEG data URL, its longer side at most `max_side` (the VL model needs no more)."""
    image = image.convert("RGB")
    if max(image.size) > max_side:
        image = image.copy()
        image.thumbnail((max_side, max_side))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def openai_messages(messages: list[Message]) -> list[dict]:
    """`messages` as the chat completions API takes them: each picture as an `image_url` data URL."""
    converted: list[dict] = []
    for message in messages:
        content = message["content"]
        if not isinstance(content, str):
            content = [{"type": "image_url", "image_url": {"url": image_data_url(part["image"])}}
                       if part["type"] == "image" else dict(part) for part in content]
        converted.append({"role": message["role"], "content": content})
    return converted


class OpenAIServer:
    """A `ChatBackend` over an OpenAI-compatible endpoint; every call fails fast (no retries: the parser repairs
    and falls back itself)."""

    kind = ParserBackend.LLM

    def __init__(self, base_url: str, model: str, *, api_key: str = "EMPTY", timeout_s: float = 30.0) -> None:
        from openai import OpenAI

        self.base_url = base_url
        self.model = model
        self.timeout_s = timeout_s
        self.client = OpenAI(base_url=base_url, api_key=api_key, timeout=timeout_s, max_retries=0)

    def complete(self, messages: list[Message], schema: dict | None, *, name: str, max_tokens: int) -> str:
        extra = {} if schema is None else {"response_format": {
            "type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}}
        response = self.client.chat.completions.create(model=self.model, messages=openai_messages(messages),
                                                       temperature=0.0, max_tokens=max_tokens, **extra)
        return response.choices[0].message.content or ""

    def status(self) -> ParserStatus:
        reachable = _reachable(self.base_url)
        return ParserStatus(backend=self.kind, location=self.base_url,
                            state=ParserState.READY if reachable else ParserState.UNREACHABLE,
                            detail="" if reachable else "the offline parser answers")


def server_parser(base_url: str, model: str, *, api_key: str = "EMPTY", timeout_s: float = 30.0,
                  breaker: CircuitBreaker | None = None) -> llm_parser.LlmParser:
    """The LLM parser over the OpenAI-compatible endpoint at `base_url`."""
    return llm_parser.LlmParser(OpenAIServer(base_url, model, api_key=api_key, timeout_s=timeout_s), breaker=breaker)



def _reachable(base_url: str, timeout: float = 2.0) -> bool:
    import httpx

    try:
        return httpx.get(base_url.rstrip("/") + "/models", timeout=timeout).status_code < 500
    except httpx.HTTPError:
        return False
