"""DETR-style losses for training Sam3Model: Hungarian matching, classification, presence, boxes, masks."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment
from torchvision.ops import generalized_box_iou

WEIGHTS = {"class": 2.0, "presence": 2.0, "box_l1": 5.0, "giou": 2.0, "mask_bce": 5.0, "dice": 5.0, "semantic": 1.0}


def dice_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Per-row dice loss of NxHW logits against NxHW soft targets."""
    probs = logits.sigmoid()
    inter = (probs * targets).sum(-1)
    return 1 - (2 * inter + 1) / (probs.sum(-1) + targets.sum(-1) + 1)


def pairwise_dice_cost(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """QxK dice cost between Q predicted masks (QxHW logits) and K targets (KxHW)."""
    probs = logits.sigmoid()
    inter = probs @ targets.T
    return 1 - (2 * inter + 1) / (probs.sum(-1)[:, None] + targets.sum(-1)[None, :] + 1)


def match(logits: torch.Tensor, boxes: torch.Tensor, masks: torch.Tensor, t_boxes: torch.Tensor,
          t_masks: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Hungarian matching of Q queries to K targets; returns (query indices, target indices)."""
    with torch.no_grad():
        cost = (
            -2.0 * logits.sigmoid()[:, None]
            + 5.0 * torch.cdist(boxes, t_boxes, p=1)
            - 2.0 * generalized_box_iou(boxes, t_boxes)
            + 2.0 * pairwise_dice_cost(masks.flatten(1), t_masks.flatten(1))
        )
        rows, cols = linear_sum_assignment(cost.cpu().numpy())
    return torch.as_tensor(rows, dtype=torch.long), torch.as_tensor(cols, dtype=torch.long)


def sam3_losses(outputs, target_masks: list[torch.Tensor], target_boxes: list[torch.Tensor]) -> dict[str, torch.Tensor]:
    """Losses for a batch of N (image, phrase) pairs.

    target_masks[n]: Kxhxw float (soft, at the prediction's mask resolution); K = 0 for an absent phrase.
    target_boxes[n]: Kx4 normalised xyxy.
    The class loss is taken on present phrases only; absent phrases are left to the presence head.
    """
    pred_logits, pred_boxes, pred_masks = outputs.pred_logits, outputs.pred_boxes, outputs.pred_masks
    presence = outputs.presence_logits.squeeze(-1)
    n_items = len(target_masks)
    total_instances = max(1, sum(len(m) for m in target_masks))
    device = pred_logits.device
    losses = {k: torch.zeros((), device=device) for k in WEIGHTS}
    present = torch.tensor([len(m) > 0 for m in target_masks], dtype=torch.float32, device=device)
    losses["presence"] = F.binary_cross_entropy_with_logits(presence, present)
    semantic = outputs.semantic_seg[:, 0] if outputs.semantic_seg is not None else None
    for n in range(n_items):
        masks_t, boxes_t = target_masks[n], target_boxes[n]
        if semantic is not None:
            union = masks_t.amax(0) if len(masks_t) else torch.zeros_like(semantic[n])
            losses["semantic"] = losses["semantic"] + (
                F.binary_cross_entropy_with_logits(semantic[n], union)
                + dice_loss(semantic[n].flatten()[None], union.flatten()[None])[0]) / n_items
        if len(masks_t) == 0:
            continue
        rows, cols = match(pred_logits[n], pred_boxes[n], pred_masks[n], boxes_t, masks_t)
        class_target = torch.zeros_like(pred_logits[n])
        class_target[rows] = 1.0
        losses["class"] = losses["class"] + F.binary_cross_entropy_with_logits(
            pred_logits[n], class_target, reduction="sum") / total_instances
        matched_boxes, true_boxes = pred_boxes[n, rows], boxes_t[cols]
        losses["box_l1"] = losses["box_l1"] + F.l1_loss(matched_boxes, true_boxes, reduction="sum") / total_instances
        losses["giou"] = losses["giou"] + (1 - torch.diag(generalized_box_iou(matched_boxes, true_boxes))).sum() / total_instances
        matched_masks = pred_masks[n, rows].flatten(1)
        true_masks = masks_t[cols].flatten(1)
        losses["mask_bce"] = losses["mask_bce"] + F.binary_cross_entropy_with_logits(
            matched_masks, true_masks, reduction="none").mean(-1).sum() / total_instances
        losses["dice"] = losses["dice"] + dice_loss(matched_masks, true_masks).sum() / total_instances
    losses["total"] = sum(WEIGHTS[k] * losses[k] for k in WEIGHTS)
    return losses
