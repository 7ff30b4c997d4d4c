"""The benchmark's code path, once, on the tiny model: it must keep working (no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys

from bench.server_process import REPO


def test_bench_runs_on_the_tiny_model(tmp_path):
    done = subprocess.run([sys.executable, "-m", "bench.run", "--size", "tiny", "--quick", "--name", "smoke",
                           "--out", str(tmp_path)], capture_output=True, text=True, cwd=REPO, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((tmp_path / "smoke.json").read_text())
    assert {"segmenter", "postprocess", "turn", "server"} <= set(report)
    assert set(report["segmenter"]["ratios"]) == {"batched_4_over_cold_1", "cached_over_cold", "ours_over_reference_4"}
    assert report["postprocess"]["instances"] == 100
    assert report["turn"]["demo_image_plus_4_phrases"]["reps"] >= 5
    servers = report["server"]
    assert {s["concurrency"] for s in servers} == {1, 4}  # the same load with and without batching across requests
    for server in servers:
        assert server["statuses"].get("200", 0) >= 1 and server["errors"] == 0, server
    assert (tmp_path / "smoke.md").read_text().startswith("# segchat benchmark")
    assert (tmp_path / "smoke.png").stat().st_size > 0


def test_bench_segmenter_runs_in_bfloat16(tmp_path):
    """The GPU configuration's dtype (bfloat16) through the same code path, on the CPU."""
    done = subprocess.run([sys.executable, "-m", "bench.run", "--size", "tiny", "--quick", "--dtype", "bfloat16",
                           "--sections", "segmenter", "--name", "bf16", "--out", str(tmp_path)],
                          capture_output=True, text=True, cwd=REPO, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((tmp_path / "bf16.json").read_text())
    assert report["dtype"] == "bfloat16" and report["segmenter"]["cold_4"]["reps"] >= 1


def test_the_gpu_script_runs_at_tiny_size_on_the_cpu(tmp_path):
    """bench/gpu.sh is run on a lent GPU once; here it runs on the CPU at tiny size so that it cannot rot."""
    import os

    env = {**os.environ, "SIZE": "tiny", "DEVICE": "cpu", "DTYPE": "float32", "NAME": "gpu-smoke",
           "OUT": str(tmp_path), "SECTIONS": "segmenter,postprocess", "BUDGET_S": "800",
           # the graph capture without inductor's code generation: the same path, minutes faster on 2 cores
           "COMPILE_BACKEND": "aot_eager"}
    done = subprocess.run(["bash", str(REPO / "bench" / "gpu.sh")], capture_output=True, text=True, cwd=REPO,
                          timeout=900, env=env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    report = json.loads((tmp_path / "gpu-smoke.json").read_text())
    assert {"segmenter", "segmenter_compiled", "postprocess"} <= set(report)  # with and without torch.compile
    assert "torch.compile" in (tmp_path / "gpu-smoke.md").read_text()
