"""Errors a user can cause, each with a stable code, a human message and an HTTP status.

Every face (CLI, REST, MCP, UI) maps these once: exit code, status code, chat message.
"""

from __future__ import annotations


class SegchatError(Exception):
    """Base of every error we raise on purpose."""

    code: str = "segchat_error"
    http_status: int = 400

    def __init__(self, message: str, *, code: str | None = None, http_status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if http_status is not None:
            self.http_status = http_status

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class ImageReadError(SegchatError):
    code = "unreadable_image"
    http_status = 400


class ImageTooLargeError(SegchatError):
    code = "image_too_large"
    http_status = 413


class BadRequestError(SegchatError):
    code = "bad_request"
    http_status = 400


class ModelLoadError(SegchatError):
    code = "model_load_failed"
    http_status = 503


class SegmenterUnavailableError(SegchatError):
    """No segmenter replica answered (a cluster's replicas all restarting): try again shortly."""

    code = "segmenter_unavailable"
    http_status = 503


class ParserUnavailableError(SegchatError):
    code = "parser_unavailable"
    http_status = 503


class SessionNotFoundError(SegchatError):
    code = "session_not_found"
    http_status = 404


class QueueFullError(SegchatError):
    code = "queue_full"
    http_status = 503


class UnauthorizedError(SegchatError):
    code = "unauthorized"
    http_status = 401


class PayloadTooLargeError(SegchatError):
    code = "payload_too_large"
    http_status = 413


class SettingsError(SegchatError):
    code = "bad_setting"
    http_status = 400


class UnknownInstanceError(SegchatError):
    code = "unknown_instance"
    http_status = 400


class NotFoundError(SegchatError):
    code = "not_found"
    http_status = 404


class VideoReadError(SegchatError):
    """Not a video we can read: no such file, no video stream, broken data, no frames, frames of different sizes."""

    code = "unreadable_video"
    http_status = 400


class VideoTooLargeError(SegchatError):
    """More frames, or more pixels per frame, than the limits allow."""

    code = "video_too_large"
    http_status = 413
