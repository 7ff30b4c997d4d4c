"""Request bodies to the tools' parameters, validated with the one definition (`contracts/tool.py`): JSON, parsed
and its image decoded without holding the event loop (`PayloadDecoder`), or multipart, the image an uploaded file
whose bytes go to the agent as they are; and the OpenAPI schema of both forms."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile

from segchat.agent.serving.payloads import DecodedBody
from segchat.contracts.errors import BadRequestError
from segchat.contracts.tool import multipart_schema, parameters_schema
from segchat.faces.http import PayloadDecoder

Params = TypeVar("Params", bound=BaseModel)
FORM_LIMITS = {"max_files": 1, "max_fields": 10}
TRUE_WORDS = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Arguments(Generic[Params]):
    """A tool's parameters and the image's bytes where the request carried them (an upload, or base64 decoded
    already); `image` None: `params.image` names a URL (fetched in the request's thread) or is empty (the
    session's image)."""

    params: Params
    image: bytes | None = None


def is_multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith("multipart/form-data")


def validated(model: type[Params], data: Any) -> Params:
    """`model` from a JSON value, with pydantic's errors answered as our 422 (the same shape as FastAPI's)."""
    try:
        return model.model_validate(data if isinstance(data, dict) else {"_": data})
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None


async def json_body(request: Request, decoder: PayloadDecoder, max_image_bytes: int) -> DecodedBody:
    """The JSON body, its `image` decoded when it is base64 or a data URL (in a worker process when it is big)."""
    return await decoder.json_body(await request.body(), max_image_bytes)


async def read_arguments(request: Request, model: type[Params], decoder: PayloadDecoder,
                         max_image_bytes: int) -> Arguments[Params]:
    """The tool's parameters from a JSON or a multipart body, and the image's bytes where it carried them."""
    if is_multipart(request):
        return await form_arguments(request, model)
    decoded = await json_body(request, decoder, max_image_bytes)
    return Arguments(validated(model, decoded.body), decoded.image)


async def form_arguments(request: Request, model: type[Params]) -> Arguments[Params]:
    """A multipart request: the `image` file's bytes and the tool's other parameters as form fields."""
    form = await request.form(**FORM_LIMITS)
    upload = form.get("image")
    if not isinstance(upload, UploadFile):
        raise BadRequestError("multipart requests need an 'image' file field", code="missing_image")
    fields: dict[str, Any] = {"instruction": form.get("instruction") or "",
                              "threshold": form.get("threshold") or None,
                              "verify": str(form.get("verify", "false")).lower() in TRUE_WORDS}
    if "session" in model.model_fields:
        fields["session"] = form.get("session") or None
    if form.get("exemplars"):
        fields["exemplars"] = form_exemplars(str(form.get("exemplars")))
    return Arguments(validated(model, fields), await upload.read())


def form_exemplars(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise BadRequestError("the 'exemplars' field must be a JSON list of {\"box\": [...], \"positive\": ...}",
                              code="bad_exemplar") from None


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with its `$defs` put in place of their `$ref`s: FastAPI copies a route's extra body schema into the
    OpenAPI document as it is, where a '#/$defs/...' pointer would point at nothing."""
    definitions = schema.get("$defs", {})
    return _resolved({k: v for k, v in schema.items() if k != "$defs"}, definitions)


def _resolved(node: Any, definitions: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_resolved(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref", "")
    if ref.startswith("#/$defs/"):
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        return {**_resolved(definitions[ref.removeprefix("#/$defs/")], definitions), **siblings}
    return {key: _resolved(value, definitions) for key, value in node.items()}


def tool_body(model: type[BaseModel], max_instruction_chars: int) -> dict[str, Any]:
    """`openapi_extra` of a route that takes the image tool's parameters as JSON or multipart."""
    multipart = multipart_schema()
    if "session" not in model.model_fields:
        multipart["properties"].pop("session", None)
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": inline_refs(parameters_schema(model, max_instruction_chars))},
        "multipart/form-data": {"schema": multipart}}}}


def json_only_body(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` of a route that reads `model` as JSON itself (off the event loop) instead of as a
    parameter FastAPI would parse on it."""
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": inline_refs(model.model_json_schema())}}}}
