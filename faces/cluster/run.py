"""Start, serve and stop the Ray Serve application (`serve.py --ray [ADDRESS]`).

A local cluster is always a new one (`address="local"`), never one a killed server left behind: that one may still
hold the port with an old application. Such a leftover is recognised by what holds the port (Ray's processes) and
stopped (`ray stop --force`) before starting; a port held by anything else is an error that says which program.
"""

from __future__ import annotations

import logging
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import click

from segchat.contracts.settings import Settings
from segchat.faces.cluster.plan import ClusterPlan

log = logging.getLogger(__name__)

APP_NAME = "segchat"
STOP_WAIT_S = 30
# what Ray's own processes are called: a port one of them holds belongs to a cluster a dead server left
RAY_PROCESS_MARKS = ("ray::", "raylet", "gcs_server", "ray/_private", "ray/dashboard", "default_worker.py")


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host if host not in ("localhost", "") else "127.0.0.1", port))
        except OSError:
            return False
    return True


def holder_of(port: int) -> str | None:
    """The command line of the process listening on `port` (None when it cannot be told)."""
    import psutil

    for connection in psutil.net_connections(kind="tcp"):
        if connection.laddr and connection.laddr.port == port and connection.status == psutil.CONN_LISTEN:
            try:
                return " ".join(psutil.Process(connection.pid).cmdline()) if connection.pid else None
            except psutil.Error:
                return None
    return None


def free_the_port(host: str, port: int) -> None:
    """Make sure the port can be served: a stale local Ray cluster holding it is stopped; anything else ends the
    start with a message naming the holder (exit 2)."""
    if port_is_free(host, port):
        return
    holder = holder_of(port) or "another program"
    if not any(mark in holder for mark in RAY_PROCESS_MARKS):
        click.echo(f"error: port {port} is taken by {holder[:120]}; stop it or choose --port", err=True)
        sys.exit(2)
    click.echo(f"port {port} is held by a Ray cluster a stopped server left behind: stopping it (ray stop --force)",
               err=True)
    subprocess.run([str(Path(sys.executable).with_name("ray")), "stop", "--force"], check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    if not port_is_free(host, port):
        click.echo(f"error: port {port} is still taken after stopping Ray; choose --port", err=True)
        sys.exit(2)


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


def start(settings: Settings, plan: ClusterPlan) -> None:
    """Start Serve on the server's host and port and run the application; returns once it answers."""
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
    until stopped. Every refusal is one line and exit 2."""
    import httpx

    from segchat.contracts.errors import SegchatError
    from segchat.faces.cluster.plan import check_store_for
    from segchat.faces.server import print_banner

    try:
        check_store_for(plan, settings)
    except SegchatError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
    free_the_port(settings.host, settings.port)
    try:
        start(settings, plan)
    except Exception as exc:  # noqa: BLE001 - Ray reports a replica that could not start as its own exceptions
        click.echo(f"error: the application did not start on Ray: {str(exc).strip().splitlines()[-1][:300]}",
                   err=True)
        stop(plan)
        sys.exit(2)
    url = f"http://{settings.host}:{settings.port}/"
    headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
    ready = httpx.get(f"{url}readyz", headers=headers, timeout=60).json()
    print_banner(url, ready, settings)
    print(f"  segmenter replicas: {ready['segmenter_replicas']} up"
          + (f", autoscaling {plan.autoscale[0]}-{plan.autoscale[1]}" if plan.autoscale else ""))
    print(address_note(plan), flush=True)
    try:
        wait_for_a_stop()
    finally:
        stop(plan)
