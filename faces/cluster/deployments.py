"""The Ray Serve application: an ingress (REST, MCP and the UI) in front of segmenter replicas.

- `SegmenterDeployment`: one loaded SAM3 with its embedding cache a replica (one GPU each where there are GPUs,
  a set number of torch threads on a CPU). Calls that arrive together are answered in one batch by
  `@serve.batch` (the only cross-request batching on a cluster: the agent's in-process batcher is not used with a
  remote segmenter). Requests reach a replica through the consistent-hash router, keyed by the image's content.
- `IngressDeployment`: the whole single-process app (`faces.server.build_app`) with a `RemoteSegmenter` in place of
  the model. One replica: Gradio keeps each browser session's state in the process that served it, and Serve's
  proxy does not route a browser back to the same ingress replica (REST and MCP alone would allow several).
"""

from __future__ import annotations

import asyncio
import logging

from ray import serve
from ray.serve.config import RequestRouterConfig

from segchat.contracts.settings import Settings
from segchat.faces.cluster.plan import ClusterPlan, Routing
from segchat.faces.cluster.transport import RayTransport
from segchat.segmenter.service import FindAnswer, FindCall, SegmenterInfo, SegmenterService

log = logging.getLogger(__name__)

CONSISTENT_HASH_ROUTER = "ray.serve.experimental.consistent_hash_router.ConsistentHashRouter"
BATCH_SIZE = 8
BATCH_WAIT_S = 0.008
HEALTH_CHECK_PERIOD_S = 2.0


@serve.deployment(health_check_period_s=HEALTH_CHECK_PERIOD_S, health_check_timeout_s=30,
                  max_ongoing_requests=2 * BATCH_SIZE, graceful_shutdown_timeout_s=5)
class SegmenterDeployment:
    def __init__(self, settings_json: str, threads: int) -> None:
        import torch

        from segchat.agent.build import load_segmenter

        torch.set_num_threads(threads)  # Ray sets OMP_NUM_THREADS from num_cpus; torch's own pool is set here
        settings = Settings.model_validate_json(settings_json)
        name = serve.get_replica_context().replica_id.unique_id
        self.service = SegmenterService(load_segmenter(settings), name=name)

    def info(self) -> SegmenterInfo:
        return self.service.info()

    async def find(self, call: FindCall) -> FindAnswer:
        return await self._find_batched(call)

    @serve.batch(max_batch_size=BATCH_SIZE, batch_wait_timeout_s=BATCH_WAIT_S)
    async def _find_batched(self, calls: list[FindCall]) -> list[FindAnswer]:
        # off the replica's event loop: the loop keeps gathering the next batch and answering health checks
        return await asyncio.to_thread(self.service.find_many, calls)


@serve.deployment(num_replicas=1, health_check_period_s=5, graceful_shutdown_timeout_s=5)
@serve.ingress()
class IngressDeployment:
    def __init__(self, settings_json: str, segmenter) -> None:
        self.settings = Settings.model_validate_json(settings_json)
        self.segmenter_handle = segmenter

    async def __serve_build_asgi_app__(self):
        from segchat.faces.server import build_app
        from segchat.segmenter.remote import RemoteSegmenter

        def build():
            remote = RemoteSegmenter(RayTransport(self.segmenter_handle),
                                     max_image_pixels=self.settings.max_image_pixels)
            app, _ = build_app(self.settings, segmenter=remote)
            return app

        return await asyncio.to_thread(build)


def build_application(settings: Settings, plan: ClusterPlan, *, gpus_per_replica: float):
    """The bound application `serve.run` starts: the ingress, given a handle to the segmenter deployment."""
    settings_json = settings.model_dump_json()
    routing = {}
    if plan.routing is Routing.IMAGE:
        routing["request_router_config"] = RequestRouterConfig(
            request_router_class=CONSISTENT_HASH_ROUTER,
            # a busy primary hands a request to the next replica on the ring, never further
            request_router_kwargs={"num_virtual_nodes": 100, "num_fallback_replicas": 1})
    segmenter = SegmenterDeployment.options(
        **plan.scale(), **routing,
        ray_actor_options={"num_cpus": plan.replica_cpus, "num_gpus": gpus_per_replica},
    ).bind(settings_json, plan.threads)
    return IngressDeployment.options(ray_actor_options={"num_cpus": 0}).bind(
        plan.ingress_settings(settings).model_dump_json(), segmenter)
