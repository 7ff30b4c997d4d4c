"""Videos as streams of RGB frames, never loaded whole: video files through PyAV (FFmpeg), or a folder of images.

`open_video(source)` checks what it can before decoding (the stream, its size, its length when the container
says it) and decodes the first frame, so a file that is not a video fails at once with our own error; the frames
then come one at a time. `VideoWriter` encodes frames one at a time (H.264 where the encoder exists, else MPEG-4).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from segchat.contracts.errors import VideoReadError, VideoTooLargeError

DEFAULT_MAX_FRAMES = 18_000  # 10 minutes at 30 fps
DEFAULT_MAX_PIXELS = 3840 * 2160  # per frame
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"})
VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".webm", ".mov", ".mkv", ".avi", ".gif"})


@dataclass(frozen=True)
class VideoInfo:
    """What is known before the frames are read. frames: None when the container does not say (GIF, some WebM);
    fps: None for a folder of images unless one was given."""

    width: int
    height: int
    frames: int | None
    fps: float | None
    kind: str  # "file" or "folder"
    codec: str | None = None


class VideoReader:
    """Iterate to get (index, frame) pairs, frame = H x W x 3 uint8 RGB; use as a context manager to close the file.

    A reader is a single pass: iterating twice raises."""

    def __init__(self, info: VideoInfo, frames: Iterator[np.ndarray], max_frames: int, close=None) -> None:
        self.info = info
        self._frames = frames
        self._max_frames = max_frames
        self._close = close
        self._started = False

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        if self._started:
            raise RuntimeError("a VideoReader can be iterated once; open the video again")
        self._started = True
        index = -1
        for index, frame in enumerate(self._frames):
            if index >= self._max_frames:
                raise VideoTooLargeError(f"the video has more than {self._max_frames} frames, the limit")
            yield index, frame

    @property
    def width(self) -> int:
        return self.info.width

    @property
    def height(self) -> int:
        return self.info.height

    @property
    def fps(self) -> float | None:
        return self.info.fps

    @property
    def frame_count(self) -> int | None:
        return self.info.frames

    def close(self) -> None:
        if self._close is not None:
            self._close()
            self._close = None

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _natural_key(name: str) -> list:
    """'frame_2.png' before 'frame_10.png': digit runs compare as numbers, the rest as text."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def _check_size(width: int, height: int, max_pixels: int, what: str) -> None:
    if width < 1 or height < 1:
        raise VideoReadError(f"{what} has no pixels ({width}x{height})")
    if width * height > max_pixels:
        raise VideoTooLargeError(f"{what} frames are {width}x{height} = {width * height} pixels, over the limit of "
                                 f"{max_pixels}")


def _open_folder(folder: Path, *, max_frames: int, max_pixels: int, fps: float | None) -> VideoReader:
    from segchat.contracts.errors import ImageReadError, ImageTooLargeError
    from segchat.segmenter.images import load_image

    files = sorted((p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES),
                   key=lambda p: _natural_key(p.name))
    if not files:
        raise VideoReadError(f"{folder} holds no image files ({', '.join(sorted(IMAGE_SUFFIXES))})")
    if len(files) > max_frames:
        raise VideoTooLargeError(f"{folder} holds {len(files)} frames, over the limit of {max_frames}")

    def read(path: Path) -> np.ndarray:
        try:
            return np.asarray(load_image(path, max_pixels=max_pixels))
        except ImageTooLargeError as exc:
            raise VideoTooLargeError(f"frame {path.name}: {exc.message}") from None
        except ImageReadError as exc:
            raise VideoReadError(f"frame {path.name}: {exc.message}") from None

    first = read(files[0])
    height, width = first.shape[:2]
    _check_size(width, height, max_pixels, str(folder))

    def frames() -> Iterator[np.ndarray]:
        yield first
        for path in files[1:]:
            frame = read(path)
            if frame.shape[:2] != (height, width):
                raise VideoReadError(f"frame {path.name} is {frame.shape[1]}x{frame.shape[0]}, the first frame "
                                     f"{width}x{height}: a frame folder's images must all have one size")
            yield frame

    info = VideoInfo(width=width, height=height, frames=len(files), fps=fps, kind="folder")
    return VideoReader(info, frames(), max_frames)


