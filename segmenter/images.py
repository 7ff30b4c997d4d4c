"""Reading user images into RGB PIL images, with our own errors for what can't be read."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from segchat.contracts.errors import ImageReadError, ImageTooLargeError

DEFAULT_MAX_PIXELS = 40_000_000

ImageSource = str | Path | bytes | Image.Image | np.ndarray


def _to_rgb(image: Image.Image) -> Image.Image:
    """Convert any PIL mode to 8-bit RGB (16-bit grey is scaled, not clipped)."""
    if image.mode == "RGB":
        return image
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") or array.max() > 255 else 255.0
        array = np.clip(array / top * 255.0, 0, 255).astype(np.uint8)
        return Image.fromarray(array).convert("RGB")
    if image.mode == "F":
        array = np.asarray(image, dtype=np.float64)
        lo, hi = float(np.nanmin(array)), float(np.nanmax(array))
        scaled = (array - lo) / (hi - lo) * 255.0 if hi > lo else np.zeros_like(array)
        return Image.fromarray(scaled.astype(np.uint8)).convert("RGB")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def load_image(source: ImageSource, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Open `source` (path, bytes, PIL image or HxWx3 uint8 array) as an RGB image.

    EXIF orientation is applied; grayscale, RGBA, palette, CMYK and 16-bit images become RGB; an
    animated image gives its first frame. Raises `ImageReadError` for anything that is not an image
    and `ImageTooLargeError` past `max_pixels` (checked before decoding, so a bomb costs nothing).
    """
    if isinstance(source, np.ndarray):
        if source.ndim == 2:
            source = np.stack([source] * 3, axis=-1)
        if source.ndim != 3 or source.shape[2] not in (3, 4):
            raise ImageReadError(f"expected an HxWx3 array, got shape {source.shape}")
        image = Image.fromarray(source.astype(np.uint8))
        return _to_rgb(image)
    if isinstance(source, Image.Image):
        image = source
    else:
        if isinstance(source, (str, Path)):
            path = Path(source)
            if not path.is_file():
                raise ImageReadError(f"no image file at {path}")
            data = path.read_bytes()
            name = path.name
        else:
            data = bytes(source)
            name = "upload"
        if not data:
            raise ImageReadError(f"{name} is empty (0 bytes)")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image = Image.open(io.BytesIO(data))
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise ImageTooLargeError(f"{name} is too large to decode safely: {exc}") from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
            raise ImageReadError(f"{name} is not an image we can read ({type(exc).__name__})") from None
    width, height = image.size
    if width < 1 or height < 1:
        raise ImageReadError(f"image has no pixels ({width}x{height})")
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"image is {width}x{height} = {width * height} pixels, over the limit of {max_pixels}"
        )
    try:
        image.seek(0)
        image.load()
        image = ImageOps.exif_transpose(image) or image
        return _to_rgb(image).copy()
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageReadError(f"image data is broken or truncated ({type(exc).__name__}: {exc})") from None


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# chunks that make load_image's pixels differ from the file's: an EXIF block (it may turn the image) and an
# animation (the first frame is read)
PNG_CHUNKS_READ_OTHERWISE = frozenset({b"eXIf", b"acTL"})


def png_chunk_types(data: bytes) -> Iterator[bytes]:
    """The chunk types of a PNG file in order, walked by their lengths (no pixel is decoded)."""
    offset = len(PNG_SIGNATURE)
    while offset + 8 <= len(data):
        kind = data[offset + 4:offset + 8]
        yield kind
        if kind == b"IEND":
            return
        offset += 12 + int.from_bytes(data[offset:offset + 4], "big")  # length, type, data, CRC


def png_as_read(source: ImageSource) -> bytes | None:
    """The file's own bytes when they are a PNG that `load_image` reads as exactly its pixels: RGB, one frame, no
    transparency key, no EXIF. A store keeps these bytes as they are instead of encoding the image again (a first
    turn's largest cost outside the model, ~20 ms for a 480x360 picture); None for anything else. Only the header
    and the chunk list are read: Pillow opens lazily (its EXIF look-up would decode the pixels, hence the walk)."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        data = path.read_bytes() if path.is_file() else b""
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        return None
    if not data.startswith(PNG_SIGNATURE) or PNG_CHUNKS_READ_OTHERWISE.intersection(png_chunk_types(data)):
        return None
    try:
        with Image.open(io.BytesIO(data)) as image:
            plain = image.format == "PNG" and image.mode == "RGB" and "transparency" not in image.info
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None
    return data if plain else None


def image_digest(image: Image.Image) -> str:
    """A content key for an RGB image: its size plus a hash of its pixels."""
    import hashlib

    digest = hashlib.blake2b(image.tobytes(), digest_size=16)
    digest.update(f"{image.size}".encode())
    return digest.hexdigest()
