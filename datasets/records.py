"""The dataset loop's boundary types: an input image, one image's result as a shard line, the run's identity.

A shard line is the unit of durability: each finished image is one `ImageRecord` written as one JSON line, so a
run killed at any instant leaves whole records (and at most one torn last line, which readers drop).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from segchat.contracts.errors import SegchatError

RECORD_VERSION = 1


class RunMismatchError(SegchatError):
    """An output folder that holds a different run (instruction, model, threshold or input)."""

    code = "run_mismatch"
    http_status = 409


class DatasetInputError(SegchatError):
    """An input that names no images: a missing folder, an empty glob, a malformed manifest."""

    code = "bad_dataset_input"
    http_status = 400


class ImageItem(BaseModel):
    """One image of the dataset. `id` is its COCO image id (1-based, fixed when the run starts); `file_name` is
    relative to the input root (posix separators); `path` is where a worker reads it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: int = Field(ge=1)
    file_name: str
    path: str


class RleSegmentation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    size: list[int] = Field(min_length=2, max_length=2, description="[height, width] of the image")
    counts: str = Field(description="compressed COCO RLE")


class AnnotationRecord(BaseModel):
    """One instance in COCO terms, named by its category (the target phrase), not yet numbered."""

    model_config = ConfigDict(extra="forbid")
    category: str
    score: float
    bbox: list[float] = Field(min_length=4, max_length=4, description="x, y, width, height of the mask's tight box")
    area: int = Field(ge=0)
    segmentation: RleSegmentation


class ImageFailure(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str
    message: str


class ImageRecord(BaseModel):
    """What one worker made of one image: its size and annotations, or why it could not be read."""

    model_config = ConfigDict(extra="forbid")
    v: int = RECORD_VERSION
    image_id: int = Field(ge=1)
    file_name: str
    status: Literal["ok", "error"]
    width: int | None = None
    height: int | None = None
    annotations: list[AnnotationRecord] = Field(default_factory=list)
    error: ImageFailure | None = None
    elapsed_ms: float = 0.0
    worker: str = ""


class RunIdentity(BaseModel):
    """What makes two invocations the same run: resuming is allowed only when all of it matches.

    The plan is not part of it: it is made once from the instruction when the run starts and read back from
    `plan.json` on resume (an LLM may word the same instruction differently the second time).
    """

    model_config = ConfigDict(extra="forbid")
    instruction: str | None = None
    phrases: list[str] | None = None
    model: str
    model_fingerprint: str | None = Field(None, description="hash of a local checkpoint's config and weight sizes")
    threshold: float | None = Field(None, description="null: the checkpoint's calibrated threshold")
    mask_threshold: float = 0.5
    max_image_pixels: int
    images: int = Field(ge=1)
    inputs_digest: str = Field(description="hash of the ordered file names: the image ids depend on it")

    def differences(self, other: RunIdentity) -> list[str]:
        """Human lines naming each field where `other` (this invocation) differs from `self` (the stored run)."""
        lines = []
        for name in type(self).model_fields:
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine != theirs:
                lines.append(f"{name}: {mine!r} in the folder, {theirs!r} now")
        return lines


class RunManifest(BaseModel):
    """`DIR/run.json`: the identity plus when the run began and what it was started as."""

    model_config = ConfigDict(extra="forbid")
    identity: RunIdentity
    created_at: datetime
    input: str = Field(description="the input as given when the run started (folder, glob or manifest)")
    input_root: str
    segchat_version: str = ""
