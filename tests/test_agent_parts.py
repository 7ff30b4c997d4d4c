"""The agent's parts tested directly: the work queue, per-session locks, the session store, explanations and
exports, and the door's promise that a failed turn changes nothing."""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils
from scipy import ndimage

from segchat.agent import build_agent
from segchat.agent.execute import Execution, TargetReport
from segchat.agent.explain import explain
from segchat.agent.outputs.export import coco_json, masks_zip, smooth_mask
from segchat.agent.serving.queue import KeyedLocks, WorkQueue
from segchat.agent.results import ExportKind, Turn
from segchat.agent.serving.store import SessionStore, owner_of
from segchat.contracts.errors import BadRequestError, ImageReadError, QueueFullError, SessionNotFoundError
from segchat.contracts.plan import Relation, Select, Target
from segchat.contracts.results import AgentResult, ImageSize
from segchat.contracts.settings import Settings
from segchat.segmenter.instances import Instance
from segchat.segmenter.masks import CroppedMask


def square(x0, y0, x1, y1, size=(60, 90), **kw) -> Instance:
    mask = np.zeros(size, dtype=bool)
    mask[y0:y1, x0:x1] = True
    return Instance(phrase=kw.pop("phrase", "cup"), score=kw.pop("score", 0.8), mask=CroppedMask.from_full(mask), **kw)


# -- the work queue and the locks -----------------------------------------------------------------------------------
def test_the_queue_runs_one_job_at_a_time_and_refuses_past_its_size():
    queue = WorkQueue(size=1, wait_timeout_s=5)
    running, peak, release = [], [], threading.Event()

    def job():
        running.append(1)
        peak.append(len(running))
        release.wait(5)
        running.pop()
        return "done"

    results, errors = [], []

    def call():
        try:
            results.append(queue.run(job))
        except QueueFullError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(3)]
    for thread in threads:
        thread.start()
        time.sleep(0.2)  # one runs, one waits, the third finds the queue full
    release.set()
    for thread in threads:
        thread.join(10)
    assert results == ["done", "done"] and len(errors) == 1 and max(peak) == 1
    assert queue.stats.served == 2 and queue.stats.rejected == 1 and queue.stats.running == 0


def test_session_locks_are_freed_when_released():
    locks = KeyedLocks()
    for number in range(100):
        with locks.hold(f"session-{number}"):
            assert len(locks) == 1
    assert len(locks) == 0  # the table does not grow with every session ever seen


def test_a_session_lock_excludes_a_second_holder():
    locks, order = KeyedLocks(), []

    def second():
        with locks.hold("s"):
            order.append("second")

    with locks.hold("s"):
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.2)
        order.append("first")
    thread.join(5)
    assert order == ["first", "second"] and len(locks) == 0


# -- the session store ------------------------------------------------------------------------------------------------
def test_the_store_keeps_turns_in_order_and_sessions_private(tmp_path):
    store = SessionStore(tmp_path)
    mine = store.create_session(owner_of("key-a"))
    for number in range(3):
        assert store.append_turn(mine, f"turn {number}", None, {"n": number}) == number
    assert [t["instruction"] for t in store.turns(mine)] == ["turn 0", "turn 1", "turn 2"]
    assert store.last_turn(mine)["result"] == {"n": 2}
    with pytest.raises(SessionNotFoundError):
        store.get_session(mine, owner_of("key-b"))
    with pytest.raises(SessionNotFoundError):
        store.get_or_create(mine, owner_of("key-b"))  # another key's id is not taken over
    store.close()
    reopened = SessionStore(tmp_path)
    assert len(reopened.turns(mine)) == 3  # a restart loses nothing


def test_images_are_stored_under_their_digest_only(tmp_path):
    store = SessionStore(tmp_path)
    image = Image.fromarray(np.random.default_rng(1).integers(0, 255, (20, 30, 3), dtype=np.uint8))
    key = store.save_image(image)
    assert key == store.image_key(image) and store.image_keys() == [key] and store.save_image(image) == key
    assert store.image_keys() == [key]  # the same image twice is one row
    assert np.array_equal(np.asarray(store.load_image(key)), np.asarray(image))
    with pytest.raises(SessionNotFoundError):
        store.load_image("../segchat")


