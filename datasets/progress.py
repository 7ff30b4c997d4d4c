"""Progress of a dataset run on stderr, and the summary table at its end.

A terminal gets a tqdm bar (images done, images/s, ETA, instances, failures); a log file or a CI console gets a
plain line every `interval_s` seconds instead, which stays readable when captured.
"""

from __future__ import annotations

import sys
import time
from typing import IO

from segchat.datasets.records import ImageRecord


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


class Progress:
    """Counts records as they arrive. `already_done`: images finished by an earlier invocation (a resume)."""

    def __init__(self, total: int, *, already_done: int = 0, stream: IO[str] | None = None,
                 interval_s: float = 10.0, enabled: bool = True) -> None:
        self.total = total
        self.already_done = already_done
        self.stream = stream if stream is not None else sys.stderr
        self.interval_s = interval_s
        self.done = 0  # in this invocation
        self.instances = 0
        self.failed = 0
        self.started = time.perf_counter()
        self.first_result: float | None = None  # the models load before it: the rate is measured from it
        self._last_line = self.started
        self._bar = None
        self._terminal = enabled and getattr(self.stream, "isatty", lambda: False)()
        self.enabled = enabled

    def _open_bar(self) -> None:
        # opened at the first result, not before: the workers load their models first, and a bar started then
        # would count the loading time into every image's rate and ETA
        from tqdm import tqdm

        self._bar = tqdm(total=self.total, initial=self.already_done, unit="img", file=self.stream,
                         dynamic_ncols=True, desc="annotate", smoothing=0.1)

    def update(self, record: ImageRecord) -> None:
        now = time.perf_counter()
        if self.first_result is None:
            self.first_result = now
        self.done += 1
        self.instances += len(record.annotations)
        self.failed += record.status == "error"
        if self._terminal and self._bar is None:
            self._open_bar()
        if self._bar is not None:
            self._bar.set_postfix(instances=self.instances, failed=self.failed, refresh=False)
            self._bar.update(1)
        elif self.enabled and now - self._last_line >= self.interval_s:
            self._last_line = now
            self.stream.write(self.line() + "\n")
            self.stream.flush()

    @property
    def elapsed_s(self) -> float:
        return time.perf_counter() - self.started

    def rate(self) -> float:
        """Images per second in this invocation, counted from the first result (model loading excluded); with
        one result only, from the start."""
        if self.done == 0:
            return 0.0
        if self.first_result is None or self.done == 1:
            return self.done / max(self.elapsed_s, 1e-9)
        return (self.done - 1) / max(time.perf_counter() - self.first_result, 1e-9)

    def line(self) -> str:
        finished = self.already_done + self.done
        rate = self.rate()
        left = self.total - finished
        eta = _duration(left / rate) if rate > 0 and self.done >= 2 else "?"  # one result: the rate is load time
        percent = 100.0 * finished / self.total if self.total else 100.0
        return (f"annotate: {finished}/{self.total} images ({percent:.0f}%), {rate:.2f} images/s, ETA {eta}, "
                f"{self.instances} instances, {self.failed} failed")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self.enabled and self.done:
            self.stream.write(self.line() + "\n")
            self.stream.flush()


def summary_table(rows: list[tuple[str, str]]) -> str:
    """Two aligned columns, for the end of a run."""
    width = max(len(name) for name, _ in rows)
    rule = "-" * (width + 2 + max(len(value) for _, value in rows))
    return "\n".join([rule, *(f"{name:<{width}}  {value}" for name, value in rows), rule])
