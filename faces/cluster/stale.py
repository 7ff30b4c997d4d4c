"""A port held by what a dead or hung `serve.py --ray` left behind: the proxy of its local Ray cluster.

The listener is a Ray worker (`ray::ProxyActor`); its raylet names the cluster's session folder
(`/tmp/ray/session_…`), which every process of that cluster carries on its command line. The cluster is stale when
the process that started it (the raylet's parent: the server's driver) is gone, or stopped and not running. Only that
cluster's processes are stopped, never another cluster of this machine (`ray stop --force` would stop them all).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import psutil

SESSION = re.compile(r"/session_\d{4}-\d{2}-\d{2}_[\w.-]+?(?=/|$|\s)")
STOP_WAIT_S = 10


@dataclass
class RayCluster:
    session: str  # the session folder's name: what its processes' command lines share
    raylet: psutil.Process
    driver_alive: bool

    def processes(self) -> list[psutil.Process]:
        """The cluster's processes: the raylet's descendants and every process naming the session folder."""
        found = {self.raylet.pid: self.raylet}
        try:
            found.update({child.pid: child for child in self.raylet.children(recursive=True)})
        except psutil.Error:
            pass
        for process in psutil.process_iter(["cmdline"]):
            if self.session in " ".join(process.info["cmdline"] or []):
                found[process.pid] = process
        return list(found.values())

    def stop(self) -> None:
        """SIGKILL every process of the cluster, again until none is left: a raylet killed a moment after it started
        a worker (Serve's proxy coming back) leaves that worker to be found on the next pass."""
        deadline = time.monotonic() + STOP_WAIT_S
        while time.monotonic() < deadline:
            processes = [p for p in self.processes() if _running(p)]
            if not processes:
                return
            for process in processes:
                try:
                    process.kill()  # a stale cluster's processes owe us no clean shutdown
                except psutil.Error:
                    pass
            psutil.wait_procs(processes, timeout=2)


def listener_on(port: int) -> psutil.Process | None:
    for connection in psutil.net_connections(kind="tcp"):
        if connection.laddr and connection.laddr.port == port and connection.status == psutil.CONN_LISTEN:
            try:
                return psutil.Process(connection.pid) if connection.pid else None
            except psutil.Error:
                return None
    return None


def command_of(process: psutil.Process | None) -> str:
    try:
        return " ".join(process.cmdline()) if process is not None else ""
    except psutil.Error:
        return ""


def ray_cluster_of(process: psutil.Process) -> RayCluster | None:
    """The local Ray cluster `process` belongs to (it, or an ancestor, is the raylet), None when it is no Ray
    process."""
    try:
        lineage = [process, *process.parents()]
    except psutil.Error:
        return None
    raylet = next((p for p in lineage if "raylet" in command_of(p)), None)
    if raylet is None:
        return None
    session = SESSION.search(command_of(raylet))
    if session is None:
        return None
    return RayCluster(session.group(0).strip("/"), raylet, driver_alive=_alive(raylet))


def _alive(raylet: psutil.Process) -> bool:
    """Whether the server that started this cluster still runs (not dead, not a zombie, not stopped)."""
    try:
        driver = raylet.parent()
        if driver is None or driver.pid == 1 or "python" not in command_of(driver):
            return False  # the driver died and the raylet was handed to init (or to a container's reaper)
        return driver.status() not in (psutil.STATUS_STOPPED, psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD)
    except psutil.Error:
        return False


def _running(process: psutil.Process) -> bool:
    """Alive and no zombie; a process that ends while it is asked is not running (never an error)."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
