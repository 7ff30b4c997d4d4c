"""Moving-shapes videos with per-frame truth, as ../shared/SHAPES.md ("Moving shapes") specifies.

A video is sampled once as a `VideoSpec` (every object's whole trajectory), then rendered frame by frame, so a
600-frame video is never held in memory: `iter_frames(spec)` yields each frame with its objects' visible masks.
The drawing reuses the still-image renderer (`shape_coverage`, `render_background`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from segchat.lab.render import render_background, shape_coverage
from segchat.lab.world import COLOURS, SHAPES
from segchat.segmenter.masks import CroppedMask

FRAMES_RANGE = (24, 600)
WIDTH_RANGE = (256, 480)
HEIGHT_RANGE = (240, 400)
OBJECTS_RANGE = (1, 6)
DIAMETER_RANGE = (44.0, 120.0)
SPEED_RANGE = (0.5, 4.0)  # px per frame, in x and in y separately
MAX_TURN = 0.05  # rad per frame, non-circles only
MIN_VISIBLE = 30  # pixels: an object counts as visible in a frame from this many visible pixels on
MAX_HIDDEN_RUN = 10  # "wholly covered for a few frames": the longest run of frames an object may be hidden inside the image
DEFAULT_FPS = 24.0


@dataclass
class MovingObject:
    """One object's identity and whole trajectory.

    centers: F x 2 float64 (x, y) per frame; angles: F float64 (radians) per frame. The object is drawn in every
    frame (off-image positions draw nothing), so entering and leaving are parts of the trajectory.
    """

    id: int
    shape: str
    colour: str
    rgb: np.ndarray  # 3 float32: the colour with this object's jitter, fixed for the video
    diameter: float
    centers: np.ndarray
    angles: np.ndarray
    role: str = "stays"  # "stays", "enters" (late) or "leaves" (early)


@dataclass
class VideoSpec:
    width: int
    height: int
    frames: int
    fps: float
    background: np.ndarray  # H x W x 3 float32
    antialias: bool
    objects: list[MovingObject]  # in drawing order: later objects cover earlier ones
    seed: int | None = None

    @property
    def size(self) -> tuple[int, int]:
        return self.height, self.width


@dataclass
class RenderedFrame:
    """image: H x W x 3 uint8; visible: object id -> H x W bool visible mask, for objects with >= MIN_VISIBLE pixels."""

    index: int
    image: np.ndarray
    visible: dict[int, np.ndarray] = field(default_factory=dict)


# -- truth, as written next to a video --------------------------------------------------------------------------
class ObjectTruth(BaseModel):
    id: int
    colour: str
    shape: str
    mask: dict = Field(description="COCO RLE {'size': [h, w], 'counts': str} of the visible pixels")


class FrameTruth(BaseModel):
    index: int
    objects: list[ObjectTruth]


class VideoObject(BaseModel):
    id: int
    colour: str
    shape: str
    diameter: float
    role: str
    first_frame: int | None = Field(description="first frame in which it is visible (>= 30 px); None if never")
    last_frame: int | None


class VideoTruth(BaseModel):
    width: int
    height: int
    frames: int
    fps: float
    seed: int | None = None
    objects: list[VideoObject]
    per_frame: list[FrameTruth]


# -- sampling -----------------------------------------------------------------------------------------------------
def _bounce_path(start: np.ndarray, velocity: np.ndarray, radius: float, size: tuple[int, int], steps: int) -> np.ndarray:
    """steps x 2 centres from `start`, moving by `velocity` per step and bouncing off the borders.

    A border reflects only an object moving towards it, so one that is still entering from outside is never turned
    back by the border it is crossing."""
    height, width = size
    out = np.empty((steps, 2), dtype=np.float64)
    position = start.astype(np.float64).copy()
    v = velocity.astype(np.float64).copy()
    for t in range(steps):
        out[t] = position
        position = position + v
        if position[0] - radius < 0 and v[0] < 0 or position[0] + radius > width and v[0] > 0:
            v[0] = -v[0]
        if position[1] - radius < 0 and v[1] < 0 or position[1] + radius > height and v[1] > 0:
            v[1] = -v[1]
    return out


def _velocity(rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(*SPEED_RANGE, size=2) * rng.choice([-1.0, 1.0], size=2)


def _crossing_path(rng: np.random.Generator, radius: float, size: tuple[int, int], frames: int,
                   first_seen: float) -> np.ndarray:
    """frames x 2 centres of an object coming in through a border, first (partly) seen about at `first_seen`.

    At `first_seen` its leading edge is 4 px inside the image (enough for MIN_VISIBLE pixels of most shapes); its
    centre reaches the border one radius minus those pixels later, and from then on it bounces inside like any other.
    Whether it is really first seen in range is checked on the rendered masks (`sample_video(check=True)`)."""
    height, width = size
    v = _velocity(rng)
    side = rng.choice(["left", "right", "top", "bottom"])
    if side in ("left", "right"):
        x = 0.0 if side == "left" else float(width)
        v[0] = abs(v[0]) if side == "left" else -abs(v[0])
        at_cross = np.array([x, rng.uniform(radius, height - radius)])
        inward = abs(v[0])
    else:
        y = 0.0 if side == "top" else float(height)
        v[1] = abs(v[1]) if side == "top" else -abs(v[1])
        at_cross = np.array([rng.uniform(radius, width - radius), y])
        inward = abs(v[1])
    cross = max(0, int(round(first_seen + (radius - 4.0) / inward)))
    total = max(frames, cross + 1)
    before = at_cross[None, :] - v[None, :] * np.arange(cross, 0, -1, dtype=np.float64)[:, None]
    after = _bounce_path(at_cross, v, radius, size, total - cross)
    return np.concatenate([before, after])[:frames]


def _sample_object(rng: np.random.Generator, object_id: int, size: tuple[int, int], frames: int, role: str) -> MovingObject:
    height, width = size
    colour = str(rng.choice(list(COLOURS)))
    shape = str(rng.choice(SHAPES))
    diameter = float(rng.uniform(*DIAMETER_RANGE))
    radius = diameter / 2
    if role == "stays":
        start = np.array([rng.uniform(radius, width - radius), rng.uniform(radius, height - radius)])
        centers = _bounce_path(start, _velocity(rng), radius, size, frames)
    elif role == "enters":  # first seen between 1/4 and 1/2 of the video
        centers = _crossing_path(rng, radius, size, frames, rng.uniform(0.27, 0.48) * frames)
    else:  # "leaves": an entering path played backwards, so it is last seen between 1/2 and 3/4
        centers = _crossing_path(rng, radius, size, frames, rng.uniform(0.27, 0.48) * frames)[::-1].copy()
    angle0 = 0.0 if shape == "circle" else float(rng.uniform(0, 2 * math.pi))
    turn = 0.0 if shape == "circle" else float(rng.uniform(-MAX_TURN, MAX_TURN))
    angles = angle0 + turn * np.arange(frames, dtype=np.float64)
    rgb = np.clip(np.array(COLOURS[colour], dtype=np.float32) + rng.uniform(-20, 20, size=3), 0, 255).astype(np.float32)
    return MovingObject(id=object_id, shape=shape, colour=colour, rgb=rgb, diameter=diameter, centers=centers,
                        angles=angles, role=role)


def _solid_masks(spec: VideoSpec, t: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(coverage, solid) per object at frame t, in drawing order: H x W float32 in [0, 1] and H x W bool."""
    coverages, solids = [], []
    for obj in spec.objects:
        coverage = shape_coverage(obj.shape, (float(obj.centers[t, 0]), float(obj.centers[t, 1])), obj.diameter,
                                  float(obj.angles[t]), spec.size, spec.antialias)
        coverages.append(coverage)
        solids.append(coverage >= 0.5)
    return coverages, solids


