"""Training a small Sam3Model on the shapes world: resumable, checkpointing, seeded.

    python -m segchat.lab.train --minutes 60 --out runs/shapes/export   # checkpoints every 5 min, resumes next time

What each step trains (see docs/shapes_training.md for why):
- phrase prompts ("red star", "star", "red shape", and absent near misses) and box-exemplar prompts (a box alone,
  a phrase with a positive box, a phrase with a negative box) on images drawn from a pool of rendered scenes;
- the last decoder layer with the full DETR losses, every earlier layer with class, box and presence losses;
- the backbone with dense maps (each pixel's shape, colour, and the boundaries between objects) through a 1x1
  convolution that exists only in training, once per image: shape becomes a feature of every pixel;
- an exponential moving average of the weights, which is what gets exported.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import shutil
import time
from pathlib import Path

import numpy as np
import torch

from segchat.contracts.settings import DEMO_MODEL_DIR
from segchat.lab.data import exemplar_query, sample_queries
from segchat.lab.losses import DENSE_WEIGHTS, DecoderLayerOutputs, dense_losses, sam3_losses
from segchat.lab.model import (byte_level_clip_tokenizer, deepen_backbone, enlarge_input, processor_for,
                               save_checkpoint, small_sam3_config, widen_backbone, word_merges)
from segchat.lab.pool import PreparedScene, ScenePool
from segchat.lab.world import COLOURS, SHAPES
from segchat.segmenter.calibration import remove_calibration

DEFAULT_STATE = Path.home() / ".cache" / "segchat" / "shapes-train"
MODEL_SHAPE = dict(hidden=64, vit_hidden=96, vit_layers=6, global_layers=[2, 5], image_size=336, window=8,
                   queries=20, detr_layers=2, text_layers=1, heads=4)
DENSE_CHANNELS = 1 + len(SHAPES) + 1 + len(COLOURS) + 1  # shape classes, colour classes, boundary


def build_model_and_processor(seed: int, model_shape: dict | None = None):
    from transformers import Sam3Model

    torch.manual_seed(seed)
    tokenizer = byte_level_clip_tokenizer(word_merges(list(COLOURS) + list(SHAPES) + ["shape", "object"]))
    config = small_sam3_config(vocab_size=len(tokenizer), **(model_shape or MODEL_SHAPE))
    return Sam3Model(config), processor_for(config, tokenizer)


def learning_rate(step: int, total: int, peak: float, start: int = 0, warmup: int = 300,
                  floor: float = 0.05) -> float:
    """Linear warm-up over `warmup` steps from `start` (where this optimizer's moments begin), then a cosine from
    `peak` down to `floor * peak` at `total`: the rate decays over the whole run, where the gains come."""
    if step < start + warmup:
        return peak * (step - start + 1) / warmup
    progress = min(1.0, (step - start - warmup) / max(1, total - start - warmup))
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))


def cxcywh(boxes_xyxy: torch.Tensor) -> torch.Tensor:
    x0, y0, x1, y1 = boxes_xyxy.unbind(-1)
    return torch.stack([(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0], dim=-1)


def detector_dense_losses(logits: torch.Tensor, scenes: list[PreparedScene]) -> dict[str, torch.Tensor]:
    """The dense maps at the detector's level: each cell takes the class at its centre (the maps are made at the
    mask resolution, a whole multiple of this level's), a boundary when any pixel under it is one."""
    import torch.nn.functional as F

    factor = scenes[0].shape_map.shape[-1] // logits.shape[-1]
    centre = factor // 2
    shapes = torch.stack([s.shape_map for s in scenes])[:, centre::factor, centre::factor]
    colours = torch.stack([s.colour_map for s in scenes])[:, centre::factor, centre::factor]
    boundary = F.max_pool2d(torch.stack([s.boundary for s in scenes]).float()[:, None], factor)[:, 0]
    return dense_losses(logits, shapes, colours, boundary, len(SHAPES))


class StepBatch:
    """The prompts of one step: which image each row is on, its text, its boxes and its targets."""

    def __init__(self, scenes: list[PreparedScene]) -> None:
        self.scenes = scenes
        self.text_rows: list[tuple[int, object]] = []
        self.box_rows: list[tuple[int, object]] = []

    def targets(self, rows) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        masks, boxes = [], []
        for image, query in rows:
            prepared = self.scenes[image]
            index = torch.tensor(query.objects, dtype=torch.long)
            masks.append(prepared.object_masks[index].float())
            boxes.append(prepared.object_boxes[index])
        return masks, boxes


def make_batch(step: int, seed: int, pool: ScenePool, n_images: int, text_per_image: int,
               exemplar_rows: int, all_weight: float = 0.0) -> StepBatch:
    rng = np.random.default_rng([seed, step])
    batch = StepBatch(pool.sample(step, n_images, rng))
    for image, prepared in enumerate(batch.scenes):
        for query in sample_queries(rng, prepared.scene, text_per_image, absent_fraction=0.3, shape_weight=2.0,
                                    near_miss=0.7, all_weight=all_weight):
            batch.text_rows.append((image, query))
    for image in rng.choice(len(batch.scenes), size=min(exemplar_rows, len(batch.scenes)), replace=False):
        batch.box_rows.append((int(image), exemplar_query(rng, batch.scenes[int(image)].scene)))
    return batch


class DecoderTap:
    """Forward hooks that keep what every decoder layer predicted (Sam3Model returns the last layer only)."""

    def __init__(self, model) -> None:
        self.model = model
        self.seen: dict[str, object] = {}
        model.detr_decoder.register_forward_hook(lambda module, args, out: self.seen.__setitem__("decoder", out))
        model.dot_product_scoring.register_forward_hook(lambda module, args, out: self.seen.__setitem__("scores", out))

    def earlier_layers(self) -> list[DecoderLayerOutputs]:
        from transformers.models.sam3.modeling_sam3 import box_cxcywh_to_xyxy, inverse_sigmoid

        decoder, scores = self.seen["decoder"], self.seen["scores"].squeeze(-1)
        offsets = self.model.detr_decoder.box_head(decoder.intermediate_hidden_states[:-1])
        boxes = box_cxcywh_to_xyxy((inverse_sigmoid(decoder.reference_boxes[:-1]) + offsets).sigmoid())
        return [DecoderLayerOutputs(scores[layer], boxes[layer], decoder.presence_logits[layer].squeeze(-1))
                for layer in range(len(boxes))]


def run_rows(model, tap: DecoderTap, processor, vision, batch: StepBatch, rows, with_boxes: bool,
             earlier_positives: int = 1):
    """The model's outputs and losses for some rows of the step, on the images' shared vision features."""
    from transformers.models.sam3.modeling_sam3 import Sam3VisionEncoderOutput

    index = torch.tensor([image for image, _ in rows], dtype=torch.long)
    embeds = Sam3VisionEncoderOutput(
        fpn_hidden_states=tuple(t.index_select(0, index) for t in vision.fpn_hidden_states),
        fpn_position_encoding=tuple(t.index_select(0, index) for t in vision.fpn_position_encoding))
    tokens = processor.tokenizer([q.phrase for _, q in rows], padding="max_length", max_length=32, truncation=True,
                                 return_tensors="pt")
    extra = {}
    if with_boxes:
        boxes = [cxcywh(batch.scenes[image].object_boxes[torch.tensor(q.box_objects)]) for image, q in rows]
        extra = {"input_boxes": torch.stack(boxes),
                 "input_boxes_labels": torch.tensor([q.box_labels for _, q in rows], dtype=torch.long)}
    outputs = model(vision_embeds=embeds, input_ids=tokens["input_ids"], attention_mask=tokens["attention_mask"],
                    **extra)
    masks, boxes = batch.targets(rows)
    return outputs, masks, sam3_losses(outputs, masks, boxes, tap.earlier_layers(), earlier_positives)


@torch.no_grad()
def diagnostics(outputs, t_masks: list[torch.Tensor], prefix: str = "") -> dict[str, float]:
    """Threshold-free signals: presence separation and IoU of the best-scored query's mask."""
    presence = outputs.presence_logits.squeeze(-1).sigmoid()
    scores = outputs.pred_logits.sigmoid() * presence[:, None]
    pos = torch.tensor([len(m) > 0 for m in t_masks])
    ious = []
    for n, masks in enumerate(t_masks):
        if len(masks) == 0:
            continue
        pred = outputs.pred_masks[n, int(scores[n].argmax())] > 0
        ious.append(max(float((pred & (m > 0.5)).sum()) / max(1, int((pred | (m > 0.5)).sum())) for m in masks))
    nan = float("nan")
    return {
        f"{prefix}presence_pos": float(presence[pos].mean()) if pos.any() else nan,
        f"{prefix}presence_neg": float(presence[~pos].mean()) if (~pos).any() else nan,
        f"{prefix}top1_mask_iou": float(np.mean(ious)) if ious else nan,
    }


class WeightAverage:
    """An exponential moving average of the model's weights (what is exported), warmed up over its first steps."""

    def __init__(self, model, decay: float) -> None:
        self.decay = decay
        self.updates = 0
        self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}

    @torch.no_grad()
    def update(self, model) -> None:
        self.updates += 1
        decay = min(self.decay, (1 + self.updates) / (10 + self.updates))
        for key, value in model.state_dict().items():
            if value.dtype.is_floating_point:
                self.state[key].mul_(decay).add_(value.detach(), alpha=1 - decay)
            else:
                self.state[key].copy_(value)


