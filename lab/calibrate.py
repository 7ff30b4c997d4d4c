"""Choosing a shapes checkpoint's default score threshold on held-out images, and storing it beside its weights."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from segchat.lab.evaluate import CALIBRATION_METHOD, CALIBRATION_THRESHOLDS, TARGETS, calibration_score, sweep_shapes
from segchat.segmenter.calibration import Calibration, write_calibration

REPORTED = [*TARGETS, "extra_predictions"]


@dataclass
class CalibrationRun:
    reports: list[dict]  # the SHAPES.md metrics at each threshold of the sweep
    chosen: dict  # the best report
    calibration: Calibration
    written_to: Path | None = None

    def table(self) -> str:
        lines = ["| threshold | " + " | ".join(REPORTED) + " | score |", "| --- " * (len(REPORTED) + 2) + "|"]
        for report in self.reports:
            lines.append(f"| {report['threshold']:.2f} | " + " | ".join(
                f"{report.get(k, float('nan')):.3f}" for k in REPORTED) + f" | {calibration_score(report):.3f} |")
        return "\n".join(lines)


def calibrate(segmenter, folder: Path, *, images: int, seed: int, mask_threshold: float = 0.5,
              write: bool = True) -> CalibrationRun:
    """Sweep the thresholds on `images` fresh scenes of `seed`, choose the best, and (with `write`) store it in the
    checkpoint `folder` with the training step of its weights."""
    reports = sweep_shapes(segmenter, CALIBRATION_THRESHOLDS, images=images, seed=seed, mask_threshold=mask_threshold)
    best = max(reports, key=calibration_score)
    training = folder / "training.json"
    step = json.loads(training.read_text()).get("step") if training.is_file() else None
    calibration = Calibration(threshold=best["threshold"], model_step=step, method=CALIBRATION_METHOD,
                              data={"set": "shapes world, freshly rendered", "seed": seed, "images": images},
                              metrics={k: round(float(best.get(k, float("nan"))), 4) for k in REPORTED})
    run = CalibrationRun(reports, best, calibration)
    if write:
        run.written_to = write_calibration(folder, calibration)
    return run
