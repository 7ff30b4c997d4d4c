"""The chat messages and reply schemas of the LLM parser, built once for every backend: a plan request (system prompt,
few-shot examples, image, conversation summary, instruction), its repair, a more general phrase, and a check of
numbered marks. Images stay `PIL` pictures here; each backend encodes them its own way."""

from __future__ import annotations

import json
from dataclasses import dataclass

from PIL import Image

from segchat import prompts
from segchat.parser.chat import ImagePart, Message, TextPart

REPLY_KEPT_FOR_REPAIR = 4000  # characters of a bad reply shown back to the model: enough to see what went wrong
ERROR_KEPT_FOR_REPAIR = 500


@dataclass(frozen=True)
class Ask:
    """One kind of question to the LLM: the name of its reply schema and its token budget."""

    name: str
    max_tokens: int


PLAN = Ask("segmentation_plan", 800)
GENERAL = Ask("general_phrase", 120)
VERIFY = Ask("verification", 300)

# bounded as well as typed: a model that loops (or a random one) reaches the end of a field, not of its budget
GENERAL_SCHEMA = {"type": "object", "properties": {"phrase": {"type": "string", "minLength": 1, "maxLength": 80}},
                  "required": ["phrase"], "additionalProperties": False}
VERIFY_SCHEMA = {"type": "object", "properties": {"matching": {"type": "array", "items": {
                     "type": "integer", "minimum": 1, "maximum": 10000}, "maxItems": 64}},
                 "required": ["matching"], "additionalProperties": False}


def text_part(text: str) -> TextPart:
    return {"type": "text", "text": text}


def image_part(image: Image.Image) -> ImagePart:
    return {"type": "image", "image": image.convert("RGB")}


def plan_messages(text: str, image: Image.Image | None, history: str | None) -> list[Message]:
    """The request for a plan of `text`: the system prompt, the few-shot examples, then the image (if any) and the
    instruction with a summary of the conversation so far."""
    messages: list[Message] = [{"role": "system", "content": prompts.load("system.md")}]
    for example in prompts.examples():
        messages.append({"role": "user", "content": f"Instruction: {example['user']}"})
        messages.append({"role": "assistant", "content": json.dumps(example["plan"], ensure_ascii=False)})
    content: list[TextPart | ImagePart] = [image_part(image)] if image is not None else []
    summary = f"Conversation so far: {history}\n" if history else "Conversation so far: none (a new request).\n"
    content.append(text_part(summary + "Instruction: " + json.dumps(text, ensure_ascii=False)))
    messages.append({"role": "user", "content": content})
    return messages


def repair_messages(messages: list[Message], reply: str, error: str) -> list[Message]:
    """`messages` followed by the invalid `reply` and the validation error, asking for the corrected plan."""
    return messages + [{"role": "assistant", "content": reply[:REPLY_KEPT_FOR_REPAIR]},
                       {"role": "user",
                        "content": prompts.load("repair.md").format(error=error[:ERROR_KEPT_FOR_REPAIR])}]


def generalize_messages(phrase: str, image: Image.Image | None) -> list[Message]:
    content: list[TextPart | ImagePart] = [image_part(image)] if image is not None else []
    content.append(text_part(prompts.load("generalize.md").format(phrase=phrase)))
    return [{"role": "user", "content": content}]


def verify_messages(picture: Image.Image, question: str) -> list[Message]:
    return [{"role": "user", "content": [image_part(picture), text_part(question)]}]


def reply_field(reply: str, key: str) -> object:
    """`key` of the JSON object in `reply`; ValueError when the reply is not such an object."""
    data = json.loads(reply)
    if not isinstance(data, dict) or key not in data:
        raise ValueError(f"the reply is not a JSON object with {key!r}")
    return data[key]
