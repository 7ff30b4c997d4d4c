"""The REST API (FastAPI): /v1/segment, sessions, /v1/detect, health, the OpenAI tool schema. Thin over the service."""

from __future__ import annotations

import contextvars
import hmac
import logging
from typing import Annotated, Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from segchat.agent.store import owner_of
from segchat.contracts.errors import BadRequestError, PayloadTooLargeError, SegchatError, UnauthorizedError
from segchat.contracts.results import AgentResult, SegmentationResult
from segchat.faces.service import SegchatService
from segchat.contracts.tool import openai_tool, parameters_model, tool_description

log = logging.getLogger(__name__)

SegmentRequest = parameters_model()


class MessageRequest(BaseModel):
    model_config = {"extra": "forbid"}
    image: str = Field("", description="Optional new image (base64 or data URL); omit to keep the session's image.")
    instruction: str = Field(min_length=1, max_length=10_000, description="The next instruction of the conversation.")
    threshold: float | None = Field(None, ge=0.0, le=1.0)
    verify: bool = False


class DetectRequest(BaseModel):
    model_config = {"extra": "forbid"}
    image: str = Field(description="The image: base64 or a data URL.")
    phrases: list[Annotated[str, Field(min_length=1, max_length=80)]] = Field(min_length=1, max_length=32,
                                                                             description="English noun phrases.")
    threshold: float | None = Field(None, ge=0.0, le=1.0)


class SessionCreated(BaseModel):
    session: str


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


ERRORS = {status: {"model": ErrorResponse} for status in (400, 401, 404, 413, 422, 429, 503)}


def error_response(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status)


def presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("x-api-key") or request.cookies.get("segchat_key") or request.query_params.get("api_key")


# the caller's owner id (a hash of its API key) for code that runs inside the request but sees no Request (MCP tools)
CURRENT_OWNER: contextvars.ContextVar[str | None] = contextvars.ContextVar("segchat_owner", default=None)


def key_matches(presented: str | None, keys: list[str]) -> bool:
    """Whether `presented` is one of `keys`, comparing in constant time (every key is compared)."""
    if presented is None:
        return False
    found = False
    for key in keys:
        found |= hmac.compare_digest(presented.encode(), key.encode())
    return found


