"""A pool of rendered training scenes, so that the CPU trains instead of drawing.

Each step renders `births_per_step` new scenes and retires as many old ones; a scene lives `size / births_per_step`
steps and is drawn about `images_per_step * lifetime / size` times, each time with a random flip and other prompts.
Which scenes are alive at a step depends only on (seed, step), and every scene is rendered from its own seed, so a
resumed run re-renders exactly the pool an uninterrupted run would hold: resuming stays bit-identical.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from segchat.lab.render import Scene, render_scene
from segchat.lab.world import COLOURS, SHAPES
from segchat.segmenter.rle import mask_box

COLOUR_INDEX = {c: i + 1 for i, c in enumerate(COLOURS)}
SHAPE_INDEX = {s: i + 1 for i, s in enumerate(SHAPES)}


@dataclass
class PreparedScene:
    """A scene turned into what the trainer feeds the model.

    pixels: 3xSxS float16, the processor's output. object_masks: Kxhxw float16, each object's visible mask
    area-downsampled to the mask resolution. object_boxes: Kx4 normalised xyxy of the visible masks.
    shape_map / colour_map / boundary: hxw uint8 dense targets (0 = background).
    """

    scene: Scene
    pixels: torch.Tensor
    object_masks: torch.Tensor
    object_boxes: torch.Tensor
    shape_map: torch.Tensor
    colour_map: torch.Tensor
    boundary: torch.Tensor

    def flipped(self, horizontal: bool, vertical: bool) -> "PreparedScene":
        """The same scene mirrored (the world is symmetric: a mirrored scene is another valid scene)."""
        if not (horizontal or vertical):
            return self
        dims = [d for d, on in ((-1, horizontal), (-2, vertical)) if on]
        boxes = self.object_boxes.clone()
        if horizontal:
            boxes[:, [0, 2]] = 1 - self.object_boxes[:, [2, 0]]
        if vertical:
            boxes[:, [1, 3]] = 1 - self.object_boxes[:, [3, 1]]
        return PreparedScene(self.scene, self.pixels.flip(dims), self.object_masks.flip(dims), boxes,
                             self.shape_map.flip(dims), self.colour_map.flip(dims), self.boundary.flip(dims))


def instance_map(scene: Scene) -> np.ndarray:
    """HxW int: 1 + the index of the object whose visible pixel it is, 0 for the background."""
    ids = np.zeros(scene.size, dtype=np.int32)
    for index, obj in enumerate(scene.objects):
        ids[obj.mask] = index + 1
    return ids


def dense_targets(scene: Scene, mask_hw: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shape, colour and boundary maps at the mask resolution, sampled at the cell centres."""
    height, width = scene.size
    h, w = mask_hw
    rows = ((np.arange(h) + 0.5) * height / h).astype(int)
    cols = ((np.arange(w) + 0.5) * width / w).astype(int)
    ids = instance_map(scene)[np.ix_(rows, cols)]
    shapes = np.array([0] + [SHAPE_INDEX[o.shape] for o in scene.objects], dtype=np.uint8)
    colours = np.array([0] + [COLOUR_INDEX[o.colour] for o in scene.objects], dtype=np.uint8)
    boundary = np.zeros((h, w), dtype=bool)
    boundary[1:] |= ids[1:] != ids[:-1]
    boundary[:-1] |= ids[1:] != ids[:-1]
    boundary[:, 1:] |= ids[:, 1:] != ids[:, :-1]
    boundary[:, :-1] |= ids[:, 1:] != ids[:, :-1]
    return shapes[ids], colours[ids], boundary.astype(np.uint8)


def prepare(scene: Scene, processor, mask_hw: tuple[int, int]) -> PreparedScene:
    height, width = scene.size
    pixels = processor.image_processor(images=scene.image, return_tensors="pt")["pixel_values"][0].half()
    if scene.objects:
        stacked = torch.from_numpy(np.stack([o.mask for o in scene.objects])).float()[:, None]
        masks = F.interpolate(stacked, size=mask_hw, mode="area")[:, 0].half()
    else:
        masks = torch.zeros(0, *mask_hw, dtype=torch.float16)
    scale = torch.tensor([width, height, width, height], dtype=torch.float32)
    boxes = torch.tensor([mask_box(o.mask) for o in scene.objects], dtype=torch.float32).reshape(-1, 4) / scale
    shape_map, colour_map, boundary = (torch.from_numpy(a) for a in dense_targets(scene, mask_hw))
    return PreparedScene(scene, pixels, masks, boxes, shape_map, colour_map, boundary)


def max_objects_at(step: int) -> int:
    """The curriculum of a run from scratch: few objects first, one more every 600 steps up to the spec's 8."""
    return min(8, 3 + max(0, step) // 600)


class ScenePool:
    """The scenes alive at each step (see the module docstring)."""

    def __init__(self, seed: int, processor, mask_hw: tuple[int, int], *, size: int = 256,
                 births_per_step: int = 2) -> None:
        self.seed = seed
        self.processor = processor
        self.mask_hw = mask_hw
        self.births_per_step = births_per_step
        self.lifetime = max(1, size // births_per_step)
        self._scenes: dict[tuple[int, int], PreparedScene] = {}

    def _render(self, born: int, slot: int) -> PreparedScene:
        rng = np.random.default_rng([self.seed, 1, born + 10**7, slot])
        while True:
            scene = render_scene(rng, max_objects=max_objects_at(born))
            if any(o.mask.any() for o in scene.objects):
                return prepare(scene, self.processor, self.mask_hw)

    def alive(self, step: int) -> list[tuple[int, int]]:
        """Keys (birth step, slot) of the scenes alive at `step`, rendering the ones not yet held."""
        keys = [(born, slot) for born in range(step - self.lifetime + 1, step + 1)
                for slot in range(self.births_per_step)]
        wanted = set(keys)
        for key in [k for k in self._scenes if k not in wanted]:
            del self._scenes[key]
        for key in keys:
            if key not in self._scenes:
                self._scenes[key] = self._render(*key)
        return keys

    def sample(self, step: int, count: int, rng: np.random.Generator) -> list[PreparedScene]:
        """`count` different scenes alive at `step`, each randomly mirrored."""
        keys = self.alive(step)
        chosen = rng.choice(len(keys), size=min(count, len(keys)), replace=False)
        return [self._scenes[keys[i]].flipped(bool(rng.random() < 0.5), bool(rng.random() < 0.5)) for i in chosen]
