"""The vocabulary of the shapes world: colours, shapes and their English and Chinese names."""

from __future__ import annotations

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 40, 40),
    "green": (40, 170, 60),
    "blue": (40, 80, 220),
    "yellow": (240, 210, 40),
    "purple": (140, 60, 180),
    "orange": (245, 140, 30),
    "white": (245, 245, 245),
    "black": (20, 20, 20),
}
SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "star", "hexagon")

COLOUR_ZH = {"red": "红色", "green": "绿色", "blue": "蓝色", "yellow": "黄色", "purple": "紫色",
             "orange": "橙色", "white": "白色", "black": "黑色"}
SHAPE_ZH = {"circle": "圆形", "square": "正方形", "triangle": "三角形", "star": "五角星", "hexagon": "六边形"}


def phrase_matches(phrase: str, colour: str, shape: str) -> bool:
    """Whether an object of `colour` and `shape` is an instance of a canonical phrase."""
    words = phrase.split()
    if len(words) == 1:
        return words[0] == shape or words[0] in ("shape", "object")
    if len(words) == 2:
        first, second = words
        if second in ("shape", "object"):
            return first == colour
        return first == colour and second == shape
    return False


def all_phrases() -> list[str]:
    """Every canonical phrase of the world: colour+shape, shape, colour shape/object."""
    phrases = [f"{c} {s}" for c in COLOURS for s in SHAPES]
    phrases += list(SHAPES)
    phrases += [f"{c} shape" for c in COLOURS] + [f"{c} object" for c in COLOURS]
    return phrases
