"""A circuit breaker for the LLM: after a few failures in a row the offline parser answers at once for a while,
instead of every turn waiting for a timeout or a model that keeps writing invalid plans."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass
class CircuitBreaker:
    """Stops calling the LLM after `failures` failures in a row; tries it again after `cooldown_s`."""

    failures: int = 3
    cooldown_s: float = 60.0
    # the breaker's own state, never a constructor argument
    last_failure: str = field(default="", init=False)  # why the last call failed: said when the breaker is open
    _count: int = field(default=0, init=False, repr=False)
    _open_until: float = field(default=0.0, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def allow(self) -> bool:
        with self._lock:
            return time.monotonic() >= self._open_until

    def seconds_left(self) -> float:
        """How long the LLM stays paused (0 when it may be called)."""
        with self._lock:
            return max(0.0, self._open_until - time.monotonic())

    def record(self, ok: bool, why: str = "") -> None:
        with self._lock:
            if ok:
                self._count = 0
                return
            self._count += 1
            self.last_failure = why or self.last_failure
            if self._count >= self.failures:
                self._open_until = time.monotonic() + self.cooldown_s
                self._count = 0
                log.warning("the LLM failed %d times in a row (last: %s): not calling it for %.0f s",
                            self.failures, self.last_failure, self.cooldown_s)
