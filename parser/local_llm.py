"""The in-process LLM backend: a Qwen-VL model loaded with transformers in this process (`--llm local:DIR`), for a
user with one GPU and no model server. Replies are decoded under their JSON schema with xgrammar, so even a bad model
can only write JSON the schema admits (plans under `decoding.decoding_schema`, which only admits valid plans).
Prompts, repair, the circuit breaker and the offline fallback are `LlmParser`'s, as for the server backend.

Why xgrammar (pinned 0.2.8): it is the grammar engine inside vLLM, SGLang and TensorRT-LLM, compiles a JSON schema
(with $defs, anyOf, enums and length bounds) once into a token mask, ships a transformers LogitsProcessor, runs its
mask on the CPU, and installs against torch 2.14.1 / transformers 5.23.0 without pulling another torch.
The model loads lazily, on the first call that needs it (so that `segchat serve` starts at once, and a model that
can't load costs a fallback, not a crashed start); `warm_up()` loads it on purpose.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from segchat.parser.base import ParserBackend, ParserState, ParserStatus
from segchat.parser.breaker import CircuitBreaker
from segchat.parser.chat import BackendUnavailable, Message
from segchat.parser.decoding import BudgetCloser, closing_token_ids, decoding_schema
from segchat.parser.llm_parser import LlmParser
from segchat.parser.messages import text_part

log = logging.getLogger(__name__)


class LocalModelUnavailable(BackendUnavailable):
    """The model folder or id could not be loaded (missing, not a Qwen-VL model, out of memory...)."""


class InProcessModel:
    """A `ChatBackend` over a Qwen-VL model in this process, loaded on first use, decoding under xgrammar."""

    kind = ParserBackend.LOCAL

    def __init__(self, model: str, *, device: str | None = None, max_new_tokens: int = 768,
                 load_now: bool = False) -> None:
        self.model_path = model
        self.device = device
        self.max_new_tokens = max_new_tokens  # the most any reply may take, whatever the caller asks
        self._lock = threading.Lock()
        self._loaded: tuple[Any, Any, Any] | None = None  # (model, processor, grammar compiler)
        self._grammars: dict[str, Any] = {}  # by the schema's JSON text
        self._closing_ids: list[int] | None = None
        self._load_error: str | None = None
        if load_now:
            self.warm_up()

    # ------------------------------------------------------------------ loading
    def warm_up(self) -> bool:
        """Loads the model now; False (and the reason in `status()`) when it can't."""
        try:
            self._model()
            return True
        except LocalModelUnavailable:
            return False

    def _model(self) -> tuple[Any, Any, Any]:
        with self._lock:
            if self._loaded is not None:
                return self._loaded
            if self._load_error is not None:
                raise LocalModelUnavailable(f"the local model could not be loaded: {self._load_error}")
            try:
                self._loaded = self._load()
            except Exception as exc:  # noqa: BLE001 - any load failure means: answer offline, and say why
                self._load_error = f"{type(exc).__name__}: {str(exc)[:200]}"
                log.warning("the local model %s could not be loaded (%s): the offline parser answers",
                            self.model_path, self._load_error)
                raise LocalModelUnavailable(f"the local model could not be loaded: {self._load_error}") from exc
            return self._loaded

    def _load(self) -> tuple[Any, Any, Any]:
        import torch
        import xgrammar
        from transformers import AutoModelForImageTextToText, AutoProcessor

        device = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
        dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
        processor = AutoProcessor.from_pretrained(self.model_path)
        model = AutoModelForImageTextToText.from_pretrained(self.model_path, dtype=dtype).to(device).eval()
        vocab_size = getattr(model.config.get_text_config(), "vocab_size", None)
        tokenizer_info = xgrammar.TokenizerInfo.from_huggingface(processor.tokenizer, vocab_size=vocab_size)
        self.device = device
        return model, processor, xgrammar.GrammarCompiler(tokenizer_info)

    def _grammar(self, schema: dict) -> Any:
        _, _, compiler = self._model()
        key = json.dumps(schema)  # keys in their order: the decoder writes the properties in that order
        with self._lock:
            if key not in self._grammars:
                # no free whitespace: a model may not pad its answer with thousands of spaces
                self._grammars[key] = compiler.compile_json_schema(key, any_whitespace=False, separators=(",", ":"))
            return self._grammars[key]

    # ------------------------------------------------------------------ decoding
    def complete(self, messages: list[Message], schema: dict | None, *, name: str, max_tokens: int) -> str:
        """The model's reply to `messages`; under `schema` when one is given (None: free decoding). `name` is
        the OpenAI-style name of the schema: the grammar is the schema itself, so it is not needed here."""
        import torch
        import xgrammar.contrib.hf

        model, processor, _ = self._model()
        inputs = processor.apply_chat_template(qwen_messages(messages), add_generation_prompt=True, tokenize=True,
                                               return_dict=True, return_tensors="pt").to(model.device)
        budget = min(max_tokens, self.max_new_tokens)
        processors: list[Any] = []
        if schema:
            if self._closing_ids is None:
                self._closing_ids = closing_token_ids(processor.tokenizer)
            processors = [xgrammar.contrib.hf.LogitsProcessor(self._grammar(schema)),
                          BudgetCloser(self._closing_ids, inputs["input_ids"].shape[1], budget // 2)]
        with torch.inference_mode():
            output = model.generate(**inputs, max_new_tokens=budget, do_sample=False, logits_processor=processors)
        new_tokens = output[0, inputs["input_ids"].shape[1]:]
        return processor.tokenizer.decode(new_tokens, skip_special_tokens=True)

    def status(self) -> ParserStatus:
        if self._loaded is not None:
            state, detail = ParserState.READY, f"loaded on {self.device}"
        elif self._load_error is not None:
            state, detail = ParserState.UNAVAILABLE, f"{self._load_error}; the offline parser answers"
        else:
            state, detail = ParserState.NOT_LOADED, "loads on the first request"
        return ParserStatus(backend=self.kind, location=self.model_path, state=state, detail=detail)


def qwen_messages(messages: list[Message]) -> list[dict]:
    """`messages` as Qwen-VL's processor takes them: every content a list of parts (text, or the picture itself)."""
    return [{"role": m["role"], "content": [text_part(m["content"])] if isinstance(m["content"], str)
             else list(m["content"])} for m in messages]


def local_parser(model: str, *, device: str | None = None, max_new_tokens: int = 768, load_now: bool = False,
                 breaker: CircuitBreaker | None = None) -> LlmParser:
    """The LLM parser over a Qwen-VL model in this process; plans decoded under the bounded `decoding_schema`."""
    chat = InProcessModel(model, device=device, max_new_tokens=max_new_tokens, load_now=load_now)
    return LlmParser(chat, plan_schema=decoding_schema(), breaker=breaker)
