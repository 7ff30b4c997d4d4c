"""Evaluating a SAM3 checkpoint on freshly rendered shapes-world images (metrics of ../shared/SHAPES.md)."""

from __future__ import annotations

import time
from collections import defaultdict

import numpy as np
from scipy.optimize import linear_sum_assignment

from segmenter.predictor import Sam3Segmenter
from segmenter.shapes.data import random_absent_phrase
from segmenter.shapes.render import render_scene
from segmenter.shapes.world import phrase_matches

TARGETS = {"colour_shape": 0.85, "colour_object": 0.85, "shape": 0.70, "absent_empty": 0.90,
           "instance_recall": 0.85}


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


def image_queries(scene, rng: np.random.Generator, absent: int = 3) -> list[tuple[str, str]]:
    """Every present phrase of the three kinds, plus `absent` phrases with no instance."""
    queries: dict[str, str] = {}
    for obj in scene.objects:
        queries[f"{obj.colour} {obj.shape}"] = "colour_shape"
        queries[f"{obj.colour} object"] = "colour_object"
        queries[obj.shape] = "shape"
    for _ in range(absent * 3):
        if sum(1 for k in queries.values() if k == "absent") >= absent:
            break
        phrase = random_absent_phrase(rng, scene)
        if phrase and phrase not in queries:
            queries[phrase] = "absent"
    return list(queries.items())


def evaluate_shapes(segmenter: Sam3Segmenter, *, images: int = 100, seed: int = 12345, threshold: float = 0.3,
                    mask_threshold: float = 0.5) -> dict:
    rng = np.random.default_rng(seed)
    phrase_ious: dict[str, list[float]] = defaultdict(list)
    absent_empty: list[bool] = []
    true_total = matched_total = predicted_total = 0
    seconds = 0.0
    for _ in range(images):
        scene = render_scene(rng)
        queries = image_queries(scene, rng)
        start = time.perf_counter()
        detection = segmenter.detect(scene.image, [q for q, _ in queries], threshold=threshold,
                                     mask_threshold=mask_threshold)
        seconds += time.perf_counter() - start
        segmenter.cache.clear()
        by_phrase: dict[str, list[np.ndarray]] = defaultdict(list)
        for inst in detection.instances:
            by_phrase[inst.phrase].append(inst.mask)
        for phrase, kind in queries:
            predicted = by_phrase.get(phrase, [])
            if kind == "absent":
                absent_empty.append(len(predicted) == 0)
                continue
            truth = [o.mask for o in scene.objects if phrase_matches(phrase, o.colour, o.shape) and o.mask.any()]
            empty = np.zeros(scene.size, dtype=bool)
            union_pred = np.logical_or.reduce(predicted) if predicted else empty
            phrase_ious[kind].append(_iou(union_pred, np.logical_or.reduce(truth)))
            true_total += len(truth)
            predicted_total += len(predicted)
            if predicted and truth:
                ious = np.array([[_iou(p, t) for t in truth] for p in predicted])
                rows, cols = linear_sum_assignment(-ious)
                matched_total += int((ious[rows, cols] >= 0.5).sum())
    report = {kind: float(np.mean(v)) for kind, v in sorted(phrase_ious.items())}
    report["absent_empty"] = float(np.mean(absent_empty)) if absent_empty else float("nan")
    report["instance_recall"] = matched_total / max(1, true_total)
    report["extra_predictions"] = (predicted_total - matched_total) / max(1, predicted_total)
    report["images"] = images
    report["ms_per_image"] = seconds / images * 1000
    report["pass"] = all(report.get(k, 0) >= v for k, v in TARGETS.items()) and report["extra_predictions"] <= 0.15
    return report


def format_shapes_report(report: dict) -> str:
    rows = [("colour_shape", '"{colour} {shape}" mean IoU', "≥ 0.85"),
            ("colour_object", '"{colour} object" mean IoU', "≥ 0.85"),
            ("shape", '"{shape}" mean IoU', "≥ 0.70"),
            ("absent_empty", "absent phrases with no mask", "≥ 0.90"),
            ("instance_recall", "true instances matched at IoU ≥ 0.5", "≥ 0.85"),
            ("extra_predictions", "extra predictions", "≤ 0.15")]
    lines = ["| metric | value | goal |", "| --- | --- | --- |"]
    lines += [f"| {title} | {report.get(key, float('nan')):.3f} | {goal} |" for key, title, goal in rows]
    lines.append(f"| images | {report['images']} ({report['ms_per_image']:.0f} ms per image) | |")
    return "\n".join(lines)
