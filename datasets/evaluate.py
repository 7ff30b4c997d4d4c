"""How good a labelled dataset is against hand-made truth: per-image precision and recall at a mask IoU.

Both sides are COCO documents; images are matched by `file_name`, instances one-to-one within a label (greedily,
best score first, each to the unmatched truth instance of highest IoU >= `iou`). Per image: precision = matched /
predicted (1 when nothing was predicted), recall = matched / true (1 when there is nothing to find), so an image
that is correctly left empty counts as right and a missed or invented instance counts against it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pycocotools import mask as mask_utils

TruthLabel = Callable[[dict[str, Any], dict[str, Any]], "str | None"]


@dataclass
class ImageScore:
    file_name: str
    predicted: int
    true: int
    matched: int

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.matched / self.true if self.true else 1.0


@dataclass
class EvalReport:
    iou: float
    images: list[ImageScore] = field(default_factory=list)

    @property
    def mean_precision(self) -> float:
        return sum(s.precision for s in self.images) / len(self.images) if self.images else 0.0

    @property
    def mean_recall(self) -> float:
        return sum(s.recall for s in self.images) / len(self.images) if self.images else 0.0

    @property
    def pooled_precision(self) -> float:
        predicted = sum(s.predicted for s in self.images)
        return sum(s.matched for s in self.images) / predicted if predicted else 1.0

    @property
    def pooled_recall(self) -> float:
        true = sum(s.true for s in self.images)
        return sum(s.matched for s in self.images) / true if true else 1.0

    def line(self) -> str:
        return (f"{len(self.images)} images, IoU >= {self.iou}: per-image precision {self.mean_precision:.3f}, "
                f"recall {self.mean_recall:.3f}; pooled precision {self.pooled_precision:.3f}, recall "
                f"{self.pooled_recall:.3f} ({sum(s.matched for s in self.images)} matched of "
                f"{sum(s.predicted for s in self.images)} predicted, {sum(s.true for s in self.images)} true)")


def _rle(segmentation: dict[str, Any]) -> dict[str, Any]:
    counts = segmentation["counts"]
    return {"size": list(segmentation["size"]), "counts": counts.encode("ascii") if isinstance(counts, str) else counts}


def match_count(predicted: list[dict[str, Any]], true: list[dict[str, Any]], iou: float) -> int:
    """One-to-one matches at mask IoU >= `iou` between predicted and true annotations of one label."""
    if not predicted or not true:
        return 0
    order = sorted(range(len(predicted)), key=lambda i: -predicted[i].get("score", 1.0))
    ious = mask_utils.iou([_rle(predicted[i]["segmentation"]) for i in order],
                          [_rle(t["segmentation"]) for t in true], [0] * len(true))
    taken: set[int] = set()
    matched = 0
    for row in ious:
        best, best_iou = -1, iou
        for j, value in enumerate(row):
            if j not in taken and value >= best_iou:
                best, best_iou = j, value
        if best >= 0:
            taken.add(best)
            matched += 1
    return matched


def evaluate(predicted: dict[str, Any], truth: dict[str, Any], truth_label: TruthLabel, *,
             iou: float = 0.5) -> EvalReport:
    """Score `predicted` (as merged by annotate) against `truth`. `truth_label(annotation, truth)` names the
    predicted category a true instance should have had, or None when the instruction does not ask for it."""
    pred_names = {c["id"]: c["name"] for c in predicted["categories"]}
    pred_images = {im["file_name"]: im["id"] for im in predicted["images"]}
    pred_by_image: dict[int, list[dict[str, Any]]] = {}
    for ann in predicted["annotations"]:
        pred_by_image.setdefault(ann["image_id"], []).append(ann)
    true_by_image: dict[int, list[dict[str, Any]]] = {}
    for ann in truth["annotations"]:
        true_by_image.setdefault(ann["image_id"], []).append(ann)
    report = EvalReport(iou=iou)
    for image in truth["images"]:
        if image["file_name"] not in pred_images:
            continue  # not labelled (failed): counted by the run's summary, not here
        preds = pred_by_image.get(pred_images[image["file_name"]], [])
        labelled_truth = [(truth_label(a, truth), a) for a in true_by_image.get(image["id"], [])]
        trues = [(label, a) for label, a in labelled_truth if label is not None]
        matched = 0
        for name in set(pred_names.values()):
            matched += match_count([p for p in preds if pred_names[p["category_id"]] == name],
                                   [a for label, a in trues if label == name], iou)
        report.images.append(ImageScore(image["file_name"], len(preds), len(trues), matched))
    return report
