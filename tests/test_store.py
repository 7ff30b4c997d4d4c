"""The session store on both databases it runs on (SQLite and a real PostgreSQL, see conftest.py): sessions, turns,
images, concepts, the job queue's claims, leases and fencing, the upgrade of a data directory made before the
migrations, and `segchat db copy` from SQLite into PostgreSQL. No test double: each test gets an empty database."""

from __future__ import annotations

import io
import json
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from segchat.agent.serving.store import Job, JobState, LeaseLostError, SessionStore, owner_of
from segchat.agent.serving.store.copy import copy_store
from segchat.agent.serving.store.schema import current_revision, head_revision
from segchat.agent.sessions import SessionArchive
from segchat.contracts.errors import BadRequestError, SessionNotFoundError, SettingsError
from segchat.faces.cli import main
from tests.data.make_legacy_data_dir import read_back

LEGACY = Path(__file__).parent / "data" / "legacy_data_dir"
LEGACY_EXPECTED = json.loads((Path(__file__).parent / "data" / "legacy_data_dir.expected.json").read_text())
MAX_ATTEMPTS = 2


@pytest.fixture
def store(database_url, tmp_path):
    opened = SessionStore(tmp_path / "data", database_url)
    yield opened
    opened.close()


def _image(seed: int, size: tuple[int, int] = (20, 30)) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 255, (*size, 3), dtype=np.uint8))


def _queued(store: SessionStore, name: str, created: float, files: dict[str, bytes] | None = None) -> Job:
    job = Job(name, "", JobState.QUEUED, "all the shapes", "detect", None, "input.mp4", created, created,
              frames_total=3)
    store.add_job(job, files if files is not None else {"input.mp4": name.encode()})
    return job


# -- sessions, turns, images, concepts -------------------------------------------------------------------------------
def test_a_new_database_is_at_the_newest_schema(store):
    assert current_revision(store.engine) == head_revision() == "0004"
    assert store.is_empty()


def test_turns_keep_their_order_and_sessions_stay_private(store, database_url, tmp_path):
    mine = store.create_session(owner_of("key-a"))
    for number in range(3):
        assert store.append_turn(mine, f"turn {number}", None, {"n": number, "text": "藍色"}) == number
    assert [t["instruction"] for t in store.turns(mine)] == ["turn 0", "turn 1", "turn 2"]
    assert store.last_turn(mine)["result"] == {"n": 2, "text": "藍色"} and store.last_turn("nothing") is None
    with pytest.raises(SessionNotFoundError):
        store.get_session(mine, owner_of("key-b"))
    with pytest.raises(SessionNotFoundError):
        store.get_or_create(mine, owner_of("key-b"))  # another key's id is not taken over
    assert store.get_or_create("chosen-id", "").id == "chosen-id"
    store.close()
    reopened = SessionStore(tmp_path / "data", database_url)
    assert len(reopened.turns(mine)) == 3  # a restart loses nothing
    reopened.close()


