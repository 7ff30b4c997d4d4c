"""Exports of an answer: COCO JSON (RLE masks), a ZIP of mask PNGs, and edge smoothing of masks."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
from PIL import Image
from scipy import ndimage

from segchat.segmenter.instances import Instance
from segchat.segmenter.masks import CroppedMask


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def mask_png(mask: np.ndarray) -> Image.Image:
    """A mask as an 8-bit PNG image (0 / 255)."""
    return Image.fromarray(mask.astype(np.uint8) * 255)


def smooth_mask(mask: CroppedMask, smoothness: float) -> CroppedMask:
    """Edge refinement: blur the mask by `smoothness` pixels (Gaussian sigma) and threshold it again, on its crop
    padded by the blur's reach (the same pixels as blurring the whole image)."""
    if smoothness <= 0 or mask.area == 0:
        return mask
    tight = mask.tight()
    pad = int(np.ceil(4 * smoothness)) + 1  # scipy truncates the Gaussian at 4 sigma
    height, width = mask.size
    h, w = tight.crop.shape
    y0, x0 = max(0, tight.y0 - pad), max(0, tight.x0 - pad)
    y1, x1 = min(height, tight.y0 + h + pad), min(width, tight.x0 + w + pad)
    window = np.zeros((y1 - y0, x1 - x0), dtype=np.float32)
    window[tight.y0 - y0:tight.y0 - y0 + h, tight.x0 - x0:tight.x0 - x0 + w] = tight.crop
    # mode="constant": outside the image counts as background, as the zero padding inside the window does
    blurred = ndimage.gaussian_filter(window, sigma=float(smoothness), mode="constant") > 0.5
    return CroppedMask(blurred, y0, x0, mask.size).tight()


def smoothed(instances: list[Instance], smoothness: float) -> list[Instance]:
    if smoothness <= 0:
        return instances
    return [inst.but(mask=smooth_mask(inst.mask, smoothness)) for inst in instances]


def coco_json(instances: list[Instance], size: tuple[int, int], file_name: str = "image.png") -> dict:
    """One image's instances as a COCO results file with categories by label."""
    height, width = size
    labels = sorted({f.label for f in instances})
    categories = [{"id": i + 1, "name": label} for i, label in enumerate(labels)]
    category_of = {c["name"]: c["id"] for c in categories}
    annotations = []
    for f in instances:
        x0, y0, x1, y1 = f.box
        annotations.append({"id": f.id, "image_id": 1, "category_id": category_of[f.label],
                            "segmentation": f.mask.rle(), "area": f.area,
                            "bbox": [x0, y0, x1 - x0, y1 - y0], "score": round(f.score, 4), "iscrowd": 0})
    return {"images": [{"id": 1, "file_name": file_name, "width": width, "height": height}],
            "annotations": annotations, "categories": categories}


def masks_zip(instances: list[Instance]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for f in instances:
            archive.writestr(f"mask_{f.id}_{f.label.replace(' ', '_')}.png", png_bytes(mask_png(f.mask.full())))
        archive.writestr("instances.json", json.dumps([{"id": f.id, "label": f.label, "score": round(f.score, 4),
                                                        "box": list(f.box), "area": f.area} for f in instances],
                                                      ensure_ascii=False))
    return buffer.getvalue()