def initial_model(args: argparse.Namespace):
    """(model, processor, step, trained seconds, step where the optimizer starts) for a run without saved state."""
    from transformers import Sam3Model, Sam3Processor

    if args.init_from and Path(args.init_from, "config.json").exists():
        model = Sam3Model.from_pretrained(args.init_from)
        processor = Sam3Processor.from_pretrained(args.init_from)
        meta_path = Path(args.init_from, "training.json")
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        step, trained_s = int(meta.get("step", 0)), float(meta.get("trained_s", 0.0))
        model = deepen_backbone(model, MODEL_SHAPE["vit_layers"], MODEL_SHAPE["global_layers"])
        if args.image_size:
            model = enlarge_input(model, args.image_size)
            processor = processor_for(model.config, processor.tokenizer)
        if args.vit_widen > 1:
            model = widen_backbone(model, args.vit_widen, noise=args.widen_noise, seed=args.seed)
        print(f"initialised from exported weights {args.init_from} (step {step}); ViT now "
              f"{model.config.vision_config.backbone_config.num_hidden_layers} layers of width "
              f"{model.config.vision_config.backbone_config.hidden_size} at "
              f"{model.config.vision_config.backbone_config.image_size} px; optimizer state is fresh", flush=True)
        return model, processor, step, trained_s, step
    model, processor = build_model_and_processor(args.seed, args.model_shape)
    return model, processor, 0, 0.0, 0


