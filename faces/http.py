"""What the HTTP faces (REST, MCP, the browser UI) share: which API key a request presents and whose it is."""

from __future__ import annotations

import hmac

from starlette.requests import HTTPConnection

from segchat.agent.serving.store import owner_of
from segchat.contracts.errors import UnauthorizedError

KEY_COOKIE = "segchat_key"


def presented_key(request: HTTPConnection) -> str | None:
    """The key in `Authorization: Bearer`, `X-API-Key`, the UI's cookie or `?api_key=` (first found)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("x-api-key") or request.cookies.get(KEY_COOKIE) or request.query_params.get("api_key")


def key_matches(presented: str | None, keys: list[str]) -> bool:
    """Whether `presented` is one of `keys`, comparing in constant time (every key is compared)."""
    if presented is None:
        return False
    found = False
    for key in keys:
        found |= hmac.compare_digest(presented.encode(), key.encode())
    return found


def request_owner(request: HTTPConnection | None, keys: list[str]) -> str:
    """The owner of what a request creates: '' when no key is configured, else a hash of its (valid) key.
    Raises UnauthorizedError for a missing or wrong key."""
    if not keys:
        return ""
    key = presented_key(request) if request is not None else None
    if not key_matches(key, keys):
        raise UnauthorizedError("an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key'")
    return owner_of(key)
