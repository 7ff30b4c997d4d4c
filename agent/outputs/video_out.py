"""What a tracked video gives back besides its JSON: the overlay video and each object's first appearance."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from segchat.agent.outputs.cutouts import cutout
from segchat.agent.outputs.export import png_bytes
from segchat.agent.outputs.overlay import render_overlay
from segchat.contracts.results import VideoResult
from segchat.segmenter.instances import Instance
from segchat.segmenter.masks import CroppedMask
from segchat.segmenter.video import VideoWriter, open_video


def frame_instances(frame, labels: dict[int, str]) -> list[Instance]:
    return [Instance(phrase=labels.get(i.id, ""), score=i.score, mask=CroppedMask.from_rle(i.mask.model_dump()),
                     id=i.id) for i in frame.instances]


def write_video_outputs(result: VideoResult, source: str | Path, folder: Path, *, labels: dict[int, str] | None = None,
                        max_frames: int | None = None) -> list[Path]:
    """Into `folder`: `result.json`, `overlay.mp4` (coloured masks and id labels at the input's frame rate, H.264
    where the encoder exists, else MPEG-4) and `object_<id>.png` (each object's cut-out where it first appears).
    The source is read again frame by frame: nothing holds the whole video."""
    folder.mkdir(parents=True, exist_ok=True)
    labels = labels or {o.id: o.label for o in result.objects}
    first_seen = {o.id: o.first_frame for o in result.objects}
    written = [folder / "result.json"]
    written[0].write_text(json.dumps(result.model_dump(), ensure_ascii=False), encoding="utf-8")
    frames_by_index = {f.index: f for f in result.frames}
    fps = result.video.fps or 10.0
    overlay_path = folder / "overlay.mp4"
    opened = open_video(source, **({"max_frames": max_frames} if max_frames else {}))
    with opened as reader, VideoWriter(overlay_path, fps=fps) as writer:
        for index, pixels in reader:
            image = Image.fromarray(pixels)
            frame = frames_by_index.get(index)
            instances = frame_instances(frame, labels) if frame else []
            writer.write(np.asarray(render_overlay(image, instances, labels)))
            for inst in instances:
                if first_seen.get(inst.id) == index:
                    piece, _ = cutout(image, inst)
                    path = folder / f"object_{inst.id}.png"
                    path.write_bytes(png_bytes(piece))
                    written.append(path)
    written.insert(1, overlay_path)
    return written
