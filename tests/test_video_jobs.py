"""Video through the agent and the faces: the job runner, REST jobs (submit, poll, cancel, a server killed mid-job),
MCP's track_video with progress, and `segchat track` (tiny random SAM3 for the wiring; the demo model in
tests/test_video_agent.py for right answers)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from bench.server_process import REPO, ServerProcess
from segchat.agent import build_agent
from segchat.agent.serving.jobs import MAX_ATTEMPTS, STOPPED_TOO_OFTEN, JobRunner, JobState
from segchat.contracts.errors import NotFoundError, QueueFullError, SegchatError
from segchat.contracts.settings import Settings
from segchat.lab.moving import sample_video, write_video


@pytest.fixture(scope="module")
def small_video(tmp_path_factory):
    folder = tmp_path_factory.mktemp("video")
    truth = write_video(sample_video(np.random.default_rng(5), frames=12, size=(120, 160)), folder)
    return folder, truth


def handed_over(source, tmp_path):
    """A copy of `source` to give to `submit`, which takes what it is handed into the job's folder."""
    copy = tmp_path / "handed" / uuid.uuid4().hex / source.name
    copy.parent.mkdir(parents=True)
    if source.is_dir():
        shutil.copytree(source, copy)
    else:
        shutil.copyfile(source, copy)
    return copy


def test_the_job_runner_runs_cancels_refuses_and_recovers(tiny_segmenter, small_video, tmp_path):
    folder, truth = small_video
    agent = build_agent(Settings(offline=True, threshold=0.0, data_dir=tmp_path), segmenter=tiny_segmenter)
    runner = JobRunner(agent, max_queued=2)
    job = runner.submit((folder / "video.mp4").read_bytes(), ".mp4", "all the red shapes")
    assert job.state is JobState.QUEUED and job.frames_total == truth.frames
    runner.run(job)
    done = runner.get(job.id)
    assert done.state is JobState.DONE and done.frames_done == truth.frames
    assert done.public()["state"] == "done" and json.dumps(done.public())
    result = runner.result(job.id)
    assert len(result.frames) == truth.frames and result.tracker == "detect"
    assert runner.file(job.id, "overlay.mp4").stat().st_size > 0
    assert runner.get(job.id).owner == "" and runner.store.job(job.id, "someone else") is None
    with pytest.raises(NotFoundError):
        runner.get(job.id, "someone else")

    queued = runner.submit(folder / "frames", "", "all the shapes", keep_source=True)  # as the UI's upload
    assert (folder / "frames").is_dir() and runner.cancel(queued.id).state is JobState.CANCELLED
    with pytest.raises(Exception, match="unreadable|not a video|no video"):
        runner.submit(b"this is not a video", ".mp4", "all the shapes")
    assert len(list((tmp_path / "jobs").iterdir())) == 2  # the refused upload left no job behind
    assert len(runner.store.jobs_in(*JobState)) == 2
    handed = handed_over(folder / "frames", tmp_path)
    one = runner.submit(handed, "", "one")
    assert (runner.folder / one.id / one.input).is_dir() and not handed.exists()  # moved into the job
    assert sorted(runner.store.job_files(one.id)) == [f"frames/{p.name}" for p in sorted((folder / "frames").iterdir())]
    runner.submit(folder / "frames", "", "two", keep_source=True)
    refused = handed_over(folder / "frames", tmp_path)
    with pytest.raises(QueueFullError):
        runner.submit(refused, "", "three")
    assert not refused.exists()  # what submit was handed is its to remove, refused or not

    # a job whose worker died (its lease lapses at once here): claimed again by another worker, which runs it from
    # the store's copy of its input; once more, and it has failed
    interrupted = runner.store.jobs_in(JobState.QUEUED, limit=1)[0]
    dead = runner.store.claim_job("dead worker", 0.0, MAX_ATTEMPTS, job_id=interrupted.id)
    assert dead.state is JobState.RUNNING and dead.attempts == 1
    shutil.rmtree(runner.folder / interrupted.id)  # the other worker runs on another node: no working copy
    JobRunner(agent, worker="second").run(interrupted)
    assert runner.get(interrupted.id).state is JobState.DONE and runner.get(interrupted.id).attempts == 2
    assert runner.result(interrupted.id).tracker == "detect"
    second = runner.store.jobs_in(JobState.QUEUED, limit=1)[0]
    runner.store.claim_job("dead worker", 0.0, MAX_ATTEMPTS, job_id=second.id)
    runner.store.claim_job("dead again", 0.0, MAX_ATTEMPTS, job_id=second.id)
    JobRunner(agent).run(second)
    assert runner.get(second.id).state is JobState.FAILED and runner.get(second.id).error == STOPPED_TOO_OFTEN