# -- explanations ------------------------------------------------------------------------------------------------------
def report(target: Target, **kw) -> TargetReport:
    return TargetReport(target=target, searched=[target.phrase] if target.phrase else [], **kw)


@pytest.mark.parametrize("language,target,fields,expected", [
    ("en", Target(phrase="cup", select=Select(kind="leftmost", count=1)), {"found": 3}, ["“cup”: found 3",
                                                                                        "kept the leftmost 1"]),
    ("zh", Target(phrase="cup", select=Select(kind="leftmost", count=1)), {"found": 3}, ["查找“杯子”：找到 3 个",
                                                                                        "保留最左边的 1 个"]),
    ("en", Target(phrase="car", select=Select(kind="leftmost", count=1, ordinal=2)), {"found": 4},
     ["kept the 2nd from the left"]),
    ("zh", Target(phrase="car", select=Select(kind="leftmost", count=1, ordinal=2)), {"found": 4}, ["保留从左数第 2 个"]),
    ("en", Target(phrase="unicorn"), {"found": 0}, ["Found no “unicorn”", "Nothing in the image matches"]),
    ("zh", Target(phrase="cup", relation=Relation(type="on", anchor="table")), {"found": 2, "anchors": 0,
                                                                                "relation_kept": 0},
     ["没有找到“桌子”"]),
    ("en", Target(phrase="car", exclude=["red car"]), {"found": 3, "excluded": ["red car"], "excluded_dropped": 1},
     ["dropped 1 that matched “red car”"]),
    ("en", Target(), {"found": 2, "examples": [(2, True)]}, ["objects like the examples", "#2 as the example"]),
    ("zh", Target(), {"found": 2, "examples": [(3, False)]}, ["排除像3号那样的"]),
])
def test_explanations_say_what_happened(language, target, fields, expected):
    selected = [square(0, 0, 5, 5, id=1)] if fields.get("found") else []
    execution = Execution(instances=selected, reports=[report(target, selected=selected, **fields)], followup="new",
                          previous_count=0)
    text = explain(execution, language)
    for piece in expected:
        assert piece in text, text


@pytest.mark.parametrize("language,expected", [("en", "Found no objects like the examples in the image."),
                                               ("zh", "图中没有找到和样例相似的物体。")])
def test_an_exemplar_alone_that_finds_nothing_names_no_empty_phrase(language, expected):
    """An exemplar prompt searches no words: the answer once read "(tried )"."""
    empty = TargetReport(target=Target(), searched=[""], found=0, examples=[(2, True)])
    text = explain(Execution(instances=[], reports=[empty], followup="new", previous_count=0), language)
    assert expected in text and "tried" not in text and "试过" not in text, text


def test_every_language_of_the_explanation_has_every_template():
    """explain_words.toml: a template missing from one language would fail only the turn that needs it."""
    from segchat.agent.explain import WORDS

    def keys(table: dict) -> set[str]:
        return {f"{k}.{sub}" if isinstance(v, dict) else k for k, v in table.items()
                for sub in (v if isinstance(v, dict) else [None])}

    assert keys(WORDS["zh"]) == keys(WORDS["en"]) and len(keys(WORDS["en"])) > 40


def test_explanations_name_the_parser_and_its_doubts():
    execution = Execution(instances=[], reports=[], followup="new", previous_count=0)
    assert "without the LLM" in explain(execution, "en", source="offline")
    assert "LLM was not used: timeout" in explain(execution, "en", source="offline", fallback_reason="timeout")
    assert "(a guess)" in explain(execution, "en", source="offline", doubt="a guess")
    assert "（猜的）" in explain(execution, "zh", source="offline", doubt="猜的")
    assert explain(execution, "en", clarify="What should I segment?") == "What should I segment?"


# -- exports -----------------------------------------------------------------------------------------------------------
def turn_of(instances: list[Instance]) -> Turn:
    image = Image.new("RGB", (90, 60), (120, 130, 140))
    result = AgentResult(image=ImageSize(width=90, height=60), instances=[], timings_ms={}, explanation="",
                         reply_language="en", plan={})
    return Turn(result=result, instances=instances, image=image, session_id="s", index=3)


