"""What a checkpoint's backbone knows about each object, read with a linear probe (no threshold, no decoder).

For every visible object of freshly rendered scenes, the level of the FPN that the DETR encoder and decoder use is
cropped to the object's box and pooled to 4 x 4 (the layout kept, as a decoder query attending to the box would see
it); a multinomial logistic regression is fitted on the first images' objects and scored on the rest, for the
object's shape and for its colour. Shape read at the detector's level is the cause the shapes issue names: the
committed model reads colour there at ~1.0 and shape at ~0.55 (chance 0.20), so its decoder cannot tell a star from a
circle however long it trains.

    python -m segchat.lab.probe models/shapes-sam3 [--images 160] [--seed 31337]
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch
from torchvision.ops import roi_align

from segchat.lab.render import render_scene
from segchat.lab.world import COLOURS, SHAPES
from segchat.segmenter.rle import mask_box

POOLED = 4


@torch.no_grad()
def object_features(model, processor, scenes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features, shape index, colour index) of every visible object, from the detector's FPN level."""
    features, shapes, colours = [], [], []
    for scene in scenes:
        pixels = processor.image_processor(images=scene.image, return_tensors="pt")["pixel_values"]
        level = model.get_vision_features(pixel_values=pixels).fpn_hidden_states[:-1][-1]  # 1 x C x g x g
        grid = level.shape[-1]
        height, width = scene.size
        boxes = []
        for obj in scene.objects:
            if not obj.mask.any():
                continue
            x0, y0, x1, y1 = mask_box(obj.mask)
            boxes.append([0.0, x0 / width * grid, y0 / height * grid, x1 / width * grid, y1 / height * grid])
            shapes.append(SHAPES.index(obj.shape))
            colours.append(list(COLOURS).index(obj.colour))
        if boxes:
            pooled = roi_align(level, torch.tensor(boxes, dtype=level.dtype), output_size=POOLED, aligned=True)
            features.append(pooled.flatten(1).numpy())
    return np.concatenate(features), np.array(shapes), np.array(colours)


def probe_accuracy(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray,
                   classes: int, l2: float = 1e-3, steps: int = 200) -> float:
    """Held-out accuracy of a multinomial logistic regression (standardised features, L2, L-BFGS)."""
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
        predicted = linear(torch.tensor((test_x - mean) / std, dtype=torch.float32)).argmax(1).numpy()
    return float((predicted == test_y).mean())


def probe(model, processor, *, images: int = 160, seed: int = 31337, fit_share: float = 0.7) -> dict:
    """Shape and colour read from the detector's level, on `images` fresh scenes (the first `fit_share` to fit)."""
    rng = np.random.default_rng(seed)
    scenes = [render_scene(rng) for _ in range(images)]
    fit = int(images * fit_share)
    train_x, train_shape, train_colour = object_features(model, processor, scenes[:fit])
    test_x, test_shape, test_colour = object_features(model, processor, scenes[fit:])
    return {"probe_shape": probe_accuracy(train_x, train_shape, test_x, test_shape, len(SHAPES)),
            "probe_colour": probe_accuracy(train_x, train_colour, test_x, test_colour, len(COLOURS)),
            "probe_objects": int(len(train_shape) + len(test_shape)), "probe_images": images, "probe_seed": seed}


def main(argv: list[str] | None = None) -> None:
    from transformers import Sam3Model, Sam3Processor

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--images", type=int, default=160)
    parser.add_argument("--seed", type=int, default=31337)
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    model = Sam3Model.from_pretrained(args.checkpoint).eval()
    processor = Sam3Processor.from_pretrained(args.checkpoint)
    print(json.dumps(probe(model, processor, images=args.images, seed=args.seed)))


if __name__ == "__main__":
    main()
