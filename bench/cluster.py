"""segchat on Ray Serve against itself and against one process, in one run (ratios, not absolute times):

- throughput: 1 vs 2 segmenter replicas (1 torch thread each), `clients` concurrent clients posting first turns on
  fresh images (the encoder's work, which the replicas share out), with each replica's own busy time, behind each
  proxy (`--proxy haproxy`, the default, and Serve's Python proxy);
- affinity: follow-ups routed by the image's content key (consistent hash) vs Ray Serve's default router: the share
  of follow-ups whose embedding was held, and the follow-up's latency;
- overhead: one client, cached follow-ups, the single-process server vs Ray Serve with one replica (each proxy);
- full size: the embed (a miss) and the find on a held embedding (a hit) of `Sam3Config()` with random weights in
  this process, and the follow-up latency each router's hit share implies.

    .venv/bin/python -m bench.cluster                     # everything; results in bench/results/cluster.{json,md}
    .venv/bin/python -m bench.cluster --skip-full-size    # the demo model only

Every server is a real `serve.py` process on a free loopback port; the clusters are local Ray clusters (never run
this beside another Ray cluster on the same machine: each is stopped with `ray stop --force`).
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from bench.clients import run_clients
from bench.server_process import ClusterProcess, ServerProcess
from segchat.faces.cluster.haproxy import HAPROXY_BINARY_MARK
from segchat.lab.render import render_scene

RESULTS = Path(__file__).resolve().parent / "results"
FOLLOW_UPS = ("only the circles", "and the blue squares too")
PROXIES = ("haproxy", "python")


def scene_png(seed: int) -> str:
    scene = render_scene(np.random.default_rng(seed), size=(360, 480), diameter_range=(50, 110), max_objects=7)
    buffer = io.BytesIO()
    scene.image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def replica_totals(client: httpx.Client) -> dict[str, float]:
    replicas = client.get("/v1/stats").json()["replicas"]
    return {name: sum(r[name] for r in replicas) for name in ("finds", "cache_hits", "cache_misses", "busy_ms")}


def cluster(replicas: int, data_dir: Path, *extra: str) -> ClusterProcess:
    return ClusterProcess("--demo", "--offline", "--ray", "--replicas", str(replicas), "--replica-threads", "1",
                          *extra, replicas=replicas, data_dir=data_dir)


# where the CPU goes on this machine, by process (Ray names its actors' processes `ray::<actor>`; the first role whose
# mark is on a command line takes the process: HAProxy's binary lies in a folder whose name says "ray")
CPU_ROLES = (("ingress", "IngressDeployment"), ("segmenter replicas", "SegmenterDeployment"),
             ("Serve proxy", "ProxyActor"), ("HAProxy", HAPROXY_BINARY_MARK), ("other Ray processes", "ray"))


def cpu_seconds_by_role() -> dict[str, float]:
    """CPU seconds (user + system) spent so far by the processes of each role, and by this process (the clients)."""
    import psutil

    spent = dict.fromkeys([role for role, _ in CPU_ROLES] + ["clients (this process)"], 0.0)
    me = os.getpid()
    for process in psutil.process_iter(["pid", "cmdline"]):
        try:
            times = process.cpu_times()
            command = " ".join(process.info["cmdline"] or [])
        except psutil.Error:
            continue
        role = "clients (this process)" if process.info["pid"] == me else next(
            (name for name, mark in CPU_ROLES if mark in command), None)
        if role is not None:
            spent[role] += times.user + times.system
    return spent


def first_turns(url: str, clients: int, requests: int, seed: int) -> dict:
    """`requests` first turns on distinct images from `clients` threads: requests a second, each replica's busy
    time over the wall time, and the CPU each kind of process spent a request."""
    images = [scene_png(seed + i) for i in range(requests)]
    latencies: list[float] = []
    lock = threading.Lock()
    next_index = iter(range(requests))

    def worker() -> None:
        with httpx.Client(base_url=url, timeout=300) as client:
            for index in iter(lambda: next(next_index, None), None):
                start = time.perf_counter()
                response = client.post("/v1/segment", json={"image": images[index], "instruction": "all the red shapes"})
                response.raise_for_status()
                with lock:
                    latencies.append(time.perf_counter() - start)

    with httpx.Client(base_url=url, timeout=60) as client:
        before = replica_totals(client)
        cpu_before = cpu_seconds_by_role()
        wall = run_clients(worker, clients)
        cpu_after = cpu_seconds_by_role()
        after = replica_totals(client)
        replicas = client.get("/v1/stats").json()["replicas"]
    return {"requests": requests, "wall_s": round(wall, 2), "per_s": round(requests / wall, 3),
            "p50_ms": round(statistics.median(latencies) * 1000, 1),
            "replica_busy_share": round((after["busy_ms"] - before["busy_ms"]) / 1000 / wall, 3),
            "busy_ms_per_request": round((after["busy_ms"] - before["busy_ms"]) / requests, 1),
            "replicas_answering": len(replicas),
            "cpu_ms_per_request": {role: round((cpu_after[role] - cpu_before[role]) * 1000 / requests, 1)
                                   for role in cpu_after}}


def bench_throughput(clients: int, requests: int, work: Path, proxy: str, pairs: int = 2, batches: int = 2) -> dict:
    """1 and 2 replicas in turn, `pairs` times (1, 2, 1, 2: this host's speed drifts by tens of percent within
    minutes, so one cluster of each, one after the other, compares two moments as much as two setups), `batches`
    measured batches of `requests` fresh images in each cluster. The ratio is of the medians over the batches."""
    runs: dict[int, list[list[dict]]] = {1: [], 2: []}
    for pair in range(pairs):
        for replicas in (1, 2):
            with cluster(replicas, work / f"throughput-{proxy}-{replicas}-{pair}", "--proxy", proxy) as server:
                first_turns(server.url, clients, 2 * clients, seed=50_000)  # warm: every replica loaded and used
                runs[replicas].append([first_turns(server.url, clients, requests, seed=60_000 + 1000 * (
                    pair * batches + batch)) for batch in range(batches)])
    report = {f"{replicas}_replicas": summary([batch for cluster_runs in runs[replicas] for batch in cluster_runs])
              for replicas in (1, 2)}
    one, two = report["1_replicas"], report["2_replicas"]
    report["throughput_ratio"] = round(two["per_s"] / one["per_s"], 3)
    report["ratio_each_pair"] = [round(statistics.median(b["per_s"] for b in second) /
                                       statistics.median(b["per_s"] for b in first), 3)
                                 for first, second in zip(runs[1], runs[2])]
    # what the replicas themselves did: their busy time a request, at one core each, bounds the throughput
    report["projected_ratio_one_core_a_replica"] = round(
        2 * one["busy_ms_per_request"] / two["busy_ms_per_request"], 3)
    return report


def summary(batches: list[dict]) -> dict:
    """The batches of one setup: requests a second and latency as medians, busy time and CPU as means."""
    def mean(values) -> float:
        return round(statistics.fmean(values), 1)

    return {"batches": len(batches), "per_s": round(statistics.median(b["per_s"] for b in batches), 3),
            "per_s_each": [b["per_s"] for b in batches],
            "p50_ms": round(statistics.median(b["p50_ms"] for b in batches), 1),
            "replica_busy_share": round(statistics.fmean(b["replica_busy_share"] for b in batches), 3),
            "busy_ms_per_request": mean(b["busy_ms_per_request"] for b in batches),
            "replicas_answering": batches[0]["replicas_answering"],
            "cpu_ms_per_request": {role: mean(b["cpu_ms_per_request"][role] for b in batches)
                                   for role in batches[0]["cpu_ms_per_request"]}}


def conversations(url: str, count: int, seed: int) -> dict:
    """`count` conversations of three turns, one after another: each follow-up's hit (its find's image embedding
    was held) and latency."""
    hits, asked, follow_ms, follow_embed, first_embed = 0, 0, [], [], []
    with httpx.Client(base_url=url, timeout=300) as client:
        for index in range(count):
            first = client.post("/v1/segment", json={"image": scene_png(seed + index),
                                                     "instruction": "all the red shapes"}).json()
            first_embed.append(first["timings_ms"]["embed"])
            for instruction in FOLLOW_UPS:
                before = replica_totals(client)
                start = time.perf_counter()
                answer = client.post("/v1/segment", json={"session": first["session"], "instruction": instruction})
                follow_ms.append((time.perf_counter() - start) * 1000)
                after = replica_totals(client)
                if after["finds"] > before["finds"]:
                    asked += 1
                    hits += after["cache_misses"] == before["cache_misses"]
                    follow_embed.append(answer.json()["timings_ms"]["embed"])
    return {"follow_ups_asking": asked, "hit_share": round(hits / max(asked, 1), 3),
            "follow_up_p50_ms": round(statistics.median(follow_ms), 1),
            "follow_up_embed_p50_ms": round(statistics.median(follow_embed), 1),
            "first_turn_embed_p50_ms": round(statistics.median(first_embed), 1)}


def bench_affinity(count: int, work: Path) -> dict:
    report = {}
    for routing in ("image", "default"):
        with cluster(2, work / f"affinity-{routing}", "--routing", routing) as server:
            report[routing] = conversations(server.url, count, seed=70_000)
    return report


def follow_ups_alone(url: str, rounds: int) -> float:
    """The median latency of a cached follow-up, one client."""
    with httpx.Client(base_url=url, timeout=300) as client:
        session = client.post("/v1/segment", json={"image": scene_png(9), "instruction": "all the red shapes"}).json()
        times = []
        for index in range(rounds):
            start = time.perf_counter()
            client.post("/v1/segment", json={"session": session["session"],
                                             "instruction": FOLLOW_UPS[index % 2]}).raise_for_status()
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times[2:])


def bench_overhead(rounds: int, work: Path) -> dict:
    with ServerProcess("--demo", "--offline", data_dir=work / "overhead-single") as server:
        alone = follow_ups_alone(server.url, rounds)
    report = {"single_process_p50_ms": round(alone, 1)}
    for proxy in PROXIES:
        with cluster(1, work / f"overhead-ray-{proxy}", "--proxy", proxy) as server:
            on_ray = follow_ups_alone(server.url, rounds)
        report[proxy] = {"ray_one_replica_p50_ms": round(on_ray, 1), "overhead_ms": round(on_ray - alone, 1)}
    return report


def bench_full_size(affinity: dict) -> dict:
    """Sam3Config() with random weights in this process: a miss costs the encoder, a hit only the find."""
    import torch

    from bench.run import bench_image, build_segmenter

    torch.set_num_threads(os.cpu_count() or 1)
    segmenter = build_segmenter("full", "cpu", "float32", False)
    image = bench_image()
    start = time.perf_counter()
    handle, _ = segmenter.embed(image)
    miss_embed_ms = (time.perf_counter() - start) * 1000
    finds = []
    for phrase in ("cat", "dog", "red car"):
        start = time.perf_counter()
        segmenter.find_each(handle, [phrase])
        finds.append((time.perf_counter() - start) * 1000)
    find_ms = statistics.median(finds)
    report = {"threads": torch.get_num_threads(), "embed_ms": round(miss_embed_ms, 1), "find_ms": round(find_ms, 1)}
    for routing, measured in affinity.items():
        share = measured["hit_share"]
        report[f"follow_up_ms_{routing}_routing"] = round(find_ms + (1 - share) * miss_embed_ms, 1)
    return report


def markdown(report: dict) -> str:
    a, o = report["affinity"], report["overhead"]
    lines = ["# segchat on Ray Serve (bench/cluster.py)", "", f"{report['machine']}", ""]
    for proxy, t in report["throughput"].items():
        lines += throughput_lines(proxy, t)
    lines += ["",
              "## Follow-ups: routed by the image's content vs Ray Serve's default router (2 replicas)", "",
              "| routing | follow-ups asking SAM3 | embedding held | follow-up p50 ms | follow-up embed p50 ms | "
              "first-turn embed p50 ms |", "| --- | --- | --- | --- | --- | --- |"]
    for routing, row in a.items():
        lines.append(f"| {routing} | {row['follow_ups_asking']} | {row['hit_share']} | {row['follow_up_p50_ms']} | "
                     f"{row['follow_up_embed_p50_ms']} | {row['first_turn_embed_p50_ms']} |")
    lines += ["", "## Ray's overhead, one client, cached follow-ups", "",
              f"single process {o['single_process_p50_ms']} ms; Ray Serve (1 replica) " + "; ".join(
                  f"behind {proxy} {o[proxy]['ray_one_replica_p50_ms']} ms: **{o[proxy]['overhead_ms']} ms** a "
                  "request" for proxy in PROXIES) + "."]
    if "full_size" in report:
        f = report["full_size"]
        lines += ["", f"## Full-size SAM3 (Sam3Config(), random weights, {f['threads']} threads, this process)", "",
                  f"embed (a miss) {f['embed_ms']} ms, find on a held embedding {f['find_ms']} ms: a follow-up costs "
                  f"{f['follow_up_ms_image_routing']} ms with routing by image and "
                  f"{f['follow_up_ms_default_routing']} ms with the default router (each router's measured hit "
                  "share applied)."]
    return "\n".join(lines) + "\n"


def throughput_lines(proxy: str, t: dict) -> list[str]:
    lines = [f"## Throughput behind {proxy}: first turns on fresh images, 1 vs 2 segmenter replicas (1 torch thread "
             "each)", "", "| replicas | requests/s (median) | p50 ms | replicas' busy time / wall | busy ms a request |",
             "| --- | --- | --- | --- | --- |"]
    for key in ("1_replicas", "2_replicas"):
        row = t[key]
        lines.append(f"| {key[0]} | {row['per_s']} | {row['p50_ms']} | {row['replica_busy_share']} | "
                     f"{row['busy_ms_per_request']} |")
    lines += ["", f"Throughput 2 vs 1: **{t['throughput_ratio']}x** (medians of {t['1_replicas']['batches']} batches "
                  f"each; each pair of clusters alone: {', '.join(f'{r}x' for r in t['ratio_each_pair'])}; requests/s "
                  f"of each batch: 1 replica {t['1_replicas']['per_s_each']}, 2 replicas {t['2_replicas']['per_s_each']});"
                  f" from the replicas' own busy time, one core a replica would give "
                  f"{t['projected_ratio_one_core_a_replica']}x.", "",
              "CPU a request, by process (ms; the machine has "
              f"{os.cpu_count()} cores, so 1000 / (their sum / {os.cpu_count()}) bounds the requests a second):", "",
              "| replicas | " + " | ".join(t["1_replicas"]["cpu_ms_per_request"]) + " |",
              "| --- |" + " --- |" * len(t["1_replicas"]["cpu_ms_per_request"])]
    for key in ("1_replicas", "2_replicas"):
        lines.append(f"| {key[0]} | " + " | ".join(str(v) for v in t[key]["cpu_ms_per_request"].values()) + " |")
    return lines + [""]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=48)
    parser.add_argument("--pairs", type=int, default=2, help="clusters of 1 and 2 replicas, in turn, this many times")
    parser.add_argument("--batches", type=int, default=2, help="measured batches of --requests in each cluster")
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--skip-full-size", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS / "cluster")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="segchat-cluster-bench-") as folder:
        work = Path(folder)
        report = {"machine": f"{os.cpu_count()} CPU cores, {time.strftime('%Y-%m-%d')}",
                  "throughput": {proxy: bench_throughput(args.clients, args.requests, work, proxy, args.pairs,
                                                         args.batches) for proxy in PROXIES},
                  "affinity": bench_affinity(args.conversations, work),
                  "overhead": bench_overhead(args.rounds, work)}
    if not args.skip_full_size:
        report["full_size"] = bench_full_size(report["affinity"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2))
    args.out.with_suffix(".md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
