"""What a checkpoint's backbone knows about each object, read with a linear probe (no threshold, no decoder).

For every visible object of freshly rendered scenes, the level of the FPN that the DETR encoder and decoder use is
cropped to the object's box and pooled to 4 x 4 (the layout kept, as a decoder query attending to the box would see
it); a multinomial logistic regression is fitted on the first images' objects and scored on the rest, for the
object's shape and for its colour. Shape read at the detector's level is the cause the shapes issue names: the
committed model reads colour there at ~1.0 and shape at ~0.55 (chance 0.20), so its decoder cannot tell a star from a
circle however long it trains.

    python -m segchat.lab.probe models/shapes-sam3 [--images 160] [--seed 31337] [--level 2] [--by-size]

`--by-size` also scores shape per band of the object's size as the model sees it (the longer side of its box after
the resize to the model's input), with the confusion matrix: whether shape is lost on the small objects (a
resolution cause) or on all of them (a representation cause). `--level 0` reads the finest FPN level instead.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass

import numpy as np
import torch
from torchvision.ops import roi_align

from segchat.lab.render import render_scene
from segchat.lab.world import COLOURS, SHAPES
from segchat.segmenter.rle import mask_box

POOLED = 4
DETECTOR_LEVEL = 2  # fpn_hidden_states: 4x, 2x, 1x (the DETR encoder's), 0.5x of the ViT's grid
SIZE_BANDS = ((0, 40), (40, 60), (60, 90), (90, 10_000))  # longer box side in model-input pixels


@dataclass
class ObjectFeatures:
    features: np.ndarray  # objects x (C * POOLED * POOLED)
    shapes: np.ndarray  # index into SHAPES
    colours: np.ndarray  # index into COLOURS
    sizes: np.ndarray  # longer side of the box, in pixels of the model's input


@torch.no_grad()
def object_features(model, processor, scenes, level_index: int = DETECTOR_LEVEL) -> ObjectFeatures:
    """Every visible object's pooled features from one FPN level (the detector's by default), with its labels."""
    features, shapes, colours, sizes = [], [], [], []
    for scene in scenes:
        pixels = processor.image_processor(images=scene.image, return_tensors="pt")["pixel_values"]
        level = model.get_vision_features(pixel_values=pixels).fpn_hidden_states[level_index]  # 1 x C x g x g
        grid, side = level.shape[-1], pixels.shape[-1]
        height, width = scene.size
        boxes = []
        for obj in scene.objects:
            if not obj.mask.any():
                continue
            x0, y0, x1, y1 = mask_box(obj.mask)
            boxes.append([0.0, x0 / width * grid, y0 / height * grid, x1 / width * grid, y1 / height * grid])
            shapes.append(SHAPES.index(obj.shape))
            colours.append(list(COLOURS).index(obj.colour))
            sizes.append(max((x1 - x0) / width, (y1 - y0) / height) * side)
        if boxes:
            pooled = roi_align(level, torch.tensor(boxes, dtype=level.dtype), output_size=POOLED, aligned=True)
            features.append(pooled.flatten(1).numpy())
    return ObjectFeatures(np.concatenate(features), np.array(shapes), np.array(colours), np.array(sizes))


def probe_predictions(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray,
                      classes: int, l2: float = 1e-3, steps: int = 200) -> np.ndarray:
    """A multinomial logistic regression (standardised features, L2, L-BFGS) fitted on train, its test classes."""
    mean, std = train_x.mean(0), train_x.std(0) + 1e-6
    x = torch.tensor((train_x - mean) / std, dtype=torch.float32)
    y = torch.tensor(train_y, dtype=torch.long)
    linear = torch.nn.Linear(x.shape[1], classes)
    optimizer = torch.optim.LBFGS(linear.parameters(), max_iter=steps, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(linear(x), y) + l2 * linear.weight.pow(2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    with torch.no_grad():
        return linear(torch.tensor((test_x - mean) / std, dtype=torch.float32)).argmax(1).numpy()


def probe_accuracy(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray,
                   classes: int, l2: float = 1e-3, steps: int = 200) -> float:
    """Held-out accuracy of the probe."""
    return float((probe_predictions(train_x, train_y, test_x, classes, l2, steps) == test_y).mean())


def shape_by_size(predicted: np.ndarray, truth: np.ndarray, sizes: np.ndarray) -> dict:
    """Shape accuracy per size band and the confusion matrix (rows: true shape, columns: read shape)."""
    bands = {}
    for low, high in SIZE_BANDS:
        inside = (sizes >= low) & (sizes < high)
        bands[f"{low}-{high}px"] = {"objects": int(inside.sum()),
                                    "accuracy": float((predicted[inside] == truth[inside]).mean()) if inside.any() else None}
    confusion = np.zeros((len(SHAPES), len(SHAPES)), dtype=int)
    np.add.at(confusion, (truth, predicted), 1)
    return {"shape_by_size": bands, "shape_confusion": {"order": list(SHAPES), "rows": confusion.tolist()}}


def probe(model, processor, *, images: int = 160, seed: int = 31337, fit_share: float = 0.7,
          level_index: int = DETECTOR_LEVEL, by_size: bool = False) -> dict:
    """Shape and colour read from one FPN level, on `images` fresh scenes (the first `fit_share` to fit)."""
    rng = np.random.default_rng(seed)
    scenes = [render_scene(rng) for _ in range(images)]
    fit = int(images * fit_share)
    train = object_features(model, processor, scenes[:fit], level_index)
    test = object_features(model, processor, scenes[fit:], level_index)
    shape_read = probe_predictions(train.features, train.shapes, test.features, len(SHAPES))
    row = {"probe_shape": float((shape_read == test.shapes).mean()),
           "probe_colour": probe_accuracy(train.features, train.colours, test.features, test.colours, len(COLOURS)),
           "probe_objects": int(len(train.shapes) + len(test.shapes)), "probe_images": images, "probe_seed": seed}
    if by_size:
        row |= {"probe_level": level_index, **shape_by_size(shape_read, test.shapes, test.sizes)}
    return row


def main(argv: list[str] | None = None) -> None:
    from transformers import Sam3Model, Sam3Processor

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--images", type=int, default=160)
    parser.add_argument("--seed", type=int, default=31337)
    parser.add_argument("--level", type=int, default=DETECTOR_LEVEL, help="FPN level: 0 finest .. 3 coarsest")
    parser.add_argument("--by-size", action="store_true", help="shape per size band, and the confusion matrix")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    model = Sam3Model.from_pretrained(args.checkpoint).eval()
    processor = Sam3Processor.from_pretrained(args.checkpoint)
    print(json.dumps(probe(model, processor, images=args.images, seed=args.seed, level_index=args.level,
                           by_size=args.by_size)))


if __name__ == "__main__":
    main()
