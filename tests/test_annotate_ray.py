"""`--ray` on a local 2-CPU cluster: the run finishes (actors with whole CPUs each would starve Ray Data's own tasks
and wait forever), and gives the same annotations, image for image, as the local path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from segchat.datasets.annotate import AnnotateRequest, annotate
from segchat.datasets.ray_backend import actor_resources
from segchat.lab.dataset import write_dataset

pytest.importorskip("ray.data")

N_IMAGES = 6
INSTRUCTION = "all the red shapes and the blue shapes"
REPO = Path(__file__).resolve().parent.parent


def test_actor_resources_leave_room_for_ray_data() -> None:
    assert actor_resources({"CPU": 2.0}, 2) == {"num_cpus": 0.5, "num_gpus": 0.0}
    assert actor_resources({"CPU": 2.0}, 1) == {"num_cpus": 1.0, "num_gpus": 0.0}
    assert actor_resources({"CPU": 1.0}, 4)["num_cpus"] == 0.1
    assert actor_resources({"CPU": 64.0, "GPU": 8.0}, 8) == {"num_cpus": 1.0, "num_gpus": 1.0}
    assert actor_resources({"CPU": 2.0}, 2, cpus_per_worker=0.25) == {"num_cpus": 0.25, "num_gpus": 0.0}


def test_ray_on_a_2_cpu_local_cluster_gives_the_local_annotations(tmp_path: Path) -> None:
    data = tmp_path / "shapes"
    write_dataset(data, N_IMAGES, seed=31)
    out = tmp_path / "ray"
    # a subprocess with a deadline: a run that starves would otherwise hang the test session
    ray_run = subprocess.run(
        [sys.executable, "-m", "segchat.faces.cli", "annotate", str(data / "images"), INSTRUCTION, "--out", str(out),
         "--demo", "--offline", "--ray", "--ray-num-cpus", "2", "--workers", "2", "--threads", "1", "--no-progress"],
        cwd=REPO, env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}, capture_output=True, text=True, timeout=300)
    assert ray_run.returncode == 0, ray_run.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["backend"] == "ray" and summary["workers"] == 2 and summary["annotated"] == N_IMAGES
    workers = {r["worker"] for path in (out / "shards").glob("*.jsonl")
               for r in map(json.loads, path.read_text().splitlines())}
    assert 1 <= len(workers) <= 2, workers  # the actors' processes (one may have taken every image while the
    # other was still loading its model)

    local = tmp_path / "local"
    annotate(AnnotateRequest(input=str(data / "images"), out=str(local), instruction=INSTRUCTION, demo=True,
                             offline=True, threads=1, quiet=True))
    from_ray = json.loads((out / "annotations.json").read_text())
    from_local = json.loads((local / "annotations.json").read_text())
    for image in from_local["images"]:
        assert [a for a in from_ray["annotations"] if a["image_id"] == image["id"]] == \
               [a for a in from_local["annotations"] if a["image_id"] == image["id"]], image["file_name"]
    assert from_ray == from_local
