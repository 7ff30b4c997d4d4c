"""The overlay: the image with coloured masks, outlines and numbered labels (CJK-capable font)."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

from segchat.segmenter.instances import Instance
from segchat.segmenter.masks import CroppedMask

PALETTE = [(230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48), (145, 30, 180),
           (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212), (0, 128, 128), (220, 190, 255),
           (170, 110, 40), (128, 0, 0), (170, 255, 195), (128, 128, 0)]
CJK_FONTS = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
]


@functools.lru_cache(maxsize=8)
def label_font(size: int) -> ImageFont.ImageFont:
    """A font that renders Chinese when one is installed (fonts-wqy-microhei on Debian), else Pillow's own."""
    for path in CJK_FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def label_anchor(crop: CroppedMask, sparse_fill: float = 0.25) -> tuple[int, int]:
    """Top-left corner of the part of a mask its label should sit on.

    A compact mask's own box; for a sparse one (a mask with stray pixels far from its body fills little of its
    box) the box of its largest connected part, so the label does not float over empty image.
    """
    crop = crop.tight()
    if crop.area >= sparse_fill * crop.crop.size:
        return crop.x0, crop.y0
    parts, count = ndimage.label(crop.crop)
    if count <= 1:
        return crop.x0, crop.y0
    largest = int(np.argmax(np.bincount(parts.ravel())[1:])) + 1
    rows, cols = ndimage.find_objects(parts)[largest - 1]
    return crop.x0 + cols.start, crop.y0 + rows.start


def colour_for(instance_id: int) -> tuple[int, int, int]:
    return PALETTE[(instance_id - 1) % len(PALETTE)]


def render_overlay(image: Image.Image, instances: list[Instance], labels: dict[int, str] | None = None,
                   alpha: float = 0.45) -> Image.Image:
    """`image` with each instance's mask tinted, outlined and labelled '#id label score'.

    Works inside each instance's bounding crop only, so a hundred instances on a megapixel image stay cheap.
    """
    canvas = image.copy() if image.mode == "RGB" else image.convert("RGB")
    width, height = canvas.size
    tint = int(round(alpha * 255))
    anchors: dict[int, tuple[int, int]] = {}
    for item in instances:
        crop = item.mask
        if crop.area == 0:
            continue
        anchors[item.id] = label_anchor(crop)
        mask = crop.crop
        # the outline is the mask's own border: its pixels with a 4-neighbour outside the mask
        inner = mask.copy()
        inner[1:] &= mask[:-1]
        inner[:-1] &= mask[1:]
        inner[:, 1:] &= mask[:, :-1]
        inner[:, :-1] &= mask[:, 1:]
        inner[0] = inner[-1] = False
        inner[:, 0] = inner[:, -1] = False
        # one L-mode weight map: 255 on the outline, the tint inside, 0 outside; PIL blends in C
        weights = mask.view(np.uint8) * np.uint8(255)
        weights -= inner.view(np.uint8) * np.uint8(255 - tint)
        ch, cw = mask.shape
        canvas.paste(colour_for(item.id), (crop.x0, crop.y0, crop.x0 + cw, crop.y0 + ch), Image.fromarray(weights))
    size = max(12, min(28, int(min(width, height) / 28)))
    font = label_font(size)
    for item in instances:
        text = f"#{item.id} {(labels or {}).get(item.id, item.label)} {item.score:.2f}"
        glyphs = text_mask(text, font)
        text_h, text_w = glyphs.shape
        box_w, box_h = text_w + 6, text_h + 4
        bx0, by0 = anchors.get(item.id, item.box[:2])
        x = int(min(max(0, bx0), max(0, width - box_w)))
        y = int(by0 - box_h if by0 - box_h >= 0 else min(by0, max(0, height - box_h)))
        canvas.paste(colour_for(item.id), (x, y, x + box_w, y + box_h))
        canvas.paste((255, 255, 255), (x + 3, y + 2, x + 3 + text_w, y + 2 + text_h), Image.fromarray(glyphs))
    return canvas


@functools.lru_cache(maxsize=4096)
def _glyph(char: str, font: ImageFont.ImageFont) -> np.ndarray:
    """One character's coverage bitmap (0-255), full line height, advance width wide."""
    ascent, descent = font.getmetrics() if hasattr(font, "getmetrics") else (font.size, 0)
    advance = max(1, int(round(font.getlength(char))))
    image = Image.new("L", (advance, ascent + descent), 0)
    ImageDraw.Draw(image).text((0, 0), char, fill=255, font=font)
    return np.asarray(image)


def text_mask(text: str, font: ImageFont.ImageFont) -> np.ndarray:
    """A label's coverage bitmap, composed from cached glyphs (labels are drawn a hundred at a time)."""
    pieces = [_glyph(char, font) for char in text]
    return np.concatenate(pieces, axis=1) if pieces else np.zeros((1, 1), np.uint8)
