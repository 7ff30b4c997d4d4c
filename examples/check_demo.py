"""The agent's example requests on the demo image, checked against its ground truth (examples/shapes_demo.json).

    .venv/bin/python examples/check_demo.py [--model DIR] [--threshold T]

Runs each request (English and Chinese, offline parser, the shapes demo model unless --model) through the same
agent as the CLI, REST, MCP and the UI, and says for each whether the instances are exactly the right ones
(one-to-one at mask IoU >= 0.5, nothing extra).
"""

from __future__ import annotations

import argparse
import tempfile

from segchat.agent import build_agent
from segchat.contracts.settings import Settings
from segchat.lab.agent_tasks import matches

from render_demo import IMAGE, demo_truth_masks  # beside this script

# (turns in English, turns in Chinese, the annotation ids of the right answer)
REQUESTS = [
    (["the leftmost red circle"], ["把最左边的红色圆形抠出来"], [6]),
    (["red circle"], ["红色圆形"], [3, 6]),
    (["the biggest blue square"], ["把最大的蓝色正方形抠出来"], [7]),
    (["all yellow shapes except the stars"], ["所有黄色的图形，五角星除外"], [5]),
    (["the red circles and the green triangles"], ["把红色圆形和绿色三角形都选出来"], [3, 6, 8]),
    (["find the purple hexagon"], ["找出紫色六边形"], []),
    (["all the green shapes", "now only the one on the right"], ["所有绿色的图形", "现在只要右边那个"], [8]),
    # The generic word alone is every instance; the touching green hexagon and triangle must stay two.
    (["all the shapes"], ["所有的图形"], [1, 2, 3, 4, 5, 6, 7, 8]),
    (["all the green shapes"], ["所有绿色的图形"], [1, 8]),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="a local SAM3 checkpoint folder (default: the shapes demo model)")
    parser.add_argument("--threshold", type=float, help="score threshold (default: the checkpoint's own)")
    args = parser.parse_args()
    masks = demo_truth_masks()
    right = total = 0
    with tempfile.TemporaryDirectory() as data:
        chosen = {"model": args.model, "demo": not args.model, "threshold": args.threshold, "offline": True,
                  "data_dir": data}
        agent = build_agent(Settings(**{k: v for k, v in chosen.items() if v is not None}))
        print("| request | expected | got | right |\n| --- | --- | --- | --- |")
        for number, (english, chinese, expected) in enumerate(REQUESTS):
            for language, turns in (("en", english), ("zh", chinese)):
                session = f"demo-check-{number}-{language}"
                for turn, text in enumerate(turns):
                    output = agent.turn(text, IMAGE if turn == 0 else None, session)
                ok = matches([f.mask for f in output.instances], [masks[i] for i in expected])
                boxes = ", ".join("[" + ",".join(f"{v:.0f}" for v in f.box) + "]" for f in output.instances)
                verdict = "yes" if ok else "NO"
                print(f"| {' → '.join(turns)} | {expected or 'nothing'} | {len(output.instances)}: {boxes or '-'} "
                      f"| {verdict} |")
                right += ok
                total += 1
    print(f"\n{right} / {total} right")


if __name__ == "__main__":
    main()
