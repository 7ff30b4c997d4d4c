"""Checkable agent tasks on the shapes world: generated instructions (English and Chinese) with known answers.

Each task is a scene plus one or two turns; the expected instances follow from the scene's ground truth. A task is
right when the agent's final instances match the expected ones one-to-one at mask IoU >= 0.5, nothing more.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from segchat.segmenter.masks import CroppedMask
from segchat.lab.render import Scene, ShapeObject, render_scene
from segchat.lab.world import COLOUR_ZH, COLOURS, SHAPE_ZH, SHAPES

POSITION = {"leftmost": ("the leftmost {c} {s}", "把最左边的{C}{S}抠出来"),
            "rightmost": ("the {c} {s} on the right", "把最右边的{C}{S}选出来"),
            "topmost": ("the topmost {c} {s}", "最上面的{C}{S}"),
            "bottommost": ("the lowest {c} {s}", "标出最下面的{C}{S}")}
SIZE = {"largest": ("the biggest {c} {s}", "把最大的{C}{S}抠出来"),
        "smallest": ("the smallest {c} {s}", "最小的{C}{S}")}
KINDS = ["position", "size", "exclusion", "multi_target", "absent", "followup"]


@dataclass
class ShapesTask:
    kind: str
    language: str
    turns: list[str]
    scene: Scene
    expected: list[ShapeObject]


def _centroid(obj: ShapeObject) -> tuple[float, float]:
    ys, xs = np.nonzero(obj.mask)
    return float(xs.mean()), float(ys.mean())


def _rank(objects: list[ShapeObject], kind: str) -> list[ShapeObject]:
    keys = {"leftmost": lambda o: _centroid(o)[0], "rightmost": lambda o: -_centroid(o)[0],
            "topmost": lambda o: _centroid(o)[1], "bottommost": lambda o: -_centroid(o)[1],
            "largest": lambda o: -int(o.mask.sum()), "smallest": lambda o: int(o.mask.sum())}
    return sorted(objects, key=keys[kind])


def _clear_winner(objects: list[ShapeObject], kind: str) -> bool:
    """The first two in `kind` order differ enough that the answer is not a matter of a few pixels."""
    ranked = _rank(objects, kind)
    if len(ranked) < 2:
        return True
    a, b = ranked[0], ranked[1]
    if kind in ("largest", "smallest"):
        big, small = max(a.mask.sum(), b.mask.sum()), min(a.mask.sum(), b.mask.sum())
        return big > 1.3 * small
    axis = 0 if kind in ("leftmost", "rightmost") else 1
    return abs(_centroid(a)[axis] - _centroid(b)[axis]) > 25


def _pick(rng: np.random.Generator, options) -> str:
    options = list(options)
    return str(options[int(rng.integers(len(options)))])


def _scene(rng: np.random.Generator, objects: list[tuple[str, str]]) -> Scene | None:
    order = [objects[i] for i in rng.permutation(len(objects))]
    scene = render_scene(rng, objects=order, diameter_range=(50, 140))
    return scene if len(scene.objects) == len(objects) and all(o.mask.sum() > 200 for o in scene.objects) else None


def make_task(rng: np.random.Generator, kind: str, language: str) -> ShapesTask:
    """One task of `kind` in `language` ('en' or 'zh'); retried until the scene gives an unambiguous answer."""
    zh = language == "zh"
    for _ in range(200):
        c, c2 = (str(v) for v in rng.choice(list(COLOURS), size=2, replace=False))
        s, s2 = (str(v) for v in rng.choice(list(SHAPES), size=2, replace=False))
        C, S, C2, S2 = COLOUR_ZH[c], SHAPE_ZH[s], COLOUR_ZH[c2], SHAPE_ZH[s2]
        if kind in ("position", "size"):
            select = _pick(rng, POSITION if kind == "position" else SIZE)
            templates = (POSITION if kind == "position" else SIZE)[select]
            scene = _scene(rng, [(c, s)] * int(rng.integers(2, 4)) + [(c2, s), (c, s2)])
            if scene is None:
                continue
            matching = [o for o in scene.objects if (o.colour, o.shape) == (c, s)]
            if not _clear_winner(matching, select):
                continue
            text = templates[1].format(C=C, S=S) if zh else templates[0].format(c=c, s=s)
            return ShapesTask(kind, language, [text], scene, _rank(matching, select)[:1])
        if kind == "exclusion":
            shapes_c = [s, s2, _pick(rng, SHAPES)]
            scene = _scene(rng, [(c, shape) for shape in shapes_c] + [(c2, s2)])
            if scene is None:
                continue
            text = f"所有{C}的图形，{S}除外" if zh else f"all {c} shapes except the {s}s"
            return ShapesTask(kind, language, [text], scene,
                              [o for o in scene.objects if o.colour == c and o.shape != s])
        if kind == "multi_target":
            scene = _scene(rng, [(c, s), (c, s), (c2, s2), (c2, s), (c, s2)])
            if scene is None:
                continue
            text = f"把{C}{S}和{C2}{S2}都选出来" if zh else f"the {c} {s}s and the {c2} {s2}s"
            return ShapesTask(kind, language, [text], scene,
                              [o for o in scene.objects if (o.colour, o.shape) in ((c, s), (c2, s2))])
        if kind == "absent":
            scene = _scene(rng, [(c, s2), (c2, s), (c2, s2)])
            if scene is None:
                continue
            text = f"找出{C}{S}" if zh else f"find the {c} {s}"
            return ShapesTask(kind, language, [text], scene, [])
        if kind == "followup":
            scene = _scene(rng, [(c, s), (c, s2), (c2, s)] + [(c, _pick(rng, SHAPES))] * int(rng.integers(0, 2)))
            if scene is None:
                continue
            matching = [o for o in scene.objects if o.colour == c]
            if not _clear_winner(matching, "rightmost"):
                continue
            turns = [f"所有{C}的图形", "现在只要右边那个"] if zh else [f"all the {c} shapes", "now only the one on the right"]
            return ShapesTask(kind, language, turns, scene, _rank(matching, "rightmost")[:1])
        raise ValueError(f"unknown task kind {kind}")
    raise RuntimeError(f"could not render an unambiguous {kind} task")


def generate_tasks(seed: int, per_kind: int) -> list[ShapesTask]:
    rng = np.random.default_rng(seed)
    return [make_task(rng, kind, language) for kind, language in itertools.product(KINDS, ("en", "zh"))
            for _ in range(per_kind)]


def matches(predicted: list, expected: list, iou: float = 0.5) -> bool:
    """One-to-one match of every expected mask, and no extra prediction (masks: HxW arrays or CroppedMasks)."""
    predicted = [m.full() if isinstance(m, CroppedMask) else m for m in predicted]
    expected = [m.full() if isinstance(m, CroppedMask) else m for m in expected]
    if len(predicted) != len(expected):
        return False
    if not expected:
        return True
    ious = np.array([[np.logical_and(p, e).sum() / max(1, np.logical_or(p, e).sum()) for e in expected]
                     for p in predicted])
    rows, cols = linear_sum_assignment(-ious)
    return bool((ious[rows, cols] >= iou).all())


def run_tasks(agent, tasks: list[ShapesTask]) -> dict:
    """Accuracy of `agent` (an Agent) on `tasks`, overall and by kind x language, with the failures."""
    results: dict[tuple[str, str], list[bool]] = defaultdict(list)
    failures = []
    for number, task in enumerate(tasks):
        session = f"shapes-task-{number}"
        output = None
        for turn, text in enumerate(task.turns):
            output = agent.turn(text, task.scene.image if turn == 0 else None, session)
        ok = matches([f.mask for f in output.instances], [o.mask for o in task.expected])
        results[(task.kind, task.language)].append(ok)
        if not ok:
            failures.append({"kind": task.kind, "language": task.language, "turns": task.turns,
                             "expected": len(task.expected), "got": len(output.instances),
                             "explanation": output.result.explanation})
    correct = sum(sum(v) for v in results.values())
    total = sum(len(v) for v in results.values())
    return {"tasks": total, "correct": correct, "accuracy": correct / max(1, total),
            "by_kind": {f"{k} ({lang})": (sum(v), len(v)) for (k, lang), v in sorted(results.items())},
            "failures": failures}


def format_task_report(report: dict) -> str:
    lines = ["| task | correct | tasks |", "| --- | --- | --- |"]
    lines += [f"| {name} | {ok} | {n} |" for name, (ok, n) in report["by_kind"].items()]
    lines.append(f"| **all** | {report['correct']} | {report['tasks']} ({report['accuracy']:.1%}) |")
    return "\n".join(lines)