def test_coco_export_decodes_to_the_instances():
    instances = [square(10, 10, 30, 40, id=1, phrase="cup"), square(50, 5, 80, 20, id=2, phrase="plate")]
    document = coco_json(instances, (60, 90))
    assert [c["name"] for c in document["categories"]] == ["cup", "plate"]
    for annotation, inst in zip(document["annotations"], instances):
        decoded = mask_utils.decode({"size": annotation["segmentation"]["size"],
                                     "counts": annotation["segmentation"]["counts"].encode()}).astype(bool)
        assert np.array_equal(decoded, inst.mask.full()) and annotation["area"] == inst.area
        x, y, w, h = annotation["bbox"]
        assert (x, y, x + w, y + h) == inst.box


def test_masks_zip_holds_one_png_per_instance_and_an_index():
    instances = [square(10, 10, 30, 40, id=1), square(50, 5, 80, 20, id=7)]
    with zipfile.ZipFile(io.BytesIO(masks_zip(instances))) as archive:
        names = sorted(archive.namelist())
        assert names == ["instances.json", "mask_1_cup.png", "mask_7_cup.png"]
        png = np.asarray(Image.open(io.BytesIO(archive.read("mask_7_cup.png"))))
        assert np.array_equal(png > 0, instances[1].mask.full())
        assert [i["id"] for i in json.loads(archive.read("instances.json"))] == [1, 7]


def test_smoothing_on_the_crop_equals_smoothing_the_whole_image():
    rng = np.random.default_rng(0)
    full = ndimage.binary_dilation(rng.random((60, 90)) > 0.97, iterations=3)
    full[:, :5] = True  # touching the border: outside counts as background
    smoothed = smooth_mask(CroppedMask.from_full(full), 1.5).full()
    expected = ndimage.gaussian_filter(full.astype(np.float32), sigma=1.5, mode="constant") > 0.5
    assert np.array_equal(smoothed, expected)


def test_a_turn_exports_every_kind_and_refuses_an_unknown_one():
    turn = turn_of([square(10, 10, 30, 40, id=1)])
    files = {kind: turn.export(kind) for kind in ExportKind}
    assert {kind: f.name for kind, f in files.items()} == {
        ExportKind.OVERLAY: "turn3_overlay.png", ExportKind.MASKS: "turn3_masks.zip", ExportKind.COCO: "turn3_coco.json",
        ExportKind.CUTOUTS: "turn3_cutouts.zip", ExportKind.PSD: "turn3_layers.psd"}
    assert files[ExportKind.OVERLAY].media_type == "image/png"
    assert Image.open(io.BytesIO(files[ExportKind.OVERLAY].data)).size == (90, 60)
    assert json.loads(files[ExportKind.COCO].data)["annotations"]
    assert turn.export("coco") == files[ExportKind.COCO]  # the enum or its value, as REST and the UI send it
    with pytest.raises(BadRequestError, match="unknown export"):
        turn.export("psd-of-doom")


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def test_only_a_png_of_exactly_its_pixels_is_kept_as_it_came():
    """`png_as_read`: the bytes a store may keep instead of encoding again are those load_image reads pixel for
    pixel; anything it converts (alpha, a palette, a transparency key, an EXIF turn, JPEG) is encoded again."""
    from segchat.segmenter.images import load_image, png_as_read

    rgb = Image.fromarray(np.random.default_rng(6).integers(0, 255, (30, 40, 3), dtype=np.uint8))
    plain = encoded(rgb, "PNG")
    assert png_as_read(plain) == plain
    assert np.array_equal(np.asarray(load_image(plain)), np.asarray(rgb))
    exif = Image.Exif()
    exif[0x0112] = 6  # turned a quarter: load_image turns it back, so the file's pixels are not the image's
    for other in (encoded(rgb.convert("RGBA"), "PNG"), encoded(rgb.convert("P"), "PNG"),
                  encoded(rgb, "PNG", transparency=(0, 0, 0)), encoded(rgb, "PNG", exif=exif),
                  encoded(rgb, "JPEG"), encoded(rgb, "PNG", save_all=True, append_images=[rgb.rotate(90)]),
                  b"\x89PNG\r\n\x1a\nnot really"):
        assert png_as_read(other) is None
    assert png_as_read(rgb) is None and png_as_read(np.asarray(rgb)) is None


