"""Training a small Sam3Model from scratch on the shapes world: resumable, checkpointing, seeded.

    python -m segchat.lab.train --minutes 60          # runs, checkpoints every 5 min, resumes next time
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from segchat.lab.model import byte_level_clip_tokenizer, processor_for, save_checkpoint, small_sam3_config, word_merges
from segchat.segmenter.calibration import remove_calibration
from segchat.segmenter.rle import mask_box
from segchat.lab.data import training_example
from segchat.lab.losses import sam3_losses
from segchat.lab.world import COLOURS, SHAPES

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "models" / "shapes-sam3"
DEFAULT_STATE = Path(os.environ.get("SEGCHAT_TRAIN_DIR", Path.home() / ".cache" / "segchat" / "shapes-train"))

MODEL_SHAPE = dict(hidden=64, vit_hidden=96, vit_layers=3, image_size=336, window=8, queries=20, detr_layers=2,
                   text_layers=1, heads=4)


def build_model_and_processor(seed: int):
    from transformers import Sam3Model

    torch.manual_seed(seed)
    tokenizer = byte_level_clip_tokenizer(word_merges(list(COLOURS) + list(SHAPES) + ["shape", "object"]))
    config = small_sam3_config(vocab_size=len(tokenizer), **MODEL_SHAPE)
    return Sam3Model(config), processor_for(config, tokenizer)


def learning_rate(step: int, total: int, peak: float, warmup: int = 300) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    hold = int(total * 0.6)
    if step < hold:
        return peak
    progress = min(1.0, (step - hold) / max(1, total - hold))
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def curriculum(step: int) -> dict[str, float]:
    """Few objects and colour phrases first, then the full range with shape phrases upweighted."""
    return {
        "max_objects": min(8, 3 + step // 600),
        "shape_weight": 1.0 if step < 1500 else 2.0,
        "absent_fraction": 0.25,
    }


def make_batch(step: int, seed: int, processor, n_images: int, n_queries: int, mask_hw: tuple[int, int]):
    rng = np.random.default_rng([seed, step])
    plan = curriculum(step)
    images, phrases, t_masks, t_boxes = [], [], [], []
    for _ in range(n_images):
        scene, queries = training_example(rng, n_queries, int(plan["max_objects"]), plan["absent_fraction"],
                                          plan["shape_weight"])
        images.append(scene.image)
        height, width = scene.size
        scale = torch.tensor([width, height, width, height], dtype=torch.float32)
        for query in queries:
            phrases.append(query.phrase)
            if query.masks:
                stacked = torch.from_numpy(np.stack(query.masks)).float()[:, None]
                t_masks.append(F.interpolate(stacked, size=mask_hw, mode="area")[:, 0])
                t_boxes.append(torch.tensor([mask_box(m) for m in query.masks], dtype=torch.float32) / scale)
            else:
                t_masks.append(torch.zeros(0, *mask_hw))
                t_boxes.append(torch.zeros(0, 4))
    pixel_values = processor.image_processor(images=images, return_tensors="pt")["pixel_values"]
    tokens = processor.tokenizer(phrases, padding="max_length", max_length=32, truncation=True, return_tensors="pt")
    return pixel_values, tokens, t_masks, t_boxes


@torch.no_grad()
def batch_diagnostics(outputs, t_masks: list[torch.Tensor]) -> dict[str, float]:
    """Threshold-free signals: presence separation and IoU of the best-scored query's mask."""
    presence = outputs.presence_logits.squeeze(-1).sigmoid()
    scores = outputs.pred_logits.sigmoid() * presence[:, None]
    pos = torch.tensor([len(m) > 0 for m in t_masks])
    ious = []
    for n, masks in enumerate(t_masks):
        if len(masks) == 0:
            continue
        q = int(scores[n].argmax())
        pred = outputs.pred_masks[n, q] > 0
        best = max(float(((pred & (m > 0.5)).sum()) / max(1, int((pred | (m > 0.5)).sum()))) for m in masks)
        ious.append(best)
    return {
        "presence_pos": float(presence[pos].mean()) if pos.any() else float("nan"),
        "presence_neg": float(presence[~pos].mean()) if (~pos).any() else float("nan"),
        "top_score_pos": float(scores[pos].max(-1).values.mean()) if pos.any() else float("nan"),
        "top_score_neg": float(scores[~pos].max(-1).values.mean()) if (~pos).any() else float("nan"),
        "top1_mask_iou": float(np.mean(ious)) if ious else float("nan"),
    }


