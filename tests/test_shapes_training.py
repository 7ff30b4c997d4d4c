"""The shapes trainer: DETR losses on hand-built outputs, and a short real run that checkpoints, resumes and loads."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from segchat.lab.data import BOX_ONLY_TEXT, exemplar_query
from segchat.lab.losses import DecoderLayerOutputs, dense_losses, match, sam3_losses
from segchat.lab.model import byte_level_clip_tokenizer, deepen_backbone, small_sam3_config
from segchat.lab.pool import COLOUR_INDEX, SHAPE_INDEX, ScenePool, dense_targets
from segchat.lab.render import render_scene
from segchat.lab.train import learning_rate
from segchat.lab.train import main as train_main
from segchat.segmenter.predictor import Sam3Segmenter

TINY_SHAPE = ('{"hidden": 32, "vit_hidden": 32, "vit_layers": 2, "global_layers": [1], "image_size": 112, '
              '"window": 4, "queries": 6, "detr_layers": 2, "heads": 2}')


def outputs_for(masks: list[torch.Tensor], boxes: list[torch.Tensor], queries: int = 6, perfect: bool = True,
                seed: int = 0) -> SimpleNamespace:
    """Model-shaped outputs for N phrases; `perfect` puts each true instance on a query (in reverse order)."""
    generator = torch.Generator().manual_seed(seed)
    n, (h, w) = len(masks), masks[0].shape[-2:] if len(masks[0]) else (16, 16)
    logits = torch.randn(n, queries, generator=generator) - 4
    pred_boxes = torch.rand(n, queries, 4, generator=generator).sort(-1).values[..., [0, 1, 2, 3]]
    pred_masks = torch.randn(n, queries, h, w, generator=generator)
    presence = torch.full((n, 1), -6.0)
    semantic = torch.randn(n, 1, h, w, generator=generator)
    for i, (m, b) in enumerate(zip(masks, boxes)):
        if not perfect:
            continue
        logits[i] = -9.0
        if len(m) == 0:
            semantic[i] = -12.0
            continue
        presence[i] = 6.0
        semantic[i, 0] = (m.amax(0) * 2 - 1) * 12
        for k in range(len(m)):
            q = queries - 1 - k
            logits[i, q] = 8.0
            pred_boxes[i, q] = b[k]
            pred_masks[i, q] = (m[k] * 2 - 1) * 12
    return SimpleNamespace(pred_logits=logits, pred_boxes=pred_boxes, pred_masks=pred_masks,
                           presence_logits=presence, semantic_seg=semantic)


def two_squares() -> tuple[torch.Tensor, torch.Tensor]:
    masks = torch.zeros(2, 16, 16)
    masks[0, 2:6, 2:6] = 1
    masks[1, 8:14, 9:15] = 1
    boxes = torch.tensor([[2, 2, 6, 6], [9, 8, 15, 14]], dtype=torch.float32) / 16
    return masks, boxes


def test_matching_finds_the_queries_that_hold_the_instances():
    masks, boxes = two_squares()
    out = outputs_for([masks], [boxes])
    rows, cols = match(out.pred_logits[0], out.pred_boxes[0], out.pred_masks[0], boxes, masks)
    assert sorted(zip(rows.tolist(), cols.tolist())) == [(4, 1), (5, 0)]


def test_a_right_answer_costs_less_than_a_wrong_one_and_absent_phrases_only_train_presence():
    masks, boxes = two_squares()
    targets_m, targets_b = [masks, torch.zeros(0, 16, 16)], [boxes, torch.zeros(0, 4)]
    right = sam3_losses(outputs_for(targets_m, targets_b), targets_m, targets_b)
    wrong = sam3_losses(outputs_for(targets_m, targets_b, perfect=False), targets_m, targets_b)
    for key in ("class", "box_l1", "giou", "mask_bce", "dice", "semantic"):
        assert right[key] < wrong[key], key
    assert right["total"] < 0.1 < wrong["total"]
    # an absent phrase alone: no instance losses at all, only presence (and the empty semantic map)
    absent = sam3_losses(outputs_for([torch.zeros(0, 16, 16)], [torch.zeros(0, 4)]),
                         [torch.zeros(0, 16, 16)], [torch.zeros(0, 4)])
    assert absent["class"] == 0 and absent["box_l1"] == 0 and absent["dice"] == 0
    assert absent["presence"] > 0


def test_losses_give_gradients_to_every_output():
    masks, boxes = two_squares()
    out = outputs_for([masks], [boxes], perfect=False)
    tensors = [out.pred_logits, out.pred_boxes, out.pred_masks, out.presence_logits, out.semantic_seg]
    for t in tensors:
        t.requires_grad_(True)
    sam3_losses(out, [masks], [boxes])["total"].backward()
    assert all(t.grad is not None and t.grad.abs().sum() > 0 for t in tensors)


def test_earlier_decoder_layers_are_supervised_too():
    masks, boxes = two_squares()
    right, wrong = outputs_for([masks], [boxes]), outputs_for([masks], [boxes], perfect=False)
    good = [DecoderLayerOutputs(right.pred_logits, right.pred_boxes, right.presence_logits.squeeze(-1))]
    bad = [DecoderLayerOutputs(wrong.pred_logits, wrong.pred_boxes, wrong.presence_logits.squeeze(-1))]
    with_good = sam3_losses(right, [masks], [boxes], good)
    with_bad = sam3_losses(right, [masks], [boxes], bad)
    for key in ("aux_class", "aux_box_l1", "aux_giou", "aux_presence"):
        assert with_good[key] < with_bad[key], key
    assert with_bad["total"] > with_good["total"]
    assert sam3_losses(right, [masks], [boxes])["aux_class"] == 0  # no earlier layers, no auxiliary loss


def test_one_to_many_earlier_layers_want_every_object_on_several_queries_and_the_last_layer_on_one():
    masks, boxes = two_squares()
    right = outputs_for([masks], [boxes])  # queries 5 and 4 hold the two squares
    doubled = outputs_for([masks], [boxes])
    doubled.pred_logits[0, [3, 2]] = 8.0  # and queries 3 and 2 hold them again
    doubled.pred_boxes[0, [3, 2]] = boxes
    once = [DecoderLayerOutputs(right.pred_logits, right.pred_boxes, right.presence_logits.squeeze(-1))]
    twice = [DecoderLayerOutputs(doubled.pred_logits, doubled.pred_boxes, doubled.presence_logits.squeeze(-1))]
    # one-to-one (the default): a duplicate is a false positive
    one_to_one_twice = sam3_losses(right, [masks], [boxes], twice)
    assert one_to_one_twice["aux_class"] > sam3_losses(right, [masks], [boxes], once)["aux_class"]
    # two positives per object: the duplicate is what is asked, a lone query per object leaves one unmatched
    hybrid_twice = sam3_losses(right, [masks], [boxes], twice, earlier_positives=2)
    hybrid_once = sam3_losses(right, [masks], [boxes], once, earlier_positives=2)
    assert hybrid_twice["aux_class"] < hybrid_once["aux_class"]
    assert hybrid_twice["aux_box_l1"] < 1e-6 and hybrid_twice["aux_giou"] < 1e-6
    # the last layer's losses do not change with the earlier layers' matching
    for key in ("class", "box_l1", "giou", "dice"):
        assert hybrid_twice[key] == one_to_one_twice[key]


def test_dense_targets_mark_shapes_colours_and_the_boundary_between_touching_objects():
    scene = render_scene(np.random.default_rng(2), objects=[("green", "hexagon"), ("green", "triangle")],
                         diameter_range=(120, 150))
    shape_map, colour_map, boundary = dense_targets(scene, (96, 96))
    assert set(np.unique(colour_map)) == {0, COLOUR_INDEX["green"]}
    assert set(np.unique(shape_map)) == {0, SHAPE_INDEX["hexagon"], SHAPE_INDEX["triangle"]}
    assert boundary.sum() > 0 and boundary[shape_map == 0].sum() < boundary.sum()
    logits = torch.zeros(1, 1 + 5 + 1 + 8 + 1, 96, 96)
    perfect = logits.clone()
    perfect[0, :6] = torch.nn.functional.one_hot(torch.from_numpy(shape_map).long(), 6).permute(2, 0, 1) * 20
    perfect[0, 6:15] = torch.nn.functional.one_hot(torch.from_numpy(colour_map).long(), 9).permute(2, 0, 1) * 20
    perfect[0, -1] = torch.from_numpy(boundary).float() * 40 - 20
    targets = [torch.from_numpy(a)[None] for a in (shape_map, colour_map, boundary)]
    assert dense_losses(perfect, *targets, 5)["dense_total"] < 0.01 < dense_losses(logits, *targets, 5)["dense_total"]


def test_box_exemplar_prompts_follow_the_spec():
    rng = np.random.default_rng(4)
    seen = set()
    for _ in range(60):
        scene = render_scene(rng, n_objects=6)
        query = exemplar_query(rng, scene)
        seen.add(query.kind)
        (box_object,) = query.box_objects
        exemplar = scene.objects[box_object]
        for index in query.objects:
            obj = scene.objects[index]
            if query.kind in ("box", "text_box"):  # the box's colour and shape
                assert (obj.colour, obj.shape) == (exemplar.colour, exemplar.shape)
            elif query.phrase.endswith(("shape", "object")):  # a colour phrase without the box's shape
                assert obj.colour == exemplar.colour and obj.shape != exemplar.shape
            else:  # a shape phrase without the box's colour
                assert obj.shape == exemplar.shape and obj.colour != exemplar.colour
        assert (query.phrase == BOX_ONLY_TEXT) == (query.kind == "box")
        assert query.box_labels == [0 if query.kind == "negative_box" else 1]
    assert seen == {"box", "text_box", "negative_box"}


def test_the_scene_pool_is_a_function_of_the_step():
    from transformers import Sam3Processor  # noqa: F401 (the processor of a tiny config)
    from segchat.lab.model import processor_for

    tokenizer = byte_level_clip_tokenizer()
    processor = processor_for(small_sam3_config(vocab_size=len(tokenizer), image_size=112), tokenizer)
    one = ScenePool(3, processor, (32, 32), size=6, births_per_step=2)
    keys = one.alive(10)
    assert len(keys) == 6 and one.alive(11)[:4] == keys[2:]  # two born, two retired per step
    two = ScenePool(3, processor, (32, 32), size=6, births_per_step=2)  # a resumed run: rendered again
    two.alive(11)
    for key in one.alive(11):
        assert torch.equal(one._scenes[key].pixels, two._scenes[key].pixels)


def test_a_deepened_backbone_computes_what_the_shallow_one_did():
    from transformers import Sam3Model

    torch.manual_seed(0)
    tokenizer = byte_level_clip_tokenizer()
    shallow = Sam3Model(small_sam3_config(vocab_size=len(tokenizer), vit_layers=2, image_size=112, window=4)).eval()
    deep = deepen_backbone(shallow, 4, [1, 3]).eval()
    assert deep.config.vision_config.backbone_config.num_hidden_layers == 4
    pixels = torch.randn(1, 3, 112, 112)
    with torch.no_grad():
        a = shallow.get_vision_features(pixel_values=pixels).fpn_hidden_states
        b = deep.get_vision_features(pixel_values=pixels).fpn_hidden_states
    assert all(torch.allclose(x, y, atol=1e-5) for x, y in zip(a, b))


def test_a_widened_backbone_computes_what_the_narrow_one_did_until_its_copies_diverge():
    """Net2Net widening: every ViT unit and head copied, every weight that reads a copied input divided; noise only
    breaks the copies' symmetry (a tensor without it would train its copies identically forever)."""
    from transformers import Sam3Model

    from segchat.lab.model import widen_backbone

    torch.manual_seed(0)
    tokenizer = byte_level_clip_tokenizer()
    narrow = Sam3Model(small_sam3_config(vocab_size=len(tokenizer), vit_layers=2, image_size=112, window=4)).eval()
    wide = widen_backbone(narrow, 2).eval()
    backbone = wide.config.vision_config.backbone_config
    assert (backbone.hidden_size, backbone.num_attention_heads) == (64, 4)  # head size kept: RoPE is per head
    pixels = torch.randn(1, 3, 112, 112)
    with torch.no_grad():
        a = narrow.get_vision_features(pixel_values=pixels).fpn_hidden_states
        b = wide.get_vision_features(pixel_values=pixels).fpn_hidden_states
        noisy = widen_backbone(narrow, 2, noise=0.05).eval().get_vision_features(pixel_values=pixels)
    assert all(torch.allclose(x, y, atol=1e-5) for x, y in zip(a, b))
    changes = [float((x - y).abs().mean() / x.abs().mean()) for x, y in zip(a, noisy.fpn_hidden_states)]
    assert all(0 < change < 0.2 for change in changes), changes
    fc1 = wide.state_dict()["vision_encoder.backbone.layers.0.mlp.fc1.weight"]
    assert fc1.shape == (256, 64) and torch.equal(fc1[:128, :32], fc1[128:, 32:])


