"""Loading a SAM3 checkpoint (hub id or local folder) onto a device in a dtype."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import torch

from segchat.contracts.errors import ModelLoadError
from segchat.segmenter.calibration import FALLBACK_THRESHOLD, read_calibration

log = logging.getLogger(__name__)


@dataclass
class LoadedSam3:
    model: object  # transformers.Sam3Model
    processor: object  # transformers.Sam3Processor
    device: torch.device
    dtype: torch.dtype
    source: str
    default_threshold: float = FALLBACK_THRESHOLD  # the checkpoint's calibrated threshold when it ships one


def resolve_device(device: str = "auto") -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ModelLoadError("--device cuda was asked for, but no CUDA device is available; use --device cpu")
    return torch.device(device)


def resolve_dtype(dtype: str, device: torch.device) -> torch.dtype:
    if dtype == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    return {"float32": torch.float32, "bfloat16": torch.bfloat16}[dtype]


HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*(/[A-Za-z0-9][\w.\-]*)?$")


def looks_like_a_path(source: str) -> bool:
    """A folder on this machine (it exists, or is written as a path) rather than a Hugging Face id ('org/name')."""
    path = Path(source).expanduser()
    return path.exists() or source.startswith(("/", ".", "~")) or not HUB_ID.match(source)


def load_sam3(source: str, *, device: str = "auto", dtype: str = "auto") -> LoadedSam3:
    """Load `Sam3Model` + `Sam3Processor` from a Hugging Face id or a local folder.

    Raises `ModelLoadError` with a message that says how to fix it (log in, point at a folder,
    or run the shapes demo) instead of a stack trace.
    """
    from transformers import Sam3Model, Sam3Processor
    from transformers.utils import logging as hf_logging

    if not log.isEnabledFor(logging.INFO):
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    torch_device = resolve_device(device)
    torch_dtype = resolve_dtype(dtype, torch_device)
    is_local = looks_like_a_path(source)
    if is_local:
        source = str(Path(source).expanduser())
        if not Path(source).is_dir():
            raise ModelLoadError(f"could not load SAM3 from local folder '{source}': there is no such folder. "
                                 "Pass a folder that holds a SAM3 checkpoint saved with save_pretrained (model + "
                                 "processor), a Hugging Face id such as facebook/sam3, or --demo.")
    try:
        processor = Sam3Processor.from_pretrained(source)
        model = Sam3Model.from_pretrained(source, dtype=torch_dtype)
    except Exception as exc:  # transformers raises many types (OSError, HTTP, gated-repo errors)
        where = "local folder" if is_local else "Hugging Face id"
        hint = (
            "Check that the folder holds a SAM3 checkpoint saved with save_pretrained (model + processor)."
            if is_local
            else "It needs the hub (the model is gated: accept its licence, then `hf auth login` or set HF_TOKEN), "
            "or download it elsewhere and pass the folder with --model. Without weights, run the shapes demo: --demo."
        )
        raise ModelLoadError(f"could not load SAM3 from {where} '{source}': {type(exc).__name__}: {exc}. {hint}") from None
    model.to(torch_device).eval()
    log.info("loaded SAM3 from %s on %s (%s)", source, torch_device, torch_dtype)
    calibration = read_calibration(source) if is_local else None
    threshold = calibration.threshold if calibration else FALLBACK_THRESHOLD
    return LoadedSam3(model=model, processor=processor, device=torch_device, dtype=torch_dtype, source=source,
                      default_threshold=threshold)
