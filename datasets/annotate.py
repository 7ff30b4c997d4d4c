"""Datasets at scale: one instruction, a folder (or glob, or manifest) of images, COCO out; resumable, on Ray or not.

From Python (a notebook):

    from segchat.datasets.annotate import AnnotateRequest, AnnotateRun, annotate

    summary = annotate(AnnotateRequest(input="photos/", instruction="every forklift and every pallet",
                                       out="runs/warehouse", demo=False, model="facebook/sam3", workers=2))
    print(summary.table()); summary.exit_code          # 0: all images labelled, 1: some failed (errors.jsonl)

    run = AnnotateRun.prepare(AnnotateRequest(input="photos/", phrases=["forklift"], out="runs/f"))
    for record in run.results():                       # one ImageRecord per image, as each completes
        ...
    coco = run.merge(formats=["coco", "yolo"]).coco

From a shell, until `segchat annotate` is wired on `annotate()`:

    python -m segchat.datasets.annotate INPUT "INSTRUCTION" --out DIR [--demo | --model ID_OR_DIR] [--offline]
        [--format coco|yolo|both] [--threshold T] [--workers N] [--ray [ADDRESS]] [--phrases P ...]

The plan is made once (DIR/plan.json); running the same command on DIR again resumes; see dataset_run.py for the
folder's layout and why a `kill -9` loses nothing.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from segchat.datasets.backends import Backend, make_backend
from segchat.datasets.inputs import ResolvedInputs, resolve_inputs
from segchat.datasets.merge import MergeResult, merge_run
from segchat.datasets.progress import Progress, summary_table
from segchat.datasets.records import ImageItem, ImageRecord, RunIdentity
from segchat.datasets.run import RunDir, write_atomically
from segchat.datasets.worker import WorkerConfig, categories_of, check_dataset_plan, plan_for_phrases
from segchat.contracts.errors import BadRequestError, SegchatError
from segchat.contracts.plan import Plan
from segchat.contracts.resources import demo_model_dir
from segchat.contracts.settings import Settings

Format = Literal["coco", "yolo"]


class AnnotateRequest(BaseModel):
    """One `segchat annotate` invocation. None means: the setting's value (SEGCHAT_* environment variables)."""

    model_config = ConfigDict(extra="forbid")
    input: str = Field(description="a folder (recursive), a glob, or a .txt / .jsonl manifest")
    out: str = Field(description="the run folder: created, or resumed when it holds the same run")
    instruction: str | None = Field(None, description="what to label, in any wording or language")
    phrases: list[str] | None = Field(None, description="plain detector labels instead of an instruction")
    model: str | None = None
    demo: bool = False
    offline: bool | None = None
    llm_url: str | None = None
    llm_model: str | None = None
    formats: list[Format] = Field(default_factory=lambda: ["coco"])
    threshold: float | None = Field(None, ge=0.0, le=1.0)
    mask_threshold: float | None = Field(None, gt=0.0, lt=1.0)
    workers: int = Field(1, ge=1, le=1024)
    ray: str | None = Field(None, description='None: no Ray; "local": start a local cluster; "auto" or '
                            '"ray://HOST:PORT": join one')
    ray_num_cpus: int | None = Field(None, ge=1, description="CPUs of a local Ray cluster (default: all)")
    cpus_per_worker: float | None = Field(None, gt=0)
    gpus_per_worker: float | None = Field(None, ge=0, description="Ray: GPUs per actor (default: 1 where the "
                                          "cluster has GPUs, else 0)")
    memory_per_worker_gb: float | None = Field(None, gt=0, description="Ray: host memory reserved per actor")
    device: Literal["auto", "cpu", "cuda"] | None = None
    dtype: Literal["auto", "float32", "bfloat16"] | None = None
    threads: int | None = Field(None, ge=1, description="torch threads per worker (default: 1 with several "
                                "workers or Ray, torch's default in-process)")
    max_image_pixels: int | None = Field(None, gt=0)
    progress: bool = Field(True, description="the progress bar (or periodic lines); the plan and summary still print")
    quiet: bool = Field(False, description="print nothing at all (a notebook reads the summary instead)")
    fsync: bool = Field(True, description="fsync each record (survives a power cut, not only a kill)")


