"""How tests/data/legacy_data_dir/ was made: run once with the code of commit 034e157 (the SQLite-only store of
`agent/serving/store.py`, before the store package and its migrations), so the upgrade test opens a data directory
exactly as that code left it. It does not run against today's store (which would make a migrated directory)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from segchat.agent import build_agent
from segchat.agent.serving.jobs import JobRunner
from segchat.contracts.resources import demo_image_path
from segchat.contracts.settings import Settings
from segchat.lab.moving import sample_video, write_video


def main(target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    agent = build_agent(Settings(demo=True, offline=True, data_dir=target))
    demo = Image.open(demo_image_path()).convert("RGB")
    first, second = demo.crop((0, 0, 160, 120)), demo.crop((160, 120, 320, 240))
    one = agent.turn("all the red shapes", first)
    agent.turn("and the blue ones", None, one.session_id)
    agent.turn("the largest shape", second, one.session_id)
    two = agent.turn("every circle", second)
    agent.turn("only the left one", None, two.session_id)
    agent.store.create_session("")  # a session with no turns yet
    agent.store.save_concept("", "blob", "red circle", _png(first.crop((0, 0, 24, 24))), (1.0, 2.0, 25.0, 26.0))
    write_video(sample_video(np.random.default_rng(5), frames=6, size=(120, 160)), target.parent / "legacy-video",
                        formats=("mp4",))
    runner = JobRunner(agent)
    job = runner.submit((target.parent / "legacy-video" / "video.mp4").read_bytes(), ".mp4", "all the red shapes")
    runner.run(job)
    shutil.rmtree(target.parent / "legacy-video")
    agent.store.close()


def _png(image: Image.Image) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()



def expected(target: Path) -> dict:
    """What today's store reads back from `target`, written beside it as legacy_data_dir.expected.json: the upgrade
    test compares the migrated store's answers with these."""
    from segchat.agent.serving.store import SessionStore

    store = SessionStore(target)
    try:
        return read_back(store)
    finally:
        store.close()


def read_back(store) -> dict:
    """Everything a store answers about the legacy directory's contents (the upgrade test asks the migrated store)."""
    import hashlib

    from segchat.agent.serving.store import JobState

    sessions = store.list_sessions("", 50)
    return {
        "sessions": [vars(s) for s in sessions],
        "summaries": [vars(s) for s in store.session_summaries("", 50)],
        "turns": {s.id: store.turns(s.id) for s in sessions},
        "images": {key: hashlib.sha256(store.load_image(key).tobytes()).hexdigest()
                   for s in sessions for key in {t["image_key"] for t in store.turns(s.id)}},
        "concepts": store.concepts(""),
        "concept_crop_sha256": hashlib.sha256(store.concept("", "blob")["crop"]).hexdigest(),
        "jobs": [j.public() for j in store.jobs_in(*JobState)],
    }


if __name__ == "__main__":
    main(Path(sys.argv[1]))
