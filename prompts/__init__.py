"""The LLM prompts, as files. `load(name)` reads one."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=None)
def load(name: str) -> str:
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


def examples(name: str = "examples.jsonl") -> list[dict]:
    return [json.loads(line) for line in load(name).splitlines() if line.strip()]
