"""The `sam3` tracker: SAM3's own video model (detector + SAM2-style memory tracker) with the phrases as text prompts,
fed one frame at a time, with its session's memory kept flat (`sam3_memory.prune_session`).

transformers 5.23 offers two ways in: a whole preprocessed video (`init_video_session(video=...)` then
`propagate_in_video_iterator`) or streaming (`model(inference_session=s, frame=..., frame_idx=i)`), which turns off
hotstart (its removal of tracks that go unmatched or duplicate others in their first frames). This tracker does what
the iterator does, one frame at a time: it adds each frame to the session itself, runs `model(inference_session=s,
frame_idx=i)` (hotstart on), and holds outputs back `hotstart_delay` frames so that tracks removed by hotstart are
never reported; with the video's length known it gives the iterator's exact outputs (a test checks it). The detector
runs once per phrase per frame (transformers does not batch prompts) and the tracker once per object: its cost
grows with both.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator, Sequence

import numpy as np
import torch

from segchat.contracts.results import TrackerKind
from segchat.segmenter.instances import Instance
from segchat.segmenter.masks import CroppedMask
from segchat.segmenter.trackers.base import FrameStream, TrackedFrame
from segchat.segmenter.trackers.sam3_memory import FrameStore, PruneStats, check_transformers_version, prune_session


class Sam3VideoTracker:
    """Text-prompted tracking with a `LoadedSam3Video` (see `segchat.segmenter.video_loader.load_sam3_video`).

    prune: drop session state no later frame reads (memory flat); False keeps transformers' behaviour (memory grows
    with the video), for comparison. hotstart: hold outputs back as the iterator does (False: report every frame at
    once, as transformers' streaming mode would, but with hotstart's removals still applied to later frames).
    """

    name = TrackerKind.SAM3

    def __init__(self, loaded, *, prune: bool = True, hotstart: bool = True, strict_version: bool = True) -> None:
        check_transformers_version(strict=strict_version and prune)
        self.loaded = loaded
        self.model = loaded.model
        self.processor = loaded.processor
        self.prune = prune
        self.hotstart = hotstart
        self.prune_stats = PruneStats()
        self.timings_ms: dict[str, float] = {}

    def _thresholds(self, threshold: float | None) -> tuple[float, float]:
        """(detection, new-object) thresholds: the config's, or `threshold` with the config's margin above it."""
        config = self.model.config
        if threshold is None:
            threshold = self.loaded.default_threshold
        if threshold is None:
            return config.score_threshold_detection, config.new_det_thresh
        margin = max(0.0, config.new_det_thresh - config.score_threshold_detection)
        return threshold, min(1.0, threshold + margin)

    def track(self, frames: FrameStream, phrases: Sequence[str], *, threshold: float | None = None,
              frame_count: int | None = None) -> Iterator[TrackedFrame]:
        """One TrackedFrame per input frame. frame_count: the video's length when known (`VideoReader.frame_count`);
        it only matters for the first `max_object_pointers_in_encoder` frames of a video shorter than that."""
        phrases = list(dict.fromkeys(phrases))
        if frame_count is None:
            frame_count = getattr(frames, "frame_count", None)
        model, processor = self.model, self.processor
        session = processor.init_video_session(inference_device=self.loaded.device, dtype=self.loaded.dtype)
        if self.prune:
            session.processed_frames = FrameStore(frame_count)
        if phrases:
            processor.add_text_prompt(session, phrases)
        delay = model.hotstart_delay if self.hotstart else 0
        saved = (model.score_threshold_detection, model.new_det_thresh)
        model.score_threshold_detection, model.new_det_thresh = self._thresholds(threshold)
        self.prune_stats = PruneStats()
        self.timings_ms = {}
        ids: dict[int, int] = {}  # SAM3's object id -> ours, from 1 in order of first report
        buffer: deque = deque()
        size: tuple[int, int] | None = None
        try:
            for index, frame in frames:
                size = frame.shape[:2]
                if not phrases:
                    yield TrackedFrame(index=index)
                    continue
                start = time.perf_counter()
                pixels = processor(images=frame, return_tensors="pt").pixel_values[0]
                session.add_new_frame(pixels, index)
                now = self._time("preprocess", start)
                with torch.inference_mode():
                    out = model(inference_session=session, frame_idx=index)
                now = self._time("model", now)
                # what the iterator does: note hotstart's removals now, report the frame `delay` frames later
                session.hotstart_removed_obj_ids.update(out.removed_obj_ids)
                if self.prune:
                    self.prune_stats.add(prune_session(session, index, model.tracker_model.config, model.config))
                    now = self._time("prune", now)
                buffer.append((index, out))
                while len(buffer) > delay:
                    yield self._report(session, *buffer.popleft(), size, ids)
                self._time("postprocess", now)
            while buffer:
                yield self._report(session, *buffer.popleft(), size, ids)
        finally:
            model.score_threshold_detection, model.new_det_thresh = saved

    def _time(self, key: str, start: float) -> float:
        now = time.perf_counter()
        self.timings_ms[key] = self.timings_ms.get(key, 0.0) + (now - start) * 1000
        return now

    def _report(self, session, index: int, out, size: tuple[int, int], ids: dict[int, int]) -> TrackedFrame:
        post = self.processor.postprocess_outputs(session, out, original_sizes=[list(size)])
        phrase_of = {obj_id: text for text, obj_ids in post["prompt_to_obj_ids"].items() for obj_id in obj_ids}
        masks = post["masks"].cpu().numpy() if len(post["object_ids"]) else np.zeros((0, *size), dtype=bool)
        instances = []
        for obj_id, score, mask in zip(post["object_ids"].tolist(), post["scores"].tolist(), masks):
            cropped = CroppedMask.from_full(mask)
            if cropped.area == 0:
                continue
            if obj_id not in ids:
                ids[obj_id] = len(ids) + 1
            phrase = phrase_of[obj_id]
            instances.append(Instance(phrase=phrase, score=float(score), mask=cropped, label=phrase, id=ids[obj_id]))
        instances.sort(key=lambda inst: inst.id)
        return TrackedFrame(index=index, instances=instances)
