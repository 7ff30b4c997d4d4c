"""Keeping a SAM3 video session's memory flat: after each frame, drop what no later frame can read.

transformers' `Sam3VideoInferenceSession` keeps every preprocessed frame and every object's outputs of every frame
(masks at the model's full resolution among them) and frees nothing, so memory grows with the video. What the
tracker can still read after frame t, going forward (read in the 5.23 source):
- the frame pixels and vision features of the current frame only (features are cached one frame deep);
- per object, the memory (`maskmem_features`, `maskmem_pos_enc`) of non-conditioning frames t+2-num_maskmem .. t
  (`_gather_memory_frame_outputs`), and of the `max_cond_frame_num` most recent conditioning frames
  (`_select_closest_cond_frames`; a conditioning frame inside the memory window is also read as one);
- per object, the `object_pointer` of non-conditioning frames t+2-max_object_pointers_in_encoder .. t, and of
  *every* past conditioning frame (`_get_object_pointers` takes them all): those entries are kept, stripped to
  their pointer (a few hundred floats each, one per object per re-conditioning);
- `pred_masks` / `high_res_masks` of past frames are never read again (the tracker reads its current output);
- per-frame bookkeeping (`frames_tracked_per_obj`, mask inputs, frame-wise tracker scores, suppressed ids) of the
  current frame only, and hotstart's unmatched / duplicate frame lists only through their lengths compared with
  `hotstart_unmatch_thresh` / `hotstart_dup_thresh`, so they are cut to their last that-many entries.
Everything here touches private internals of transformers==5.23.0 (`Sam3VideoInferenceSession`'s dicts and the
tracker's memory rules): tests/test_video_sam3.py checks that a pruned run equals the unpruned one, and
`check_transformers_version` refuses other versions unless asked to run anyway.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)

TESTED_TRANSFORMERS = "5.23.0"
MEMORY_KEYS = ("maskmem_features", "maskmem_pos_enc")
MASK_KEYS = ("pred_masks", "high_res_masks")


def check_transformers_version(strict: bool = True) -> bool:
    import transformers

    if transformers.__version__ == TESTED_TRANSFORMERS:
        return True
    message = (f"the sam3 tracker's memory pruning was checked on transformers {TESTED_TRANSFORMERS}, this is "
               f"{transformers.__version__}: run tests/test_video_sam3.py before trusting it")
    if strict:
        raise RuntimeError(message)
    log.warning(message)
    return False


class FrameStore(dict):
    """`session.processed_frames` holding only the frames not yet done, but reporting the video's length.

    The tracker reads `len(processed_frames)` as the number of frames in the video (it bounds how many past object
    pointers a frame attends to), so after old frames are dropped it must still say how many there are: `total`
    when the video's length is known, else a length no index reaches (the streaming case)."""

    def __init__(self, total: int | None) -> None:
        super().__init__()
        self.total = total if total is not None else 1 << 31

    def __len__(self) -> int:
        return self.total


@dataclass
class PruneStats:
    frames_dropped: int = 0
    outputs_dropped: int = 0
    memories_dropped: int = 0
    masks_dropped: int = 0

    def add(self, other: PruneStats) -> None:
        self.frames_dropped += other.frames_dropped
        self.outputs_dropped += other.outputs_dropped
        self.memories_dropped += other.memories_dropped
        self.masks_dropped += other.masks_dropped


def _strip(entry: dict, keys: tuple[str, ...]) -> int:
    dropped = 0
    for key in keys:
        if entry.pop(key, None) is not None:
            dropped += 1
    return dropped


def prune_session(session, frame_idx: int, tracker_config, video_config) -> PruneStats:
    """Drop from `session` what no frame after `frame_idx` reads (forward tracking only). Returns what it dropped."""
    stats = PruneStats()
    memory_from = frame_idx + 2 - tracker_config.num_maskmem  # oldest non-conditioning frame whose memory is read
    pointer_from = frame_idx + 2 - tracker_config.max_object_pointers_in_encoder
    keep_from = min(memory_from, pointer_from)
    max_cond = tracker_config.max_cond_frame_num

    frames = session.processed_frames
    if frames is not None:
        for f in [f for f in frames.keys() if f <= frame_idx]:
            del frames[f]
            stats.frames_dropped += 1

    for outputs in session.output_dict_per_obj.values():
        non_cond = outputs["non_cond_frame_outputs"]
        for f in list(non_cond):
            if f < keep_from:
                del non_cond[f]
                stats.outputs_dropped += 1
                continue
            entry = non_cond[f]
            stats.masks_dropped += _strip(entry, MASK_KEYS)
            if f < memory_from:
                stats.memories_dropped += _strip(entry, MEMORY_KEYS)
        cond = outputs["cond_frame_outputs"]
        # forward, a frame selects the most recent conditioning frame before it and then the next most recent ones
        recent = set(cond) if max_cond < 0 else set(sorted(cond)[-max(max_cond, 1):])
        for f, entry in cond.items():
            stats.masks_dropped += _strip(entry, MASK_KEYS)
            if f not in recent and f < memory_from:
                stats.memories_dropped += _strip(entry, MEMORY_KEYS)

    for per_obj in (session.frames_tracked_per_obj, session.mask_inputs_per_obj, session.point_inputs_per_obj):
        for by_frame in per_obj.values():
            for f in [f for f in by_frame if f < frame_idx]:
                del by_frame[f]
    for by_frame in (session.obj_id_to_tracker_score_frame_wise, session.suppressed_obj_ids):
        for f in [f for f in by_frame if f < frame_idx]:
            del by_frame[f]
    for lists, keep in ((session.unmatched_frame_inds, video_config.hotstart_unmatch_thresh),
                        (session.overlap_pair_to_frame_inds, video_config.hotstart_dup_thresh)):
        keep = max(int(keep), 1)
        for values in lists.values():
            if len(values) > keep:
                del values[:-keep]
    return stats
