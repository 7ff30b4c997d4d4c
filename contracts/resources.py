"""What the package ships and finds wherever it is installed: the shapes demo model and the demo image."""

from __future__ import annotations

from pathlib import Path

from segchat.contracts.settings import DEMO_MODEL_DIR, REPO_DIR


def demo_model_dir() -> Path:
    """The folder of the shapes demo model (`--demo`)."""
    return DEMO_MODEL_DIR


def demo_image_path() -> Path:
    """The demo image the UI offers as its examples' picture."""
    return REPO_DIR / "examples" / "shapes_demo.png"
