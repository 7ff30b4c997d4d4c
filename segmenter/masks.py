"""Masks stored as their bounding crop, and the crop-only work on them: bilinear upsampling and COCO RLE.

Upsampling a low-resolution mask to a megapixel image costs the whole image per mask; an object covers a small
part of it, so everything here costs the object's crop instead and gives the same pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from pycocotools import mask as mask_utils


@dataclass(eq=False)
class CroppedMask:
    """A binary mask of `size` = (H, W) that is zero outside `crop` (bool h x w) placed at (y0, x0)."""

    crop: np.ndarray
    y0: int
    x0: int
    size: tuple[int, int]

    @classmethod
    def from_full(cls, mask: np.ndarray) -> "CroppedMask":
        ys = np.flatnonzero(mask.any(axis=1))
        if len(ys) == 0:
            return cls(np.zeros((0, 0), dtype=bool), 0, 0, mask.shape)
        xs = np.flatnonzero(mask.any(axis=0))
        return cls(mask[ys[0]:ys[-1] + 1, xs[0]:xs[-1] + 1].copy(), int(ys[0]), int(xs[0]), mask.shape)

    @cached_property
    def area(self) -> int:
        return int(self.crop.sum())

    def full(self) -> np.ndarray:
        out = np.zeros(self.size, dtype=bool)
        h, w = self.crop.shape
        out[self.y0:self.y0 + h, self.x0:self.x0 + w] = self.crop
        return out

    def tight(self) -> "CroppedMask":
        """The same mask with its crop shrunk to the pixels that are set."""
        if self.crop.size == 0 or self.crop.all():
            return self
        inner = CroppedMask.from_full(self.crop)
        return CroppedMask(inner.crop, self.y0 + inner.y0, self.x0 + inner.x0, self.size)

    def box(self) -> tuple[float, float, float, float]:
        """Tight xyxy box (x1, y1 exclusive); zeros when empty."""
        t = self.tight()
        if t.area == 0:
            return (0.0, 0.0, 0.0, 0.0)
        h, w = t.crop.shape
        return (float(t.x0), float(t.y0), float(t.x0 + w), float(t.y0 + h))

    def rle(self) -> dict[str, object]:
        """Compressed COCO RLE of the full mask, computed from the crop alone."""
        height, width = self.size
        t = self.tight()
        h, w = t.crop.shape
        if t.area == 0:
            counts = [height * width]
        else:
            # column-major runs: pad each crop column with a zero above and below, find the value changes
            padded = np.zeros((h + 2, w), dtype=bool)
            padded[1:-1] = t.crop
            flat = padded.T.ravel()
            change = np.flatnonzero(flat[1:] != flat[:-1])  # position i: value changes between i and i+1
            column, row = np.divmod(change + 1, h + 2)
            full_index = (t.x0 + column) * height + (t.y0 + row - 1)
            # a crop that spans the full height ends one column and starts the next at the same index:
            # that pair of changes cancels out
            values, repeats = np.unique(full_index, return_counts=True)
            full_index = values[(repeats % 2 == 1) & (values < height * width)]
            bounds = np.concatenate(([0], full_index, [height * width]))
            counts = np.diff(bounds).tolist()
        encoded = mask_utils.frPyObjects({"size": [height, width], "counts": counts}, height, width)
        return {"size": [height, width], "counts": encoded["counts"].decode("ascii")}


def _bilinear_weights(out_start: int, out_stop: int, in_size: int, out_size: int) -> tuple[np.ndarray, int]:
    """Rows of PyTorch's bilinear (align_corners=False) weights for outputs [out_start, out_stop).

    Returns (weights of shape (n_out, n_in_window), first input index of the window).
    """
    scale = in_size / out_size
    dst = np.arange(out_start, out_stop, dtype=np.float64)
    src = np.maximum((dst + 0.5) * scale - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    i1 = np.minimum(i0 + 1, in_size - 1)
    w1 = (src - i0).astype(np.float32)
    w0 = 1.0 - w1
    first, last = int(i0.min()), int(i1.max())
    weights = np.zeros((len(dst), last - first + 1), dtype=np.float32)
    rows = np.arange(len(dst))
    np.add.at(weights, (rows, i0 - first), w0)
    np.add.at(weights, (rows, i1 - first), w1)
    return weights, first


def upsample_to_crop(probs: np.ndarray, size: tuple[int, int], threshold: float) -> CroppedMask:
    """Bilinearly upsample a low-resolution probability map (h x w float) to `size` and threshold it (> threshold),
    computing only the crop that can exceed the threshold: the result equals F.interpolate + threshold."""
    height, width = size
    low_h, low_w = probs.shape
    positive = probs > threshold
    rows = np.flatnonzero(positive.any(axis=1))
    if len(rows) == 0:
        return CroppedMask(np.zeros((0, 0), dtype=bool), 0, 0, size)
    cols = np.flatnonzero(positive.any(axis=0))
    sy, sx = low_h / height, low_w / width

    def out_range(lo: int, hi: int, scale: float, out_size: int) -> tuple[int, int]:
        # every output whose source coordinate falls within [lo - 1, hi + 1] of the input grid
        start = max(0, math.floor((lo - 1 + 0.5) / scale - 0.5) - 1)
        stop = min(out_size, math.ceil((hi + 1 + 0.5) / scale - 0.5) + 2)
        return start, stop

    r0, r1 = out_range(int(rows[0]), int(rows[-1]), sy, height)
    c0, c1 = out_range(int(cols[0]), int(cols[-1]), sx, width)
    wy, first_row = _bilinear_weights(r0, r1, low_h, height)
    wx, first_col = _bilinear_weights(c0, c1, low_w, width)
    window = probs[first_row:first_row + wy.shape[1], first_col:first_col + wx.shape[1]].astype(np.float32)
    crop = (wy @ window @ wx.T) > threshold
    return CroppedMask(crop, r0, c0, size).tight()
