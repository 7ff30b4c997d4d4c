"""Renders the shapes demo image and its ground truth (COCO, RLE masks), so answers on it can be checked.

    .venv/bin/python examples/render_demo.py      # writes examples/shapes_demo.png and examples/shapes_demo.json
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from segmenter.shapes.dataset import CATEGORIES, scene_annotations
from segmenter.shapes.render import render_scene

HERE = Path(__file__).resolve().parent
SEED = 54
# drawing order; two of a kind where the examples need a choice (leftmost red circle, biggest blue square, ...)
OBJECTS = [("green", "hexagon"), ("yellow", "star"), ("red", "circle"), ("blue", "square"), ("yellow", "circle"),
           ("red", "circle"), ("blue", "square"), ("green", "triangle")]


def main() -> None:
    scene = render_scene(np.random.default_rng(SEED), objects=OBJECTS, size=(360, 480), diameter_range=(60, 120))
    assert len(scene.objects) == len(OBJECTS), "a placement failed; pick another SEED"
    scene.image.save(HERE / "shapes_demo.png")
    coco = {
        "info": {"description": "segchat shapes demo image (examples/render_demo.py)", "seed": SEED},
        "images": [{"id": 0, "file_name": "shapes_demo.png", "height": scene.size[0], "width": scene.size[1]}],
        "annotations": scene_annotations(scene, image_id=0, first_annotation_id=1),
        "categories": CATEGORIES,
    }
    (HERE / "shapes_demo.json").write_text(json.dumps(coco, indent=1))
    for ann in coco["annotations"]:
        print(ann["id"], ann["attributes"]["color"], CATEGORIES[ann["category_id"] - 1]["name"],
              [round(v) for v in ann["bbox"]])


if __name__ == "__main__":
    main()
