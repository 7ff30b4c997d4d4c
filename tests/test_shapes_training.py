"""The shapes trainer: DETR losses on hand-built outputs, and a short real run that checkpoints, resumes and loads."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from segchat.segmenter.predictor import Sam3Segmenter
from segchat.lab.losses import match, sam3_losses
from segchat.lab.render import render_scene
from segchat.lab.train import learning_rate
from segchat.lab.train import main as train_main


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


def test_learning_rate_schedule():
    assert learning_rate(0, 1000, 1e-3) == pytest.approx(1e-3 / 300)
    assert learning_rate(400, 1000, 1e-3) == 1e-3  # constant to 60%
    assert learning_rate(1000, 1000, 1e-3) == pytest.approx(1e-4)  # cosine down to 10%
    assert learning_rate(800, 1000, 1e-3) == pytest.approx(1e-3 * (0.1 + 0.9 * 0.5))


def run_trainer(state, out, steps: int) -> None:
    train_main(["--total-steps", str(steps), "--minutes", "10", "--images", "1", "--queries", "2", "--threads", "1",
                "--log-every", "1", "--seed", "5", "--state-dir", str(state), "--out", str(out),
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
    log = [json.loads(line) for line in (pieces / "out" / "training_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2, 3]
    assert all({"total", "presence_pos", "presence_neg", "top1_mask_iou"} <= set(r) for r in log)

    # the export goes through the production loader, exactly like facebook/sam3 would
    segmenter = Sam3Segmenter.from_pretrained(str(pieces / "out"), device="cpu")
    scene = render_scene(np.random.default_rng(1))
    detection = segmenter.detect(scene.image, ["red circle", "star"], threshold=0.0, nms_iou=None)
    assert detection.size == scene.size
    assert {inst.phrase for inst in detection.instances} == {"red circle", "star"}
