"""Loading a SAM3 video checkpoint (detector + memory tracker: `Sam3VideoModel` + `Sam3VideoProcessor`), and telling
whether a checkpoint has a tracker at all (facebook/sam3 has; an image-only `Sam3Model` such as the demo has not).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import torch

from segchat.contracts.errors import ModelLoadError
from segchat.contracts.results import TrackerKind
from segchat.segmenter.calibration import read_calibration
from segchat.segmenter.loader import resolve_device, resolve_dtype

log = logging.getLogger(__name__)

VIDEO_MODEL_TYPE = "sam3_video"


@dataclass
class LoadedSam3Video:
    model: object  # transformers.Sam3VideoModel
    processor: object  # transformers.Sam3VideoProcessor
    device: torch.device
    dtype: torch.dtype
    source: str
    default_threshold: float | None = None  # a calibrated detection threshold; None: the config's own


def checkpoint_has_tracker(source: str) -> bool:
    """Whether `source` (a local folder or a hub id) is a SAM3 video checkpoint (config `model_type` sam3_video).

    A local folder is read directly; a hub id needs the hub (its config), and counts as having no tracker when the
    hub cannot be reached (the caller then falls back to the `detect` tracker, which needs only the image model)."""
    folder = Path(source).expanduser()
    if folder.exists():
        config = folder / "config.json"
        if not config.is_file():
            return False
        try:
            return json.loads(config.read_text()).get("model_type") == VIDEO_MODEL_TYPE
        except (OSError, ValueError):
            return False
    try:
        from transformers import AutoConfig

        return AutoConfig.from_pretrained(source).model_type == VIDEO_MODEL_TYPE
    except Exception:  # offline, gated, unknown id: no tracker we could use
        log.info("could not read the config of %s; assuming it has no tracker", source)
        return False


def default_tracker(source: str) -> TrackerKind:
    """SAM3's tracker where the checkpoint has one, else detect."""
    return TrackerKind.SAM3 if checkpoint_has_tracker(source) else TrackerKind.DETECT


def load_sam3_video(source: str, *, device: str = "auto", dtype: str = "auto") -> LoadedSam3Video:
    """Load `Sam3VideoModel` + `Sam3VideoProcessor` from a hub id or a local folder; `ModelLoadError` with a hint if
    it is not a video checkpoint or cannot be read."""
    from transformers import Sam3VideoModel, Sam3VideoProcessor
    from transformers.utils import logging as hf_logging

    if not log.isEnabledFor(logging.INFO):
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    torch_device = resolve_device(device)
    torch_dtype = resolve_dtype(dtype, torch_device)
    folder = Path(source).expanduser()
    is_local = folder.exists()
    if is_local:
        source = str(folder)
        if not checkpoint_has_tracker(source):
            raise ModelLoadError(f"'{source}' is not a SAM3 video checkpoint (its config.json has no model_type "
                                 f"'{VIDEO_MODEL_TYPE}'): use the detect tracker (--tracker detect) with it")
    try:
        processor = Sam3VideoProcessor.from_pretrained(source)
        model = Sam3VideoModel.from_pretrained(source, dtype=torch_dtype)
    except Exception as exc:  # transformers raises many types (OSError, HTTP, gated-repo errors)
        where = "local folder" if is_local else "Hugging Face id"
        raise ModelLoadError(f"could not load a SAM3 video model from {where} '{source}': {type(exc).__name__}: "
                             f"{exc}. The sam3 tracker needs a checkpoint with tracker weights (facebook/sam3); "
                             "any image checkpoint works with --tracker detect.") from None
    model.to(torch_device).eval()
    calibration = read_calibration(source) if is_local else None
    return LoadedSam3Video(model=model, processor=processor, device=torch_device, dtype=torch_dtype, source=source,
                           default_threshold=calibration.threshold if calibration else None)
