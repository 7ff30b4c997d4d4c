"""A plan on a video: the tracker streams frames, the agent's rules apply to whole tracks.

The frames go by once (memory stays flat: what is kept per frame is each track's box, score and RLE mask). While
they pass, the rules that need two tracks at once are counted frame by frame: how often a target's track overlaps an
excluded phrase's track, how often it stands in the plan's relation to an anchor, how often two candidate tracks are
the same object. After the last frame each target keeps the tracks that were excluded or unrelated in less than half
of their frames, one of every pair of tracks that were the same object, and selection ranks whole tracks ("the
leftmost car" is the car whose track is leftmost on average; "the largest" by mean area).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from segchat.agent.rules import EXCLUDE_OVERLAP, order_key, relation_holds
from segchat.contracts.plan import Plan, Target
from segchat.segmenter.instances import covered_fraction, mask_iou
from segchat.segmenter.trackers.base import TrackedFrame, TrackSummaries, TrackSummary, Tracker

SAME_TRACK_IOU = 0.7  # two tracks are one object in a frame when their masks overlap this much
MAJORITY = 0.5  # of a track's frames, for exclusion, relations and sameness

Progress = Callable[[int], None]  # frames done


class Cancelled(Exception):
    """The job was cancelled between two frames."""


@dataclass
class TargetTracks:
    """What happened to one target over the video, for the explanation."""

    target: Target
    found: int = 0
    merged: int = 0
    excluded_dropped: int = 0
    relation_kept: int | None = None
    anchors: int = 0
    selected: list[TrackSummary] = field(default_factory=list)


@dataclass
class VideoExecution:
    objects: list[TrackSummary]  # the kept tracks, renumbered from 1 by first appearance
    frames: list[dict]  # every frame's kept instances, as the video result lists them
    reports: list[TargetTracks]
    frames_seen: int
    timings_ms: dict[str, float]


class _Evidence:
    """Per-track counts gathered frame by frame."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.excluded: dict[tuple[int, int], int] = defaultdict(int)  # (target index, track) -> frames
        self.related: dict[tuple[int, int], int] = defaultdict(int)
        self.same: dict[tuple[int, int], int] = defaultdict(int)  # (track, track) -> frames with IoU > 0.7
        self.anchor_tracks: dict[int, set[int]] = defaultdict(set)

    def add(self, frame: TrackedFrame) -> None:
        by_phrase = defaultdict(list)
        for inst in frame.instances:
            by_phrase[inst.phrase].append(inst)
        for number, target in enumerate(self.plan.targets):
            candidates = [i for p in [target.phrase, *target.alternates] for i in by_phrase.get(p, [])]
            excluded = [i for p in target.exclude for i in by_phrase.get(p, [])]
            anchors = by_phrase.get(target.relation.anchor, []) if target.relation else []
            self.anchor_tracks[number].update(a.id for a in anchors)
            for inst in candidates:
                if any(mask_iou(inst, e) >= 0.5 or covered_fraction(inst, e) >= EXCLUDE_OVERLAP for e in excluded):
                    self.excluded[(number, inst.id)] += 1
                if target.relation and any(relation_holds(target.relation.type, inst, a) for a in anchors):
                    self.related[(number, inst.id)] += 1
        everything = frame.instances
        for i, a in enumerate(everything):
            for b in everything[i + 1:]:
                if a.id != b.id and mask_iou(a, b) > SAME_TRACK_IOU:
                    self.same[(min(a.id, b.id), max(a.id, b.id))] += 1


def _rank(tracks: list[TrackSummary], kind: str, size: tuple[int, int]) -> list[TrackSummary]:
    """Tracks ordered as rules.rank orders instances, on their mean centre and mean area over the video."""
    return sorted(tracks, key=order_key(kind, size, lambda t: t.mean_centre, lambda t: t.mean_area, lambda t: t.score))


