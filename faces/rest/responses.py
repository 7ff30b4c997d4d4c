"""What the API answers: the error body, the statuses every route documents, and typed results serialized once."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


ERRORS: dict[int | str, dict[str, Any]] = {status: {"model": ErrorResponse}
                                           for status in (400, 401, 404, 413, 422, 429, 503)}


def documented(model: type[BaseModel], status: int = 200) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route that answers `model`: its schema in the OpenAPI document, beside the errors (the
    route itself returns `model_response`, so FastAPI neither validates nor converts the result again)."""
    return {status: {"model": model}, **ERRORS}


def model_response(result: BaseModel, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A typed result as JSON, serialized once, straight from the model (no dict, no second validation)."""
    return Response(result.model_dump_json(), status_code=status_code, media_type="application/json", headers=headers)


def error_response(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status)
