"""segchat benchmarks: where the time and memory go, and how we compare with the reference way of calling SAM3.

    python -m bench.run                       # full-size Sam3Config() with random weights, all sections
    python -m bench.run --size tiny --quick   # the same code path on a tiny model (what CI runs)

Writes bench/results/<name>.json, .md and .png. Timings are medians over repetitions, with min and max.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from segchat.agent.outputs.overlay import render_overlay
from segchat.agent.results import numbered, segmentation_result
from segchat.contracts.settings import REPO_DIR as REPO
from segchat.lab.model import byte_level_clip_tokenizer, processor_for, small_sam3_config
from segchat.segmenter.loader import LoadedSam3, resolve_device, resolve_dtype
from segchat.segmenter.predictor import Sam3Segmenter

PHRASES = ["cat", "remote control", "pink blanket", "couch", "dog", "person", "car", "red car", "cup", "table",
           "chair", "bottle", "book", "laptop", "phone", "tree"]


def timed(fn, reps: int) -> dict:
    """Run `fn` `reps` times: median, min, max in ms."""
    samples = []
    for _ in range(reps):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        samples.append((time.perf_counter() - start) * 1000)
    return {"median_ms": round(statistics.median(samples), 2), "min_ms": round(min(samples), 2),
            "max_ms": round(max(samples), 2), "reps": reps}


def peak_memory_mb() -> dict:
    out = {"peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    if torch.cuda.is_available():
        out["cuda_max_allocated_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    return out


def bench_image() -> Image.Image:
    cats = REPO.parent / "shared" / "eval" / "coco_000000039769_cats" / "000000039769.png"
    if cats.exists():
        return Image.open(cats).convert("RGB")
    from segchat.lab.render import render_scene

    return render_scene(np.random.default_rng(0), size=(480, 640)).image


def build_segmenter(size: str, device: str, dtype: str, compile_model: bool, model_path: str | None = None,
                    prompt_batch: int = 4, compile_backend: str = "inductor") -> Sam3Segmenter:
    from transformers import Sam3Config, Sam3Model

    if model_path:  # a real checkpoint (facebook/sam3 or a folder), through the production loader
        segmenter = Sam3Segmenter.from_pretrained(model_path, device=device, dtype=dtype, prompt_batch=prompt_batch)
        if compile_model:
            segmenter.model.forward = torch.compile(segmenter.model.forward, backend=compile_backend)
            segmenter.model.get_vision_features = torch.compile(segmenter.model.get_vision_features,
                                                                backend=compile_backend)
        return segmenter
    torch.manual_seed(0)
    tokenizer = byte_level_clip_tokenizer()
    config = Sam3Config() if size == "full" else small_sam3_config(vocab_size=len(tokenizer))
    torch_device = resolve_device(device)
    torch_dtype = resolve_dtype(dtype, torch_device)
    model = Sam3Model(config).eval().to(torch_device, torch_dtype)
    if compile_model:
        model.forward = torch.compile(model.forward, backend=compile_backend)
        model.get_vision_features = torch.compile(model.get_vision_features, backend=compile_backend)
    loaded = LoadedSam3(model=model, processor=processor_for(config, tokenizer), device=torch_device, dtype=torch_dtype,
                        source=f"random {'Sam3Config()' if size == 'full' else 'tiny config'}")
    return Sam3Segmenter(loaded, prompt_batch=prompt_batch)


def bench_segmenter(segmenter: Sam3Segmenter, reps: int, cold_reps: int) -> dict:
    """Cold calls with 1/4/16 phrases, a cached follow-up, and the reference way (one full call per phrase)."""
    image = bench_image()
    processor, model = segmenter.processor, segmenter.model

    def cold(n: int):
        def run():
            segmenter.cache.clear()
            segmenter.detect(image, PHRASES[:n])
        return run

    def reference(n: int):
        def run():
            for phrase in PHRASES[:n]:  # re-encodes the image for every phrase, one phrase per call
                inputs = processor(images=image, text=phrase, return_tensors="pt").to(segmenter.device)
                with torch.inference_mode():
                    outputs = model(pixel_values=inputs["pixel_values"].to(segmenter.dtype),
                                    input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"])
                processor.post_process_instance_segmentation(outputs, threshold=0.3, mask_threshold=0.5,
                                                             target_sizes=[(image.height, image.width)])
        return run

    # warm-up, not counted: the allocator grows once for each batch size, as it does in a server after its first requests
    cold(1)()
    cold(4)()
    results = {"cold_1": timed(cold(1), cold_reps), "cold_4": timed(cold(4), cold_reps),
               "cold_16": timed(cold(16), max(1, cold_reps - 1))}
    segmenter.cache.clear()
    segmenter.detect(image, PHRASES[:1])
    results["cached_1"] = timed(lambda: segmenter.detect(image, PHRASES[1:2]), reps)
    results["reference_4"] = timed(reference(4), max(1, cold_reps - 1))
    embedding, _ = segmenter.embed(image)
    results["embedding_mb"] = round(embedding.nbytes / 2**20, 1)
    cold_1, cold_4 = results["cold_1"]["median_ms"], results["cold_4"]["median_ms"]
    results["ratios"] = {
        "batched_4_over_cold_1": round(cold_4 / cold_1, 3),
        "cached_over_cold": round(results["cached_1"]["median_ms"] / cold_1, 3),
        "ours_over_reference_4": round(cold_4 / results["reference_4"]["median_ms"], 3),
    }
    results["memory"] = peak_memory_mb()
    return results


def synthetic_outputs(n: int, size: tuple[int, int], low: int = 288, queries: int = 200, seed: int = 0):
    """Model outputs with `n` confident queries whose masks are blobs of everyday object sizes."""
    from transformers.models.sam3.modeling_sam3 import Sam3ImageSegmentationOutput

    rng = np.random.default_rng(seed)
    logits = np.full((1, queries), -6.0, dtype=np.float32)
    logits[0, :n] = 4.0
    masks = np.full((1, queries, low, low), -8.0, dtype=np.float32)
    yy, xx = np.mgrid[0:low, 0:low]
    boxes = np.zeros((1, queries, 4), dtype=np.float32)
    for q in range(n):
        cy, cx = rng.uniform(10, low - 10, size=2)
        ry, rx = rng.uniform(4, 20, size=2)  # 1-3% of the image on average
        inside = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2
        masks[0, q] = np.where(inside < 1.0, 6.0, -6.0)
        boxes[0, q] = [(cx - rx) / low, (cy - ry) / low, (cx + rx) / low, (cy + ry) / low]
    return Sam3ImageSegmentationOutput(pred_logits=torch.from_numpy(logits), pred_boxes=torch.from_numpy(boxes).clamp(0, 1),
                                       pred_masks=torch.from_numpy(masks), presence_logits=torch.full((1, 1), 6.0))


def bench_postprocess(reps: int, n: int = 100, size: tuple[int, int] = (1000, 1000)) -> dict:
    """Post-processing of `n` instances on a `size` image, on one core."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        outputs = synthetic_outputs(n, size)
        image = Image.fromarray(np.random.default_rng(1).integers(0, 255, (*size, 3), dtype=np.uint8))
        holder: dict = {}

        def resize():
            holder["instances"] = numbered(Sam3Segmenter.postprocess(outputs, ["object"], size, threshold=0.3,
                                                                     mask_threshold=0.5, nms_iou=None)[0])

        def rle():
            holder["rle"] = [inst.mask.rle() for inst in holder["instances"]]

        def overlay():
            render_overlay(image, holder["instances"])

        def serialize():
            # the result JSON as every face builds it (its RLE from the crops, as timed above)
            result = segmentation_result(holder["instances"], size, {"total": 0.0})
            holder["json"] = json.dumps(result.model_dump())

        resize()
        rle()
        stages = {"threshold_and_resize": timed(resize, reps), "rle_encode": timed(rle, reps),
                  "overlay": timed(overlay, reps), "json_serialize": timed(serialize, reps)}
        stages["total_ms"] = round(sum(stage["median_ms"] for stage in stages.values()), 2)
        stages["instances"] = len(holder["instances"])
        stages["image"] = f"{size[1]}x{size[0]}"
        return stages
    finally:
        torch.set_num_threads(threads)


