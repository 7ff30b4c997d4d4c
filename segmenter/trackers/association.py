"""Matching this frame's detections to existing tracks: mask IoU against a constant-velocity prediction, gated,
solved one-to-one by the Hungarian algorithm. Pure functions on masks, tested alone."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from segchat.segmenter.masks import CroppedMask

_FORBIDDEN = 1e6  # the cost of a pair the gate rules out


def shifted(mask: CroppedMask, dx: float, dy: float) -> CroppedMask:
    """The same mask moved by (dx, dy) pixels, rounded; only the crop's offset changes (no pixels are copied), and
    the crop may lie partly outside the image (intersections only count the overlap)."""
    t = mask.tight()
    return CroppedMask(t.crop, t.y0 + int(round(dy)), t.x0 + int(round(dx)), t.size, True)


def _boxes_overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def iou_matrix(predicted: Sequence[Sequence[CroppedMask]], detections: Sequence[CroppedMask]) -> np.ndarray:
    """T x D float64: for each track, the best mask IoU of any of its predicted masks (e.g. moved by its velocity, and
    where it was last seen) with each detection. Pairs whose boxes do not overlap cost nothing to rule out."""
    out = np.zeros((len(predicted), len(detections)), dtype=np.float64)
    det_boxes = [d.box() for d in detections]
    for i, candidates in enumerate(predicted):
        boxes = [c.box() for c in candidates]
        for j, det in enumerate(detections):
            best = 0.0
            for cand, box in zip(candidates, boxes):
                if _boxes_overlap(box, det_boxes[j]):
                    best = max(best, cand.iou(det))
            out[i, j] = best
    return out


def match(iou: np.ndarray, min_iou: float) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """One-to-one assignment maximising the summed IoU among pairs with IoU >= min_iou.

    Returns (matches as (track, detection) pairs, unmatched tracks, unmatched detections)."""
    n_tracks, n_dets = iou.shape
    if n_tracks == 0 or n_dets == 0:
        return [], list(range(n_tracks)), list(range(n_dets))
    cost = np.where(iou >= min_iou, 1.0 - iou, _FORBIDDEN)
    rows, cols = linear_sum_assignment(cost)
    pairs = [(int(r), int(c)) for r, c in zip(rows, cols) if cost[r, c] < _FORBIDDEN]
    matched_tracks = {r for r, _ in pairs}
    matched_dets = {c for _, c in pairs}
    return (pairs, [i for i in range(n_tracks) if i not in matched_tracks],
            [j for j in range(n_dets) if j not in matched_dets])
