"""The UI-against-REST benchmark's code path, small: it must keep working (no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys

from bench.server_process import REPO


def test_the_ui_against_rest_bench_runs(tmp_path):
    done = subprocess.run([sys.executable, "-m", "bench.ui_vs_rest", "--images", "4", "--rounds", "1", "--name", "smoke",
                           "--out", str(tmp_path)], capture_output=True, text=True, cwd=REPO, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads((tmp_path / "smoke.json").read_text())
    assert result["turns_per_face"] == 4 and result["ratio"] > 0
    assert result["same_answers"] and result["every_ui_turn_wrote_its_overlay"], result
    assert result["rest_embed_ms_min"] > 0  # every REST turn encoded its image: cold
    assert (tmp_path / "smoke.md").read_text().startswith("# A chat turn against a REST turn")