def train(args: argparse.Namespace) -> None:
    torch.set_num_threads(args.threads)
    state_dir = Path(args.state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    state_file = state_dir / "state.pt"
    log_file = state_dir / "log.jsonl"
    state = torch.load(state_file, map_location="cpu", weights_only=False) if state_file.exists() else None
    if state is not None:
        from transformers import Sam3Config, Sam3Model, Sam3Processor

        model = Sam3Model(Sam3Config.from_dict(state["config"]))
        model.load_state_dict(state["model"])
        processor = Sam3Processor.from_pretrained(state_dir / "processor")
        step, trained_s, start = state["step"], state["trained_s"], state["optimizer_start"]
        print(f"resumed from {state_file} at step {step} ({trained_s / 60:.1f} min trained)", flush=True)
    else:
        from transformers import Sam3Processor

        model, processor, step, trained_s, start = initial_model(args)
        processor.save_pretrained(state_dir / "processor")
        # the processor as a resumed run will load it (a reloaded image processor may resize a little
        # differently from the one built in memory): a resumed run then sees the very same pixels
        processor = Sam3Processor.from_pretrained(state_dir / "processor")
    hidden = model.config.vision_config.fpn_hidden_size
    dense_head = torch.nn.Conv2d(hidden, DENSE_CHANNELS, kernel_size=1)
    # the same maps read from the level the DETR encoder and decoder use (4x coarser): shape must be there
    detector_head = torch.nn.Conv2d(hidden, DENSE_CHANNELS, kernel_size=1)
    parameters = list(model.parameters()) + list(dense_head.parameters()) + list(detector_head.parameters())
    optimizer = torch.optim.AdamW(parameters, lr=args.lr, weight_decay=0.05)
    average = WeightAverage(model, args.ema)
    if state is not None:
        dense_head.load_state_dict(state["dense_head"])
        if "detector_head" in state:
            detector_head.load_state_dict(state["detector_head"])
        optimizer.load_state_dict(state["optimizer"])
        average.state, average.updates = state["ema"], state["ema_updates"]
        if "torch_rng" in state:  # dropout draws on it: a resumed run draws what one run would
            torch.set_rng_state(state["torch_rng"])
    else:
        torch.manual_seed(args.seed + 1)
    model.train()
    exported = copy.deepcopy(model).eval()  # the average's weights go in here to be saved
    tap = DecoderTap(model)
    size = processor.image_processor.size["height"]
    mask_hw = ((size // 14) * 4, (size // 14) * 4)
    pool = ScenePool(args.seed, processor, mask_hw, size=args.pool_size, births_per_step=args.births)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {n_params / 1e6:.2f} M parameters, S={size}, masks {mask_hw}", flush=True)

    def checkpoint() -> None:
        torch.save({"config": model.config.to_dict(), "model": model.state_dict(), "dense_head": dense_head.state_dict(),
                    "detector_head": detector_head.state_dict(),
                    "optimizer": optimizer.state_dict(), "ema": average.state, "ema_updates": average.updates,
                    "step": step, "trained_s": trained_s, "optimizer_start": start, "seed": args.seed,
                    "torch_rng": torch.get_rng_state()},
                   state_dir / "state.tmp")
        os.replace(state_dir / "state.tmp", state_file)
        exported.load_state_dict(average.state)
        export = Path(args.out)
        save_checkpoint(exported, processor, export)
        remove_calibration(export)  # chosen for the old weights
        if log_file.exists():  # the learning curve travels with the weights
            (export / "training_log.jsonl").write_text(log_file.read_text())
        (export / "training.json").write_text(json.dumps(
            {"step": step, "trained_s": round(trained_s, 1), "seed": args.seed, "parameters": n_params,
             "weights": f"exponential moving average (decay {args.ema})",
             "vit_layers": model.config.vision_config.backbone_config.num_hidden_layers}, indent=1))
        if args.snapshots:  # each checkpoint kept apart, for the ablations' curves
            shutil.copytree(export, Path(args.snapshots) / f"min{trained_s / 60:05.1f}_step{step}", dirs_exist_ok=True)
        print(f"checkpoint at step {step} ({trained_s / 60:.1f} min trained) -> {state_file}, {export}", flush=True)

    session_start = last_checkpoint = time.time()
    running: dict[str, float] = {}
    running_steps = 0
    with log_file.open("a") as log:
        while step < args.total_steps and (time.time() - session_start) < args.minutes * 60:
            t0 = time.time()
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(step, args.total_steps, args.lr, start=start, warmup=args.warmup)
            batch = make_batch(step, args.seed, pool, args.images, args.queries, args.exemplars, args.all_weight)
            pixels = torch.stack([s.pixels for s in batch.scenes]).float()
            vision = model.get_vision_features(pixel_values=pixels)
            dense = dense_losses(dense_head(vision.fpn_hidden_states[0]),
                                 torch.stack([s.shape_map for s in batch.scenes]),
                                 torch.stack([s.colour_map for s in batch.scenes]),
                                 torch.stack([s.boundary for s in batch.scenes]), len(SHAPES))
            text_out, text_masks, text_losses = run_rows(model, tap, processor, vision, batch, batch.text_rows, False,
                                                          args.earlier_positives)
            total = text_losses["total"] + dense["dense_total"]
            if args.detector_dense_weight > 0:
                coarse = detector_dense_losses(detector_head(vision.fpn_hidden_states[:-1][-1]), batch.scenes)
                total = total + args.detector_dense_weight * coarse["dense_total"]
                dense.update({f"detector_{k}": v for k, v in coarse.items()})
            box_out = None
            if batch.box_rows:
                box_out, box_masks, box_losses = run_rows(model, tap, processor, vision, batch, batch.box_rows, True,
                                                           args.earlier_positives)
                total = total + args.exemplar_weight * box_losses["total"]
            optimizer.zero_grad(set_to_none=True)
            total.backward()
            torch.nn.utils.clip_grad_norm_(parameters, 1.0)
            optimizer.step()
            average.update(model)
            step += 1
            trained_s += time.time() - t0
            values = {**{k: v.item() for k, v in text_losses.items()},
                      **{k: v.item() for k, v in dense.items() if k.removeprefix("detector_") in DENSE_WEIGHTS},
                      "step_total": total.item()}
            if box_out is not None:
                values["exemplar_total"] = box_losses["total"].item()
            for k, v in values.items():
                running[k] = running.get(k, 0.0) + v
            running_steps += 1
            if step % args.log_every == 0:
                record = {"step": step, "minutes": round(trained_s / 60, 2), "lr": optimizer.param_groups[0]["lr"]}
                # averaged over the steps run since the last record (fewer than log_every right after a resume)
                record.update({k: round(v / running_steps, 4) for k, v in running.items()})
                record.update({k: round(v, 4) for k, v in diagnostics(text_out, text_masks).items()})
                if box_out is not None:
                    record.update({k: round(v, 4) for k, v in diagnostics(box_out, box_masks, "exemplar_").items()})
                running, running_steps = {}, 0
                log.write(json.dumps(record) + "\n")
                log.flush()
                print(json.dumps(record), flush=True)
            if time.time() - last_checkpoint > args.checkpoint_minutes * 60:
                checkpoint()
                last_checkpoint = time.time()
    checkpoint()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=60.0, help="wall-clock budget of this run")
    parser.add_argument("--total-steps", type=int, default=26000, help="length of the whole schedule")
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--warmup", type=int, default=300, help="warm-up steps of a fresh optimizer")
    parser.add_argument("--images", type=int, default=8, help="images per step")
    parser.add_argument("--queries", type=int, default=2, help="phrase prompts per image")
    parser.add_argument("--exemplars", type=int, default=4, help="box-exemplar prompts per step")
    parser.add_argument("--exemplar-weight", type=float, default=1.0)
    parser.add_argument("--pool-size", type=int, default=256, help="rendered scenes held at once")
    parser.add_argument("--births", type=int, default=2, help="new scenes rendered per step")
    parser.add_argument("--ema", type=float, default=0.998, help="decay of the exported weight average")
    parser.add_argument("--all-weight", type=float, default=0.5,
                        help="weight of the generic word alone (\"shape\" / \"object\": every instance) among present "
                             "phrases, against 1 for \"{colour} {shape}\" and \"{colour} object\", 2 for \"{shape}\"")
    parser.add_argument("--detector-dense-weight", type=float, default=0.0,
                        help="weight of the dense shape, colour and boundary maps read from the detector's level")
    parser.add_argument("--image-size", type=int, default=None,
                        help="input size for a run from exported weights (position embeddings interpolated)")
    parser.add_argument("--vit-widen", type=int, default=1,
                        help="for a run from exported weights: the ViT made this many times as wide, computing what "
                             "it did (each unit copied)")
    parser.add_argument("--widen-noise", type=float, default=0.05,
                        help="noise added to the copied weights (relative to each tensor's spread), so copies diverge")
    parser.add_argument("--earlier-positives", type=int, default=1,
                        help="queries of each earlier decoder layer matched to every object (one-to-many; the last "
                             "layer stays one-to-one)")
    parser.add_argument("--snapshots", default=None, help="a folder that keeps every checkpoint's export")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--log-every", type=int, default=50)
    parser.add_argument("--checkpoint-minutes", type=float, default=5.0)
    parser.add_argument("--state-dir", default=str(DEFAULT_STATE), help="resumable state (model, optimizer, step)")
    parser.add_argument("--out", default=str(DEFAULT_STATE / "export"),
                        help="exported checkpoint (save_pretrained); copy it into models/shapes-sam3 once evaluated")
    parser.add_argument("--init-from", default=str(DEMO_MODEL_DIR),
                        help="exported weights to start from when no state exists (its ViT is deepened)")
    parser.add_argument("--model-shape", type=json.loads, default=None,
                        help="JSON overrides of the model shape for a run from scratch (tests use a tiny one)")
    args = parser.parse_args(argv)
    if args.model_shape is not None:
        args.model_shape = {**MODEL_SHAPE, **args.model_shape}
    train(args)


if __name__ == "__main__":
    main()
