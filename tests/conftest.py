"""Shared fixtures: a tiny random SAM3 checkpoint built from the real transformers classes, and the databases the
store's tests run on (SQLite, and a throwaway PostgreSQL cluster)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


def build_tiny_checkpoint(folder: Path, *, seed: int = 0, **config_overrides) -> Path:
    """A tiny random SAM3 saved to `folder` with save_pretrained, from the real config classes."""
    import torch
    from transformers import Sam3Model

    from segchat.lab.model import byte_level_clip_tokenizer, processor_for, save_checkpoint, small_sam3_config

    torch.manual_seed(seed)
    tokenizer = byte_level_clip_tokenizer()
    config = small_sam3_config(vocab_size=len(tokenizer), **config_overrides)
    model = Sam3Model(config).eval()
    return save_checkpoint(model, processor_for(config, tokenizer), folder)


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny-sam3"), seed=0)


@pytest.fixture(scope="session")
def tiny_segmenter(tiny_checkpoint):
    from segchat.segmenter.predictor import Sam3Segmenter

    return Sam3Segmenter.from_pretrained(str(tiny_checkpoint), device="cpu", dtype="float32")


@pytest.fixture(scope="session")
def cats_image() -> Path:
    path = SHARED / "eval" / "coco_000000039769_cats" / "000000039769.png"
    if not path.exists():
        pytest.skip("../shared/eval is not laid beside this checkout")
    return path


@pytest.fixture(scope="session")
def demo_segmenter():
    """The shapes demo model shipped in the repository (`--demo`), loaded once: right answers can be checked on
    examples/shapes_demo.png against its ground truth (examples/render_demo.py)."""
    from segchat.contracts.resources import demo_model_dir
    from segchat.segmenter.predictor import Sam3Segmenter

    return Sam3Segmenter.from_pretrained(str(demo_model_dir()), device="cpu", dtype="float32")


# -- databases: the store's tests run on SQLite and on a real PostgreSQL ---------------------------------------------
POSTGRES_INSTALLS = Path("/usr/lib/postgresql")  # Debian's postgresql packages: <version>/bin/{initdb,pg_ctl}


def _postgres_bin() -> Path | None:
    """The folder of initdb and pg_ctl: on the PATH, else Debian's newest install."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).parent
    installs = sorted(POSTGRES_INSTALLS.glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit()
                      else 0, reverse=True)
    return installs[0].parent if installs else None


def _as_postgres(*command: str) -> list[str]:
    """A command run as the `postgres` user when we are root (PostgreSQL refuses to run as root)."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _no_postgres(reason: str) -> None:
    if os.environ.get("SEGCHAT_REQUIRE_POSTGRES") == "1":  # CI: a missing PostgreSQL is a failure, not a skip
        pytest.fail(f"SEGCHAT_REQUIRE_POSTGRES=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server's maintenance database: SEGCHAT_TEST_DATABASE_URL when it names one, else a
    throwaway cluster (initdb, pg_ctl as the postgres user, a unix socket in a temporary folder, stopped at the end)."""
    named = os.environ.get("SEGCHAT_TEST_DATABASE_URL")
    if named:
        yield named
        return
    binaries = _postgres_bin()
    if binaries is None:
        _no_postgres("PostgreSQL is not installed (scripts/setup.sh installs it)")
    root = Path(tempfile.mkdtemp(prefix="segchat-pg-"))  # not under pytest's tmp: the postgres user must reach it
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", _free_port()
    initdb = subprocess.run(_as_postgres(str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                                         "-E", "UTF8", "--no-sync"), capture_output=True, text=True)
    if initdb.returncode != 0:
        _no_postgres(f"initdb failed: {initdb.stderr[-500:]}")
    settings = f"-p {port} -k {root} -c listen_addresses='' -c fsync=off -c max_connections=200"
    started = subprocess.run(_as_postgres(str(binaries / "pg_ctl"), "-D", str(data), "-o", settings,
                                          "-l", str(root / "server.log"), "-w", "start"), capture_output=True, text=True)
    if started.returncode != 0:
        _no_postgres(f"pg_ctl start failed: {started.stdout[-300:]} {started.stderr[-300:]}")
    try:
        yield f"postgresql+psycopg://postgres@/postgres?host={root}&port={port}"
    finally:
        subprocess.run(_as_postgres(str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"),
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server) -> Iterator[str]:
    """A fresh, empty database on the test server for one test (dropped after it)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"segchat_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request) -> str | None:
    """Each store test twice: on the data directory's SQLite file (None: the default) and on PostgreSQL."""
    return None if request.param == "sqlite" else request.getfixturevalue("postgres_url")


@pytest.fixture(autouse=True)
def environment_as_it_was():
    """Each test leaves os.environ as it found it. `ray.init` in this process (the Ray Data tests) sets
    RAY_AUTH_MODE, RAY_CLIENT_MODE, PYTHONBREAKPOINT and more, and keeps them after `ray.shutdown`: every later
    test's subprocess (a server, Chromium) inherited them, and the browser tests stalled."""
    before = dict(os.environ)
    yield
    for name in set(os.environ) - set(before):
        del os.environ[name]
    os.environ.update(before)
