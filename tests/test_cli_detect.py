"""`segchat detect` end to end, on a checkpoint saved by another program with transformers' own classes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from segchat.segmenter.rle import rle_to_mask

REPO = Path(__file__).resolve().parent.parent


def _segchat(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "segchat.faces.cli", *args], capture_output=True, text=True, input=stdin,
                          cwd=REPO, timeout=300)


@pytest.fixture(scope="module")
def foreign_checkpoint(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("foreign")
    subprocess.run([sys.executable, str(REPO / "tests" / "make_tiny_checkpoint.py"), str(out)], check=True,
                   capture_output=True, timeout=300)
    return out


@pytest.fixture(scope="module")
def image_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("img") / "photo.jpg"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (90, 140, 3), dtype=np.uint8)).save(path)
    return path


def test_detect_json_masks_decode_to_image_size(foreign_checkpoint, image_file):
    done = _segchat("detect", str(image_file), "cat", "red car", "--model", str(foreign_checkpoint),
                    "--threshold", "0", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["image"] == {"width": 140, "height": 90}
    assert result["instances"], "threshold 0 keeps every query"
    assert {"total", "embed", "decode"} <= set(result["timings_ms"])
    assert [inst["id"] for inst in result["instances"]] == list(range(1, len(result["instances"]) + 1))
    for inst in result["instances"]:
        assert set(inst) == {"id", "label", "score", "box", "mask"}
        assert inst["label"] in ("cat", "red car")
        mask = rle_to_mask(inst["mask"])
        assert mask.shape == (90, 140)
        assert inst["mask"]["size"] == [90, 140]
        if mask.any():  # the box is the mask's, as in the agent's answers
            ys, xs = np.nonzero(mask)
            assert inst["box"] == [float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)]


def test_detect_jsonl_loads_once_and_reports_bad_lines(foreign_checkpoint, image_file, tmp_path):
    lines = [json.dumps({"image": str(image_file), "phrases": ["cat"]}), "not json",
             json.dumps({"image": str(tmp_path / "missing.png"), "phrases": ["cat"]}),
             json.dumps({"image": str(image_file), "phrases": []}),
             json.dumps({"image": str(image_file), "phrases": ["dog", "bird"]})]
    done = _segchat("detect", "--jsonl", "-", "--model", str(foreign_checkpoint), "--threshold", "0",
                    stdin="\n".join(lines) + "\n")
    assert done.returncode == 1
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(out) == 5
    assert "instances" in out[0] and "instances" in out[4]
    assert [o["line"] for o in out if "error" in o] == [2, 3, 4]
    assert "Traceback" not in done.stderr


def test_detect_bad_inputs_exit_nonzero_without_traceback(foreign_checkpoint, tmp_path):
    text_file = tmp_path / "notes.png"
    text_file.write_text("not an image")
    for args in (["detect", str(text_file), "cat", "--model", str(foreign_checkpoint)],
                 ["detect", str(text_file), "cat", "--model", str(tmp_path / "no-model")],
                 ["detect"]):
        done = _segchat(*args)
        assert done.returncode != 0
        assert "error:" in done.stderr and "Traceback" not in done.stderr
