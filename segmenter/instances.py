"""The one instance type, from the segmenter through the agent: a found object whose mask is kept as its crop."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from segchat.segmenter.masks import CroppedMask


@dataclass(eq=False)
class Instance:
    """One instance of `phrase` in an image.

    mask (CroppedMask): the binary mask at the original image size, stored as its bounding crop; full-size arrays
        are made only where something is exported or drawn (`mask.full()`).
    phrase: what SAM3 was asked for; label: what the answer calls it (a target's phrase, when an alternate or a
        more general phrase found it); id: the number an answer gives it (0 until then).
    model_box: SAM3's own regressed box (x0, y0, x1, y1) in pixels; `box` is the mask's tight box, which is what
        every face reports.
    """

    phrase: str
    score: float
    mask: CroppedMask
    label: str = ""
    id: int = 0
    model_box: tuple[float, float, float, float] | None = None

    def __post_init__(self) -> None:
        if not self.label:
            self.label = self.phrase

    def but(self, **changes) -> Instance:
        """A copy with some fields changed (the mask is shared, not copied)."""
        return dataclasses.replace(self, **changes)

    @property
    def size(self) -> tuple[int, int]:
        return self.mask.size

    @property
    def area(self) -> int:
        return self.mask.area

    @cached_property
    def box(self) -> tuple[float, float, float, float]:
        """Tight xyxy box of the mask (x1, y1 exclusive)."""
        return self.mask.box()

    @cached_property
    def centroid(self) -> tuple[float, float]:
        """(x, y) mean of the mask's pixels; the box centre for an empty mask."""
        tight = self.mask.tight()
        ys, xs = np.nonzero(tight.crop)
        if len(xs) == 0:
            x0, y0, x1, y1 = self.box
            return ((x0 + x1) / 2, (y0 + y1) / 2)
        return (float(xs.mean()) + tight.x0, float(ys.mean()) + tight.y0)

    def __repr__(self) -> str:
        return f"Instance(#{self.id} {self.label!r}, score={self.score:.3f}, box={self.box}, area={self.area})"


def mask_iou(a: Instance, b: Instance) -> float:
    return a.mask.iou(b.mask)


def covered_fraction(a: Instance, b: Instance) -> float:
    """How much of `a`'s area lies inside `b`'s mask."""
    return a.mask.intersection(b.mask) / a.area if a.area else 0.0
