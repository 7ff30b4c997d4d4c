"""Cut-outs: each instance as a transparent PNG cropped to its box, all of them on one transparent canvas, and a
layered PSD (the image at the bottom, one named layer per instance at its position)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image
from scipy import ndimage

from segchat.segmenter.instances import Instance

BACKGROUND_LAYER = "image"


def alpha_of(instance: Instance, feather: float = 0.0, box: tuple[int, int, int, int] | None = None) -> np.ndarray:
    """The instance's alpha (uint8, 255 inside the mask) over `box` (x0, y0, x1, y1; default its tight box);
    `feather` > 0 softens the edge with a Gaussian of that sigma in pixels."""
    x0, y0, x1, y1 = box or tuple(int(v) for v in instance.box)
    tight = instance.mask.tight()
    alpha = np.zeros((y1 - y0, x1 - x0), dtype=np.float32)
    h, w = tight.crop.shape
    ys0, xs0 = max(y0, tight.y0), max(x0, tight.x0)
    ys1, xs1 = min(y1, tight.y0 + h), min(x1, tight.x0 + w)
    if ys1 > ys0 and xs1 > xs0:
        alpha[ys0 - y0:ys1 - y0, xs0 - x0:xs1 - x0] = tight.crop[ys0 - tight.y0:ys1 - tight.y0,
                                                                  xs0 - tight.x0:xs1 - tight.x0]
    if feather > 0:
        alpha = ndimage.gaussian_filter(alpha, sigma=float(feather), mode="constant")
    return np.clip(np.rint(alpha * 255), 0, 255).astype(np.uint8)


def feathered_box(instance: Instance, size: tuple[int, int], feather: float) -> tuple[int, int, int, int]:
    """The instance's box grown by the feather's reach (so a soft edge is not cut off), inside the image."""
    height, width = size
    x0, y0, x1, y1 = (int(v) for v in instance.box)
    pad = int(np.ceil(3 * feather)) if feather > 0 else 0
    return max(0, x0 - pad), max(0, y0 - pad), min(width, x1 + pad), min(height, y1 + pad)


def cutout(image: Image.Image, instance: Instance, feather: float = 0.0) -> tuple[Image.Image, tuple[int, int]]:
    """(RGBA cut-out cropped to the instance's box, its top-left corner (x, y) in the image). Colour pixels are the
    image's; alpha is the mask (feathered when asked)."""
    box = feathered_box(instance, (image.height, image.width), feather)
    rgb = np.asarray(image.convert("RGB"))[box[1]:box[3], box[0]:box[2]]
    rgba = np.dstack([rgb, alpha_of(instance, feather, box)])
    return Image.fromarray(rgba, "RGBA"), (box[0], box[1])


def cutout_canvas(image: Image.Image, instances: list[Instance], feather: float = 0.0) -> Image.Image:
    """Every instance on one transparent canvas of the image's size (alpha = the union of the masks)."""
    alpha = np.zeros((image.height, image.width), dtype=np.uint8)
    for instance in instances:
        box = feathered_box(instance, (image.height, image.width), feather)
        region = alpha[box[1]:box[3], box[0]:box[2]]
        np.maximum(region, alpha_of(instance, feather, box), out=region)
    return Image.fromarray(np.dstack([np.asarray(image.convert("RGB")), alpha]), "RGBA")


def layered_psd(image: Image.Image, instances: list[Instance], names: dict[int, str], feather: float = 0.0) -> bytes:
    """A PSD with the image as its bottom layer and one layer per instance (its cut-out, at its position), named
    '#id label' (Unicode names are kept: psd-tools writes them in the layer's Unicode name block)."""
    from psd_tools import PSDImage
    from psd_tools.api.layers import PixelLayer

    document = PSDImage.new("RGB", image.size)
    document.append(PixelLayer.frompil(image.convert("RGB"), document, BACKGROUND_LAYER, 0, 0))
    for instance in instances:
        piece, (left, top) = cutout(image, instance, feather)
        layer = PixelLayer.frompil(piece, document, f"#{instance.id}", top, left)
        layer.name = f"#{instance.id} {names.get(instance.id, instance.label)}"
        document.append(layer)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