def bench_turn(turns: int) -> dict:
    """Whole agent turns with the shapes demo model and the offline parser: the share of each stage."""
    from segchat.agent import build_agent
    from segchat.contracts.settings import Settings
    from segchat.lab.render import render_scene

    instructions = ["把最左边的红色圆形抠出来", "all the green shapes", "the biggest blue square",
                    "所有黄色的图形，五角星除外", "the red circles and the green triangles"]
    rng = np.random.default_rng(3)
    stage_totals: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as data:
        # the server's composition: the demo model at its calibrated threshold, the offline parser
        agent = build_agent(Settings(demo=True, offline=True, device="cpu", data_dir=data))
        segmenter = agent.segmenter
        agent.turn("warm up", render_scene(rng).image)
        for i in range(turns):
            scene = render_scene(rng)
            output = agent.turn(instructions[i % len(instructions)], scene.image)
            start = time.perf_counter()
            output.overlay()
            timings = dict(output.result.timings_ms)
            timings["render_overlay"] = (time.perf_counter() - start) * 1000
            for key, value in timings.items():
                stage_totals.setdefault(key, []).append(value)
        agent.store.close()
    # the shapes issue's figure: one new image (not cached) plus 4 phrases, with the demo model on the CPU
    images = [render_scene(rng).image for _ in range(max(5, turns))]
    phrases = ["red circle", "blue square", "green object", "star"]
    cold_4 = timed(lambda: segmenter.detect(images.pop(), phrases), len(images))
    medians = {k: round(statistics.median(v), 2) for k, v in stage_totals.items()}
    total = medians.get("total", 0.0) + medians.get("render_overlay", 0.0)
    stages = ["parse", "embed", "segment", "rules", "serialize", "render_overlay"]
    return {"turns": turns, "threshold": agent.threshold, "median_ms": medians, "demo_image_plus_4_phrases": cold_4,
            "share": {k: round(medians.get(k, 0.0) / total, 3) for k in stages if total}}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def bench_memory(size: str, device: str, dtype: str) -> dict:
    """Peak RSS of cold calls (4 and 16 phrases, chunked and not) and the bytes one more cached image holds, each
    measured in a fresh process (bench/memory.py)."""
    from bench.memory import run

    common = {"size": size, "device": device, "dtype": dtype}
    peaks = {f"cold_{n}_batch_{b}": run("peak", phrases=n, prompt_batch=b, **common)
             for n, b in ((4, 4), (16, 4), (16, 16))}
    cache = run("cache", images=8, **common)
    return {"peaks": peaks, "cache": cache}


