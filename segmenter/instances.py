"""What the segmenter returns: one found instance of a phrase."""

from __future__ import annotations

import numpy as np

from segchat.segmenter.masks import CroppedMask


class Instance:
    """One instance of `phrase`.

    mask (np.ndarray): HxW bool at the original image size (built on first use from `cropped`).
    cropped (CroppedMask): the same mask as its bounding crop, which is what RLE and overlays use.
    box: (x0, y0, x1, y1) in pixels of the original image.
    """

    def __init__(self, phrase: str, score: float, box: tuple[float, float, float, float],
                 mask: np.ndarray | None = None, *, cropped: CroppedMask | None = None) -> None:
        if (mask is None) == (cropped is None):
            raise ValueError("give exactly one of mask and cropped")
        self.phrase = phrase
        self.score = score
        self.box = box
        self._mask = mask
        self._cropped = cropped

    @property
    def mask(self) -> np.ndarray:
        if self._mask is None:
            self._mask = self._cropped.full()
        return self._mask

    @property
    def cropped(self) -> CroppedMask:
        if self._cropped is None:
            self._cropped = CroppedMask.from_full(self._mask)
        return self._cropped

    @property
    def area(self) -> int:
        return self.cropped.area

    def __repr__(self) -> str:
        return f"Instance({self.phrase!r}, score={self.score:.3f}, box={self.box}, area={self.area})"
