"""The sam3 tracker on a tiny random Sam3VideoModel saved and loaded through the production loader: ids and shapes
consistent, and the memory-pruned run equal to the unpruned one and to transformers' own whole-video iterator.

The pruning relies on private internals of transformers==5.23.0 (see segmenter/trackers/sam3_memory.py); this file
is what says whether it still holds on another version."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from segchat.contracts.errors import ModelLoadError
from segchat.lab.model import byte_level_clip_tokenizer
from segchat.lab.moving import iter_frames, sample_video
from segchat.lab.video_model import build_video_checkpoint, tiny_sam3_video_config
from segchat.segmenter.trackers import TrackSummaries
from segchat.segmenter.trackers.sam3 import Sam3VideoTracker
from segchat.segmenter.video_loader import checkpoint_has_tracker, default_tracker, load_sam3_video

DEMO = Path(__file__).resolve().parent.parent / "models" / "shapes-sam3"
PHRASES = ["red shape", "circle"]
# small memory windows and frequent re-conditioning, so that a short clip reaches every pruning rule
KNOBS = dict(score_threshold_detection=0.0, new_det_thresh=0.0, max_num_objects=3, trk_assoc_iou_thresh=0.0,
             hotstart_delay=3, hotstart_unmatch_thresh=2, hotstart_dup_thresh=2, recondition_every_nth_frame=2,
             high_conf_thresh=0.0, high_iou_thresh=0.0, tracker_num_maskmem=3,
             tracker_max_object_pointers_in_encoder=4, tracker_max_cond_frame_num=2)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model on tiny frames: threads only fight the other processes for cores
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    tokenizer = byte_level_clip_tokenizer()
    config = tiny_sam3_video_config(vocab_size=len(tokenizer), image_size=112, **KNOBS)
    return build_video_checkpoint(tmp_path_factory.mktemp("tiny-sam3-video"), config, tokenizer=tokenizer)


@pytest.fixture(scope="module")
def loaded(checkpoint):
    return load_sam3_video(str(checkpoint), device="cpu", dtype="float32")


@pytest.fixture(scope="module")
def clip():
    spec = sample_video(np.random.default_rng(3), frames=10, n_objects=2, size=(128, 160), check=False)
    return [(f.index, f.image) for f in iter_frames(spec)]


def _key(frames):
    return [[(i.id, i.phrase, round(i.score, 6), i.mask.rle()["counts"]) for i in f.instances] for f in frames]


def test_which_checkpoints_have_a_tracker(checkpoint):
    assert checkpoint_has_tracker(str(checkpoint)) and default_tracker(str(checkpoint)) == "sam3"
    if DEMO.is_dir():
        assert not checkpoint_has_tracker(str(DEMO)) and default_tracker(str(DEMO)) == "detect"
        with pytest.raises(ModelLoadError):
            load_sam3_video(str(DEMO), device="cpu")


@pytest.fixture(scope="module")
def runs(loaded, clip):
    pruned = Sam3VideoTracker(loaded, prune=True)
    out_pruned = list(pruned.track(iter(clip), PHRASES, frame_count=len(clip)))
    unpruned = Sam3VideoTracker(loaded, prune=False)
    out_unpruned = list(unpruned.track(iter(clip), PHRASES, frame_count=len(clip)))
    return pruned, out_pruned, out_unpruned


def test_ids_and_shapes_are_consistent(runs, clip):
    _, out, _ = runs
    assert [f.index for f in out] == [i for i, _ in clip]
    summaries = TrackSummaries()
    for frame in summaries.watch(out):
        assert len({i.id for i in frame.instances}) == len(frame.instances)
        for inst in frame.instances:
            assert inst.mask.size == (128, 160) and inst.area > 0 and inst.phrase in PHRASES
    tracks = summaries.summaries()
    ids = [t.id for t in tracks]
    assert ids == list(range(1, len(ids) + 1))
    assert max(t.frames_present for t in tracks) >= len(clip) // 2  # something is really tracked, not just born
    phrase_of = {}
    for frame in out:  # an id keeps its phrase
        for inst in frame.instances:
            assert phrase_of.setdefault(inst.id, inst.phrase) == inst.phrase


def test_pruned_run_equals_unpruned_run(runs):
    pruned, out_pruned, out_unpruned = runs
    assert _key(out_pruned) == _key(out_unpruned)
    stats = pruned.prune_stats
    # every rule fired: frames, whole outputs, memories and masks were dropped
    assert stats.frames_dropped == 10
    assert stats.outputs_dropped > 0 and stats.memories_dropped > 0 and stats.masks_dropped > 0


def test_streamed_run_equals_transformers_whole_video_iterator(loaded, clip, runs):
    _, out_pruned, _ = runs
    model, processor = loaded.model, loaded.processor
    session = processor.init_video_session(inference_device="cpu", dtype=torch.float32)
    for index, frame in clip:
        session.add_new_frame(processor(images=frame, return_tensors="pt").pixel_values[0], index)
    processor.add_text_prompt(session, PHRASES)
    ids: dict[int, int] = {}
    official = []
    with torch.inference_mode():
        for out in model.propagate_in_video_iterator(session):
            post = processor.postprocess_outputs(session, out, original_sizes=[[128, 160]])
            phrase_of = {o: text for text, objs in post["prompt_to_obj_ids"].items() for o in objs}
            row = []
            for obj_id, score, mask in zip(post["object_ids"].tolist(), post["scores"].tolist(), post["masks"]):
                from segchat.segmenter.masks import CroppedMask

                m = CroppedMask.from_full(mask.numpy())
                if m.area:
                    ids.setdefault(obj_id, len(ids) + 1)
                    row.append((ids[obj_id], phrase_of[obj_id], round(score, 6), m.rle()["counts"]))
            official.append(sorted(row))
    assert official == _key(out_pruned)
