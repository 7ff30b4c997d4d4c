"""`segchat sessions list | show | export` on a data folder made by real turns (the shapes demo model, the offline
parser): newest first, each key's own sessions, the history exactly as REST serves it, COCO that pycocotools reads,
and an unknown session as `error:` with exit 2."""

from __future__ import annotations

import json

import httpx
import numpy as np
import pytest
from click.testing import CliRunner
from pycocotools.coco import COCO

from bench.server_process import ServerProcess
from segchat.agent import build_agent
from segchat.agent.serving.store import owner_of
from segchat.contracts.resources import demo_image_path
from segchat.contracts.settings import Settings
from segchat.faces.cli import main
from segchat.segmenter.rle import rle_to_mask

KEY = "key-of-b"


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """Four sessions, made in this order: an empty one, A's first turn, C (one turn), A's follow-up, and B under an
    API key. Newest first is then B (for its key), and A, C, the empty one (without a key)."""
    data = tmp_path_factory.mktemp("data")
    agent = build_agent(Settings(demo=True, offline=True, device="cpu", data_dir=data))
    image = str(demo_image_path())
    empty = agent.create_session()
    a = agent.turn("all the red shapes", image).session_id
    c = agent.turn("把最大的蓝色正方形抠出来", image).session_id
    agent.turn("now only the one on the left", None, a)
    b = agent.turn("all the green shapes", image, owner=owner_of(KEY)).session_id
    return {"data": data, "agent": agent, "a": a, "b": b, "c": c, "empty": empty}


def sessions(stored, *args: str, env: dict | None = None):
    return CliRunner().invoke(main, ["sessions", *args, "--data-dir", str(stored["data"])], env=env)


def test_list_shows_the_newest_first_with_turns_and_the_last_instruction(stored):
    listed = sessions(stored, "list", "--json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert [r["session"] for r in rows] == [stored["a"], stored["c"], stored["empty"]]
    assert [r["turns"] for r in rows] == [2, 1, 0]
    assert [r["last_instruction"] for r in rows] == ["now only the one on the left", "把最大的蓝色正方形抠出来", None]
    assert rows[0]["updated"] > rows[0]["created"] and rows[0]["updated"] > rows[1]["updated"]

    table = sessions(stored, "list", "--limit", "2")
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0].split()[:4] == ["session", "created", "updated", "turns"] and len(lines) == 3
    assert lines[1].startswith(stored["a"]) and lines[1].endswith("now only the one on the left")
    assert lines[2].startswith(stored["c"]) and "把最大的蓝色正方形抠出来" in lines[2]


def test_an_api_key_sees_its_own_sessions_and_no_others(stored):
    own = json.loads(sessions(stored, "list", "--json", "--api-key", KEY).stdout)
    assert [r["session"] for r in own] == [stored["b"]] and own[0]["last_instruction"] == "all the green shapes"
    assert sessions(stored, "show", stored["b"], "--api-key", KEY).exit_code == 0
    for hidden in (sessions(stored, "show", stored["b"]), sessions(stored, "show", stored["a"], "--api-key", KEY)):
        assert hidden.exit_code == 2 and hidden.stderr.startswith("error: no session")


def test_show_prints_each_turn_and_loads_no_model(stored):
    # a model setting that could not load: these verbs read the store and never load one
    shown = sessions(stored, "show", stored["a"], env={"SEGCHAT_MODEL": "/no/such/checkpoint"})
    assert shown.exit_code == 0, shown.output
    history = stored["agent"].history(stored["a"])
    text = shown.stdout
    assert text.splitlines()[0] == f"session {stored['a']}: 2 turn(s)"
    for turn in history.turns:
        assert f"[{turn.index}] " in text and turn.instruction in text and turn.result.explanation in text
        assert f"{len(turn.result.instances)} instance(s)" in text
    assert [len(t.result.instances) for t in history.turns] == [2, 1]  # the two red shapes, then the left one
    assert text.index("[0] ") < text.index("all the red shapes") < text.index("[1] ")


