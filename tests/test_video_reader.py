"""Reading videos as frame streams (PyAV and frame folders) and writing them, with our own errors."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from segchat.lab.moving import render_frame, sample_video
from segchat.segmenter.video import VideoWriter, encoder_available, open_video, pick_codec
from segchat.contracts.errors import VideoReadError, VideoTooLargeError


@pytest.fixture(scope="module")
def clip():
    spec = sample_video(np.random.default_rng(2), frames=12, n_objects=2, size=(96, 128), check=False)
    return [render_frame(spec, t).image for t in range(spec.frames)]


def _write(path, frames, codec="auto", fps=12.0):
    with VideoWriter(path, fps=fps, codec=codec) as writer:
        for frame in frames:
            writer.write(frame)
    return writer


def _read_all(source, **kw):
    with open_video(source, **kw) as reader:
        info = reader.info
        frames = [f for _, f in reader]
    return info, frames


def test_mp4_round_trip_streams_every_frame(tmp_path, clip):
    writer = _write(tmp_path / "v.mp4", clip)
    assert writer.codec == pick_codec("auto")
    info, frames = _read_all(tmp_path / "v.mp4")
    assert (info.width, info.height, info.kind) == (128, 96, "file")
    assert info.fps == pytest.approx(12.0)
    assert info.frames in (None, 12)
    assert len(frames) == 12
    assert all(f.shape == (96, 128, 3) and f.dtype == np.uint8 for f in frames)
    # lossy but close, and in order
    errors = [np.abs(a.astype(int) - b.astype(int)).mean() for a, b in zip(clip, frames)]
    assert max(errors) < 6
    assert np.abs(clip[0].astype(int) - frames[-1].astype(int)).mean() > max(errors)


def test_mpeg4_fallback_and_mkv_container(tmp_path, clip):
    _write(tmp_path / "v.mkv", clip, codec="mpeg4")
    info, frames = _read_all(tmp_path / "v.mkv")
    assert len(frames) == 12 and info.codec == "mpeg4"


@pytest.mark.skipif(not encoder_available("libvpx-vp9"), reason="this FFmpeg has no VP9 encoder")
def test_webm(tmp_path, clip):
    _write(tmp_path / "v.webm", clip, codec="libvpx-vp9")
    info, frames = _read_all(tmp_path / "v.webm")
    assert len(frames) == 12 and (info.width, info.height) == (128, 96)


def test_animated_gif(tmp_path, clip):
    images = [Image.fromarray(f) for f in clip]
    images[0].save(tmp_path / "v.gif", save_all=True, append_images=images[1:], duration=80, loop=0)
    info, frames = _read_all(tmp_path / "v.gif")
    assert len(frames) == 12 and frames[0].shape == (96, 128, 3)
    assert np.abs(frames[5].astype(int) - clip[5].astype(int)).mean() < 12  # a 256-colour palette


def test_frame_folder_in_natural_name_order(tmp_path, clip):
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, frame in enumerate(clip):
        Image.fromarray(frame).save(folder / f"f_{i}.png")  # f_10 sorts after f_9, not after f_1
    (folder / "notes.txt").write_text("not a frame")
    info, frames = _read_all(folder, fps=8)
    assert (info.frames, info.fps, info.kind) == (12, 8, "folder")
    assert all(np.array_equal(a, b) for a, b in zip(clip, frames))


def test_broken_and_missing_sources_raise_our_errors(tmp_path, clip):
    with pytest.raises(VideoReadError):
        open_video(tmp_path / "missing.mp4")
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(VideoReadError):
        open_video(tmp_path / "empty.mp4")
    (tmp_path / "noise.mp4").write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(VideoReadError):
        open_video(tmp_path / "noise.mp4")
    (tmp_path / "nothing").mkdir()
    with pytest.raises(VideoReadError):
        open_video(tmp_path / "nothing")
    # a truncated file: the frames that are there, or our error, never anything else
    _write(tmp_path / "whole.mp4", clip)
    data = (tmp_path / "whole.mp4").read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 2])
    try:
        _, frames = _read_all(tmp_path / "cut.mp4")
        assert len(frames) < 12
    except VideoReadError:
        pass


def test_mixed_sizes_in_a_folder(tmp_path, clip):
    folder = tmp_path / "mixed"
    folder.mkdir()
    Image.fromarray(clip[0]).save(folder / "a.png")
    Image.fromarray(clip[1][:50]).save(folder / "b.png")
    with open_video(folder) as reader, pytest.raises(VideoReadError):
        list(reader)


def test_limits(tmp_path, clip):
    _write(tmp_path / "v.mp4", clip)
    with pytest.raises(VideoTooLargeError):
        _read_all(tmp_path / "v.mp4", max_frames=5)
    with pytest.raises(VideoTooLargeError):
        open_video(tmp_path / "v.mp4", max_pixels=100 * 90)
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, frame in enumerate(clip[:4]):
        Image.fromarray(frame).save(folder / f"{i:03d}.png")
    with pytest.raises(VideoTooLargeError):
        open_video(folder, max_frames=3)
    with pytest.raises(VideoTooLargeError):
        open_video(folder, max_pixels=1000)


def test_a_reader_is_one_pass(tmp_path, clip):
    _write(tmp_path / "v.mp4", clip)
    with open_video(tmp_path / "v.mp4") as reader:
        list(reader)
        with pytest.raises(RuntimeError):
            list(reader)
