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
# tasks answered with exemplars (the exemplars issue): "more like #N" after "all the shapes", and a concept
# remembered on one image and found on another; kept apart so that the instruction-task figure stays comparable
EXEMPLAR_KINDS = ["more_like", "concept"]
CONCEPT_NAME = {"en": "gizmo", "zh": "零件A"}  # a name that is no colour or shape word: only the exemplar can help


@dataclass
class ShapesTask:
    kind: str
    language: str
    turns: list[str]  # "{id}" stands for the id, in the previous answer, of the instance that is `example`
    scene: Scene
    expected: list[ShapeObject]
    example: ShapeObject | None = None
    last_scene: Scene | None = None  # the image sent with the last turn (a concept found on a new image)


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
        if kind in EXEMPLAR_KINDS:
            group = [(c, s)] * int(rng.integers(2, 4)) + [(c, s2), (c2, s), (c2, s2)]
            scene = _scene(rng, group)
            if scene is None:
                continue
            example = next(o for o in scene.objects if (o.colour, o.shape) == (c, s))
            everything = "所有的图形" if zh else "all the shapes"
            if kind == "more_like":
                turns = [everything, "找出和{id}号一样的" if zh else "more like #{id}"]
                return ShapesTask(kind, language, turns, scene,
                                  [o for o in scene.objects if (o.colour, o.shape) == (c, s)], example)
            name = CONCEPT_NAME[language]
            later = _scene(rng, [(c, s)] * int(rng.integers(1, 3)) + [(c, s2), (c2, s)])
            if later is None:
                continue
            turns = [everything, f"把{{id}}号记为{name}" if zh else f"remember #{{id}} as the {name}",
                     f"找{name}" if zh else f"find the {name}"]
            return ShapesTask(kind, language, turns, scene,
                              [o for o in later.objects if (o.colour, o.shape) == (c, s)], example, later)
        raise ValueError(f"unknown task kind {kind}")
    raise RuntimeError(f"could not render an unambiguous {kind} task")


def generate_tasks(seed: int, per_kind: int, kinds: list[str] | None = None) -> list[ShapesTask]:
    rng = np.random.default_rng(seed)
    return [make_task(rng, kind, language) for kind, language in itertools.product(kinds or KINDS, ("en", "zh"))
            for _ in range(per_kind)]


def _example_id(instances: list, example: ShapeObject) -> int | None:
    """The id of the answer's instance that is `example` (mask IoU >= 0.5), or None when the answer missed it."""
    best, best_iou = None, 0.5
    for instance in instances:
        mask = instance.mask.full() if isinstance(instance.mask, CroppedMask) else instance.mask
        iou = np.logical_and(mask, example.mask).sum() / max(1, np.logical_or(mask, example.mask).sum())
        if iou >= best_iou:
            best, best_iou = instance.id, iou
    return best


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
        output, note = None, ""
        for turn, text in enumerate(task.turns):
            if "{id}" in text:
                found = _example_id(output.instances, task.example)
                if found is None:
                    note = "the example object was not in the first answer"
                    break
                text = text.replace("{id}", str(found))
            image = task.scene.image if turn == 0 else None
            if task.last_scene is not None and turn == len(task.turns) - 1:
                image = task.last_scene.image
            # one owner per task: a concept remembered by one task is not another task's
            output = agent.turn(text, image, session, owner=session)
        ok = not note and matches([f.mask for f in output.instances], [o.mask for o in task.expected])
        results[(task.kind, task.language)].append(ok)
        if not ok:
            failures.append({"kind": task.kind, "language": task.language, "turns": task.turns,
                             "expected": len(task.expected), "got": len(output.instances),
                             "explanation": note or output.result.explanation})
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
