"""Images as the tool receives them: base64, a data URL, or a URL on the allow-list, to bytes."""

from __future__ import annotations

import base64
import binascii
import re

from segchat.agent.image_urls import fetch_image_url
from segchat.contracts.errors import BadRequestError, PayloadTooLargeError

DATA_URL = re.compile(r"^data:(?P<mime>[\w.+\-]+/[\w.+\-]+)?(?P<params>(;[\w\-]+=[\w\-]+)*)(?P<b64>;base64)?,(?P<data>.*)$",
                      re.DOTALL)
IMAGE_MIMES = {"image/png", "image/jpeg", "image/jpg", "image/webp", "image/gif", "image/bmp", "image/tiff"}


def decode_image_payload(payload: str, max_bytes: int, url_allowlist: list[str] | None = None) -> bytes:
    """Bytes of an image sent as base64, a data URL, or a URL on `url_allowlist`; 400 for junk, a non-image type or
    a URL that is not allowed, 413 past `max_bytes`."""
    if not isinstance(payload, str) or not payload.strip():
        raise BadRequestError("no image was sent", code="missing_image")
    payload = payload.strip()
    if len(payload) > max_bytes * 4 // 3 + 1024:
        raise PayloadTooLargeError(f"the image is larger than the limit of {max_bytes} bytes")
    if payload.startswith("data:"):
        match = DATA_URL.match(payload)
        if match is None or not match.group("b64"):
            raise BadRequestError("a data URL must look like data:image/png;base64,...", code="bad_data_url")
        mime = (match.group("mime") or "").lower()
        if mime not in IMAGE_MIMES:
            raise BadRequestError(f"a data URL of type {mime or 'unknown'!r} is not an image we accept "
                                  f"({', '.join(sorted(IMAGE_MIMES))})", code="unsupported_media_type")
        payload = match.group("data")
    elif re.match(r"^[a-z][a-z0-9+.\-]*://", payload, re.IGNORECASE):
        return fetch_image_url(payload, url_allowlist or [], max_bytes)
    try:
        data = base64.b64decode(re.sub(r"\s+", "", payload), validate=True)
    except (binascii.Error, ValueError):
        raise BadRequestError("the image is not valid base64", code="bad_base64") from None
    return check_size(data, max_bytes)


def check_size(data: bytes, max_bytes: int) -> bytes:
    if len(data) > max_bytes:
        raise PayloadTooLargeError(f"the image is {len(data)} bytes; the limit is {max_bytes}")
    return data


VIDEO_MIMES = {"video/mp4": ".mp4", "video/webm": ".webm", "video/quicktime": ".mov", "video/x-matroska": ".mkv",
               "video/x-msvideo": ".avi", "image/gif": ".gif"}


def decode_video_payload(payload: str, max_bytes: int) -> tuple[bytes, str]:
    """(bytes, file suffix) of a video sent as a data URL or as base64 (taken for MP4); 400 for junk or a type that
    is no video, 413 past `max_bytes`."""
    if not isinstance(payload, str) or not payload.strip():
        raise BadRequestError("no video was sent", code="missing_video")
    payload = payload.strip()
    if len(payload) > max_bytes * 4 // 3 + 1024:
        raise PayloadTooLargeError(f"the video is larger than the limit of {max_bytes} bytes")
    suffix = ".mp4"
    if payload.startswith("data:"):
        match = DATA_URL.match(payload)
        if match is None or not match.group("b64"):
            raise BadRequestError("a data URL must look like data:video/mp4;base64,...", code="bad_data_url")
        mime = (match.group("mime") or "").lower()
        if mime not in VIDEO_MIMES:
            raise BadRequestError(f"a data URL of type {mime or 'unknown'!r} is not a video we accept "
                                  f"({', '.join(sorted(VIDEO_MIMES))})", code="unsupported_media_type")
        suffix, payload = VIDEO_MIMES[mime], match.group("data")
    try:
        data = base64.b64decode(re.sub(r"\s+", "", payload), validate=True)
    except (binascii.Error, ValueError):
        raise BadRequestError("the video is not valid base64", code="bad_base64") from None
    return check_size(data, max_bytes), suffix