def test_a_png_upload_is_stored_as_it_came_and_anything_else_as_its_pixels(tiny_segmenter, tmp_path):
    agent = build_agent(Settings(offline=True, threshold=0.0, data_dir=tmp_path), segmenter=tiny_segmenter)
    rgb = Image.fromarray(np.random.default_rng(7).integers(0, 255, (60, 90, 3), dtype=np.uint8))
    upload = encoded(rgb, "PNG", compress_level=9)  # not the store's own level: a re-encoding would differ
    turn = agent.turn("all the dogs", upload)
    assert agent.store.image_png(str(turn.image_key)) == upload
    rgba = rgb.convert("RGBA")
    rgba.putpixel((0, 0), (10, 20, 30, 0))  # a transparent pixel: composited on white by load_image
    second = agent.turn("all the dogs", encoded(rgba, "PNG"))
    stored = agent.store.image_png(str(second.image_key))
    assert stored != encoded(rgba, "PNG")
    with Image.open(io.BytesIO(stored)) as back:
        assert back.mode == "RGB" and back.getpixel((0, 0)) == (255, 255, 255)
        assert np.array_equal(np.asarray(back), np.asarray(second.image))


# -- the door: a failed turn changes nothing --------------------------------------------------------------------------
def test_an_empty_upload_is_an_error_not_the_previous_image(tiny_segmenter, tmp_path):
    """Before: an upload that could not be read became b'' and the turn ran on the session's previous image."""
    from segchat.ui.app import read_uploads

    agent = build_agent(Settings(offline=True, threshold=0.0, data_dir=tmp_path), segmenter=tiny_segmenter)
    photo = Image.fromarray(np.random.default_rng(3).integers(0, 255, (60, 90, 3), dtype=np.uint8))
    first = agent.turn("all the dogs", photo)
    with pytest.raises(ImageReadError, match="empty"):
        agent.turn("all the dogs", agent.image_bytes(b""), first.session_id)
    with pytest.raises(ImageReadError, match="could not be read"):
        read_uploads([str(tmp_path / "vanished-upload.png")])
    assert len(agent.history(first.session_id).turns) == 1


def test_a_bad_exemplar_leaves_the_session_and_the_store_unchanged(tiny_segmenter, tmp_path):
    agent = build_agent(Settings(offline=True, threshold=0.0, data_dir=tmp_path), segmenter=tiny_segmenter)
    photo = Image.fromarray(np.random.default_rng(4).integers(0, 255, (60, 90, 3), dtype=np.uint8))
    first = agent.turn("all the dogs", photo)
    images_before = agent.store.image_keys()
    other = Image.fromarray(np.random.default_rng(5).integers(0, 255, (60, 90, 3), dtype=np.uint8))
    for boxes, message in ([{"box": [10, 10, 200, 20], "positive": True}], "not inside"), \
                          ([{"box": [10, 10, 10, 20], "positive": True}], "no area"), \
                          ([{"box": [1, 1, 5, 5]}] * 17, "at most 16"):
        from segchat.contracts.tool import ExemplarBox

        with pytest.raises(BadRequestError, match=message):
            agent.turn("all the dogs", other, first.session_id, exemplars=[ExemplarBox(**b) for b in boxes])
    with pytest.raises(BadRequestError, match="no #9"):
        agent.turn("more like #9", None, first.session_id)
    assert len(agent.history(first.session_id).turns) == 1
    assert agent.store.image_keys() == images_before  # the refused image was not kept


def test_instances_kept_or_dropped_by_number(demo_segmenter, tmp_path):
    agent = build_agent(Settings(offline=True, demo=True, data_dir=tmp_path), segmenter=demo_segmenter)
    first = agent.turn("the red circles and the blue squares", Image.open(Path(__file__).resolve().parents[1] / "examples" / "shapes_demo.png"))
    ids = [i.id for i in first.result.instances]
    assert len(ids) >= 3, "the demo model found too few to pick from"
    boxes = {i.id: i.box for i in first.result.instances}
    dropped = agent.turn(f"drop #{ids[1]}", None, first.session_id).result
    assert [i.id for i in dropped.instances] == [n for n in ids if n != ids[1]]
    assert all(i.box == boxes[i.id] for i in dropped.instances)  # the same instances, not found again
    kept = agent.turn(f"只要{ids[0]}号和{ids[2]}号", None, first.session_id).result
    assert [i.id for i in kept.instances] == [ids[0], ids[2]]
    with pytest.raises(BadRequestError, match=f"no #{ids[1]}"):  # dropped two turns ago
        agent.turn(f"only #{ids[1]}", None, first.session_id)
    assert len(agent.history(first.session_id).turns) == 3


