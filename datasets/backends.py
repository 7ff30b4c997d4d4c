"""Where the images are labelled: in this process, in N local worker processes, or on Ray (dataset_ray.py).

Every backend takes the images still to do and yields one `ImageRecord` per image as each completes, in any
order; the caller writes them to shards and merges. So resume, shards and the COCO file are the same code whatever
runs the model.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol

from segchat.datasets.records import ImageItem, ImageRecord
from segchat.datasets.worker import ImageAnnotator, LabelImage, WorkerConfig
from segchat.contracts.errors import SegchatError


class WorkerCrashedError(SegchatError):
    code = "worker_crashed"
    http_status = 500


class Backend(Protocol):
    """Runs `WorkerConfig` workers over images. `workers` is how many images are labelled at once."""

    name: str
    workers: int

    def run(self, items: list[ImageItem], config: WorkerConfig) -> Iterator[ImageRecord]:
        ...

    def close(self) -> None:
        ...


class InProcessBackend:
    """One worker in this process. A loaded segmenter (or a whole `label_image` callable) can be passed in, so a
    notebook loads the model once for several runs."""

    name = "in-process"
    workers = 1

    def __init__(self, *, segmenter=None, label_image: LabelImage | None = None) -> None:
        self._segmenter = segmenter
        self._label_image = label_image

    def run(self, items: list[ImageItem], config: WorkerConfig) -> Iterator[ImageRecord]:
        annotator = ImageAnnotator(config, segmenter=self._segmenter, label_image=self._label_image)
        for item in items:
            yield annotator(item)

    def close(self) -> None:
        pass


# -- local worker processes ------------------------------------------------------------------------------------
_annotator: ImageAnnotator | None = None
_start_error: SegchatError | None = None


def _start_worker(config_json: str) -> None:
    global _annotator, _start_error
    try:
        _annotator = ImageAnnotator(WorkerConfig.model_validate_json(config_json))
    except SegchatError as exc:  # kept to be raised with the first image: an initializer that raises only
        _start_error = exc       # breaks the pool, and the user would never see why (a model that won't load)


def _annotate_in_worker(item_json: str) -> str:
    if _start_error is not None:
        raise _start_error
    assert _annotator is not None
    return _annotator(ImageItem.model_validate_json(item_json)).model_dump_json()


class ProcessPoolBackend:
    """N local processes, each with its own model and (by default) one torch thread: on a CPU box N workers use N
    cores without fighting over them. Processes are spawned, not forked: a fork of a process that has started
    torch's thread pools can deadlock."""

    name = "processes"

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def run(self, items: list[ImageItem], config: WorkerConfig) -> Iterator[ImageRecord]:
        if config.threads is None:
            config = config.model_copy(update={"threads": 1})
        context = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context, initializer=_start_worker,
                                         initargs=(config.model_dump_json(),))
        # a bounded window of submitted images: results stream back as they finish, and a 1e6-image run does not
        # queue 1e6 futures up front
        window = 2 * self.workers + 2
        pending: set[Future] = set()
        queue: Iterable[ImageItem] = iter(items)
        try:
            for item in queue:
                pending.add(self._pool.submit(_annotate_in_worker, item.model_dump_json()))
                if len(pending) >= window:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    yield from (ImageRecord.model_validate_json(f.result()) for f in done)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from (ImageRecord.model_validate_json(f.result()) for f in done)
        except BrokenProcessPool:
            raise WorkerCrashedError("a worker process died (out of memory, or killed); what was finished is in the "
                                     "shards: run the same command again to resume") from None
        finally:
            self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def make_backend(workers: int = 1, ray: str | None = None, *, ray_num_cpus: int | None = None,
                 cpus_per_worker: float | None = None, gpus_per_worker: float | None = None,
                 memory_per_worker_gb: float | None = None) -> Backend:
    """The backend for `--workers N` and `--ray [ADDRESS]` (`ray`: None = no Ray, "local" = start a local cluster,
    "auto" or "ray://host:port" = join one)."""
    if ray is not None:
        from segchat.datasets.ray_backend import RayBackend

        return RayBackend(workers, address=ray, num_cpus=ray_num_cpus, cpus_per_worker=cpus_per_worker,
                          gpus_per_worker=gpus_per_worker, memory_per_worker_gb=memory_per_worker_gb)
    if workers == 1:
        return InProcessBackend()
    return ProcessPoolBackend(workers)
