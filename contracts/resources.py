"""What the package ships and finds wherever it is installed: the shapes demo model and the demo image.

A wheel carries them as package data under `segchat/demo/` (pyproject maps `segchat.demo` onto the checkout's
`models/` folder); a checkout, or an editable install of one, has them in `models/` and `examples/`. Both are found
through the package itself (`importlib.resources`), never through the working directory.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

DEMO_PACKAGE_DIR = "demo"  # segchat/demo/ in an installed wheel
DEMO_MODEL_NAME = "shapes-sam3"
DEMO_IMAGE_NAME = "shapes_demo.png"
# a checkout's root (the rooms' folders, models/, examples/); in a wheel, only the folder that holds the package
REPO_DIR = Path(__file__).resolve().parent.parent


def _shipped(name: str) -> Path | None:
    """`segchat/demo/<name>` where the package was installed from a wheel, else None."""
    found = resources.files("segchat") / DEMO_PACKAGE_DIR / name
    # a wheel is installed as files: the model loader and the UI need a real path, not a reader's handle
    return found if isinstance(found, Path) and found.exists() else None


def demo_model_dir() -> Path:
    """The folder of the shapes demo model (`--demo`)."""
    return _shipped(DEMO_MODEL_NAME) or REPO_DIR / "models" / DEMO_MODEL_NAME


def demo_image_path() -> Path:
    """The demo image the UI offers as its examples' picture (and the README's examples use)."""
    return _shipped(DEMO_IMAGE_NAME) or REPO_DIR / "examples" / DEMO_IMAGE_NAME
