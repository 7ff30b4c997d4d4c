"""The bounded work queue in front of the model: one job runs at a time, a few wait, the rest are told to retry."""

from __future__ import annotations

import threading
from typing import Callable, TypeVar

from segchat.contracts.errors import QueueFullError
from segchat.contracts.results import QueueCounts

Result = TypeVar("Result")


class WorkQueue:
    """At most `concurrency` jobs run at once (their model calls still take turns, and their prompts may share a
    forward); at most `size` wait. Past that: QueueFullError (503)."""

    def __init__(self, size: int, wait_timeout_s: float = 120.0, concurrency: int = 1) -> None:
        self.size = size
        self.wait_timeout_s = wait_timeout_s
        self._run_lock = threading.BoundedSemaphore(max(1, concurrency))
        self._guard = threading.Lock()
        self.stats = QueueCounts(running=0, waiting=0, served=0, rejected=0)  # changed under `_guard`

    def run(self, job: Callable[..., Result], *args, **kwargs) -> Result:
        with self._guard:
            if self.stats.waiting >= self.size:
                self.stats.rejected += 1
                raise QueueFullError(f"the server is busy ({self.stats.waiting} requests waiting); try again shortly")
            self.stats.waiting += 1
        acquired = self._run_lock.acquire(timeout=self.wait_timeout_s)
        with self._guard:
            self.stats.waiting -= 1
            if acquired:
                self.stats.running += 1
            else:
                self.stats.rejected += 1
        if not acquired:
            raise QueueFullError("the server is busy and the request waited too long; try again shortly")
        try:
            return job(*args, **kwargs)
        finally:
            with self._guard:
                self.stats.running -= 1
                self.stats.served += 1
            self._run_lock.release()


class KeyedLocks:
    """One lock per key (a session id), freed when nobody holds or waits for it: the table does not grow with the
    number of sessions ever seen."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    def __len__(self) -> int:
        return len(self._locks)

    def hold(self, key: str) -> "_Held":
        return _Held(self, key)

    def _acquire(self, key: str) -> threading.Lock:
        with self._guard:
            lock, users = self._locks.get(key, (None, 0))
            if lock is None:
                lock = threading.Lock()
            self._locks[key] = (lock, users + 1)
        lock.acquire()
        return lock

    def _release(self, key: str) -> None:
        with self._guard:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)
        lock.release()


class _Held:
    def __init__(self, table: KeyedLocks, key: str) -> None:
        self.table, self.key = table, key

    def __enter__(self) -> None:
        self.table._acquire(self.key)

    def __exit__(self, *exc) -> None:
        self.table._release(self.key)