# -- cut-outs and layers ---------------------------------------------------------------------------------------------
def test_cutouts_carry_the_mask_as_alpha_and_the_image_as_colour(tmp_path):
    from psd_tools import PSDImage

    from segchat.agent.outputs.cutouts import cutout

    rng = np.random.default_rng(7)
    image = Image.fromarray(rng.integers(0, 255, (60, 90, 3), dtype=np.uint8))
    circle = np.zeros((60, 90), dtype=bool)
    yy, xx = np.mgrid[:60, :90]
    circle[(yy - 30) ** 2 + (xx - 25) ** 2 < 15 ** 2] = True
    instances = [Instance("red circle", 0.9, CroppedMask.from_full(circle), id=1),
                 square(55, 10, 85, 50, id=2, phrase="blue square")]
    turn = Turn(result=AgentResult(image=ImageSize(width=90, height=60), instances=[], timings_ms={}, explanation="",
                                   reply_language="zh", plan={}), instances=instances, image=image, session_id="s")
    pixels = np.asarray(image)
    for inst in instances:
        piece, (left, top) = cutout(image, inst)
        rgba = np.asarray(piece)
        x0, y0, x1, y1 = (int(v) for v in inst.box)
        assert (left, top) == (x0, y0) and rgba.shape == (y1 - y0, x1 - x0, 4)
        assert np.array_equal(rgba[..., 3] == 255, inst.mask.full()[y0:y1, x0:x1])  # alpha = the mask in its box
        assert set(np.unique(rgba[..., 3])) <= {0, 255}
        assert np.array_equal(rgba[..., :3], pixels[y0:y1, x0:x1])  # colour = the image's
    soft = np.asarray(cutout(image, instances[0], feather=2.0)[0])[..., 3]
    assert len(np.unique(soft)) > 2  # feathered: a soft edge
    canvas = np.asarray(Image.open(io.BytesIO(turn.cutouts()["cutout.png"])))
    assert canvas.shape == (60, 90, 4) and np.array_equal(canvas[..., 3] > 0, circle | instances[1].mask.full())

    written = turn.write_outputs(tmp_path)
    assert {p.name for p in written} >= {"cutout_1.png", "cutout_2.png", "cutout.png", "layers.psd", "result.json"}
    psd = PSDImage.open(tmp_path / "layers.psd")
    layers = list(psd)
    assert [layer.name for layer in layers] == ["image", "#1 红色圆形", "#2 蓝色正方形"]  # named by label, bottom up
    assert layers[1].bbox == tuple(int(v) for v in instances[0].box)
    assert np.array_equal(np.asarray(layers[0].topil().convert("RGB")), pixels)
    alpha = np.asarray(layers[2].topil())[..., 3]
    assert np.array_equal(alpha == 255, instances[1].mask.full()[10:50, 55:85])


# -- concepts ----------------------------------------------------------------------------------------------------------
def test_a_concept_crop_lands_beside_the_image_and_only_the_image_counts():
    from segchat.agent.concepts import Concept, ExemplarCanvas

    image = Image.new("RGB", (90, 60), (30, 30, 30))
    concept = Concept.from_instance("Blue Widget!", Image.new("RGB", (50, 40), (0, 0, 200)), square(10, 10, 30, 30,
                                                                                                     size=(40, 50)))
    assert concept.name == "blue widget" and concept.phrase == "cup"
    canvas = ExemplarCanvas.build(image, [concept])
    (exemplar,) = canvas.boxes
    assert canvas.canvas.width > 90 and exemplar.box[0] >= 90  # the exemplar sits on the column, right of the image
    on_image = square(5, 5, 20, 20, size=(canvas.canvas.height, canvas.canvas.width))
    on_column = square(100, 5, 120, 20, size=(canvas.canvas.height, canvas.canvas.width))
    straddling = square(80, 5, 110, 20, size=(canvas.canvas.height, canvas.canvas.width))
    kept = canvas.inside_image([on_image, on_column, straddling])
    assert len(kept) == 1 and kept[0].mask.size == (60, 90) and kept[0].area == on_image.area


