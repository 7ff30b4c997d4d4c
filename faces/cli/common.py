"""What every verb of the command line shares: the error contract (`error: ...` and exit 2; a `--jsonl` run answers
every line and exits 1 at the end when one failed), settings from flags, JSON output, box options."""

from __future__ import annotations

import json
import sys
from typing import Any, Callable, Iterator

import click
from pydantic import ValidationError

from segchat.contracts.errors import SegchatError
from segchat.contracts.settings import Settings
from segchat.faces.options import settings_from


def fail(message: str, code: int = 2) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def checked_settings(**flags: Any) -> Settings:
    try:
        return settings_from(**flags)
    except ValidationError as exc:
        fail(f"bad setting: {'; '.join(e['loc'][0] if e['loc'] else '' for e in exc.errors())}: "
             f"{exc.errors()[0]['msg']}")
        raise  # unreachable: fail exits


def emit(obj: dict[str, Any]) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False))


def jsonl_lines(path: str) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line number, parsed object or None, error or None) for each non-empty line of a JSONL file."""
    try:
        stream = sys.stdin if path == "-" else open(path, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
    with stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, None, f"line {number}: not JSON ({exc.msg})"
                continue
            if not isinstance(obj, dict):
                yield number, None, f"line {number}: expected a JSON object"
                continue
            yield number, obj, None


def run_jsonl(path: str, problem: Callable[[dict[str, Any]], str | None],
              answer: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """One JSON answer per input line; a bad line gives {"error", "line"} and the run goes on (exit 1 at the end).

    `problem(obj)` says what is wrong with a line's fields (or None); `answer(obj)` makes its result.
    """
    failures = 0
    for number, obj, error in jsonl_lines(path):
        if error is None:
            error = problem(obj)
            error = f"line {number}: {error}" if error else None
        if error is None:
            try:
                emit(answer(obj))
                continue
            except SegchatError as exc:
                error = f"line {number}: {exc.message}"
        failures += 1
        emit({"error": {"code": "bad_line", "message": error}, "line": number})
    if failures:
        sys.exit(1)


def guarded(action: Callable[[], None]) -> None:
    try:
        action()
    except SegchatError as exc:
        fail(exc.message)


def exemplar_boxes(positive: tuple[str, ...], negative: tuple[str, ...]) -> list[dict[str, Any]]:
    """--box / --negative-box values (X0,Y0,X1,Y1 in pixels) as exemplar boxes; a malformed one exits 2."""
    boxes = []
    for value, is_positive in [(v, True) for v in positive] + [(v, False) for v in negative]:
        try:
            numbers = [float(part) for part in value.split(",")]
        except ValueError:
            numbers = []
        if len(numbers) != 4:
            fail(f"a box is X0,Y0,X1,Y1 in pixels (four numbers), not {value!r}")
        boxes.append({"box": numbers, "positive": is_positive})
    return boxes


BOX_OPTIONS = [
    click.option("--box", "boxes", multiple=True, metavar="X0,Y0,X1,Y1",
                 help="A box around an example object (pixels); repeat for more."),
    click.option("--negative-box", "negative_boxes", multiple=True, metavar="X0,Y0,X1,Y1",
                 help="A box around an object whose kind to leave out."),
]


def make_agent(settings: Settings, **parts):
    from segchat.agent import build_agent

    return build_agent(settings, **parts)


def print_table(result: dict[str, Any]) -> None:
    size = result["image"]
    click.echo(f"image {size['width']}x{size['height']}: {len(result['instances'])} instance(s) "
               f"in {result['timings_ms']['total']:.0f} ms")
    for inst in result["instances"]:
        box = ", ".join(f"{v:.0f}" for v in inst["box"])
        click.echo(f"  #{inst['id']:<3} {inst['label']:<24} score {inst['score']:.2f}  box [{box}]")
