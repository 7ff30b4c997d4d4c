"""Images as the tool receives them: base64, a data URL, or a URL on the allow-list, to bytes."""

from __future__ import annotations

import base64
import binascii
import re

from PIL import Image

from segchat.agent.serving.image_urls import fetch_image_url
from segchat.contracts.errors import BadRequestError, PayloadTooLargeError
from segchat.segmenter.images import load_image

DATA_URL = re.compile(r"^data:(?P<mime>[\w.+\-]+/[\w.+\-]+)?(?P<params>(;[\w\-]+=[\w\-]+)*)(?P<b64>;base64)?,(?P<data>.*)$",
                      re.DOTALL)
IMAGE_MIMES = {"image/png", "image/jpeg", "image/jpg", "image/webp", "image/gif", "image/bmp", "image/tiff"}


def _split_data_url(payload: str, kind: str, accepted: set[str] | dict[str, str], example: str) -> tuple[str, str]:
    """(mime, base64 text) of a data URL carrying an `accepted` type of `kind` ('image' / 'video'); 400 otherwise."""
    match = DATA_URL.match(payload)
    if match is None or not match.group("b64"):
        raise BadRequestError(f"a data URL must look like {example}", code="bad_data_url")
    mime = (match.group("mime") or "").lower()
    if mime not in accepted:
        raise BadRequestError(f"a data URL of type {mime or 'unknown'!r} is not {'an' if kind == 'image' else 'a'} "
                              f"{kind} we accept ({', '.join(sorted(accepted))})", code="unsupported_media_type")
    return mime, match.group("data")


def _decode_base64(payload: str, kind: str, max_bytes: int) -> bytes:
    try:
        data = base64.b64decode(re.sub(r"\s+", "", payload), validate=True)
    except (binascii.Error, ValueError):
        raise BadRequestError(f"the {kind} is not valid base64", code="bad_base64") from None
    return check_size(data, max_bytes, kind)


def _checked_text(payload: str, kind: str, max_bytes: int) -> str:
    if not isinstance(payload, str) or not payload.strip():
        raise BadRequestError(f"no {kind} was sent", code=f"missing_{kind}")
    payload = payload.strip()
    if len(payload) > max_bytes * 4 // 3 + 1024:
        raise PayloadTooLargeError(f"the {kind} is larger than the limit of {max_bytes} bytes")
    return payload


def decode_image_payload(payload: str, max_bytes: int, url_allowlist: list[str] | None = None) -> bytes:
    """Bytes of an image sent as base64, a data URL, or a URL on `url_allowlist`; 400 for junk, a non-image type or
    a URL that is not allowed, 413 past `max_bytes`."""
    payload = _checked_text(payload, "image", max_bytes)
    if payload.startswith("data:"):
        _, payload = _split_data_url(payload, "image", IMAGE_MIMES, "data:image/png;base64,...")
    elif re.match(r"^[a-z][a-z0-9+.\-]*://", payload, re.IGNORECASE):
        return fetch_image_url(payload, url_allowlist or [], max_bytes)
    return _decode_base64(payload, "image", max_bytes)


def open_image_file(path: str, max_pixels: int) -> Image.Image:
    """The image at `path`, opened before any model is loaded, so that a bad file costs the caller seconds, not a
    model load (ImageReadError / ImageTooLargeError, as the agent would raise)."""
    return load_image(path, max_pixels=max_pixels)


def check_size(data: bytes, max_bytes: int, kind: str = "image") -> bytes:
    if len(data) > max_bytes:
        raise PayloadTooLargeError(f"the {kind} is {len(data)} bytes; the limit is {max_bytes}")
    return data


VIDEO_MIMES = {"video/mp4": ".mp4", "video/webm": ".webm", "video/quicktime": ".mov", "video/x-matroska": ".mkv",
               "video/x-msvideo": ".avi", "image/gif": ".gif"}


def decode_video_payload(payload: str, max_bytes: int) -> tuple[bytes, str]:
    """(bytes, file suffix) of a video sent as a data URL or as base64 (taken for MP4); 400 for junk or a type that
    is no video, 413 past `max_bytes`."""
    payload = _checked_text(payload, "video", max_bytes)
    suffix = ".mp4"
    if payload.startswith("data:"):
        mime, payload = _split_data_url(payload, "video", VIDEO_MIMES, "data:video/mp4;base64,...")
        suffix = VIDEO_MIMES[mime]
    return _decode_base64(payload, "video", max_bytes), suffix
