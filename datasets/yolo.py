"""COCO (as merged) -> YOLO segmentation labels, laid out so Ultralytics can train on `DIR/yolo/data.yaml` as is:

    yolo/images/<file_name>          a symbolic link to the original image (no copy of a 40,000-image set)
    yolo/labels/<file_name>.txt      one line per instance: class x1 y1 x2 y2 ... (polygon, normalised to 0..1)
    yolo/data.yaml                   path, train, val, names

Ultralytics finds a label by swapping `images` for `labels` in the image's path, hence the mirrored trees. A mask
becomes the polygon of its largest outer contour (cv2.findContours, as Ultralytics' own converters do); a mask in
several pieces keeps its largest piece, which the COCO file still has whole.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from segchat.datasets.run import RunDir
from segchat.segmenter.rle import rle_to_mask

POLYGON_DECIMALS = 6


def mask_polygon(mask: np.ndarray) -> list[tuple[float, float]]:
    """The largest outer contour of an HxW bool mask as (x, y) pixel corners; [] when it has under 3 points."""
    import cv2

    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return []
    largest = max(contours, key=cv2.contourArea)
    points = largest.reshape(-1, 2)
    if len(points) < 3:
        return []
    return [(float(x), float(y)) for x, y in points]


def label_line(class_index: int, polygon: list[tuple[float, float]], width: int, height: int) -> str:
    coords = []
    for x, y in polygon:
        coords.append(f"{min(max(x / width, 0.0), 1.0):.{POLYGON_DECIMALS}f}")
        coords.append(f"{min(max(y / height, 0.0), 1.0):.{POLYGON_DECIMALS}f}")
    return f"{class_index} " + " ".join(coords)


def write_yolo(run: RunDir, coco: dict[str, Any], image_paths: dict[int, str]) -> Path:
    """Write `DIR/yolo/` from a merged COCO document; `image_paths`: image id -> the original file. Returns the
    data.yaml path. The folder is built beside and swapped in whole, so a reader never sees half of it."""
    import yaml

    staging = run.path / ".yolo.staging"
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "images").mkdir(parents=True)
    (staging / "labels").mkdir(parents=True)
    by_image: dict[int, list[dict[str, Any]]] = {}
    for ann in coco["annotations"]:
        by_image.setdefault(ann["image_id"], []).append(ann)
    for image in coco["images"]:
        relative = Path(image["file_name"])
        if relative.is_absolute() or ".." in relative.parts:  # never write outside the folder
            relative = Path(*[p for p in relative.parts if p not in ("/", "..")])
        link = staging / "images" / relative
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.abspath(image_paths[image["id"]]), link)
        lines = []
        for ann in by_image.get(image["id"], []):
            polygon = mask_polygon(rle_to_mask(ann["segmentation"]))
            if polygon:
                lines.append(label_line(ann["category_id"] - 1, polygon, image["width"], image["height"]))
        label = (staging / "labels" / relative).with_suffix(".txt")
        label.parent.mkdir(parents=True, exist_ok=True)
        label.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    names = {c["id"] - 1: c["name"] for c in coco["categories"]}
    data = {"path": str(run.yolo), "train": "images", "val": "images", "names": names}
    (staging / "data.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    old = run.path / ".yolo.old"
    shutil.rmtree(old, ignore_errors=True)
    if run.yolo.exists():
        run.yolo.rename(old)
    staging.rename(run.yolo)
    shutil.rmtree(old, ignore_errors=True)
    return run.yolo / "data.yaml"