class AnnotateSummary(BaseModel):
    """What a run did; `exit_code` is what the CLI returns."""

    out: str
    images: int
    skipped_files: int
    annotated: int
    done_before: int = Field(description="images a previous invocation had finished (a resume)")
    done_now: int
    empty: int
    failed: int
    missing: int
    instances: int
    per_category: dict[str, int]
    backend: str
    workers: int
    elapsed_s: float
    images_per_s: float
    annotations: str
    errors: str
    yolo: str | None = None

    @property
    def exit_code(self) -> int:
        """0: every image is labelled; 1: the run finished but some images failed (their reasons are in
        errors.jsonl); errors that stop a run before it starts are raised as `SegchatError` instead."""
        return 0 if self.failed == 0 and self.missing == 0 else 1

    def table(self) -> str:
        rows = [("images", f"{self.images}" + (f" ({self.skipped_files} other files skipped)"
                                                if self.skipped_files else "")),
                ("annotated", f"{self.annotated}" + (f" ({self.done_before} in an earlier invocation)"
                                                     if self.done_before else "")),
                ("with no instance", str(self.empty)),
                ("failed", f"{self.failed}" + (f" (reasons in {self.errors})" if self.failed else ""))]
        if self.missing:
            rows.append(("not done", str(self.missing)))
        rows.append(("instances", str(self.instances)))
        rows += [(f"  {name}", str(count)) for name, count in self.per_category.items()]
        rows += [("throughput", f"{self.images_per_s:.2f} images/s ({self.backend}, {self.workers} "
                                f"worker{'s' if self.workers != 1 else ''})"),
                 ("wall time", f"{self.elapsed_s:.1f} s"),
                 ("COCO", self.annotations)]
        if self.yolo:
            rows.append(("YOLO", self.yolo))
        return summary_table(rows)


def model_fingerprint(model: str) -> str | None:
    """A cheap identity of a local checkpoint (its config and the sizes of its weight files): a folder retrained in
    place is not silently resumed with the old run's labels. None for a hub id."""
    folder = Path(model)
    if not folder.is_dir():
        return None
    hasher = hashlib.sha256()
    config = folder / "config.json"
    if config.is_file():
        hasher.update(config.read_bytes())
    for weights in sorted([*folder.glob("*.safetensors"), *folder.glob("*.bin")]):
        hasher.update(f"{weights.name}:{weights.stat().st_size}".encode())
    return hasher.hexdigest()[:16]


def _segchat_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("segchat")
    except PackageNotFoundError:
        return ""


@dataclass
class AnnotateRun:
    """A prepared run: its folder opened (or resumed), the plan made once, the images listed."""

    request: AnnotateRequest
    run: RunDir
    plan: Plan
    inputs: ResolvedInputs
    worker_config: WorkerConfig
    resumed: bool
    categories: list[str] = field(init=False)
    # the same names in the same order as inputs.jsonl (the identity's digest says so), at today's paths: a
    # dataset folder moved between two invocations still resumes
    items: list[ImageItem] = field(init=False)

    def __post_init__(self) -> None:
        self.categories = categories_of(self.plan)
        self.items = self.inputs.items

    @classmethod
    def prepare(cls, request: AnnotateRequest, *, settings: Settings | None = None, parser=None) -> AnnotateRun:
        """Resolve the input, open `request.out` (refusing a folder that holds a different run) and make the plan
        (parsing the instruction only when the run is new). Raises `SegchatError` subclasses with clear messages."""
        settings = settings or Settings()
        if (request.instruction is None) == (request.phrases is None):
            raise BadRequestError("give either an instruction or --phrases, not both and not neither",
                                  code="bad_request")
        if request.instruction is not None and not request.instruction.strip():
            raise BadRequestError("the instruction is empty: say what to label", code="empty_instruction")
        if request.instruction is not None and len(request.instruction) > settings.max_instruction_chars:
            raise BadRequestError(f"the instruction is {len(request.instruction)} characters long; the limit is "
                                  f"{settings.max_instruction_chars}", code="instruction_too_long")
        model = request.model or (str(demo_model_dir()) if request.demo else settings.model_path())
        if Path(model).expanduser().exists():
            model = str(Path(model).expanduser().resolve())
        threshold = request.threshold if request.threshold is not None else settings.threshold
        mask_threshold = request.mask_threshold if request.mask_threshold is not None else settings.mask_threshold
        max_pixels = request.max_image_pixels or settings.max_image_pixels
        inputs = resolve_inputs(request.input)
        phrases_plan = plan_for_phrases(request.phrases) if request.phrases is not None else None
        identity = RunIdentity(
            instruction=request.instruction.strip() if request.instruction is not None else None,
            phrases=categories_of(phrases_plan) if phrases_plan is not None else None,
            model=model, model_fingerprint=model_fingerprint(model), threshold=threshold,
            mask_threshold=mask_threshold, max_image_pixels=max_pixels, images=len(inputs.items),
            inputs_digest=inputs.digest())

        def make_plan() -> Plan:
            if phrases_plan is not None:
                return phrases_plan
            from segchat.parser import make_parser

            nonlocal parser
            if parser is None:
                offline = request.offline if request.offline is not None else settings.offline
                parser = make_parser(request.llm_url or settings.llm_url, request.llm_model or settings.llm_model,
                                     offline=offline, api_key=settings.llm_api_key, timeout_s=settings.llm_timeout_s)
            plan = parser.parse(identity.instruction).plan
            check_dataset_plan(plan)
            return plan

        run = RunDir(request.out)
        plan, resumed = run.open(identity, inputs.items, make_plan, input_text=request.input,
                                 input_root=inputs.root, version=_segchat_version())
        worker_config = WorkerConfig(
            model=model, plan=plan, mode="phrases" if phrases_plan is not None else "plan",
            device=request.device or settings.device, dtype=request.dtype or settings.dtype, threshold=threshold,
            mask_threshold=mask_threshold, max_image_pixels=max_pixels, threads=request.threads)
        return cls(request, run, plan, inputs, worker_config, resumed)

    def todo(self) -> list[ImageItem]:
        """The images no invocation has labelled yet (failed ones are tried again)."""
        done = self.run.done_ids()
        return [item for item in self.items if item.id not in done]

    def backend(self) -> Backend:
        r = self.request
        return make_backend(r.workers, r.ray, ray_num_cpus=r.ray_num_cpus, cpus_per_worker=r.cpus_per_worker,
                            gpus_per_worker=r.gpus_per_worker, memory_per_worker_gb=r.memory_per_worker_gb)

    def results(self, backend: Backend | None = None, items: list[ImageItem] | None = None) -> Iterator[ImageRecord]:
        """Label the images still to do (or `items`), yielding each record once it is durably in a shard."""
        todo = self.todo() if items is None else items
        if not todo:
            return
        backend = backend or self.backend()
        seen: set[int] = set()
        writer = self.run.shard_writer(fsync=self.request.fsync)
        try:
            for record in backend.run(todo, self.worker_config):
                if record.image_id in seen:  # a task the backend retried: the shard has it already
                    continue
                seen.add(record.image_id)
                writer.write(record)
                yield record
        finally:
            writer.close()
            backend.close()

    def merge(self, formats: list[Format] | None = None) -> MergeResult:
        """Write annotations.json and errors.jsonl (and yolo/ when asked) from what the shards hold now."""
        result = merge_run(self.run, self.plan, self.categories)
        if "yolo" in (formats or self.request.formats):
            from segchat.datasets.yolo import write_yolo

            write_yolo(self.run, result.coco, {item.id: item.path for item in self.items})
        return result


