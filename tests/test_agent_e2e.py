"""The agent end to end through the real segmenter code: on a tiny random SAM3 (its masks are random, so those tests
check the wiring and the storage), and on the shapes demo model, whose answers on examples/shapes_demo.png are checked
against the image's ground truth."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from examples.render_demo import IMAGE as DEMO_IMAGE, demo_truth_masks
from segchat.agent import build_agent
from segchat.agent.explain import DEMO_NOTE_EN, DEMO_NOTE_ZH
from segchat.agent.serving.store import owner_of
from segchat.contracts.errors import BadRequestError, SessionNotFoundError
from segchat.contracts.resources import demo_model_dir
from segchat.contracts.settings import Settings
from segchat.lab.agent_tasks import matches
from segchat.parser.llm import server_parser
from segchat.segmenter.instances import Instance
from segchat.segmenter.masks import CroppedMask
from segchat.segmenter.rle import rle_to_mask
from tests.openai_double import ScriptedOpenAIServer

REPO = Path(__file__).resolve().parent.parent


def tiny_agent(segmenter, data_dir, **parts):
    return build_agent(Settings(offline=True, threshold=0.0, data_dir=data_dir), segmenter=segmenter, **parts)


@pytest.fixture
def agent(tiny_segmenter, tmp_path):
    return tiny_agent(tiny_segmenter, tmp_path / "data")


@pytest.fixture
def photo():
    return Image.fromarray(np.random.default_rng(3).integers(0, 255, (60, 90, 3), dtype=np.uint8))


def test_turn_result_shape_and_storage(agent, photo):
    out = agent.turn("segment the two largest cats", photo)
    result = out.result.model_dump()
    assert result["image"] == {"width": 90, "height": 60}
    assert result["plan"]["targets"][0]["select"] == {"kind": "largest", "count": 2, "ordinal": None}
    assert len(result["instances"]) == 2 and [i["id"] for i in result["instances"]] == [1, 2]
    areas = [rle_to_mask(i["mask"]).sum() for i in result["instances"]]
    assert areas == sorted(areas, reverse=True)
    assert result["reply_language"] == "en" and "cat" in result["explanation"]
    assert {"parse", "embed", "segment", "rules", "total"} <= set(result["timings_ms"])
    turns = agent.history(out.session_id).turns
    assert len(turns) == 1 and turns[0].result.model_dump()["instances"] == result["instances"]
    assert "cache_hit" not in turns[0].result.model_dump()  # the stored turn is exactly the result JSON


def test_followup_uses_the_session_image_and_cached_embedding(agent, photo):
    first = agent.turn("all the dogs", photo)
    assert len(first.instances) > 1
    hits_before = agent.segmenter.cache.stats.hits
    second = agent.turn("now only the one on the left", None, first.session_id)
    assert second.result.plan["followup"] == "refine" and len(second.instances) == 1
    assert second.instances[0].id in {f.id for f in first.instances}
    assert agent.segmenter.cache.stats.hits == hits_before + 1
    leftmost = min(first.instances, key=lambda f: f.centroid[0])
    assert second.instances[0].id == leftmost.id


def test_new_image_starts_a_new_subject(agent, photo):
    first = agent.turn("all the dogs", photo)
    other = Image.fromarray(np.random.default_rng(4).integers(0, 255, (50, 50, 3), dtype=np.uint8))
    second = agent.turn("only the one on the left", other, first.session_id)
    assert second.result.plan["followup"] == "refine" and second.result.image.width == 50
    # the first image's instances are not this image's: there is nothing to narrow, and the answer says so
    assert second.instances == [] and "no previous result" in second.result.explanation


def test_chinese_explanation_and_clarify(agent, photo):
    out = agent.turn("把最左边的红色圆形抠出来", photo)
    assert out.result.reply_language == "zh" and "红色圆形" in out.result.explanation
    assert len(out.instances) == 1
    clarify = agent.turn("你好", photo)
    assert clarify.result.plan["clarify"] and clarify.result.explanation == clarify.result.plan["clarify"]


def test_bad_turns_raise_our_errors(agent, photo):
    with pytest.raises(BadRequestError):
        agent.turn("   ", photo)
    with pytest.raises(BadRequestError):
        agent.turn("x" * 5000, photo)
    with pytest.raises(BadRequestError, match="no image"):
        agent.turn("the dog", None)


def test_sessions_survive_a_restart_and_stay_private(tiny_segmenter, tmp_path, photo):
    data = tmp_path / "data"
    first_agent = tiny_agent(tiny_segmenter, data)
    first = first_agent.turn("all the dogs", photo, owner=owner_of("key-a"))
    first_agent.store.close()
    restarted = tiny_agent(tiny_segmenter, data)
    second = restarted.turn("drop the smallest one", None, first.session_id, owner=owner_of("key-a"))
    assert len(second.instances) == len(first.instances) - 1
    assert len(restarted.history(first.session_id, owner_of("key-a")).turns) == 2
    with pytest.raises(SessionNotFoundError):
        restarted.history(first.session_id, owner_of("key-b"))
    with pytest.raises(SessionNotFoundError):
        restarted.turn("the dog", photo, first.session_id, owner=owner_of("key-b"))


def test_overlay_renders_cjk_labels(agent, photo):
    from segchat.agent.explain import display_label
    from segchat.agent.outputs.overlay import label_font, render_overlay, text_mask

    out = agent.turn("把所有的狗都选出来", photo)
    # the Chinese turn labels its instances in Chinese
    assert out.labels() and set(out.labels().values()) == {display_label("dog", "zh")} and "狗" in out.labels()[1]
    font = label_font(14)
    dog, cat = text_mask("狗", font), text_mask("猫", font)
    # a font without CJK glyphs draws every character as the same box (or nothing): these must be real glyphs
    assert dog.any() and not np.array_equal(dog, cat)
    overlay = np.asarray(out.overlay())
    english = np.asarray(render_overlay(out.image, out.instances, {i.id: "dog" for i in out.instances}))
    assert overlay.shape == english.shape and not np.array_equal(overlay, english)  # the label itself differs


def test_verification_is_one_call_for_all_candidates(photo):
    from segchat.agent.verify import verify_candidates
    from segchat.contracts.plan import Relation, Target

    candidates = []
    for i in range(4):
        mask = np.zeros((60, 90), dtype=bool)
        mask[10:30, i * 20:i * 20 + 15] = True
        candidates.append(Instance(phrase="cup", score=0.8, mask=CroppedMask.from_full(mask), id=10 + i))
    target = Target(phrase="cup", relation=Relation(type="on", anchor="table"))
    with ScriptedOpenAIServer() as server:
        server.script = [{"reply": json.dumps({"matching": [1, 3, 99]})}, {"status": 500}]
        llm = server_parser(server.url, "qwen-test", timeout_s=5)
        kept = verify_candidates(llm, photo, "the cups on the table", target, candidates)
        assert kept == [candidates[0], candidates[2]]  # numbers are 1-based; unknown numbers are ignored
        assert verify_candidates(llm, photo, "the cups on the table", target, candidates) is None
    assert len(server.requests) == 2
    request = server.requests[0]
    assert request["response_format"]["json_schema"]["name"] == "verification"
    content = request["messages"][0]["content"]
    assert content[0]["image_url"]["url"].startswith("data:image/jpeg") and "on table" in content[1]["text"]


def test_the_verifier_judges_what_the_real_relation_kept(demo_segmenter, tmp_path):
    """Nothing replaced: the demo model finds the shapes of the demo image, the real relation keeps those right of a
    blue shape, and the LLM (ScriptedOpenAIServer, a test double of an OpenAI-compatible endpoint) is asked once, with
    every kept candidate numbered on one picture, after it planned the turn; its answer is the turn's answer."""
    truth = demo_truth_masks()
    plan = {"targets": [{"phrase": "yellow shape", "alternates": ["red shape"],
                         "select": {"kind": "all", "count": None}, "exclude": [],
                         "relation": {"type": "right_of", "anchor": "blue shape"}}],
            "followup": "new", "reply_language": "en", "clarify": None}
    with ScriptedOpenAIServer() as server:
        # by score the demo model's candidates are the red circle top right (3), the yellow circle (5), the yellow
        # star (2) and the left red circle (6), which is right of no blue shape: the verifier sees 3, 5, 2 and keeps
        # its #1 and #3 (the numbers follow the committed model's scores: a new demo model may reorder them)
        server.script = [{"reply": json.dumps(plan)}, {"reply": json.dumps({"matching": [1, 3]})}]
        agent = build_agent(Settings(demo=True, data_dir=tmp_path / "d"), segmenter=demo_segmenter,
                            parser=server_parser(server.url, "qwen-test", timeout_s=5))
        out = agent.turn("the yellow or red shapes right of a blue shape", DEMO_IMAGE, verify=True)
    assert out.result.plan["source"] == "llm" and len(server.requests) == 2
    assert server.requests[1]["response_format"]["json_schema"]["name"] == "verification"
    assert "right of blue shape" in server.requests[1]["messages"][0]["content"][1]["text"]
    assert matches([i.mask for i in out.instances], [truth[2], truth[3]]), [i.box for i in out.instances]
    explanation = out.result.explanation
    assert "found 4; 3 right of “blue shape”" in explanation and "rejected 1 more" in explanation, explanation