def test_learning_rate_schedule():
    assert learning_rate(0, 1000, 1e-3) == pytest.approx(1e-3 / 300)  # warm-up
    assert learning_rate(300, 1000, 1e-3) == pytest.approx(1e-3)  # the peak, then a cosine over the whole run
    assert learning_rate(650, 1000, 1e-3) == pytest.approx(1e-3 * (0.05 + 0.95 * 0.5))
    assert learning_rate(1000, 1000, 1e-3) == pytest.approx(5e-5)
    # a fresh optimizer on exported weights warms up again from where it starts
    assert learning_rate(14000, 20000, 3e-4, start=14000) == pytest.approx(1e-6)


def run_trainer(state, out, steps: int) -> None:
    train_main(["--total-steps", str(steps), "--minutes", "10", "--images", "2", "--queries", "1", "--exemplars", "1",
                "--pool-size", "4", "--births", "1", "--warmup", "2", "--threads", "1", "--log-every", "1",
                "--seed", "5", "--state-dir", str(state), "--out", str(out), "--model-shape", TINY_SHAPE,
                "--init-from", str(state / "no-such-export")])


def test_training_checkpoints_resumes_like_one_run_and_exports_a_loadable_model(tmp_path):
    whole, pieces = tmp_path / "whole", tmp_path / "pieces"
    run_trainer(whole / "state", whole / "out", 3)
    run_trainer(pieces / "state", pieces / "out", 2)
    assert json.loads((pieces / "out" / "training.json").read_text())["step"] == 2
    run_trainer(pieces / "state", pieces / "out", 3)  # resumes at step 2 and runs one more

    a = torch.load(whole / "state" / "state.pt", weights_only=False)
    b = torch.load(pieces / "state" / "state.pt", weights_only=False)
    assert a["step"] == b["step"] == 3
    for name, tensor in a["model"].items():
        assert torch.allclose(tensor, b["model"][name], atol=1e-5), name
    for name, tensor in a["ema"].items():
        assert torch.allclose(tensor, b["ema"][name], atol=1e-5), name
    log = [json.loads(line) for line in (pieces / "out" / "training_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2, 3]
    assert all({"total", "presence_pos", "presence_neg", "top1_mask_iou", "dense_shape", "exemplar_total"} <= set(r)
               for r in log)

    # the export goes through the production loader, exactly like facebook/sam3 would
    segmenter = Sam3Segmenter.from_pretrained(str(pieces / "out"), device="cpu")
    scene = render_scene(np.random.default_rng(1))
    detection = segmenter.detect(scene.image, ["red circle", "star"], threshold=0.0, nms_iou=None)
    assert detection.size == scene.size
    assert {inst.phrase for inst in detection.instances} == {"red circle", "star"}


def test_the_generic_word_alone_asks_for_every_visible_instance():
    """"all the shapes" found 1 of 8 on the demo image: the generic word alone was never a training phrase."""
    from segchat.lab.data import sample_queries

    rng = np.random.default_rng(3)
    scene = render_scene(rng, n_objects=5)
    queries = [q for _ in range(20) for q in sample_queries(rng, scene, 3, absent_fraction=0.0, all_weight=50.0)]
    generic = [q for q in queries if q.kind == "all"]
    assert generic and {q.phrase for q in generic} <= {"shape", "object"}
    visible = [i for i, o in enumerate(scene.objects) if o.mask.any()]
    assert all(q.objects == visible for q in generic)
    # with no weight the draws are those of the recipe before it (a resumed run sees the batches it would have seen)
    one, two = np.random.default_rng(9), np.random.default_rng(9)
    assert [q.phrase for q in sample_queries(one, scene, 4)] == [q.phrase for q in sample_queries(two, scene, 4,
                                                                                                   all_weight=0.0)]


def test_an_enlarged_input_keeps_the_weights_and_interpolates_the_positions():
    from transformers import Sam3Model

    from segchat.lab.model import enlarge_input

    torch.manual_seed(0)
    tokenizer = byte_level_clip_tokenizer()
    small = Sam3Model(small_sam3_config(vocab_size=len(tokenizer), vit_layers=2, image_size=112, window=4)).eval()
    assert enlarge_input(small, 112) is small
    large = enlarge_input(small, 168).eval()
    backbone = large.config.vision_config.backbone_config
    assert backbone.image_size == backbone.pretrain_image_size == 168
    assert large.vision_encoder.backbone.embeddings.position_embeddings.shape[1] == 12 * 12
    key = "vision_encoder.backbone.layers.0.mlp.fc1.weight"
    assert torch.equal(large.state_dict()[key], small.state_dict()[key])
    with torch.no_grad():
        levels = large.get_vision_features(pixel_values=torch.randn(1, 3, 168, 168)).fpn_hidden_states
    assert levels[:-1][-1].shape[-1] == 12  # the detector's level follows the larger grid


def test_the_detector_level_maps_take_each_cells_centre():
    from segchat.lab.train import detector_dense_losses

    shape_map = torch.zeros(8, 8, dtype=torch.uint8)
    shape_map[4:, 4:] = 2
    boundary = torch.zeros(8, 8, dtype=torch.uint8)
    boundary[4, :] = 1
    scene = SimpleNamespace(shape_map=shape_map, colour_map=shape_map, boundary=boundary)
    n_channels = 1 + 5 + 1 + 8 + 1
    perfect = torch.full((1, n_channels, 2, 2), -20.0)
    perfect[0, 0] = 20.0  # background everywhere but the bottom-right cell
    perfect[0, 0, 1, 1], perfect[0, 2, 1, 1] = -20.0, 20.0
    perfect[0, 6] = 20.0  # colour background ...
    perfect[0, 6, 1, 1], perfect[0, 8, 1, 1] = -20.0, 20.0  # ... and colour class 2 where the shape is
    perfect[0, -1, 1, :] = 20.0  # the boundary row lies in the lower cells
    losses = detector_dense_losses(perfect, [scene])
    assert losses["dense_shape"] < 1e-3 and losses["dense_colour"] < 1e-3 and losses["dense_boundary"] < 1e-3
    wrong = perfect.clone()
    wrong[0, 0, 1, 1], wrong[0, 2, 1, 1] = 20.0, -20.0
    assert detector_dense_losses(wrong, [scene])["dense_shape"] > 1.0


def test_the_probe_reads_what_the_features_hold_and_nothing_more():
    from segchat.lab.probe import probe_accuracy

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 5, size=400)
    informative = np.eye(5)[labels] + rng.normal(0, 0.3, size=(400, 5))
    noise = rng.normal(size=(400, 5))
    assert probe_accuracy(informative[:300], labels[:300], informative[300:], labels[300:], 5) > 0.9
    assert probe_accuracy(noise[:300], labels[:300], noise[300:], labels[300:], 5) < 0.4


def test_the_probe_splits_shape_accuracy_by_the_size_the_model_sees():
    from segchat.lab.probe import shape_by_size

    truth = np.array([0, 1, 2, 3, 4, 0])
    predicted = np.array([0, 1, 4, 3, 0, 4])  # right on the large objects, wrong on the small ones
    sizes = np.array([100.0, 95.0, 30.0, 70.0, 20.0, 45.0])
    row = shape_by_size(predicted, truth, sizes)
    assert row["shape_by_size"]["0-40px"] == {"objects": 2, "accuracy": 0.0}
    assert row["shape_by_size"]["40-60px"] == {"objects": 1, "accuracy": 0.0}
    assert row["shape_by_size"]["90-10000px"] == {"objects": 2, "accuracy": 1.0}
    assert row["shape_confusion"]["rows"][2][4] == 1 and row["shape_confusion"]["rows"][0][0] == 1
    assert sum(map(sum, row["shape_confusion"]["rows"])) == len(truth)