def describe_plan(plan: Plan, categories: list[str]) -> str:
    parts = []
    for target in plan.targets:
        extra = []
        if target.select.kind != "all" or target.select.count:
            extra.append(f"{target.select.kind}" + (f" x{target.select.count}" if target.select.count else ""))
        if target.exclude:
            extra.append("not " + ", ".join(target.exclude))
        if target.relation:
            extra.append(f"{target.relation.type} {target.relation.anchor}")
        parts.append(target.phrase + (f" ({'; '.join(extra)})" if extra else ""))
    return f"plan ({plan.source}): " + " | ".join(parts) + f"  ->  categories: {', '.join(categories)}"


def annotate(request: AnnotateRequest, *, stream: IO[str] | None = None, backend: Backend | None = None,
             settings: Settings | None = None, parser=None) -> AnnotateSummary:
    """The whole `segchat annotate`: prepare (or resume), show the plan, label what is missing with progress on
    `stream` (stderr), merge, print the summary table. Returns the summary (`.exit_code`: 0 or 1); raises
    `SegchatError` when the run cannot start (bad input, a folder holding another run, an instruction with nothing
    to label, Ray or the model unavailable). A KeyboardInterrupt leaves the shards whole: rerun to resume."""
    stream = stream if stream is not None else sys.stderr
    started = time.perf_counter()
    run = AnnotateRun.prepare(request, settings=settings, parser=parser)
    say = (lambda text: (stream.write(text + "\n"), stream.flush())) if not request.quiet else (lambda text: None)
    say(describe_plan(run.plan, run.categories) + f"  (saved in {run.run.plan_json})")
    todo = run.todo()
    done_before = len(run.items) - len(todo)
    if run.inputs.skipped:
        say(f"{run.inputs.skipped} files in the input are no images and were skipped "
            f"(e.g. {', '.join(run.inputs.skipped_examples[:3])})")
    if run.resumed:
        say(f"resuming {run.run.path}: {done_before} of {len(run.items)} images were done before")
    backend = backend or (run.backend() if todo else None)
    if todo and backend is not None:
        say(f"labelling {len(todo)} images: {backend.name}, {backend.workers} worker"
            f"{'s' if backend.workers != 1 else ''} (each loads the model before its first image)")
    progress = Progress(len(run.items), already_done=done_before, stream=stream,
                        enabled=request.progress and not request.quiet)
    try:
        for record in run.results(backend=backend, items=todo):
            progress.update(record)
    finally:
        progress.close()
    merged = run.merge()
    summary = AnnotateSummary(
        out=str(run.run.path), images=len(run.items), skipped_files=run.inputs.skipped, annotated=merged.annotated,
        done_before=done_before, done_now=progress.done, empty=merged.empty, failed=len(merged.failed),
        missing=len(merged.missing), instances=sum(merged.per_category.values()), per_category=merged.per_category,
        backend=backend.name if backend else "none", workers=backend.workers if backend else 0,
        elapsed_s=round(time.perf_counter() - started, 3), images_per_s=round(progress.rate(), 4),
        annotations=str(run.run.annotations_json), errors=str(run.run.errors_jsonl),
        yolo=str(run.run.yolo / "data.yaml") if "yolo" in request.formats else None)
    write_atomically(run.run.path / "summary.json", summary.model_dump_json(indent=2).encode("utf-8"))
    say(summary.table())
    return summary


# -- python -m segchat.datasets.annotate ----------------------------------------------------------------------------
