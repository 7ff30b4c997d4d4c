"""The Ray backend: Ray Data streams the images through an actor pool of segmenter workers; the records come back
to the driver, which writes the shards (so a multi-node run needs no shared output folder, only images that every
node can read at the same path).

Resources: each actor gets one GPU when the cluster has GPUs. On a CPU-only cluster an actor's `num_cpus` is a
fraction: actors that each reserve a whole CPU on a 2-CPU machine leave nothing for Ray Data's own tasks and the
run waits forever. The actor's torch uses `threads` (1 by default) whatever Ray reserves.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import numpy as np

from segchat.datasets.records import ImageItem, ImageRecord
from segchat.datasets.worker import ImageAnnotator, WorkerConfig
from segchat.contracts.errors import SegchatError

# the version `pip install segchat[ray]` pins
RAY_REQUIREMENT = "ray[data]==2.60.0"
LOCAL_OBJECT_STORE_BYTES = 512 * 1024 * 1024  # records are small and images are read by the actors themselves
MAX_BLOCKS = 200_000  # past this, blocks hold several images each (the scheduler's cost per block is ~ms)


class RayUnavailableError(SegchatError):
    code = "ray_unavailable"
    http_status = 503


class RayAnnotator:
    """The actor class `map_batches` instantiates: one model per actor, a batch of image rows in, JSON records out."""

    def __init__(self, config_json: str) -> None:
        self.annotator = ImageAnnotator(WorkerConfig.model_validate_json(config_json))

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        records = []
        for image_id, file_name, path in zip(batch["id"], batch["file_name"], batch["path"]):
            item = ImageItem(id=int(image_id), file_name=str(file_name), path=str(path))
            records.append(self.annotator(item).model_dump_json())
        return {"record": np.array(records, dtype=object)}


def actor_resources(cluster: dict[str, float], workers: int, *, cpus_per_worker: float | None = None,
                    gpus_per_worker: float | None = None) -> dict[str, float]:
    """`num_cpus` / `num_gpus` for each of `workers` actors on a cluster with `cluster` resources.

    GPUs: one each where the cluster has any (or `gpus_per_worker`). CPUs: `cpus_per_worker`, else 1 on a GPU
    cluster and, on a CPU-only one, what the cluster has less one CPU kept for Ray Data, shared among the actors,
    at most 1 each (the actor runs one torch thread) and at least 0.1.
    """
    gpus = cluster.get("GPU", 0.0)
    num_gpus = gpus_per_worker if gpus_per_worker is not None else (1.0 if gpus >= 1 else 0.0)
    if cpus_per_worker is not None:
        num_cpus = cpus_per_worker
    elif num_gpus > 0:
        num_cpus = 1.0
    else:
        spare = max(cluster.get("CPU", 1.0) - 1.0, 0.0)
        num_cpus = round(min(1.0, max(0.1, spare / max(workers, 1))), 2)
    return {"num_cpus": num_cpus, "num_gpus": num_gpus}


class RayBackend:
    """`--ray` (address "local": start a local cluster), `--ray auto` or `--ray ray://HOST:PORT` (join one)."""

    name = "ray"

    def __init__(self, workers: int, *, address: str = "local", num_cpus: int | None = None,
                 cpus_per_worker: float | None = None, gpus_per_worker: float | None = None,
                 memory_per_worker_gb: float | None = None, batch_size: int = 1) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers
        self.address = address
        self.num_cpus = num_cpus
        self.cpus_per_worker = cpus_per_worker
        self.gpus_per_worker = gpus_per_worker
        # reserved host memory per actor: without it Ray packs actors by CPU alone, and 16 full-size models on a
        # 16-core node need ~100 GB
        self.memory_per_worker_gb = memory_per_worker_gb
        self.batch_size = batch_size  # 1: a record reaches the driver (and its shard) as soon as its image is done
        self._started = False
        self.resources: dict[str, float] = {}

    def _connect(self):
        try:
            import ray
            import ray.data  # noqa: F401
        except ImportError:
            raise RayUnavailableError(f"--ray needs Ray: pip install 'segchat[ray]' (or '{RAY_REQUIREMENT}')") from None
        if ray.is_initialized():
            return ray
        kwargs: dict = {"logging_level": logging.WARNING, "include_dashboard": False, "log_to_driver": True}
        # the actors' BLAS and tokenizers must not start a thread per core each: torch's own count is set per worker
        kwargs["runtime_env"] = {"env_vars": {"TOKENIZERS_PARALLELISM": "false", "OMP_NUM_THREADS": "1"}}
        if self.address in ("local", "", None):
            kwargs.update(num_cpus=self.num_cpus, object_store_memory=LOCAL_OBJECT_STORE_BYTES)
            address = None
        else:
            address = self.address
        try:
            ray.init(address=address, **kwargs)
        except Exception as exc:  # ConnectionError, TimeoutError, RuntimeError, depending on the address
            where = "start a local Ray cluster" if address is None else f"join the Ray cluster at {address}"
            raise RayUnavailableError(f"could not {where}: {type(exc).__name__}: {exc}") from None
        self._started = True
        return ray

    def run(self, items: list[ImageItem], config: WorkerConfig) -> Iterator[ImageRecord]:
        if config.threads is None:
            config = config.model_copy(update={"threads": 1})
        ray = self._connect()
        import ray.data

        logging.getLogger("ray.data").setLevel(logging.WARNING)  # its per-run INFO lines would break up our progress
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # ours is on stderr already
        context.enable_operator_progress_bars = False
        self.resources = dict(ray.cluster_resources())
        resources: dict[str, float] = actor_resources(self.resources, self.workers,
                                                      cpus_per_worker=self.cpus_per_worker,
                                    gpus_per_worker=self.gpus_per_worker)
        if resources["num_gpus"] == 0 and config.device == "cuda":
            raise RayUnavailableError("--device cuda on a Ray cluster without GPUs")
        if resources["num_gpus"] > 0 and config.device == "auto":
            config = config.model_copy(update={"device": "cuda"})
        if self.memory_per_worker_gb:
            resources["memory"] = int(self.memory_per_worker_gb * 1024**3)
        rows = [{"id": item.id, "file_name": item.file_name, "path": item.path} for item in items]
        if not rows:
            return
        # one image per block: Ray Data hands a block's results on only when the whole block is done, so bigger
        # blocks would make results (and shards) arrive in bursts and a crash lose a block per actor
        dataset = ray.data.from_items(rows, override_num_blocks=min(len(rows), MAX_BLOCKS))
        labelled = dataset.map_batches(
            RayAnnotator,
            fn_constructor_kwargs={"config_json": config.model_dump_json()},
            batch_size=self.batch_size,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=self.workers),
            **resources,
        )
        try:
            for batch in labelled.iter_batches(batch_size=None, batch_format="numpy"):
                for record_json in batch["record"]:
                    yield ImageRecord.model_validate_json(record_json)
        except SegchatError:
            raise
        except Exception as exc:  # Ray wraps what an actor raised (RayTaskError, ActorDiedError, ...)
            cause = getattr(exc, "cause", None)
            if isinstance(cause, SegchatError):
                raise type(cause)(cause.message) from None
            raise RayUnavailableError(f"the Ray run failed ({type(exc).__name__}): {str(exc)[:800]}. What was "
                                      "finished is in the shards: run the same command again to resume") from None

    def close(self) -> None:
        if self._started:
            import ray

            ray.shutdown()
            self._started = False

