"""The dataset loop's throughput: 1 vs 2 workers, local processes and Ray, with the shapes demo model; the Ray
overhead per image; and the full-size SAM3 (random weights) per image on this CPU.

    python -m bench.annotate                          # every section, writes bench/results/annotate-cpu.{md,json}
    python -m bench.annotate --sections local ray     # some of them
    python -m bench.annotate --images 8 --quick       # a smoke run

Every run goes through the real path (`AnnotateRun.results`: backend, shards with fsync, merge). Rates are steady
state: measured from the moment every worker has delivered its first image (so process start-up and model loading,
reported apart, are not in them) to the last image.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from segchat.datasets.annotate import AnnotateRequest, AnnotateRun
from segchat.datasets.backends import Backend, InProcessBackend, ProcessPoolBackend
from segchat.contracts.settings import DEMO_MODEL_DIR
from segchat.lab.dataset import write_dataset

REPO = Path(__file__).resolve().parent.parent
INSTRUCTION = "all the red shapes and the blue shapes"


def timed_run(data: Path, out: Path, backend: Backend, *, model: str | None = None, threads: int | None = 1,
              workers: int = 1) -> dict:
    """One annotate run into a fresh folder: start-up (to the first image), steady rate, per-image times."""
    shutil.rmtree(out, ignore_errors=True)
    request = AnnotateRequest(input=str(data), out=str(out), instruction=INSTRUCTION, offline=True, quiet=True,
                              model=model or str(DEMO_MODEL_DIR), threads=threads)
    run = AnnotateRun.prepare(request)
    start = time.perf_counter()
    arrivals, elapsed, first_of = [], [], {}
    for record in run.results(backend=backend):
        arrivals.append(time.perf_counter() - start)
        elapsed.append(record.elapsed_ms)
        first_of.setdefault(record.worker, arrivals[-1])
    total = time.perf_counter() - start
    run.merge()
    n = len(arrivals)
    warm_at = max(first_of.values())  # every worker has loaded its model and delivered an image by then
    after = sum(1 for t in arrivals if t > warm_at)
    steady = after / (arrivals[-1] - warm_at) if after else n / total
    return {"images": n, "workers": workers, "backend": backend.name, "startup_s": round(arrivals[0], 2),
            "wall_s": round(total, 2), "steady_images_per_s": round(steady, 3),
            "median_image_ms": round(statistics.median(elapsed), 1),
            "mean_image_ms": round(statistics.fmean(elapsed), 1),
            # each image holds a worker for workers / rate of wall time; what the worker did not spend labelling
            # it (dispatch, transfer, the shard write) is the pipeline's own cost per image
            "pipeline_ms_per_image": round(1000 * len(first_of) / steady - statistics.fmean(elapsed), 1),
            "workers_seen": len(first_of), "steady_images": after}


def section_local(data: Path, work: Path) -> dict:
    runs = {f"{w}": timed_run(data, work / f"local-{w}", ProcessPoolBackend(w), workers=w) for w in (1, 2)}
    one, two = runs["1"]["steady_images_per_s"], runs["2"]["steady_images_per_s"]
    return {"runs": runs, "speedup_2_over_1": round(two / one, 3)}


def section_ray(data: Path, work: Path, local: dict | None) -> dict:
    import ray

    from segchat.datasets.ray_backend import RayBackend

    start = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING", object_store_memory=512 * 1024 * 1024)
    init_s = time.perf_counter() - start
    try:
        # the backends join the cluster started here, so its start-up is counted once, apart
        runs = {f"{w}": timed_run(data, work / f"ray-{w}", RayBackend(w, address="local"), workers=w) for w in (1, 2)}
    finally:
        ray.shutdown()
    one, two = runs["1"]["steady_images_per_s"], runs["2"]["steady_images_per_s"]
    result = {"cluster_cpus": 2, "init_s": round(init_s, 2), "runs": runs, "speedup_2_over_1": round(two / one, 3)}
    if local:
        # what Ray adds to each image: its pipeline cost per image minus the local processes' (both: a worker's wall
        # time per image less the time it spent labelling, so the CPU contention of the moment mostly cancels)
        result["overhead_ms_per_image"] = {
            w: round(runs[w]["pipeline_ms_per_image"] - local["runs"][w]["pipeline_ms_per_image"], 1)
            for w in ("1", "2")}
    return result


def build_full_checkpoint(folder: Path) -> Path:
    """The default `Sam3Config()` (facebook/sam3's architecture, ~840 M parameters) with random weights, saved once
    with save_pretrained so it loads through the production loader."""
    import torch
    from transformers import Sam3Config, Sam3Model

    from segchat.lab.model import byte_level_clip_tokenizer, processor_for, save_checkpoint

    torch.manual_seed(0)
    config = Sam3Config()
    model = Sam3Model(config).eval()
    save_checkpoint(model, processor_for(config, byte_level_clip_tokenizer()), folder)
    return folder


def section_full(data: Path, work: Path, images: int) -> dict:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from segchat.segmenter.images import load_image
    from segchat.segmenter.predictor import Sam3Segmenter

    folder = work / "sam3-full-random"
    start = time.perf_counter()
    build_full_checkpoint(folder)
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    segmenter = Sam3Segmenter.from_pretrained(str(folder), device="cpu", cache_bytes=0)
    load_s = time.perf_counter() - start
    params = sum(p.numel() for p in segmenter.model.parameters())
    # the work of one image (encoder + both phrases in one batched decoder call), counted once on the first image,
    # which also grows the allocator to its size: that first image is not timed
    first = sorted(data.rglob("*.png"))[0]
    with FlopCounterMode(display=False) as counter:
        embedding, _ = segmenter.embed(load_image(first))
        segmenter.find_each(embedding, ["red shape", "blue shape"])
    flops = counter.get_total_flops()
    subset = work / "full-subset"
    subset.mkdir(exist_ok=True)
    for path in sorted(data.rglob("*.png"))[1:images + 1]:
        shutil.copy(path, subset / path.name)
    run = timed_run(subset, work / "full-run", InProcessBackend(segmenter=segmenter), model=str(folder),
                    threads=None, workers=1)
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    return {"parameters": params, "build_and_save_s": round(build_s, 1), "load_s": round(load_s, 1),
            "torch_threads": torch.get_num_threads(),
            "image_size": segmenter.model.config.vision_config.backbone_config.image_size,
            "gflops_per_image": round(flops / 1e9, 1), "run": run,
            "seconds_per_image": round(run["median_image_ms"] / 1000, 2), "peak_rss_gb": round(rss_gb, 2)}


TABLE_HEAD = ("| workers | steady images/s | start-up to first image (s) | per image in the worker, median (ms) | "
              "pipeline cost per image (ms) | wall (s) |\n| --- | --- | --- | --- | --- | --- |")


def _row(workers: str, r: dict) -> str:
    return (f"| {workers} | {r['steady_images_per_s']} | {r['startup_s']} | {r['median_image_ms']} | "
            f"{r.get('pipeline_ms_per_image', '?')} | {r['wall_s']} |")


H200_BF16_TFLOPS = 989  # NVIDIA's dense bfloat16 figure for the H200 SXM


def _reading(section: dict) -> list[str]:
    """What the figures say, from the figures: contention shows as the worker's own time per image rising."""
    one, two = section["runs"]["1"], section["runs"]["2"]
    lines = []
    if section["speedup_2_over_1"] < 1.6:
        lines.append(f"Below the goal in this run: each worker's own time per image rose from {one['median_image_ms']} "
                     f"to {two['median_image_ms']} ms when a second worker ran, i.e. the two workers shared the CPU "
                     "time one had (the load average says there was no idle core to give the second one).")
    if any(r.get("pipeline_ms_per_image", 0) < 0 for r in (one, two)):
        lines.append("A negative pipeline cost means the per-image time moved with the machine's load during the run: "
                     "the pipeline's own cost per image is below what this run can resolve.")
    return lines + [""] if lines else []


def _measured(section: dict) -> str:
    m = section.get("measured", {})
    return (f"Measured {m.get('at', '?')}, load average {m.get('load_before', '?')} before, "
            f"{m.get('load_after', '?')} after.\n")


def markdown(report: dict) -> str:
    lines = ["# segchat annotate: throughput on this CPU", "",
             f"`python -m bench.annotate` ({report['images']} shapes images, demo model, offline parser, "
             f"\"{INSTRUCTION}\"), {report['machine']}. Every worker runs one torch thread. This machine's 2 cores "
             "may be shared with other jobs (the load average of each section's run is given with it, and sections "
             "may come from different runs), so absolute rates are noisy; each section's ratios are taken within "
             "one run.", ""]
    if "local" in report:
        loc = report["local"]
        lines += ["## Local worker processes (`--workers N`)", "", _measured(loc), TABLE_HEAD]
        lines += [_row(w, r) for w, r in loc["runs"].items()]
        lines += ["", f"2 workers / 1 worker: **{loc['speedup_2_over_1']}x** (goal: >= 1.6x on an otherwise idle "
                  "2-core machine)", ""]
        lines += _reading(loc)
    if "ray" in report:
        ray = report["ray"]
        lines += ["## Ray (`--ray`, local cluster of 2 CPUs)", "", _measured(ray),
                  f"Cluster start (`ray.init`): {ray['init_s']} s, paid once per run. Workers are actors here.", "",
                  TABLE_HEAD]
        lines += [_row(w, r) for w, r in ray["runs"].items()]
        lines += ["", f"2 actors / 1 actor: **{ray['speedup_2_over_1']}x**", ""]
        lines += _reading(ray)
        if "overhead_ms_per_image" in ray and "local" in report:
            lines += [f"Ray overhead per image (a worker's wall time per image less the time it spent labelling, "
                      f"Ray minus local processes at the same worker count): "
                      f"{ray['overhead_ms_per_image']['1']} ms at 1 worker, "
                      f"{ray['overhead_ms_per_image']['2']} ms at 2 workers; pipeline cost per image: Ray "
                      f"{ray['runs']['1']['pipeline_ms_per_image']} / {ray['runs']['2']['pipeline_ms_per_image']} ms, "
                      f"local {report['local']['runs']['1']['pipeline_ms_per_image']} / "
                      f"{report['local']['runs']['2']['pipeline_ms_per_image']} ms (1 / 2 workers).", ""]
    if "full" in report:
        full = report["full"]
        lines += ["## Full-size SAM3 (`Sam3Config()`, random weights) on this CPU", "", _measured(full),
                  f"{full['parameters'] / 1e6:.0f} M parameters, {full['image_size']} px input, float32, "
                  f"{full['torch_threads']} torch threads, in-process. "
                  f"{full['gflops_per_image']} GFLOP per image (encoder + 2 phrases, counted by "
                  "`torch.utils.flop_counter`).", "",
                  f"- per image: **{full['seconds_per_image']} s** (median of {full['run']['images']} images after "
                  f"one uncounted warm-up image), steady {full['run']['steady_images_per_s']} images/s",
                  f"- build + save_pretrained once: {full['build_and_save_s']} s; load: {full['load_s']} s; "
                  f"peak RSS of the process: {full['peak_rss_gb']} GB",
                  f"- planned per GPU (not measured): {full['gflops_per_image'] / 1000:.2f} TFLOP per image at 30-50 % "
                  f"of an H200's {H200_BF16_TFLOPS} dense bfloat16 TFLOP/s is "
                  f"{full['gflops_per_image'] / (H200_BF16_TFLOPS * 0.5):.0f}-"
                  f"{full['gflops_per_image'] / (H200_BF16_TFLOPS * 0.3):.0f} ms per image, i.e. about "
                  f"{1000 * H200_BF16_TFLOPS * 0.3 / full['gflops_per_image']:.0f}-"
                  f"{1000 * H200_BF16_TFLOPS * 0.5 / full['gflops_per_image']:.0f} images/s per GPU actor; SAM3's "
                  "paper reports about 30 ms per image on an H200.", ""]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.annotate")
    parser.add_argument("--images", type=int, default=24)
    parser.add_argument("--full-images", type=int, default=2)
    parser.add_argument("--sections", nargs="+", default=["local", "ray", "full"], choices=["local", "ray", "full"])
    parser.add_argument("--out", default=str(REPO / "bench" / "results"))
    parser.add_argument("--name", default="annotate-cpu")
    args = parser.parse_args(argv)
    import os

    report: dict = {"images": args.images, "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
                    "load_before": round(os.getloadavg()[0], 2)}
    with tempfile.TemporaryDirectory(prefix="bench-annotate-") as tmp:
        work = Path(tmp)
        data = work / "shapes"
        write_dataset(data, args.images, seed=99)
        images = data / "images"
        if "local" in args.sections:
            report["local"] = section_local(images, work)
            print("local", json.dumps(report["local"]), flush=True)
        if "ray" in args.sections:
            report["ray"] = section_ray(images, work, report.get("local"))
            print("ray", json.dumps(report["ray"]), flush=True)
        if "full" in args.sections:
            report["full"] = section_full(images, work, args.full_images)
            print("full", json.dumps(report["full"]), flush=True)
    report["load_after"] = round(os.getloadavg()[0], 2)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    previous = out / f"{args.name}.json"
    if previous.exists() and set(args.sections) != {"local", "ray", "full"}:
        # a run of some sections keeps the others' figures from the last run (each section's ratios are still
        # taken within one run; the report says which run each section comes from)
        kept = json.loads(previous.read_text())
        for section in ("local", "ray", "full"):
            if section not in args.sections and section in kept:
                report[section] = kept[section]
    for section in args.sections:
        report[section]["measured"] = {"at": time.strftime("%Y-%m-%d %H:%M", time.localtime()),
                                       "load_before": report["load_before"], "load_after": report["load_after"]}
    (out / f"{args.name}.json").write_text(json.dumps(report, indent=2))
    (out / f"{args.name}.md").write_text(markdown(report))
    print(markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
