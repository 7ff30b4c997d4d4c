"""Which images a dataset run covers: a folder (recursive), a glob, or a manifest (.txt or .jsonl), in a stable order.

The order fixes the COCO image ids (1, 2, ...), so it must not depend on the file system's listing order: folders
and globs are sorted by relative path; a manifest keeps its own order (the user chose it), without repeats.
"""

from __future__ import annotations

import glob as globlib
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from segchat.datasets.records import DatasetInputError, ImageItem

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"})
MANIFEST_SUFFIXES = frozenset({".txt", ".jsonl"})
_GLOB_CHARS = frozenset("*?[")


@dataclass
class ResolvedInputs:
    """The images of a run. `skipped`: files that were seen but are no images (folders and globs only)."""

    kind: str  # "folder" | "glob" | "manifest" | "file"
    root: Path
    items: list[ImageItem]
    skipped: int = 0
    skipped_examples: list[str] = field(default_factory=list)

    def digest(self) -> str:
        """A hash of the ordered file names: two inputs with the same digest give every image the same id."""
        hasher = hashlib.sha256()
        for item in self.items:
            hasher.update(item.file_name.encode("utf-8") + b"\n")
        return hasher.hexdigest()[:32]


def is_image_name(path: str | Path) -> bool:
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def _relative(path: Path, root: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


def _items(paths: list[Path], root: Path) -> list[ImageItem]:
    return [ImageItem(id=number, file_name=_relative(p, root), path=str(p)) for number, p in enumerate(paths, 1)]


def _split_images(files: list[Path], root: Path) -> tuple[list[Path], list[str]]:
    images, others = [], []
    for path in files:
        # hidden files (.DS_Store, ._IMG_0001.jpg from macOS copies) are never images worth labelling
        if is_image_name(path) and not path.name.startswith("."):
            images.append(path)
        else:
            others.append(_relative(path, root))
    return images, others


def _from_folder(folder: Path) -> ResolvedInputs:
    files = [p for p in folder.rglob("*") if p.is_file()
             and not any(part.startswith(".") for part in p.relative_to(folder).parts[:-1])]
    images, others = _split_images(files, folder)
    images.sort(key=lambda p: _relative(p, folder))
    return ResolvedInputs("folder", folder, _items(images, folder), len(others), sorted(others)[:5])


def _glob_root(pattern: str) -> Path:
    """The folder part of a pattern before its first wildcard: file names are made relative to it."""
    parts = Path(pattern).parts
    fixed: list[str] = []
    for part in parts:
        if any(c in part for c in _GLOB_CHARS):
            break
        fixed.append(part)
    root = Path(*fixed) if fixed else Path(".")
    if len(fixed) == len(parts):  # no wildcard at all: a single file
        root = root.parent
    return root.resolve()


def _from_glob(pattern: str) -> ResolvedInputs:
    root = _glob_root(pattern)
    files = [Path(p).resolve() for p in globlib.glob(os.path.expanduser(pattern), recursive=True)]
    files = [p for p in files if p.is_file()]
    images, others = _split_images(files, root)
    images = sorted(set(images), key=lambda p: _relative(p, root))
    return ResolvedInputs("glob", root, _items(images, root), len(others), sorted(others)[:5])


def _manifest_lines(manifest: Path) -> list[str]:
    try:
        text = manifest.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetInputError(f"cannot read the manifest {manifest}: {exc}") from None
    entries: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if manifest.suffix.lower() == ".jsonl":
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetInputError(f"{manifest}:{number} is not JSON ({exc.msg})") from None
            if not isinstance(row, dict) or not isinstance(row.get("image"), str) or not row["image"].strip():
                raise DatasetInputError(f'{manifest}:{number} has no "image" path (each line: {{"image": "a.jpg"}})')
            line = row["image"].strip()
        entries.append(line)
    return entries


def _from_manifest(manifest: Path) -> ResolvedInputs:
    base = manifest.parent.resolve()
    paths: list[Path] = []
    seen: set[Path] = set()
    for entry in _manifest_lines(manifest):
        path = Path(os.path.expanduser(entry))
        path = (path if path.is_absolute() else base / path).resolve()
        if path not in seen:  # every image exactly once, even when the manifest repeats it
            seen.add(path)
            paths.append(path)
    if not paths:
        raise DatasetInputError(f"the manifest {manifest} lists no images")
    # file names relative to the manifest's folder, or to the folder that holds them all when some lie outside it
    root = base
    if any(not p.is_relative_to(base) for p in paths):
        root = Path(os.path.commonpath([str(base), *(str(p.parent) for p in paths)]))
    # listed files are tried even without an image suffix: a bad one ends up in errors.jsonl with its reason
    return ResolvedInputs("manifest", root, _items(paths, root))


def resolve_inputs(source: str | Path) -> ResolvedInputs:
    """The images named by `source`: a folder (recursively; files that are no images are skipped and counted), a
    glob (`photos/**/*.jpg`), a manifest (`.txt`: one path a line; `.jsonl`: `{"image": path}` a line; relative
    paths are relative to the manifest), or one image file. Raises `DatasetInputError` when it names no image."""
    text = str(source)
    path = Path(os.path.expanduser(text))
    if path.is_dir():
        resolved = _from_folder(path.resolve())
    elif path.is_file() and path.suffix.lower() in MANIFEST_SUFFIXES:
        resolved = _from_manifest(path)
    elif path.is_file():
        resolved = ResolvedInputs("file", path.resolve().parent, _items([path.resolve()], path.resolve().parent))
    elif any(c in text for c in _GLOB_CHARS):
        resolved = _from_glob(text)
    else:
        raise DatasetInputError(f"no folder, manifest or image at '{text}' (give a folder, a glob such as "
                                f"'photos/**/*.jpg', or a .txt / .jsonl manifest)")
    if not resolved.items:
        others = f" ({resolved.skipped} other files skipped, e.g. {', '.join(resolved.skipped_examples)})" \
            if resolved.skipped else ""
        raise DatasetInputError(f"no image files in '{text}'{others}; image files end in "
                                f"{', '.join(sorted(IMAGE_SUFFIXES))}")
    return resolved
