"""Short training runs that compare the levers of the shapes model, and their diagnostics at each checkpoint.

    python -m segchat.lab.ablate run NAME --minutes 20 [TRAINER OPTIONS]      # runs/ablations/NAME/
    python -m segchat.lab.ablate evaluate NAME [NAME ...]                     # every snapshot of each run
    python -m segchat.lab.ablate table NAME [NAME ...]                        # markdown rows for the docs

Every run starts from the same exported weights (`--init-from`, the committed model by default) with the same seed
and data, checkpoints every `--every` minutes of training and keeps each checkpoint's export. The diagnostics of a
snapshot, all on images no run trains on (fixed seeds):
- the linear probe of shape and colour at the detector's FPN level (`lab/probe.py`): whether the lever puts shape
  where the decoder reads it;
- the SHAPES.md metrics on 30 fresh images over the calibration thresholds, reported at the threshold that scores
  best (a fresh run has no calibration yet, so a fixed threshold would compare the runs' score scales, not what they
  find), with that threshold, and the training minutes and steps.
Nothing else may run on the machine meanwhile: the runs are compared by what they learn per minute.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

RUNS = Path("runs/ablations")
EVAL_IMAGES, EVAL_SEED = 30, 777
METRICS = ("colour_shape", "colour_object", "shape", "all", "absent_empty", "instance_recall", "extra_predictions")


def run(name: str, minutes: float, every: float, trainer_options: list[str]) -> None:
    folder = RUNS / name
    command = [sys.executable, "-m", "segchat.lab.train", "--minutes", str(minutes), "--checkpoint-minutes", str(every),
               "--state-dir", str(folder / "state"), "--out", str(folder / "export"),
               "--snapshots", str(folder / "snapshots"), *trainer_options]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "command.json").write_text(json.dumps(command[1:]))
    with (folder / "train.out").open("a") as out:
        subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=True)


def evaluate_snapshot(snapshot: Path) -> dict:
    import torch
    from transformers import Sam3Model, Sam3Processor

    from segchat.lab.evaluate import CALIBRATION_THRESHOLDS, calibration_score, sweep_shapes
    from segchat.lab.probe import probe
    from segchat.segmenter.predictor import Sam3Segmenter

    torch.set_num_threads(2)
    model = Sam3Model.from_pretrained(snapshot).eval()
    row = probe(model, Sam3Processor.from_pretrained(snapshot))
    segmenter = Sam3Segmenter.from_pretrained(str(snapshot), device="cpu")
    reports = sweep_shapes(segmenter, CALIBRATION_THRESHOLDS, images=EVAL_IMAGES, seed=EVAL_SEED)
    best = max(reports, key=calibration_score)
    meta = json.loads((snapshot / "training.json").read_text())
    row.update({key: best.get(key) for key in METRICS})
    row.update(threshold=best["threshold"], score=calibration_score(best), ms_per_image=best["ms_per_image"],
               step=meta["step"], minutes=round(meta["trained_s"] / 60, 1), snapshot=snapshot.name)
    return row


def evaluate(names: list[str]) -> None:
    for name in names:
        results = RUNS / name / "eval.jsonl"
        done = {json.loads(line)["snapshot"] for line in results.read_text().splitlines()} if results.exists() else set()
        for snapshot in sorted((RUNS / name / "snapshots").iterdir()):
            if snapshot.name in done:
                continue
            row = evaluate_snapshot(snapshot)
            with results.open("a") as out:
                out.write(json.dumps(row) + "\n")
            print(name, json.dumps(row), flush=True)


def start_minutes(name: str) -> float:
    """The training minutes of the weights the run started from (its snapshots count on from there)."""
    from segchat.contracts.settings import DEMO_MODEL_DIR

    command = json.loads((RUNS / name / "command.json").read_text())
    start = Path(command[command.index("--init-from") + 1]) if "--init-from" in command else Path(DEMO_MODEL_DIR)
    meta = start / "training.json"
    return json.loads(meta.read_text())["trained_s"] / 60 if meta.exists() else 0.0


def table(names: list[str]) -> str:
    lines = ["| run | min trained in the run | step | probe shape | probe colour | best thr | c+s | c obj | shape | all | absent | recall "
             "| extra | ms/img |", "|" + " --- |" * 14]
    for name in names:
        start = start_minutes(name) if (RUNS / name / "command.json").exists() else 0.0
        for line in (RUNS / name / "eval.jsonl").read_text().splitlines():
            r = json.loads(line)
            r["minutes"] = round(r["minutes"] - start, 1)
            cells = [f"{r[k]:.2f}" for k in METRICS]
            lines.append(f"| {name} | {r['minutes']} | {r['step']} | {r['probe_shape']:.2f} | {r['probe_colour']:.2f} "
                         f"| {r['threshold']:.2f} | " + " | ".join(cells) + f" | {r['ms_per_image']:.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("run")
    start.add_argument("name")
    start.add_argument("--minutes", type=float, default=20.0)
    start.add_argument("--every", type=float, default=10.0, help="minutes of training between snapshots")
    for command in ("evaluate", "table"):
        commands.add_parser(command).add_argument("names", nargs="+")
    args, trainer_options = parser.parse_known_args(argv)  # what `run` does not know goes to the trainer
    if args.command == "run":
        run(args.name, args.minutes, args.every, [o for o in trainer_options if o != "--"])
    elif args.command == "evaluate":
        evaluate(args.names)
    else:
        print(table(args.names))


if __name__ == "__main__":
    main()
