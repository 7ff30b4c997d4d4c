"""The `detect` tracker: the image segmenter on every frame, every phrase in one batched `find_each`, and the
detections linked into tracks by mask IoU and motion. Works with any image checkpoint (no tracker weights needed).

Per phrase, each frame: every live track predicts its mask (its last mask moved by its velocity, and unmoved, for
a bounce), the detections are matched one-to-one to tracks by IoU (Hungarian, gated at `min_iou`), a matched track
takes the detection's mask and updates its velocity, an unmatched one counts a miss and dies after `max_missed`
misses in a row (it survives an occlusion of that long); an unmatched detection starts a tentative track, which
becomes a real one (and gets its id) once seen in `birth_frames` frames in a row. Output is delayed by
`birth_frames - 1` frames so that a new track is reported from its first frame on. The forward costs the same for
1 or 16 objects (one batch of phrases); the association is a few crop intersections per track.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from PIL import Image
from pydantic import BaseModel, Field

from segchat.contracts.results import TrackerKind
from segchat.segmenter.base import EmbeddingHandle, Segmenter
from segchat.segmenter.instances import Instance
from segchat.segmenter.trackers.association import iou_matrix, match, shifted
from segchat.segmenter.trackers.base import FrameStream, TrackedFrame


class DetectTrackerSettings(BaseModel):
    """The association's knobs (defaults tuned on rendered moving-shapes videos of seeds not used for evaluation)."""

    birth_frames: int = Field(3, ge=1, description="frames in a row a new object must be detected in to become a track")
    max_missed: int = Field(12, ge=0, description="frames in a row a track may go undetected (occlusion) and live on")
    min_iou: float = Field(0.2, gt=0, le=1, description="the least mask IoU of a detection with a track's prediction")
    birth_score: float | None = Field(None, description="the mean score a new track's first detections need; "
                                                        "None: the detection threshold")
    duplicate_cover: float = Field(0.6, gt=0, le=1, description="an unmatched detection lying this much inside a "
                                                                "matched one of the same phrase is a duplicate")
    velocity_smoothing: float = Field(0.5, gt=0, le=1, description="weight of the newest velocity measurement")


@dataclass(eq=False)
class _Track:
    phrase: str
    last: Instance
    last_frame: int
    velocity: tuple[float, float] = (0.0, 0.0)
    hits: int = 1
    missed: int = 0
    id: int = 0  # 0 while tentative
    birth_scores: list[float] = field(default_factory=list)

    def centre(self) -> tuple[float, float]:
        x0, y0, x1, y1 = self.last.box
        return (x0 + x1) / 2, (y0 + y1) / 2

    def predictions(self, frame_index: int):
        dt = frame_index - self.last_frame
        vx, vy = self.velocity
        moved = shifted(self.last.mask, vx * dt, vy * dt)
        return [moved, self.last.mask] if (vx or vy) else [self.last.mask]


def _embed_once(segmenter: Segmenter, image: Image.Image) -> EmbeddingHandle:
    """The frame's embedding, left out of the segmenter's cache: a video's frames are each seen once, and caching
    them would fill the cache with frames (memory growing with the video, and the chat's images evicted)."""
    return segmenter.embed(image, cache=False)[0]


class DetectTracker:
    """Tracking by detection with any `Segmenter` (segchat.segmenter.base)."""

    name = TrackerKind.DETECT

    def __init__(self, segmenter: Segmenter, settings: DetectTrackerSettings | None = None) -> None:
        self.segmenter = segmenter
        self.settings = settings or DetectTrackerSettings()
        self.timings_ms: dict[str, float] = {}

    def _time(self, key: str, start: float) -> float:
        now = time.perf_counter()
        self.timings_ms[key] = self.timings_ms.get(key, 0.0) + (now - start) * 1000
        return now

    def track(self, frames: FrameStream, phrases: Sequence[str], *,
              threshold: float | None = None) -> Iterator[TrackedFrame]:
        """One TrackedFrame per input frame (delayed by birth_frames - 1 frames, all flushed at the end)."""
        s = self.settings
        phrases = list(dict.fromkeys(phrases))  # one track set per distinct phrase
        threshold = self.segmenter.default_threshold if threshold is None else threshold
        birth_score = threshold if s.birth_score is None else s.birth_score
        self.timings_ms = {}
        live: dict[str, list[_Track]] = {p: [] for p in phrases}
        next_id = 1
        # frames not yet reported: (index, [(track, instance)]) of every track (tentative too) matched in it
        pending: deque[tuple[int, list[tuple[_Track, Instance]]]] = deque()
        lag = s.birth_frames - 1

        def report(index: int, seen: list[tuple[_Track, Instance]]) -> TrackedFrame:
            instances = [inst.but(id=track.id, label=track.phrase) for track, inst in seen if track.id]
            instances.sort(key=lambda inst: inst.id)
            return TrackedFrame(index=index, instances=instances)

        for index, frame in frames:
            start = time.perf_counter()
            image = Image.fromarray(frame)
            handle = _embed_once(self.segmenter, image)
            now = self._time("embed", start)
            # the frame goes along: a find that comes after other frames pushed this one out embeds it again
            found = self.segmenter.find_each(handle, phrases, image=image, threshold=threshold) if phrases else []
            now = self._time("find", now)
            seen: list[tuple[_Track, Instance]] = []
            for phrase, detections in zip(phrases, found):
                dets = [d for d in detections if d.area > 0]
                tracks = live[phrase]
                iou = iou_matrix([t.predictions(index) for t in tracks], [d.mask for d in dets])
                pairs, lost, fresh = match(iou, s.min_iou)
                for ti, di in pairs:
                    track, det = tracks[ti], dets[di]
                    (cx, cy), dt = track.centre(), index - track.last_frame
                    track.last, track.last_frame = det, index
                    nx, ny = track.centre()
                    a = s.velocity_smoothing
                    track.velocity = (a * (nx - cx) / dt + (1 - a) * track.velocity[0],
                                      a * (ny - cy) / dt + (1 - a) * track.velocity[1])
                    track.hits += 1
                    track.missed = 0
                    if not track.id:
                        track.birth_scores.append(det.score)
                        if track.hits >= s.birth_frames:
                            if sum(track.birth_scores) / len(track.birth_scores) >= birth_score:
                                track.id, next_id = next_id, next_id + 1
                            else:
                                track.missed = s.max_missed + 1  # too weak to be an object: drop it below
                    seen.append((track, det))
                for ti in lost:
                    tracks[ti].missed += 1
                matched = [dets[di] for _, di in pairs]
                for di in fresh:
                    det = dets[di]
                    if any(det.mask.intersection(m.mask) >= s.duplicate_cover * det.area for m in matched):
                        continue  # a part of (or a second mask for) an object some track already has
                    track = _Track(phrase=phrase, last=det, last_frame=index, birth_scores=[det.score])
                    if s.birth_frames <= 1 and det.score >= birth_score:
                        track.id, next_id = next_id, next_id + 1
                    tracks.append(track)
                    seen.append((track, det))
                # a tentative track dies at its first miss; a real one after max_missed misses in a row
                live[phrase] = [t for t in tracks if t.missed == 0 or (t.id and t.missed <= s.max_missed)]
            self._time("associate", now)
            pending.append((index, seen))
            while len(pending) > lag:
                yield report(*pending.popleft())
        while pending:
            yield report(*pending.popleft())
