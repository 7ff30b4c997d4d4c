"""`kill -9` of a whole run (the driver and its worker processes, as one process group) midway, then the same
command again: the merged file equals an uninterrupted run's, image for image, and no image was done twice in
the resumed invocation."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from segchat.datasets.annotate import AnnotateRequest, annotate
from segchat.datasets.run import RunDir
from segchat.lab.dataset import write_dataset

N_IMAGES = 8
INSTRUCTION = "all the red shapes and the blue shapes"
REPO = Path(__file__).resolve().parent.parent


def _command(data: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "segchat.faces.cli", "annotate", str(data), INSTRUCTION, "--out", str(out), "--demo",
            "--offline", "--threads", "1", "--no-progress", *extra]


def _records(out: Path) -> int:
    shards = out / "shards"
    if not shards.is_dir():
        return 0
    return sum(path.read_bytes().count(b"\n") for path in shards.glob("*.jsonl"))


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("shapes")
    write_dataset(root, N_IMAGES, seed=77)
    return root / "images"


def test_kill_9_midway_then_resume_gives_the_uninterrupted_file(data: Path, tmp_path: Path) -> None:
    # the interrupted run: two worker processes under one driver, all in a process group of their own
    out = tmp_path / "killed"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(_command(data, out, "--workers", "2"), cwd=REPO, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while _records(out) < 2:
        assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr.read().decode()[-2000:]}"
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    done_at_kill = len(RunDir(out).done_ids())
    assert 2 <= done_at_kill < N_IMAGES, done_at_kill
    assert not (out / "annotations.json").exists()  # killed before its merge

    # the uninterrupted reference, meanwhile, in this process (one thread, as the workers)
    reference = tmp_path / "reference"
    summary = annotate(AnnotateRequest(input=str(data), out=str(reference), instruction=INSTRUCTION, demo=True,
                                       offline=True, threads=1, quiet=True))
    assert summary.exit_code == 0

    # the same command again finishes only what is missing
    resumed = subprocess.run(_command(data, out), cwd=REPO, env=env, capture_output=True, text=True, timeout=240)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"{done_at_kill} of {N_IMAGES} images were done before" in resumed.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["done_before"] == done_at_kill and summary["done_now"] == N_IMAGES - done_at_kill

    merged = json.loads((out / "annotations.json").read_text())
    expected = json.loads((reference / "annotations.json").read_text())
    assert [im["file_name"] for im in merged["images"]] == [im["file_name"] for im in expected["images"]]
    for image in expected["images"]:
        mine = [a for a in merged["annotations"] if a["image_id"] == image["id"]]
        theirs = [a for a in expected["annotations"] if a["image_id"] == image["id"]]
        assert mine == theirs, image["file_name"]
    assert merged == expected
    # every image exactly once among the whole records the two invocations wrote
    ids = [r.image_id for r in RunDir(out).read_records() if r.status == "ok"]
    assert sorted(ids) == list(range(1, N_IMAGES + 1))  # the images in flight at the kill had no whole record
