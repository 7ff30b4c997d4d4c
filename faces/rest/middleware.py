"""ASGI middleware in front of every route of the server (REST, MCP and the UI alike): the body size limit and the
API key. Plain ASGI, not Starlette's `BaseHTTPMiddleware`: a 27 MB body passes through untouched, chunk by chunk."""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from segchat.contracts.errors import PayloadTooLargeError, SegchatError
from segchat.faces.http import KEY_COOKIE, presented_key, request_owner
from segchat.faces.rest.responses import error_response


class BodyLimit:
    """413 for a request body over `limit` bytes, declared or streamed (`video_limit` for video uploads to
    /v1/jobs)."""

    def __init__(self, app: ASGIApp, limit: int, video_limit: int | None = None) -> None:
        self.app = app
        self.image_limit = limit
        self.video_limit = video_limit or limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.video_limit if scope.get("path", "").startswith("/v1/jobs") else self.image_limit
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            response = error_response(413, PayloadTooLargeError.code, f"the request body is larger than {limit} bytes")
            return await response(scope, receive, send)
        seen = 0

        async def limited_receive() -> Message:
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


class RequireKey:
    """With keys configured, every HTTP request presents one (401 otherwise); its owner goes into the request's
    state (`request.state.owner`: '' without keys). A browser that came with `?api_key=` gets it back as an
    HttpOnly cookie, so the UI's own requests carry it."""

    def __init__(self, app: ASGIApp, keys: list[str]) -> None:
        self.app = app
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        connection = HTTPConnection(scope)
        try:
            owner = request_owner(connection, self.keys)
        except SegchatError as exc:
            return await error_response(exc.http_status, exc.code, exc.message)(scope, receive, send)
        scope.setdefault("state", {})["owner"] = owner
        if self.keys and connection.query_params.get("api_key") and not connection.cookies.get(KEY_COOKIE):
            send = with_key_cookie(send, presented_key(connection) or "")
        await self.app(scope, receive, send)


def with_key_cookie(send: Send, key: str) -> Send:
    """`send` with the key's cookie added to the response's headers."""
    carrier = Response()
    carrier.set_cookie(KEY_COOKIE, key, httponly=True, samesite="strict")
    cookie = [(name, value) for name, value in carrier.raw_headers if name == b"set-cookie"]

    async def send_with_cookie(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *cookie]}
        await send(message)

    return send_with_cookie