def bench_server(clients: int, requests: int, max_seconds: float, concurrency: int = 1) -> dict:
    """`serve.py --demo --offline` on a free loopback port, loaded by `clients` concurrent clients; `concurrency` 1
    runs one request at a time (no batching), more lets requests share SAM3 forwards."""
    from bench.load import run_load
    from bench.server_process import ServerProcess

    env = {"SEGCHAT_QUEUE_SIZE": "64", "SEGCHAT_CONCURRENCY": str(concurrency)}
    with tempfile.TemporaryDirectory() as data:
        with ServerProcess("--demo", "--offline", data_dir=Path(data), env=env) as server:
            pid = server.process.pid
            image = REPO / "examples" / "shapes_demo.png"
            run_load(server.url, image, "all the green shapes", clients=1, requests=2, max_seconds=30)  # warm-up
            before = rss_mb(pid)
            result = run_load(server.url, image, "把最左边的红色圆形抠出来", clients=clients, requests=requests,
                              max_seconds=max_seconds)
            result["rss_before_mb"], result["rss_after_mb"] = before, rss_mb(pid)
            result["concurrency"] = concurrency
            return result


def segmenter_markdown(title: str, seg: dict) -> list[str]:
    lines = [f"## {title}", "", "| measure | median ms | min | max | reps |", "| --- | --- | --- | --- | --- |"]
    for key in ("cold_1", "cold_4", "cold_16", "cached_1", "reference_4"):
        m = seg[key]
        lines.append(f"| {key} | {m['median_ms']:.1f} | {m['min_ms']:.1f} | {m['max_ms']:.1f} | {m['reps']} |")
    r = seg["ratios"]
    lines += ["", "| ratio | value | goal |", "| --- | --- | --- |",
              f"| 4 phrases batched / 1 phrase cold | {r['batched_4_over_cold_1']:.3f} | ≤ 1.25 |",
              f"| cached follow-up / cold | {r['cached_over_cold']:.3f} | ≤ 0.15 |",
              f"| ours / reference, 4 phrases | {r['ours_over_reference_4']:.3f} | ≤ 0.4 |", "",
              f"Peak memory: {seg['memory']}; one cached embedding: {seg['embedding_mb']} MB.", ""]
    return lines


