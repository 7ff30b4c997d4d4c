"""A checkpoint's calibrated default threshold: stored beside the weights, read by the production loader,
chosen by `segchat calibrate-shapes` from a threshold sweep that is exact against separate evaluations."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from segchat.faces.cli import main
from segchat.segmenter.calibration import CALIBRATION_FILE, Calibration, write_calibration
from segchat.segmenter.predictor import Sam3Segmenter
from segchat.lab.evaluate import evaluate_shapes, sweep_shapes
from segchat.lab.render import render_scene


@pytest.fixture()
def checkpoint_copy(tiny_checkpoint, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(tiny_checkpoint, folder)
    return folder


def test_loader_reads_the_calibrated_threshold_and_detect_uses_it(checkpoint_copy):
    import numpy as np

    image = render_scene(np.random.default_rng(5)).image
    plain = Sam3Segmenter.from_pretrained(str(checkpoint_copy), device="cpu")
    assert plain.default_threshold == 0.3
    scores = [i.score for i in plain.detect(image, ["red circle", "star"], threshold=0.0).instances]
    cut = float(np.median(scores))
    write_calibration(checkpoint_copy, Calibration(threshold=cut, method="test"))
    calibrated = Sam3Segmenter.from_pretrained(str(checkpoint_copy), device="cpu")
    assert calibrated.default_threshold == cut
    kept = calibrated.detect(image, ["red circle", "star"]).instances
    assert kept and len(kept) == sum(score > cut for score in scores)
    assert len(calibrated.detect(image, ["red circle", "star"], threshold=0.0).instances) == len(scores)


def test_a_malformed_calibration_is_ignored(checkpoint_copy):
    (checkpoint_copy / CALIBRATION_FILE).write_text('{"threshold": 7}')
    assert Sam3Segmenter.from_pretrained(str(checkpoint_copy), device="cpu").default_threshold == 0.3


def test_sweep_equals_separate_evaluations(tiny_segmenter):
    swept = sweep_shapes(tiny_segmenter, [0.1, 0.3, 0.5], images=3, seed=11)
    for report in swept:
        alone = evaluate_shapes(tiny_segmenter, images=3, seed=11, threshold=report["threshold"])
        for key in ("colour_shape", "colour_object", "shape", "absent_empty", "instance_recall", "extra_predictions"):
            assert report[key] == pytest.approx(alone[key], abs=1e-12), key


def test_calibrate_command_writes_the_chosen_threshold(checkpoint_copy):
    (checkpoint_copy / "training.json").write_text(json.dumps({"step": 123}))
    done = CliRunner().invoke(main, ["calibrate-shapes", "--model", str(checkpoint_copy), "--images", "2",
                                     "--seed", "3", "--device", "cpu"])
    assert done.exit_code == 0, done.output
    stored = Calibration.model_validate_json((checkpoint_copy / CALIBRATION_FILE).read_text())
    assert f"chosen threshold: {stored.threshold:.2f}" in done.output
    assert stored.model_step == 123 and stored.data["seed"] == 3 and 0.05 <= stored.threshold <= 0.6
    refused = CliRunner().invoke(main, ["calibrate-shapes", "--model", "facebook/sam3", "--images", "1"])
    assert refused.exit_code == 2 and "not a local checkpoint folder" in refused.output


def test_the_shipped_demo_model_carries_a_calibration_for_its_own_weights():
    """A clone must run `--demo` at the threshold chosen for these weights, not at the fallback."""
    from segchat.contracts.settings import Settings
    from segchat.segmenter.calibration import read_calibration

    folder = Settings(demo=True).model_path()
    calibration = read_calibration(folder)
    assert calibration is not None, f"{folder}/{CALIBRATION_FILE} is missing: run segchat calibrate-shapes"
    trained = json.loads((Path(folder) / "training.json").read_text())
    assert calibration.model_step == trained["step"]
    assert Sam3Segmenter.from_pretrained(folder, device="cpu").default_threshold == calibration.threshold
