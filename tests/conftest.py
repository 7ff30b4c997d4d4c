"""Shared fixtures: a tiny random SAM3 checkpoint built from the real transformers classes."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


def build_tiny_checkpoint(folder: Path, *, seed: int = 0, **config_overrides) -> Path:
    """A tiny random SAM3 saved to `folder` with save_pretrained, from the real config classes."""
    import torch
    from transformers import Sam3Model

    from segchat.lab.model import byte_level_clip_tokenizer, processor_for, save_checkpoint, small_sam3_config

    torch.manual_seed(seed)
    tokenizer = byte_level_clip_tokenizer()
    config = small_sam3_config(vocab_size=len(tokenizer), **config_overrides)
    model = Sam3Model(config).eval()
    return save_checkpoint(model, processor_for(config, tokenizer), folder)


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny-sam3"), seed=0)


@pytest.fixture(scope="session")
def tiny_segmenter(tiny_checkpoint):
    from segchat.segmenter.predictor import Sam3Segmenter

    return Sam3Segmenter.from_pretrained(str(tiny_checkpoint), device="cpu", dtype="float32")


@pytest.fixture(scope="session")
def cats_image() -> Path:
    path = SHARED / "eval" / "coco_000000039769_cats" / "000000039769.png"
    if not path.exists():
        pytest.skip("../shared/eval is not laid beside this checkout")
    return path


@pytest.fixture(scope="session")
def demo_segmenter():
    """The shapes demo model shipped in the repository (`--demo`), loaded once: right answers can be checked on
    examples/shapes_demo.png against its ground truth (examples/render_demo.py)."""
    from segchat.contracts.resources import demo_model_dir
    from segchat.segmenter.predictor import Sam3Segmenter

    return Sam3Segmenter.from_pretrained(str(demo_model_dir()), device="cpu", dtype="float32")
