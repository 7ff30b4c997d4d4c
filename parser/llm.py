"""The LLM server backend: a Qwen-VL model behind any OpenAI-compatible chat endpoint (vLLM in production,
`transformers serve`, a recorded server). The schema goes as `response_format` (json_schema, strict), which vLLM
turns into constrained decoding; images go as JPEG data URLs. Prompts, repair and fallback are `LlmParser`'s.
"""

from __future__ import annotations

import base64
import io
import threading

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


class FailoverServers:
    """A `ChatBackend` over several OpenAI-compatible endpoints serving one model (vLLM replicas, Ray Serve LLM
    behind several addresses): a call goes to the endpoint that answered last and, when it fails (connection,
    timeout, HTTP status), to the next one; it raises only when every endpoint failed, so the parser falls back to
    the offline parser only then. A load balancer in front of the replicas does the same with one URL."""

    kind = ParserBackend.LLM

    def __init__(self, servers: list[OpenAIServer]) -> None:
        if not servers:
            raise ValueError("no LLM server given")
        self.servers = servers
        self._current = 0
        self._lock = threading.Lock()

    def complete(self, messages: list[Message], schema: dict | None, *, name: str, max_tokens: int) -> str:
        with self._lock:
            first = self._current
        failures: list[str] = []
        for step in range(len(self.servers)):
            index = (first + step) % len(self.servers)
            try:
                reply = self.servers[index].complete(messages, schema, name=name, max_tokens=max_tokens)
            except Exception as exc:  # noqa: BLE001 - any endpoint's failure moves on to the next endpoint
                failures.append(f"{self.servers[index].base_url}: {type(exc).__name__}")
                continue
            with self._lock:
                self._current = index  # stay with the endpoint that answers
            return reply
        raise ConnectionError("every LLM server failed: " + "; ".join(failures))

    def status(self) -> ParserStatus:
        statuses = [server.status() for server in self.servers]
        ready = [s for s in statuses if s.state is ParserState.READY]
        location = ", ".join(server.base_url for server in self.servers)
        return ParserStatus(backend=self.kind, location=location,
                            state=ParserState.READY if ready else ParserState.UNREACHABLE,
                            detail=f"{len(ready)} of {len(statuses)} servers answer" if ready
                            else "the offline parser answers")


def split_urls(base_urls: str) -> list[str]:
    """'http://a/v1, http://b/v1' -> both, in order (one URL is a list of one)."""
    return [url.strip() for url in base_urls.split(",") if url.strip()]


def server_parser(base_url: str, model: str, *, api_key: str = "EMPTY", timeout_s: float = 30.0,
                  breaker: CircuitBreaker | None = None) -> llm_parser.LlmParser:
    """The LLM parser over the OpenAI-compatible endpoint at `base_url`, or over several (comma-separated: the
    replicas of one model, tried in turn)."""
    servers = [OpenAIServer(url, model, api_key=api_key, timeout_s=timeout_s) for url in split_urls(base_url)]
    backend = servers[0] if len(servers) == 1 else FailoverServers(servers)
    return llm_parser.LlmParser(backend, breaker=breaker)


def _reachable(base_url: str, timeout: float = 2.0) -> bool:
    import httpx

    try:
        return httpx.get(base_url.rstrip("/") + "/models", timeout=timeout).status_code < 500
    except httpx.HTTPError:
        return False
