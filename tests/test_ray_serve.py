"""`serve.py --demo --offline --ray --replicas 2`: a real local Ray cluster with two segmenter replicas (one torch
thread each), against the single-process server: the same answers over REST and MCP, follow-ups that reach the
replica holding their image, and nothing lost when a replica's process is killed (an image turn, a video job).

Kept to a few minutes on 2 cores: one cluster for the module, small shapes images.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import signal
import statistics
import threading
import time

import httpx
import numpy as np
import pytest

from bench.server_process import ClusterProcess, ServerProcess
from segchat.agent.serving.store import SessionStore
from segchat.lab.moving import sample_video, write_video
from segchat.lab.render import render_scene

pytest.importorskip("ray.serve")

CONVERSATION = ("all the red shapes", "only the circles", "and the blue squares too")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    server = ClusterProcess("--demo", "--offline", "--ray", "--replicas", "2", "--replica-threads", "1",
                            replicas=2, data_dir=tmp_path_factory.mktemp("cluster-data"))
    with server:
        yield server


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    with ServerProcess("--demo", "--offline", data_dir=tmp_path_factory.mktemp("single-data")) as server:
        yield server


def scene_png(seed: int, objects: list[tuple[str, str]] | None = None) -> str:
    scene = render_scene(np.random.default_rng(seed), size=(240, 320), diameter_range=(50, 100), max_objects=6,
                         objects=objects)
    buffer = io.BytesIO()
    scene.image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def converse(client: httpx.Client, image: str, turns=CONVERSATION) -> list[dict]:
    answers = []
    session = None
    for index, instruction in enumerate(turns):
        body = {"instruction": instruction, **({"image": image} if index == 0 else {"session": session})}
        response = client.post("/v1/segment", json=body)
        assert response.status_code == 200, response.text
        answers.append(response.json())
        session = answers[-1]["session"]
    return answers


def same_answer(one: dict, other: dict) -> None:
    """Same labels, boxes within 2 px, scores within 1e-3 (ids, sessions and timings aside)."""
    assert [i["label"] for i in one["instances"]] == [i["label"] for i in other["instances"]]
    for a, b in zip(one["instances"], other["instances"]):
        assert max(abs(x - y) for x, y in zip(a["box"], b["box"])) <= 2
        assert abs(a["score"] - b["score"]) <= 1e-3
    assert one["explanation"] == other["explanation"]


def replica_totals(client: httpx.Client) -> dict[str, int]:
    replicas = client.get("/v1/stats").json()["replicas"]
    return {name: sum(r[name] for r in replicas) for name in ("finds", "cache_hits", "cache_misses")}


def test_the_cluster_answers_as_the_single_process_over_rest_and_mcp(cluster, single):
    with httpx.Client(base_url=cluster.url, timeout=120) as on_ray, \
            httpx.Client(base_url=single.url, timeout=120) as alone:
        for seed in range(4):
            image = scene_png(100 + seed)
            for ray_answer, one_answer in zip(converse(on_ray, image), converse(alone, image)):
                same_answer(ray_answer, one_answer)
    image = scene_png(200, objects=[("green", "star"), ("red", "circle"), ("green", "square"), ("blue", "triangle")])
    over_mcp = [asyncio.run(mcp_segment(server.url, image, "所有的绿色形状")) for server in (cluster, single)]
    same_answer(*over_mcp)
    assert over_mcp[0]["instances"], "the MCP answer found nothing to compare"


async def mcp_segment(url: str, image: str, instruction: str) -> dict:
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async with streamable_http_client(url + "/mcp/") as (read, write, *_):
        async with ClientSession(read, write) as session:
            await session.initialize()
            result = await session.call_tool("segment_image", {"image": image, "instruction": instruction})
    assert not result.is_error, result.content
    return json.loads(result.content[1].text)


def test_follow_ups_reach_the_replica_that_holds_their_image(cluster):
    first_embed, follow_embed, follow_ups_that_found, hits = [], [], 0, 0
    with httpx.Client(base_url=cluster.url, timeout=120) as client:
        for seed in range(40):
            session = None
            for index, instruction in enumerate(CONVERSATION):
                before = replica_totals(client)
                body = {"instruction": instruction,
                        **({"image": scene_png(1000 + seed)} if index == 0 else {"session": session})}
                answer = client.post("/v1/segment", json=body).json()
                session = answer["session"]
                after = replica_totals(client)
                if index == 0:
                    first_embed.append(answer["timings_ms"]["embed"])
                elif after["finds"] > before["finds"]:  # a follow-up that asked the segmenter
                    follow_ups_that_found += 1
                    hits += after["cache_misses"] == before["cache_misses"]
                    follow_embed.append(answer["timings_ms"]["embed"])
        replicas = client.get("/v1/stats").json()["replicas"]
    assert follow_ups_that_found >= 60, follow_ups_that_found
    assert hits / follow_ups_that_found >= 0.95, (hits, follow_ups_that_found)
    assert statistics.median(follow_embed) <= 0.25 * statistics.median(first_embed), (follow_embed, first_embed)
    # both replicas served: the hash ring spreads the images, it does not send them all to one replica
    assert len([r for r in replicas if r["finds"] >= 10]) == 2, replicas


def replica_finds(client: httpx.Client) -> dict[str, int]:
    return {r["replica"]: r["finds"] for r in client.get("/v1/stats").json()["replicas"]}


def busiest_replica(client: httpx.Client) -> dict:
    up = client.get("/v1/stats").json()["replicas"]
    return max(up, key=lambda r: r["finds"])


def test_a_replica_killed_mid_call_costs_no_turn(cluster):
    """Turns keep both replicas busy while one replica's process is killed (as under ray.kill or the OOM killer):
    the calls it had in flight are sent again to the other one, the follow-ups on its images are embedded again
    there, and every turn is answered and stored."""
    with httpx.Client(base_url=cluster.url, timeout=180) as client:
        wait_for_replicas(client, 2)
        sessions = [client.post("/v1/segment", json={"image": scene_png(300 + i), "instruction": "all the shapes"}
                                ).json()["session"] for i in range(4)]
        victim = busiest_replica(client)
        answers: list[int] = []

        def turns(index: int) -> None:
            with httpx.Client(base_url=cluster.url, timeout=180) as own:
                for round_ in range(3):
                    body = ({"session": sessions[index % 4], "instruction": CONVERSATION[1 + round_ % 2]}
                            if index % 2 else {"image": scene_png(400 + 10 * index + round_),
                                               "instruction": "all the red shapes"})
                    answers.append(own.post("/v1/segment", json=body).status_code)

        workers = [threading.Thread(target=turns, args=(i,)) for i in range(6)]
        for worker in workers:
            worker.start()
        time.sleep(0.4)  # the replicas are answering now
        os.kill(victim["pid"], signal.SIGKILL)
        for worker in workers:
            worker.join()
        assert answers == [200] * 18, answers
        for session in sessions[1::2]:  # the follow-ups are all there
            assert len(client.get(f"/v1/sessions/{session}").json()["turns"]) >= 4
        wait_for_replicas(client, 2)  # Serve starts a new replica in its place


def wait_for_replicas(client: httpx.Client, count: int, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready = client.get("/readyz")
        if ready.status_code == 200 and ready.json()["segmenter_replicas"] == count:
            return
        time.sleep(1)
    raise AssertionError(f"not {count} replicas up: {client.get('/readyz').text}")


def test_a_video_job_whose_replica_is_killed_is_finished_by_the_other_one_once(cluster, tmp_path):
    truth = write_video(sample_video(np.random.default_rng(11), frames=30, size=(120, 160)), tmp_path,
                        formats=("mp4",))
    with httpx.Client(base_url=cluster.url, timeout=180) as client:
        wait_for_replicas(client, 2)
        job = client.post("/v1/jobs", files={"video": ("v.mp4", (tmp_path / "video.mp4").read_bytes(), "video/mp4")},
                          data={"instruction": "every shape"}).json()["job"]
        deadline = time.monotonic() + 120
        while client.get(f"/v1/jobs/{job}").json()["frames_done"] < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        before = replica_finds(client)
        victim = busiest_replica(client)
        os.kill(victim["pid"], signal.SIGKILL)
        deadline = time.monotonic() + 400
        while (state := client.get(f"/v1/jobs/{job}").json())["state"] in ("queued", "running"):
            assert time.monotonic() < deadline, state
            time.sleep(0.5)
        assert state["state"] == "done", state
        assert state["frames_done"] == state["frames_total"] == truth.frames
        result = state["result"]
        assert len(result["frames"]) == truth.frames and result["objects"]
        # Serve's controller notices the death on its own loop, so a job finished by the other replica can be done
        # before the victim leaves the list: wait for it to leave (its successor starts from zero)
        deadline = time.monotonic() + 120
        while victim["replica"] in (after := replica_finds(client)):
            assert time.monotonic() < deadline, f"the killed replica {victim['replica']} is still listed: {after}"
            time.sleep(0.5)
        store = SessionStore(cluster.log_path.parent)
        try:  # run once: claimed by one worker, never run a second time
            assert store.job(job).attempts == 1
        finally:
            store.close()
        # the frames after the kill were answered by the replicas still up
        assert sum(after.values()) - sum(before.get(name, 0) for name in after) > 0, (before, after)
