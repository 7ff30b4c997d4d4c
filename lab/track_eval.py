"""Scoring a tracker on rendered moving-shapes videos: IDF1 (at mask IoU >= 0.5) and HOTA per (video, request), and
the number of objects returned, through TrackEval's reference implementations of both metrics.

Requests are the canonical phrases of ../shared/SHAPES.md of three kinds, each asked for every value present in
the video: "colour" = "{colour} shape", "colour_shape" = "{colour} {shape}", "shape" = "{shape}". One tracker run
per video answers all of its requests at once (tracks are per phrase, so this equals one run per request).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel, computed_field

from segchat.lab.moving import VideoTruth, read_truth
from segchat.lab.world import phrase_matches
from segchat.segmenter.masks import CroppedMask
from segchat.segmenter.trackers.base import TrackedFrame, Tracker

KINDS = ("colour", "colour_shape", "shape")
IDF1_GOAL = 0.8
COUNT_GOAL = 0.7


def video_requests(truth: VideoTruth, kinds: Sequence[str] = KINDS) -> dict[str, str]:
    """phrase -> kind, for every phrase of `kinds` that has at least one object in the video."""
    requests: dict[str, str] = {}
    for obj in truth.objects:
        if "colour" in kinds:
            requests.setdefault(f"{obj.colour} shape", "colour")
        if "colour_shape" in kinds:
            requests.setdefault(f"{obj.colour} {obj.shape}", "colour_shape")
        if "shape" in kinds:
            requests.setdefault(obj.shape, "shape")
    return requests


class SequenceScores(BaseModel):
    idf1: float
    hota: float
    deta: float
    assa: float
    true_objects: int
    returned_objects: int

    @computed_field
    @property
    def count_ok(self) -> bool:
        return self.true_objects == self.returned_objects


class _Sequence:
    """TrackEval's per-sequence input for one request, built frame by frame (similarities only, no masks kept)."""

    def __init__(self) -> None:
        self.gt_ids: list[np.ndarray] = []
        self.tracker_ids: list[np.ndarray] = []
        self.similarity: list[np.ndarray] = []

    def add(self, truth: list[tuple[int, CroppedMask]], predicted: list[tuple[int, CroppedMask]]) -> None:
        sim = np.zeros((len(truth), len(predicted)), dtype=np.float64)
        for i, (_, t_mask) in enumerate(truth):
            for j, (_, p_mask) in enumerate(predicted):
                sim[i, j] = t_mask.iou(p_mask)
        self.gt_ids.append(np.array([i for i, _ in truth], dtype=np.int64))
        self.tracker_ids.append(np.array([i for i, _ in predicted], dtype=np.int64))
        self.similarity.append(sim)

    def scores(self) -> SequenceScores:
        from trackeval.metrics import HOTA, Identity

        gt_unique = sorted({int(i) for ids in self.gt_ids for i in ids})
        tr_unique = sorted({int(i) for ids in self.tracker_ids for i in ids})
        gt_map = {v: k for k, v in enumerate(gt_unique)}
        tr_map = {v: k for k, v in enumerate(tr_unique)}
        data = {
            "num_timesteps": len(self.gt_ids),
            "num_gt_ids": len(gt_unique),
            "num_tracker_ids": len(tr_unique),
            "num_gt_dets": int(sum(len(ids) for ids in self.gt_ids)),
            "num_tracker_dets": int(sum(len(ids) for ids in self.tracker_ids)),
            # TrackEval wants ids 0..n-1 in each of the two sets
            "gt_ids": [np.array([gt_map[int(i)] for i in ids], dtype=np.int64) for ids in self.gt_ids],
            "tracker_ids": [np.array([tr_map[int(i)] for i in ids], dtype=np.int64) for ids in self.tracker_ids],
            "similarity_scores": self.similarity,
        }
        hota = HOTA().eval_sequence(data)
        identity = Identity({"PRINT_CONFIG": False}).eval_sequence(data)
        return SequenceScores(idf1=float(identity["IDF1"]), hota=float(np.mean(hota["HOTA"])),
                              deta=float(np.mean(hota["DetA"])), assa=float(np.mean(hota["AssA"])),
                              true_objects=len(gt_unique), returned_objects=len(tr_unique))


