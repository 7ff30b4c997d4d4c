"""Start, serve and stop the Ray Serve application (`serve.py --ray [ADDRESS]`).

A local cluster is always a new one (`address="local"`), never one a killed server left behind: that one may still
hold the port with an old application (Ray ends a cluster whose driver died, but not at once, and not while the
driver hangs). Such a leftover is recognised by what holds the port (`stale.py`) and only it is stopped before
starting; a port held by a running server or any other program is an error that names it.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import time

import click

from segchat.contracts.settings import Settings
from segchat.faces.cluster.plan import ClusterPlan
from segchat.faces.cluster.transport import APP_NAME

log = logging.getLogger(__name__)

STOP_WAIT_S = 30


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host if host not in ("localhost", "") else "127.0.0.1", port))
        except OSError:
            return False
    return True


def free_the_port(host: str, port: int, plan: ClusterPlan) -> None:
    """Make sure the port can be served. A local cluster that a dead or hung server left on it is stopped (that
    cluster only); a port held by a running server or any other program ends the start with a message naming the
    holder (exit 2). On an existing cluster nothing is stopped: Serve there keeps its own port."""
    from segchat.faces.cluster.stale import command_of, listener_on, ray_cluster_of

    if not plan.local or port_is_free(host, port):
        return
    holder = listener_on(port)
    cluster = ray_cluster_of(holder) if holder is not None else None
    if cluster is None:
        named = command_of(holder)[:120] or "another program"
        click.echo(f"error: port {port} is taken by {named}; stop it or choose --port", err=True)
        sys.exit(2)
    if cluster.driver_alive:
        click.echo(f"error: port {port} is served by a running segchat on Ray (its cluster {cluster.session}); "
                   "stop it or choose --port", err=True)
        sys.exit(2)
    click.echo(f"port {port} is held by {cluster.what} a stopped server left behind ({cluster.session}): stopping it",
               err=True)
    cluster.stop()
    if not port_stays_free(host, port):
        click.echo(f"error: port {port} is still taken after stopping that cluster; choose --port", err=True)
        sys.exit(2)


def port_stays_free(host: str, port: int, *, within_s: float = 10.0, settle_s: float = 1.0) -> bool:
    """Whether the port comes free and stays free for `settle_s` (a stopped cluster's straggler may bind it again)."""
    deadline = time.monotonic() + within_s
    free_since = None
    while time.monotonic() < deadline:
        if port_is_free(host, port):
            free_since = free_since or time.monotonic()
            if time.monotonic() - free_since >= settle_s:
                return True
        else:
            free_since = None
        time.sleep(0.1)
    return False


def connect(plan: ClusterPlan) -> float:
    """Join the cluster (or start a local one); returns the GPUs a replica gets."""
    import ray

    if plan.local:
        ray.init(address="local", num_cpus=plan.local_cpus(), include_dashboard=False, log_to_driver=False,
                 configure_logging=False)
    else:
        ray.init(address=plan.address, log_to_driver=False, configure_logging=False)
    if plan.replica_gpus is not None:
        return plan.replica_gpus
    return 1.0 if ray.cluster_resources().get("GPU", 0) >= 1 else 0.0


def start(settings: Settings, plan: ClusterPlan, environment: dict[str, str]) -> None:
    """Start Serve on the server's host and port and run the application; returns once it answers. A local
    cluster's processes inherit `environment` (its proxy's settings) from this process, so it is set first."""
    os.environ.update(environment)
    from ray import serve

    from segchat.faces.cluster.deployments import build_application

    gpus = connect(plan)
    serve.start(http_options={"host": settings.host, "port": settings.port}, proxy_location="HeadOnly")
    serve.run(build_application(settings, plan, gpus_per_replica=gpus), name=APP_NAME, route_prefix="/",
              blocking=False)


def stop(plan: ClusterPlan) -> None:
    """Delete the application and leave the cluster (a local one is shut down with it). Serve's own shutdown waits
    on its controller, which may be gone already (its node killed): it gets STOP_WAIT_S, then Ray is left anyway."""
    import ray
    from ray import serve

    if ray.is_initialized():
        quitting = threading.Thread(target=serve.shutdown if plan.local else lambda: serve.delete(APP_NAME),
                                    daemon=True)
        quitting.start()
        quitting.join(STOP_WAIT_S)
    ray.shutdown()


def address_note(plan: ClusterPlan) -> str:
    import ray

    context = ray.get_runtime_context()
    return f"  ray: {'a local cluster' if plan.local else plan.address} (gcs {context.gcs_address})"


def wait_for_a_stop() -> None:
    """Block until SIGINT or SIGTERM (Ctrl-C, a process manager's stop)."""
    stopped = threading.Event()

    def on_signal(signum, frame) -> None:
        if stopped.is_set():  # a second Ctrl-C: do not wait for a clean stop
            sys.exit(130)
        stopped.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    while not stopped.wait(1.0):  # a timed wait, so the main thread runs the handlers
        pass


def serve_on_ray(settings: Settings, plan: ClusterPlan) -> None:
    """`serve.py --ray`: check the plan against the store, free the port, start, print where it answers, serve
    until stopped. Every refusal is one line and exit 2; whatever was started is stopped on the way out."""
    from segchat.contracts.errors import SegchatError
    from segchat.faces.cluster.haproxy import chosen_proxy, proxy_environment
    from segchat.faces.cluster.plan import check_store_for

    try:
        check_store_for(plan, settings)
        proxy = chosen_proxy(plan) if plan.local else None
    except SegchatError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
    free_the_port(settings.host, settings.port, plan)
    # chosen once the port is free: the free ports it picks may have been a stale cluster's
    environment = proxy_environment(proxy) if proxy is not None else {}
    failed = False
    try:
        start(settings, plan, environment)
        announce(settings, plan)
        wait_for_a_stop()
    except KeyboardInterrupt:  # Ctrl-C while the replicas load
        pass
    except Exception as exc:  # noqa: BLE001 - Ray reports a replica that could not start as its own exceptions
        click.echo(f"error: the application did not start on Ray: {str(exc).strip().splitlines()[-1][:300]}",
                   err=True)
        failed = True
    finally:
        stop(plan)
    if failed:
        sys.exit(2)


def announce(settings: Settings, plan: ClusterPlan) -> None:
    """The banner: where the app answers, and (on a local cluster, whose proxy is on this machine) what answers."""
    import httpx

    from segchat.faces.server import print_banner

    url = f"http://{settings.host}:{settings.port}/"
    if not plan.local:  # Serve's proxy runs on the cluster's head node, on the port Serve was started with there
        print(f"segchat is running on the Ray cluster at {plan.address} (Serve's HTTP proxy on its head node)")
        print(address_note(plan), flush=True)
        return
    headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
    try:
        ready = httpx.get(f"{url}readyz", headers=headers, timeout=60).json()
    except (httpx.HTTPError, ValueError) as exc:
        print(f"segchat is running at {url} (readiness not read: {type(exc).__name__})", flush=True)
        return
    print_banner(url, ready, settings)
    print(f"  segmenter replicas: {ready['segmenter_replicas']} up"
          + (f", autoscaling {plan.autoscale[0]}-{plan.autoscale[1]}" if plan.autoscale else ""))
    print(address_note(plan), flush=True)
