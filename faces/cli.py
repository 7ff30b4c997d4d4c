"""The `segchat` command line: a thin layer over segmenter, parser and agent."""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import click

from segchat.contracts.errors import SegchatError
from segchat.contracts.settings import Settings

log = logging.getLogger("segchat")


def _settings(**overrides: Any) -> Settings:
    """Settings from the environment with every non-None CLI flag on top."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None and v is not False})


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _jsonl_lines(path: str) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line number, parsed object or None, error or None) for each non-empty line of a JSONL file."""
    stream = sys.stdin if path == "-" else open(path, encoding="utf-8")
    with stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, None, f"line {number}: not JSON ({exc.msg})"
                continue
            if not isinstance(obj, dict):
                yield number, None, f"line {number}: expected a JSON object"
                continue
            yield number, obj, None


def _emit(obj: dict[str, Any]) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False))


def _run_jsonl(path: str, problem: Callable[[dict[str, Any]], str | None],
               answer: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """One JSON answer per input line; a bad line gives {"error", "line"} and the run goes on (exit 1 at the end).

    `problem(obj)` says what is wrong with a line's fields (or None); `answer(obj)` makes its result.
    """
    failures = 0
    for number, obj, error in _jsonl_lines(path):
        if error is None:
            error = problem(obj)
            error = f"line {number}: {error}" if error else None
        if error is None:
            try:
                _emit(answer(obj))
                continue
            except SegchatError as exc:
                error = f"line {number}: {exc.message}"
        failures += 1
        _emit({"error": {"code": "bad_line", "message": error}, "line": number})
    if failures:
        sys.exit(1)


def _run_guarded(action: Callable[[], None]) -> None:
    try:
        action()
    except SegchatError as exc:
        _fail(exc.message)


model_options = [
    click.option("--model", help="Hugging Face id or local folder of a SAM3 checkpoint (default facebook/sam3)."),
    click.option("--demo", is_flag=True, help="Use the shapes demo model shipped in the repository."),
    click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), help="Force a device."),
    click.option("--dtype", type=click.Choice(["auto", "float32", "bfloat16"]), help="Force a dtype."),
    click.option("--threshold", type=float, help="Instance score threshold (default: the checkpoint's calibrated one, else 0.3)."),
]


def with_model_options(func: Callable) -> Callable:
    for option in reversed(model_options):
        func = option(func)
    return func


