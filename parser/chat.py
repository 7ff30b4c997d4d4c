"""The one small interface every LLM backend implements (`ChatBackend`), and the messages it is given.

As smolagents' models do, a backend only turns chat messages (and a JSON schema) into text: the OpenAI-compatible
server (`parser/llm.py`) and the in-process Qwen-VL (`parser/local_llm.py`). Prompts, repair, the circuit breaker
and the offline fallback live once, in `LlmParser` (`parser/llm_parser.py`), whichever backend answers.
"""

from __future__ import annotations

from typing import Literal, Protocol, TypedDict, runtime_checkable

from PIL import Image

from segchat.parser.base import ParserBackend, ParserStatus


class TextPart(TypedDict):
    type: Literal["text"]
    text: str


class ImagePart(TypedDict):
    """A picture as pixels: each backend encodes it the way it needs (a data URL, the processor's tensors)."""

    type: Literal["image"]
    image: Image.Image


Role = Literal["system", "user", "assistant"]


class Message(TypedDict):
    role: Role
    content: str | list[TextPart | ImagePart]


class BackendUnavailable(RuntimeError):
    """The backend cannot answer at all (a model that could not load); the message says why, for the user."""


@runtime_checkable
class ChatBackend(Protocol):
    """Chat messages in, the model's text out."""

    kind: ParserBackend  # what `ParserStatus.backend` and `InstructionParser.backend` report

    def complete(self, messages: list[Message], schema: dict | None, *, name: str, max_tokens: int) -> str:
        """The model's reply to `messages`, decoded under the JSON `schema` (named `name`) where the backend can
        constrain decoding (None: free text), in at most `max_tokens` tokens. Raises on any failure (timeout,
        connection, HTTP status, `BackendUnavailable`); the caller falls back."""
        ...

    def status(self) -> ParserStatus:
        """Where the model is and whether it answers now (never raises, never loads a model)."""
        ...