def pictures_beyond_the_shapes_world(noise: Image.Image) -> list:
    """A real photo of cats where ../shared is laid beside the checkout, and always a picture of noise."""
    cats = REPO.parent / "shared" / "eval" / "coco_000000039769_cats" / "000000039769.png"
    return [noise, *([cats] if cats.exists() else [])]


@pytest.mark.parametrize("settings", [{"demo": True}, {"model": str(demo_model_dir())}], ids=["--demo", "--model"])
def test_the_demo_model_says_what_it_knows_when_asked_for_a_photo(demo_segmenter, photo, tmp_path, settings):
    """A real photo on the demo model once answered "Found no “cat”" and nothing more; the answer itself (every face
    shows it) now says that the model knows only the shapes world, in the user's language."""
    agent = build_agent(Settings(offline=True, data_dir=tmp_path, **settings), segmenter=demo_segmenter)
    for picture in pictures_beyond_the_shapes_world(photo):
        english = agent.turn("find the cat", picture).result.explanation
        chinese = agent.turn("找出猫", picture).result.explanation
        assert "Found no “cat”" in english and DEMO_NOTE_EN in english and "shapes world" in english, english
        assert DEMO_NOTE_ZH in chinese and "形状世界" in chinese, chinese
    # a shapes-world word that finds nothing says so too; a right answer is left alone
    assert DEMO_NOTE_EN in agent.turn("find the purple hexagon", DEMO_IMAGE).result.explanation
    answered = agent.turn("the leftmost red circle", DEMO_IMAGE).result
    assert len(answered.instances) == 1 and DEMO_NOTE_EN not in answered.explanation
    assert agent.readiness()["demo"] is True