def _one_object(tracks: list[TrackSummary], same: dict[tuple[int, int], int]) -> tuple[list[TrackSummary], int]:
    """Keep the best-scored track of every group that was the same object in most of its frames."""
    kept: list[TrackSummary] = []
    for track in sorted(tracks, key=lambda t: (-t.score, t.id)):
        if all(same.get((min(track.id, k.id), max(track.id, k.id)), 0) < MAJORITY * min(track.frames_present,
                                                                                       k.frames_present)
               for k in kept):
            kept.append(track)
    return kept, len(tracks) - len(kept)


def execute_on_video(plan: Plan, tracker: Tracker, frames: Iterable[tuple[int, object]], size: tuple[int, int], *,
                     threshold: float | None = None, progress: Progress | None = None,
                     cancelled: Callable[[], bool] | None = None) -> VideoExecution:
    """Track every phrase the plan needs through `frames` (one pass) and apply the plan to the tracks."""
    start = time.perf_counter()
    evidence = _Evidence(plan)
    summaries = TrackSummaries()
    recorded: list[tuple[int, list[tuple[int, float, list[float], dict]]]] = []
    phrases = plan.phrases()
    for frame in tracker.track(frames, phrases, threshold=threshold):
        if cancelled is not None and cancelled():
            raise Cancelled("the job was cancelled")
        summaries.add(frame)
        evidence.add(frame)
        recorded.append((frame.index, [(i.id, round(i.score, 4), [round(v, 1) for v in i.box], i.mask.rle())
                                       for i in frame.instances]))
        if progress is not None:
            progress(len(recorded))
    tracked = time.perf_counter()
    all_tracks = summaries.summaries()
    reports: list[TargetTracks] = []
    chosen: list[tuple[TrackSummary, str]] = []
    for number, target in enumerate(plan.targets):
        report = TargetTracks(target=target)
        names = {target.phrase, *target.alternates}
        candidates = [t for t in all_tracks if t.phrase in names]
        report.found = len(candidates)
        candidates, report.merged = _one_object(candidates, evidence.same)
        if target.relation is not None:
            report.anchors = len(evidence.anchor_tracks[number])
            candidates = [t for t in candidates if evidence.related[(number, t.id)] >= MAJORITY * t.frames_present]
            report.relation_kept = len(candidates)
        if target.exclude:
            kept = [t for t in candidates if evidence.excluded[(number, t.id)] < MAJORITY * t.frames_present]
            report.excluded_dropped = len(candidates) - len(kept)
            candidates = kept
        ranked = _rank(candidates, target.select.kind, size)
        begin = (target.select.ordinal or 1) - 1
        report.selected = ranked[begin:None if target.select.count is None else begin + target.select.count]
        chosen += [(t, target.phrase) for t in report.selected]
        reports.append(report)
    # the same object asked for by two targets is one object
    unique, _ = _one_object([t for t, _ in chosen], evidence.same)
    labels = {t.id: label for t, label in chosen}
    order = sorted(unique, key=lambda t: (t.first_frame, t.id))
    new_id = {t.id: number for number, t in enumerate(order, start=1)}
    objects = [TrackSummary(**{**vars(t), "id": new_id[t.id], "label": labels[t.id]}) for t in order]
    frames_out = [{"index": index, "instances": [
        {"id": new_id[track], "score": score, "box": box, "mask": rle}
        for track, score, box, rle in sorted(entries, key=lambda e: new_id.get(e[0], 0)) if track in new_id]}
        for index, entries in recorded]
    for report in reports:
        report.selected = [t for t in objects if any(new_id.get(s.id) == t.id for s in report.selected)]
    done = time.perf_counter()
    return VideoExecution(objects=objects, frames=frames_out, reports=reports, frames_seen=len(recorded),
                          timings_ms={"track": round((tracked - start) * 1000, 2),
                                      "rules": round((done - tracked) * 1000, 2)})
