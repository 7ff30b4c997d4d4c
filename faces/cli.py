"""The `segchat` command line: a thin click layer over the agent (and the shapes lab's tools).

Bad input gives `error: ...` on stderr and exit code 2; a `--jsonl` run answers every line (a bad one with
`{"error", "line"}`) and exits 1 at the end when any line failed.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import click
from pydantic import ValidationError

from segchat.contracts.errors import SegchatError
from segchat.contracts.settings import SHARED_DIR, Settings
from segchat.faces.options import DATA_OPTIONS, LLM_OPTIONS, MODEL_OPTIONS, options, settings_from

log = logging.getLogger("segchat")


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _settings(**flags: Any) -> Settings:
    try:
        return settings_from(**flags)
    except ValidationError as exc:
        _fail(f"bad setting: {'; '.join(e['loc'][0] if e['loc'] else '' for e in exc.errors())}: "
              f"{exc.errors()[0]['msg']}")
        raise  # unreachable: _fail exits


def _emit(obj: dict[str, Any]) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False))


def _jsonl_lines(path: str) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line number, parsed object or None, error or None) for each non-empty line of a JSONL file."""
    try:
        stream = sys.stdin if path == "-" else open(path, encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot read {path}: {exc.strerror or exc}")
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


def _guarded(action: Callable[[], None]) -> None:
    try:
        action()
    except SegchatError as exc:
        _fail(exc.message)


def _boxes(positive: tuple[str, ...], negative: tuple[str, ...]) -> list[dict[str, Any]]:
    """--box / --negative-box values (X0,Y0,X1,Y1 in pixels) as exemplar boxes; a malformed one exits 2."""
    boxes = []
    for value, is_positive in [(v, True) for v in positive] + [(v, False) for v in negative]:
        try:
            numbers = [float(part) for part in value.split(",")]
        except ValueError:
            numbers = []
        if len(numbers) != 4:
            _fail(f"a box is X0,Y0,X1,Y1 in pixels (four numbers), not {value!r}")
        boxes.append({"box": numbers, "positive": is_positive})
    return boxes


BOX_OPTIONS = [
    click.option("--box", "boxes", multiple=True, metavar="X0,Y0,X1,Y1",
                 help="A box around an example object (pixels); repeat for more."),
    click.option("--negative-box", "negative_boxes", multiple=True, metavar="X0,Y0,X1,Y1",
                 help="A box around an object whose kind to leave out."),
]


def _agent(settings: Settings, **parts):
    from segchat.agent import build_agent

    return build_agent(settings, **parts)


def _print_table(result: dict[str, Any]) -> None:
    size = result["image"]
    click.echo(f"image {size['width']}x{size['height']}: {len(result['instances'])} instance(s) "
               f"in {result['timings_ms']['total']:.0f} ms")
    for inst in result["instances"]:
        box = ", ".join(f"{v:.0f}" for v in inst["box"])
        click.echo(f"  #{inst['id']:<3} {inst['label']:<24} score {inst['score']:.2f}  box [{box}]")


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
@click.version_option(package_name="segchat")
def main(verbose: bool) -> None:
    """segchat: natural-language segmentation with SAM3."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


@main.command()
@click.argument("image", required=False)
@click.argument("phrases", nargs=-1)
@options(MODEL_OPTIONS, BOX_OPTIONS)
@click.option("--mask-threshold", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              help="Mask probability threshold (default 0.5).")
@click.option("--json", "as_json", is_flag=True, help="Print the result JSON.")
@click.option("--jsonl", type=click.Path(), help='Batch: one {"image": path, "phrases": [...]} per line ("-" = stdin).')
def detect(image: str | None, phrases: tuple[str, ...], boxes: tuple[str, ...], negative_boxes: tuple[str, ...],
           mask_threshold: float | None, as_json: bool, jsonl: str | None, **model_flags: Any) -> None:
    """Run SAM3 directly on noun PHRASES and/or exemplar boxes in IMAGE (no LLM, no rules)."""
    exemplars = _boxes(boxes, negative_boxes)
    if jsonl is None and (not image or not (phrases or exemplars)):
        _fail("give IMAGE and at least one PHRASE or --box, or --jsonl FILE")
    settings = _settings(mask_threshold=mask_threshold, **model_flags)

    def run() -> None:
        from segchat.agent.serving.payloads import open_image_file
        from segchat.contracts.tool import ExemplarBox

        opened = open_image_file(image, settings.max_image_pixels) if jsonl is None else None  # before the model
        agent = _agent(settings)

        def one(image_path: Any, phrase_list: list[str], boxes_json: list) -> dict[str, Any]:
            return agent.detect(image_path, phrase_list,
                                exemplars=[ExemplarBox(**b) for b in boxes_json]).result.model_dump()

        if jsonl is None:
            result = one(opened, list(phrases), exemplars)
            _emit(result) if as_json else _print_table(result)
            return

        def problem(obj: dict[str, Any]) -> str | None:
            phrases_field = obj.get("phrases")
            if not isinstance(obj.get("image"), str) or not isinstance(phrases_field, list) or not phrases_field \
                    or not all(isinstance(p, str) and p.strip() for p in phrases_field):
                return 'expected {"image": path, "phrases": [non-empty strings]}'
            return None

        _run_jsonl(jsonl, problem, lambda obj: one(obj["image"], obj["phrases"], []))

    _guarded(run)


@main.command()
@click.argument("text", required=False)
@options(LLM_OPTIONS)
@click.option("--image", type=click.Path(), help="The image the instruction is about (sent to the VL model).")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as one JSON line.")
@click.option("--jsonl", type=click.Path(), help='Batch: one {"text": ..., "history": optional} per line ("-" = stdin).')
def parse(text: str | None, image: str | None, as_json: bool, jsonl: str | None, **llm_flags: Any) -> None:
    """Turn an instruction TEXT into a plan (no segmentation)."""
    if jsonl is None and text is None:
        _fail("give TEXT or --jsonl FILE")
    settings = _settings(**llm_flags)

    def run() -> None:
        from segchat.agent.build import build_parser
        from segchat.segmenter.images import load_image

        instruction_parser = build_parser(settings)
        pil = load_image(image, max_pixels=settings.max_image_pixels) if image else None
        if jsonl is None:
            outcome = instruction_parser.parse(text, pil)
            if outcome.fallback_reason:
                click.echo(f"note: {outcome.fallback_reason}; the offline parser answered", err=True)
            click.echo(json.dumps(outcome.plan.model_dump(), ensure_ascii=False, indent=None if as_json else 1))
            return

        def problem(obj: dict[str, Any]) -> str | None:
            return None if isinstance(obj.get("text"), str) else 'expected {"text": "...", "history": optional}'

        def answer(obj: dict[str, Any]) -> dict[str, Any]:
            history = obj.get("history")
            history_text = history if isinstance(history, str) or history is None else json.dumps(history,
                                                                                                ensure_ascii=False)
            return instruction_parser.parse(obj["text"], None, history_text).plan.model_dump()

        _run_jsonl(jsonl, problem, answer)

    _guarded(run)


@main.command("eval-parser")
@click.argument("path", required=False, type=click.Path())
@options(LLM_OPTIONS)
@click.option("--failures", is_flag=True, help="Also list every item the parser got wrong.")
def eval_parser(path: str | None, failures: bool, **llm_flags: Any) -> None:
    """Score the parser on an expected-plan set (default ../shared/eval/instructions_dev.jsonl)."""
    from segchat.agent.build import build_parser
    from segchat.parser.evaluate import evaluate, format_report

    settings = _settings(**llm_flags)
    path = path or str(SHARED_DIR / "eval" / "instructions_dev.jsonl")
    if not Path(path).is_file():
        _fail(f"no evaluation set at {path}")
    instruction_parser = build_parser(settings)
    report = evaluate(Path(path), lambda text: instruction_parser.parse(text).plan)
    click.echo(format_report(report))
    if failures:
        for failure in report["failures"]:
            click.echo(json.dumps(failure, ensure_ascii=False))


@main.command()
@click.argument("image", required=False)
@click.argument("instruction", required=False)
@options(MODEL_OPTIONS, LLM_OPTIONS, DATA_OPTIONS, BOX_OPTIONS)
@click.option("--session", "session_id", help="Continue this conversation (its image is used when IMAGE is '-').")
@click.option("--verify", is_flag=True, help="Let the VL model check relational answers (LLM path only).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Also write overlay.png, mask_<id>.png and result.json here.")
@click.option("--json", "as_json", is_flag=True, help="Print the result JSON.")
@click.option("--jsonl", type=click.Path(),
              help='Batch: one {"image": path, "instruction": text, "session": optional id} per line ("-" = stdin).')
def segment(image: str | None, instruction: str | None, boxes: tuple[str, ...], negative_boxes: tuple[str, ...],
            session_id: str | None, verify: bool, out_dir: str | None, as_json: bool, jsonl: str | None,
            **flags: Any) -> None:
    """Segment what INSTRUCTION asks for in IMAGE (any language); follow-ups with --session."""
    if jsonl is None and (not image or instruction is None):
        _fail('give IMAGE and "INSTRUCTION" (IMAGE may be - with --session), or --jsonl FILE')
    exemplars = _boxes(boxes, negative_boxes)
    settings = _settings(**flags)

    def run() -> None:
        from segchat.agent.serving.payloads import open_image_file
        from segchat.contracts.tool import ExemplarBox

        # a bad file is refused before the model loads
        opened = open_image_file(image, settings.max_image_pixels) if jsonl is None and image != "-" else None
        agent = _agent(settings)
        if jsonl is None:
            turn = agent.turn(instruction, opened, session_id, verify=verify,
                              exemplars=[ExemplarBox(**b) for b in exemplars])
            if out_dir:
                try:
                    turn.write_outputs(Path(out_dir))
                except OSError as exc:
                    _fail(f"cannot write to '{out_dir}': {exc.strerror or exc}")
            if as_json:
                _emit(turn.result.model_dump())
            else:
                click.echo(turn.result.explanation)
                _print_table(turn.result.model_dump())
                click.echo(f"session {turn.session_id}")
            return

        def problem(obj: dict[str, Any]) -> str | None:
            if not isinstance(obj.get("instruction"), str):
                return 'expected {"image": path, "instruction": text, "session": optional}'
            return None

        _run_jsonl(jsonl, problem, lambda obj: agent.turn(obj["instruction"], obj.get("image"), obj.get("session"),
                                                          verify=verify).result.model_dump())

    _guarded(run)


@main.command()
@click.argument("video", required=False)
@click.argument("instruction", required=False)
@options(MODEL_OPTIONS, LLM_OPTIONS)
@click.option("--tracker", type=click.Choice(["auto", "sam3", "detect"]), default="auto", show_default=True,
              help="sam3: SAM3's memory tracker (checkpoints that have one); detect: detection on every frame.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Also write result.json, overlay.mp4 and object_<id>.png (first appearances) here.")
@click.option("--json", "as_json", is_flag=True, help="Print the video result JSON.")
@click.option("--jsonl", type=click.Path(), help='Batch: one {"video": path, "instruction": text} per line.')
def track(video: str | None, instruction: str | None, tracker: str, out_dir: str | None, as_json: bool,
          jsonl: str | None, **flags: Any) -> None:
    """Track what INSTRUCTION asks for (any language) through VIDEO: a video file (MP4, WebM, MOV, MKV, GIF) or a
    folder of frames; masklets with ids stable for the whole video."""
    if jsonl is None and (not video or instruction is None):
        _fail('give VIDEO and "INSTRUCTION", or --jsonl FILE')
    settings = _settings(**flags)

    def run() -> None:
        from segchat.agent.outputs.video_out import write_video_outputs

        agent = _agent(settings)

        def one(path: str, text: str) -> dict[str, Any]:
            return agent.track(path, text, tracker=tracker).model_dump()

        if jsonl is not None:
            def problem(obj: dict[str, Any]) -> str | None:
                if not isinstance(obj.get("video"), str) or not isinstance(obj.get("instruction"), str):
                    return 'expected {"video": path, "instruction": text}'
                return None

            _run_jsonl(jsonl, problem, lambda obj: one(obj["video"], obj["instruction"]))
            return
        result = agent.track(video, instruction, tracker=tracker)
        if out_dir:
            try:
                write_video_outputs(result, video, Path(out_dir), max_frames=settings.max_video_frames)
            except OSError as exc:
                _fail(f"cannot write to '{out_dir}': {exc.strerror or exc}")
        if as_json:
            _emit(result.model_dump())
            return
        click.echo(result.explanation)
        video_info = result.video
        click.echo(f"video {video_info.width}x{video_info.height}, {video_info.frames} frames, tracker {result.tracker}: "
                   f"{len(result.objects)} object(s) in {result.timings_ms['total'] / 1000:.1f} s")
        for obj in result.objects:
            click.echo(f"  #{obj.id:<3} {obj.label:<24} score {obj.score:.2f}  frames {obj.first_frame}-"
                       f"{obj.last_frame} ({obj.frames_present} present)")

    _guarded(run)


@main.command()
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
        _fail('give "INSTRUCTION" or --phrases P [--phrases P ...]')
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
        _fail(f"--{'-'.join(str(p) for p in problem['loc']).replace('_', '-')}: {problem['msg']}")
    try:
        summary = run_annotation(request, stream=sys.stderr)
    except SegchatError as exc:
        _fail(exc.message)
    except KeyboardInterrupt:
        click.echo("interrupted: what was finished is in the shards; run the same command again to resume", err=True)
        sys.exit(130)
    sys.exit(summary.exit_code)


# -- the shapes lab ------------------------------------------------------------------------------------------------
@main.command("eval-shapes")
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
    settings = _settings(**model_flags)

    def run() -> None:
        segmenter = load_segmenter(settings)
        report = evaluate_shapes(segmenter, images=images, seed=seed, threshold=settings.threshold,
                                 mask_threshold=settings.mask_threshold)
        if with_exemplars:
            report["exemplars"] = evaluate_exemplars(segmenter, images=images, seed=seed + 1,
                                                     threshold=settings.threshold,
                                                     mask_threshold=settings.mask_threshold)
        click.echo(json.dumps(report) if as_json else format_shapes_report(report))

    _guarded(run)


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


@main.command("render-videos")
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
        _fail(f"cannot write to '{out_dir}': {exc.strerror or exc}")
    click.echo(f"{len(summary.videos)} videos ({sum(v['frames'] for v in summary.videos)} frames) -> {out_dir}")


@main.command("eval-track")
@click.argument("dataset", type=click.Path(exists=True, file_okay=False))
@options(MODEL_OPTIONS)
@click.option("--tracker", type=click.Choice(["auto", "sam3", "detect"]), default="auto", show_default=True)
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
            agent = _agent(_settings(offline=True, data_dir=data, **model_flags))
            if by_phrase:
                from segchat.lab.track_eval import evaluate_dataset

                report = evaluate_dataset(dataset, agent.tracker(tracker), source=source, threshold=agent.threshold,
                                          max_videos=max_videos)
            else:
                from segchat.lab.agent_video_eval import evaluate_requests

                report = evaluate_requests(agent, dataset, tracker=tracker, source=source,
                                           languages=tuple(languages.split(",")), max_videos=max_videos)
        click.echo(report.model_dump_json() if as_json else report.markdown())

    _guarded(run)


@main.command("calibrate-shapes")
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

    settings = _settings(model=model, demo=None if model else True, device=device)
    folder = Path(settings.model_path()).expanduser()
    if not folder.is_dir():
        _fail(f"'{folder}' is not a local checkpoint folder; calibration is stored beside the weights")

    def run() -> None:
        result = calibrate(load_segmenter(settings), folder, images=images, seed=seed,
                           mask_threshold=settings.mask_threshold, write=write)
        click.echo(result.table())
        click.echo(f"chosen threshold: {result.chosen['threshold']:.2f}")
        if result.written_to:
            click.echo(f"written to {result.written_to}")

    _guarded(run)


@main.command("eval-agent-shapes")
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
            agent = _agent(_settings(offline=True, data_dir=data, **model_flags))
            report = run_tasks(agent, generate_tasks(seed, per_kind, EXEMPLAR_KINDS if exemplar_tasks else None))
        click.echo(format_task_report(report))
        if failures:
            for failure in report["failures"]:
                click.echo(json.dumps(failure, ensure_ascii=False))

    _guarded(run)


@main.command("train-shapes", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def train_shapes(ctx: click.Context) -> None:
    """Train the shapes demo model (resumable; see `python -m segchat.lab.train --help`)."""
    from segchat.lab.train import main as train_main

    train_main(list(ctx.args))


if __name__ == "__main__":
    main()