def load_segmenter(settings: Settings):
    from segchat.segmenter.predictor import Sam3Segmenter

    start = time.perf_counter()
    segmenter = Sam3Segmenter.from_pretrained(
        settings.model_path(), device=settings.device, dtype=settings.dtype,
        cache_bytes=settings.embedding_cache_bytes, max_image_pixels=settings.max_image_pixels,
    )
    log.info("model loaded in %.1f s", time.perf_counter() - start)
    return segmenter


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
@click.version_option(package_name="segchat")
def main(verbose: bool) -> None:
    """segchat: natural-language segmentation with SAM3."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


@main.command()
@click.argument("image", required=False)
@click.argument("phrases", nargs=-1)
@with_model_options
@click.option("--mask-threshold", type=float, help="Mask probability threshold (default 0.5).")
@click.option("--json", "as_json", is_flag=True, help="Print the result JSON.")
@click.option("--jsonl", type=click.Path(), help='Batch: one {"image": path, "phrases": [...]} per line ("-" = stdin).')
def detect(image: str | None, phrases: tuple[str, ...], model: str | None, demo: bool, device: str | None,
           dtype: str | None, threshold: float | None, mask_threshold: float | None, as_json: bool,
           jsonl: str | None) -> None:
    """Run SAM3 directly on noun PHRASES in IMAGE (no LLM)."""
    if jsonl is None and (not image or not phrases):
        _fail("give IMAGE and at least one PHRASE, or --jsonl FILE")
    settings = _settings(model=model, demo=demo, device=device, dtype=dtype, threshold=threshold,
                         mask_threshold=mask_threshold)

    def run() -> None:
        from segchat.contracts.results import build_result

        segmenter = load_segmenter(settings)

        def one(image_path: str, phrase_list: list[str]) -> dict[str, Any]:
            detection = segmenter.detect(image_path, phrase_list, threshold=settings.threshold,
                                         mask_threshold=settings.mask_threshold)
            return build_result(detection.instances, detection.size, detection.timings_ms).model_dump()

        if jsonl is None:
            result = one(image, list(phrases))
            if as_json:
                _emit(result)
            else:
                _print_table(result)
            return
        def problem(obj: dict[str, Any]) -> str | None:
            phrases_field = obj.get("phrases")
            if not isinstance(obj.get("image"), str) or not isinstance(phrases_field, list) or not phrases_field \
                    or not all(isinstance(p, str) and p.strip() for p in phrases_field):
                return 'expected {"image": path, "phrases": [non-empty strings]}'
            return None

        _run_jsonl(jsonl, problem, lambda obj: one(obj["image"], obj["phrases"]))

    _run_guarded(run)


llm_options = [
    click.option("--offline", is_flag=True, help="Never call the LLM; use the offline parser."),
    click.option("--llm-url", help="OpenAI-compatible base URL of the VL model (e.g. http://127.0.0.1:8000/v1)."),
    click.option("--llm-model", help="Model name at that endpoint (default Qwen/Qwen2.5-VL-7B-Instruct)."),
]


def with_llm_options(func: Callable) -> Callable:
    for option in reversed(llm_options):
        func = option(func)
    return func


def make_instruction_parser(settings: Settings):
    from segchat.parser import make_parser

    return make_parser(settings.llm_url, settings.llm_model, offline=settings.offline, api_key=settings.llm_api_key,
                       timeout_s=settings.llm_timeout_s)


@main.command()
@click.argument("text", required=False)
@with_llm_options
@click.option("--image", type=click.Path(), help="The image the instruction is about (sent to the VL model).")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as one JSON line.")
@click.option("--jsonl", type=click.Path(), help='Batch: one {"text": ..., "history": optional} per line ("-" = stdin).')
def parse(text: str | None, offline: bool, llm_url: str | None, llm_model: str | None, image: str | None,
          as_json: bool, jsonl: str | None) -> None:
    """Turn an instruction TEXT into a plan (no segmentation)."""
    if jsonl is None and text is None:
        _fail("give TEXT or --jsonl FILE")
    settings = _settings(offline=offline, llm_url=llm_url, llm_model=llm_model)

    def run() -> None:
        from segchat.segmenter.images import load_image

        instruction_parser = make_instruction_parser(settings)
        pil = load_image(image, max_pixels=settings.max_image_pixels) if image else None
        if jsonl is None:
            outcome = instruction_parser.parse(text, pil)
            if outcome.fallback_reason:
                click.echo(f"note: {outcome.fallback_reason}; the offline parser answered", err=True)
            plan = outcome.plan.model_dump()
            click.echo(json.dumps(plan, ensure_ascii=False, indent=None if as_json else 1))
            return
        for number, obj, error in _jsonl_lines(jsonl):
            if error is None and not isinstance(obj.get("text"), str):
                error = f'line {number}: expected {{"text": "...", "history": optional}}'
            if error is not None:
                _emit({"error": {"code": "bad_line", "message": error}, "line": number})
                continue
            history = obj.get("history")
            history_text = history if isinstance(history, str) or history is None else json.dumps(history, ensure_ascii=False)
            _emit(instruction_parser.parse(obj["text"], None, history_text).plan.model_dump())

    _run_guarded(run)


@main.command("eval-parser")
@click.argument("path", required=False, type=click.Path())
@with_llm_options
@click.option("--failures", is_flag=True, help="Also list every item the parser got wrong.")
def eval_parser(path: str | None, offline: bool, llm_url: str | None, llm_model: str | None, failures: bool) -> None:
    """Score the parser on an expected-plan set (default ../shared/eval/instructions_dev.jsonl)."""
    from segchat.parser.evaluate import evaluate, format_report

    settings = _settings(offline=offline, llm_url=llm_url, llm_model=llm_model)
    path = path or str(Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "instructions_dev.jsonl")
    if not Path(path).is_file():
        _fail(f"no evaluation set at {path}")
    instruction_parser = make_instruction_parser(settings)
    report = evaluate(Path(path), lambda text: instruction_parser.parse(text).plan)
    click.echo(format_report(report))
    if failures:
        for failure in report["failures"]:
            click.echo(json.dumps(failure, ensure_ascii=False))


def build_agent(settings: Settings):
    from segchat.agent.core import SegchatAgent
    from segchat.agent.store import SessionStore

    return SegchatAgent(load_segmenter(settings), make_instruction_parser(settings), SessionStore(settings.data_dir),
                        threshold=settings.threshold, mask_threshold=settings.mask_threshold,
                        max_instruction_chars=settings.max_instruction_chars,
                        max_image_pixels=settings.max_image_pixels)


def write_outputs(output, out_dir: str) -> None:
    """overlay.png, one mask_<id>.png per instance and result.json into `out_dir`."""
    from segchat.agent.overlay import mask_png

    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    output.overlay().save(folder / "overlay.png")
    for item in output.instances:
        mask_png(item.mask).save(folder / f"mask_{item.id}.png")
    (folder / "result.json").write_text(json.dumps(output.result.model_dump(), ensure_ascii=False), encoding="utf-8")


@main.command()
@click.argument("image", required=False)
@click.argument("instruction", required=False)
@with_model_options
@with_llm_options
@click.option("--session", "session_id", help="Continue this conversation (its image is used when IMAGE is '-').")
@click.option("--verify", is_flag=True, help="Let the VL model check relational answers (LLM path only).")
@click.option("--out", "out_dir", type=click.Path(), help="Also write overlay.png, mask_<id>.png and result.json here.")
@click.option("--data-dir", type=click.Path(), help="Where sessions are stored (default ~/.segchat).")
@click.option("--json", "as_json", is_flag=True, help="Print the result JSON.")
@click.option("--jsonl", type=click.Path(),
              help='Batch: one {"image": path, "instruction": text, "session": optional id} per line ("-" = stdin).')
def segment(image: str | None, instruction: str | None, model: str | None, demo: bool, device: str | None,
            dtype: str | None, threshold: float | None, offline: bool, llm_url: str | None, llm_model: str | None,
            session_id: str | None, verify: bool, out_dir: str | None, data_dir: str | None, as_json: bool,
            jsonl: str | None) -> None:
    """Segment what INSTRUCTION asks for in IMAGE (any language); follow-ups with --session."""
    if jsonl is None and (not image or instruction is None):
        _fail('give IMAGE and "INSTRUCTION" (IMAGE may be - with --session), or --jsonl FILE')
    settings = _settings(model=model, demo=demo, device=device, dtype=dtype, threshold=threshold, offline=offline,
                         llm_url=llm_url, llm_model=llm_model, data_dir=data_dir)

    def run() -> None:
        agent = build_agent(settings)
        if jsonl is None:
            output = agent.turn(instruction, None if image == "-" else image, session_id, verify=verify)
            if out_dir:
                write_outputs(output, out_dir)
            if as_json:
                _emit(output.result.model_dump())
            else:
                click.echo(output.result.explanation)
                _print_table(output.result.model_dump())
                click.echo(f"session {output.session_id}")
            return
        def problem(obj: dict[str, Any]) -> str | None:
            if not isinstance(obj.get("instruction"), str):
                return 'expected {"image": path, "instruction": text, "session": optional}'
            return None

        _run_jsonl(jsonl, problem, lambda obj: agent.turn(obj["instruction"], obj.get("image"), obj.get("session"),
                                                          verify=verify).result.model_dump())

    _run_guarded(run)


@main.command("eval-shapes")
@with_model_options
@click.option("--images", type=int, default=100, show_default=True, help="Freshly rendered images to score.")
@click.option("--seed", type=int, default=12345, show_default=True, help="Seed of the rendered set.")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
def eval_shapes(model: str | None, demo: bool, device: str | None, dtype: str | None, threshold: float | None,
                images: int, seed: int, as_json: bool) -> None:
    """Score a checkpoint on freshly rendered shapes-world images (default: the demo model)."""
    from segchat.lab.evaluate import evaluate_shapes, format_shapes_report

    settings = _settings(model=model, demo=demo or not model, device=device, dtype=dtype, threshold=threshold)

    def run() -> None:
        report = evaluate_shapes(load_segmenter(settings), images=images, seed=seed, threshold=settings.threshold,
                                 mask_threshold=settings.mask_threshold)
        click.echo(json.dumps(report) if as_json else format_shapes_report(report))

    _run_guarded(run)


@main.command("render-shapes")
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
        _fail(f"cannot write to '{out_dir}': {exc.strerror or exc}")
    click.echo(f"{counts['images']} images, {counts['annotations']} annotations, {counts['phrases']} phrases "
               f"-> {out_dir}/annotations.json, {out_dir}/phrases.jsonl")


@main.command("calibrate-shapes")
@click.option("--model", help="Local folder of a SAM3 checkpoint (default: the shapes demo model).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), help="Force a device.")
@click.option("--images", type=int, default=60, show_default=True, help="Held-out images to calibrate on.")
@click.option("--seed", type=int, default=4242, show_default=True,
              help="Seed of the calibration set (keep it apart from the seeds you evaluate on).")
@click.option("--write/--dry-run", default=True, show_default=True,
              help="Store the chosen threshold in the checkpoint folder, or only print the sweep.")
def calibrate_shapes(model: str | None, device: str | None, images: int, seed: int, write: bool) -> None:
    """Choose a checkpoint's default score threshold on held-out shapes-world images and store it beside its
    weights: the threshold in 0.05-0.60 that maximises the sum of the SHAPES.md metrics minus the share of extra
    predictions."""
    from segchat.segmenter.calibration import Calibration, write_calibration
    from segchat.lab.evaluate import (CALIBRATION_METHOD, CALIBRATION_THRESHOLDS, TARGETS, calibration_score,
                                           sweep_shapes)

    settings = _settings(model=model, demo=not model, device=device)
    folder = Path(settings.model_path()).expanduser()
    if not folder.is_dir():
        _fail(f"'{folder}' is not a local checkpoint folder; calibration is stored beside the weights")

    def run() -> None:
        reports = sweep_shapes(load_segmenter(settings), CALIBRATION_THRESHOLDS, images=images, seed=seed,
                               mask_threshold=settings.mask_threshold)
        keys = [*TARGETS, "extra_predictions"]
        click.echo("| threshold | " + " | ".join(keys) + " | score |")
        click.echo("| --- " * (len(keys) + 2) + "|")
        for report in reports:
            click.echo(f"| {report['threshold']:.2f} | " + " | ".join(f"{report.get(k, float('nan')):.3f}" for k in keys)
                       + f" | {calibration_score(report):.3f} |")
        best = max(reports, key=calibration_score)
        click.echo(f"chosen threshold: {best['threshold']:.2f}")
        if write:
            step = None
            training = folder / "training.json"
            if training.is_file():
                step = json.loads(training.read_text()).get("step")
            calibration = Calibration(
                threshold=best["threshold"], model_step=step, method=CALIBRATION_METHOD,
                data={"set": "shapes world, freshly rendered", "seed": seed, "images": images},
                metrics={k: round(float(best.get(k, float("nan"))), 4) for k in keys})
            click.echo(f"written to {write_calibration(folder, calibration)}")

    _run_guarded(run)


@main.command("eval-agent-shapes")
@with_model_options
@click.option("--per-kind", type=int, default=10, show_default=True, help="Tasks per kind and language.")
@click.option("--seed", type=int, default=777, show_default=True)
@click.option("--failures", is_flag=True, help="Also list the tasks the agent got wrong.")
def eval_agent_shapes(model: str | None, demo: bool, device: str | None, dtype: str | None, threshold: float | None,
                      per_kind: int, seed: int, failures: bool) -> None:
    """The agent with the offline parser on generated shapes-world tasks (positions, sizes, exclusions, several
    targets, absent objects, follow-ups) in English and Chinese: accuracy per kind."""
    import tempfile

    from segchat.agent.core import SegchatAgent
    from segchat.lab.agent_tasks import format_task_report, generate_tasks, run_tasks
    from segchat.agent.store import SessionStore
    from segchat.parser.llm import OfflineParser

    settings = _settings(model=model, demo=demo or not model, device=device, dtype=dtype, threshold=threshold)

    def run() -> None:
        with tempfile.TemporaryDirectory() as data:
            agent = SegchatAgent(load_segmenter(settings), OfflineParser(), SessionStore(data),
                                 threshold=settings.threshold, mask_threshold=settings.mask_threshold)
            report = run_tasks(agent, generate_tasks(seed, per_kind))
        click.echo(format_task_report(report))
        if failures:
            for failure in report["failures"]:
                click.echo(json.dumps(failure, ensure_ascii=False))

    _run_guarded(run)


@main.command("train-shapes", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def train_shapes(ctx: click.Context) -> None:
    """Train the shapes demo model (resumable; see `python -m segchat.lab.train --help`)."""
    from segchat.lab.train import main as train_main

    train_main(list(ctx.args))


def _print_table(result: dict[str, Any]) -> None:
    size = result["image"]
    click.echo(f"image {size['width']}x{size['height']}: {len(result['instances'])} instance(s) "
               f"in {result['timings_ms']['total']:.0f} ms")
    for inst in result["instances"]:
        box = ", ".join(f"{v:.0f}" for v in inst["box"])
        click.echo(f"  #{inst['id']:<3} {inst['label']:<24} score {inst['score']:.2f}  box [{box}]")


if __name__ == "__main__":
    main()
