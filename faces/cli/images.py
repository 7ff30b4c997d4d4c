"""`segchat detect` (SAM3 on noun phrases and boxes, no parser) and `segchat segment` (the whole agent)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from segchat.faces.cli.common import (BOX_OPTIONS, emit, exemplar_boxes, fail, checked_settings, guarded, make_agent,
                                      print_table, run_jsonl)
from segchat.faces.options import DATA_OPTIONS, LLM_OPTIONS, MODEL_OPTIONS, options


@click.command()
@click.argument("image", required=False)
@click.argument("phrases", nargs=-1)
@options(MODEL_OPTIONS, BOX_OPTIONS)
@click.option("--mask-threshold", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              help="Mask probability threshold (default 0.5).")
@click.option("--json", "as_json", is_flag=True, help="Print the result JSON.")
@click.option("--jsonl", type=click.Path(), help='Batch: one {"image": path, "phrases": [...]} per line ("-" = stdin).')
def detect(image: str | None, phrases: tuple[str, ...], boxes: tuple[str, ...], negative_boxes: tuple[str, ...],
           mask_threshold: float | None, as_json: bool, jsonl: str | None, **model_flags: Any) -> None:
    """Run SAM3 directly on noun PHRASES and/or exemplar boxes in IMAGE (no LLM, no rules)."""
    exemplars = exemplar_boxes(boxes, negative_boxes)
    if jsonl is None and (not image or not (phrases or exemplars)):
        fail("give IMAGE and at least one PHRASE or --box, or --jsonl FILE")
    settings = checked_settings(mask_threshold=mask_threshold, **model_flags)

    def run() -> None:
        from segchat.agent.serving.payloads import open_image_file
        from segchat.contracts.tool import ExemplarBox

        opened = open_image_file(image, settings.max_image_pixels) if jsonl is None else None  # before the model
        agent = make_agent(settings)

        def one(image_path: Any, phrase_list: list[str], boxes_json: list) -> dict[str, Any]:
            return agent.detect(image_path, phrase_list,
                                exemplars=[ExemplarBox(**b) for b in boxes_json]).result.model_dump()

        if jsonl is None:
            result = one(opened, list(phrases), exemplars)
            emit(result) if as_json else print_table(result)
            return

        def problem(obj: dict[str, Any]) -> str | None:
            phrases_field = obj.get("phrases")
            if not isinstance(obj.get("image"), str) or not isinstance(phrases_field, list) or not phrases_field \
                    or not all(isinstance(p, str) and p.strip() for p in phrases_field):
                return 'expected {"image": path, "phrases": [non-empty strings]}'
            return None

        run_jsonl(jsonl, problem, lambda obj: one(obj["image"], obj["phrases"], []))

    guarded(run)



@click.command()
@click.argument("image", required=False)
@click.argument("instruction", required=False)
@options(MODEL_OPTIONS, LLM_OPTIONS, DATA_OPTIONS, BOX_OPTIONS)
@click.option("--session", "session_id", help="Continue this conversation (its image is used when IMAGE is '-').")
@click.option("--verify", is_flag=True, help="Let the VL model check relational answers (LLM path only).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Also write overlay.png, mask_<id>.png and result.json here.")
@click.option("--json", "as_json", is_flag=True, help="Print the result JSON.")
@click.option("--jsonl", type=click.Path(),
              help='Batch: one {"image": path, "instruction": text, "session": optional id} per line ("-" = stdin).')
def segment(image: str | None, instruction: str | None, boxes: tuple[str, ...], negative_boxes: tuple[str, ...],
            session_id: str | None, verify: bool, out_dir: str | None, as_json: bool, jsonl: str | None,
            **flags: Any) -> None:
    """Segment what INSTRUCTION asks for in IMAGE (any language); follow-ups with --session."""
    if jsonl is None and (not image or instruction is None):
        fail('give IMAGE and "INSTRUCTION" (IMAGE may be - with --session), or --jsonl FILE')
    exemplars = exemplar_boxes(boxes, negative_boxes)
    settings = checked_settings(**flags)

    def run() -> None:
        from segchat.agent.serving.payloads import open_image_file
        from segchat.contracts.tool import ExemplarBox

        # a bad file is refused before the model loads
        opened = open_image_file(image, settings.max_image_pixels) if jsonl is None and image != "-" else None
        agent = make_agent(settings)
        if jsonl is None:
            turn = agent.turn(instruction, opened, session_id, verify=verify,
                              exemplars=[ExemplarBox(**b) for b in exemplars])
            if out_dir:
                try:
                    turn.write_outputs(Path(out_dir))
                except OSError as exc:
                    fail(f"cannot write to '{out_dir}': {exc.strerror or exc}")
            if as_json:
                emit(turn.result.model_dump())
            else:
                click.echo(turn.result.explanation)
                print_table(turn.result.model_dump())
                click.echo(f"session {turn.session_id}")
            return

        def problem(obj: dict[str, Any]) -> str | None:
            if not isinstance(obj.get("instruction"), str):
                return 'expected {"image": path, "instruction": text, "session": optional}'
            return None

        run_jsonl(jsonl, problem, lambda obj: agent.turn(obj["instruction"], obj.get("image"), obj.get("session"),
                                                         verify=verify).result.model_dump())

    guarded(run)
