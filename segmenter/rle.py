"""COCO run-length encoding of boolean masks, through pycocotools."""

from __future__ import annotations

import numpy as np
from pycocotools import mask as mask_utils


def mask_to_rle(mask: np.ndarray) -> dict[str, object]:
    """HxW bool mask -> {"size": [h, w], "counts": str} (compressed COCO RLE)."""
    if mask.ndim != 2:
        raise ValueError(f"expected an HxW mask, got shape {mask.shape}")
    encoded = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(encoded["size"][0]), int(encoded["size"][1])], "counts": encoded["counts"].decode("ascii")}


def rle_to_mask(rle: dict[str, object]) -> np.ndarray:
    """{"size": [h, w], "counts": str|bytes|list} -> HxW bool mask."""
    counts = rle["counts"]
    size = [int(v) for v in rle["size"]]  # type: ignore[union-attr]
    if isinstance(counts, list):
        coded = mask_utils.frPyObjects({"size": size, "counts": counts}, size[0], size[1])
    else:
        coded = {"size": size, "counts": counts.encode("ascii") if isinstance(counts, str) else counts}
    return mask_utils.decode(coded).astype(bool)


def mask_box(mask: np.ndarray) -> tuple[float, float, float, float]:
    """Tight xyxy box of a mask's pixels (x1, y1 exclusive); zeros for an empty mask."""
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return (0.0, 0.0, 0.0, 0.0)
    return (float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1))
