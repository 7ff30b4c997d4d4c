"""`segchat parse` (an instruction to a plan, no segmentation) and `segchat eval-parser` (its accuracy)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from segchat.contracts.settings import SHARED_DIR
from segchat.faces.cli.common import checked_settings, fail, guarded, run_jsonl
from segchat.faces.options import LLM_OPTIONS, options


@click.command()
@click.argument("text", required=False)
@options(LLM_OPTIONS)
@click.option("--image", type=click.Path(), help="The image the instruction is about (sent to the VL model).")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as one JSON line.")
@click.option("--jsonl", type=click.Path(), help='Batch: one {"text": ..., "history": optional} per line ("-" = stdin).')
def parse(text: str | None, image: str | None, as_json: bool, jsonl: str | None, **llm_flags: Any) -> None:
    """Turn an instruction TEXT into a plan (no segmentation)."""
    if jsonl is None and text is None:
        fail("give TEXT or --jsonl FILE")
    settings = checked_settings(**llm_flags)

    def run() -> None:
        from segchat.agent.build import build_parser
        from segchat.segmenter.images import load_image

        instruction_parser = build_parser(settings)
        pil = load_image(image, max_pixels=settings.max_image_pixels) if image else None
        if jsonl is None:
            outcome = instruction_parser.parse(text, pil)
            if outcome.fallback_reason:
                click.echo(f"note: {outcome.fallback_reason}; the offline parser answered", err=True)
            click.echo(json.dumps(outcome.plan.model_dump(), ensure_ascii=False, indent=None if as_json else 1))
            return

        def problem(obj: dict[str, Any]) -> str | None:
            return None if isinstance(obj.get("text"), str) else 'expected {"text": "...", "history": optional}'

        def answer(obj: dict[str, Any]) -> dict[str, Any]:
            history = obj.get("history")
            history_text = history if isinstance(history, str) or history is None else json.dumps(history,
                                                                                                ensure_ascii=False)
            return instruction_parser.parse(obj["text"], None, history_text).plan.model_dump()

        run_jsonl(jsonl, problem, answer)

    guarded(run)


@click.command("eval-parser")
@click.argument("path", required=False, type=click.Path())
@options(LLM_OPTIONS)
@click.option("--failures", is_flag=True, help="Also list every item the parser got wrong.")
def eval_parser(path: str | None, failures: bool, **llm_flags: Any) -> None:
    """Score the parser on an expected-plan set (default ../shared/eval/instructions_dev.jsonl)."""
    from segchat.agent.build import build_parser
    from segchat.parser.evaluate import evaluate, format_report

    settings = checked_settings(**llm_flags)
    path = path or str(SHARED_DIR / "eval" / "instructions_dev.jsonl")
    if not Path(path).is_file():
        fail(f"no evaluation set at {path}")
    instruction_parser = build_parser(settings)
    report = evaluate(Path(path), lambda text: instruction_parser.parse(text).plan)
    click.echo(format_report(report))
    if failures:
        for failure in report["failures"]:
            click.echo(json.dumps(failure, ensure_ascii=False))
