"""What every tracker yields, and the per-track summary the agent's rules work on.

A tracker consumes (index, frame) pairs (frame: H x W x 3 uint8 RGB, as `segchat.segmenter.video.open_video`
yields them) and phrases, and yields one `TrackedFrame` per input frame, in order, even when nothing is visible:
its instances are `Instance`s whose `.id` is the track id (from 1, stable for the whole video, never reused) and
whose `.phrase` / `.label` is the phrase that found the track. Tracks are per phrase: two phrases that find the same
object give two tracks (the agent decides what a union or an exclusion of them is, as it does for images).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from segchat.contracts.results import TrackerKind
from segchat.segmenter.instances import Instance

FrameStream = Iterable[tuple[int, np.ndarray]]


@dataclass
class TrackedFrame:
    index: int
    instances: list[Instance] = field(default_factory=list)

    def to_json(self) -> dict:
        """The video result's `frames` entry: masks as COCO RLE at the original size, boxes tight xyxy."""
        return {"index": self.index, "instances": [
            {"id": i.id, "score": round(i.score, 4), "box": [round(v, 1) for v in i.box], "mask": i.mask.rle()}
            for i in self.instances]}


class Tracker(Protocol):
    """Text-prompted multi-object tracking over a stream of frames."""

    name: TrackerKind  # DETECT or SAM3: what the result's "tracker" field says

    def track(self, frames: FrameStream, phrases: Sequence[str], *,
              threshold: float | None = None) -> Iterator[TrackedFrame]:
        """One TrackedFrame per frame of `frames`, in order. `threshold` None is the checkpoint's default."""
        ...


@dataclass
class TrackSummary:
    """One track over its whole life: what selection ("the leftmost"), exclusion and the result's `objects` use.

    score: mean instance score; mean_centre: (x, y) mean of the box centres over the frames present; mean_area: mean
    mask area in pixels; mean_box: mean xyxy box."""

    id: int
    label: str
    phrase: str
    score: float
    first_frame: int
    last_frame: int
    frames_present: int
    mean_centre: tuple[float, float]
    mean_area: float
    mean_box: tuple[float, float, float, float]

    def to_object(self) -> dict:
        """The video result's `objects` entry."""
        return {"id": self.id, "label": self.label, "score": round(self.score, 4), "first_frame": self.first_frame,
                "last_frame": self.last_frame, "frames_present": self.frames_present}


class TrackSummaries:
    """Accumulates summaries as frames stream by (constant memory per track); `add` returns the frame unchanged so
    it can sit inside a pipeline: `for f in summaries.watch(tracker.track(...))`."""

    def __init__(self) -> None:
        self._acc: dict[int, dict] = {}

    def add(self, frame: TrackedFrame) -> TrackedFrame:
        for inst in frame.instances:
            acc = self._acc.get(inst.id)
            if acc is None:
                acc = self._acc[inst.id] = {"label": inst.label, "phrase": inst.phrase, "score": 0.0, "first": frame.index,
                                            "last": frame.index, "n": 0, "box": np.zeros(4), "area": 0.0}
            x0, y0, x1, y1 = inst.box
            acc["score"] += inst.score
            acc["last"] = frame.index
            acc["n"] += 1
            acc["box"] += (x0, y0, x1, y1)
            acc["area"] += inst.area
        return frame

    def watch(self, frames: Iterable[TrackedFrame]) -> Iterator[TrackedFrame]:
        for frame in frames:
            yield self.add(frame)

    def summaries(self) -> list[TrackSummary]:
        out = []
        for track_id in sorted(self._acc):
            acc = self._acc[track_id]
            n = acc["n"]
            box = acc["box"] / n
            out.append(TrackSummary(
                id=track_id, label=acc["label"], phrase=acc["phrase"], score=acc["score"] / n,
                first_frame=acc["first"], last_frame=acc["last"], frames_present=n,
                mean_centre=(float(box[0] + box[2]) / 2, float(box[1] + box[3]) / 2), mean_area=acc["area"] / n,
                mean_box=tuple(float(v) for v in box),
            ))
        return out


def summarize(frames: Iterable[TrackedFrame]) -> list[TrackSummary]:
    summaries = TrackSummaries()
    for frame in frames:
        summaries.add(frame)
    return summaries.summaries()
