"""The overlay: the image with coloured masks, outlines and numbered labels (CJK-capable font)."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

from agent.found import Found
from segmenter.masks import CroppedMask

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


def colour_for(instance_id: int) -> tuple[int, int, int]:
    return PALETTE[(instance_id - 1) % len(PALETTE)]


def render_overlay(image: Image.Image, instances: list[Found], labels: dict[int, str] | None = None,
                   alpha: float = 0.45) -> Image.Image:
    """`image` with each instance's mask tinted, outlined and labelled '#id label score'."""
    out = np.asarray(image.convert("RGB"), dtype=np.uint8).copy()
    height, width = out.shape[:2]
    for item in instances:
        # everything happens inside the instance's crop (plus one pixel for the outline)
        crop = item.crop() if hasattr(item, "crop") else CroppedMask.from_full(item.mask)
        if crop.area == 0:
            continue
        ch, cw = crop.crop.shape
        y0, x0 = max(0, crop.y0 - 1), max(0, crop.x0 - 1)
        y1, x1 = min(height, crop.y0 + ch + 1), min(width, crop.x0 + cw + 1)
        local = np.zeros((y1 - y0, x1 - x0), dtype=bool)
        local[crop.y0 - y0:crop.y0 - y0 + ch, crop.x0 - x0:crop.x0 - x0 + cw] = crop.crop
        region = out[y0:y1, x0:x1]
        colour = np.array(colour_for(item.id), dtype=np.float32)
        region[local] = (region[local] * (1 - alpha) + colour * alpha).astype(np.uint8)
        grown = ndimage.binary_dilation(local)
        region[grown & ~local] = colour.astype(np.uint8)
    canvas = Image.fromarray(out)
    draw = ImageDraw.Draw(canvas)
    size = max(12, min(28, int(min(canvas.size) / 28)))
    font = label_font(size)
    for item in instances:
        text = f"#{item.id} {(labels or {}).get(item.id, item.label)} {item.score:.2f}"
        x0, y0, _, _ = item.box
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        width, height = right - left + 6, bottom - top + 4
        x = int(min(max(0, x0), max(0, canvas.width - width)))
        y = int(y0 - height if y0 - height >= 0 else min(y0, canvas.height - height))
        draw.rectangle([x, y, x + width, y + height], fill=colour_for(item.id))
        draw.text((x + 3 - left, y + 2 - top), text, fill=(255, 255, 255), font=font, stroke_width=1,
                  stroke_fill=(0, 0, 0))
    return canvas


def mask_png(mask: np.ndarray) -> Image.Image:
    """A mask as an 8-bit PNG image (0 / 255)."""
    return Image.fromarray(mask.astype(np.uint8) * 255)