def test_turns_appended_at_once_to_one_session_get_distinct_indices(store, database_url, tmp_path):
    session = store.create_session()
    stores = [SessionStore(tmp_path / "data", database_url) for _ in range(4)]  # as four processes would
    start = threading.Barrier(len(stores))
    indices: list[int] = []

    def append(other: SessionStore) -> None:
        start.wait()
        indices.extend(other.append_turn(session, f"turn {n}", None, {}) for n in range(5))

    threads = [threading.Thread(target=append, args=(other,)) for other in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(indices) == list(range(20)) and len(store.turns(session)) == 20
    for other in stores:
        other.close()


def test_listings_are_newest_first_with_counts_and_the_last_instruction(store):
    first, second = store.create_session(), store.create_session()
    store.append_turn(first, "one", None, {})
    store.append_turn(second, "two", None, {})
    store.append_turn(first, "three", None, {})
    store.create_session("someone")
    summaries = store.session_summaries("")
    assert [(s.id, s.turns, s.last_instruction) for s in summaries] == [(first, 2, "three"), (second, 1, "two")]
    assert [s.id for s in store.list_sessions("")] == [first, second]


def test_images_are_kept_once_by_content_key_byte_for_byte(store):
    image = _image(1)
    key = store.save_image(image)
    assert key == store.image_key(image) and store.save_image(image) == key and store.image_keys() == [key]
    assert np.array_equal(np.asarray(store.load_image(key)), np.asarray(image))
    with Image.open(io.BytesIO(store.image_png(key))) as png:
        assert png.format == "PNG"
    for unknown in ("../segchat", "0" * 32):
        with pytest.raises(SessionNotFoundError):
            store.image_png(unknown)


def test_concepts_are_replaced_by_name_listed_and_deleted(store):
    store.save_concept("", "blob", "red circle", b"png-1", (1, 2, 3, 4))
    store.save_concept("", "blob", "blue circle", b"png-2", (5, 6, 7, 8))
    store.save_concept("other", "blob", "green", b"png-3", (0, 0, 1, 1))
    assert store.concept("", "blob")["phrase"] == "blue circle" and store.concept("", "blob")["crop"] == b"png-2"
    assert store.concept("", "blob")["box"] == (5, 6, 7, 8)
    assert [c["name"] for c in store.concepts("")] == ["blob"]
    assert store.delete_concept("", "blob") and not store.delete_concept("", "blob")
    assert store.concept("", "blob") is None and store.concept("other", "blob") is not None


# -- the job queue ---------------------------------------------------------------------------------------------------
def test_the_oldest_job_is_claimed_first_and_a_live_lease_is_not_taken(store):
    _queued(store, "newer", 2.0)
    _queued(store, "older", 1.0)
    claimed = store.claim_job("w1", 60, MAX_ATTEMPTS)
    assert claimed.id == "older" and claimed.state is JobState.RUNNING and claimed.attempts == 1
    assert claimed.fence == 1 and claimed.lease_holder == "w1" and claimed.lease_expires > time.time() + 50
    assert store.claim_job("w2", 60, MAX_ATTEMPTS, job_id="older") is None  # w1's lease is alive
    assert store.claim_job("w2", 60, MAX_ATTEMPTS).id == "newer"
    assert store.claim_job("w3", 60, MAX_ATTEMPTS) is None


def test_two_workers_racing_for_one_job_exactly_one_wins(store, database_url, tmp_path):
    _queued(store, "only", 1.0)
    workers = [SessionStore(tmp_path / "data", database_url) for _ in range(6)]
    start = threading.Barrier(len(workers))
    claims: list[Job | None] = []

    def claim(number: int) -> None:
        start.wait()
        claims.append(workers[number].claim_job(f"w{number}", 60, MAX_ATTEMPTS))

    threads = [threading.Thread(target=claim, args=(number,)) for number in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    won = [job for job in claims if job is not None]
    assert len(claims) == 6 and len(won) == 1
    assert store.job("only").lease_holder == won[0].lease_holder and store.job("only").attempts == 1
    for worker in workers:
        worker.close()


def test_a_lapsed_lease_is_taken_over_and_the_stale_workers_writes_are_refused(store):
    _queued(store, "job", 1.0)
    stale = store.claim_job("w1", 0.0, MAX_ATTEMPTS)  # w1 hangs: its lease lapses at once
    fresh = store.claim_job("w2", 60, MAX_ATTEMPTS)
    assert fresh.id == "job" and fresh.fence == stale.fence + 1 and fresh.attempts == 2
    with pytest.raises(LeaseLostError):
        store.heartbeat("job", stale.fence, 60, frames_done=2)
    with pytest.raises(LeaseLostError):
        store.finish_job("job", stale.fence, JobState.DONE, frames=3, files={"result.json": b"stale"})
    assert store.job("job").state is JobState.RUNNING and store.job_file("job", "result.json") is None
    assert store.heartbeat("job", fresh.fence, 60, frames_done=2, frames_total=3) is False
    assert store.job("job").frames_done == 2
    store.finish_job("job", fresh.fence, JobState.DONE, frames=3, files={"result.json": b"{}"})
    done = store.job("job")
    assert done.state is JobState.DONE and done.frames_done == 3 and done.lease_holder is None
    assert store.job_files("job") == {"input.mp4": b"job", "result.json": b"{}"}
    with pytest.raises(LeaseLostError):  # a finished job takes no more writes, not even from its last claim
        store.heartbeat("job", fresh.fence, 60)
    assert store.claim_job("w3", 60, MAX_ATTEMPTS) is None


def test_a_job_whose_lease_lapsed_max_attempts_times_has_failed(store):
    _queued(store, "job", 1.0)
    for worker in ("w1", "w2"):
        store.claim_job(worker, 0.0, MAX_ATTEMPTS)
    assert store.claim_job("w3", 60, MAX_ATTEMPTS, error="stopped too often") is None
    failed = store.job("job")
    assert failed.state is JobState.FAILED and failed.error == "stopped too often" and failed.attempts == 2


def test_cancelling_a_queued_job_ends_it_and_a_running_one_is_asked_to_stop(store):
    _queued(store, "queued", 1.0)
    _queued(store, "running", 2.0)
    assert store.cancel_job("queued").state is JobState.CANCELLED
    claimed = store.claim_job("w1", 60, MAX_ATTEMPTS)
    assert claimed.id == "running"  # a cancelled job is never claimed
    assert store.heartbeat("running", claimed.fence, 60) is False
    assert store.cancel_job("running").cancel_requested and store.cancel_job("running", "someone") is None
    assert store.heartbeat("running", claimed.fence, 60) is True  # the worker, in whichever process, sees it
    store.finish_job("running", claimed.fence, JobState.CANCELLED)
    assert store.job("running").state is JobState.CANCELLED


def test_a_jobs_files_are_read_back_by_name_and_folder(store):
    frames = {f"frames/frame_{n:05d}.png": bytes([n]) * 10 for n in range(3)}
    _queued(store, "job", 1.0, files=frames)
    assert store.job_files("job", under="frames") == frames
    assert store.job_file("job", "frames/frame_00001.png") == bytes([1]) * 10 and store.job_file("job", "x") is None
    assert [j.id for j in store.jobs_in(JobState.QUEUED)] == ["job"] and store.job("job", "other") is None


# -- a data directory made before the migrations, and db copy ---------------------------------------------------------
def _legacy_copy(tmp_path: Path) -> Path:
    target = tmp_path / "legacy"
    shutil.copytree(LEGACY, target)
    return target


def test_a_legacy_data_directory_is_stamped_upgraded_and_reads_back_identical(tmp_path):
    legacy = _legacy_copy(tmp_path)
    store = SessionStore(legacy)
    assert current_revision(store.engine) == head_revision()
    assert json.loads(json.dumps(read_back(store))) == LEGACY_EXPECTED
    (job,) = store.jobs_in(JobState.DONE)
    folder = LEGACY / "jobs" / job.id
    assert job.input == "input.mp4" and store.job_files(job.id) == {
        name: (folder / name).read_bytes() for name in ("input.mp4", "object_1.png", "overlay.mp4", "result.json")}
    for key in store.image_keys():  # imported byte for byte
        assert store.image_png(key) == (LEGACY / "images" / f"{key}.png").read_bytes()
    archive = SessionArchive(store)
    for session in store.list_sessions(""):
        assert len(archive.replay(session.id)) == len(LEGACY_EXPECTED["turns"][session.id])
    store.close()
    again = SessionStore(legacy)  # opening it again migrates nothing and imports nothing twice
    assert json.loads(json.dumps(read_back(again))) == LEGACY_EXPECTED
    again.close()


def _db(*args: str, data_dir: Path, env: dict[str, str] | None = None):
    environment = {"SEGCHAT_DATABASE_URL": None} | (env or {})  # the configured store: the data directory's
    return CliRunner().invoke(main, ["db", *args, "--data-dir", str(data_dir)], env=environment,
                              catch_exceptions=False)


def test_db_copy_moves_a_legacy_sqlite_store_into_postgresql_and_refuses_a_second_copy(postgres_url, tmp_path):
    legacy = _legacy_copy(tmp_path)
    copied = _db("copy", "--to", postgres_url, data_dir=legacy, env={"SEGCHAT_DATABASE_URL": ""})  # unset
    assert copied.exit_code == 0, copied.output
    assert "3 sessions" in copied.output and "5 turns" in copied.output and "2 images" in copied.output
    target = SessionStore(tmp_path / "elsewhere", postgres_url)
    assert json.loads(json.dumps(read_back(target))) == LEGACY_EXPECTED
    (job,) = target.jobs_in(JobState.DONE)
    assert target.job_file(job.id, "overlay.mp4") == (LEGACY / "jobs" / job.id / "overlay.mp4").read_bytes()
    target.close()
    again = _db("copy", "--to", postgres_url, data_dir=legacy)
    assert again.exit_code == 2 and "already holds" in again.output


def test_db_copy_refuses_a_bad_url_and_the_store_itself(tmp_path):
    data = tmp_path / "data"
    SessionStore(data).close()
    for url, message in (("not a url", "not a database URL"), ("mysql://x@y/z", "must be sqlite")):
        refused = _db("copy", "--to", url, data_dir=data)
        assert refused.exit_code == 2 and message in refused.output, refused.output
    itself = _db("copy", "--to", f"sqlite:///{data / 'segchat.db'}", data_dir=data)
    assert itself.exit_code == 2 and "itself" in itself.output


def test_an_unreachable_database_and_a_non_empty_target_are_clear_errors(tmp_path):
    with pytest.raises(SettingsError, match="cannot open the database"):
        SessionStore(tmp_path, "postgresql+psycopg://nobody@/nothing?host=/nonexistent&port=1")
    source, target = SessionStore(tmp_path / "a"), SessionStore(tmp_path / "b")
    source.create_session()
    target.save_image(_image(2))
    with pytest.raises(BadRequestError, match="already holds"):
        copy_store(source, target)
    assert target.list_sessions() == []


def test_db_upgrade_migrates_a_legacy_data_directory_and_says_to_what(tmp_path):
    legacy = _legacy_copy(tmp_path)
    upgraded = _db("upgrade", data_dir=legacy)
    assert upgraded.exit_code == 0 and "is at schema 0004" in upgraded.output, upgraded.output
    unreachable = _db("upgrade", data_dir=legacy,
                      env={"SEGCHAT_DATABASE_URL": "postgresql+psycopg://nobody@/nothing?host=/nonexistent&port=1"})
    assert unreachable.exit_code == 2 and "cannot open the database" in unreachable.output
