"""Text-prompted video tracking behind one interface: `detect` (any image checkpoint, detections linked by IoU and
motion) and `sam3` (SAM3's video model with its memory tracker, for checkpoints that have one)."""

from __future__ import annotations

from segchat.contracts.results import TrackerKind
from segchat.segmenter.base import Segmenter
from segchat.segmenter.trackers.base import FrameStream, TrackedFrame, Tracker, TrackSummaries, TrackSummary, summarize
from segchat.segmenter.trackers.detect import DetectTracker, DetectTrackerSettings

TRACKERS = (TrackerKind.SAM3, TrackerKind.DETECT)  # the trackers there are; AUTO picks one of them


def make_tracker(kind: TrackerKind | str, model_source: str, *, device: str = "auto", dtype: str = "auto",
                 segmenter: Segmenter | None = None, settings: DetectTrackerSettings | None = None) -> Tracker:
    """Build the `kind` tracker (sam3, detect, or auto: sam3 where the checkpoint has a tracker) for a checkpoint.
    Raises ValueError for a kind that is none of them.

    segmenter: an already loaded segmenter to reuse for `detect` (the server's, say)."""
    from segchat.segmenter.video_loader import default_tracker, load_sam3_video

    try:
        kind = TrackerKind(kind)
    except ValueError:
        raise ValueError(f"unknown tracker {kind!r}: one of {', '.join(TrackerKind)}") from None
    if kind is TrackerKind.AUTO:
        kind = default_tracker(model_source)
    if kind is TrackerKind.SAM3:
        from segchat.segmenter.trackers.sam3 import Sam3VideoTracker

        return Sam3VideoTracker(load_sam3_video(model_source, device=device, dtype=dtype))
    if segmenter is None:
        from segchat.segmenter.predictor import Sam3Segmenter

        segmenter = Sam3Segmenter.from_pretrained(model_source, device=device, dtype=dtype)
    return DetectTracker(segmenter, settings)


__all__ = ["DetectTracker", "DetectTrackerSettings", "FrameStream", "TRACKERS", "TrackSummaries", "TrackSummary",
           "TrackedFrame", "Tracker", "TrackerKind", "make_tracker", "summarize"]
