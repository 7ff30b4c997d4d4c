from __future__ import annotations

import numpy as np
from PIL import Image

from segchat.segmenter.instances import Instance
from segchat.segmenter.masks import CroppedMask
from segchat.agent.outputs.overlay import colour_for, label_font, render_overlay, text_mask


def test_overlay_draws_tint_outline_and_label():
    image = Image.new("RGB", (200, 120), (0, 0, 0))
    mask = np.zeros((120, 200), dtype=bool)
    mask[60:100, 50:150] = True
    item = Instance(phrase="red circle", score=0.87, mask=CroppedMask.from_full(mask), id=1)
    overlay = np.asarray(render_overlay(image, [item], alpha=0.5))
    colour = np.array(colour_for(1))
    assert np.array_equal(overlay[60, 100], colour)  # the outline is the full colour
    assert np.abs(overlay[80, 100].astype(int) - colour // 2).max() <= 1  # the inside is tinted
    assert not overlay[110, 100].any() and not overlay[80, 20].any()  # outside is untouched
    glyphs = text_mask("#1 red circle 0.87", label_font(12))
    label = overlay[60 - glyphs.shape[0] - 4:60, 50:50 + glyphs.shape[1] + 6]
    assert (label == 255).all(axis=2).any() and (label == colour).all(axis=2).any()  # white text on the colour


def test_label_sits_on_the_body_of_a_mask_with_stray_pixels():
    image = Image.new("RGB", (300, 200), (0, 0, 0))
    mask = np.zeros((200, 300), dtype=bool)
    mask[120:180, 200:260] = True  # the body
    mask[2:4, 10:12] = True  # stray pixels far away: the mask's box starts at (10, 2)
    overlay = np.asarray(render_overlay(image, [Instance("red circle", 0.5, CroppedMask.from_full(mask), id=1)]))
    colour = np.array(colour_for(1))
    painted = (overlay == colour).all(axis=2)
    assert painted[100:120, 200:260].any(), "no label just above the body"
    assert not painted[4:30, 10:120].any(), "the label floats at the stray pixels"


def test_the_fast_png_decodes_to_the_same_pixels_in_every_mode():
    """The chat's overlay is written by `fast_png` (one Up filter, zlib level 1), not Pillow's encoder: lossless
    in the modes it writes itself and in those it hands to Pillow."""
    import io

    from segchat.agent.outputs.png import fast_png

    rng = np.random.default_rng(7)
    for mode, shape in (("RGB", (37, 53, 3)), ("RGBA", (5, 9, 4)), ("L", (16, 3)), ("RGB", (1, 1, 3))):
        pixels = rng.integers(0, 256, shape, dtype=np.uint8)
        decoded = Image.open(io.BytesIO(fast_png(Image.fromarray(pixels, mode))))
        assert decoded.mode == mode and np.array_equal(np.asarray(decoded), pixels), mode
    palette = Image.fromarray(rng.integers(0, 4, (6, 6), dtype=np.uint8), "P")  # not written here: Pillow's
    decoded = Image.open(io.BytesIO(fast_png(palette)))
    assert np.array_equal(np.asarray(decoded.convert("RGB")), np.asarray(palette.convert("RGB")))
