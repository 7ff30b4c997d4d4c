"""Images by URL: never fetched unless an allow-list names where from (no server-side request forgery).

`SEGCHAT_IMAGE_URL_ALLOWLIST="https://images.example.com/public/,https://cdn.example.org/"` lets the API fetch
http(s) URLs under those prefixes: same scheme, host and port, and a path at or under the prefix's path. Redirects
are not followed (they could lead anywhere), credentials in URLs and `..` segments are refused, and the download is
cut at the upload size limit.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import httpx

from segchat.contracts.errors import BadRequestError, PayloadTooLargeError

FETCH_TIMEOUT_S = 10.0


def _port(parts) -> int | None:
    try:
        return parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:  # a port that is not a number
        return None


def url_allowed(url: str, allowlist: list[str]) -> bool:
    """Whether `url` lies under one of the allow-list's URL prefixes."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        return False
    path = parts.path or "/"
    if ".." in unquote(path).split("/"):
        return False
    for prefix in allowlist:
        allowed = urlsplit(prefix)
        if (parts.scheme, parts.hostname, _port(parts)) != (allowed.scheme, allowed.hostname, _port(allowed)):
            continue
        base = allowed.path or "/"
        if path == base or path.startswith(base if base.endswith("/") else base + "/"):
            return True
    return False


def fetch_image_url(url: str, allowlist: list[str], max_bytes: int, timeout_s: float = FETCH_TIMEOUT_S) -> bytes:
    """The bytes at an allowed URL; 400 when it is not allowed or can't be fetched, 413 past `max_bytes`."""
    if not allowlist:
        raise BadRequestError("images are accepted as base64 or data URLs only; this server does not fetch URLs "
                              "(its operator can allow some with SEGCHAT_IMAGE_URL_ALLOWLIST)", code="url_not_allowed")
    if not url_allowed(url, allowlist):
        raise BadRequestError("this image URL is not on the server's allow-list", code="url_not_allowed")
    try:
        with httpx.Client(follow_redirects=False, timeout=timeout_s) as client:
            with client.stream("GET", url) as response:
                if response.is_redirect:
                    raise BadRequestError(f"the image URL redirects ({response.status_code}); redirects are not "
                                          "followed, send the final URL", code="url_fetch_failed")
                if response.status_code != 200:
                    raise BadRequestError(f"fetching the image URL gave HTTP {response.status_code}",
                                          code="url_fetch_failed")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise PayloadTooLargeError(f"the image at the URL is {declared} bytes; the limit is {max_bytes}")
                data = bytearray()
                for chunk in response.iter_bytes():
                    data += chunk
                    if len(data) > max_bytes:
                        raise PayloadTooLargeError(f"the image at the URL is larger than the limit of {max_bytes} bytes")
                return bytes(data)
    except httpx.HTTPError as exc:
        raise BadRequestError(f"could not fetch the image URL ({type(exc).__name__})", code="url_fetch_failed") from None