def test_a_model_that_is_not_the_demo_makes_no_such_claim(agent, photo):
    explanation = agent.turn("find the cat", photo).result.explanation
    assert agent.demo is False and DEMO_NOTE_EN not in explanation and "shapes" not in explanation


def test_cli_segment_writes_overlay_masks_and_jsonl_sessions(tiny_checkpoint, tmp_path, photo):
    image_path = tmp_path / "photo.png"
    photo.save(image_path)
    out_dir = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "segchat.faces.cli", "segment", str(image_path), "the two largest dogs",
                           "--model", str(tiny_checkpoint), "--offline", "--threshold", "0", "--data-dir",
                           str(tmp_path / "data"), "--out", str(out_dir), "--json"],
                          capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert len(result["instances"]) == 2 and result["explanation"] and result["plan"]["source"] == "offline"
    assert (out_dir / "overlay.png").exists() and len(list(out_dir.glob("mask_*.png"))) == 2
    lines = [{"image": str(image_path), "instruction": "all the dogs", "session": "s1"},
             {"instruction": "only the leftmost one", "session": "s1"},
             {"instruction": "the dog"},
             {"image": str(tmp_path / "nope.png"), "instruction": "the dog"}]
    done = subprocess.run([sys.executable, "-m", "segchat.faces.cli", "segment", "--jsonl", "-", "--model",
                           str(tiny_checkpoint), "--offline", "--threshold", "0", "--data-dir", str(tmp_path / "data")],
                          input="\n".join(json.dumps(line) for line in lines), capture_output=True, text=True,
                          cwd=REPO, timeout=300)
    outputs = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 1 and len(outputs) == 4
    assert outputs[1]["plan"]["followup"] == "refine" and len(outputs[1]["instances"]) == 1
    assert outputs[0]["session"] == outputs[1]["session"] == "s1"
    assert "error" in outputs[2] and "error" in outputs[3]
