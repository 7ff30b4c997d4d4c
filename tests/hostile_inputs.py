"""A corpus of hostile or broken images, generated in code: (name, bytes, what must happen)."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image

READ_ERROR = "unreadable"
TOO_LARGE = "too_large"
OK = "ok"


def _save(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def _noise(width: int, height: int, seed: int = 0) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 255, (height, width, 3), dtype=np.uint8))


def png_bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A valid PNG header declaring width x height grey pixels, with a tiny zlib stream of zeros (a few KB)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    compressor = zlib.compressobj(9)
    row = b"\0" * (width + 1)
    data = b"".join(compressor.compress(row) for _ in range(64)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def corpus() -> list[tuple[str, bytes, str]]:
    photo = _noise(80, 60)
    jpeg = _save(photo, "JPEG")
    png = _save(photo, "PNG")
    exif = Image.Exif()
    exif[0x0112] = 6
    frames = [Image.new("RGB", (30, 20), c) for c in [(255, 0, 0), (0, 255, 0)]]
    gif = io.BytesIO()
    frames[0].save(gif, format="GIF", save_all=True, append_images=frames[1:], loop=0)
    tiff_pages = io.BytesIO()
    frames[0].save(tiff_pages, format="TIFF", save_all=True, append_images=frames[1:])
    items = [
        ("zero bytes", b"", READ_ERROR),
        ("text named .png", b"hello, I am a text file\n", READ_ERROR),
        ("svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>',
         READ_ERROR),
        ("pdf", b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n", READ_ERROR),
        ("html", b"<html><body><img src=x onerror=alert(1)></body></html>", READ_ERROR),
        ("truncated jpeg", jpeg[: len(jpeg) // 2], READ_ERROR),
        ("truncated png", png[: len(png) // 2], READ_ERROR),
        ("png signature only", b"\x89PNG\r\n\x1a\n", READ_ERROR),
        ("jpeg header only", jpeg[:20], READ_ERROR),
        ("random bytes", bytes(np.random.default_rng(5).integers(0, 256, 4096, dtype=np.uint8)), READ_ERROR),
        ("decompression bomb 30000x30000 png", png_bomb(), TOO_LARGE),
        ("1x1", _save(Image.new("RGB", (1, 1), (9, 9, 9)), "PNG"), OK),
        ("1x10000", _save(Image.new("RGB", (1, 10000), (9, 9, 9)), "PNG"), OK),
        ("10000x1", _save(Image.new("RGB", (10000, 1), (9, 9, 9)), "PNG"), OK),
        ("16-bit grey png", _save(Image.fromarray(np.arange(4800, dtype=np.uint16).reshape(60, 80) * 10), "PNG"), OK),
        ("cmyk jpeg", _save(photo.convert("CMYK"), "JPEG"), OK),
        ("palette png", _save(photo.convert("P"), "PNG"), OK),
        ("palette with transparency", _save(photo.convert("P"), "PNG", transparency=0), OK),
        ("grey png", _save(photo.convert("L"), "PNG"), OK),
        ("grey+alpha png", _save(photo.convert("LA"), "PNG"), OK),
        ("rgba png", _save(photo.convert("RGBA"), "PNG"), OK),
        ("1-bit png", _save(photo.convert("1"), "PNG"), OK),
        ("animated gif", gif.getvalue(), OK),
        ("multi-page tiff", tiff_pages.getvalue(), OK),
        ("exif-rotated jpeg", _save(photo, "JPEG", exif=exif.tobytes()), OK),
        ("webp", _save(photo, "WEBP"), OK),
        ("bmp", _save(photo, "BMP"), OK),
        ("float tiff", _save(Image.fromarray(np.random.default_rng(2).random((20, 30)).astype(np.float32)), "TIFF"), OK),
    ]
    return items
