"""Calls from the ingress to the segmenter replicas over Ray Serve's handle, routed by the image's content key.

`handle.options(session_id=KEY)` is the key Ray Serve's consistent-hash router (`ConsistentHashRouter`, chosen in
`deployments.py`) hashes onto its ring of replicas: a follow-up on the same image reaches the replica that holds its
embedding. A replica that dies mid-call is retried on another one (Serve drops it from the ring at its next health
check); the call carries the image, so the other replica embeds it again and the turn is answered.
"""

from __future__ import annotations

import logging
import time

from segchat.contracts.errors import SegmenterUnavailableError
from segchat.segmenter.service import FindAnswer, FindCall, SegmenterInfo

log = logging.getLogger(__name__)

APP_NAME = "segchat"
SEGMENTER_DEPLOYMENT = "SegmenterDeployment"
# a replica killed mid-call: Serve notices within a health-check period (2 s) and routes around it
RETRIES = 6
RETRY_WAIT_S = 1.0
CALL_TIMEOUT_S = 600.0


def _lost_replica_errors() -> tuple[type[BaseException], ...]:
    from ray.exceptions import ActorUnavailableError, RayActorError

    return RayActorError, ActorUnavailableError


def _timeout_errors() -> tuple[type[BaseException], ...]:
    from ray.exceptions import GetTimeoutError

    return GetTimeoutError, TimeoutError


class RayTransport:
    """`segchat.segmenter.remote.SegmenterTransport` over a `DeploymentHandle` to the segmenter deployment."""

    def __init__(self, handle) -> None:
        self.handle = handle

    def find(self, call: FindCall) -> FindAnswer:
        return self._call(lambda handle: handle.options(session_id=call.key).find.remote(call))

    def info(self) -> SegmenterInfo:
        return self._call(lambda handle: handle.info.remote())

    def _call(self, send):
        lost, timed_out = _lost_replica_errors(), _timeout_errors()
        for attempt in range(RETRIES):
            try:
                return send(self.handle).result(timeout_s=CALL_TIMEOUT_S)
            except lost as exc:
                log.warning("a segmenter replica was lost (%s); trying again (%d)", type(exc).__name__, attempt + 1)
                time.sleep(RETRY_WAIT_S)
            except timed_out:
                raise SegmenterUnavailableError(f"no segmenter replica answered within {CALL_TIMEOUT_S:.0f} s; try "
                                                "again in a moment") from None
        raise SegmenterUnavailableError("no segmenter replica answered; try again in a moment")

    def running_replicas(self) -> set[str]:
        """The names (replica ids) of the segmenter replicas running now, as Serve's controller sees them."""
        from ray.serve._private.common import ReplicaState
        from ray.serve.context import _get_global_client

        # the controller's detailed status (the one the dashboard reads): `serve.status()` counts replicas but does
        # not name them, and the names are what tell a live replica's counters from a dead one's. Both imports are
        # Ray's private API, read in Ray 2.60.0 (pinned in pyproject.toml; tests/test_ray_serve.py runs them)
        details = _get_global_client().get_serve_details()
        try:
            replicas = details["applications"][APP_NAME]["deployments"][SEGMENTER_DEPLOYMENT]["replicas"]
        except KeyError:
            return set()
        return {r["replica_id"] for r in replicas if r["state"] == ReplicaState.RUNNING}
