"""Evaluating a SAM3 checkpoint on freshly rendered shapes-world images (metrics of ../shared/SHAPES.md)."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from segchat.segmenter.predictor import Sam3Segmenter
from segchat.lab.data import random_absent_phrase
from segchat.lab.render import render_scene
from segchat.lab.world import phrase_matches

TARGETS = {"colour_shape": 0.85, "colour_object": 0.85, "shape": 0.70, "all": 0.85, "absent_empty": 0.90,
           "instance_recall": 0.85}


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


def image_queries(scene, rng: np.random.Generator, absent: int = 3) -> list[tuple[str, str]]:
    """Every present phrase of the three kinds, the generic word alone (every instance: "shape" or "object", in
    turn, so that no draw of `rng` moves), plus `absent` phrases with no instance."""
    queries: dict[str, str] = {("shape", "object")[len(scene.objects) % 2]: "all"}
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


@dataclass
class _PhraseRecord:
    kind: str
    size: tuple[int, int]
    truth: list[np.ndarray]  # true instance masks
    predicted: list[tuple[float, np.ndarray]]  # (score, mask), by descending score


def evaluate_shapes(segmenter: Sam3Segmenter, *, images: int = 100, seed: int = 12345, threshold: float | None = None,
                    mask_threshold: float = 0.5) -> dict:
    """The metrics of SHAPES.md at `threshold` (default: the checkpoint's own default threshold)."""
    threshold = segmenter.default_threshold if threshold is None else threshold
    return sweep_shapes(segmenter, [threshold], images=images, seed=seed, mask_threshold=mask_threshold)[0]


def sweep_shapes(segmenter: Sam3Segmenter, thresholds: list[float], *, images: int = 100, seed: int = 12345,
                 mask_threshold: float = 0.5) -> list[dict]:
    """The metrics at each of `thresholds`, from one detection per image at the lowest of them.

    Greedy mask NMS keeps, at a higher threshold, exactly the instances it keeps at a lower one that score above
    the higher threshold (an instance is only ever suppressed by a better-scored one), so filtering is exact."""
    rng = np.random.default_rng(seed)
    records: list[_PhraseRecord] = []
    seconds = 0.0
    for _ in range(images):
        scene = render_scene(rng)
        queries = image_queries(scene, rng)
        start = time.perf_counter()
        detection = segmenter.detect(scene.image, [q for q, _ in queries], threshold=min(thresholds),
                                     mask_threshold=mask_threshold)
        seconds += time.perf_counter() - start
        segmenter.cache.clear()
        by_phrase: dict[str, list[tuple[float, np.ndarray]]] = defaultdict(list)
        for inst in detection.instances:
            by_phrase[inst.phrase].append((inst.score, inst.mask.full()))
        for phrase, kind in queries:
            truth = [] if kind == "absent" else [
                o.mask for o in scene.objects if phrase_matches(phrase, o.colour, o.shape) and o.mask.any()]
            records.append(_PhraseRecord(kind, scene.size, truth, by_phrase.get(phrase, [])))
    reports = []
    for threshold in thresholds:
        report = _metrics(records, threshold)
        report.update(images=images, seed=seed, threshold=threshold, ms_per_image=seconds / images * 1000)
        reports.append(report)
    return reports


def _metrics(records: list[_PhraseRecord], threshold: float) -> dict:
    phrase_ious: dict[str, list[float]] = defaultdict(list)
    absent_empty: list[bool] = []
    true_total = matched_total = predicted_total = 0
    for record in records:
        predicted = [mask for score, mask in record.predicted if score > threshold]
        if record.kind == "absent":
            absent_empty.append(len(predicted) == 0)
            continue
        empty = np.zeros(record.size, dtype=bool)
        union_pred = np.logical_or.reduce(predicted) if predicted else empty
        union_true = np.logical_or.reduce(record.truth) if record.truth else empty
        phrase_ious[record.kind].append(_iou(union_pred, union_true))
        true_total += len(record.truth)
        predicted_total += len(predicted)
        if predicted and record.truth:
            ious = np.array([[_iou(p, t) for t in record.truth] for p in predicted])
            rows, cols = linear_sum_assignment(-ious)
            matched_total += int((ious[rows, cols] >= 0.5).sum())
    report = {kind: float(np.mean(v)) for kind, v in sorted(phrase_ious.items())}
    report["absent_empty"] = float(np.mean(absent_empty)) if absent_empty else float("nan")
    report["instance_recall"] = matched_total / max(1, true_total)
    report["extra_predictions"] = (predicted_total - matched_total) / max(1, predicted_total)
    report["pass"] = all(report.get(k, 0) >= v for k, v in TARGETS.items()) and report["extra_predictions"] <= 0.15
    return report


CALIBRATION_THRESHOLDS = [round(0.05 * k, 2) for k in range(1, 13)]  # 0.05 to 0.60
CALIBRATION_METHOD = (f"maximise the sum of the SHAPES.md metrics minus the share of extra predictions over "
                      f"thresholds {CALIBRATION_THRESHOLDS[0]:.2f}-{CALIBRATION_THRESHOLDS[-1]:.2f}")


def calibration_score(report: dict) -> float:
    """What calibration maximises: every metric of SHAPES.md counted once, extra predictions as a penalty."""
    return sum(report.get(key, 0.0) for key in TARGETS) - report.get("extra_predictions", 1.0)


def format_shapes_report(report: dict) -> str:
    rows = [("colour_shape", '"{colour} {shape}" mean IoU', "≥ 0.85"),
            ("colour_object", '"{colour} object" mean IoU', "≥ 0.85"),
            ("shape", '"{shape}" mean IoU', "≥ 0.70"),
            ("all", '"shape" / "object" alone (every instance) mean IoU', "≥ 0.85"),
            ("absent_empty", "absent phrases with no mask", "≥ 0.90"),
            ("instance_recall", "true instances matched at IoU ≥ 0.5", "≥ 0.85"),
            ("extra_predictions", "extra predictions", "≤ 0.15")]
    lines = ["| metric | value | goal |", "| --- | --- | --- |"]
    lines += [f"| {title} | {report.get(key, float('nan')):.3f} | {goal} |" for key, title, goal in rows]
    lines.append(f"| images | {report['images']} (seed {report['seed']}, threshold {report['threshold']:.2f}, "
                 f"{report['ms_per_image']:.0f} ms per image) | |")
    exemplars = report.get("exemplars")
    if exemplars:
        lines += [f"| exemplars: {title}, exactly the right set | {exemplars[key]:.3f} | {goal} |"
                  for key, title, goal in (("box", "a positive box alone", "≥ 0.70"),
                                           ("text_box", "colour phrase + positive box", ""),
                                           ("negative_box", "colour phrase + negative box", ""))]
    return "\n".join(lines)


def evaluate_exemplars(segmenter: Sam3Segmenter, *, images: int = 100, seed: int = 12346,
                       threshold: float | None = None, mask_threshold: float = 0.5) -> dict:
    """Box exemplars on fresh images (SHAPES.md "Box exemplars"): the share of prompts answered with exactly the
    right set (one-to-one at mask IoU >= 0.5, nothing extra), for a positive box alone, a colour phrase with a
    positive box, and a colour phrase with a negative box."""
    from segchat.lab.agent_tasks import matches
    from segchat.lab.data import exemplar_box, visible
    from segchat.segmenter.prompts import Exemplar, Prompt

    threshold = segmenter.default_threshold if threshold is None else threshold
    rng = np.random.default_rng(seed)
    right: dict[str, list[bool]] = defaultdict(list)
    for _ in range(images):
        scene = render_scene(rng)
        shown = visible(scene)
        if not shown:
            continue
        obj = scene.objects[int(rng.choice(shown))]
        box = exemplar_box(obj)
        same = [o.mask for o in scene.objects if (o.colour, o.shape) == (obj.colour, obj.shape) and o.mask.any()]
        colour_not_shape = [o.mask for o in scene.objects
                            if o.colour == obj.colour and o.shape != obj.shape and o.mask.any()]
        prompts = {"box": (Prompt("", (Exemplar(box),)), same),
                   "text_box": (Prompt(f"{obj.colour} shape", (Exemplar(box),)), same),
                   "negative_box": (Prompt(f"{obj.colour} shape", (Exemplar(box, positive=False),)),
                                    colour_not_shape)}
        embedding, _ = segmenter.embed(scene.image)
        found = segmenter.find_each(embedding, [p for p, _ in prompts.values()], threshold=threshold,
                                    mask_threshold=mask_threshold)
        segmenter.cache.clear()
        for (kind, (_, truth)), instances in zip(prompts.items(), found):
            right[kind].append(matches([i.mask for i in instances], truth))
    report = {kind: float(np.mean(v)) for kind, v in right.items()}
    report.update(images=images, seed=seed, threshold=threshold)
    return report