def markdown(report: dict) -> str:
    lines = [f"# segchat benchmark: {report['name']}", "", f"- machine: {report['machine']}",
             f"- model: {report.get('segmenter_model', '-')}, device {report.get('device')}, dtype {report.get('dtype')}",
             f"- command: `{report['command']}`", ""]
    for title, key in (("Segmenter", "segmenter"), ("Segmenter, torch.compile", "segmenter_compiled")):
        if report.get(key):
            lines += segmenter_markdown(title, report[key])
    post = report.get("postprocess")
    if post:
        lines += [f"## Post-processing ({post['instances']} instances, {post['image']}, one core)", "",
                  "| stage | median ms |", "| --- | --- |"]
        for key in ("threshold_and_resize", "rle_encode", "overlay", "json_serialize"):
            lines.append(f"| {key} | {post[key]['median_ms']:.2f} |")
        lines += [f"| **total** (goal ≤ 30) | {post['total_ms']:.2f} |", ""]
    turn = report.get("turn")
    if turn:
        lines += [f"## Whole turn (demo model, offline parser, {turn['turns']} turns)", "", "| stage | median ms | share |",
                  "| --- | --- | --- |"]
        for key, share in turn["share"].items():
            lines.append(f"| {key} | {turn['median_ms'].get(key, 0.0):.1f} | {share:.1%} |")
        demo = turn["demo_image_plus_4_phrases"]
        lines += ["", f"Demo model, one new image + 4 phrases (`detect`, {demo['reps']} images): median "
                  f"{demo['median_ms']:.1f} ms (min {demo['min_ms']:.1f}, max {demo['max_ms']:.1f}); goal < 200 ms.", ""]
    memory = report.get("memory")
    if memory:
        lines += ["## Memory (each figure from a fresh process)", "",
                  "| cold call | prompts per forward | peak RSS MB | RSS before MB |", "| --- | --- | --- | --- |"]
        lines += [f"| {m['phrases']} phrases | {m['prompt_batch']} | {m['peak_rss_mb']} | {m['rss_before_mb']} |"
                  for m in memory["peaks"].values()]
        cache = memory["cache"]
        lines += ["", f"One more cached image: accounted {cache['accounted_mb_per_image']} MB, measured (RSS growth over "
                      f"{cache['images']} cold images) {cache['measured_rss_mb_per_image']} MB; with the default budget "
                      f"({cache['cache_budget_mb']} MB) {cache['cached_images']} images are held and the first of "
                      f"{cache['images'] + 1} is {'still' if cache['first_still_cached'] else 'no longer'} cached.", ""]
    video = report.get("video")
    if video:
        lines += ["## Video trackers", "", "| tracker | model | objects in video | objects tracked | frames | fps |",
                  "| --- | --- | --- | --- | --- | --- |"]
        lines += [f"| {v['tracker']} | {v['model']} | {v['objects_in_video']} | {v['objects_tracked']} | {v['frames']} | "
                  f"{v['fps']} |" for v in video]
        lines.append("")
    servers = report.get("server")
    if servers:
        servers = servers if isinstance(servers, list) else [servers]
        lines += ["## Server (`serve.py --demo --offline`, loopback)", "",
                  "| clients | concurrency (1 = no batching) | requests | throughput req/s | p50 ms | p95 ms | p99 ms | "
                  "statuses | RSS before → after MB |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        lines += [f"| {s['clients']} | {s.get('concurrency', 1)} | {s['requests']} | {s['throughput_rps']} | "
                  f"{s['p50_ms']} | {s['p95_ms']} | {s['p99_ms']} | {s['statuses']} | {s['rss_before_mb']} → "
                  f"{s['rss_after_mb']} |" for s in servers]
        lines.append("")
    return "\n".join(lines)


