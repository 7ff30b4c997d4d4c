"""The faces stay thin: no function in `faces/` or `ui/` is longer than 60 lines (nested functions count on their
own, and a function's lines include those of the functions nested in it, so a 200-line builder of closures fails)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from segchat.contracts.settings import REPO_DIR

LIMIT = 60
THIN_ROOMS = ("faces", "ui")


def long_functions(source: str, limit: int = LIMIT) -> list[tuple[str, int]]:
    """(name, lines) of each function or method in `source` longer than `limit` lines, decorators excluded."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lines = node.end_lineno - node.lineno + 1
            if lines > limit:
                found.append((node.name, lines))
    return found


def test_the_rule_sees_a_long_function():
    body = "\n".join(f"    x{i} = {i}" for i in range(LIMIT))
    assert long_functions(f"def long():\n{body}\n") == [("long", LIMIT + 1)]
    assert long_functions(f"def short():\n{body[:-12]}\n") == []


@pytest.mark.parametrize("path", sorted(p.relative_to(REPO_DIR).as_posix() for room in THIN_ROOMS
                                        for p in (REPO_DIR / room).rglob("*.py")))
def test_no_function_in_the_faces_is_over_60_lines(path):
    assert long_functions((REPO_DIR / path).read_text(encoding="utf-8")) == []