def score_video(truth: VideoTruth, frames: Iterable[TrackedFrame], requests: dict[str, str]) -> dict[str, SequenceScores]:
    """Scores per requested phrase of a tracker's frames against the truth (frames are consumed as they come)."""
    by_index = {f.index: f for f in truth.per_frame}
    sequences = {phrase: _Sequence() for phrase in requests}
    seen = 0
    for frame in frames:
        seen += 1
        truth_frame = by_index[frame.index]
        decoded = [(o, CroppedMask.from_rle(o.mask)) for o in truth_frame.objects]
        for phrase, sequence in sequences.items():
            true = [(o.id, m) for o, m in decoded if phrase_matches(phrase, o.colour, o.shape)]
            predicted = [(inst.id, inst.mask) for inst in frame.instances if inst.phrase == phrase]
            sequence.add(true, predicted)
    if seen != truth.frames:
        raise ValueError(f"the tracker yielded {seen} frames for a {truth.frames}-frame video")
    return {phrase: sequence.scores() for phrase, sequence in sequences.items()}


class RequestRow(SequenceScores):
    """One request's scores on one video (`count_ok` comes with the scores)."""

    video: str
    phrase: str
    kind: str
    frames: int


class KindSummary(BaseModel):
    kind: str
    requests: int
    mean_idf1: float
    mean_hota: float
    count_accuracy: float
    idf1_at_goal: float  # share of requests with IDF1 >= 0.8


class TrackEvalReport(BaseModel):
    tracker: str
    source: str
    videos: int
    frames: int
    seconds: float
    rows: list[RequestRow]
    kinds: list[KindSummary]

    def markdown(self) -> str:
        lines = ["| kind | requests | mean IDF1 | mean HOTA | right count | IDF1 >= 0.8 |", "| --- | --- | --- | --- | --- | --- |"]
        for k in self.kinds:
            lines.append(f"| {k.kind} | {k.requests} | {k.mean_idf1:.3f} | {k.mean_hota:.3f} | {k.count_accuracy:.0%} | "
                         f"{k.idf1_at_goal:.0%} |")
        fps = self.frames / self.seconds if self.seconds else 0.0
        lines.append(f"\n{self.videos} videos, {self.frames} frames, tracker `{self.tracker}` on {self.source}, "
                     f"{fps:.1f} frames/s")
        return "\n".join(lines)


def summarize_rows(rows: list[RequestRow], kinds: Sequence[str] = KINDS) -> list[KindSummary]:
    grouped: dict[str, list[RequestRow]] = defaultdict(list)
    for row in rows:
        grouped[row.kind].append(row)
    out = []
    for kind in kinds:
        group = grouped.get(kind, [])
        if not group:
            continue
        out.append(KindSummary(
            kind=kind, requests=len(group), mean_idf1=float(np.mean([r.idf1 for r in group])),
            mean_hota=float(np.mean([r.hota for r in group])),
            count_accuracy=float(np.mean([r.count_ok for r in group])),
            idf1_at_goal=float(np.mean([r.idf1 >= IDF1_GOAL for r in group])),
        ))
    return out


def evaluate_dataset(
    dataset_dir: str | Path,
    tracker: Tracker,
    *,
    source: str = "frames",
    kinds: Sequence[str] = KINDS,
    threshold: float | None = None,
    max_videos: int | None = None,
    progress=None,
) -> TrackEvalReport:
    """Run `tracker` on each video of a `write_video_dataset` folder (read from its `frames/` folder or its
    `video.mp4`, through the same reader as `segchat track`) and score every request of `kinds`."""
    from segchat.segmenter.video import open_video

    if source not in ("frames", "mp4"):
        raise ValueError("source is 'frames' or 'mp4'")
    folders = sorted(p for p in Path(dataset_dir).iterdir() if (p / "truth.json").is_file())
    if max_videos is not None:
        folders = folders[:max_videos]
    rows: list[RequestRow] = []
    frames_total = 0
    start = time.perf_counter()
    for folder in folders:
        truth = read_truth(folder)
        requests = video_requests(truth, kinds)
        with open_video(folder / ("frames" if source == "frames" else "video.mp4"), fps=truth.fps) as reader:
            scores = score_video(truth, tracker.track(reader, list(requests), threshold=threshold), requests)
        frames_total += truth.frames
        for phrase, s in scores.items():
            rows.append(RequestRow(video=folder.name, phrase=phrase, kind=requests[phrase], frames=truth.frames,
                                   **s.model_dump(exclude={"count_ok"})))
        if progress is not None:
            progress(folder.name, scores)
    return TrackEvalReport(tracker=getattr(tracker, "name", type(tracker).__name__), source=source,
                           videos=len(folders), frames=frames_total, seconds=time.perf_counter() - start, rows=rows,
                           kinds=summarize_rows(rows, kinds))
