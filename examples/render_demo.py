"""Renders the shapes demo image and its ground truth (COCO, RLE masks), so answers on it can be checked.

    .venv/bin/python examples/render_demo.py      # writes examples/shapes_demo.png and examples/shapes_demo.json
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from segchat.segmenter.rle import rle_to_mask
from segchat.lab.dataset import SHAPE_OF_CATEGORY, coco_document, scene_annotations
from segchat.lab.render import Scene, render_scene

HERE = Path(__file__).resolve().parent
SEED = 54
# drawing order; two of a kind where the examples need a choice (leftmost red circle, biggest blue square, ...)
OBJECTS = [("green", "hexagon"), ("yellow", "star"), ("red", "circle"), ("blue", "square"), ("yellow", "circle"),
           ("red", "circle"), ("blue", "square"), ("green", "triangle")]


IMAGE, TRUTH = HERE / "shapes_demo.png", HERE / "shapes_demo.json"


def demo_scene() -> Scene:
    return render_scene(np.random.default_rng(SEED), objects=OBJECTS, size=(360, 480), diameter_range=(60, 120))


def demo_truth_masks() -> dict[int, np.ndarray]:
    """The demo image's true instance masks by annotation id."""
    return {a["id"]: rle_to_mask(a["segmentation"]) for a in json.loads(TRUTH.read_text())["annotations"]}


def main() -> None:
    scene = demo_scene()
    assert len(scene.objects) == len(OBJECTS), "a placement failed; pick another SEED"
    scene.image.save(IMAGE)
    image = {"id": 0, "file_name": IMAGE.name, "height": scene.size[0], "width": scene.size[1]}
    coco = coco_document("segchat shapes demo image (examples/render_demo.py)", SEED, [image],
                         scene_annotations(scene, image_id=0, first_annotation_id=1))
    TRUTH.write_text(json.dumps(coco, indent=1))
    for ann in coco["annotations"]:
        shape = SHAPE_OF_CATEGORY[ann["category_id"]]
        print(ann["id"], ann["attributes"]["color"], shape, [round(v) for v in ann["bbox"]])


if __name__ == "__main__":
    main()
