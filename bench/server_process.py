"""Starting `python serve.py` as a real process on a free loopback port, for the server tests and benchmarks (and an
ASGI app in a thread of this process, for tests that need its objects at hand)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """`serve.py` of `repo` (this checkout, or another one such as a worktree of an older commit, whose `segchat`
    then comes first on the import path) on a free loopback port."""

    def __init__(self, *args: str, env: dict[str, str] | None = None, data_dir: Path, repo: Path = REPO,
                 port: int | None = None, own_process_group: bool = False) -> None:
        self.port = port or free_port()
        self.own_process_group = own_process_group  # so that a test can kill -9 the server and all it started
        self.url = f"http://127.0.0.1:{self.port}"
        self.repo = Path(repo)
        self.args = [sys.executable, str(self.repo / "serve.py"), "--port", str(self.port), "--data-dir",
                     str(data_dir), *args]
        self.env = {**os.environ, **(env or {})}
        if self.repo != REPO:  # ahead of this checkout's editable install
            self.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(self.repo), self.env.get("PYTHONPATH")]))
        self.process: subprocess.Popen | None = None
        self.log_path = Path(data_dir) / f"server-{self.port}.log"

    def start(self, timeout: float = 180.0, headers: dict[str, str] | None = None) -> "ServerProcess":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(self.args, cwd=self.repo, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
                                        start_new_session=self.own_process_group)
        return self.wait_for(lambda: httpx.get(self.url + "/healthz", timeout=2, headers=headers).status_code
                             in (200, 401), timeout, "server did not come up", poll_s=0.5)

    def wait_for(self, is_up, timeout: float, failure: str, poll_s: float) -> "ServerProcess":
        """Poll `is_up()` (an HTTP error counts as not yet) until it holds; a server that exits or a timeout is a
        RuntimeError with the server's log (and the server stopped)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: {self.log()}")
            try:
                if is_up():
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(poll_s)
        self.stop()
        raise RuntimeError(f"{failure}: {self.log()}")

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def stop(self, kill: bool = False) -> None:
        if self.process and self.process.poll() is None:
            if kill:
                self.process.kill()
            else:
                self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if hasattr(self, "_log"):
            self._log.close()

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class ClusterProcess(ServerProcess):
    """`serve.py --ray …` (a local Ray cluster): started like the single process, ready once `replicas` segmenter
    replicas are up; stopped with SIGTERM, then whatever a local cluster could leave behind is stopped too (`ray stop
    --force`: every Ray process of this machine, so never while another cluster is in use here)."""

    def __init__(self, *args: str, replicas: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.replicas = replicas

    def start(self, timeout: float = 300.0, headers: dict[str, str] | None = None) -> "ClusterProcess":
        super().start(timeout, headers)

        def replicas_up() -> bool:  # /healthz answers from the ingress; the replicas may still be loading
            ready = httpx.get(self.url + "/readyz", timeout=10, headers=headers)
            return ready.status_code == 200 and ready.json()["segmenter_replicas"] == self.replicas

        return self.wait_for(replicas_up, timeout, "the segmenter replicas did not come up", poll_s=1)

    def stop(self, kill: bool = False) -> None:
        try:
            super().stop(kill)
        finally:
            stop_local_ray()


def stop_local_ray() -> None:
    subprocess.run([str(Path(sys.executable).with_name("ray")), "stop", "--force"], capture_output=True, timeout=120)


class AppServer:
    """An ASGI app served by uvicorn in a thread of this process, on a free loopback port: for tests that need the
    app's own objects at hand (the agent's work queue, say) while real HTTP requests come in."""

    def __init__(self, app) -> None:
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, name="app-server", daemon=True)

    def __enter__(self) -> "AppServer":
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the in-process server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
