"""What the segmenter returns: one found instance of a phrase."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Instance:
    """One instance of `phrase`.

    mask (np.ndarray): HxW bool at the original image size.
    box: (x0, y0, x1, y1) in pixels of the original image.
    """

    phrase: str
    score: float
    box: tuple[float, float, float, float]
    mask: np.ndarray

    @property
    def area(self) -> int:
        return int(self.mask.sum())
