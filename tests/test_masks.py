"""Crop-only mask work gives the same pixels and the same RLE as the whole-image way."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from segchat.segmenter.masks import CroppedMask, upsample_to_crop
from segchat.segmenter.rle import mask_to_rle


@pytest.mark.parametrize("seed", range(40))
def test_upsample_to_crop_equals_interpolate(seed):
    rng = np.random.default_rng(seed)
    low_h, low_w = (int(v) for v in rng.integers(8, 80, size=2))
    height, width = (int(v) for v in rng.integers(20, 700, size=2))
    logits = rng.normal(-3, 2, size=(low_h, low_w)).astype(np.float32)
    yy, xx = np.mgrid[0:low_h, 0:low_w]
    cy, cx = rng.integers(0, low_h), rng.integers(0, low_w)
    logits += 8 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * rng.uniform(1, 6) ** 2))
    probs = torch.from_numpy(logits).sigmoid()
    whole = F.interpolate(probs[None, None], size=(height, width), mode="bilinear", align_corners=False)[0, 0] > 0.5
    cropped = upsample_to_crop(logits, (height, width), 0.5)
    assert (cropped.full() != whole.numpy()).sum() <= 1  # float rounding right at the threshold
    assert cropped.rle() == mask_to_rle(cropped.full())


def test_empty_probability_map():
    cropped = upsample_to_crop(np.full((10, 10), -5.0, np.float32), (50, 60), 0.5)
    assert cropped.area == 0 and cropped.full().shape == (50, 60) and cropped.box() == (0.0, 0.0, 0.0, 0.0)
    assert cropped.rle() == mask_to_rle(np.zeros((50, 60), bool))


def test_cropped_rle_matches_pycocotools_on_random_masks():
    rng = np.random.default_rng(1)
    for _ in range(500):
        mask = rng.random((int(rng.integers(1, 30)), int(rng.integers(1, 30)))) > rng.random()
        assert CroppedMask.from_full(mask).rle() == mask_to_rle(mask)
    full_height = np.zeros((5, 6), bool)
    full_height[:, 2:4] = True  # a crop spanning the whole height joins runs across columns
    assert CroppedMask.from_full(full_height).rle() == mask_to_rle(full_height)
