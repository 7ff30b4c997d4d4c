"""The in-process LLM parser: a Qwen-VL model loaded with transformers in this process (`--llm local:DIR`), for a
user with one GPU and no model server. The plan is decoded under the Plan JSON schema with xgrammar, so even a bad
model can only write a plan that validates; a model that can't load or fails falls back to the offline parser and
says why, exactly like the server backend (`parser/llm.py`).

Why xgrammar (pinned 0.2.8): it is the grammar engine inside vLLM, SGLang and TensorRT-LLM, compiles a JSON schema
(with $defs, anyOf, enums and length bounds) once into a token mask, ships a transformers LogitsProcessor, runs its
mask on the CPU, and installs against torch 2.14.1 / transformers 5.23.0 without pulling another torch.
The model loads lazily, on the first call that needs it (so that `segchat serve` starts at once, and a model that
can't load costs a fallback, not a crashed start); `warm_up()` loads it on purpose.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
from typing import Any

from PIL import Image
from pydantic import ValidationError

from segchat import prompts
from segchat.contracts.plan import llm_json_schema
from segchat.parser.base import ParseOutcome, ParserBackend, ParserState, ParserStatus, plan_from_reply
from segchat.parser.offline import generalize_offline, parse_offline_with_notes

log = logging.getLogger(__name__)

VERIFY_SCHEMA = {"type": "object", "properties": {"matching": {"type": "array", "items": {"type": "integer",
                 "minimum": 1, "maximum": 10000}, "maxItems": 64}}, "required": ["matching"], "additionalProperties": False}
GENERAL_SCHEMA = {"type": "object", "properties": {"phrase": {"type": "string", "minLength": 1, "maxLength": 80}},
                  "required": ["phrase"], "additionalProperties": False}


ENGLISH_WORD_CHARS = r"[a-z0-9 '\-]"  # SAM3 reads lowercase English only
# the decoder's bounds, tighter than the Plan's: real plans are far inside them, and a model that rambles (a random
# one, or a real one that loops) reaches the end of a field long before max_new_tokens cuts the JSON open
DECODER_BOUNDS = {"phrase_chars": 40, "targets": 4, "alternates": 2, "exclude": 3, "exemplars": 4, "clarify_chars": 160,
                  "name_chars": 40}


def _strict(schema: Any) -> Any:
    """Every object's properties required and closed (what OpenAI calls strict mode): the decoder writes each
    field, and nothing else."""
    if isinstance(schema, dict):
        schema = {key: _strict(value) for key, value in schema.items()
                  if key not in ("default", "title", "description")}
        if schema.get("type") == "object" and "properties" in schema:
            schema["required"] = list(schema["properties"])
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    return schema


def _english(max_chars: int, allow_empty: bool = False) -> dict:
    # the length lives in the pattern: xgrammar follows a pattern and does not combine it with maxLength
    low = 0 if allow_empty else 1
    return {"type": "string", "maxLength": max_chars,
            "pattern": f"^{ENGLISH_WORD_CHARS}{{{low},{max_chars}}}$"}


def decoding_schema() -> dict:
    """The Plan schema as the decoder sees it: strict, bounded (`DECODER_BOUNDS`), phrases in lowercase English,
    and one of three shapes a plan can have (targets; a clarify question; a concept to remember), so that decoding
    can't end on a plan the agent would refuse ('{}'). Every reply it allows validates as a `Plan`."""
    base = _strict(llm_json_schema())
    definitions = base.pop("$defs", {})
    bounds = DECODER_BOUNDS
    target = definitions["Target"]["properties"]
    target["phrase"] = _english(bounds["phrase_chars"], allow_empty=True)
    target["alternates"] = {"type": "array", "items": _english(bounds["phrase_chars"]), "maxItems": bounds["alternates"]}
    target["exclude"] = {"type": "array", "items": _english(bounds["phrase_chars"]), "maxItems": bounds["exclude"]}
    target["exemplars"] = {**target["exemplars"], "maxItems": bounds["exemplars"]}
    definitions["Relation"]["properties"]["anchor"] = {**_english(bounds["phrase_chars"]), "minLength": 1}
    definitions["RememberConcept"]["properties"]["name"] = {"type": "string", "minLength": 1,
                                                            "maxLength": bounds["name_chars"]}
    properties = base["properties"]
    targets = {**properties["targets"], "maxItems": bounds["targets"]}
    with_targets = copy.deepcopy(base)
    with_targets["properties"]["targets"] = {**targets, "minItems": 1}
    with_targets["properties"]["clarify"] = {"type": "null"}
    with_clarify = copy.deepcopy(base)
    with_clarify["properties"]["targets"] = {**targets, "maxItems": 0}
    with_clarify["properties"]["clarify"] = {"type": "string", "minLength": 1, "maxLength": bounds["clarify_chars"]}
    with_clarify["properties"]["remember"] = {"type": "null"}
    with_remember = copy.deepcopy(base)
    with_remember["properties"]["targets"] = {**targets, "maxItems": 0}
    with_remember["properties"]["clarify"] = {"type": "null"}
    with_remember["properties"]["remember"] = {"$ref": "#/$defs/RememberConcept"}
    return {"$defs": definitions, "anyOf": [with_targets, with_clarify, with_remember]}


