"""An instance as the agent handles it: a segmenter instance plus a stable id, with its geometry."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from segchat.segmenter.masks import CroppedMask


@dataclass(eq=False)
class Found:
    """One instance in an answer.

    mask (np.ndarray): HxW bool at the original image size.
    label: the phrase the instance answers (the target's phrase, even when an alternate found it).
    """

    label: str
    score: float
    mask: np.ndarray
    id: int = 0
    phrase: str = ""  # the phrase SAM3 actually matched
    cropped: CroppedMask | None = None  # the same mask as its bounding crop, when the segmenter gave one

    def crop(self) -> CroppedMask:
        if self.cropped is None:
            self.cropped = CroppedMask.from_full(self.mask)
        return self.cropped

    @cached_property
    def area(self) -> int:
        return self.crop().area

    @cached_property
    def box(self) -> tuple[float, float, float, float]:
        """Tight xyxy box of the mask."""
        return self.crop().box()

    @cached_property
    def centroid(self) -> tuple[float, float]:
        ys, xs = np.nonzero(self.mask)
        if len(xs) == 0:
            x0, y0, x1, y1 = self.box
            return ((x0 + x1) / 2, (y0 + y1) / 2)
        return (float(xs.mean()), float(ys.mean()))


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 0.0


def covered_fraction(a: np.ndarray, b: np.ndarray) -> float:
    """How much of `a`'s area lies inside `b`."""
    area = a.sum()
    return float(np.logical_and(a, b).sum() / area) if area else 0.0
