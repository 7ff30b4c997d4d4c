"""Show that the tests of the mended bugs and the once-weak tests can fail: put each bug back (or break each test's
subject), run the test, expect it to fail, restore the file. Prints a markdown table; exit 1 if a test survived.

    .venv/bin/python scripts/mutation_proofs.py [--only NAME ...] [--skip-slow]

The mutations are a table, `scripts/mutations.toml`. Every mutation is an exact text replacement that must match
once, so a refactor that moves the code makes this script say so instead of silently testing nothing.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutation:
    name: str
    why: str  # the bug put back, or the subject broken
    path: str
    old: str
    new: str
    tests: tuple[str, ...]
    slow: bool = False


MUTATIONS_FILE = REPO / "scripts" / "mutations.toml"


def load_mutations(path: Path = MUTATIONS_FILE) -> list[Mutation]:
    """The table in `path`; a row with `browser_test` also gives its Chromium twin (the same bug, slow)."""
    mutations = []
    for row in tomllib.loads(path.read_text(encoding="utf-8"))["mutation"]:
        browser_test = row.pop("browser_test", None)
        mutation = Mutation(**{**row, "tests": tuple(row["tests"])})
        mutations.append(mutation)
        if browser_test:
            mutations.append(replace(mutation, name=f"{mutation.name}-browser", why=f"{mutation.why}, in Chromium",
                                     tests=(f"tests/test_browser_ui.py::{browser_test}",), slow=True))
    return mutations


MUTATIONS = load_mutations()


def run(mutation: Mutation) -> tuple[str, float]:
    path = REPO / mutation.path
    original = path.read_text(encoding="utf-8")
    if original.count(mutation.old) != 1:
        return "NOT APPLIED (the text to mutate is not there exactly once)", 0.0
    start = time.perf_counter()
    try:
        path.write_text(original.replace(mutation.old, mutation.new, 1), encoding="utf-8")
        done = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                               "-W", "ignore::DeprecationWarning", *mutation.tests], cwd=REPO,
                              capture_output=True, text=True, timeout=1800)
    finally:
        path.write_text(original, encoding="utf-8")
    seconds = time.perf_counter() - start
    return ("failed, as it must" if done.returncode != 0 else "PASSED: the test cannot see this bug"), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--skip-slow", action="store_true")
    args = parser.parse_args()
    chosen = [m for m in MUTATIONS if (args.only is None or m.name in args.only) and not (args.skip_slow and m.slow)]
    print("| mutation | what was put back / broken | test | result | s |\n| --- | --- | --- | --- | --- |", flush=True)
    survived = 0
    for mutation in chosen:
        result, seconds = run(mutation)
        survived += not result.startswith("failed")
        tests = ", ".join(t.replace("tests/", "") for t in mutation.tests)
        print(f"| {mutation.name} | {mutation.why} | {tests} | {result} | {seconds:.0f} |", flush=True)
    sys.exit(1 if survived else 0)


if __name__ == "__main__":
    main()