def closing_token_ids(tokenizer: Any) -> list[int]:
    """Tokens that only close JSON (`"`, `]`, `}` and their merges such as `"]}`; not `,`, which goes on)."""
    ids = []
    for token_id in range(len(tokenizer)):
        text = tokenizer.decode([token_id])
        if text and text.strip() and set(text.strip()) <= set('"]}'):
            ids.append(token_id)
    return ids


class BudgetCloser:
    """A logits processor for the second half of the token budget: it favours the tokens that close the JSON, so
    that a model which rambles (a random one, or a real one in a loop) ends its plan before `max_new_tokens` cuts
    it open. It runs after the grammar's mask, so it only chooses among tokens the schema allows; a real model
    that answers in a few dozen tokens never reaches it."""

    def __init__(self, closing_ids: list[int], prompt_length: int, soft_limit: int, bias: float = 50.0) -> None:
        self.closing_ids = closing_ids
        self.prompt_length = prompt_length
        self.soft_limit = soft_limit
        self.bias = bias

    def __call__(self, input_ids, scores):
        generated = input_ids.shape[1] - self.prompt_length
        if generated >= self.soft_limit and self.closing_ids:
            scores[:, self.closing_ids] += self.bias * (1 + (generated - self.soft_limit) / max(1, self.soft_limit))
        return scores


class LocalModelUnavailable(RuntimeError):
    """The model folder or id could not be loaded (missing, not a Qwen-VL model, out of memory...)."""


