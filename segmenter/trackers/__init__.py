"""Text-prompted video tracking behind one interface: `detect` (any image checkpoint, detections linked by IoU and
motion) and `sam3` (SAM3's video model with its memory tracker, for checkpoints that have one)."""

from __future__ import annotations

from segchat.segmenter.trackers.base import FrameStream, TrackedFrame, Tracker, TrackSummaries, TrackSummary, summarize
from segchat.segmenter.trackers.detect import DetectTracker, DetectTrackerSettings

TRACKERS = ("sam3", "detect")


def make_tracker(kind: str, model_source: str, *, device: str = "auto", dtype: str = "auto", segmenter=None,
                 settings: DetectTrackerSettings | None = None) -> Tracker:
    """Build the `kind` tracker ("sam3", "detect" or "auto": sam3 where the checkpoint has a tracker) for a checkpoint.

    segmenter: an already loaded `Sam3Segmenter` to reuse for `detect` (the server's, say)."""
    from segchat.segmenter.video_loader import default_tracker, load_sam3_video

    if kind == "auto":
        kind = default_tracker(model_source)
    if kind == "sam3":
        from segchat.segmenter.trackers.sam3 import Sam3VideoTracker

        return Sam3VideoTracker(load_sam3_video(model_source, device=device, dtype=dtype))
    if kind == "detect":
        if segmenter is None:
            from segchat.segmenter.predictor import Sam3Segmenter

            segmenter = Sam3Segmenter.from_pretrained(model_source, device=device, dtype=dtype)
        return DetectTracker(segmenter, settings)
    raise ValueError(f"unknown tracker {kind!r}: one of {', '.join(TRACKERS)} or auto")


__all__ = ["DetectTracker", "DetectTrackerSettings", "FrameStream", "TRACKERS", "TrackSummaries", "TrackSummary",
           "TrackedFrame", "Tracker", "make_tracker", "summarize"]