def _visible(solids: list[np.ndarray]) -> list[np.ndarray]:
    """Each object's solid pixels not covered by a later object."""
    visible = []
    covered = np.zeros_like(solids[0]) if solids else None
    for solid in reversed(solids):
        visible.append(solid & ~covered)
        covered = covered | solid
    return visible[::-1]


def visible_areas(spec: VideoSpec) -> np.ndarray:
    """F x N int64: visible pixels of each object in each frame."""
    areas = np.zeros((spec.frames, len(spec.objects)), dtype=np.int64)
    for t in range(spec.frames):
        _, solids = _solid_masks(spec, t)
        for i, mask in enumerate(_visible(solids)):
            areas[t, i] = int(mask.sum())
    return areas


def _meets_spec(spec: VideoSpec, areas: np.ndarray) -> bool:
    """The spec's constraints that sampling alone does not guarantee, checked on the rendered masks."""
    frames = spec.frames
    seen = areas >= MIN_VISIBLE
    for i, obj in enumerate(spec.objects):
        frames_seen = np.flatnonzero(seen[:, i])
        if len(frames_seen) == 0:
            return False
        first, last = int(frames_seen[0]), int(frames_seen[-1])
        if obj.role == "enters" and not (frames / 4 <= first <= frames / 2):
            return False
        if obj.role == "leaves" and not (frames / 2 <= last <= 3 * frames / 4):
            return False
        # hidden runs while the object is inside the image: all along, from its entry on, or until it leaves
        start = first if obj.role == "enters" else 0
        stop = last if obj.role == "leaves" else frames - 1
        hidden = ~seen[start:stop + 1, i]
        run = longest = 0
        for h in hidden:
            run = run + 1 if h else 0
            longest = max(longest, run)
        if longest > MAX_HIDDEN_RUN:
            return False
    return True


