"""The learning curve of a shapes training run, as a Markdown table and a PNG (from training_log.jsonl).

Several logs (one per session: each session's export carries its own) make one curve, in the order given, with a
grey line where each later session began:

    python -m segchat.lab.curve session3.jsonl session4.jsonl ... --png docs/shapes_next_learning_curve.png
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw

SERIES = [("total", (0, 0, 0)), ("top1_mask_iou", (0, 130, 200)), ("presence_pos", (60, 180, 75)),
          ("presence_neg", (230, 25, 75)), ("top_score_pos", (145, 30, 180))]


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def merge(logs: list[list[dict]]) -> tuple[list[dict], list[int]]:
    """One curve from the logs of consecutive sessions, and the first step of each session after the first. A step
    logged twice (a session resumed from a checkpoint before its last record) keeps the later session's record."""
    by_step: dict[int, dict] = {}
    starts = []
    for log in logs:
        if log and by_step:
            starts.append(log[0]["step"])
        by_step.update({r["step"]: r for r in log})
    return [by_step[s] for s in sorted(by_step)], starts


def _pair(record: dict, first: str, second: str) -> str:
    """Two diagnostics as "a / b"; a dash where a log has none (the second recipe logs no top scores)."""
    return " / ".join(f"{record[k]:.2f}" if k in record else "–" for k in (first, second))


def table(records: list[dict], every: int = 500) -> str:
    lines = ["| step | minutes | loss | top-1 mask IoU | presence (present / absent) | top score (present / absent) |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in records:
        if r["step"] % every == 0 or r is records[-1]:
            lines.append(f"| {r['step']} | {r['minutes']:.0f} | {r['total']:.2f} | {r['top1_mask_iou']:.2f} | "
                         f"{_pair(r, 'presence_pos', 'presence_neg')} | {_pair(r, 'top_score_pos', 'top_score_neg')} |")
    return "\n".join(lines)


def plot(records: list[dict], path: Path, width: int = 900, height: int = 420,
         session_starts: Sequence[int] = ()) -> None:
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    left, top, right, bottom = 60, 30, width - 20, height - 40
    draw.rectangle([left, top, right, bottom], outline=(160, 160, 160))
    steps = [r["step"] for r in records]
    x_of = lambda s: left + (s - steps[0]) / max(1, steps[-1] - steps[0]) * (right - left)  # noqa: E731
    for start in session_starts:
        draw.line([(x_of(start), top), (x_of(start), bottom)], fill=(200, 200, 200), width=1)
    max_loss = max(r["total"] for r in records)
    for name, colour in SERIES:
        scale = max_loss if name == "total" else 1.0
        points = [(x_of(r["step"]), bottom - (r[name] / scale) * (bottom - top)) for r in records
                  if isinstance(r.get(name), (int, float)) and r[name] == r[name]]  # present and not NaN
        if len(points) > 1:
            draw.line(points, fill=colour, width=2)
    for i, (name, colour) in enumerate(SERIES):
        draw.text((left + 10 + i * 165, 8), name + (" (÷max)" if name == "total" else ""), fill=colour)
    draw.text((left, bottom + 8), f"step {steps[0]}", fill="black")
    draw.text((right - 90, bottom + 8), f"step {steps[-1]}", fill="black")
    image.save(path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("logs", type=Path, nargs="+", help="training_log.jsonl files, oldest session first")
    parser.add_argument("--png", type=Path)
    args = parser.parse_args(argv)
    records, starts = merge([load(path) for path in args.logs])
    print(table(records))
    if args.png:
        plot(records, args.png, session_starts=starts)


if __name__ == "__main__":
    main()
