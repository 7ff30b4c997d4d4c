"""The shapes-world renderer against ../shared/SHAPES.md, and its COCO / phrase export."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from pycocotools.coco import COCO
from scipy.ndimage import binary_dilation, binary_erosion

from segchat.parser.offline import parse_offline
from segchat.faces.cli import main as cli
from segchat.segmenter.rle import mask_box, rle_to_mask
from segchat.lab.dataset import CATEGORIES, phrase_zh, scene_annotations
from segchat.lab.render import render_scene, shape_coverage
from segchat.lab.world import COLOURS, SHAPES, all_phrases, phrase_matches

SCENES = [render_scene(np.random.default_rng(seed)) for seed in range(40)]


def full_area(obj) -> float:
    """Area of the whole shape, uncovered and unclipped."""
    side = int(obj.diameter + 8)
    return float(shape_coverage(obj.shape, (side / 2, side / 2), obj.diameter, obj.angle, (side, side), False).sum())


@pytest.mark.parametrize("scene", SCENES, ids=[f"seed{i}" for i in range(len(SCENES))])
def test_scene_follows_the_specification(scene):
    height, width = scene.size
    assert 256 <= height <= 512 and 256 <= width <= 512
    assert 1 <= len(scene.objects) <= 8
    pixels = np.asarray(scene.image, dtype=np.int32)
    occupied = np.zeros((height, width), dtype=bool)
    for obj in scene.objects:
        assert obj.shape in SHAPES and obj.colour in COLOURS
        assert 40 <= obj.diameter <= 160
        assert obj.angle == 0.0 or obj.shape != "circle"
        assert not (obj.mask & occupied).any(), "visible masks overlap"
        occupied |= obj.mask
        inside = shape_coverage(obj.shape, obj.center, obj.diameter, obj.angle, scene.size, False) >= 0.5
        # at least 70% inside the image, and no more than 40% of that covered by later objects (3% for edge pixels)
        assert inside.sum() >= (0.7 - 0.03) * full_area(obj)
        assert (inside & ~obj.mask).sum() <= (0.4 + 0.03) * inside.sum()
        interior = binary_erosion(obj.mask, iterations=2)
        if interior.sum() >= 20:
            colour = np.median(pixels[interior], axis=0)
            assert np.all(np.abs(colour - np.array(COLOURS[obj.colour])) <= 21), (obj.colour, colour)
    background = ~binary_dilation(occupied, iterations=2)
    if background.any():
        values = pixels[background]
        assert values.min() >= 90 - 25 and values.max() <= 200 + 25, "background is not muted"


def test_renderer_is_reproducible_from_its_seed():
    a, b = render_scene(np.random.default_rng(7)), render_scene(np.random.default_rng(7))
    assert np.array_equal(np.asarray(a.image), np.asarray(b.image))
    assert all(np.array_equal(x.mask, y.mask) for x, y in zip(a.objects, b.objects))


def test_phrase_semantics():
    assert phrase_matches("red circle", "red", "circle")
    assert not phrase_matches("red circle", "red", "square")
    assert not phrase_matches("red circle", "blue", "circle")
    assert phrase_matches("circle", "blue", "circle") and not phrase_matches("circle", "blue", "star")
    assert phrase_matches("red object", "red", "star") and phrase_matches("red shape", "red", "hexagon")
    assert not phrase_matches("red object", "green", "star")
    assert len(all_phrases()) == 8 * 5 + 5 + 8 + 8


@pytest.mark.parametrize("phrase", ["red circle", "yellow star", "hexagon", "blue object", "white shape",
                                    "black triangle"])
def test_chinese_phrases_read_back_through_the_offline_parser(phrase):
    plan = parse_offline(f"把{phrase_zh(phrase)}抠出来")
    want = phrase.replace(" shape", " object") if phrase.endswith(" shape") else phrase
    got = plan.targets[0].phrase.replace(" shape", " object")
    assert got == want, (phrase_zh(phrase), plan.model_dump())


def test_annotations_decode_to_the_scene_masks():
    scene = SCENES[3]
    annotations = scene_annotations(scene, image_id=5, first_annotation_id=11)
    visible = [o for o in scene.objects if o.mask.any()]
    assert [a["id"] for a in annotations] == list(range(11, 11 + len(visible)))
    for ann, obj in zip(annotations, visible):
        assert np.array_equal(rle_to_mask(ann["segmentation"]), obj.mask)
        x0, y0, x1, y1 = mask_box(obj.mask)
        assert ann["bbox"] == [x0, y0, x1 - x0, y1 - y0]
        assert ann["area"] == int(obj.mask.sum())
        assert CATEGORIES[ann["category_id"] - 1]["name"] == obj.shape
        assert ann["attributes"] == {"color": obj.colour}


def test_rendered_dataset_loads_in_pycocotools_and_phrases_point_at_the_right_instances(tmp_path):
    result = CliRunner().invoke(cli, ["render-shapes", str(tmp_path / "set"), "--images", "6", "--seed", "3"])
    assert result.exit_code == 0, result.output
    coco = COCO(str(tmp_path / "set" / "annotations.json"))
    assert len(coco.getImgIds()) == 6
    for image in coco.loadImgs(coco.getImgIds()):
        assert (tmp_path / "set" / image["file_name"]).is_file()
    shape_of = {c["id"]: c["name"] for c in coco.loadCats(coco.getCatIds())}
    rows = [json.loads(line) for line in (tmp_path / "set" / "phrases.jsonl").read_text(encoding="utf-8").splitlines()]
    assert any(not r["annotation_ids"] for r in rows) and any(r["annotation_ids"] for r in rows)
    for row in rows:
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[row["image_id"]]))
        matching = {a["id"] for a in anns
                    if phrase_matches(row["phrase"], a["attributes"]["color"], shape_of[a["category_id"]])}
        assert set(row["annotation_ids"]) == matching, row
        assert row["phrase_zh"] == phrase_zh(row["phrase"])
        for ann in coco.loadAnns(row["annotation_ids"]):
            assert coco.annToMask(ann).sum() == ann["area"] > 0


def test_render_shapes_refuses_a_bad_count(tmp_path):
    result = CliRunner().invoke(cli, ["render-shapes", str(tmp_path / "x"), "--images", "0"])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_demo_image_and_its_ground_truth_come_from_the_renderer():
    """examples/shapes_demo.json is the truth for examples/shapes_demo.png: both re-render identically."""
    from PIL import Image

    from examples.render_demo import IMAGE, TRUTH, demo_scene

    scene = demo_scene()
    assert np.array_equal(np.asarray(scene.image), np.asarray(Image.open(IMAGE).convert("RGB")))
    truth = json.loads(TRUTH.read_text())
    assert truth["annotations"] == scene_annotations(scene, image_id=0, first_annotation_id=1)
