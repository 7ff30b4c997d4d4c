"""Concurrent clients for the load benches: the same worker in N threads, timed together."""

from __future__ import annotations

import threading
import time
from typing import Callable


def run_clients(worker: Callable[[], None], clients: int) -> float:
    """Run `worker` in `clients` threads at once; the wall-clock seconds until the last one returns."""
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started
