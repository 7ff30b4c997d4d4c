"""Masks stored as their bounding crop, and the crop-only work on them: bilinear upsampling and COCO RLE.

Upsampling a low-resolution mask to a megapixel image costs the whole image per mask; an object covers a small
part of it, so everything here costs the object's crop instead and gives the same pixels.
"""

from __future__ import annotations

import functools
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
    is_tight: bool = False  # the crop is known to be the mask's exact bounding box

    @classmethod
    def from_full(cls, mask: np.ndarray) -> "CroppedMask":
        ys = np.flatnonzero(mask.any(axis=1))
        if len(ys) == 0:
            return cls(np.zeros((0, 0), dtype=bool), 0, 0, mask.shape)
        xs = np.flatnonzero(mask.any(axis=0))
        return cls(mask[ys[0]:ys[-1] + 1, xs[0]:xs[-1] + 1].copy(), int(ys[0]), int(xs[0]), mask.shape, True)

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
        if self.is_tight or self.crop.size == 0:
            return self
        inner = CroppedMask.from_full(self.crop)
        return CroppedMask(inner.crop, self.y0 + inner.y0, self.x0 + inner.x0, self.size, True)

    def box(self) -> tuple[float, float, float, float]:
        """Tight xyxy box (x1, y1 exclusive); zeros when empty."""
        t = self.tight()
        if t.area == 0:
            return (0.0, 0.0, 0.0, 0.0)
        h, w = t.crop.shape
        return (float(t.x0), float(t.y0), float(t.x0 + w), float(t.y0 + h))

    @classmethod
    def empty(cls, size: tuple[int, int]) -> "CroppedMask":
        return cls(np.zeros((0, 0), dtype=bool), 0, 0, size, True)

    @classmethod
    def from_rle(cls, rle: dict[str, object]) -> "CroppedMask":
        from segchat.segmenter.rle import rle_to_mask

        return cls.from_full(rle_to_mask(rle))

    def intersection(self, other: "CroppedMask") -> int:
        """Pixels set in both masks, counted over the overlap of the two crops only."""
        a, b = self.tight(), other.tight()
        (ah, aw), (bh, bw) = a.crop.shape, b.crop.shape
        y0, x0 = max(a.y0, b.y0), max(a.x0, b.x0)
        y1, x1 = min(a.y0 + ah, b.y0 + bh), min(a.x0 + aw, b.x0 + bw)
        if y1 <= y0 or x1 <= x0:
            return 0
        return int(np.count_nonzero(a.crop[y0 - a.y0:y1 - a.y0, x0 - a.x0:x1 - a.x0]
                                    & b.crop[y0 - b.y0:y1 - b.y0, x0 - b.x0:x1 - b.x0]))

    def iou(self, other: "CroppedMask") -> float:
        inter = self.intersection(other)
        union = self.area + other.area - inter
        return inter / union if union else 0.0

    def pixels_in_box(self, box: tuple[float, float, float, float]) -> int:
        """Pixels of the mask inside the xyxy box (integer-truncated, as array slicing would)."""
        t = self.tight()
        h, w = t.crop.shape
        x0, y0, x1, y1 = (int(v) for v in box)
        ys0, ys1 = max(y0, t.y0), min(y1, t.y0 + h)
        xs0, xs1 = max(x0, t.x0), min(x1, t.x0 + w)
        if ys1 <= ys0 or xs1 <= xs0:
            return 0
        return int(np.count_nonzero(t.crop[ys0 - t.y0:ys1 - t.y0, xs0 - t.x0:xs1 - t.x0]))

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
            if h == height:
                # a crop that spans the full height ends one column and starts the next at the same index:
                # that pair of changes cancels out
                values, repeats = np.unique(full_index, return_counts=True)
                full_index = values[repeats % 2 == 1]
            # otherwise the indices are distinct and already in order
            full_index = full_index[full_index < height * width]
            bounds = np.concatenate(([0], full_index, [height * width]))
            counts = np.diff(bounds).tolist()
        encoded = mask_utils.frPyObjects({"size": [height, width], "counts": counts}, height, width)
        return {"size": [height, width], "counts": encoded["counts"].decode("ascii")}


@functools.lru_cache(maxsize=64)
def _axis_weights(in_size: int, out_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """PyTorch's bilinear (align_corners=False) source indices and weights along one axis, in float32 as it does:
    (i0, i1, w0, w1), each of length `out_size`."""
    scale = np.float32(in_size / out_size)
    src = np.maximum(scale * (np.arange(out_size, dtype=np.float32) + np.float32(0.5)) - np.float32(0.5), np.float32(0))
    i0 = np.minimum(src.astype(np.int64), in_size - 1)
    i1 = np.minimum(i0 + 1, in_size - 1)
    w1 = (src - i0.astype(np.float32)).astype(np.float32)
    w0 = (np.float32(1) - w1).astype(np.float32)
    return i0, i1, w0, w1


def upsample_to_crop(logits: np.ndarray, size: tuple[int, int], threshold: float,
                     extent: tuple[np.ndarray, np.ndarray] | None = None) -> CroppedMask:
    """sigmoid, bilinear upsampling to `size` and `> threshold` of a low-resolution logit map (h x w), computing only
    the crop that can pass the threshold: the result equals sigmoid + F.interpolate + threshold on the whole image.

    `extent` = (rows, columns) of the low-resolution map that pass the threshold (bool vectors), when the caller has
    them already for many masks at once."""
    height, width = size
    low_h, low_w = logits.shape
    if not 0.0 < threshold < 1.0:
        raise ValueError("the mask threshold must be strictly between 0 and 1")
    if extent is None:
        positive = logits > math.log(threshold / (1.0 - threshold))  # sigmoid(x) > t, without the sigmoid
        extent = (positive.any(axis=1), positive.any(axis=0))
    rows = np.flatnonzero(extent[0])
    if len(rows) == 0:
        return CroppedMask(np.zeros((0, 0), dtype=bool), 0, 0, size)
    cols = np.flatnonzero(extent[1])
    sy, sx = low_h / height, low_w / width

    def out_range(lo: int, hi: int, scale: float, out_size: int) -> tuple[int, int]:
        # every output whose source coordinate falls within [lo - 1, hi + 1] of the input grid
        start = max(0, math.floor((lo - 1 + 0.5) / scale - 0.5) - 1)
        stop = min(out_size, math.ceil((hi + 1 + 0.5) / scale - 0.5) + 2)
        return start, stop

    r0, r1 = out_range(int(rows[0]), int(rows[-1]), sy, height)
    c0, c1 = out_range(int(cols[0]), int(cols[-1]), sx, width)
    yi0, yi1, yw0, yw1 = (a[r0:r1] for a in _axis_weights(low_h, height))
    xi0, xi1, xw0, xw1 = (a[c0:c1] for a in _axis_weights(low_w, width))
    top, left = int(yi0[0]), int(xi0[0])
    window = logits[top:int(yi1[-1]) + 1, left:int(xi1[-1]) + 1].astype(np.float32)
    with np.errstate(over="ignore"):  # exp of a very negative logit overflows to inf: the sigmoid is then exactly 0
        window = np.float32(1) / (np.float32(1) + np.exp(-window))
    # the same order of operations as PyTorch: along x first, then h0 * row0 + h1 * row1
    along_x = window[:, xi0 - left] * xw0 + window[:, xi1 - left] * xw1
    values = yw0[:, None] * along_x[yi0 - top] + yw1[:, None] * along_x[yi1 - top]
    crop = values > threshold
    return CroppedMask(crop, r0, c0, size).tight()
