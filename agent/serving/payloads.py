"""Images and videos as the tools receive them: base64, a data URL, or (images) a URL on the allow-list, to bytes.

The decoding of base64 and of a JSON body is pure and runs in a worker process for big payloads (the server's
event loop must not hold the interpreter for the ~0.2 s that 27 MB take), so this module imports nothing heavy at
its top: a worker that unpickles `decode_json_body` loads only what it needs.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from segchat.contracts.errors import BadRequestError, PayloadTooLargeError

if TYPE_CHECKING:
    from PIL import Image

DATA_URL_HEADER = re.compile(r"^data:(?P<mime>[\w.+\-]+/[\w.+\-]+)?(?:;[\w\-]+=[\w\-]+)*(?P<b64>;base64)?$")
URL_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*://", re.IGNORECASE)
IMAGE_MIMES = {"image/png", "image/jpeg", "image/jpg", "image/webp", "image/gif", "image/bmp", "image/tiff"}
VIDEO_MIMES = {"video/mp4": ".mp4", "video/webm": ".webm", "video/quicktime": ".mov", "video/x-matroska": ".mkv",
               "video/x-msvideo": ".avi", "image/gif": ".gif"}


class PayloadKind(StrEnum):
    """What a payload carries: the word in its error messages and codes (`missing_image`, `bad_base64`...)."""

    IMAGE = "image"
    VIDEO = "video"


@dataclass(frozen=True)
class DecodedBody:
    """A JSON request body, parsed, with its image's bytes taken out where it was base64 or a data URL.

    `body`: the JSON value (a dict for any valid request), its image field emptied when `image` holds the bytes;
    `image`: those bytes, or None when the body sent no image, an empty one or a URL (fetched later, in a thread)."""

    body: Any
    image: bytes | None = None


def _split_data_url(payload: str, kind: PayloadKind, accepted: set[str] | dict[str, str],
                    example: str) -> tuple[str, str]:
    """(mime, base64 text) of a data URL carrying an `accepted` type of `kind`; 400 otherwise. Only the header
    (before the first comma) is matched: a regular expression over 27 MB of base64 costs tens of milliseconds."""
    header, comma, data = payload.partition(",")
    match = DATA_URL_HEADER.match(header) if comma else None
    if match is None or not match.group("b64"):
        raise BadRequestError(f"a data URL must look like {example}", code="bad_data_url")
    mime = (match.group("mime") or "").lower()
    if mime not in accepted:
        article = "an" if kind is PayloadKind.IMAGE else "a"
        raise BadRequestError(f"a data URL of type {mime or 'unknown'!r} is not {article} {kind} we accept "
                              f"({', '.join(sorted(accepted))})", code="unsupported_media_type")
    return mime, data


def _decode_base64(payload: str, kind: PayloadKind, max_bytes: int) -> bytes:
    """Strict base64 (line breaks and spaces allowed, as MIME writes it); 400 for anything else, 413 past the limit.
    The text is taken as it is first: removing whitespace copies it, and most senders put none in."""
    try:
        try:
            data = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            data = base64.b64decode("".join(payload.split()), validate=True)
    except (binascii.Error, ValueError):
        raise BadRequestError(f"the {kind} is not valid base64", code="bad_base64") from None
    return check_size(data, max_bytes, kind)


def _checked_text(payload: Any, kind: PayloadKind, max_bytes: int) -> str:
    if not isinstance(payload, str) or not payload.strip():
        raise BadRequestError(f"no {kind} was sent", code=f"missing_{kind}")
    payload = payload.strip()
    if len(payload) > max_bytes * 4 // 3 + 1024:
        raise PayloadTooLargeError(f"the {kind} is larger than the limit of {max_bytes} bytes")
    return payload


def is_url(payload: str) -> bool:
    """Whether an image payload names a URL (to be fetched, if the allow-list admits it) rather than carrying data."""
    return URL_SCHEME.match(payload.lstrip()) is not None


def decode_inline_image(payload: str, max_bytes: int) -> bytes:
    """Bytes of an image sent as base64 or a data URL (no URL: `decode_image_payload` fetches those); 400 for junk
    or a non-image type, 413 past `max_bytes`."""
    payload = _checked_text(payload, PayloadKind.IMAGE, max_bytes)
    if payload.startswith("data:"):
        _, payload = _split_data_url(payload, PayloadKind.IMAGE, IMAGE_MIMES, "data:image/png;base64,...")
    return _decode_base64(payload, PayloadKind.IMAGE, max_bytes)


def decode_image_payload(payload: str, max_bytes: int, url_allowlist: list[str] | None = None) -> bytes:
    """Bytes of an image sent as base64, a data URL, or a URL on `url_allowlist`; 400 for junk, a non-image type or
    a URL that is not allowed, 413 past `max_bytes`. A URL is fetched here: call this where waiting is free."""
    payload = _checked_text(payload, PayloadKind.IMAGE, max_bytes)
    if is_url(payload):
        from segchat.agent.serving.image_urls import fetch_image_url

        return fetch_image_url(payload, url_allowlist or [], max_bytes)
    return decode_inline_image(payload, max_bytes)


def decode_json_body(raw: bytes, max_image_bytes: int, field: str = "image") -> DecodedBody:
    """A JSON request body parsed, and its `field` decoded to bytes when it carries base64 or a data URL (a URL, an
    empty value or a body that is no object is left as sent, for the caller's validation and fetch). 400
    `bad_json` for a body that is not JSON; the image's own 400 / 413 as `decode_inline_image` gives them.

    Pure and picklable both ways: the server runs it in a worker process for big bodies."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested deeper than a parser should go
        raise BadRequestError("the request body is not valid JSON (or use multipart/form-data)",
                              code="bad_json") from None
    payload = body.get(field) if isinstance(body, dict) else None
    if not isinstance(payload, str) or not payload.strip() or is_url(payload):
        return DecodedBody(body)
    return DecodedBody({**body, field: ""}, decode_inline_image(payload, max_image_bytes))


def open_image_file(path: str, max_pixels: int) -> Image.Image:
    """The image at `path`, opened before any model is loaded, so that a bad file costs the caller seconds, not a
    model load (ImageReadError / ImageTooLargeError, as the agent would raise)."""
    from segchat.segmenter.images import load_image

    return load_image(path, max_pixels=max_pixels)


def check_size(data: bytes, max_bytes: int, kind: str = "image") -> bytes:
    if len(data) > max_bytes:
        raise PayloadTooLargeError(f"the {kind} is {len(data)} bytes; the limit is {max_bytes}")
    return data


def decode_video_payload(payload: str, max_bytes: int) -> tuple[bytes, str]:
    """(bytes, file suffix) of a video sent as a data URL or as base64 (taken for MP4); 400 for junk or a type that
    is no video, 413 past `max_bytes`."""
    payload = _checked_text(payload, PayloadKind.VIDEO, max_bytes)
    suffix = ".mp4"
    if payload.startswith("data:"):
        mime, payload = _split_data_url(payload, PayloadKind.VIDEO, VIDEO_MIMES, "data:video/mp4;base64,...")
        suffix = VIDEO_MIMES[mime]
    return _decode_base64(payload, PayloadKind.VIDEO, max_bytes), suffix