def _open_file(path: Path, *, max_frames: int, max_pixels: int) -> VideoReader:
    import av

    name = path.name
    if path.stat().st_size == 0:
        raise VideoReadError(f"{name} is empty (0 bytes)")
    try:
        container = av.open(str(path), mode="r")
    except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError) as exc:
        raise VideoReadError(f"{name} is not a video we can read ({type(exc).__name__}: {exc})") from None
    try:
        if not container.streams.video:
            raise VideoReadError(f"{name} has no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"  # frame- and slice-threaded decoding where the codec allows it
        width, height = int(stream.codec_context.width or 0), int(stream.codec_context.height or 0)
        if width and height:
            _check_size(width, height, max_pixels, name)  # before decoding: a huge frame costs nothing yet
        count = int(stream.frames) if stream.frames else None
        if count is not None and count > max_frames:
            raise VideoTooLargeError(f"{name} has {count} frames, over the limit of {max_frames}")
        rate = stream.average_rate or stream.guessed_rate
        fps = float(rate) if rate else None
        decoded = container.decode(stream)
        try:
            first_frame = next(decoded)
        except StopIteration:
            raise VideoReadError(f"{name} has no frames") from None
        except (av.FFmpegError, OSError, ValueError) as exc:
            raise VideoReadError(f"{name}: its first frame cannot be decoded ({type(exc).__name__}: {exc})") from None
        width, height = first_frame.width, first_frame.height
        _check_size(width, height, max_pixels, name)
    except BaseException:
        container.close()
        raise

    def to_rgb(frame) -> np.ndarray:
        # a stream may change size midway; frames are scaled to the first frame's size so the video has one size
        if frame.width != width or frame.height != height:
            return frame.to_ndarray(format="rgb24", width=width, height=height)
        return frame.to_ndarray(format="rgb24")

    def frames() -> Iterator[np.ndarray]:
        yield to_rgb(first_frame)
        while True:
            try:
                frame = next(decoded)
            except StopIteration:
                return
            except (av.FFmpegError, OSError, ValueError) as exc:
                raise VideoReadError(f"{name}: broken video data after the frames read so far "
                                     f"({type(exc).__name__}: {exc})") from None
            yield to_rgb(frame)

    info = VideoInfo(width=width, height=height, frames=count, fps=fps, kind="file", codec=stream.codec_context.name)
    return VideoReader(info, frames(), max_frames, close=container.close)


def open_video(source: str | Path, *, max_frames: int = DEFAULT_MAX_FRAMES, max_pixels: int = DEFAULT_MAX_PIXELS,
               fps: float | None = None) -> VideoReader:
    """Open a video file (MP4, WebM, MOV, MKV, AVI, animated GIF: anything FFmpeg decodes) or a folder of frames
    (image files in natural name order) as a stream of RGB frames.

    fps: the frame rate of a folder (a file's own rate is used for files). Raises `VideoReadError` for a missing,
    empty, broken or frameless source and `VideoTooLargeError` past `max_frames` or `max_pixels` per frame (checked
    before decoding where the container says, else when the limit is passed)."""
    path = Path(source).expanduser()
    if path.is_dir():
        return _open_folder(path, max_frames=max_frames, max_pixels=max_pixels, fps=fps)
    if not path.is_file():
        raise VideoReadError(f"no video file or frame folder at {path}")
    return _open_file(path, max_frames=max_frames, max_pixels=max_pixels)


# -- writing --------------------------------------------------------------------------------------------------------
def encoder_available(name: str) -> bool:
    import av

    try:
        av.codec.Codec(name, "w")
        return True
    except (av.FFmpegError, ValueError):
        return False


def pick_codec(codec: str = "auto") -> str:
    """'auto': H.264 (libx264) where this FFmpeg has the encoder, else MPEG-4 part 2."""
    if codec != "auto":
        return codec
    return "libx264" if encoder_available("libx264") else "mpeg4"


class VideoWriter:
    """Encodes H x W x 3 uint8 RGB frames one at a time into a video file (MP4 container by its suffix).

    The stream opens on the first frame (its size is the video's). 4:2:0 chroma needs even sides: an odd-sized
    H.264 video is written in 4:4:4 (which some browsers do not play), an odd-sized MPEG-4 one is refused."""

    def __init__(self, path: str | Path, *, fps: float, codec: str = "auto", crf: int = 18) -> None:
        self.path = Path(path)
        self.fps = fps
        self.codec = pick_codec(codec)
        self.crf = crf
        self._container = None
        self._stream = None
        self.frames = 0

    def _open(self, width: int, height: int) -> None:
        import av

        self._container = av.open(str(self.path), mode="w")
        rate = Fraction(self.fps).limit_denominator(1001)
        stream = self._container.add_stream(self.codec, rate=rate)
        stream.width, stream.height = width, height
        even = width % 2 == 0 and height % 2 == 0
        if not even and self.codec != "libx264":
            raise ValueError(f"{self.codec} needs even frame sides, got {width}x{height}")
        stream.pix_fmt = "yuv420p" if even else "yuv444p"
        if self.codec == "libx264":
            stream.options = {"crf": str(self.crf), "preset": "veryfast"}
        else:
            stream.bit_rate = max(2_000_000, int(width * height * self.fps * 0.4))
        self._stream = stream

    def write(self, frame: np.ndarray) -> None:
        import av

        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError(f"expected an H x W x 3 uint8 frame, got {frame.shape} {frame.dtype}")
        if self._container is None:
            self._open(frame.shape[1], frame.shape[0])
        elif (frame.shape[1], frame.shape[0]) != (self._stream.width, self._stream.height):
            raise ValueError("every frame of a video must have the first frame's size")
        video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
        for packet in self._stream.encode(video_frame):
            self._container.mux(packet)
        self.frames += 1

    def close(self) -> None:
        if self._container is None:
            return
        for packet in self._stream.encode():  # flush the encoder's delayed frames
            self._container.mux(packet)
        self._container.close()
        self._container = None

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
