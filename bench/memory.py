"""Memory of the segmenter, each figure from a fresh process (peak RSS only grows within one).

    python -m bench.memory peak --size full --phrases 4        # peak RSS of one cold call with 4 phrases
    python -m bench.memory cache --size full --images 8        # bytes per cached image: accounted and measured

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from segchat.contracts.settings import REPO_DIR


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def images(n: int, size: tuple[int, int] = (480, 640)) -> list[Image.Image]:
    return [Image.fromarray(np.random.default_rng(i).integers(0, 255, (*size, 3), dtype=np.uint8)) for i in range(n)]


def measure_peak(args) -> dict:
    from bench.run import PHRASES, build_segmenter

    segmenter = build_segmenter(args.size, args.device, args.dtype, False, prompt_batch=args.prompt_batch)
    image = images(1)[0]
    segmenter.detect(image, PHRASES[:1])  # loaded and warmed: what stays is the baseline
    segmenter.cache.clear()
    gc.collect()
    before = rss_mb()
    segmenter.detect(images(2)[1], PHRASES[:args.phrases])
    return {"phrases": args.phrases, "prompt_batch": segmenter.prompt_batch, "rss_before_mb": round(before, 1),
            "peak_rss_mb": round(peak_mb(), 1)}


def measure_cache(args) -> dict:
    from bench.run import build_segmenter

    segmenter = build_segmenter(args.size, args.device, args.dtype, False)
    pictures = images(args.images + 1)
    first, _ = segmenter.embed(pictures[0])
    gc.collect()
    after_one = rss_mb()
    for picture in pictures[1:args.images]:
        segmenter.embed(picture)
    gc.collect()
    after_all = rss_mb()
    measured = (after_all - after_one) / max(1, args.images - 1)
    # the default budget: after `images` more different images, is the first one still a hit?
    segmenter.embed(pictures[args.images])
    return {"images": args.images, "accounted_mb_per_image": round(first.nbytes / 2**20, 1),
            "measured_rss_mb_per_image": round(measured, 1), "cache_budget_mb": round(segmenter.cache.budget_bytes / 2**20),
            "cached_images": len(segmenter.cache), "first_still_cached": first.key in segmenter.cache}


def run(kind: str, **options) -> dict:
    """One measurement in a fresh interpreter."""
    argv = [sys.executable, "-m", "bench.memory", kind] + [f"--{k.replace('_', '-')}={v}" for k, v in options.items()]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=REPO_DIR, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["peak", "cache"])
    parser.add_argument("--size", choices=["full", "tiny"], default="full")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--phrases", type=int, default=4)
    parser.add_argument("--prompt-batch", type=int, default=4)
    parser.add_argument("--images", type=int, default=8)
    args = parser.parse_args()
    print(json.dumps(measure_peak(args) if args.kind == "peak" else measure_cache(args)))


if __name__ == "__main__":
    main()
