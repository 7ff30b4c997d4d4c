"""The REST API (FastAPI): /v1/segment, sessions, /v1/detect, exports, health, the OpenAI tool schema.

Thin over the agent: it translates requests (JSON or multipart) into the tool's parameters and errors into
statuses, and nothing more.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import FastAPI, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from segchat.agent import Agent
from segchat.agent.results import EXPORT_KINDS
from segchat.contracts.errors import BadRequestError, PayloadTooLargeError, SegchatError
from segchat.contracts.results import AgentResult, SegmentationResult, SessionHistory
from segchat.contracts.settings import Settings
from segchat.contracts.tool import (MAX_EXEMPLARS, SESSION_ID, ExemplarBox, SegmentImageParameters,
                                    message_parameters, multipart_schema, openai_tool, parameters_schema,
                                    tool_description)
from segchat.faces.http import KEY_COOKIE, presented_key, request_owner

log = logging.getLogger(__name__)

MessageParameters = message_parameters()


class DetectRequest(BaseModel):
    model_config = {"extra": "forbid"}
    image: str = Field(description="The image: base64 or a data URL.")
    phrases: list[Annotated[str, Field(min_length=1, max_length=80)]] = Field(
        default_factory=list, max_length=32, description="English noun phrases (none when exemplars are given).")
    threshold: float | None = Field(None, ge=0.0, le=1.0)
    exemplars: list[ExemplarBox] = Field(default_factory=list, json_schema_extra={"maxItems": MAX_EXEMPLARS},
                                         description="Boxes around example objects, as in segment_image.")


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


class BodyLimit:
    """ASGI middleware: 413 for a request body over `limit` bytes, declared or streamed (`video_limit` for video
    uploads to /v1/jobs)."""

    def __init__(self, app, limit: int, video_limit: int | None = None) -> None:
        self.app = app
        self.image_limit = limit
        self.video_limit = video_limit or limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.video_limit if scope.get("path", "").startswith("/v1/jobs") else self.image_limit
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            response = error_response(413, PayloadTooLargeError.code, f"the request body is larger than {limit} bytes")
            return await response(scope, receive, send)
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise PayloadTooLargeError(f"the request body is larger than {limit} bytes")
            return message

        try:
            await self.app(scope, limited_receive, send)
        except PayloadTooLargeError as exc:
            await error_response(413, exc.code, exc.message)(scope, receive, send)


def _validated(model: type[BaseModel], data: dict[str, Any]) -> BaseModel:
    """`model` from `data`, with pydantic's errors answered as our 422 (the same shape as FastAPI's)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None


async def _form_arguments(request: Request, model: type[BaseModel]) -> tuple[bytes, BaseModel]:
    """A multipart request as (image bytes, the tool's other parameters)."""
    form = await request.form(max_files=1, max_fields=10)
    upload = form.get("image")
    if upload is None or isinstance(upload, str):
        raise BadRequestError("multipart requests need an 'image' file field", code="missing_image")
    data = await upload.read()
    fields: dict[str, Any] = {"instruction": form.get("instruction") or "",
                              "threshold": form.get("threshold") or None,
                              "verify": str(form.get("verify", "false")).lower() in ("1", "true", "yes", "on")}
    if "session" in model.model_fields:
        fields["session"] = form.get("session") or None
    if form.get("exemplars"):
        try:
            fields["exemplars"] = json.loads(str(form.get("exemplars")))
        except json.JSONDecodeError:
            raise BadRequestError("the 'exemplars' field must be a JSON list of {\"box\": [...], \"positive\": ...}",
                                  code="bad_exemplar") from None
    return data, _validated(model, fields)


class JobOptions(BaseModel):
    """What to track (a multipart video job sends these as form fields beside the `video` file)."""

    model_config = {"extra": "forbid"}
    instruction: str = Field(min_length=1)
    tracker: str = Field("auto", pattern="^(auto|sam3|detect)$")
    threshold: float | None = Field(None, ge=0.0, le=1.0)


class JobRequest(JobOptions):
    """A video job on a session's images, in the order they were sent."""

    session: SESSION_ID


VIDEO_SUFFIXES = {"video/mp4": ".mp4", "video/webm": ".webm", "video/quicktime": ".mov", "video/x-matroska": ".mkv",
                  "image/gif": ".gif", "video/x-msvideo": ".avi"}