class BodyLimit:
    """ASGI middleware: 413 for a request body over `limit` bytes, declared or streamed."""

    def __init__(self, app, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            response = error_response(413, PayloadTooLargeError.code, f"the request body is larger than {self.limit} bytes")
            return await response(scope, receive, send)
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise PayloadTooLargeError(f"the request body is larger than {self.limit} bytes")
            return message

        try:
            await self.app(scope, limited_receive, send)
        except PayloadTooLargeError as exc:
            await error_response(413, exc.code, exc.message)(scope, receive, send)


def create_app(service: SegchatService) -> FastAPI:
    settings = service.settings
    app = FastAPI(title="segchat", version="0.1.0", description=tool_description(),
                  docs_url="/docs", redoc_url=None)

    @app.middleware("http")
    async def require_key(request: Request, call_next):
        keys = settings.api_keys()
        if keys:
            key = presented_key(request)
            if not key_matches(key, keys):
                return error_response(401, UnauthorizedError.code,
                                      "an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key'")
            request.state.owner = owner_of(key)
            token = CURRENT_OWNER.set(request.state.owner)
            try:
                response = await call_next(request)
            finally:
                CURRENT_OWNER.reset(token)
            if request.query_params.get("api_key") and not request.cookies.get("segchat_key"):
                response.set_cookie("segchat_key", key, httponly=True, samesite="strict")
            return response
        request.state.owner = ""
        return await call_next(request)

    @app.exception_handler(SegchatError)
    async def on_segchat_error(request: Request, exc: SegchatError):
        response = error_response(exc.http_status, exc.code, exc.message)
        if exc.http_status in (429, 503):
            response.headers["Retry-After"] = "1"
        return response

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return error_response(400, "bad_json", "the request body is not valid JSON")
        details = [{"field": ".".join(str(p) for p in e.get("loc", ())[1:]), "problem": e.get("msg", "")}
                   for e in errors][:20]
        return error_response(422, "validation_error", "; ".join(f"{d['field']}: {d['problem']}" for d in details)
                              or "invalid request", details=details)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "something went wrong on our side; the error was logged")

    def owner(request: Request) -> str:
        return getattr(request.state, "owner", "")

    async def turn(request: Request, image: str | bytes | None, instruction: str, threshold: float | None,
                   session: str | None, verify: bool) -> dict:
        output = await run_in_threadpool(service.segment, image, instruction, threshold=threshold, session=session,
                                         verify=verify, owner=owner(request))
        return output.result.model_dump()

    multipart_schema = {"type": "object", "required": ["image", "instruction"], "properties": {
        "image": {"type": "string", "format": "binary", "description": "the image file"},
        "instruction": {"type": "string"}, "threshold": {"type": "number", "minimum": 0, "maximum": 1},
        "session": {"type": "string"}, "verify": {"type": "boolean"}}}

    @app.post("/v1/segment", response_model=AgentResult, responses=ERRORS, tags=["segment"],
              summary="segment_image: an instruction in any language -> masks, boxes, explanation",
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/json": {"schema": SegmentRequest.model_json_schema()},
                  "multipart/form-data": {"schema": multipart_schema}}}})
    async def segment(request: Request):
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("multipart/form-data"):
            form = await request.form(max_files=1, max_fields=10)
            upload = form.get("image")
            if upload is None or isinstance(upload, str):
                raise BadRequestError("multipart requests need an 'image' file field", code="missing_image")
            data = await upload.read()
            try:
                fields = SegmentRequest.model_validate({
                    "instruction": form.get("instruction") or "", "threshold": form.get("threshold") or None,
                    "session": form.get("session") or None,
                    "verify": str(form.get("verify", "false")).lower() in ("1", "true", "yes", "on")})
            except ValidationError as exc:
                raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None
            return await turn(request, data or b"", fields.instruction, fields.threshold, fields.session, fields.verify)
        try:
            body = await request.json()
        except Exception:
            return error_response(400, "bad_json", "the request body is not valid JSON (or use multipart/form-data)")
        try:
            fields = SegmentRequest.model_validate(body)
        except ValidationError as exc:
            raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None
        return await turn(request, fields.image or None, fields.instruction, fields.threshold, fields.session,
                          fields.verify)

    @app.post("/v1/sessions", response_model=SessionCreated, status_code=201, responses=ERRORS, tags=["sessions"])
    async def create_session(request: Request):
        return {"session": service.create_session(owner(request))}

    @app.post("/v1/sessions/{session_id}/messages", response_model=AgentResult, responses=ERRORS, tags=["sessions"])
    async def post_message(request: Request, session_id: Annotated[str, Field(max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")],
                           body: MessageRequest):
        service.history(session_id, owner(request))  # 404 for an unknown session (or another key's)
        return await turn(request, body.image or None, body.instruction, body.threshold, session_id, body.verify)

    @app.get("/v1/sessions/{session_id}", responses=ERRORS, tags=["sessions"])
    async def get_session(request: Request, session_id: Annotated[str, Field(max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]):
        return {"session": session_id, "turns": service.history(session_id, owner(request))}

    @app.post("/v1/detect", response_model=SegmentationResult, responses=ERRORS, tags=["segment"],
              summary="Raw SAM3 on English noun phrases (no parser, no agent rules)")
    async def detect(body: DetectRequest):
        return await run_in_threadpool(service.detect, body.image, body.phrases, body.threshold)

    @app.get("/v1/tools", tags=["tools"], summary="The tool in OpenAI's function-calling format")
    async def tools():
        return [openai_tool()]

    @app.get("/healthz", tags=["health"])
    async def healthz():
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    async def readyz():
        return {"status": "ready", **(await run_in_threadpool(service.readiness))}

    return app
