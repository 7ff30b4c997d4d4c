"""The layout: one import name, and layers that only look down (import-linter, run here as CI runs it)."""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from segchat.contracts.settings import REPO_DIR

ROOMS = ["contracts", "segmenter", "parser", "agent", "datasets", "lab", "faces", "ui", "prompts"]
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def test_the_installed_distribution_puts_segchat_alone_on_the_import_path():
    assert importlib.metadata.distribution("segchat").read_text("top_level.txt").split() == ["segchat"]


def test_lint_imports_keeps_every_layer_contract():
    done = subprocess.run([LINT_IMPORTS], cwd=REPO_DIR, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "0 broken" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]


def staged_package(root: Path) -> Path:
    """The package as `pip install` lays it out (segchat/<room>/...), copied so a test may add a module to it."""
    package = root / "segchat"
    package.mkdir()
    shutil.copy(REPO_DIR / "segchat" / "__init__.py", package / "__init__.py")
    for room in ROOMS:
        shutil.copytree(REPO_DIR / room, package / room, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    config = tomllib.loads((REPO_DIR / "pyproject.toml").read_text())["tool"]["importlinter"]
    lines = [f'root_package = "{config["root_package"]}"']
    for contract in config["contracts"]:
        lines += ["", "[[tool.importlinter.contracts]]", f'name = "{contract["name"]}"', f'type = "{contract["type"]}"',
                  "layers = [" + ", ".join(f'"{layer}"' for layer in contract["layers"]) + "]"]
    (root / "pyproject.toml").write_text("[tool.importlinter]\n" + "\n".join(lines) + "\n")
    return package


@pytest.mark.parametrize("room,module,upward", [
    ("segmenter", "_probe.py", "import segchat.agent.core"),  # the segmenter reaching up into the agent
    ("contracts", "_probe.py", "from segchat.faces import cli"),  # contracts importing a face
    ("parser", "_probe.py", "import segchat.segmenter.predictor"),  # parser and segmenter know nothing of each other
    ("faces", "mcp.py", "import segchat.faces.rest"),  # one face importing another (MCP used to import REST)
    ("agent", "_probe.py", "import segchat.lab.train"),  # the runtime importing the shapes lab
    ("agent", "_probe.py", "import segchat.datasets.annotate"),  # the agent reaching up into the datasets room
    ("datasets", "_probe.py", "import segchat.lab.train"),  # datasets and the lab know nothing of each other
])
def test_an_upward_import_breaks_the_contract(tmp_path, room, module, upward):
    package = staged_package(tmp_path)
    clean = subprocess.run([LINT_IMPORTS], cwd=tmp_path, env={"PYTHONPATH": str(tmp_path)}, capture_output=True,
                           text=True, timeout=120)
    assert clean.returncode == 0, clean.stdout[-1500:]
    target = package / room / module
    target.write_text((target.read_text() if target.exists() else "") + f"\n{upward}\n")
    broken = subprocess.run([LINT_IMPORTS], cwd=tmp_path, env={"PYTHONPATH": str(tmp_path)}, capture_output=True,
                            text=True, timeout=120)
    assert broken.returncode == 1 and "1 broken" in broken.stdout, broken.stdout[-1500:]


def test_every_package_folder_reaches_the_wheel():
    """Each folder of a room that holds an `__init__.py` is a package `pyproject.toml` names (directly or, for a
    subpackage, through its room's package-dir), so `pip install .` ships it."""
    config = tomllib.loads((REPO_DIR / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    for room in ROOMS:
        for init in sorted((REPO_DIR / room).rglob("__init__.py")):
            parts = init.parent.relative_to(REPO_DIR).parts
            assert "segchat." + ".".join(parts) in listed, f"{init.parent} is not listed in pyproject.toml's packages"


def test_the_agent_room_holds_no_dataset_modules():
    """Datasets are their own room above the agent; a shared filename prefix is a package waiting to happen."""
    assert not list((REPO_DIR / "agent").glob("dataset*.py"))
