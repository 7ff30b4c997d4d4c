"""The files the page shows and offers: uploads read in place, and `ui_files/<session>/turn<N>/` built when asked.

Every file here is one the server made, under a name that says what it is (`turn2_overlay.png`, as REST names
them): the overlay when a turn answers, the other exports when the user asks for them, the image once per image
(a link to the store's copy, never encoded again). Nothing is drawn twice: a file that exists is reused. Old files
are swept by age; a later page load draws again what it needs.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

from segchat.agent import Turn
from segchat.agent.outputs.png import fast_png
from segchat.agent.results import EXPORT_KINDS, ExportKind
from segchat.contracts.errors import ImageReadError, SessionNotFoundError

log = logging.getLogger(__name__)

# the names `Turn.export` gives its files (REST's too), so that a file on disk is found before it is built;
# tests/test_ui_files.py checks that they agree
EXPORT_SUFFIXES: dict[ExportKind, str] = {"overlay": "overlay.png", "masks": "masks.zip", "coco": "coco.json",
                                          "cutouts": "cutouts.zip", "psd": "layers.psd"}
FILES_MAX_AGE_S = 24 * 3600  # a page reloaded later draws again what was swept
SWEEP_EVERY_S = 15 * 60
FOLDER_GRACE_S = 60  # an empty folder this young may be about to receive a file
SAFE_NAME = re.compile(r"^[A-Za-z0-9_\-]{1,80}$")


def read_uploads(paths: list[str]) -> bytes | None:
    """The bytes of the browser's upload (the last file), or None when nothing was attached. The file stays where
    Gradio put it: an example's picture is one cached file that every visitor sends, and Gradio's cache expires
    private uploads by age (`delete_cache`). An upload that cannot be read is an error, never "no image" (which
    would run the turn on the session's previous image)."""
    data = None
    for path in paths:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ImageReadError(f"the upload could not be read ({exc.strerror or exc})") from None
    return data


def export_name(index: int, kind: ExportKind) -> str:
    return f"turn{index}_{EXPORT_SUFFIXES[kind]}"


def overlay_png(turn: Turn, smoothness: float) -> bytes:
    """The overlay as `Turn.export` draws it, encoded the fast way (`fast_png`): every turn of the chat writes one
    (REST draws it only when asked), and Pillow's encoder took ~4 ms of a turn's ~6 ms for it on a shapes image."""
    return fast_png(turn.overlay(smoothness))


def write_atomically(path: Path, data: bytes) -> None:
    """Two requests may build the same file at once: each writes a name of its own and renames it into place."""
    staging = path.with_name(f".{path.name}.{threading.get_ident()}.{time.monotonic_ns()}")
    staging.write_bytes(data)
    staging.replace(path)


def link_or_copy(source: Path, target: Path) -> None:
    """`target` as a hard link to `source` (no bytes written), or a copy where links are not possible."""
    staging = target.with_name(f".{target.name}.{threading.get_ident()}.{time.monotonic_ns()}")
    try:
        os.link(source, staging)
    except OSError:
        shutil.copyfile(source, staging)
    staging.replace(target)


def serve_in_place(folder: Path) -> None:
    """Gradio serves the files under `folder` where they are (no copy into its cache, no hash of each file, every
    time an answer names them). It checks every file of every answer against each static folder in turn, resolving
    both paths each time (a few lstat calls per path component): the folder that matches goes first."""
    import gradio as gr
    from gradio.data_classes import _StaticFiles

    gr.set_static_paths([folder])
    mine = Path(folder).resolve()
    paths = _StaticFiles.all_paths
    if mine in paths:  # Gradio's own icons come before it otherwise
        paths.remove(mine)
        paths.insert(0, mine)


class UiFiles:
    """`root` (the data directory's `ui_files/`): one folder per session, one per turn inside it."""

    def __init__(self, root: Path, image_png: Callable[[str], bytes], max_age_s: float = FILES_MAX_AGE_S) -> None:
        self.root = root
        self.image_png = image_png  # the session store's image files, by their content key
        self.max_age_s = max_age_s
        self.root.mkdir(parents=True, exist_ok=True)
        self._last_sweep = 0.0
        self._sweep_lock = threading.Lock()

    def folder(self, *parts: str) -> Path:
        """A folder under root; every part is a name the server made (a session or job id), checked anyway since
        the session id comes back from the browser."""
        for part in parts:
            if not SAFE_NAME.match(part):
                raise SessionNotFoundError("unknown session")
        path = self.root.joinpath(*parts)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def turn_folder(self, session_id: str, index: int, smoothness: float = 0.0) -> Path:
        """`<session>/turn<N>/`, or `<session>/turn<N>/smooth<S>/` for masks refined at another smoothness (the
        same file names, other pixels)."""
        parts = [session_id, f"turn{index}"] + ([f"smooth{smoothness:g}".replace(".", "_")] if smoothness > 0 else [])
        return self.folder(*parts)

    def export_path(self, session_id: str, index: int, kind: ExportKind, smoothness: float = 0.0) -> Path:
        return self.turn_folder(session_id, index, smoothness) / export_name(index, kind)

    def export(self, turn: Turn, kind: ExportKind, smoothness: float = 0.0) -> Path:
        """The turn's export file, built only if it is not on disk yet."""
        path = self.export_path(turn.session_id, turn.index, kind, smoothness)
        if not path.exists():
            write_atomically(path, overlay_png(turn, smoothness) if kind == "overlay" else
                             turn.export(kind, smoothness).data)
        return path

    def existing_exports(self, session_id: str, index: int, smoothness: float = 0.0) -> list[Path]:
        """The turn's export files already built, in the order of EXPORT_KINDS."""
        paths = (self.export_path(session_id, index, kind, smoothness) for kind in EXPORT_KINDS)
        return [path for path in paths if path.exists()]

    def image(self, session_id: str, image_key: str) -> Path:
        """The session's image as the page shows it: the store's own PNG file, byte for byte (never encoded again),
        written once per image."""
        path = self.folder(session_id) / f"image_{image_key[:16]}.png"
        if not path.exists():
            write_atomically(path, self.image_png(image_key))
        return path

    def sweep(self, now: float | None = None) -> int:
        """Remove files older than max_age_s (by ctime: a link made today is young even when its image is old)
        and folders that have been empty for a while; returns how many files went."""
        now = time.time() if now is None else now
        removed = 0
        for path in sorted(self.root.rglob("*"), key=lambda p: len(p.parts), reverse=True):
            try:
                if path.is_dir():
                    if not any(path.iterdir()) and now - path.stat().st_mtime > FOLDER_GRACE_S:
                        path.rmdir()
                elif now - path.lstat().st_ctime > self.max_age_s:
                    path.unlink()
                    removed += 1
            except OSError:  # another sweep, or a request writing into the folder: the next sweep sees it
                continue
        return removed

    def sweep_now_and_then(self) -> None:
        """A sweep in the background when the last one is older than SWEEP_EVERY_S (page loads call this)."""
        with self._sweep_lock:
            if time.monotonic() - self._last_sweep < SWEEP_EVERY_S and self._last_sweep:
                return
            self._last_sweep = time.monotonic()
        threading.Thread(target=self._sweep_logged, name="ui-files-sweep", daemon=True).start()

    def _sweep_logged(self) -> None:
        try:
            removed = self.sweep()
        except OSError:
            log.exception("sweeping %s failed", self.root)
            return
        if removed:
            log.info("swept %d old file(s) from %s", removed, self.root)