def test_remember_then_find_by_name_and_forget(tiny_segmenter, tmp_path):
    agent = build_agent(Settings(offline=True, threshold=0.0, data_dir=tmp_path), segmenter=tiny_segmenter)
    photo = Image.fromarray(np.random.default_rng(3).integers(0, 255, (60, 90, 3), dtype=np.uint8))
    first = agent.turn("all the dogs", photo, owner="alice")
    assert first.instances
    remembered = agent.turn("remember #1 as the lucky dog", None, first.session_id, owner="alice")
    assert "lucky dog" in remembered.result.explanation and remembered.instances  # the previous answer stands
    assert [c["name"] for c in agent.concept_list("alice")] == ["lucky dog"] and agent.concept_list("bob") == []
    other = Image.fromarray(np.random.default_rng(8).integers(0, 255, (50, 70, 3), dtype=np.uint8))
    found = agent.turn("find the lucky dog", other, owner="alice")
    assert "lucky dog" in found.result.explanation and "remembered" in found.result.explanation
    # a name the parser does not know ('gizmo' reads as a low-confidence phrase) is no doubt once it names a concept
    agent.turn("remember #1 as the gizmo", None, first.session_id, owner="alice")
    gizmo = agent.turn("find the gizmo", other, owner="alice")
    assert "remembered" in gizmo.result.explanation and "not sure" not in gizmo.result.explanation
    assert all(i.label == "lucky dog" and i.mask.size == (50, 70) for i in found.instances)
    with pytest.raises(BadRequestError, match="no #9"):
        agent.turn("remember #9 as the other dog", None, first.session_id, owner="alice")
    agent.forget_concept("Lucky Dog", "alice")
    agent.forget_concept("gizmo", "alice")
    assert agent.concept_list("alice") == []
    from segchat.contracts.errors import NotFoundError

    with pytest.raises(NotFoundError):
        agent.forget_concept("lucky dog", "alice")


# -- typed states ------------------------------------------------------------------------------------------------------
def test_trackers_are_chosen_by_kind_or_its_value(tiny_segmenter, tmp_path):
    from segchat.contracts.results import TrackerKind

    agent = build_agent(Settings(offline=True, data_dir=tmp_path), segmenter=tiny_segmenter)
    tracker = agent.tracker()
    # auto is a choice, never a tracker: the tiny checkpoint has no video model, so auto is detect, built once
    assert tracker.name is TrackerKind.DETECT and agent.tracker("detect") is tracker
    assert agent.tracker(TrackerKind.AUTO) is tracker and list(agent._trackers) == [TrackerKind.DETECT]
    with pytest.raises(BadRequestError, match="no video tracker"):
        agent.tracker(TrackerKind.SAM3)
    with pytest.raises(BadRequestError, match="unknown tracker 'kalman'"):
        agent.tracker("kalman")


def test_readiness_is_typed_and_keeps_the_keys_the_faces_read(tiny_segmenter, tmp_path):
    from segchat.contracts.results import Readiness

    agent = build_agent(Settings(offline=True, data_dir=tmp_path, concurrency=2), segmenter=tiny_segmenter)
    status = agent.status()
    assert isinstance(status, Readiness) and status.demo is False and status.uses_llm is False
    assert status.parser == "offline" and status.llm_state == "offline" and status.batching is not None
    ready = agent.readiness()
    assert ready == status.model_dump(mode="json")
    assert {"uses_llm", "llm_state", "llm_detail", "parser", "llm", "model", "device", "dtype", "threshold", "queue",
            "batching"} <= set(ready)
    assert ready["dtype"] == "float32" and ready["threshold"] == tiny_segmenter.default_threshold
    assert json.loads(json.dumps(ready)) == ready  # plain JSON for /readyz


def test_the_demo_notes_words_are_the_shapes_worlds():
    """The runtime never imports the lab, so the explanation keeps its own list of the shapes world's words."""
    from segchat.agent.explain import SHAPES_WORLD_WORDS
    from segchat.lab.world import COLOURS, SHAPES, all_phrases

    assert SHAPES_WORLD_WORDS == set(COLOURS) | set(SHAPES) | {word for p in all_phrases() for word in p.split()}