def plot(report: dict, path: Path) -> None:
    """A bar chart of the segmenter timings (PIL only)."""
    seg = report.get("segmenter")
    if not seg:
        return
    keys = ["cold_1", "cold_4", "cold_16", "cached_1", "reference_4"]
    values = [seg[k]["median_ms"] for k in keys]
    width, height, left = 720, 60 + 50 * len(keys), 140
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((10, 10), f"segmenter, median ms ({report.get('segmenter_model')}, {report.get('device')})", fill="black")
    top = max(values) or 1.0
    for i, (key, value) in enumerate(zip(keys, values)):
        y = 45 + 50 * i
        draw.text((10, y + 12), key, fill="black")
        bar = int((width - left - 110) * value / top)
        draw.rectangle([left, y, left + bar, y + 34], fill=(0, 130, 200) if key != "reference_4" else (230, 25, 75))
        draw.text((left + bar + 8, y + 12), f"{value:.0f}", fill="black")
    image.save(path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=["full", "tiny"], default="full", help="full = Sam3Config() (facebook/sam3's size)")
    parser.add_argument("--model", help="benchmark a real checkpoint (Hugging Face id or folder) instead of random weights")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--dtype", default="auto")
    parser.add_argument("--compile", choices=["off", "on", "both"], default="off",
                        help="torch.compile the model (GPU); both = the segmenter section twice")
    parser.add_argument("--compile-backend", default="inductor",
                        help="torch.compile's backend: inductor (what is measured) or aot_eager (the same graph "
                             "capture without code generation: how the tests check the path in seconds)")
    parser.add_argument("--sections", default="segmenter,postprocess,turn,server",
                        help="any of segmenter,memory,postprocess,turn,server,video")
    parser.add_argument("--quick", action="store_true", help="fewest repetitions and a small server run (CI)")
    parser.add_argument("--name", help="results file name (default from size and device)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args(argv)
    sections = set(args.sections.split(","))
    device = resolve_device(args.device)
    on_gpu = device.type == "cuda"
    reps = 1 if args.quick else (5 if on_gpu or args.size == "tiny" else 3)
    cold_reps = 1 if args.quick else (5 if on_gpu or args.size == "tiny" else 2)
    name = args.name or f"{args.size}-{device.type}{'-compile' if args.compile == 'on' else ''}"
    report: dict = {"name": name, "command": "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:]),
                    "machine": f"{platform.machine()}, {torch.get_num_threads()} threads, "
                               f"{torch.cuda.get_device_name() if on_gpu else platform.processor() or 'cpu'}",
                    "torch": torch.__version__}
    started = time.perf_counter()
    if "segmenter" in sections:
        for compiled in {"off": [False], "on": [True], "both": [False, True]}[args.compile]:
            segmenter = build_segmenter(args.size, args.device, args.dtype, compiled, args.model,
                                        compile_backend=args.compile_backend)
            if compiled:
                report["compile_backend"] = args.compile_backend
            report.update(segmenter_model=segmenter.source, device=str(segmenter.device),
                          dtype=str(segmenter.dtype).replace("torch.", ""))
            report["segmenter_compiled" if compiled and args.compile == "both" else "segmenter"] = \
                bench_segmenter(segmenter, reps, cold_reps)
            del segmenter
            print(json.dumps(report.get("segmenter", {}).get("ratios")), flush=True)
    if "memory" in sections:
        report["memory"] = bench_memory(args.size, str(device), args.dtype if args.dtype != "auto" else
                                        ("bfloat16" if on_gpu else "float32"))
    if "postprocess" in sections:
        report["postprocess"] = bench_postprocess(3 if args.quick else 7)
    if "turn" in sections:
        report["turn"] = bench_turn(3 if args.quick else 20)
    if "server" in sections:
        loads = [(2, 4)] if args.quick else [(8, 40), (32, 96)]
        report["server"] = [bench_server(clients=c, requests=r, max_seconds=60 if args.quick else 180,
                                         concurrency=concurrency)
                            for c, r in loads for concurrency in (1, 4)]
    if "video" in sections:
        from bench.video import fps_section

        with tempfile.TemporaryDirectory() as work:
            video: dict = {}
            # frames per second of both trackers with 1, 4 and 16 objects (full-size sam3 too, unless tiny)
            fps_section(Path(work), video, 6 if args.quick else 24, 0 if args.size == "tiny" else 8)
            report["video"] = video["fps"]
    report["seconds"] = round(time.perf_counter() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{name}.json").write_text(json.dumps(report, indent=1))
    (args.out / f"{name}.md").write_text(markdown(report))
    plot(report, args.out / f"{name}.png")
    print(markdown(report))
    print(f"written to {args.out / name}.{{json,md,png}} in {report['seconds']} s")


if __name__ == "__main__":
    main()
