"""A checkpoint's own default score threshold, calibrated on held-out data and stored beside its weights.

SAM3's scores are sigmoid(query logit) x sigmoid(presence logit); where a good cut lies depends on the model. A
checkpoint folder may hold `segchat_calibration.json` with the threshold that `segchat calibrate-shapes` (or any
other calibration) chose and how; without one the segmenter uses transformers' default of 0.3.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

CALIBRATION_FILE = "segchat_calibration.json"
FALLBACK_THRESHOLD = 0.3  # transformers' post_process_instance_segmentation default

log = logging.getLogger(__name__)


class Calibration(BaseModel):
    threshold: float = Field(ge=0.0, le=1.0)
    method: str = Field(description="how the threshold was chosen, in words")
    data: dict = Field(default_factory=dict, description="what it was chosen on (set, seed, images)")
    model_step: int | None = Field(None, description="the training step of the weights it was chosen for")
    metrics: dict = Field(default_factory=dict, description="the held-out metrics at the chosen threshold")


def read_calibration(source: str) -> Calibration | None:
    """The calibration stored in a local checkpoint folder, if any (a malformed file is logged and ignored)."""
    path = Path(source).expanduser() / CALIBRATION_FILE
    if not path.is_file():
        return None
    try:
        return Calibration.model_validate_json(path.read_text())
    except (ValidationError, OSError, ValueError) as exc:
        log.warning("ignoring %s: %s", path, exc)
        return None


def write_calibration(folder: str | Path, calibration: Calibration) -> Path:
    path = Path(folder) / CALIBRATION_FILE
    path.write_text(json.dumps(calibration.model_dump(), indent=1, ensure_ascii=False) + "\n")
    return path


def remove_calibration(folder: str | Path) -> None:
    """New weights make an old calibration stale."""
    (Path(folder) / CALIBRATION_FILE).unlink(missing_ok=True)
