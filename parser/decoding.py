"""What the in-process decoder may write: the Plan schema made strict, bounded and split into the three shapes a
plan can have (`decoding_schema`), so that xgrammar's token mask admits only replies that validate as a `Plan`; and a
logits processor that closes the JSON before the token budget cuts it open (`BudgetCloser`)."""

from __future__ import annotations

import copy
from typing import Any

from segchat.contracts.plan import llm_json_schema

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
