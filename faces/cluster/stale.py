"""A port held by what a dead or hung `serve.py --ray` left behind: the proxy of its local Ray cluster.

The listener is Serve's proxy: a Ray worker (`ray::ProxyActor`), or the HAProxy a Ray worker started (`--proxy
haproxy`). Its raylet names the cluster's session folder (`/tmp/ray/session_…`), which every process of that cluster
carries on its command line. The cluster is stale when the process that started it (the raylet's parent: the
server's driver) is gone, or stopped and not running. Only that cluster's processes are stopped, never another
cluster of this machine (`ray stop --force` would stop them all).

An HAProxy can outlive its cluster: `kill -9` of the server's process group and `ray stop --force` end every Ray
process, not it (Ray's stop does not know it), and it keeps the port. (Its manager, a Ray worker, sometimes stops
it on the way out after its raylet died, and sometimes is killed first: whether one is left is a race.) Whose parent is gone is an orphan: it can
answer nothing (its ingress is gone) and is stopped too, with every other orphaned Serve HAProxy of the machine.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import psutil

from segchat.faces.cluster.haproxy import HAPROXY_BINARY_MARK

SESSION = re.compile(r"/session_\d{4}-\d{2}-\d{2}_[\w.-]+?(?=/|$|\s)")
STOP_WAIT_S = 10


@dataclass
class RayCluster:
    session: str  # the session folder's name: what its processes' command lines share
    raylet: psutil.Process
    driver_alive: bool
    what: str = "a Ray cluster"

    def processes(self) -> list[psutil.Process]:
        """The cluster's processes: the raylet's descendants and every process naming the session folder, and the
        orphaned HAProxies (killing its Ray worker leaves the HAProxy it started)."""
        found = {self.raylet.pid: self.raylet}
        try:
            found.update({child.pid: child for child in self.raylet.children(recursive=True)})
        except psutil.Error:
            pass
        for process in psutil.process_iter(["cmdline"]):
            if self.session in " ".join(process.info["cmdline"] or []):
                found[process.pid] = process
        found.update({process.pid: process for process in orphaned_haproxies()})
        return list(found.values())

    def stop(self) -> None:
        """SIGKILL every process of the cluster, again until none is left: a raylet killed a moment after it started
        a worker (Serve's proxy coming back) leaves that worker to be found on the next pass."""
        kill_until_none_left(self.processes)


@dataclass
class OrphanedHaproxy:
    """Serve's HAProxy on the port after its cluster is gone (see above): nothing of it is alive to ask."""

    process: psutil.Process
    driver_alive: bool = False
    what: str = "Ray Serve's HAProxy"

    @property
    def session(self) -> str:
        return f"HAProxy pid {self.process.pid}, its cluster gone"

    def stop(self) -> None:
        kill_until_none_left(orphaned_haproxies)


def kill_until_none_left(find) -> None:
    deadline = time.monotonic() + STOP_WAIT_S
    while time.monotonic() < deadline:
        processes = [p for p in find() if _running(p)]
        if not processes:
            return
        for process in processes:
            try:
                process.kill()  # a stale cluster's processes owe us no clean shutdown
            except psutil.Error:
                pass
        psutil.wait_procs(processes, timeout=2)


def orphaned_haproxies() -> list[psutil.Process]:
    return [process for process in psutil.process_iter() if is_orphaned_haproxy(process)]


def is_orphaned_haproxy(process: psutil.Process) -> bool:
    """A Serve HAProxy whose Ray worker is gone: its parent is no longer a Ray process (it was handed to init, or
    to a container's reaper)."""
    if HAPROXY_BINARY_MARK not in command_of(process):
        return False
    try:
        parent = process.parent()
    except psutil.Error:
        return False
    return parent is None or "ray::" not in command_of(parent)


def listener_on(port: int) -> psutil.Process | None:
    """The process listening on `port`. A socket can be briefly without one (HAProxy hands its listening socket to
    the process that replaces it at a reload), so every listener is looked at, not only the first."""
    for connection in psutil.net_connections(kind="tcp"):
        if connection.laddr and connection.laddr.port == port and connection.status == psutil.CONN_LISTEN:
            try:
                if connection.pid:
                    return psutil.Process(connection.pid)
            except psutil.Error:
                continue
    return None


def command_of(process: psutil.Process | None) -> str:
    try:
        return " ".join(process.cmdline()) if process is not None else ""
    except psutil.Error:
        return ""


def ray_cluster_of(process: psutil.Process) -> RayCluster | OrphanedHaproxy | None:
    """The local Ray cluster `process` belongs to (it, or an ancestor, is the raylet), an orphaned Serve HAProxy,
    or None when it is neither."""
    try:
        lineage = [process, *process.parents()]
    except psutil.Error:
        return None
    raylet = next((p for p in lineage if "raylet" in command_of(p)), None)
    if raylet is None:
        return OrphanedHaproxy(process) if is_orphaned_haproxy(process) else None
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
