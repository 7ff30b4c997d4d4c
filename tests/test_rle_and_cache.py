from __future__ import annotations

import numpy as np
import pytest

from segchat.segmenter.cache import ByteBudgetLRU
from segchat.segmenter.rle import mask_box, mask_to_rle, rle_to_mask


@pytest.mark.parametrize("shape", [(1, 1), (7, 13), (480, 640)])
def test_rle_round_trip(shape):
    rng = np.random.default_rng(sum(shape))
    for mask in [rng.random(shape) > 0.5, np.zeros(shape, bool), np.ones(shape, bool)]:
        rle = mask_to_rle(mask)
        assert rle["size"] == list(shape) and isinstance(rle["counts"], str)
        assert np.array_equal(rle_to_mask(rle), mask)


def test_rle_accepts_uncompressed_counts():
    mask = np.zeros((3, 4), bool)
    mask[1, 2] = True  # column-major: index 2*3+1 = 7
    assert np.array_equal(rle_to_mask({"size": [3, 4], "counts": [7, 1, 4]}), mask)


def test_mask_box():
    mask = np.zeros((10, 10), bool)
    mask[2:5, 3:8] = True
    assert mask_box(mask) == (3.0, 2.0, 8.0, 5.0)
    assert mask_box(np.zeros((4, 4), bool)) == (0.0, 0.0, 0.0, 0.0)


def test_cache_hit_miss_and_eviction():
    cache: ByteBudgetLRU[str] = ByteBudgetLRU(100)
    assert cache.get("a") is None and cache.stats.misses == 1
    cache.put("a", "A", 40)
    cache.put("b", "B", 40)
    assert cache.get("a") == "A" and cache.stats.hits == 1  # a is now most recent
    cache.put("c", "C", 40)  # over budget: evicts the least recent, b
    assert "b" not in cache and "a" in cache and "c" in cache
    assert cache.used_bytes == 80 and cache.stats.evictions == 1


def test_cache_refuses_an_item_larger_than_the_budget():
    cache: ByteBudgetLRU[str] = ByteBudgetLRU(10)
    cache.put("a", "A", 5)
    cache.put("big", "X", 11)
    assert "big" not in cache and "a" in cache


def test_cache_replacing_a_key_keeps_accounting():
    cache: ByteBudgetLRU[str] = ByteBudgetLRU(10)
    cache.put("a", "A", 6)
    cache.put("a", "A2", 8)
    assert cache.used_bytes == 8 and cache.get("a") == "A2"
