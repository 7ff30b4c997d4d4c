"""The mutation table (scripts/mutations.toml) still fits the code: every `old` text is in its file exactly once and
every test it names exists. A refactor that moves mutated code fails here at once, not when someone next runs the
slow proofs."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parents[1]
MUTATIONS = runpy.run_path(str(REPO_DIR / "scripts" / "mutation_proofs.py"), run_name="mutation_table")["MUTATIONS"]


def test_names_are_unique():
    names = [mutation.name for mutation in MUTATIONS]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda mutation: mutation.name)
def test_each_mutation_applies_once_and_names_real_tests(mutation):
    assert (REPO_DIR / mutation.path).read_text(encoding="utf-8").count(mutation.old) == 1
    assert mutation.old != mutation.new
    for test in mutation.tests:
        path, _, name = test.partition("::")  # a file alone runs all its tests
        assert not name or f"def {name.split('[')[0]}(" in (REPO_DIR / path).read_text(encoding="utf-8"), test
