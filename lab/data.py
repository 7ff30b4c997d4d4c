"""Training and evaluation samples of the shapes world: scenes plus phrase queries with their true instances."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from segchat.lab.render import Scene, render_scene
from segchat.lab.world import COLOURS, SHAPES, phrase_matches


@dataclass
class Query:
    phrase: str
    masks: list[np.ndarray]  # HxW bool per true instance (empty for an absent phrase)
    kind: str  # "colour_shape" | "shape" | "colour_object" | "absent"


def instances_of(scene: Scene, phrase: str) -> list[np.ndarray]:
    return [o.mask for o in scene.objects if phrase_matches(phrase, o.colour, o.shape) and o.mask.any()]


def random_present_phrase(rng: np.random.Generator, scene: Scene, shape_weight: float = 1.0) -> tuple[str, str]:
    obj = scene.objects[int(rng.integers(len(scene.objects)))]
    kinds = ["colour_shape", "shape", "colour_object"]
    weights = np.array([1.0, shape_weight, 1.0])
    kind = str(rng.choice(kinds, p=weights / weights.sum()))
    if kind == "colour_shape":
        return f"{obj.colour} {obj.shape}", kind
    if kind == "shape":
        return obj.shape, kind
    return f"{obj.colour} {rng.choice(['object', 'shape'])}", kind


def random_absent_phrase(rng: np.random.Generator, scene: Scene) -> str | None:
    present = {(o.colour, o.shape) for o in scene.objects}
    colours = {o.colour for o in scene.objects}
    shapes = {o.shape for o in scene.objects}
    options = [f"{c} {s}" for c in COLOURS for s in SHAPES if (c, s) not in present]
    options += [s for s in SHAPES if s not in shapes]
    options += [f"{c} object" for c in COLOURS if c not in colours]
    if not options:
        return None
    # half the time pick a near miss: a present colour with an absent shape or the reverse
    near = [p for p in options if len(p.split()) == 2 and (p.split()[0] in colours or p.split()[1] in shapes)]
    pool = near if near and rng.random() < 0.5 else options
    return str(pool[int(rng.integers(len(pool)))])


def sample_queries(rng: np.random.Generator, scene: Scene, n: int, absent_fraction: float = 0.25,
                   shape_weight: float = 1.0) -> list[Query]:
    queries: list[Query] = []
    seen: set[str] = set()
    for _ in range(n * 4):
        if len(queries) == n:
            break
        if rng.random() < absent_fraction:
            phrase = random_absent_phrase(rng, scene)
            if phrase is None or phrase in seen:
                continue
            queries.append(Query(phrase, [], "absent"))
        else:
            phrase, kind = random_present_phrase(rng, scene, shape_weight)
            if phrase in seen:
                continue
            masks = instances_of(scene, phrase)
            if not masks:
                continue
            queries.append(Query(phrase, masks, kind))
        seen.add(phrase)
    return queries


def training_example(rng: np.random.Generator, n_queries: int, max_objects: int, absent_fraction: float,
                     shape_weight: float) -> tuple[Scene, list[Query]]:
    while True:
        scene = render_scene(rng, max_objects=max_objects)
        if scene.objects:
            queries = sample_queries(rng, scene, n_queries, absent_fraction, shape_weight)
            if len(queries) == n_queries:
                return scene, queries