def test_show_json_is_the_history_rest_serves(stored):
    shown = sessions(stored, "show", stored["a"], "--json")
    assert shown.exit_code == 0, shown.output
    cli_history = json.loads(shown.stdout)
    assert cli_history["session"] == stored["a"] and len(cli_history["turns"]) == 2
    with ServerProcess("--demo", "--offline", data_dir=stored["data"]) as server:
        served = httpx.get(f"{server.url}/v1/sessions/{stored['a']}", timeout=60)
    assert served.status_code == 200, served.text
    assert cli_history == served.json()


def test_export_coco_holds_every_turns_instances(stored, tmp_path):
    out = tmp_path / "a.json"
    exported = sessions(stored, "export", stored["a"], "--format", "coco", "--out", str(out))
    assert exported.exit_code == 0, exported.output
    coco = COCO()
    coco.dataset = json.loads(out.read_text())
    coco.createIndex()
    turns = stored["agent"].replay(stored["a"])
    assert [img["turn"] for img in coco.dataset["images"]] == [0, 1]
    assert [img["instruction"] for img in coco.dataset["images"]] == [t.instruction for t in turns]
    store = stored["agent"].store  # each image is named after its content key: the store's PNG by that key
    assert all(store.image_png(img["file_name"].removesuffix(".png")) for img in coco.dataset["images"])
    annotations = coco.dataset["annotations"]
    assert [a["id"] for a in annotations] == list(range(1, 4))  # 2 + 1 instances, numbered once for the document
    for turn, image in zip(turns, coco.dataset["images"]):
        mine = coco.loadAnns(coco.getAnnIds(imgIds=[image["id"]]))
        assert [a["instance"] for a in mine] == [i.id for i in turn.instances]
        for annotation, instance in zip(mine, turn.instances):
            assert np.array_equal(coco.annToMask(annotation).astype(bool), instance.mask.full())
            assert coco.loadCats(annotation["category_id"])[0]["name"] == instance.label

    one = sessions(stored, "export", stored["a"], "--format", "coco", "--turn", "1")
    assert one.exit_code == 0, one.output
    only = json.loads(one.stdout)
    assert [img["turn"] for img in only["images"]] == [1] and len(only["annotations"]) == 1
    assert rle_to_mask(only["annotations"][0]["segmentation"]).any()


def test_export_json_is_the_history(stored, tmp_path):
    exported = sessions(stored, "export", stored["c"], "--format", "json", "--out", str(tmp_path / "c.json"))
    assert exported.exit_code == 0, exported.output
    assert json.loads((tmp_path / "c.json").read_text()) == stored["agent"].history(stored["c"]).model_dump(mode="json")
    assert json.loads(sessions(stored, "export", stored["c"]).stdout) == json.loads(
        sessions(stored, "show", stored["c"], "--json").stdout)


@pytest.mark.parametrize("verb", [["show", "nosuchsession"], ["show", "nosuchsession", "--json"],
                                  ["export", "nosuchsession", "--format", "coco"]])
def test_an_unknown_session_is_an_error_with_exit_2(stored, verb):
    done = sessions(stored, *verb)
    assert done.exit_code == 2 and done.stderr == "error: no session 'nosuchsession'\n" and not done.stdout


def test_an_unknown_turn_and_an_empty_data_folder(stored, tmp_path):
    turn = sessions(stored, "export", stored["c"], "--turn", "7")
    assert turn.exit_code == 2 and turn.stderr.startswith("error: ") and "no turn 7" in turn.stderr
    empty = CliRunner().invoke(main, ["sessions", "list", "--data-dir", str(tmp_path / "nothing")])
    assert empty.exit_code == 0 and empty.stdout.startswith("no sessions in ")
    assert not (tmp_path / "nothing").exists()  # a listing creates nothing
    shown = CliRunner().invoke(main, ["sessions", "show", "x", "--data-dir", str(tmp_path / "nothing")])
    assert shown.exit_code == 2 and shown.stderr.startswith("error: no session 'x'")