def test_a_job_from_session_frames_leaves_no_temporary_folder(tiny_segmenter, tmp_path, monkeypatch):
    """Defect 8: `POST /v1/jobs` with a session makes its frames in a temporary folder (`Agent.session_frames`) and
    hands it to `JobRunner.submit`, which used to copy it and leave it behind: one folder per job, for ever."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))  # this test's own temporary folder: others run beside it
    agent = build_agent(Settings(offline=True, threshold=0.0, data_dir=tmp_path / "data"), segmenter=tiny_segmenter)
    runner = JobRunner(agent)
    session = None
    for seed in (1, 2, 3):
        frame = np.random.default_rng(seed).integers(0, 255, (48, 64, 3), dtype=np.uint8)
        session = agent.turn("all the shapes", Image.fromarray(frame), session).session_id
    for instruction in ("all the shapes", ""):  # run to the end, and refused (an empty instruction)
        frames = agent.session_frames(session)  # exactly as REST's POST /v1/jobs with {"session": ...}
        assert frames.parent == temp and len(list(frames.iterdir())) == 3
        try:
            job = runner.submit(frames, "", instruction)
        except SegchatError:
            continue
        runner.run(job)
        assert runner.get(job.id).state is JobState.DONE and runner.result(job.id).video.frames == 3
    assert [p.name for p in temp.iterdir() if p.name.startswith("segchat-frames-")] == []


def test_a_job_submitted_on_one_node_runs_on_another_and_is_served_by_the_first(tiny_segmenter, small_video,
                                                                                tmp_path, postgres_url):
    """Two nodes share a PostgreSQL store and nothing else (each its own data directory): the job's input and outputs
    travel through the store."""
    folder, truth = small_video
    nodes = [build_agent(Settings(offline=True, threshold=0.0, data_dir=tmp_path / name, database_url=postgres_url),
                         segmenter=tiny_segmenter) for name in ("ingress", "worker")]
    ingress, worker = JobRunner(nodes[0], worker="ingress"), JobRunner(nodes[1], worker="worker")
    job = ingress.submit((folder / "video.mp4").read_bytes(), ".mp4", "all the red shapes")
    worker.run(worker.get(job.id))
    done = ingress.get(job.id)
    assert done.state is JobState.DONE and done.frames_done == truth.frames and done.attempts == 1
    assert len(ingress.result(job.id).frames) == truth.frames
    overlay = ingress.file(job.id, "overlay.mp4")
    assert overlay.is_relative_to(tmp_path / "ingress")
    assert overlay.read_bytes() == (tmp_path / "worker" / "jobs" / job.id / "overlay.mp4").read_bytes()


def test_the_worker_outlives_a_store_that_does_not_answer(tiny_segmenter, small_video, tmp_path, monkeypatch):
    """A database that restarts (its first answers fail, as psycopg's do while PostgreSQL is down) costs the worker
    a wait, not its thread: the job queued meanwhile still runs."""
    from sqlalchemy.exc import OperationalError

    from segchat.agent.serving import jobs as job_module

    folder, truth = small_video
    agent = build_agent(Settings(offline=True, threshold=0.0, data_dir=tmp_path), segmenter=tiny_segmenter)
    runner = JobRunner(agent)
    real_claim, failures = runner.store.claim_job, []

    def claim_while_the_database_restarts(*args, **kwargs):
        if len(failures) < 3:
            failures.append(1)
            raise OperationalError("claim", {}, ConnectionError("the database is restarting"))
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(runner.store, "claim_job", claim_while_the_database_restarts)
    monkeypatch.setattr(job_module, "STORE_RETRY_S", 0.05)
    job = runner.submit((folder / "video.mp4").read_bytes(), ".mp4", "all the red shapes")
    runner.start()
    try:
        deadline = time.monotonic() + 120
        while runner.get(job.id).state is not JobState.DONE:
            assert time.monotonic() < deadline, runner.get(job.id)
            time.sleep(0.2)
    finally:
        runner.stop()
    assert len(failures) == 3 and runner.get(job.id).frames_done == truth.frames


def test_a_job_whose_worker_died_on_this_machine_runs_again_at_once(tiny_segmenter, small_video, tmp_path):
    """A restarted server need not wait for the lease of its dead predecessor to run out; a live worker's lease, or
    one of another machine, is left alone."""
    folder, _ = small_video
    agent = build_agent(Settings(offline=True, threshold=0.0, data_dir=tmp_path), segmenter=tiny_segmenter)
    runner = JobRunner(agent)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    holders = {"dead": f"{socket.gethostname()}:{dead.stdout.strip()}:0", "alive": runner.worker,
               "elsewhere": f"another-host:{dead.stdout.strip()}:0"}
    jobs = {name: runner.submit((folder / "video.mp4").read_bytes(), ".mp4", "all the shapes") for name in holders}
    for name, holder in holders.items():
        assert runner.store.claim_job(holder, 600, MAX_ATTEMPTS, job_id=jobs[name].id) is not None
    JobRunner(agent)  # the server starts again
    assert runner.store.claim_job("next", 600, MAX_ATTEMPTS).id == jobs["dead"].id
    assert runner.store.claim_job("next", 600, MAX_ATTEMPTS) is None


def test_a_running_job_keeps_its_lease_and_no_other_worker_takes_it(tiny_segmenter, small_video, tmp_path):
    """The lease is renewed while the job runs (here 0.3 s, far shorter than the run): a worker polling all along
    never gets the job, which runs once."""
    folder, truth = small_video
    agent = build_agent(Settings(offline=True, threshold=0.0, data_dir=tmp_path), segmenter=tiny_segmenter)
    runner = JobRunner(agent, lease_s=0.3, worker="owner")
    job = runner.submit((folder / "video.mp4").read_bytes(), ".mp4", "all the red shapes")
    stolen, running = [], threading.Event()

    def thief() -> None:
        while running.is_set() and not stolen:
            time.sleep(0.05)
            if runner.store.job(job.id).state is JobState.RUNNING:
                stolen.extend(filter(None, [runner.store.claim_job("thief", 60, MAX_ATTEMPTS, job_id=job.id)]))

    running.set()
    polling = threading.Thread(target=thief)
    polling.start()
    slow_track = agent.track

    def track(*args, **kwargs):  # a run several leases long
        time.sleep(1.5)
        return slow_track(*args, **kwargs)

    agent.track = track
    try:
        runner.run(job)
    finally:
        running.clear()
        polling.join(10)
    assert stolen == [] and runner.get(job.id).state is JobState.DONE and runner.get(job.id).attempts == 1


def wait_for(client: httpx.Client, job_id: str, states: set[str], timeout: float = 400) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = client.get(f"/v1/jobs/{job_id}").json()
        if answer["state"] in states:
            return answer
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not reach {states}: {answer}")


def test_rest_jobs_submit_poll_cancel_and_survive_a_kill(tiny_checkpoint, small_video, tmp_path):
    folder, truth = small_video
    long_one = write_video(sample_video(np.random.default_rng(6), frames=160, size=(120, 160)), tmp_path / "long")
    env = {"SEGCHAT_THRESHOLD": "0.0", "SEGCHAT_MAX_VIDEO_FRAMES": "1000"}
    server = ServerProcess("--model", str(tiny_checkpoint), "--offline", env=env, data_dir=tmp_path / "data").start()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            bad = http.post("/v1/jobs", files={"video": ("x.mp4", b"nope", "video/mp4")}, data={"instruction": "x"})
            assert bad.status_code == 400 and bad.json()["error"]["code"] == "unreadable_video"
            missing = http.post("/v1/jobs", data={"instruction": "x"}, files={"other": ("a", b"b")})
            assert missing.status_code == 400
            submitted = http.post("/v1/jobs", files={"video": ("v.mp4", (folder / "video.mp4").read_bytes(),
                                                              "video/mp4")}, data={"instruction": "all the red shapes"})
            assert submitted.status_code == 202, submitted.text
            job = submitted.json()["job"]
            done = wait_for(http, job, {"done", "failed"})
            assert done["state"] == "done", done
            assert len(done["result"]["frames"]) == truth.frames and done["result"]["video"]["frames"] == truth.frames
            assert http.get(f"/v1/jobs/{job}/overlay").headers["content-type"] == "video/mp4"
            assert http.get("/v1/jobs/nosuchjob").status_code == 404

            long_job = http.post("/v1/jobs", files={"video": ("l.mp4", (tmp_path / "long" / "video.mp4").read_bytes(),
                                                              "video/mp4")},
                                 data={"instruction": "all the shapes"}).json()["job"]
            queued = http.post("/v1/jobs", files={"video": ("v.mp4", (folder / "video.mp4").read_bytes(),
                                                            "video/mp4")}, data={"instruction": "x"}).json()["job"]
            assert http.delete(f"/v1/jobs/{queued}").json()["state"] == "cancelled"
            running = wait_for(http, long_job, {"running"})
            assert running["frames_total"] == long_one.frames
        os.kill(server.process.pid, signal.SIGKILL)  # mid-job
        server.process.wait(timeout=10)
        server.start()
        with httpx.Client(base_url=server.url, timeout=60) as http:
            again = wait_for(http, long_job, {"done", "failed"}, timeout=600)
            assert again["state"] == "done", again  # queued again at start-up and run to the end: not lost
            assert len(again["result"]["frames"]) == long_one.frames
            assert http.get(f"/v1/jobs/{queued}").json()["state"] == "cancelled"
    finally:
        server.stop()


def test_mcp_track_video_reports_progress(tiny_checkpoint, small_video, tmp_path):
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    folder, truth = small_video
    video = "data:video/mp4;base64," + base64.b64encode((folder / "video.mp4").read_bytes()).decode()
    progress: list[float] = []

    async def call(url: str):
        async with streamable_http_client(url + "/mcp/") as (read, write, *_):
            async with ClientSession(read, write) as session:
                await session.initialize()
                names = [t.name for t in (await session.list_tools()).tools]

                async def on_progress(done, total, message):
                    progress.append(done)

                result = await session.call_tool("track_video", {"video": video, "instruction": "把所有红色的图形都找出来"},
                                                 progress_callback=on_progress)
                return names, result

    with ServerProcess("--model", str(tiny_checkpoint), "--offline", env={"SEGCHAT_THRESHOLD": "0.0"},
                       data_dir=tmp_path) as server:
        names, result = asyncio.run(call(server.url))
    assert names == ["segment_image", "track_video"] and not result.is_error
    payload = json.loads(result.content[0].text)
    assert payload["reply_language"] == "zh" and len(payload["frames"]) == truth.frames
    assert progress and max(progress) <= truth.frames


def test_cli_track_writes_the_overlay_and_first_appearances(tiny_checkpoint, small_video, tmp_path):
    folder, truth = small_video
    done = subprocess.run([sys.executable, "-m", "segchat.faces.cli", "track", str(folder / "frames"), "all the shapes",
                           "--model", str(tiny_checkpoint), "--offline", "--threshold", "0.3", "--out",
                           str(tmp_path / "out"), "--json"], capture_output=True, text=True, cwd=REPO, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert len(result["frames"]) == truth.frames and [f["index"] for f in result["frames"]] == list(range(truth.frames))
    assert (tmp_path / "out" / "overlay.mp4").stat().st_size > 0
    assert len(list((tmp_path / "out").glob("object_*.png"))) == len(result["objects"])
    bad = subprocess.run([sys.executable, "-m", "segchat.faces.cli", "track", str(tmp_path / "none.mp4"), "x",
                          "--model", str(tiny_checkpoint), "--offline"], capture_output=True, text=True, cwd=REPO,
                         timeout=300)
    assert bad.returncode == 2 and bad.stderr.startswith("error:") and "Traceback" not in bad.stderr
