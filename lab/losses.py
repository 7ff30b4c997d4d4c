"""DETR-style losses for training Sam3Model: Hungarian matching, classification, presence, boxes, masks, plus the
two kinds of deep supervision the shapes trainer adds (every decoder layer, and dense maps on the backbone)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment
from torchvision.ops import generalized_box_iou

WEIGHTS = {"class": 2.0, "presence": 2.0, "box_l1": 5.0, "giou": 2.0, "mask_bce": 5.0, "dice": 5.0, "semantic": 1.0,
           "aux_class": 2.0, "aux_presence": 1.0, "aux_box_l1": 5.0, "aux_giou": 2.0}
DENSE_WEIGHTS = {"dense_shape": 1.0, "dense_colour": 0.5, "dense_boundary": 1.0}


@dataclass
class DecoderLayerOutputs:
    """What one earlier decoder layer predicts: N x Q logits, N x Q x 4 normalised xyxy boxes, N presence logits."""

    logits: torch.Tensor
    boxes: torch.Tensor
    presence: torch.Tensor


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


def match(logits: torch.Tensor, boxes: torch.Tensor, masks: torch.Tensor | None, t_boxes: torch.Tensor,
          t_masks: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Hungarian matching of Q queries to K targets; returns (query indices, target indices). Without masks (an
    earlier decoder layer) the cost is the class and box terms alone."""
    with torch.no_grad():
        cost = (-2.0 * logits.sigmoid()[:, None] + 5.0 * torch.cdist(boxes, t_boxes, p=1)
                - 2.0 * generalized_box_iou(boxes, t_boxes))
        if masks is not None:
            cost = cost + 2.0 * pairwise_dice_cost(masks.flatten(1), t_masks.flatten(1))
        rows, cols = linear_sum_assignment(cost.float().cpu().numpy())
    return torch.as_tensor(rows, dtype=torch.long), torch.as_tensor(cols, dtype=torch.long)


def _class_and_boxes(logits: torch.Tensor, boxes: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor,
                     t_boxes: torch.Tensor, total_instances: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    class_target = torch.zeros_like(logits)
    class_target[rows] = 1.0
    class_loss = F.binary_cross_entropy_with_logits(logits, class_target, reduction="sum") / total_instances
    matched, true = boxes[rows], t_boxes[cols]
    l1 = F.l1_loss(matched, true, reduction="sum") / total_instances
    giou = (1 - torch.diag(generalized_box_iou(matched, true))).sum() / total_instances
    return class_loss, l1, giou


def sam3_losses(outputs, target_masks: list[torch.Tensor], target_boxes: list[torch.Tensor],
                earlier_layers: list[DecoderLayerOutputs] | None = None,
                earlier_positives: int = 1) -> dict[str, torch.Tensor]:
    """Losses for a batch of N prompts (each an image with a phrase and/or boxes).

    target_masks[n]: Kxhxw float (soft, at the prediction's mask resolution); K = 0 when nothing matches.
    target_boxes[n]: Kx4 normalised xyxy.
    earlier_layers: the outputs of the decoder layers before the last (auxiliary class, box and presence losses,
    each layer matched on its own).
    earlier_positives: how many queries of each earlier layer are matched to every target (H-DETR's hybrid layers:
    one-to-many matching gives a layer k positives an object instead of one, denser gradients for the queries and the
    features they read, while the last layer stays one-to-one, so inference needs no duplicate removal).
    The class loss is taken on prompts with instances only; the others are left to the presence head.
    """
    pred_logits, pred_boxes, pred_masks = outputs.pred_logits, outputs.pred_boxes, outputs.pred_masks
    presence = outputs.presence_logits.squeeze(-1)
    n_items = len(target_masks)
    total_instances = max(1, sum(len(m) for m in target_masks))
    device = pred_logits.device
    losses = {k: torch.zeros((), device=device) for k in WEIGHTS}
    present = torch.tensor([len(m) > 0 for m in target_masks], dtype=torch.float32, device=device)
    losses["presence"] = F.binary_cross_entropy_with_logits(presence.float(), present)
    earlier_layers = earlier_layers or []
    for layer in earlier_layers:
        losses["aux_presence"] = losses["aux_presence"] + F.binary_cross_entropy_with_logits(
            layer.presence.float(), present) / len(earlier_layers)
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
        class_loss, l1, giou = _class_and_boxes(pred_logits[n], pred_boxes[n], rows, cols, boxes_t, total_instances)
        losses["class"] = losses["class"] + class_loss
        losses["box_l1"] = losses["box_l1"] + l1
        losses["giou"] = losses["giou"] + giou
        matched_masks = pred_masks[n, rows].flatten(1)
        true_masks = masks_t[cols].flatten(1)
        losses["mask_bce"] = losses["mask_bce"] + F.binary_cross_entropy_with_logits(
            matched_masks, true_masks, reduction="none").mean(-1).sum() / total_instances
        losses["dice"] = losses["dice"] + dice_loss(matched_masks, true_masks).sum() / total_instances
        repeated = boxes_t.repeat(earlier_positives, 1)
        for layer in earlier_layers:
            rows_l, cols_l = match(layer.logits[n], layer.boxes[n], None, repeated, None)
            class_l, l1_l, giou_l = _class_and_boxes(layer.logits[n], layer.boxes[n], rows_l, cols_l, repeated,
                                                     total_instances * earlier_positives)
            losses["aux_class"] = losses["aux_class"] + class_l / len(earlier_layers)
            losses["aux_box_l1"] = losses["aux_box_l1"] + l1_l / len(earlier_layers)
            losses["aux_giou"] = losses["aux_giou"] + giou_l / len(earlier_layers)
    losses["total"] = sum(WEIGHTS[k] * losses[k] for k in WEIGHTS)
    return losses


def dense_losses(logits: torch.Tensor, shape_map: torch.Tensor, colour_map: torch.Tensor,
                 boundary: torch.Tensor, n_shapes: int) -> dict[str, torch.Tensor]:
    """Per-pixel supervision of the backbone, computed once per image (not per prompt).

    logits: B x (1 + n_shapes + 1 + n_colours + 1) x h x w from a 1x1 convolution on the finest FPN level;
    shape_map / colour_map: B x h x w class indices (0 = background); boundary: B x h x w in {0, 1}, the pixels
    where one visible object meets another or the background (what separates touching objects of one colour).
    """
    shape_logits = logits[:, : n_shapes + 1]
    colour_logits = logits[:, n_shapes + 1: -1]
    boundary_logits = logits[:, -1]
    losses = {
        "dense_shape": F.cross_entropy(shape_logits, shape_map.long()),
        "dense_colour": F.cross_entropy(colour_logits, colour_map.long()),
        "dense_boundary": F.binary_cross_entropy_with_logits(boundary_logits, boundary.float(),
                                                             pos_weight=torch.tensor(4.0, device=logits.device)),
    }
    losses["dense_total"] = sum(DENSE_WEIGHTS[k] * losses[k] for k in DENSE_WEIGHTS)
    return losses