def sample_video(
    rng: np.random.Generator,
    *,
    frames: int | None = None,
    frames_range: tuple[int, int] = FRAMES_RANGE,
    n_objects: int | None = None,
    size: tuple[int, int] | None = None,
    late_or_early: bool | None = None,
    fps: float = DEFAULT_FPS,
    max_tries: int = 40,
    check: bool = True,
    seed: int | None = None,
) -> VideoSpec:
    """One random moving-shapes video (its whole trajectory; nothing rendered yet).

    size: (height, width); by default even sizes within the spec's ranges (H.264 in 4:2:0 needs even sides).
    late_or_early: whether one object enters late or leaves early (None: with probability 1/2).
    check: re-sample until every object is seen, the late/early object is first/last seen in its range and no object
        is hidden inside the image for more than MAX_HIDDEN_RUN frames in a row (the objects are re-drawn, the size,
        length and background kept). `n_objects` beyond the spec's 6 is allowed (benchmarks) with check=False.
    """
    if frames is None:
        frames = int(rng.integers(frames_range[0], frames_range[1] + 1))
    if size is None:
        size = (2 * int(rng.integers(HEIGHT_RANGE[0] // 2, HEIGHT_RANGE[1] // 2 + 1)),
                2 * int(rng.integers(WIDTH_RANGE[0] // 2, WIDTH_RANGE[1] // 2 + 1)))
    count = n_objects if n_objects is not None else int(rng.integers(OBJECTS_RANGE[0], OBJECTS_RANGE[1] + 1))
    special = bool(rng.random() < 0.5) if late_or_early is None else late_or_early
    background = render_background(rng, size)
    antialias = bool(rng.random() < 0.5)
    for _ in range(max_tries):
        roles = ["stays"] * count
        if special:
            roles[int(rng.integers(count))] = str(rng.choice(["enters", "leaves"]))
        objects = [_sample_object(rng, i + 1, size, frames, role) for i, role in enumerate(roles)]
        spec = VideoSpec(width=size[1], height=size[0], frames=frames, fps=fps, background=background,
                         antialias=antialias, objects=objects, seed=seed)
        if not check or _meets_spec(spec, visible_areas(spec)):
            return spec
    raise RuntimeError(f"no {count}-object video of {size} met the spec in {max_tries} tries")


# -- rendering ----------------------------------------------------------------------------------------------------
def render_frame(spec: VideoSpec, t: int) -> RenderedFrame:
    """Frame t: the image and the visible mask of every object seen in it."""
    coverages, solids = _solid_masks(spec, t)
    canvas = spec.background.copy()
    for obj, coverage in zip(spec.objects, coverages):
        alpha = coverage[..., None]
        canvas = canvas * (1 - alpha) + obj.rgb[None, None, :] * alpha
    image = np.clip(canvas + 0.5, 0, 255).astype(np.uint8)
    visible = {obj.id: mask for obj, mask in zip(spec.objects, _visible(solids)) if mask.sum() >= MIN_VISIBLE}
    return RenderedFrame(index=t, image=image, visible=visible)


def iter_frames(spec: VideoSpec) -> Iterator[RenderedFrame]:
    for t in range(spec.frames):
        yield render_frame(spec, t)


def frame_truth(spec: VideoSpec, frame: RenderedFrame) -> FrameTruth:
    by_id = {obj.id: obj for obj in spec.objects}
    return FrameTruth(index=frame.index, objects=[
        ObjectTruth(id=i, colour=by_id[i].colour, shape=by_id[i].shape, mask=CroppedMask.from_full(mask).rle())
        for i, mask in frame.visible.items()
    ])


def video_truth(spec: VideoSpec, per_frame: list[FrameTruth]) -> VideoTruth:
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for frame in per_frame:
        for obj in frame.objects:
            first.setdefault(obj.id, frame.index)
            last[obj.id] = frame.index
    return VideoTruth(
        width=spec.width, height=spec.height, frames=spec.frames, fps=spec.fps, seed=spec.seed,
        objects=[VideoObject(id=o.id, colour=o.colour, shape=o.shape, diameter=round(o.diameter, 2), role=o.role,
                             first_frame=first.get(o.id), last_frame=last.get(o.id)) for o in spec.objects],
        per_frame=per_frame,
    )


# -- writing --------------------------------------------------------------------------------------------------------
def write_video(spec: VideoSpec, folder: str | Path, *, formats: tuple[str, ...] = ("frames", "mp4"),
                codec: str = "auto") -> VideoTruth:
    """Render `spec` into `folder`: `frames/frame_00000.png`... and/or `video.mp4`, plus `truth.json`.

    Frames are rendered, written and dropped one at a time; only the truth (RLE) is kept.
    """
    from segchat.segmenter.video import VideoWriter

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    frames_dir = folder / "frames"
    if "frames" in formats:
        frames_dir.mkdir(exist_ok=True)
    writer = VideoWriter(folder / "video.mp4", fps=spec.fps, codec=codec) if "mp4" in formats else None
    per_frame: list[FrameTruth] = []
    try:
        for frame in iter_frames(spec):
            if "frames" in formats:
                from PIL import Image

                Image.fromarray(frame.image).save(frames_dir / f"frame_{frame.index:05d}.png", compress_level=1)
            if writer is not None:
                writer.write(frame.image)
            per_frame.append(frame_truth(spec, frame))
    finally:
        if writer is not None:
            writer.close()
    truth = video_truth(spec, per_frame)
    (folder / "truth.json").write_text(truth.model_dump_json())
    return truth


def read_truth(folder: str | Path) -> VideoTruth:
    return VideoTruth.model_validate_json(Path(folder, "truth.json").read_text())


class DatasetSummary(BaseModel):
    out_dir: str
    videos: list[dict]
    seed: int
    formats: list[str]


def write_video_dataset(
    out_dir: str | Path,
    videos: int,
    seed: int,
    *,
    formats: tuple[str, ...] = ("frames", "mp4"),
    frames_range: tuple[int, int] = FRAMES_RANGE,
    fps: float = DEFAULT_FPS,
    codec: str = "auto",
) -> DatasetSummary:
    """`videos` moving-shapes videos under `out_dir/video_0000/...`, each seeded by (seed, index) so that any one of
    them can be re-rendered alone, plus `out_dir/videos.json` listing them. The shape of `segchat render-videos`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for index in range(videos):
        rng = np.random.default_rng([seed, index])
        spec = sample_video(rng, frames_range=frames_range, fps=fps, seed=seed * 100_000 + index)
        name = f"video_{index:04d}"
        truth = write_video(spec, out / name, formats=formats, codec=codec)
        rows.append({"name": name, "frames": truth.frames, "width": truth.width, "height": truth.height,
                     "objects": len(truth.objects), "roles": sorted({o.role for o in truth.objects})})
    summary = DatasetSummary(out_dir=str(out), videos=rows, seed=seed, formats=list(formats))
    (out / "videos.json").write_text(json.dumps(summary.model_dump(), indent=1))
    return summary
