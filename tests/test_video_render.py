"""The moving-shapes renderer against ../shared/SHAPES.md ("Moving shapes")."""

from __future__ import annotations

import numpy as np
import pytest

from segchat.lab.moving import (DIAMETER_RANGE, MAX_TURN, MIN_VISIBLE, SPEED_RANGE, iter_frames, read_truth,
                                sample_video, write_video, write_video_dataset)
from segchat.lab.world import COLOURS, SHAPES
from segchat.segmenter.masks import CroppedMask


@pytest.fixture(scope="module")
def specs():
    return [sample_video(np.random.default_rng([11, i]), frames_range=(24, 60)) for i in range(6)]


def test_sizes_lengths_and_objects_are_in_range(specs):
    for spec in specs:
        assert 24 <= spec.frames <= 60
        assert 256 <= spec.width <= 480 and 240 <= spec.height <= 400
        assert 1 <= len(spec.objects) <= 6
        assert spec.background.shape == (spec.height, spec.width, 3)
        for obj in spec.objects:
            assert obj.shape in SHAPES and obj.colour in COLOURS
            assert DIAMETER_RANGE[0] <= obj.diameter <= DIAMETER_RANGE[1]
            assert np.all(np.abs(obj.rgb - np.array(COLOURS[obj.colour])) <= 20 + 1e-4)
        assert [o.id for o in spec.objects] == list(range(1, len(spec.objects) + 1))


def test_motion_is_constant_speed_with_bounces_and_bounded_turns(specs):
    for spec in specs:
        for obj in spec.objects:
            step = np.abs(np.diff(obj.centers, axis=0))
            assert np.all(step >= SPEED_RANGE[0] - 1e-9) and np.all(step <= SPEED_RANGE[1] + 1e-9)
            # a constant speed: each axis moves by one fixed amount per frame, only its sign flips (bounces)
            assert np.allclose(step, step[0], atol=1e-9)
            turn = np.diff(obj.angles)
            assert np.all(np.abs(turn) <= MAX_TURN + 1e-12)
            if obj.shape == "circle":
                assert np.all(turn == 0)
            if obj.role == "stays":  # bounces keep it inside (a step may overshoot by less than one step)
                r = obj.diameter / 2
                x, y = obj.centers[:, 0], obj.centers[:, 1]
                assert np.all(x - r >= -SPEED_RANGE[1]) and np.all(x + r <= spec.width + SPEED_RANGE[1])
                assert np.all(y - r >= -SPEED_RANGE[1]) and np.all(y + r <= spec.height + SPEED_RANGE[1])


def test_about_half_the_videos_have_an_object_entering_late_or_leaving_early():
    special = [any(o.role != "stays" for o in sample_video(np.random.default_rng([5, i]), frames=24, check=False).objects)
               for i in range(80)]
    assert 0.3 <= np.mean(special) <= 0.7


def test_truth_is_visible_masks_with_stable_ids_and_late_early_ranges(specs, tmp_path):
    spec = next(s for s in specs if any(o.role != "stays" for o in s.objects) and len(s.objects) > 1)
    truth = write_video(spec, tmp_path / "v", formats=("frames",))
    assert truth.frames == spec.frames == len(truth.per_frame)
    by_id = {o.id: o for o in spec.objects}
    frames = list(iter_frames(spec))
    for frame, frame_truth in zip(frames, truth.per_frame):
        assert frame_truth.index == frame.index
        masks = {}
        for obj in frame_truth.objects:
            mask = CroppedMask.from_rle(obj.mask).full()
            assert (obj.colour, obj.shape) == (by_id[obj.id].colour, by_id[obj.id].shape)  # ids never change hands
            assert mask.sum() >= MIN_VISIBLE
            assert np.array_equal(mask, frame.visible[obj.id])
            masks[obj.id] = mask
            # visible pixels show the object's colour (anti-aliased edges aside)
            inner = frame.image[mask].astype(float)
            assert np.median(np.abs(inner - by_id[obj.id].rgb), axis=0).max() < 8
        ids = sorted(masks)
        for i in ids:  # visible masks never overlap: a later object covers an earlier one
            for j in ids:
                if i < j:
                    assert not np.any(masks[i] & masks[j])
    for obj in truth.objects:
        assert obj.first_frame is not None
        if obj.role == "enters":
            assert spec.frames / 4 <= obj.first_frame <= spec.frames / 2
        if obj.role == "leaves":
            assert spec.frames / 2 <= obj.last_frame <= 3 * spec.frames / 4


def test_dataset_writes_frames_mp4_and_truth(tmp_path):
    from segchat.segmenter.video import open_video

    summary = write_video_dataset(tmp_path / "ds", 2, seed=3, frames_range=(24, 26))
    assert len(summary.videos) == 2
    for row in summary.videos:
        folder = tmp_path / "ds" / row["name"]
        truth = read_truth(folder)
        assert len(sorted((folder / "frames").glob("*.png"))) == truth.frames == row["frames"]
        with open_video(folder / "video.mp4") as reader:
            assert (reader.width, reader.height) == (truth.width, truth.height)
            assert sum(1 for _ in reader) == truth.frames
    # each video is re-rendered alike from its own seed
    again = write_video_dataset(tmp_path / "again", 1, seed=3, formats=("frames",), frames_range=(24, 26))
    assert read_truth(tmp_path / "again" / "video_0000") == read_truth(tmp_path / "ds" / "video_0000")
    assert again.videos[0]["frames"] == summary.videos[0]["frames"]
