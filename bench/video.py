"""Video tracking benchmarks: frames per second of both trackers with 1, 4 and 16 objects, the detect tracker's cost
per frame against the image path's for the same phrases, and peak memory on 150 vs 600 frames.

    python -m bench.video                      # everything, writes bench/results/video-cpu.md (+ .json)
    python -m bench.video --sections memory    # one section
    python -m bench.video --full-frames 0      # skip the full-size Sam3VideoConfig() runs (slow on a CPU)

Memory is measured in a fresh subprocess per run (`python -m bench.video child ...`): peak RSS (ru_maxrss) of a
process that reads an MP4 with the production reader, tracks, and keeps what `segchat track` keeps (every frame's
instances as COCO RLE), so the 150- and 600-frame peaks compare like with like. Videos are rendered moving-shapes
videos (lab/moving.py). The detect tracker uses the demo model (models/shapes-sam3); the sam3 tracker a tiny random
Sam3VideoModel (lab/video_model.py) and, for speed only, the full-size Sam3VideoConfig() with random weights.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "models" / "shapes-sam3"
RESULTS = REPO / "bench" / "results"
COLOUR_PHRASES = ["red shape", "green shape", "blue shape", "yellow shape"]
# sam3 knobs for the benchmarks: every query a detection, the object count set by max_num_objects, no removals, and
# no detection NMS (transformers computes its mask IoU as an N x N x H*W tensor: 26 GB for 200 full-size queries)
SAM3_BENCH_KNOBS = dict(score_threshold_detection=0.0, new_det_thresh=0.0, trk_assoc_iou_thresh=0.0,
                        hotstart_delay=0, det_nms_thresh=0.0)


def render_mp4(path: Path, frames: int, objects: int, seed: int = 0, size: tuple[int, int] = (256, 320)) -> Path:
    """A moving-shapes MP4 whose objects cycle through the four benchmark colours (so the same four phrases find
    1, 4 or 16 of them)."""
    from segchat.lab.moving import sample_video, write_video
    from segchat.lab.world import COLOURS

    rng = np.random.default_rng(seed)
    spec = sample_video(rng, frames=frames, n_objects=objects, size=size, late_or_early=False, check=False)
    for i, obj in enumerate(spec.objects):
        obj.colour = COLOUR_PHRASES[i % 4].split()[0]
        obj.rgb = np.array(COLOURS[obj.colour], dtype=np.float32)
        if objects > 6:  # 16 objects of up to 120 px would cover the frame
            obj.diameter = min(obj.diameter, 56.0)
    write_video(spec, path.parent / path.stem, formats=("mp4",))
    return path.parent / path.stem / "video.mp4"


def tiny_video_checkpoint(folder: Path, *, max_objects: int = 2, image_size: int = 112) -> Path:
    from segchat.lab.model import byte_level_clip_tokenizer
    from segchat.lab.video_model import build_video_checkpoint, tiny_sam3_video_config

    tokenizer = byte_level_clip_tokenizer()
    config = tiny_sam3_video_config(vocab_size=len(tokenizer), image_size=image_size, max_num_objects=max_objects,
                                    **SAM3_BENCH_KNOBS)
    return build_video_checkpoint(folder, config, tokenizer=tokenizer)


def make_tracker(kind: str, model: str, prune: bool = True):
    if kind == "detect":
        from segchat.segmenter.predictor import Sam3Segmenter
        from segchat.segmenter.trackers import DetectTracker

        return DetectTracker(Sam3Segmenter.from_pretrained(model, device="cpu", dtype="float32"))
    from segchat.segmenter.trackers.sam3 import Sam3VideoTracker
    from segchat.segmenter.video_loader import load_sam3_video

    return Sam3VideoTracker(load_sam3_video(model, device="cpu", dtype="float32"), prune=prune)


def run_child(args) -> None:
    """One measured run: read `args.video`, track `args.phrases`, keep the RLE result; print JSON."""
    from segchat.segmenter.video import open_video

    torch.set_num_threads(args.threads)
    tracker = make_tracker(args.tracker, args.model, prune=not args.no_prune)
    kept = []
    start = time.perf_counter()
    with open_video(args.video) as reader:
        for frame in tracker.track(reader, args.phrases):
            kept.append({"index": frame.index, "instances": [{"id": i.id, "mask": i.mask.rle()} for i in frame.instances]})
    seconds = time.perf_counter() - start
    print(json.dumps({"frames": len(kept), "seconds": seconds, "fps": len(kept) / seconds,
                      "objects": len({i["id"] for f in kept for i in f["instances"]}),
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "timings_ms": getattr(tracker, "timings_ms", {})}))


def child(tracker: str, model: str, video: Path, phrases: list[str], *, no_prune: bool = False, threads: int = 1) -> dict:
    command = [sys.executable, "-m", "bench.video", "child", "--tracker", tracker, "--model", model, "--video",
               str(video), "--threads", str(threads), "--phrases", *phrases]
    if no_prune:
        command.append("--no-prune")
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def memory_section(work: Path, out: dict, lengths=(150, 600)) -> None:
    videos = {n: render_mp4(work / f"mem{n}.mp4", n, objects=2, seed=1) for n in lengths}
    tiny = tiny_video_checkpoint(work / "tiny-video", max_objects=2)
    rows = []
    for label, tracker, model, phrases, no_prune in (
        ("detect (demo model)", "detect", str(DEMO), ["red shape", "green shape"], False),
        ("sam3 (tiny, pruned)", "sam3", str(tiny), ["red shape"], False),
        ("sam3 (tiny, unpruned: transformers as is)", "sam3", str(tiny), ["red shape"], True),
    ):
        peaks = {}
        for n, video in videos.items():
            result = child(tracker, model, video, phrases, no_prune=no_prune)
            peaks[n] = result["peak_rss_mb"]
            print(f"memory {label} {n} frames: {result}", flush=True)
        rows.append({"run": label, **{f"peak_rss_mb_{n}": round(v, 1) for n, v in peaks.items()},
                     "ratio": round(peaks[lengths[1]] / peaks[lengths[0]], 3)})
    out["memory"] = rows


def fps_section(work: Path, out: dict, frames: int, full_frames: int) -> None:

    rows = []
    videos = {n: render_mp4(work / f"fps{n}.mp4", frames, objects=n, seed=2) for n in (1, 4, 16)}
    for n, video in videos.items():
        result = child("detect", str(DEMO), video, COLOUR_PHRASES)
        rows.append({"tracker": "detect", "model": "demo (shapes-sam3)", "objects_in_video": n,
                     "objects_tracked": result["objects"], "fps": round(result["fps"], 3), "frames": result["frames"]})
        print("fps", rows[-1], flush=True)
    for n, video in videos.items():
        tiny = tiny_video_checkpoint(work / f"tiny-video-{n}", max_objects=n)
        result = child("sam3", str(tiny), video, ["red shape"])
        rows.append({"tracker": "sam3", "model": "tiny random Sam3VideoConfig (112 px)", "objects_in_video": n,
                     "objects_tracked": result["objects"], "fps": round(result["fps"], 3), "frames": result["frames"]})
        print("fps", rows[-1], flush=True)
    if full_frames:
        for n in (1, 4, 16):
            rows.append(full_size_sam3(n, full_frames, work))
            print("fps", rows[-1], flush=True)
    out["fps"] = rows


def full_size_sam3(objects: int, frames: int, work: Path) -> dict:
    """The full-size Sam3VideoConfig() with random weights (not saved: ~3.5 GB), `objects` tracked, `frames` frames."""
    from transformers import Sam3VideoConfig

    from segchat.lab.model import byte_level_clip_tokenizer
    from segchat.lab.video_model import build_video_model, video_processor_for
    from segchat.segmenter.trackers.sam3 import Sam3VideoTracker
    from segchat.segmenter.video import open_video
    from segchat.segmenter.video_loader import LoadedSam3Video

    config = Sam3VideoConfig(max_num_objects=objects, **SAM3_BENCH_KNOBS)
    start = time.perf_counter()
    model = build_video_model(config)
    built = time.perf_counter() - start
    processor = video_processor_for(config.detector_config.vision_config.backbone_config.image_size,
                                    byte_level_clip_tokenizer())
    loaded = LoadedSam3Video(model=model, processor=processor, device=torch.device("cpu"), dtype=torch.float32,
                             source="random Sam3VideoConfig()")
    tracker = Sam3VideoTracker(loaded)
    video = render_mp4(work / f"full{objects}.mp4", frames, objects=max(objects, 1), seed=3)
    start = time.perf_counter()
    with open_video(video) as reader:
        out = list(tracker.track(reader, ["red shape"]))
    seconds = time.perf_counter() - start
    params = sum(p.numel() for p in model.parameters())
    del model, loaded, tracker
    return {"tracker": "sam3", "model": f"full-size Sam3VideoConfig() random ({params / 1e6:.0f} M params)",
            "objects_in_video": objects, "objects_tracked": len({i.id for f in out for i in f.instances}),
            "fps": round(len(out) / seconds, 4), "frames": len(out), "build_s": round(built, 1)}


def overhead_section(work: Path, out: dict, frames: int) -> None:
    """detect tracker per frame vs the image path (embed + find, uncached) for the same phrases on the same frames."""
    from PIL import Image

    from segchat.segmenter.predictor import Sam3Segmenter
    from segchat.segmenter.trackers import DetectTracker
    from segchat.segmenter.video import open_video

    torch.set_num_threads(1)
    video = render_mp4(work / "overhead.mp4", frames, objects=4, seed=4)
    with open_video(video) as reader:
        decoded = list(reader)
    segmenter = Sam3Segmenter.from_pretrained(str(DEMO), device="cpu", dtype="float32", cache_bytes=0)
    segmenter.find(segmenter.embed(Image.fromarray(decoded[0][1]))[0], COLOUR_PHRASES)  # warm up
    rows = []
    for rep in range(3):  # interleaved, so that a busy machine slows both alike
        start = time.perf_counter()
        for _, frame in decoded:
            embedding, _ = segmenter.embed(Image.fromarray(frame))
            segmenter.find(embedding, COLOUR_PHRASES)
        image_path = (time.perf_counter() - start) / len(decoded)
        tracker = DetectTracker(segmenter)
        start = time.perf_counter()
        for _ in tracker.track(iter(decoded), COLOUR_PHRASES):
            pass
        tracked = (time.perf_counter() - start) / len(decoded)
        t = tracker.timings_ms
        rows.append({"rep": rep, "image_path_ms": round(image_path * 1000, 1), "tracker_ms": round(tracked * 1000, 1),
                     "ratio": round(tracked / image_path, 3),
                     "associate_share": round(t["associate"] / (t["embed"] + t["find"]), 4)})
        print("overhead", rows[-1], flush=True)
    out["overhead"] = rows


def markdown(out: dict) -> str:
    lines = ["# Video tracking benchmark (CPU)", "",
             f"- machine: {platform.machine()}, {out['cpus']} CPUs shared with other jobs (load average at start "
             f"{out['load']}), torch threads 1 per process", f"- command: `{out['command']}`", ""]
    if "fps" in out:
        lines += ["## Frames per second", "", "| tracker | model | objects in video | objects tracked | frames | fps |",
                  "| --- | --- | --- | --- | --- | --- |"]
        lines += [f"| {r['tracker']} | {r['model']} | {r['objects_in_video']} | {r['objects_tracked']} | {r['frames']} | "
                  f"{r['fps']} |" for r in out["fps"]]
        lines.append("")
    if "overhead" in out:
        lines += ["## detect tracker vs the image path (same 4 phrases, same frames, demo model)", "",
                  "| rep | image path ms/frame | tracker ms/frame | ratio | association / (embed + find) |",
                  "| --- | --- | --- | --- | --- |"]
        lines += [f"| {r['rep']} | {r['image_path_ms']} | {r['tracker_ms']} | {r['ratio']} | {r['associate_share']:.2%} |"
                  for r in out["overhead"]]
        lines.append("")
    if "memory" in out:
        lines += ["## Peak RSS, 150 vs 600 frames (one subprocess per run, result kept as RLE)", "",
                  "| run | 150 frames MB | 600 frames MB | ratio (goal <= 1.15) |", "| --- | --- | --- | --- |"]
        lines += [f"| {r['run']} | {r['peak_rss_mb_150']} | {r['peak_rss_mb_600']} | {r['ratio']} |" for r in out["memory"]]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    c = sub.add_parser("child")
    c.add_argument("--tracker", required=True)
    c.add_argument("--model", required=True)
    c.add_argument("--video", required=True)
    c.add_argument("--phrases", nargs="+", required=True)
    c.add_argument("--threads", type=int, default=1)
    c.add_argument("--no-prune", action="store_true")
    parser.add_argument("--sections", nargs="+", default=["fps", "overhead", "memory"])
    parser.add_argument("--frames", type=int, default=24, help="frames per fps / overhead run")
    parser.add_argument("--full-frames", type=int, default=2, help="frames per full-size sam3 run (0: skip)")
    parser.add_argument("--name", default="video-cpu")
    args = parser.parse_args(argv)
    if args.command == "child":
        run_child(args)
        return
    import os

    out: dict = {"cpus": os.cpu_count(), "load": round(os.getloadavg()[0], 1),
                 "command": "python -m bench.video " + " ".join(sys.argv[1:] if argv is None else argv)}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if "fps" in args.sections:
            fps_section(work, out, args.frames, args.full_frames)
        if "overhead" in args.sections:
            overhead_section(work, out, args.frames)
        if "memory" in args.sections:
            memory_section(work, out)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(out, indent=1))
    (RESULTS / f"{args.name}.md").write_text(markdown(out))
    print(markdown(out))


if __name__ == "__main__":
    main()
