"""The one tool definition: `segment_image`. REST, MCP and the OpenAI function schema are all generated from it."""

from __future__ import annotations

import inspect
from typing import Annotated, Any, Callable

from pydantic import BaseModel, Field, create_model

TOOL_NAME = "segment_image"


def segment_image(
    image: Annotated[str, Field(description="The image: base64 bytes or a data URL (data:image/png;base64,...); an "
                                            "http(s) URL only where the server's allow-list admits it. Optional "
                                            "when `session` is given: the session's image is used.")] = "",
    *,
    instruction: Annotated[str, Field(min_length=1, max_length=10_000,
                                      description="What to segment, in the user's own words and language, e.g. "
                                                  "'the two largest apples', 'all cars except the red one', "
                                                  "'把左边那只狗抠出来', or a follow-up such as 'now only the left one'.")],
    threshold: Annotated[float | None, Field(ge=0.0, le=1.0,
                                             description="Detection score threshold in [0, 1]; lower finds more "
                                                         "(default: the server's; the model's calibrated threshold, else 0.3).")] = None,
    session: Annotated[str | None, Field(max_length=64, pattern=r"^[A-Za-z0-9_\-]+$",
                                         description="Continue this conversation (an id returned by an earlier "
                                                     "call). Omit to start a new one.")] = None,
    verify: Annotated[bool, Field(description="Ask the vision-language model to double-check relational answers "
                                              "(only when an LLM endpoint is configured).")] = False,
) -> dict[str, Any]:
    """Segment the objects an instruction asks for in an image, in any language.

    Understands positions (leftmost, largest, ...), counts, exclusions ("except the red one"), relations ("the cup on
    the table") and follow-ups on the same session ("now only the bigger one"). Returns instance masks as COCO RLE,
    xyxy pixel boxes, scores, the plan that was executed and a short explanation in the user's language.
    """
    raise RuntimeError("segment_image is bound to a running segchat service; see segchat.faces.service")


def tool_description(func: Callable = segment_image) -> str:
    return inspect.getdoc(func) or ""


def parameters_model(func: Callable = segment_image) -> type[BaseModel]:
    """A pydantic model of the tool's parameters (names, types, defaults and descriptions from the signature)."""
    fields: dict[str, Any] = {}
    for name, parameter in inspect.signature(func).parameters.items():
        default = ... if parameter.default is inspect.Parameter.empty else parameter.default
        fields[name] = (parameter.annotation, default)
    model = create_model("SegmentImageParameters", __config__={"extra": "forbid"}, **fields)
    model.__doc__ = tool_description(func).split("\n\n")[0]
    return model


def openai_tool() -> dict[str, Any]:
    """The tool in OpenAI's `tools` format."""
    schema = parameters_model().model_json_schema()
    schema.pop("title", None)
    return {"type": "function", "function": {"name": TOOL_NAME, "description": tool_description(),
                                             "parameters": schema}}
