"""The segmenter as a service (what a Ray Serve replica runs) and the agent's segmenter over it, without Ray: the
same answers as the segmenter in this process, the replica's counters, and an agent turn over the remote path."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from segchat.agent.core import Agent
from segchat.agent.serving.store import SessionStore
from segchat.contracts.errors import BadRequestError
from segchat.parser.offline import OfflineParser
from segchat.segmenter.base import EmbeddingHandle, EmbeddingMissingError
from segchat.segmenter.predictor import Sam3Segmenter
from segchat.segmenter.remote import LocalTransport, RemoteSegmenter
from segchat.segmenter.service import FindCall, SegmenterService
from segchat.segmenter.prompts import Exemplar, Prompt


def picture(seed: int) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 255, (40, 56, 3), dtype=np.uint8))


def signature(groups):
    return [[(i.phrase, round(i.score, 5), i.mask.box()) for i in group] for group in groups]


@pytest.fixture()
def fresh(tiny_checkpoint):
    """A segmenter of its own: the counters start at zero."""
    return Sam3Segmenter.from_pretrained(str(tiny_checkpoint))


def test_the_remote_path_answers_as_the_segmenter_in_this_process(fresh, tiny_segmenter):
    remote = RemoteSegmenter(LocalTransport(SegmenterService(fresh)))
    image = picture(1)
    prompts = ["cat", Prompt("dog", (Exemplar((2.0, 3.0, 20.0, 30.0)),)), "red ball"]
    handle, held = remote.embed(image)
    assert not held and handle.size == (40, 56)
    local_handle, _ = tiny_segmenter.embed(image)
    assert handle.key == local_handle.key
    assert signature(remote.find_each(handle, prompts, image=image, threshold=0.0)) == signature(
        tiny_segmenter.find_each(local_handle, prompts, threshold=0.0))
    assert remote.source == str(fresh.source) and remote.default_threshold == fresh.default_threshold


def test_the_replica_counts_a_follow_up_as_a_hit_and_embeds_once(fresh):
    service = SegmenterService(fresh, name="r1")
    remote = RemoteSegmenter(LocalTransport(service))
    first, second = picture(2), picture(3)
    timings: dict[str, float] = {}
    for image in (first, first, first, second):
        handle, _ = remote.embed(image)
        remote.find_each(handle, ["cat"], image=image, threshold=0.0, timings=timings)
    stats = service.stats()
    assert (stats.finds, stats.cache_hits, stats.cache_misses, stats.embeds) == (4, 2, 2, 2)
    assert stats.cached_images == 2 and stats.busy_ms > 0
    up, replicas = remote.replica_stats()
    assert up == 1 and [s.replica for s in replicas] == ["r1"] and replicas[0].finds == 4
    assert timings["embed"] > 0 and timings["decode"] > 0


def test_several_calls_in_one_batch_each_get_their_own_answer(fresh, tiny_segmenter):
    service = SegmenterService(fresh)
    images = [picture(4), picture(5)]
    calls = [FindCall(tiny_segmenter.embed(im)[0].key, np.asarray(im), (Prompt(p),), 0.0)
             for im, p in zip(images, ["cat", "dog"])]
    answers = service.find_many(calls)
    for image, phrase, answer in zip(images, ["cat", "dog"], answers):
        handle, _ = tiny_segmenter.embed(image)
        assert signature(answer.instances) == signature(tiny_segmenter.find_each(handle, [phrase], threshold=0.0))
    assert service.stats().batches == 1 and service.stats().finds == 2


def test_a_call_naming_another_image_is_refused(fresh):
    service = SegmenterService(fresh)
    with pytest.raises(ValueError, match="not"):
        service.find(FindCall("0" * 64, np.asarray(picture(6)), (Prompt("cat"),)))


def test_a_find_without_the_image_works_while_the_image_is_at_hand_and_says_so_after(fresh):
    remote = RemoteSegmenter(LocalTransport(SegmenterService(fresh)))
    handle, _ = remote.embed(picture(7))
    assert len(remote.find_each(handle, ["cat", "dog"], threshold=0.0)) == 2  # no image given: the one at hand
    with pytest.raises(EmbeddingMissingError):
        remote.find_each(EmbeddingHandle("f" * 64, (4, 4)), ["cat"])


def test_an_agent_over_the_remote_segmenter_answers_and_reports_its_replica(fresh, tiny_segmenter, tmp_path):
    remote = RemoteSegmenter(LocalTransport(SegmenterService(fresh, name="only")))
    over_remote = Agent(remote, OfflineParser(), SessionStore(tmp_path / "a"), threshold=0.0)
    in_process = Agent(tiny_segmenter, OfflineParser(), SessionStore(tmp_path / "b"), threshold=0.0)
    image = picture(8)
    one = over_remote.turn("the cats", image).result
    two = in_process.turn("the cats", image).result
    assert [(i.label, i.box) for i in one.instances] == [(i.label, i.box) for i in two.instances]
    stats = over_remote.segmenter_stats()
    assert stats.replicas_up == 1 and stats.replicas[0].replica == "only" and stats.replicas[0].finds >= 1
    assert over_remote.status().segmenter_replicas == 1
    with pytest.raises(BadRequestError, match="detect"):
        over_remote.tracker("sam3")
    assert type(over_remote.tracker("auto")).__name__ == "DetectTracker"