def create_app(agent: Agent, settings: Settings, jobs=None) -> FastAPI:
    app = FastAPI(title="segchat", version="0.1.0", description=tool_description(), docs_url="/docs", redoc_url=None)
    keys = settings.api_keys()

    @app.middleware("http")
    async def require_key(request: Request, call_next):
        try:
            request.state.owner = request_owner(request, keys)
        except SegchatError as exc:
            return error_response(exc.http_status, exc.code, exc.message)
        response = await call_next(request)
        if keys and request.query_params.get("api_key") and not request.cookies.get(KEY_COOKIE):
            response.set_cookie(KEY_COOKIE, presented_key(request), httponly=True, samesite="strict")
        return response

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

    async def arguments(request: Request, model: type[BaseModel]) -> tuple[bytes | None, Any]:
        """The tool's parameters from a JSON or a multipart body, and the uploaded image bytes if any."""
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            return await _form_arguments(request, model)
        try:
            body = await request.json()
        except Exception:  # noqa: BLE001 - any unreadable body is the client's error
            raise BadRequestError("the request body is not valid JSON (or use multipart/form-data)",
                                  code="bad_json") from None
        return None, _validated(model, body if isinstance(body, dict) else {"_": body})

    async def answer(request: Request, upload: bytes | None, fields, session: str | None) -> dict:
        image = agent.image_bytes(upload if upload is not None else fields.image) \
            if (upload is not None or fields.image) else None
        turn = await run_in_threadpool(agent.turn, fields.instruction, image, session, owner=owner(request),
                                       threshold=fields.threshold, verify=fields.verify, exemplars=fields.exemplars)
        return turn.result.model_dump()

    def body_schema(model: type[BaseModel]) -> dict:
        multipart = multipart_schema()
        if "session" not in model.model_fields:
            multipart["properties"].pop("session", None)
        return {"requestBody": {"required": True, "content": {
            "application/json": {"schema": parameters_schema(model, settings.max_instruction_chars)},
            "multipart/form-data": {"schema": multipart}}}}

    @app.post("/v1/segment", response_model=AgentResult, responses=ERRORS, tags=["segment"],
              summary="segment_image: an instruction in any language -> masks, boxes, explanation",
              openapi_extra=body_schema(SegmentImageParameters))
    async def segment(request: Request):
        upload, fields = await arguments(request, SegmentImageParameters)
        return await answer(request, upload, fields, fields.session)

    @app.post("/v1/sessions", response_model=SessionCreated, status_code=201, responses=ERRORS, tags=["sessions"])
    async def create_session(request: Request):
        return {"session": agent.create_session(owner(request))}

    @app.post("/v1/sessions/{session_id}/messages", response_model=AgentResult, responses=ERRORS, tags=["sessions"],
              openapi_extra=body_schema(MessageParameters))
    async def post_message(request: Request, session_id: SESSION_ID):
        agent.history(session_id, owner(request))  # 404 for an unknown session (or another key's)
        upload, fields = await arguments(request, MessageParameters)
        return await answer(request, upload, fields, session_id)

    @app.get("/v1/sessions/{session_id}", response_model=SessionHistory, responses=ERRORS, tags=["sessions"])
    async def get_session(request: Request, session_id: SESSION_ID):
        return agent.history(session_id, owner(request))

    @app.get("/v1/sessions/{session_id}/turns/{index}/export", responses=ERRORS, tags=["sessions"],
             summary="A turn's overlay (PNG), masks (ZIP of PNGs) or COCO JSON")
    async def export(request: Request, session_id: SESSION_ID, index: int,
                     format: Annotated[str, Query(pattern="^(" + "|".join(EXPORT_KINDS) + ")$")] = "coco",
                     smoothness: Annotated[float, Query(ge=0.0, le=10.0)] = 0.0):
        file = await run_in_threadpool(agent.export, session_id, index, format, owner=owner(request),
                                       smoothness=smoothness)
        return Response(file.data, media_type=file.media_type,
                        headers={"Content-Disposition": f'attachment; filename="{file.name}"'})

    @app.get("/v1/concepts", responses=ERRORS, tags=["concepts"],
             summary="The concepts this key has remembered ('remember #2 as the blue widget')")
    async def concepts(request: Request):
        return {"concepts": agent.concept_list(owner(request))}

    @app.delete("/v1/concepts/{name}", status_code=204, responses=ERRORS, tags=["concepts"])
    async def forget_concept(request: Request, name: Annotated[str, Path(min_length=1, max_length=60)]):
        agent.forget_concept(name, owner(request))
        return Response(status_code=204)

    @app.post("/v1/detect", response_model=SegmentationResult, responses=ERRORS, tags=["segment"],
              summary="Raw SAM3 on English noun phrases and/or exemplar boxes (no parser, no agent rules)")
    async def detect(body: DetectRequest):
        detection = await run_in_threadpool(agent.detect, agent.image_bytes(body.image), body.phrases,
                                            threshold=body.threshold, exemplars=body.exemplars)
        return detection.result

    def job_answer(job_id: str, request: Request) -> dict:
        job = jobs.get(job_id, owner(request))
        answer = job.public()
        result = jobs.result(job_id, owner(request))
        if result is not None:
            answer["result"] = result.model_dump()
        return answer

    @app.post("/v1/jobs", status_code=202, responses=ERRORS, tags=["video"],
              summary="Track what an instruction asks for through a video: 202 with the job's id",
              openapi_extra={"requestBody": {"required": True, "content": {
                  "multipart/form-data": {"schema": {"type": "object", "required": ["video", "instruction"],
                                                     "properties": {"video": {"type": "string", "format": "binary"},
                                                                    "instruction": {"type": "string"},
                                                                    "tracker": {"type": "string",
                                                                                "enum": ["auto", "sam3", "detect"]},
                                                                    "threshold": {"type": "number"}}}},
                  "application/json": {"schema": JobRequest.model_json_schema()}}}})
    async def submit_job(request: Request):
        if jobs is None:
            raise BadRequestError("this server runs no video jobs", code="no_jobs")
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            form = await request.form(max_files=1, max_fields=10)
            upload = form.get("video")
            if upload is None or isinstance(upload, str):
                raise BadRequestError("multipart video jobs need a 'video' file field", code="missing_video")
            suffix = FilePath(upload.filename or "").suffix.lower() or VIDEO_SUFFIXES.get(upload.content_type or "", ".mp4")
            data = await upload.read()
            fields = _validated(JobOptions, {"instruction": form.get("instruction") or "",
                                             "tracker": form.get("tracker") or "auto",
                                             "threshold": form.get("threshold") or None})
            job = await run_in_threadpool(jobs.submit, data, suffix, fields.instruction, owner=owner(request),
                                          tracker=fields.tracker, threshold=fields.threshold)
        else:
            try:
                body = await request.json()
            except Exception:  # noqa: BLE001
                raise BadRequestError("the request body is not valid JSON (or send a multipart video)",
                                      code="bad_json") from None
            fields = _validated(JobRequest, body if isinstance(body, dict) else {"_": body})
            frames = await run_in_threadpool(agent.session_frames, fields.session, owner(request))
            job = await run_in_threadpool(jobs.submit, frames, "", fields.instruction, owner=owner(request),
                                          tracker=fields.tracker, threshold=fields.threshold)
        return JSONResponse(job.public(), status_code=202, headers={"Location": f"/v1/jobs/{job.id}"})

    @app.get("/v1/jobs/{job_id}", responses=ERRORS, tags=["video"],
             summary="A job's state, frames done / total, and its video result JSON when done")
    async def get_job(request: Request, job_id: SESSION_ID):
        if jobs is None:
            raise BadRequestError("this server runs no video jobs", code="no_jobs")
        return await run_in_threadpool(job_answer, job_id, request)

    @app.delete("/v1/jobs/{job_id}", responses=ERRORS, tags=["video"], summary="Cancel a job")
    async def cancel_job(request: Request, job_id: SESSION_ID):
        if jobs is None:
            raise BadRequestError("this server runs no video jobs", code="no_jobs")
        return jobs.cancel(job_id, owner(request)).public()

    @app.get("/v1/jobs/{job_id}/overlay", responses=ERRORS, tags=["video"], summary="The overlay video (MP4)")
    async def job_overlay(request: Request, job_id: SESSION_ID):
        path = jobs.file(job_id, "overlay.mp4", owner(request))
        return Response(path.read_bytes(), media_type="video/mp4",
                        headers={"Content-Disposition": f'attachment; filename="{job_id}_overlay.mp4"'})

    @app.get("/v1/tools", tags=["tools"], summary="The tool in OpenAI's function-calling format")
    async def tools():
        return [openai_tool(settings.max_instruction_chars)]

    @app.get("/healthz", tags=["health"])
    async def healthz():
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    async def readyz():
        return {"status": "ready", "demo": settings.demo, **(await run_in_threadpool(agent.readiness))}

    return app
