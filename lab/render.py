"""Rendering shapes-world images with their ground truth, as ../shared/SHAPES.md specifies."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from segchat.lab.world import COLOURS, SHAPES

SUPERSAMPLE = 4


@dataclass
class ShapeObject:
    shape: str
    colour: str
    center: tuple[float, float]
    diameter: float  # of the circumscribed circle, pixels
    angle: float  # radians
    mask: np.ndarray  # HxW bool: visible pixels (after later objects are drawn)


@dataclass
class Scene:
    image: Image.Image
    objects: list[ShapeObject]

    @property
    def size(self) -> tuple[int, int]:
        return self.image.height, self.image.width


def shape_polygon(shape: str, center: tuple[float, float], diameter: float, angle: float) -> list[tuple[float, float]]:
    """Vertices of a polygonal shape inscribed in the circle of `diameter` around `center`."""
    cx, cy = center
    r = diameter / 2
    if shape == "square":
        points = [(r, math.pi / 4 + k * math.pi / 2) for k in range(4)]
    elif shape == "triangle":
        points = [(r, -math.pi / 2 + k * 2 * math.pi / 3) for k in range(3)]
    elif shape == "hexagon":
        points = [(r, k * math.pi / 3) for k in range(6)]
    elif shape == "star":
        inner = r * math.sin(math.radians(18)) / math.sin(math.radians(126))  # regular pentagram, ~0.382 r
        points = [(r if k % 2 == 0 else inner, -math.pi / 2 + k * math.pi / 5) for k in range(10)]
    else:
        raise ValueError(f"not a polygon shape: {shape}")
    return [(cx + rad * math.cos(a + angle), cy + rad * math.sin(a + angle)) for rad, a in points]


def shape_coverage(shape: str, center: tuple[float, float], diameter: float, angle: float,
                   size: tuple[int, int], antialias: bool) -> np.ndarray:
    """HxW float32 in [0, 1]: how much of each pixel the shape covers (0/1 without anti-aliasing)."""
    height, width = size
    r = diameter / 2 + 2
    x0, y0 = max(0, int(center[0] - r)), max(0, int(center[1] - r))
    x1, y1 = min(width, int(math.ceil(center[0] + r))), min(height, int(math.ceil(center[1] + r)))
    out = np.zeros((height, width), dtype=np.float32)
    if x1 <= x0 or y1 <= y0:
        return out
    scale = SUPERSAMPLE if antialias else 1
    local = Image.new("L", ((x1 - x0) * scale, (y1 - y0) * scale), 0)
    draw = ImageDraw.Draw(local)
    lcx, lcy = (center[0] - x0) * scale, (center[1] - y0) * scale
    if shape == "circle":
        rr = diameter / 2 * scale
        draw.ellipse([lcx - rr, lcy - rr, lcx + rr, lcy + rr], fill=255)
    else:
        draw.polygon(shape_polygon(shape, (lcx, lcy), diameter * scale, angle), fill=255)
    if antialias:
        local = local.resize((x1 - x0, y1 - y0), Image.Resampling.BOX)
    out[y0:y1, x0:x1] = np.asarray(local, dtype=np.float32) / 255.0
    return out


def render_background(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """A muted background: solid, linear gradient or noisy solid (HxWx3 float32)."""
    height, width = size

    def muted() -> np.ndarray:
        grey = rng.uniform(100, 190)
        return np.clip(grey + rng.uniform(-30, 30, size=3), 90, 200)

    kind = rng.choice(["solid", "gradient", "noise"])
    if kind == "solid":
        return np.broadcast_to(muted(), (height, width, 3)).astype(np.float32).copy()
    if kind == "gradient":
        a, b = muted(), muted()
        theta = rng.uniform(0, 2 * math.pi)
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
        proj = xs * math.cos(theta) + ys * math.sin(theta)
        t = (proj - proj.min()) / max(float(proj.max() - proj.min()), 1.0)
        return (a[None, None, :] * (1 - t[..., None]) + b[None, None, :] * t[..., None]).astype(np.float32)
    amplitude = rng.uniform(5, 25)
    base = np.broadcast_to(muted(), (height, width, 3)).astype(np.float32)
    return np.clip(base + rng.uniform(-amplitude, amplitude, size=(height, width, 3)), 0, 255).astype(np.float32)


def render_scene(
    rng: np.random.Generator,
    *,
    n_objects: int | None = None,
    max_objects: int = 8,
    size: tuple[int, int] | None = None,
    diameter_range: tuple[float, float] = (40, 160),
    objects: list[tuple[str, str]] | None = None,
    max_tries: int = 60,
) -> Scene:
    """One random image of the world with its instances.

    `objects` fixes the (colour, shape) of each object in drawing order; `n_objects` fixes only the count.
    Placement is retried until no object is covered by more than 40% and each is at least 70% inside.
    """
    if size is None:
        size = (int(rng.integers(256, 513)), int(rng.integers(256, 513)))
    height, width = size
    if objects is None:
        count = n_objects if n_objects is not None else int(rng.integers(1, max_objects + 1))
        objects = [(str(rng.choice(list(COLOURS))), str(rng.choice(SHAPES))) for _ in range(count)]
    antialias = bool(rng.random() < 0.5)
    canvas = render_background(rng, size)
    placed: list[tuple[str, str, tuple[float, float], float, float, np.ndarray, np.ndarray]] = []
    for colour, shape in objects:
        for _ in range(max_tries):
            diameter = float(rng.uniform(*diameter_range))
            r = diameter / 2
            center = (float(rng.uniform(-0.2 * r, width + 0.2 * r)), float(rng.uniform(-0.2 * r, height + 0.2 * r)))
            angle = 0.0 if shape == "circle" else float(rng.uniform(0, 2 * math.pi))
            coverage = shape_coverage(shape, center, diameter, angle, size, antialias)
            full = shape_coverage(shape, (r + 3, r + 3), diameter, angle, (int(diameter + 6), int(diameter + 6)), False)
            full_area = float(full.sum())
            solid = coverage >= 0.5
            if full_area <= 0 or solid.sum() < 0.7 * full_area:
                continue
            # would this object cover an earlier one by more than 40% of that one's area?
            ok = True
            for other in placed:
                other_full, other_visible = other[5], other[6]
                if (other_visible & ~solid).sum() < 0.6 * other_full.sum():
                    ok = False
                    break
            if not ok:
                continue
            for i, other in enumerate(placed):
                placed[i] = (*other[:6], other[6] & ~solid)
            placed.append((colour, shape, center, diameter, angle, solid.copy(), solid.copy()))
            rgb = np.clip(np.array(COLOURS[colour], dtype=np.float32) + rng.uniform(-20, 20, size=3), 0, 255)
            alpha = coverage[..., None]
            canvas = canvas * (1 - alpha) + rgb[None, None, :] * alpha
            break
    image = Image.fromarray(np.clip(canvas + 0.5, 0, 255).astype(np.uint8))
    scene_objects = [
        ShapeObject(shape=shape, colour=colour, center=center, diameter=diameter, angle=angle, mask=visible)
        for colour, shape, center, diameter, angle, _, visible in placed
    ]
    return Scene(image=image, objects=scene_objects)
