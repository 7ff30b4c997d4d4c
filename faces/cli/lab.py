"""The shapes lab's verbs: render, train, calibrate and score the shapes world's checkpoint and the agent on it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from segchat.contracts.results import TrackerKind
from segchat.faces.cli.common import checked_settings, fail, guarded, make_agent
from segchat.faces.options import MODEL_OPTIONS, options


@click.command("eval-shapes")
@options(MODEL_OPTIONS)
@click.option("--images", type=click.IntRange(min=1), default=100, show_default=True,
              help="Freshly rendered images to score.")
@click.option("--seed", type=int, default=12345, show_default=True, help="Seed of the rendered set.")
@click.option("--exemplars", "with_exemplars", is_flag=True, help="Also score box exemplars on fresh images.")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
def eval_shapes(images: int, seed: int, with_exemplars: bool, as_json: bool, **model_flags: Any) -> None:
    """Score a checkpoint on freshly rendered shapes-world images (default: the demo model)."""
    from segchat.agent.build import load_segmenter
    from segchat.lab.evaluate import evaluate_exemplars, evaluate_shapes, format_shapes_report

    model_flags["demo"] = model_flags.get("demo") or (None if model_flags.get("model") else True)
    settings = checked_settings(**model_flags)

    def run() -> None:
        segmenter = load_segmenter(settings)
        report = evaluate_shapes(segmenter, images=images, seed=seed, threshold=settings.threshold,
                                 mask_threshold=settings.mask_threshold)
        if with_exemplars:
            report["exemplars"] = evaluate_exemplars(segmenter, images=images, seed=seed + 1,
                                                     threshold=settings.threshold,
                                                     mask_threshold=settings.mask_threshold)
        click.echo(json.dumps(report) if as_json else format_shapes_report(report))

    guarded(run)


@click.command("render-shapes")
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--images", type=click.IntRange(min=1), default=50, show_default=True, help="Scenes to render.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the rendered set.")
def render_shapes(out_dir: str, images: int, seed: int) -> None:
    """Render a shapes-world dataset: PNG images, COCO annotations with RLE masks (category = shape, attribute
    color) and phrases.jsonl (every present canonical phrase and some absent ones, in English and Chinese)."""
    from segchat.lab.dataset import write_dataset

    try:
        counts = write_dataset(Path(out_dir), images, seed)
    except OSError as exc:
        fail(f"cannot write to '{out_dir}': {exc.strerror or exc}")
    click.echo(f"{counts['images']} images, {counts['annotations']} annotations, {counts['phrases']} phrases "
               f"-> {out_dir}/annotations.json, {out_dir}/phrases.jsonl")


@click.command("render-videos")
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--videos", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--frames", type=(int, int), default=None, help="Range of frames per video (default: the spec's 24-600).")
@click.option("--format", "formats", type=click.Choice(["frames", "mp4"]), multiple=True, default=("frames", "mp4"),
              show_default=True)
def render_videos(out_dir: str, videos: int, seed: int, frames: tuple[int, int] | None, formats: tuple[str, ...]) -> None:
    """Render moving-shapes videos (../shared/SHAPES.md): frame folders and/or MP4s, with per-frame truth."""
    from segchat.lab.moving import write_video_dataset

    options = {"frames_range": frames} if frames else {}
    try:
        summary = write_video_dataset(Path(out_dir), videos, seed, formats=formats, **options)
    except OSError as exc:
        fail(f"cannot write to '{out_dir}': {exc.strerror or exc}")
    click.echo(f"{len(summary.videos)} videos ({sum(v['frames'] for v in summary.videos)} frames) -> {out_dir}")


@click.command("eval-track")
@click.argument("dataset", type=click.Path(exists=True, file_okay=False))
@options(MODEL_OPTIONS)
@click.option("--tracker", type=click.Choice([kind.value for kind in TrackerKind]), default="auto", show_default=True)
@click.option("--source", type=click.Choice(["frames", "mp4"]), default="mp4", show_default=True)
@click.option("--languages", default="en,zh", show_default=True,
              help="The agent's colour requests in these languages ('all the red shapes', '把所有红色的图形都找出来').")
@click.option("--phrases", "by_phrase", is_flag=True,
              help="Score the tracker on the canonical phrases of every kind instead (no parser, no agent).")
@click.option("--max-videos", type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True)
def eval_track(dataset: str, tracker: str, source: str, languages: str, by_phrase: bool, max_videos: int | None,
               as_json: bool, **model_flags: Any) -> None:
    """IDF1 and HOTA (TrackEval) and the right number of objects on rendered moving-shapes videos: the agent's colour
    requests in English and Chinese, or (--phrases) the tracker on every phrase kind."""
    import tempfile

    model_flags["demo"] = model_flags.get("demo") or (None if model_flags.get("model") else True)

    def run() -> None:
        with tempfile.TemporaryDirectory() as data:
            agent = make_agent(checked_settings(offline=True, data_dir=data, **model_flags))
            if by_phrase:
                from segchat.lab.track_eval import evaluate_dataset

                report = evaluate_dataset(dataset, agent.tracker(tracker), source=source, threshold=agent.threshold,
                                          max_videos=max_videos)
            else:
                from segchat.lab.agent_video_eval import evaluate_requests

                report = evaluate_requests(agent, dataset, tracker=tracker, source=source,
                                           languages=tuple(languages.split(",")), max_videos=max_videos)
        click.echo(report.model_dump_json() if as_json else report.markdown())

    guarded(run)


@click.command("calibrate-shapes")
@click.option("--model", help="Local folder of a SAM3 checkpoint (default: the shapes demo model).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), help="Force a device.")
@click.option("--images", type=click.IntRange(min=1), default=60, show_default=True,
              help="Held-out images to calibrate on.")
@click.option("--seed", type=int, default=4242, show_default=True,
              help="Seed of the calibration set (keep it apart from the seeds you evaluate on).")
@click.option("--write/--dry-run", default=True, show_default=True,
              help="Store the chosen threshold in the checkpoint folder, or only print the sweep.")
def calibrate_shapes(model: str | None, device: str | None, images: int, seed: int, write: bool) -> None:
    """Choose a checkpoint's default score threshold on held-out shapes-world images and store it beside its
    weights: the threshold in 0.05-0.60 that maximises the sum of the SHAPES.md metrics minus the share of extra
    predictions."""
    from segchat.agent.build import load_segmenter
    from segchat.lab.calibrate import calibrate

    settings = checked_settings(model=model, demo=None if model else True, device=device)
    folder = Path(settings.model_path()).expanduser()
    if not folder.is_dir():
        fail(f"'{folder}' is not a local checkpoint folder; calibration is stored beside the weights")

    def run() -> None:
        result = calibrate(load_segmenter(settings), folder, images=images, seed=seed,
                           mask_threshold=settings.mask_threshold, write=write)
        click.echo(result.table())
        click.echo(f"chosen threshold: {result.chosen['threshold']:.2f}")
        if result.written_to:
            click.echo(f"written to {result.written_to}")

    guarded(run)


@click.command("eval-agent-shapes")
@options(MODEL_OPTIONS)
@click.option("--per-kind", type=click.IntRange(min=1), default=10, show_default=True,
              help="Tasks per kind and language.")
@click.option("--seed", type=int, default=777, show_default=True)
@click.option("--failures", is_flag=True, help="Also list the tasks the agent got wrong.")
@click.option("--exemplar-tasks", is_flag=True,
              help='The exemplar tasks instead: "all the shapes" then "more like #N", and a concept remembered on '
                   "one image and found on another.")
def eval_agent_shapes(per_kind: int, seed: int, failures: bool, exemplar_tasks: bool, **model_flags: Any) -> None:
    """The agent with the offline parser on generated shapes-world tasks (positions, sizes, exclusions, several
    targets, absent objects, follow-ups) in English and Chinese: accuracy per kind."""
    import tempfile

    from segchat.lab.agent_tasks import EXEMPLAR_KINDS, format_task_report, generate_tasks, run_tasks

    model_flags["demo"] = model_flags.get("demo") or (None if model_flags.get("model") else True)

    def run() -> None:
        with tempfile.TemporaryDirectory() as data:
            agent = make_agent(checked_settings(offline=True, data_dir=data, **model_flags))
            report = run_tasks(agent, generate_tasks(seed, per_kind, EXEMPLAR_KINDS if exemplar_tasks else None))
        click.echo(format_task_report(report))
        if failures:
            for failure in report["failures"]:
                click.echo(json.dumps(failure, ensure_ascii=False))

    guarded(run)


@click.command("train-shapes", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def train_shapes(ctx: click.Context) -> None:
    """Train the shapes demo model (resumable; see `python -m segchat.lab.train --help`)."""
    from segchat.lab.train import main as train_main

    train_main(list(ctx.args))
