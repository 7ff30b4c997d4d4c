"""The detect tracker: association alone, on a scripted perfect segmenter (a test double), and on the demo model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from segchat.lab.moving import frame_truth, iter_frames, sample_video, video_truth
from segchat.lab.track_eval import score_video, video_requests
from segchat.lab.world import phrase_matches
from segchat.segmenter.base import EmbeddingHandle
from segchat.segmenter.images import image_digest
from segchat.segmenter.instances import Instance
from segchat.segmenter.masks import CroppedMask
from segchat.segmenter.trackers import DetectTracker, DetectTrackerSettings, TrackSummaries
from segchat.segmenter.trackers.association import iou_matrix, match, shifted

DEMO = Path(__file__).resolve().parent.parent / "models" / "shapes-sam3"


def _square(x0, y0, side, size=(100, 100)) -> CroppedMask:
    full = np.zeros(size, dtype=bool)
    full[y0:y0 + side, x0:x0 + side] = True
    return CroppedMask.from_full(full)


def test_shifted_mask_moves_only_its_offset():
    mask = _square(10, 20, 10)
    moved = shifted(mask, 5.4, -3.6)
    assert moved.crop is mask.tight().crop
    assert moved.box() == (15.0, 16.0, 25.0, 26.0)
    assert moved.iou(_square(15, 16, 10)) == 1.0


def test_hungarian_matching_is_one_to_one_and_gated():
    tracks = [[_square(10, 10, 20)], [_square(50, 50, 20)]]
    dets = [_square(52, 52, 20), _square(12, 12, 20), _square(80, 0, 15)]
    iou = iou_matrix(tracks, dets)
    assert iou.shape == (2, 3) and iou[0, 2] == 0.0
    pairs, lost, fresh = match(iou, min_iou=0.3)
    assert sorted(pairs) == [(0, 1), (1, 0)] and lost == [] and fresh == [2]
    pairs, lost, fresh = match(iou, min_iou=0.99)
    assert pairs == [] and lost == [0, 1] and fresh == [0, 1, 2]


class PerfectSegmenterDouble:
    """A test double of the `Segmenter` protocol standing in for Sam3Segmenter: it 'finds' a phrase's objects by
    looking their true visible masks up in the renderer's truth (by the frame's pixels), optionally missing some and
    adding spurious blobs."""

    source, device, dtype, default_threshold = "perfect-segmenter-double", "cpu", "float32", 0.5

    def __init__(self, rendered, *, miss: float = 0.0, spurious: float = 0.0, seed: int = 0) -> None:
        from PIL import Image

        spec, frames = rendered
        self.rng = np.random.default_rng(seed)
        self.miss, self.spurious = miss, spurious
        self.objects = {o.id: o for o in spec.objects}
        self.calls = 0
        self.by_key = {image_digest(Image.fromarray(f.image)): f.visible for f in frames}

    def embed(self, image, *, cache=True) -> tuple[EmbeddingHandle, bool]:
        return EmbeddingHandle(image_digest(image), (image.height, image.width)), False

    def find_each(self, handle, prompts, *, image=None, threshold=None, mask_threshold=0.5, nms_iou=0.7,
                  timings=None) -> list[list[Instance]]:
        self.calls += 1
        visible = self.by_key[handle.key]
        size = next(iter(visible.values())).shape if visible else (1, 1)
        out = []
        for prompt in prompts:
            phrase = prompt if isinstance(prompt, str) else prompt.text
            found = []
            for obj_id, mask in visible.items():
                o = self.objects[obj_id]
                if phrase_matches(phrase, o.colour, o.shape) and self.rng.random() >= self.miss:
                    found.append(Instance(phrase=phrase, score=0.9, mask=CroppedMask.from_full(mask)))
            if visible and self.rng.random() < self.spurious:
                y, x = int(self.rng.integers(0, size[0] - 12)), int(self.rng.integers(0, size[1] - 12))
                found.append(Instance(phrase=phrase, score=0.9, mask=_square(x, y, 12, size)))
            out.append(found)
        return out


def _render(spec):
    return spec, list(iter_frames(spec))


def _run(rendered, segmenter, settings=None, kinds=("colour", "colour_shape", "shape")):
    spec, rendered_frames = rendered
    truth = video_truth(spec, [frame_truth(spec, f) for f in rendered_frames])
    frames = [(f.index, f.image) for f in rendered_frames]
    requests = video_requests(truth, kinds)
    tracker = DetectTracker(segmenter, settings)
    summaries = TrackSummaries()
    out = list(summaries.watch(tracker.track(iter(frames), list(requests))))
    return truth, requests, out, summaries.summaries(), tracker


@pytest.fixture(scope="module")
def occluding_video():
    # a video where objects cross and cover each other, one of them entering or leaving
    return _render(sample_video(np.random.default_rng([21, 4]), frames=40, n_objects=4, size=(240, 256),
                                late_or_early=True))


def test_perfect_detections_give_perfect_tracks(occluding_video):
    truth, requests, out, summaries, _ = _run(occluding_video, PerfectSegmenterDouble(occluding_video))
    assert [f.index for f in out] == list(range(occluding_video[0].frames))
    scores = score_video(truth, iter(out), requests)
    for phrase, s in scores.items():
        assert s.count_ok, (phrase, s)
        assert s.idf1 >= 0.97, (phrase, s)
    ids = sorted({i.id for f in out for i in f.instances})
    assert ids == list(range(1, len(ids) + 1))
    frame = next(f for f in out if f.instances)
    entry = frame.to_json()["instances"][0]
    assert set(entry) == {"id", "score", "box", "mask"} and entry["mask"]["size"] == [240, 256]
    assert np.array_equal(CroppedMask.from_rle(entry["mask"]).full(), frame.instances[0].mask.full())
    # one summary per id, consistent with the frames
    assert [s.id for s in summaries] == ids
    for s in summaries:
        present = [f.index for f in out if any(i.id == s.id for i in f.instances)]
        assert (s.first_frame, s.last_frame, s.frames_present) == (present[0], present[-1], len(present))


def test_misses_and_spurious_blobs_keep_ids_and_counts(occluding_video):
    double = PerfectSegmenterDouble(occluding_video, miss=0.15, spurious=0.3, seed=1)
    truth, requests, out, _, tracker = _run(occluding_video, double)
    assert double.calls == occluding_video[0].frames  # one batched call per frame, whatever the number of phrases
    scores = score_video(truth, iter(out), requests)
    colour = [s for p, s in scores.items() if requests[p] == "colour"]
    assert all(s.count_ok for s in colour), scores
    assert np.mean([s.idf1 for s in colour]) >= 0.85, scores
    assert set(tracker.timings_ms) == {"embed", "find", "associate"}


def test_without_keep_alive_an_occlusion_breaks_the_track(occluding_video):
    double = PerfectSegmenterDouble(occluding_video, miss=0.3, seed=2)
    truth, requests, out, _, _ = _run(occluding_video, double, DetectTrackerSettings(max_missed=0, birth_frames=1))
    scores = score_video(truth, iter(out), requests)
    assert any(s.returned_objects > s.true_objects for s in scores.values())  # ids are lost at each miss


@pytest.fixture()
def one_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)  # a small model on small frames: threads only fight the other processes for cores
    yield
    torch.set_num_threads(before)


@pytest.mark.skipif(not DEMO.is_dir(), reason="the demo checkpoint is not in this checkout")
def test_demo_model_tracks_colour_requests(one_thread):
    from segchat.segmenter.predictor import Sam3Segmenter

    segmenter = Sam3Segmenter.from_pretrained(str(DEMO), device="cpu", dtype="float32")
    spec = sample_video(np.random.default_rng([31, 0]), frames=16, n_objects=2, size=(256, 320), late_or_early=False)
    truth, requests, out, summaries, _ = _run(_render(spec), segmenter, kinds=("colour",))
    assert len(out) == 16
    for frame in out:
        for inst in frame.instances:
            assert inst.mask.size == (256, 320) and inst.id >= 1 and inst.label in requests
    scores = score_video(truth, iter(out), requests)
    colour = {p: s for p, s in scores.items() if requests[p] == "colour"}
    assert colour and np.mean([s.idf1 for s in colour.values()]) >= 0.6, scores
    assert len(segmenter.cache) == 0  # frames do not pile up in the image cache
