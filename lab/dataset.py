"""Shapes-world datasets on disk: images, COCO annotations with RLE masks, and phrases in English and Chinese.

    segchat render-shapes OUT_DIR --images 50 --seed 7

writes `OUT_DIR/images/000000.png ...`, `OUT_DIR/annotations.json` (COCO: category = shape, attribute `color`,
masks as compressed RLE through pycocotools) and `OUT_DIR/phrases.jsonl` (per image, every canonical phrase present
plus near-miss absent ones, each with its annotation ids).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from segchat.segmenter.rle import mask_box, mask_to_rle
from segchat.lab.data import random_absent_phrase
from segchat.lab.render import Scene, render_scene
from segchat.lab.world import COLOUR_ZH, SHAPE_ZH, SHAPES, phrase_matches

CATEGORIES = [{"id": i + 1, "name": shape, "supercategory": "shape"} for i, shape in enumerate(SHAPES)]
CATEGORY_ID = {c["name"]: c["id"] for c in CATEGORIES}
SHAPE_OF_CATEGORY = {c["id"]: c["name"] for c in CATEGORIES}


def phrase_zh(phrase: str) -> str:
    """The Chinese form of a canonical phrase: "red circle" -> "红色圆形", "circle" -> "圆形", "red shape" -> "红色图形"."""
    words = phrase.split()
    if len(words) == 1:
        return SHAPE_ZH[words[0]]
    colour, noun = words
    tail = {"object": "物体", "shape": "图形"}.get(noun) or SHAPE_ZH[noun]
    return COLOUR_ZH[colour] + tail


def present_phrases(scene: Scene) -> list[str]:
    """Every canonical phrase with at least one visible instance in the scene, in a stable order."""
    phrases: list[str] = []
    for obj in scene.objects:
        for phrase in (f"{obj.colour} {obj.shape}", obj.shape, f"{obj.colour} object", f"{obj.colour} shape"):
            if phrase not in phrases:
                phrases.append(phrase)
    return phrases


def scene_annotations(scene: Scene, image_id: int, first_annotation_id: int) -> list[dict[str, Any]]:
    """COCO annotations of a scene's visible instances (objects fully covered by later ones are left out)."""
    annotations = []
    for obj in scene.objects:
        if not obj.mask.any():
            continue
        x0, y0, x1, y1 = mask_box(obj.mask)
        annotations.append({
            "id": first_annotation_id + len(annotations),
            "image_id": image_id,
            "category_id": CATEGORY_ID[obj.shape],
            "segmentation": mask_to_rle(obj.mask),
            "area": int(obj.mask.sum()),
            "bbox": [x0, y0, x1 - x0, y1 - y0],
            "iscrowd": 0,
            "attributes": {"color": obj.colour},
        })
    return annotations


def scene_phrases(rng: np.random.Generator, scene: Scene, annotations: list[dict[str, Any]],
                  n_absent: int = 2) -> list[dict[str, Any]]:
    """The scene's present phrases (with their annotation ids) and up to `n_absent` absent ones (no ids)."""
    rows = []
    for phrase in present_phrases(scene):
        ids = [a["id"] for a in annotations
               if phrase_matches(phrase, a["attributes"]["color"], SHAPE_OF_CATEGORY[a["category_id"]])]
        if ids:
            rows.append({"phrase": phrase, "phrase_zh": phrase_zh(phrase), "annotation_ids": ids})
    absent: list[str] = []
    for _ in range(n_absent * 4):
        if len(absent) == n_absent:
            break
        phrase = random_absent_phrase(rng, scene)
        if phrase is not None and phrase not in absent:
            absent.append(phrase)
    rows += [{"phrase": p, "phrase_zh": phrase_zh(p), "annotation_ids": []} for p in absent]
    return rows


def coco_document(description: str, seed: int, images: list[dict[str, Any]],
                  annotations: list[dict[str, Any]]) -> dict[str, Any]:
    """A COCO annotation file of shapes-world images."""
    return {"info": {"description": description, "seed": seed}, "images": images, "annotations": annotations,
            "categories": CATEGORIES}


def write_dataset(out_dir: Path, n_images: int, seed: int) -> dict[str, int]:
    """Render `n_images` scenes from `seed` into `out_dir`; returns counts of images, annotations and phrases."""
    if n_images < 1:
        raise ValueError("n_images must be at least 1")
    out_dir = Path(out_dir)
    (out_dir / "images").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    images, annotations, phrase_rows = [], [], []
    for image_id in range(n_images):
        scene = render_scene(rng)
        file_name = f"images/{image_id:06d}.png"
        scene.image.save(out_dir / file_name)
        images.append({"id": image_id, "file_name": file_name, "height": scene.size[0], "width": scene.size[1]})
        scene_anns = scene_annotations(scene, image_id, first_annotation_id=len(annotations) + 1)
        annotations += scene_anns
        for row in scene_phrases(rng, scene, scene_anns):
            phrase_rows.append({"image_id": image_id, "file_name": file_name, **row})
    coco = coco_document("segchat shapes world (../shared/SHAPES.md)", seed, images, annotations)
    (out_dir / "annotations.json").write_text(json.dumps(coco))
    with (out_dir / "phrases.jsonl").open("w", encoding="utf-8") as stream:
        for row in phrase_rows:
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")
    return {"images": len(images), "annotations": len(annotations), "phrases": len(phrase_rows)}
