"""The one tool definition, `segment_image`: its parameters, limits and description. REST bodies (JSON and
multipart), the MCP tool and the OpenAI function schema are all generated from `SegmentImageParameters`; the agent's
`segment_image` executes it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from segchat.contracts.results import TrackerKind

TOOL_NAME = "segment_image"
MAX_INSTRUCTION_CHARS = 2000  # the default of the instruction limit (settings: SEGCHAT_MAX_INSTRUCTION_CHARS)
MAX_EXEMPLARS = 16
SESSION_ID = Annotated[str, Field(max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]


class ExemplarBox(BaseModel):
    """A box around one object in the image, as a visual example of what to find (or, negative, to leave out)."""

    model_config = ConfigDict(extra="forbid")
    box: list[float] = Field(min_length=4, max_length=4,
                             description="[x0, y0, x1, y1] in pixels of the original image")
    positive: bool = Field(True, description="true: find more like it; false: leave its kind out")


class SegmentImageParameters(BaseModel):
    """Segment the objects an instruction asks for in an image, in any language.

    Understands positions (leftmost, the second from the left, largest, ...), counts, exclusions ("except the red
    one"), relations ("the cup on the table"), box exemplars, references to earlier results ("more like #2"),
    named concepts ("remember #2 as the blue widget", then "find the blue widget") and follow-ups on the same
    session ("now only the bigger one"). Returns instance masks as COCO RLE, xyxy pixel boxes, scores, the plan
    that was executed and a short explanation in the user's language.
    """

    model_config = ConfigDict(extra="forbid")
    image: str = Field("", description="The image: base64 bytes or a data URL (data:image/png;base64,...); an "
                                       "http(s) URL only where the server's allow-list admits it. Optional when "
                                       "`session` is given: the session's image is used.")
    instruction: str = Field(min_length=1, json_schema_extra={"maxLength": MAX_INSTRUCTION_CHARS},
                             description="What to segment, in the user's own words and language, e.g. 'the two "
                                         "largest apples', 'all cars except the red one', '把左边那只狗抠出来', "
                                         "or a follow-up such as 'now only the left one'.")
    threshold: float | None = Field(None, ge=0.0, le=1.0,
                                    description="Detection score threshold in [0, 1]; lower finds more (default: "
                                                "the server's; the model's calibrated threshold, else 0.3).")
    session: SESSION_ID | None = Field(None, description="Continue this conversation (an id returned by an earlier "
                                                         "call). Omit to start a new one.")
    verify: bool = Field(False, description="Ask the vision-language model to double-check relational answers "
                                            "(only when an LLM endpoint is configured).")
    # at most MAX_EXEMPLARS, said in the schema but checked by the agent, so that 17 boxes are the same clear 400
    # (too_many_exemplars) on every face rather than a validation error on some
    exemplars: list[ExemplarBox] = Field(default_factory=list, json_schema_extra={"maxItems": MAX_EXEMPLARS},
                                         description="Boxes around example objects in the image: what to find more "
                                                     "of (positive) or to leave out (negative).")


def tool_description() -> str:
    return " ".join((SegmentImageParameters.__doc__ or "").split())


def message_parameters() -> type[BaseModel]:
    """The body of `POST /v1/sessions/{id}/messages`: the tool's parameters without `session` (it is in the path)."""
    fields = {name: (info.annotation, info) for name, info in SegmentImageParameters.model_fields.items()
              if name != "session"}
    return create_model("MessageParameters", __config__=ConfigDict(extra="forbid"), **fields)


def parameters_schema(model: type[BaseModel] = SegmentImageParameters,
                      max_instruction_chars: int = MAX_INSTRUCTION_CHARS) -> dict[str, Any]:
    """The JSON schema of the parameters, with the instruction limit the server enforces (one limit: the agent
    checks it and answers `instruction_too_long` on every face)."""
    schema = model.model_json_schema()
    schema.pop("title", None)
    schema.pop("description", None)
    schema["properties"]["instruction"]["maxLength"] = max_instruction_chars
    return schema


def openai_tool(max_instruction_chars: int = MAX_INSTRUCTION_CHARS) -> dict[str, Any]:
    """The tool in OpenAI's `tools` format."""
    return {"type": "function", "function": {"name": TOOL_NAME, "description": tool_description(),
                                             "parameters": parameters_schema(max_instruction_chars=max_instruction_chars)}}


def multipart_schema() -> dict[str, Any]:
    """The multipart form of the same parameters: `image` is a file; `exemplars` is a JSON string."""
    properties: dict[str, Any] = {}
    for name, prop in parameters_schema()["properties"].items():
        if name == "image":
            properties[name] = {"type": "string", "format": "binary", "description": "the image file"}
        elif name == "exemplars":
            properties[name] = {"type": "string", "description": "JSON list of exemplar boxes (see the JSON body)"}
        else:
            properties[name] = prop
    return {"type": "object", "required": ["image", "instruction"], "properties": properties}


class TrackVideoParameters(BaseModel):
    """Track the objects an instruction asks for through a video, in any language, with ids that stay the same for
    the whole video ("track every player in red", "跟踪所有的车，除了白色的那辆"). Returns the video result JSON:
    the objects with their first and last frame, and every frame's instances as COCO RLE masks and boxes."""

    model_config = ConfigDict(extra="forbid")
    # required of MCP and JSON callers (the agent answers missing_video); a face that holds the file (a multipart
    # upload, the UI) passes it beside the parameters instead of encoding it
    video: str = Field("", description="The video: a data URL (data:video/mp4;base64,...) or base64 bytes of an "
                                       "MP4, WebM, MOV, MKV or animated GIF.")
    instruction: str = Field(min_length=1, json_schema_extra={"maxLength": MAX_INSTRUCTION_CHARS},
                             description="What to track, e.g. 'all the red cars', '跟踪左边那个人'.")
    tracker: Literal[TrackerKind.AUTO, TrackerKind.SAM3, TrackerKind.DETECT] = Field(
        TrackerKind.AUTO, description="'sam3' (SAM3's memory tracker, for checkpoints that have one), 'detect' "
                                     "(detection on every frame, associated across frames), or 'auto'.")
    threshold: float | None = Field(None, ge=0.0, le=1.0, description="Detection score threshold (default: the "
                                                                       "server's).")


TRACK_TOOL_NAME = "track_video"


def track_tool_description() -> str:
    return " ".join((TrackVideoParameters.__doc__ or "").split())