class LocalLlmParser:
    """Instruction -> Plan with a Qwen-VL model in this process, decoded under the plan schema; the offline parser
    answers when the model can't load or fails."""

    backend = "local"
    can_verify = True

    def __init__(self, model: str, *, device: str | None = None, max_new_tokens: int = 768,
                 load_now: bool = False) -> None:
        self.model_path = model
        self.device = device
        self.max_new_tokens = max_new_tokens
        self._lock = threading.Lock()
        self._loaded: tuple[Any, Any, Any] | None = None  # (model, processor, grammar compiler)
        self._grammars: dict[str, Any] = {}
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
                raise LocalModelUnavailable(self._load_error)
            try:
                self._loaded = self._load()
            except Exception as exc:  # noqa: BLE001 - any load failure means: answer offline, and say why
                self._load_error = f"{type(exc).__name__}: {str(exc)[:200]}"
                log.warning("the local model %s could not be loaded (%s): the offline parser answers",
                            self.model_path, self._load_error)
                raise LocalModelUnavailable(self._load_error) from exc
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

    def _grammar(self, name: str, schema: dict) -> Any:
        _, _, compiler = self._model()
        with self._lock:
            if name not in self._grammars:
                # no free whitespace: a model may not pad its answer with thousands of spaces
                self._grammars[name] = compiler.compile_json_schema(json.dumps(schema), any_whitespace=False,
                                                                    separators=(",", ":"))
            return self._grammars[name]

    # ------------------------------------------------------------------ decoding
    def messages(self, text: str, image: Image.Image | None, history: str | None) -> list[dict]:
        messages: list[dict] = [{"role": "system", "content": [{"type": "text", "text": prompts.load("system.md")}]}]
        for example in prompts.examples():
            messages.append({"role": "user", "content": [{"type": "text", "text": f"Instruction: {example['user']}"}]})
            messages.append({"role": "assistant",
                             "content": [{"type": "text", "text": json.dumps(example["plan"], ensure_ascii=False)}]})
        content: list[dict] = []
        if image is not None:
            content.append({"type": "image", "image": image.convert("RGB")})
        summary = f"Conversation so far: {history}\n" if history else "Conversation so far: none (a new request).\n"
        content.append({"type": "text", "text": summary + "Instruction: " + json.dumps(text, ensure_ascii=False)})
        messages.append({"role": "user", "content": content})
        return messages

    def generate(self, messages: list[dict], schema_name: str | None, schema: dict | None,
                 max_new_tokens: int | None = None) -> str:
        """The model's reply to `messages`; under `schema` when one is given (None: free decoding)."""
        import torch
        import xgrammar.contrib.hf

        model, processor, _ = self._model()
        inputs = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=True,
                                               return_dict=True, return_tensors="pt").to(model.device)
        budget = max_new_tokens or self.max_new_tokens
        processors: list[Any] = []
        if schema:
            if self._closing_ids is None:
                self._closing_ids = closing_token_ids(processor.tokenizer)
            processors = [xgrammar.contrib.hf.LogitsProcessor(self._grammar(schema_name, schema)),
                          BudgetCloser(self._closing_ids, inputs["input_ids"].shape[1], budget // 2)]
        with torch.inference_mode():
            output = model.generate(**inputs, max_new_tokens=budget, do_sample=False, logits_processor=processors)
        new_tokens = output[0, inputs["input_ids"].shape[1]:]
        return processor.tokenizer.decode(new_tokens, skip_special_tokens=True)

    def parse(self, text: str, image: Image.Image | None = None, history: str | None = None) -> ParseOutcome:
        start = time.perf_counter()
        try:
            reply = self.generate(self.messages(text, image, history), "plan", decoding_schema())
        except LocalModelUnavailable as exc:
            return self._fallback(text, f"LLM unavailable (the local model could not be loaded: {exc})", start)
        except Exception as exc:  # noqa: BLE001 - a failed generation must never fail the turn
            log.warning("local generation failed (%s: %s): using the offline parser", type(exc).__name__,
                        str(exc)[:200])
            return self._fallback(text, f"LLM unavailable ({type(exc).__name__})", start)
        try:
            plan = plan_from_reply(reply)
        except (ValueError, ValidationError) as exc:
            # the grammar makes this rare: only a reply cut by max_new_tokens gets here
            log.warning("local reply was not a valid plan (%s): using the offline parser", str(exc)[:120])
            return self._fallback(text, "the LLM reply was not a valid plan", start)
        return ParseOutcome(plan=plan, llm_ms=(time.perf_counter() - start) * 1000)

    def generalize(self, phrase: str, image: Image.Image | None = None) -> str | None:
        content: list[dict] = [{"type": "image", "image": image.convert("RGB")}] if image is not None else []
        content.append({"type": "text", "text": prompts.load("generalize.md").format(phrase=phrase)})
        try:
            reply = self.generate([{"role": "user", "content": content}], "general", GENERAL_SCHEMA, 120)
            general = json.loads(reply)["phrase"]
        except Exception as exc:  # noqa: BLE001 - a failed call must never fail the turn
            log.warning("asking the local model for a more general phrase failed (%s)", type(exc).__name__)
            return generalize_offline(phrase)
        general = " ".join(str(general).lower().split())[:80]
        return general or None

    def verify_marks(self, picture: Image.Image, question: str) -> list[int] | None:
        messages = [{"role": "user", "content": [{"type": "image", "image": picture.convert("RGB")},
                                                 {"type": "text", "text": question}]}]
        try:
            return [int(n) for n in json.loads(self.generate(messages, "verify", VERIFY_SCHEMA, 300))["matching"]]
        except Exception as exc:  # noqa: BLE001 - a failed check must never fail the turn
            log.warning("local verification failed (%s): keeping every candidate", type(exc).__name__)
            return None

    def status(self) -> ParserStatus:
        if self._loaded is not None:
            state, detail = ParserState.READY, f"loaded on {self.device}"
        elif self._load_error is not None:
            state, detail = ParserState.UNAVAILABLE, f"{self._load_error}; the offline parser answers"
        else:
            state, detail = ParserState.NOT_LOADED, "loads on the first request"
        return ParserStatus(backend=ParserBackend.LOCAL, location=self.model_path, state=state, detail=detail)

    @staticmethod
    def _fallback(text: str, reason: str, start: float) -> ParseOutcome:
        plan, notes = parse_offline_with_notes(text)
        return ParseOutcome(plan=plan, fallback_reason=reason, llm_ms=(time.perf_counter() - start) * 1000,
                            notes=notes)
