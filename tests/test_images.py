from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from segchat.contracts.errors import ImageReadError, ImageTooLargeError
from segchat.segmenter.images import image_digest, load_image


def _png(image: Image.Image, fmt: str = "PNG", **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


@pytest.mark.parametrize("mode", ["L", "RGBA", "P", "LA", "1", "CMYK", "I;16", "I", "F"])
def test_every_mode_becomes_rgb(mode):
    base = Image.fromarray(np.random.default_rng(0).integers(0, 255, (20, 30, 3), dtype=np.uint8))
    if mode == "I;16":
        image = Image.fromarray(np.arange(600, dtype=np.uint16).reshape(20, 30) * 100)
    else:
        image = base.convert(mode)
    fmt = "TIFF" if mode in ("CMYK", "I", "F") else "PNG"
    out = load_image(_png(image, fmt))
    assert out.mode == "RGB" and out.size == (30, 20)


def test_sixteen_bit_grey_is_scaled_not_clipped():
    array = np.full((4, 4), 65535, dtype=np.uint16)
    array[0, 0] = 0
    out = np.asarray(load_image(_png(Image.fromarray(array))))
    assert out[1, 1, 0] == 255 and out[0, 0, 0] == 0


def test_transparent_pixels_become_white():
    image = Image.new("RGBA", (4, 4), (255, 0, 0, 0))
    out = np.asarray(load_image(_png(image)))
    assert tuple(out[0, 0]) == (255, 255, 255)


def test_exif_orientation_is_applied():
    image = Image.new("RGB", (40, 20), (0, 0, 0))
    image.paste((255, 255, 255), (0, 0, 10, 20))  # white band on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 clockwise to display
    out = load_image(_png(image, "JPEG", exif=exif.tobytes()))
    assert out.size == (20, 40)
    array = np.asarray(out).mean(axis=2)
    assert array[:10].mean() > 200 and array[-10:].mean() < 50  # the band is now on top


def test_animated_gif_gives_first_frame():
    frames = [Image.new("RGB", (8, 8), c) for c in [(255, 0, 0), (0, 0, 255)]]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    out = np.asarray(load_image(buffer.getvalue()))
    assert out[0, 0, 0] > 200 and out[0, 0, 2] < 50


@pytest.mark.parametrize("data", [b"", b"hello, this is text", b"\x89PNG\r\n\x1a\n" + b"\x00" * 10])
def test_not_an_image(data):
    with pytest.raises(ImageReadError):
        load_image(data)


def test_truncated_png():
    data = _png(Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)))
    with pytest.raises(ImageReadError):
        load_image(data[: len(data) // 2])


def test_missing_file(tmp_path):
    with pytest.raises(ImageReadError, match="no image file"):
        load_image(tmp_path / "nope.png")


def test_pixel_limit_before_decoding():
    data = _png(Image.new("L", (3000, 3000)))
    with pytest.raises(ImageTooLargeError):
        load_image(data, max_pixels=1_000_000)


def test_digest_is_by_content():
    a = Image.new("RGB", (5, 5), (1, 2, 3))
    assert image_digest(a) == image_digest(a.copy())
    assert image_digest(a) != image_digest(Image.new("RGB", (5, 5), (1, 2, 4)))
    assert image_digest(Image.new("RGB", (5, 4))) != image_digest(Image.new("RGB", (4, 5)))
