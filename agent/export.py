"""Exports of an answer: COCO JSON (RLE masks), a ZIP of mask PNGs, and edge smoothing of masks."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
from scipy import ndimage

from segchat.agent.found import Found
from segchat.agent.overlay import mask_png


def smooth_mask(mask: np.ndarray, smoothness: float) -> np.ndarray:
    """Edge refinement: blur the mask by `smoothness` pixels (Gaussian sigma) and threshold it again."""
    if smoothness <= 0 or not mask.any():
        return mask
    return ndimage.gaussian_filter(mask.astype(np.float32), sigma=float(smoothness)) > 0.5


def smoothed(instances: list[Found], smoothness: float) -> list[Found]:
    if smoothness <= 0:
        return instances
    return [Found(label=f.label, score=f.score, mask=smooth_mask(f.mask, smoothness), id=f.id, phrase=f.phrase)
            for f in instances]


def coco_json(instances: list[Found], size: tuple[int, int], file_name: str = "image.png") -> dict:
    """One image's instances as a COCO results file with categories by label."""
    height, width = size
    labels = sorted({f.label for f in instances})
    categories = [{"id": i + 1, "name": label} for i, label in enumerate(labels)]
    category_of = {c["name"]: c["id"] for c in categories}
    annotations = []
    for f in instances:
        x0, y0, x1, y1 = f.box
        annotations.append({"id": f.id, "image_id": 1, "category_id": category_of[f.label],
                            "segmentation": f.crop().rle(), "area": f.area,
                            "bbox": [x0, y0, x1 - x0, y1 - y0], "score": round(f.score, 4), "iscrowd": 0})
    return {"images": [{"id": 1, "file_name": file_name, "width": width, "height": height}],
            "annotations": annotations, "categories": categories}


def masks_zip(instances: list[Found]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for f in instances:
            png = io.BytesIO()
            mask_png(f.mask).save(png, format="PNG")
            archive.writestr(f"mask_{f.id}_{f.label.replace(' ', '_')}.png", png.getvalue())
        archive.writestr("instances.json", json.dumps([{"id": f.id, "label": f.label, "score": round(f.score, 4),
                                                        "box": list(f.box), "area": f.area} for f in instances]))
    return buffer.getvalue()
