"""The execution rules SAM3 cannot do itself: union and de-duplication, relations, exclusions, selection.

Pure functions over `Instance` lists, computed on the masks' crops; none of them returns an instance that was not in
its input.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TypeVar

from segchat.contracts.plan import Relation, Select
from segchat.segmenter.instances import Instance, covered_fraction, mask_iou

T = TypeVar("T")

DUPLICATE_IOU = 0.7  # two masks this similar are one object
EXCLUDE_OVERLAP = 0.6  # an instance mostly covered by an excluded phrase's instance is dropped


def deduplicate(found: list[Instance], iou: float = DUPLICATE_IOU) -> list[Instance]:
    """Keep the best-scored of every group of masks that overlap by more than `iou` (order: by score)."""
    kept: list[Instance] = []
    for item in sorted(found, key=lambda f: -f.score):
        if all(mask_iou(item, other) <= iou for other in kept):
            kept.append(item)
    return kept


def merge(base: list[Instance], extra: list[Instance], iou: float = DUPLICATE_IOU) -> list[Instance]:
    """`base` plus the instances of `extra` that are not already in it (same object = mask IoU > `iou`)."""
    merged = list(base)
    for item in extra:
        if all(mask_iou(item, other) <= iou for other in merged):
            merged.append(item)
    return merged


def _box_gap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    dx = max(0.0, max(a[0], b[0]) - min(a[2], b[2]))
    dy = max(0.0, max(a[1], b[1]) - min(a[3], b[3]))
    return math.hypot(dx, dy)


def _horizontal_overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Overlap of the x-extents, as a fraction of the narrower one."""
    inter = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    narrow = max(1e-6, min(a[2] - a[0], b[2] - b[0]))
    return inter / narrow


def relation_holds(kind: str, subject: Instance, anchor: Instance) -> bool:
    """Whether `subject` stands in relation `kind` to `anchor`, judged from masks and boxes alone."""
    if subject is anchor or mask_iou(subject, anchor) > 0.5:
        return False
    s, a = subject.box, anchor.box
    (scx, scy), (acx, acy) = subject.centroid, anchor.centroid
    a_w, a_h = a[2] - a[0], a[3] - a[1]
    s_size = math.sqrt(max(1, subject.area))
    a_size = math.sqrt(max(1, anchor.area))
    if kind == "left_of":
        return scx < a[0] + 0.25 * a_w and scx < acx
    if kind == "right_of":
        return scx > a[2] - 0.25 * a_w and scx > acx
    if kind == "above":
        return scy < a[1] + 0.25 * a_h and scy < acy and _horizontal_overlap(s, a) > 0 or (
            s[3] <= a[1] + 0.1 * a_h and abs(scx - acx) < a_w)
    if kind == "below":
        return scy > a[3] - 0.25 * a_h and scy > acy and _horizontal_overlap(s, a) > 0 or (
            s[1] >= a[3] - 0.1 * a_h and abs(scx - acx) < a_w)
    if kind == "near":
        return _box_gap(s, a) <= 0.75 * max(s_size, a_size)
    if kind == "on":
        # resting on the anchor: above its centre, bottom edge within its top part, overlapping horizontally
        return (scy < acy and _horizontal_overlap(s, a) >= 0.5 and s[3] >= a[1] - 0.15 * a_h
                and s[3] <= a[1] + 0.75 * a_h)
    if kind == "in":
        return subject.area > 0 and subject.mask.pixels_in_box(a) >= 0.6 * subject.area
    if kind in ("holding", "wearing"):
        # the held or worn thing lies mostly on (or right against) the subject
        x0, y0, x1, y1 = (int(v) for v in s)
        pad = int(0.1 * max(x1 - x0, y1 - y0))
        padded = (max(0, x0 - pad), max(0, y0 - pad), x1 + pad, y1 + pad)
        return anchor.area > 0 and anchor.mask.pixels_in_box(padded) >= 0.5 * anchor.area
    raise ValueError(f"unknown relation {kind}")


def apply_relation(found: list[Instance], relation: Relation | None, anchors: list[Instance]) -> list[Instance]:
    """Keep the instances that stand in `relation` to at least one anchor instance."""
    if relation is None:
        return found
    return [f for f in found if any(relation_holds(relation.type, f, a) for a in anchors)]


def apply_exclusion(found: list[Instance], excluded: list[Instance]) -> tuple[list[Instance], list[Instance]]:
    """(kept, dropped): drop instances whose masks mostly overlap an excluded phrase's instance."""
    kept, dropped = [], []
    for item in found:
        if any(mask_iou(item, e) >= 0.5 or covered_fraction(item, e) >= EXCLUDE_OVERLAP for e in excluded):
            dropped.append(item)
        else:
            kept.append(item)
    return kept, dropped


def order_key(kind: str, image_size: tuple[int, int], centre: Callable[[T], tuple[float, float]],
              area: Callable[[T], float], score: Callable[[T], float]) -> Callable[[T], float]:
    """The sort key of the selection `kind` (first = most leftmost / largest / ...; 'all' = best score) for any item
    with a centre, an area and a score: instances in an image, whole tracks in a video."""
    height, width = image_size
    keys: dict[str, Callable[[T], float]] = {
        "all": lambda f: -score(f),
        "leftmost": lambda f: centre(f)[0],
        "rightmost": lambda f: -centre(f)[0],
        "topmost": lambda f: centre(f)[1],
        "bottommost": lambda f: -centre(f)[1],
        "largest": lambda f: -area(f),
        "smallest": lambda f: area(f),
        "center": lambda f: math.hypot(centre(f)[0] - width / 2, centre(f)[1] - height / 2),
    }
    return keys[kind]


def rank(found: list[Instance], kind: str, image_size: tuple[int, int]) -> list[Instance]:
    """`found` ordered by the selection `kind` (first = most leftmost / largest / ...); 'all' orders by score."""
    return sorted(found, key=order_key(kind, image_size, lambda f: f.centroid, lambda f: f.area, lambda f: f.score))


def apply_selection(found: list[Instance], select: Select, image_size: tuple[int, int]) -> list[Instance]:
    """`select.count` instances in the order of `select.kind`, starting at the `select.ordinal`-th ('the second
    from the left'); every instance from there when count is null."""
    ranked = rank(found, select.kind, image_size)
    start = (select.ordinal or 1) - 1
    end = None if select.count is None else start + select.count
    return ranked[start:end]
