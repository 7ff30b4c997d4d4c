"""The plan's rules on whole tracks, with a scripted tracker (a test double that replays hand-built tracks)."""

from __future__ import annotations

import numpy as np
import pytest

from segchat.agent.tracks import Cancelled, execute_on_video
from segchat.contracts.plan import Plan, Relation, Select, Target
from segchat.segmenter.instances import Instance
from segchat.segmenter.masks import CroppedMask
from segchat.segmenter.trackers.base import TrackedFrame

SIZE = (100, 200)


def box(x0, y0, x1, y1) -> CroppedMask:
    mask = np.zeros(SIZE, dtype=bool)
    mask[y0:y1, x0:x1] = True
    return CroppedMask.from_full(mask)


class ScriptedTracker:
    """Test double of a Tracker: `script[frame] = [(track id, phrase, (x0, y0, x1, y1), score), ...]`."""

    name = "scripted"

    def __init__(self, script: list[list[tuple]]) -> None:
        self.script = script
        self.phrases = None

    def track(self, frames, phrases, *, threshold=None):
        self.phrases = list(phrases)
        for index, _ in frames:
            yield TrackedFrame(index=index, instances=[
                Instance(phrase=p, score=s, mask=box(*b), id=i) for i, p, b, s in self.script[index] if p in phrases])


def frames(n: int):
    return ((i, None) for i in range(n))


def moving(track_id: int, phrase: str, x: int, y: int, n: int, dx: int = 2, w: int = 20, score: float = 0.9):
    return [(track_id, phrase, (x + dx * t, y, x + dx * t + w, y + w), score) for t in range(n)]


def script_of(*tracks, n: int) -> list[list[tuple]]:
    script: list[list[tuple]] = [[] for _ in range(n)]
    for track in tracks:
        for t, entry in enumerate(track):
            if entry is not None:
                script[t].append(entry)
    return script


def run(plan_targets, script, n, **kw):
    tracker = ScriptedTracker(script)
    execution = execute_on_video(Plan(targets=plan_targets, reply_language="en"), tracker, frames(n), SIZE, **kw)
    return execution, tracker


def test_the_leftmost_car_is_the_track_leftmost_on_average():
    n = 10
    # track 1 starts left but drives right past track 2; on average track 2 is further left
    one = moving(1, "car", 10, 10, n, dx=14)
    two = moving(2, "car", 40, 50, n, dx=0)
    execution, tracker = run([Target(phrase="car", select=Select(kind="leftmost", count=1))], script_of(one, two, n=n), n)
    assert tracker.phrases == ["car"]
    assert [o.frames_present for o in execution.objects] == [n] and len(execution.objects) == 1
    kept = execution.objects[0]
    assert kept.id == 1 and kept.mean_centre[0] == pytest.approx(50.0)  # track 2 (x 40-60), renumbered as #1
    assert all(len(f["instances"]) == 1 and f["instances"][0]["id"] == 1 for f in execution.frames)
    assert len(execution.frames) == n  # every frame listed


def test_the_largest_by_mean_area_and_an_ordinal():
    n = 6
    small, big, middle = moving(1, "dog", 0, 0, n, w=10), moving(2, "dog", 50, 40, n, w=30), moving(3, "dog", 120, 0, n,
                                                                                                   w=20)
    script = script_of(small, big, middle, n=n)
    largest, _ = run([Target(phrase="dog", select=Select(kind="largest", count=1))], script, n)
    second, _ = run([Target(phrase="dog", select=Select(kind="largest", count=1, ordinal=2))], script, n)
    assert largest.objects[0].mean_area == 900 and second.objects[0].mean_area == 400


def test_a_track_that_is_mostly_the_excluded_phrase_is_dropped():
    n = 8
    white_car = moving(1, "car", 10, 10, n)
    red_car = moving(2, "car", 100, 50, n)
    # the excluded phrase's own track covers track 1 in 6 of its 8 frames
    white = [(3, "white car", (10 + 2 * t, 10, 30 + 2 * t, 30), 0.8) if t < 6 else None for t in range(n)]
    execution, tracker = run([Target(phrase="car", exclude=["white car"])], script_of(white_car, red_car, white, n=n), n)
    assert set(tracker.phrases) == {"car", "white car"}
    assert len(execution.objects) == 1 and execution.objects[0].mean_centre[0] > 100
    assert execution.reports[0].excluded_dropped == 1
    # covered in only 2 of 8 frames: not mostly the excluded phrase, kept
    brief = [(3, "white car", (10 + 2 * t, 10, 30 + 2 * t, 30), 0.8) if t < 2 else None for t in range(n)]
    kept, _ = run([Target(phrase="car", exclude=["white car"])], script_of(white_car, red_car, brief, n=n), n)
    assert len(kept.objects) == 2


def test_a_relation_holds_over_most_of_a_track():
    n = 6
    table = [(9, "table", (60, 40, 160, 90), 0.9)] * n
    on_table = [(1, "cup", (100, 20, 120, 42), 0.9)] * n
    on_floor = [(2, "cup", (10, 70, 30, 95), 0.9)] * n
    execution, _ = run([Target(phrase="cup", relation=Relation(type="on", anchor="table"))],
                       script_of(on_table, on_floor, table, n=n), n)
    assert len(execution.objects) == 1 and execution.objects[0].mean_box[0] == 100
    assert execution.reports[0].anchors == 1 and execution.reports[0].relation_kept == 1


def test_an_alternate_that_found_the_same_object_is_one_object_and_targets_merge():
    n = 5
    car = moving(1, "car", 10, 10, n)
    automobile = moving(2, "automobile", 10, 10, n, score=0.7)  # the same object through the alternate
    bus = moving(3, "bus", 100, 40, n)
    execution, _ = run([Target(phrase="car", alternates=["automobile"]), Target(phrase="bus")],
                       script_of(car, automobile, bus, n=n), n)
    assert [(o.id, o.label) for o in execution.objects] == [(1, "car"), (2, "bus")]
    assert execution.reports[0].merged == 1


def test_ids_are_renumbered_by_first_appearance_and_cancelling_stops_between_frames():
    n = 6
    late = [None, None, None] + moving(7, "bird", 0, 0, 3)
    early = moving(4, "bird", 100, 0, n)
    execution, _ = run([Target(phrase="bird")], script_of(late, early, n=n), n)
    assert [(o.id, o.first_frame) for o in execution.objects] == [(1, 0), (2, 3)]
    seen = []
    with pytest.raises(Cancelled):
        run([Target(phrase="bird")], script_of(late, early, n=n), n, progress=seen.append,
            cancelled=lambda: len(seen) >= 2)
    assert seen == [1, 2]
