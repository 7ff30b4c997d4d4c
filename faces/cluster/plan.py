"""What `serve.py --ray …` asks of a cluster: where it is, how many segmenter replicas, what each one gets.

Checked before anything starts, so a wrong combination is a one-line error (exit 2), not a half-started cluster.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field, model_validator

from segchat.contracts.errors import BadRequestError
from segchat.contracts.settings import Settings

# a local cluster offers one CPU more than its replicas reserve, for the ingress (REST, MCP, the UI) and Serve's proxy,
# which reserve none themselves (so that a replica is never left unscheduled for them)
INGRESS_CPUS = 1.0


class Routing(StrEnum):
    """How a find reaches a segmenter replica."""

    IMAGE = "image"  # consistent hash of the image's content key: a follow-up reaches the replica that embedded it
    DEFAULT = "default"  # Ray Serve's default router (least loaded of two): for comparison only


class Proxy(StrEnum):
    """What takes HTTP on the server's port in front of the ingress, on a local cluster."""

    HAPROXY = "haproxy"  # Ray Serve's HAProxy (C) hands each connection to the ingress replica's own HTTP server
    PYTHON = "python"  # Serve's Python proxy actor passes each request on to the ingress over Ray calls


class ClusterPlan(BaseModel):
    """address: an existing cluster (`ray://…`, `HOST:PORT` or `auto`), None to start a local one. replicas or
    autoscale: a fixed number of segmenter replicas, or (min, max) scaled on ongoing requests. replica_cpus: Ray's
    CPUs a replica reserves; replica_threads: torch's threads in a replica (default: its CPUs, at least 1).
    ray_cpus: the CPUs a local cluster offers (default: what the replicas and the ingress need). replica_gpus: None
    is one a replica where the cluster has GPUs, else none. proxy: a local cluster's HTTP proxy (None: HAProxy);
    an existing cluster's is chosen where it was started."""

    address: str | None = None
    replicas: int = Field(1, ge=1)
    autoscale: tuple[int, int] | None = None
    replica_cpus: float = Field(1.0, gt=0)
    replica_threads: int | None = Field(None, ge=1)
    ray_cpus: int | None = Field(None, ge=1)
    replica_gpus: float | None = Field(None, ge=0)
    routing: Routing = Routing.IMAGE
    proxy: Proxy | None = None

    @model_validator(mode="after")
    def _autoscale_is_a_range(self) -> ClusterPlan:
        if self.autoscale is not None:
            low, high = self.autoscale
            # at least one replica always: a follow-up's embedding lives in a replica, and a server scaled to zero
            # would answer /readyz with 503 while idle
            if not 1 <= low <= high:
                raise ValueError(f"--autoscale {low}:{high}: give MIN:MAX with 1 <= MIN <= MAX")
        if self.ray_cpus is not None and self.address is not None:
            raise ValueError("--ray-cpus sizes a local cluster; an existing cluster has its own CPUs")
        if self.proxy is not None and self.address is not None:
            raise ValueError("--proxy chooses a local cluster's proxy; an existing cluster's is chosen where it was "
                             "started (RAY_SERVE_ENABLE_HA_PROXY=1 ray start …)")
        return self

    @property
    def local(self) -> bool:
        return self.address is None

    @property
    def local_proxy(self) -> Proxy:
        return self.proxy or Proxy.HAPROXY

    @property
    def most_replicas(self) -> int:
        return self.autoscale[1] if self.autoscale else self.replicas

    @property
    def threads(self) -> int:
        return self.replica_threads or max(1, int(self.replica_cpus))

    def local_cpus(self) -> int:
        """The CPUs a local cluster offers: enough for every replica at its most and the ingress (Ray's CPUs are
        reservations, not cores: a 2-core machine can run 2 replicas of 1 CPU and an ingress)."""
        needed = int(self.most_replicas * self.replica_cpus + INGRESS_CPUS + 0.999)
        return self.ray_cpus or needed

    def ingress_settings(self, settings: Settings) -> Settings:
        """The settings the ingress's agent runs with: its work queue (`concurrency` turns in flight, `queue_size`
        waiting) is per model, so a cluster's is that of every replica at its most together; otherwise a team's
        turns would queue at the ingress while replicas stand idle (4 turns in flight for 4 replicas is one each,
        and nothing for `@serve.batch` to batch)."""
        replicas = self.most_replicas
        return settings.model_copy(update={"concurrency": settings.concurrency * replicas,
                                           "queue_size": settings.queue_size * replicas})

    def scale(self) -> dict:
        """The segmenter deployment's replicas: a number, or an autoscaling config."""
        if self.autoscale is None:
            return {"num_replicas": self.replicas}
        low, high = self.autoscale
        return {"autoscaling_config": {"min_replicas": low, "max_replicas": high, "initial_replicas": max(low, 1),
                                       "target_ongoing_requests": 2}}


def parse_autoscale(text: str) -> tuple[int, int]:
    """'1:4' -> (1, 4); anything else is a BadRequestError saying what is expected."""
    low, sep, high = text.partition(":")
    if not sep or not low.strip().isdigit() or not high.strip().isdigit():
        raise BadRequestError(f"--autoscale {text!r}: give MIN:MAX, e.g. 1:4", code="bad_autoscale")
    return int(low), int(high)


def check_store_for(plan: ClusterPlan, settings: Settings) -> None:
    """On an existing cluster the ingress may run on any node: sessions in a node-local SQLite file would be lost
    or split, so a PostgreSQL URL is required there. A local cluster shares this machine's data directory."""
    url = settings.database_url or ""
    if not plan.local and not url.startswith("postgresql"):
        raise BadRequestError("--ray ADDRESS runs the server on a cluster's nodes, where a SQLite file in a node's "
                              "data directory would split the sessions: set SEGCHAT_DATABASE_URL="
                              "postgresql+psycopg://USER:PASSWORD@HOST/DB first", code="store_not_shared")
