"""Concepts remembered across images: "remember #2 as the blue widget", then "find the blue widget" anywhere.

A concept is its phrase plus an exemplar: the instance's crop with its box. On a new image the crop is placed beside
the image on one canvas and SAM3 is prompted with the phrase and the crop's box (how SAM3's maintainers suggest
carrying an exemplar across images); only what is found inside the new image is kept. The cost: one encode of a
larger canvas instead of the image.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from segchat.segmenter.instances import Instance
from segchat.segmenter.masks import CroppedMask
from segchat.segmenter.prompts import Exemplar

CROP_MARGIN = 0.25  # context kept around the exemplar, as a share of its size
CANVAS_GAP = 8  # pixels between the image and the exemplar column
FILL = (128, 128, 128)


def normalized_name(name: str) -> str:
    return " ".join(name.lower().split()).strip(" .!?。！？")


@dataclass
class Concept:
    name: str
    phrase: str
    crop: Image.Image
    box: tuple[float, float, float, float]  # the exemplar's box inside `crop`

    @classmethod
    def from_instance(cls, name: str, image: Image.Image, instance: Instance) -> "Concept":
        x0, y0, x1, y1 = instance.box
        pad_x, pad_y = CROP_MARGIN * (x1 - x0), CROP_MARGIN * (y1 - y0)
        left, top = max(0, int(x0 - pad_x)), max(0, int(y0 - pad_y))
        right, bottom = min(image.width, int(x1 + pad_x) + 1), min(image.height, int(y1 + pad_y) + 1)
        return cls(name=normalized_name(name), phrase=instance.label,
                   crop=image.crop((left, top, right, bottom)).convert("RGB"),
                   box=(x0 - left, y0 - top, x1 - left, y1 - top))

    @classmethod
    def from_record(cls, record: dict) -> "Concept":
        with Image.open(io.BytesIO(record["crop"])) as crop:
            return cls(record["name"], record["phrase"], crop.convert("RGB"), tuple(record["box"]))

    def crop_png(self) -> bytes:
        buffer = io.BytesIO()
        self.crop.save(buffer, format="PNG")
        return buffer.getvalue()


@dataclass
class ExemplarCanvas:
    """The image with the concepts' crops in a column on its right; `boxes[i]` is concept i's exemplar on it."""

    canvas: Image.Image
    boxes: list[Exemplar]
    size: tuple[int, int]  # (height, width) of the original image, at the canvas's top-left

    @classmethod
    def build(cls, image: Image.Image, concepts: list[Concept]) -> "ExemplarCanvas":
        crops, boxes = [], []
        for concept in concepts:  # a crop taller than a share of the image is scaled down to fit the column
            scale = min(1.0, image.height / max(1, len(concepts)) / concept.crop.height)
            crop = concept.crop.resize((max(1, round(concept.crop.width * scale)),
                                        max(1, round(concept.crop.height * scale)))) if scale < 1 else concept.crop
            crops.append((crop, scale, concept))
        column = max(c.width for c, _, _ in crops)
        canvas = Image.new("RGB", (image.width + CANVAS_GAP + column, max(image.height, sum(c.height for c, _, _ in crops))),
                           FILL)
        canvas.paste(image.convert("RGB"), (0, 0))
        top = 0
        for crop, scale, concept in crops:
            left = image.width + CANVAS_GAP
            canvas.paste(crop, (left, top))
            x0, y0, x1, y1 = concept.box
            boxes.append(Exemplar(box=(left + x0 * scale, top + y0 * scale, left + x1 * scale, top + y1 * scale)))
            top += crop.height
        return cls(canvas, boxes, (image.height, image.width))

    def inside_image(self, instances: list[Instance]) -> list[Instance]:
        """The instances found inside the original image (mostly), with masks re-cut to the image's size; what was
        found on the exemplar column is dropped."""
        kept = []
        for inst in instances:
            clipped = clip_mask(inst.mask, self.size)
            if clipped.area and clipped.area >= 0.5 * inst.area:
                kept.append(inst.but(mask=clipped))
        return kept


def clip_mask(mask: CroppedMask, size: tuple[int, int]) -> CroppedMask:
    """The part of `mask` inside the top-left `size` = (height, width) of its image, as a mask of that size."""
    height, width = size
    tight = mask.tight()
    h, w = tight.crop.shape
    y1, x1 = min(height, tight.y0 + h), min(width, tight.x0 + w)
    if y1 <= tight.y0 or x1 <= tight.x0:
        return CroppedMask.empty(size)
    return CroppedMask(tight.crop[:y1 - tight.y0, :x1 - tight.x0].copy(), tight.y0, tight.x0, size).tight()
