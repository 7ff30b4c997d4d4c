"""Batching across requests: concurrent finds share forwards and get exactly what they would get alone."""

from __future__ import annotations

import threading

import numpy as np
from PIL import Image

from segchat.segmenter import batching
from segchat.segmenter.batching import CrossRequestBatcher
from segchat.segmenter.prompts import Exemplar, Prompt


def images(n: int) -> list[Image.Image]:
    return [Image.fromarray(np.random.default_rng(i).integers(0, 255, (60, 80, 3), dtype=np.uint8)) for i in range(n)]


def signature(groups) -> list[list[tuple]]:
    return [[(i.phrase, round(i.score, 5), i.box, i.area) for i in group] for group in groups]


def test_concurrent_requests_share_forwards_and_get_their_own_answers(tiny_segmenter):
    batcher = CrossRequestBatcher(tiny_segmenter, wait_s=0.05, max_rows=16)
    requests = [(tiny_segmenter.embed(image)[0], prompts) for image, prompts in zip(images(6), [
        ["cat"], ["dog", "cup"], [Prompt("", (Exemplar((5, 5, 30, 30)),))], ["cat", "tree"],
        [Prompt("red car", (Exemplar((10, 10, 40, 50), positive=False),))], ["person"]])]
    alone = [signature(tiny_segmenter.find_each(e, p, threshold=0.0)) for e, p in requests]
    together: dict[int, list] = {}
    barrier = threading.Barrier(len(requests))

    def call(number: int) -> None:
        embedding, prompts = requests[number]
        barrier.wait()
        together[number] = signature(batcher.find_each(embedding, prompts, threshold=0.0))

    threads = [threading.Thread(target=call, args=(n,)) for n in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [together[n] for n in range(len(requests))] == alone
    assert batcher.stats.requests == 6 and batcher.stats.batches < 6  # they met


def test_one_image_many_prompts_through_the_batcher_equals_the_segmenter(tiny_segmenter):
    embedding, _ = tiny_segmenter.embed(images(1)[0])
    prompts = ["cat", "dog", "cup", "tree", "car", "bus", "person", "bird", "sofa", "tv"]
    batcher = CrossRequestBatcher(tiny_segmenter, wait_s=0.0, max_rows=3)
    assert signature(batcher.find_each(embedding, prompts, threshold=0.0)) == \
        signature(tiny_segmenter.find_each(embedding, prompts, threshold=0.0))


def test_an_error_reaches_every_waiter_and_the_batcher_recovers(tiny_segmenter, monkeypatch):
    embedding, _ = tiny_segmenter.embed(images(1)[0])
    batcher = CrossRequestBatcher(tiny_segmenter, wait_s=0.0)

    def broken(segmenter, rows):
        raise RuntimeError("the model fell over")

    monkeypatch.setattr(batching, "_forward", broken)
    try:
        batcher.find_each(embedding, ["cat"])
        raise AssertionError("no error")
    except RuntimeError as exc:
        assert "fell over" in str(exc)
    monkeypatch.undo()
    assert batcher.find_each(embedding, ["cat"], threshold=0.0)  # the next batch runs