def train(args: argparse.Namespace) -> None:
    from transformers import Sam3Model, Sam3Processor
    from transformers.models.sam3.modeling_sam3 import Sam3VisionEncoderOutput

    torch.set_num_threads(args.threads)
    state_dir = Path(args.state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    state_file = state_dir / "state.pt"
    log_file = state_dir / "log.jsonl"
    model, processor = build_model_and_processor(args.seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05)
    step, trained_s = 0, 0.0
    fresh_optimizer_at = 0  # Adam starts from zero moments here: warm the learning rate up again from this step
    if state_file.exists():
        state = torch.load(state_file, map_location="cpu", weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        step, trained_s = state["step"], state["trained_s"]
        print(f"resumed from {state_file} at step {step} ({trained_s / 60:.1f} min trained)", flush=True)
    elif args.init_from and Path(args.init_from, "config.json").exists():
        model = Sam3Model.from_pretrained(args.init_from)
        processor = Sam3Processor.from_pretrained(args.init_from)
        optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05)
        meta = json.loads(Path(args.init_from, "training.json").read_text()) if Path(args.init_from, "training.json").exists() else {}
        step, trained_s = int(meta.get("step", 0)), float(meta.get("trained_s", 0.0))
        fresh_optimizer_at = step
        print(f"initialised from exported weights {args.init_from} (step {step}); optimizer state is fresh", flush=True)
    model.train()
    size = processor.image_processor.size["height"]
    mask_hw = ((size // 14) * 4, (size // 14) * 4)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {n_params / 1e6:.2f} M parameters, S={size}, masks {mask_hw}", flush=True)

    def checkpoint() -> None:
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step,
                    "trained_s": trained_s, "seed": args.seed}, state_dir / "state.tmp")
        os.replace(state_dir / "state.tmp", state_file)
        model.eval()
        export = Path(args.out)
        save_checkpoint(model, processor, export)
        remove_calibration(export)  # chosen for the old weights
        if log_file.exists():  # the learning curve travels with the weights
            (export / "training_log.jsonl").write_text(log_file.read_text())
        (export / "training.json").write_text(json.dumps(
            {"step": step, "trained_s": round(trained_s, 1), "seed": args.seed, "parameters": n_params,
             "model_shape": MODEL_SHAPE}, indent=1))
        model.train()
        print(f"checkpoint at step {step} ({trained_s / 60:.1f} min trained) -> {state_file}, {export}", flush=True)

    session_start = time.time()
    last_checkpoint = time.time()
    running: dict[str, float] = {}
    running_steps = 0
    with log_file.open("a") as log:
        while step < args.total_steps and (time.time() - session_start) < args.minutes * 60:
            t0 = time.time()
            rewarm = min(1.0, (step - fresh_optimizer_at + 1) / 100) if fresh_optimizer_at else 1.0
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(step, args.total_steps, args.lr) * rewarm
            pixel_values, tokens, t_masks, t_boxes = make_batch(step, args.seed, processor, args.images,
                                                                args.queries, mask_hw)
            vision = model.get_vision_features(pixel_values=pixel_values)
            repeat = args.queries
            vision = Sam3VisionEncoderOutput(
                fpn_hidden_states=tuple(t.repeat_interleave(repeat, 0) for t in vision.fpn_hidden_states),
                fpn_position_encoding=tuple(t.repeat_interleave(repeat, 0) for t in vision.fpn_position_encoding),
            )
            outputs = model(vision_embeds=vision, input_ids=tokens["input_ids"], attention_mask=tokens["attention_mask"])
            losses = sam3_losses(outputs, t_masks, t_boxes)
            optimizer.zero_grad(set_to_none=True)
            losses["total"].backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            step += 1
            trained_s += time.time() - t0
            for k, v in losses.items():
                running[k] = running.get(k, 0.0) + v.item()
            running_steps += 1
            if step % args.log_every == 0:
                record = {"step": step, "minutes": round(trained_s / 60, 2), "lr": optimizer.param_groups[0]["lr"]}
                # averaged over the steps run since the last record (fewer than log_every right after a resume)
                record.update({k: round(v / running_steps, 4) for k, v in running.items()})
                running_steps = 0
                record.update({k: round(v, 4) for k, v in batch_diagnostics(outputs, t_masks).items()})
                running = {}
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
    parser.add_argument("--total-steps", type=int, default=24000, help="length of the whole schedule")
    parser.add_argument("--lr", type=float, default=4e-4)
    parser.add_argument("--images", type=int, default=4, help="images per step")
    parser.add_argument("--queries", type=int, default=4, help="phrases per image")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--log-every", type=int, default=50)
    parser.add_argument("--checkpoint-minutes", type=float, default=5.0)
    parser.add_argument("--state-dir", default=str(DEFAULT_STATE), help="resumable state (model, optimizer, step)")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="exported checkpoint (save_pretrained)")
    parser.add_argument("--init-from", default=str(DEFAULT_OUT), help="exported weights to start from when no state exists")
    train(parser.parse_args(argv))


if __name__ == "__main__":
    main()
