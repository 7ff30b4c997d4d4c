"""An LRU cache of image embeddings bounded by a byte budget (or, with a size of 1 per item, by a count)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, TypeVar

Value = TypeVar("Value")


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    evictions: int = 0


class ByteBudgetLRU(Generic[Value]):
    """Keeps the most recently used values whose sizes add up to at most `budget_bytes`.

    A value larger than the whole budget is not stored at all (it would evict everything for nothing).
    """

    def __init__(self, budget_bytes: int) -> None:
        self.budget_bytes = budget_bytes
        self._items: OrderedDict[str, tuple[Value, int]] = OrderedDict()
        self._used = 0
        self._lock = threading.Lock()
        self.stats = CacheStats()

    @property
    def used_bytes(self) -> int:
        return self._used

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: str) -> bool:
        return key in self._items

    def get(self, key: str) -> Value | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.stats.misses += 1
                return None
            self._items.move_to_end(key)
            self.stats.hits += 1
            return item[0]

    def peek(self, key: str) -> Value | None:
        """The value, without counting a hit or a miss: the stats count the encoder runs that `get` saved, and the
        find step looking up what the embed step just made saves none."""
        with self._lock:
            item = self._items.get(key)
            return None if item is None else item[0]

    def put(self, key: str, value: Value, size_bytes: int) -> bool:
        """Store `value`; False when it is larger than the whole budget and was not stored."""
        with self._lock:
            if key in self._items:
                self._used -= self._items.pop(key)[1]
            if size_bytes > self.budget_bytes:
                return False
            while self._items and self._used + size_bytes > self.budget_bytes:
                _, (_, evicted_size) = self._items.popitem(last=False)
                self._used -= evicted_size
                self.stats.evictions += 1
            self._items[key] = (value, size_bytes)
            self._used += size_bytes
            return True

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._used = 0
