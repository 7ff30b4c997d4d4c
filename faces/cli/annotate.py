"""`segchat annotate`: label a folder, glob or manifest of images, resumably (the datasets room does the work)."""

from __future__ import annotations

import sys
from typing import Any

import click
from pydantic import ValidationError

from segchat.contracts.errors import SegchatError
from segchat.faces.cli.common import fail
from segchat.faces.options import LLM_OPTIONS, MODEL_OPTIONS, options


@click.command()
@click.argument("input_path", metavar="INPUT")
@click.argument("instruction", required=False)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="The run folder: created, or resumed when it holds the same run.")
@click.option("--phrases", multiple=True, help="Plain detector labels instead of an instruction (repeat).")
@options(MODEL_OPTIONS, LLM_OPTIONS)
@click.option("--mask-threshold", type=click.FloatRange(0, 1, min_open=True, max_open=True))
@click.option("--format", "output_format", type=click.Choice(["coco", "yolo", "both"]), default="coco",
              show_default=True, help="COCO annotations.json; yolo adds YOLO segmentation labels and data.yaml.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes (or Ray actors), each with its own model.")
@click.option("--ray", "ray_address", is_flag=False, flag_value="local", default=None, metavar="[ADDRESS]",
              help="Run on Ray: alone, a local cluster; 'auto' or ray://HOST:PORT joins one.")
@click.option("--ray-num-cpus", type=click.IntRange(min=1), help="CPUs of a local Ray cluster (default: all).")
@click.option("--cpus-per-worker", type=float, help="Ray: CPUs reserved per actor (default: fits the cluster).")
@click.option("--gpus-per-worker", type=float, help="Ray: GPUs per actor (default: 1 where the cluster has GPUs).")
@click.option("--memory-per-worker", type=float, metavar="GB", help="Ray: host memory reserved per actor.")
@click.option("--threads", type=click.IntRange(min=1), help="torch threads per worker.")
@click.option("--no-progress", is_flag=True, help="No progress bar or lines (the plan and the summary still print).")
def annotate(input_path: str, instruction: str | None, out_dir: str, phrases: tuple[str, ...], mask_threshold: float | None,
             output_format: str, workers: int, ray_address: str | None, ray_num_cpus: int | None,
             cpus_per_worker: float | None, gpus_per_worker: float | None, memory_per_worker: float | None,
             threads: int | None, no_progress: bool, **flags: Any) -> None:
    """Label a folder (recursive), a glob or a manifest of images from one INSTRUCTION (any language), as COCO
    (and YOLO); resumable: the same command on the same --out finishes what a crash left. Exit 1 when some images
    failed (they are in errors.jsonl), 2 when the run cannot start."""
    from segchat.datasets.annotate import AnnotateRequest, annotate as run_annotation

    if not instruction and not phrases:
        fail('give "INSTRUCTION" or --phrases P [--phrases P ...]')
    try:
        request = AnnotateRequest(
            input=input_path, out=out_dir, instruction=instruction, phrases=list(phrases) or None,
            model=flags.get("model"), demo=bool(flags.get("demo")), offline=flags.get("offline"),
            llm_url=flags.get("llm_url"), llm_model=flags.get("llm_model"),
            formats=["coco", "yolo"] if output_format in ("yolo", "both") else ["coco"],
            threshold=flags.get("threshold"), mask_threshold=mask_threshold, workers=workers, ray=ray_address,
            ray_num_cpus=ray_num_cpus, cpus_per_worker=cpus_per_worker, gpus_per_worker=gpus_per_worker,
            memory_per_worker_gb=memory_per_worker, threads=threads, device=flags.get("device"),
            dtype=flags.get("dtype"), progress=not no_progress)
    except ValidationError as exc:
        problem = exc.errors()[0]
        fail(f"--{'-'.join(str(p) for p in problem['loc']).replace('_', '-')}: {problem['msg']}")
    try:
        summary = run_annotation(request, stream=sys.stderr)
    except SegchatError as exc:
        fail(exc.message)
    except KeyboardInterrupt:
        click.echo("interrupted: what was finished is in the shards; run the same command again to resume", err=True)
        sys.exit(130)
    sys.exit(summary.exit_code)
