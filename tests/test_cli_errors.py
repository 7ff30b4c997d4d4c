"""The command line's error contract: exit 2 for bad input, every --jsonl line answered and exit 1 when one failed,
and a bad setting called what it is (and nothing else called a bad setting)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from segchat.contracts.settings import REPO_DIR


def run(*args: str, stdin: str | None = None, env: dict | None = None, timeout: float = 180):
    return subprocess.run([sys.executable, *args], input=stdin, capture_output=True, text=True, cwd=REPO_DIR,
                          timeout=timeout, env={**os.environ, **(env or {})})


def test_parse_jsonl_answers_every_line_and_exits_1_when_one_failed():
    lines = [json.dumps({"text": "the red car"}), "not json", json.dumps({"text": 5}), json.dumps({"text": "把狗抠出来"})]
    done = run("-m", "segchat.faces.cli", "parse", "--jsonl", "-", "--offline", stdin="\n".join(lines))
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(answers) == 4 and done.returncode == 1, done.stderr
    assert answers[0]["targets"][0]["phrase"] == "red car" and answers[3]["reply_language"] == "zh"
    assert [a.get("line") for a in answers] == [None, 2, 3, None] and "Traceback" not in done.stderr


def test_a_bad_setting_is_named_and_exits_2():
    done = run("-m", "segchat.faces.cli", "parse", "dog", "--offline", env={"SEGCHAT_LLM_TIMEOUT_S": "soon"})
    assert done.returncode == 2 and done.stderr.startswith("error: bad setting") and "Traceback" not in done.stderr
    served = run(str(REPO_DIR / "serve.py"), "--demo", env={"SEGCHAT_PORT": "seventy"})
    assert served.returncode == 2 and "bad setting" in served.stderr and "port" in served.stderr


def test_a_model_that_cannot_load_is_not_called_a_bad_setting(tmp_path):
    (tmp_path / "config.json").write_text("{not a config")
    served = run(str(REPO_DIR / "serve.py"), "--model", str(tmp_path), "--data-dir", str(tmp_path / "d"))
    assert served.returncode == 2 and "could not load SAM3" in served.stderr and "bad setting" not in served.stderr


def test_malformed_boxes_exit_2():
    done = run("-m", "segchat.faces.cli", "detect", str(REPO_DIR / "examples" / "shapes_demo.png"), "--demo",
               "--box", "1,2,3")
    assert done.returncode == 2 and "four numbers" in done.stderr
