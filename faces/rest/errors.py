"""Errors mapped to statuses once: our own (`SegchatError`: its status and code), validation (422, or 400 for a body
that is no JSON), routing (404 / 405), and anything unexpected (500, logged, no details)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from segchat.contracts.errors import SegchatError
from segchat.faces.rest.responses import error_response

log = logging.getLogger(__name__)

RETRY_LATER = (429, 503)  # statuses that tell the client when to come back


async def on_segchat_error(request: Request, exc: SegchatError) -> JSONResponse:
    response = error_response(exc.http_status, exc.code, exc.message)
    if exc.http_status in RETRY_LATER:
        response.headers["Retry-After"] = "1"
    return response


async def on_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, "bad_json", "the request body is not valid JSON")
    details = [{"field": ".".join(str(p) for p in e.get("loc", ())[1:]), "problem": e.get("msg", "")}
               for e in errors][:20]
    return error_response(422, "validation_error", "; ".join(f"{d['field']}: {d['problem']}" for d in details)
                          or "invalid request", details=details)


async def on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail))


async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", "something went wrong on our side; the error was logged")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SegchatError, on_segchat_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected)
