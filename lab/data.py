"""Training samples of the shapes world: scenes and the prompts asked of them, with their true instances.

A prompt is a phrase, a box exemplar (the tight box of one object's visible mask, positive or negative), or both,
as ../shared/SHAPES.md defines them:
- a phrase finds every instance it names;
- a positive box alone finds every instance of its object's colour and shape;
- a phrase with a positive box narrows the phrase to the box's kind;
- a negative box removes its object's colour and shape from what the rest of the prompt finds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from segchat.lab.render import Scene, ShapeObject, render_scene
from segchat.lab.world import COLOURS, SHAPES, phrase_matches
from segchat.segmenter.rle import mask_box

# the text SAM3's processor sends with a box that has no phrase of its own
BOX_ONLY_TEXT = "visual"


@dataclass
class Query:
    """One prompt on one scene: its text, its exemplar boxes and the instances it must find."""

    phrase: str
    masks: list[np.ndarray]  # HxW bool per true instance (empty: nothing matches)
    kind: str  # colour_shape | shape | colour_object | all | absent | box | text_box | negative_box
    boxes: list[tuple[float, float, float, float]] = field(default_factory=list)  # xyxy pixels
    box_labels: list[int] = field(default_factory=list)  # 1 positive, 0 negative
    objects: list[int] = field(default_factory=list)  # indices into scene.objects of the true instances
    box_objects: list[int] = field(default_factory=list)  # the object each exemplar box is drawn around


def visible(scene: Scene) -> list[int]:
    return [i for i, o in enumerate(scene.objects) if o.mask.any()]


def instances_of(scene: Scene, phrase: str) -> list[np.ndarray]:
    return [o.mask for o in scene.objects if phrase_matches(phrase, o.colour, o.shape) and o.mask.any()]


def _query(scene: Scene, phrase: str, kind: str, keep, box_objects=(), labels=()) -> Query:
    chosen = [i for i in visible(scene) if keep(scene.objects[i])]
    boxes = [exemplar_box(scene.objects[i]) for i in box_objects]
    return Query(phrase, [scene.objects[i].mask for i in chosen], kind, boxes, list(labels), chosen,
                 list(box_objects))


def random_present_phrase(rng: np.random.Generator, scene: Scene, shape_weight: float = 1.0,
                          all_weight: float = 0.0) -> tuple[str, str]:
    """A phrase with at least one instance in the scene: `"{colour} {shape}"`, `"{shape}"`, `"{colour} object"`, or
    with weight `all_weight` the generic word alone (`"shape"` / `"object"`: every instance in the image)."""
    obj = scene.objects[int(rng.choice(visible(scene)))]
    kinds = ["colour_shape", "shape", "colour_object", "all"]
    weights = np.array([1.0, shape_weight, 1.0, all_weight])
    kind = str(rng.choice(kinds, p=weights / weights.sum()))
    if kind == "all":
        return str(rng.choice(["shape", "object"])), kind
    if kind == "colour_shape":
        return f"{obj.colour} {obj.shape}", kind
    if kind == "shape":
        return obj.shape, kind
    return f"{obj.colour} {rng.choice(['object', 'shape'])}", kind


def random_absent_phrase(rng: np.random.Generator, scene: Scene, near_miss: float = 0.5) -> str | None:
    """A canonical phrase with no instance in the scene; with probability `near_miss` one that shares a colour or a
    shape with something that is there (the hard negatives)."""
    present = {(o.colour, o.shape) for o in scene.objects if o.mask.any()}
    colours = {c for c, _ in present}
    shapes = {s for _, s in present}
    options = [f"{c} {s}" for c in COLOURS for s in SHAPES if (c, s) not in present]
    options += [s for s in SHAPES if s not in shapes]
    options += [f"{c} object" for c in COLOURS if c not in colours]
    if not options:
        return None
    near = [p for p in options if len(p.split()) == 2 and (p.split()[0] in colours or p.split()[1] in shapes)]
    pool = near if near and rng.random() < near_miss else options
    return str(pool[int(rng.integers(len(pool)))])


def sample_queries(rng: np.random.Generator, scene: Scene, n: int, absent_fraction: float = 0.25,
                   shape_weight: float = 1.0, near_miss: float = 0.5, all_weight: float = 0.0) -> list[Query]:
    """`n` distinct phrase prompts: present phrases of the three kinds and absent ones."""
    queries: list[Query] = []
    seen: set[str] = set()
    for _ in range(n * 6):
        if len(queries) == n:
            break
        if rng.random() < absent_fraction:
            phrase = random_absent_phrase(rng, scene, near_miss)
            if phrase is None or phrase in seen:
                continue
            queries.append(Query(phrase, [], "absent"))
        else:
            phrase, kind = random_present_phrase(rng, scene, shape_weight, all_weight)
            if phrase in seen:
                continue
            queries.append(_query(scene, phrase, kind, lambda o, p=phrase: phrase_matches(p, o.colour, o.shape)))
        seen.add(phrase)
    return queries


def exemplar_box(obj: ShapeObject) -> tuple[float, float, float, float]:
    """The exemplar box of an object: the tight xyxy box of its visible mask, in pixels."""
    return mask_box(obj.mask)


def exemplar_query(rng: np.random.Generator, scene: Scene) -> Query:
    """One box-exemplar prompt of a random kind around a random visible object."""
    objects = scene.objects
    index = int(rng.choice(visible(scene)))
    obj = objects[index]
    same_kind = lambda o: o.colour == obj.colour and o.shape == obj.shape  # noqa: E731
    roll = rng.random()
    if roll < 0.4:  # a positive box alone: every instance of its colour and shape
        return _query(scene, BOX_ONLY_TEXT, "box", same_kind, [index], [1])
    if roll < 0.6:  # text + positive box: the text narrowed to the box's kind
        text = f"{obj.colour} {rng.choice(['shape', 'object'])}" if rng.random() < 0.6 else obj.shape
        return _query(scene, text, "text_box", same_kind, [index], [1])
    if roll < 0.85:  # a colour phrase + a negative box: that colour, without the box's kind
        text = f"{obj.colour} {rng.choice(['shape', 'object'])}"
        return _query(scene, text, "negative_box",
                      lambda o: o.colour == obj.colour and o.shape != obj.shape, [index], [0])
    # a shape phrase + a negative box: that shape, without the box's colour
    return _query(scene, obj.shape, "negative_box", lambda o: o.shape == obj.shape and o.colour != obj.colour,
                  [index], [0])


def training_example(rng: np.random.Generator, n_queries: int, max_objects: int, absent_fraction: float,
                     shape_weight: float) -> tuple[Scene, list[Query]]:
    while True:
        scene = render_scene(rng, max_objects=max_objects)
        if visible(scene):
            queries = sample_queries(rng, scene, n_queries, absent_fraction, shape_weight)
            if len(queries) == n_queries:
                return scene, queries
