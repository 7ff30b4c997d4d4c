"""A real wheel, as `pip install .` (not -e) would install it: built with `pip wheel --no-deps`, unpacked, put on the
path ahead of the editable install, and run from a folder outside the checkout (defect 9: `--demo` looked for the
model beside the checkout, so an installed wheel could not run the demo)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from segchat.contracts.settings import REPO_DIR

ROOMS = ["contracts", "segmenter", "parser", "agent", "datasets", "lab", "faces", "ui", "prompts"]
# what a wheel never holds: left out of the copy it is built from (only at the top: parser/data/ is shipped)
NOT_BUILT_FROM = {".venv", ".git", "build", "dist", "data", "runs", "tests", "bench", "docs", ".pytest_cache",
                  ".hypothesis"}
MAX_WHEEL_BYTES = 24 * 1024 * 1024  # the code and the parser's phrase list (~1 MB), the ~17 MB demo checkpoint


def _source_copy(target: Path) -> Path:
    """The checkout as it would be cloned, built apart so that its build/ and egg-info stay out of the work tree
    (several people and test runs share it)."""
    def ignore(folder: str, names: list[str]) -> set[str]:
        top = Path(folder) == REPO_DIR
        return {n for n in names if (top and n in NOT_BUILT_FROM) or n == "__pycache__" or n.endswith(
            (".pyc", ".egg-info"))}

    shutil.copytree(REPO_DIR, target, symlinks=True, ignore=ignore)
    return target


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """One build per test session: `pip wheel --no-deps` (no build isolation: setuptools is already installed, and
    nothing is downloaded)."""
    work = tmp_path_factory.mktemp("wheel")
    source = _source_copy(work / "source")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(work / "dist"), str(source)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (built,) = (work / "dist").glob("segchat-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The wheel unpacked as pip lays it out in site-packages."""
    site = tmp_path_factory.mktemp("site-packages")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


def _run_outside(site: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Python with the unpacked wheel first on the path, in a folder that has nothing of the checkout."""
    outside = site.parent / "elsewhere"
    outside.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEGCHAT_")}
    env["PYTHONPATH"] = str(site)
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=outside, env=env,
                          timeout=timeout)


def _checkout_packages() -> list[str]:
    """Every package of the checkout, by the name it has once installed (segchat.<room>[.<sub>])."""
    names = ["segchat"]
    for room in ROOMS:
        for init in sorted((REPO_DIR / room).rglob("__init__.py")):
            names.append(".".join(["segchat", *init.parent.relative_to(REPO_DIR).parts]))
    return names


def test_the_wheel_is_one_package_of_a_sane_size(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert wheel.stat().st_size < MAX_WHEEL_BYTES, f"{wheel.stat().st_size / 1e6:.1f} MB"
    assert {name.split("/")[0] for name in names} == {"segchat", "segchat-0.1.0.dist-info"}
    assert {"segchat/demo/shapes-sam3/model.safetensors", "segchat/demo/shapes-sam3/config.json",
            "segchat/demo/shapes_demo.png", "segchat/parser/data/saco_phrases.txt"} <= set(names)


def test_every_package_of_the_checkout_imports_from_the_wheel(installed):
    packages = _checkout_packages()
    probe = ("import importlib, json, sys\n"
             f"print(json.dumps({{name: importlib.import_module(name).__file__ for name in {packages!r}}}))")
    done = _run_outside(installed, "-c", probe)
    assert done.returncode == 0, done.stderr[-3000:]
    files = json.loads(done.stdout.splitlines()[-1])
    elsewhere = {name: path for name, path in files.items() if not Path(path).is_relative_to(installed)}
    assert not elsewhere, f"imported from outside the wheel: {elsewhere}"


def test_the_wheel_holds_the_store_and_migrates_a_database_from_outside_the_checkout(wheel, installed, tmp_path):
    """The store's Alembic migrations are modules of the package (no alembic.ini, nothing read from a checkout): an
    installed wheel opens a new data directory at the newest schema, and upgrades one made before the migrations."""
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    migrations = "segchat/agent/serving/store/migrations/"
    assert {f"{migrations}env.py", f"{migrations}versions/0001_sessions_turns_concepts_jobs.py",
            f"{migrations}versions/0002_job_leases.py", f"{migrations}versions/0003_images.py",
            f"{migrations}versions/0004_job_files.py"} <= names
    legacy = tmp_path / "legacy"
    shutil.copytree(REPO_DIR / "tests" / "data" / "legacy_data_dir", legacy)
    probe = ("import json, sys; from segchat.agent.serving.store import SessionStore, schema\n"
             "stores = [SessionStore(folder) for folder in sys.argv[1:]]\n"
             "print(json.dumps([schema.__file__, [schema.current_revision(s.engine) for s in stores],\n"
             "                  [len(s.list_sessions()) for s in stores], len(stores[1].image_keys())]))")
    done = _run_outside(installed, "-c", probe, str(tmp_path / "new"), str(legacy))
    assert done.returncode == 0, done.stderr[-3000:]
    schema_file, revisions, sessions, images = json.loads(done.stdout.splitlines()[-1])
    assert Path(schema_file).is_relative_to(installed)
    assert revisions == ["0004", "0004"] and sessions == [0, 3] and images == 2


def test_the_wheel_runs_the_demo_from_outside_the_checkout(installed):
    found = _run_outside(installed, "-c", "import json, segchat; from segchat.contracts import resources as r; "
                         "print(json.dumps([segchat.__file__, str(r.demo_model_dir()), str(r.demo_image_path())]))")
    assert found.returncode == 0, found.stderr[-3000:]
    package_file, model_dir, image = (Path(p) for p in json.loads(found.stdout.splitlines()[-1]))
    assert package_file == installed / "segchat" / "__init__.py"
    assert model_dir == installed / "segchat" / "demo" / "shapes-sam3" and (model_dir / "config.json").is_file()
    assert image == installed / "segchat" / "demo" / "shapes_demo.png" and image.is_file()

    detected = _run_outside(installed, "-m", "segchat.faces.cli", "detect", str(image), "red circle", "--demo", "--json")
    assert detected.returncode == 0, detected.stderr[-3000:]
    result = json.loads(detected.stdout)
    assert result["image"] == {"width": 480, "height": 360}
    assert len(result["instances"]) == 2 and {i["label"] for i in result["instances"]} == {"red circle"}
