"""Show that the tests of the mended bugs and the once-weak tests can fail: put each bug back (or break each test's
subject), run the test, expect it to fail, restore the file. Prints a markdown table; exit 1 if a test survived.

    .venv/bin/python scripts/mutation_proofs.py [--only NAME ...] [--skip-slow]

Every mutation is an exact text replacement that must match once, so a refactor that moves the code makes this
script say so instead of silently testing nothing.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass
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


MUTATIONS = [
    Mutation("upload-read-swallowed", "a failed upload read becomes b'' again (ui/app.py)", "ui/app.py",
             'raise ImageReadError(f"the upload could not be read ({exc.strerror or exc})") from None',
             'data = b""',
             ("tests/test_agent_parts.py::test_an_empty_upload_is_an_error_not_the_previous_image",)),
    Mutation("session-locks-kept", "per-session locks are never freed (agent/serving/queue.py)", "agent/serving/queue.py",
             "                del self._locks[key]", "                self._locks[key] = (lock, 0)",
             ("tests/test_agent_parts.py::test_session_locks_are_freed_when_released",)),
    Mutation("parse-jsonl-exit-0", "`segchat parse --jsonl` exits 0 when lines failed (faces/cli.py)", "faces/cli.py",
             "    if failures:\n        sys.exit(1)", "    if failures < 0:\n        sys.exit(1)",
             ("tests/test_cli_errors.py::test_parse_jsonl_answers_every_line_and_exits_1_when_one_failed",)),
    Mutation("any-error-is-a-bad-setting", "serve.py calls a model that cannot load a bad setting (faces/server.py)",
             "faces/server.py", 'click.echo(f"error: {exc.message}", err=True)\n        sys.exit(2)\n    import uvicorn',
             'click.echo(f"error: bad setting: {exc.message}", err=True)\n        sys.exit(2)\n    import uvicorn',
             ("tests/test_cli_errors.py::test_a_model_that_cannot_load_is_not_called_a_bad_setting",)),
    Mutation("new-image-narrows-old-result", "a follow-up on a new image narrows the old image's instances "
             "(agent/core.py; once test_agent_e2e.py:65's always-true `or`)", "agent/core.py",
             'same_subject = last is not None and last["image_key"] == image_key',
             "same_subject = last is not None",
             ("tests/test_agent_e2e.py::test_new_image_starts_a_new_subject",)),
    Mutation("overlay-without-cjk-font", "the overlay's labels fall back to a font with no CJK glyphs "
             "(agent/outputs/overlay.py; once test_agent_e2e.py:100-104, which only compared overlays)", "agent/outputs/overlay.py",
             "        if Path(path).exists():\n            return ImageFont.truetype(path, size)",
             "        if False:\n            return ImageFont.truetype(path, size)",
             ("tests/test_agent_e2e.py::test_overlay_renders_cjk_labels",)),
    Mutation("chinese-labels-in-english", "the Chinese turn labels its instances in English (agent/explain.py)",
             "agent/explain.py", 'return label_zh(phrase) if language == "zh" else phrase', "return phrase",
             ("tests/test_agent_e2e.py::test_overlay_renders_cjk_labels",)),
    Mutation("bad-model-hint-wrong", "a missing local folder gets the hub's login hint (segmenter/loader.py; once "
             "test_server_api.py:207, which checked an empty slice)", "segmenter/loader.py",
             '"Pass a folder that holds a SAM3 checkpoint saved with save_pretrained (model + "',
             '"Run hf auth login, or pass a folder that holds a SAM3 checkpoint (model + "',
             ("tests/test_server_api.py::test_refuses_public_bind_without_key_and_bad_model_cleanly",)),
    Mutation("http-error-not-offline", "an HTTP error's fallback drops the offline parse's selection "
             "(parser/llm.py; once test_parser_llm.py:64, `A and B or C`)", "parser/llm.py",
             "        plan, notes = parse_offline_with_notes(text)\n        return ParseOutcome(",
             "        plan, notes = parse_offline_with_notes(text)\n"
             "        plan = plan.model_copy(update={'targets': [t.model_copy(update={'select': t.select.model_copy("
             "update={'count': None})}) for t in plan.targets]})\n        return ParseOutcome(",
             ("tests/test_parser_llm.py::test_http_error_falls_back",)),
    Mutation("bad-example-plan", "prompts/examples.jsonl holds a plan the schema refuses", "prompts/examples.jsonl",
             '{"user": "segment the dog on the left", "plan": {',
             '{"user": "segment the dog on the left", "plan": {"no_such_field": 1, ', ("tests/test_parser_grammar.py",)),
    Mutation("serve-reply-empty", "the model server's reply is taken as empty text (parser/llm.py; once "
             "test_parser_transformers_serve.py:74, `isinstance(reply, str)`)", "parser/llm.py",
             '        reply = response.choices[0].message.content or ""\n        if len(reply) > MAX_REPLY_CHARS:',
             '        reply = ""\n        if len(reply) > MAX_REPLY_CHARS:',
             ("tests/test_parser_transformers_serve.py::test_real_server_reply_to_the_exact_request",), slow=True),
    Mutation("ui-misses-the-circles", "the chat merges every instance into one (agent/rules.py; once "
             "test_browser_ui.py:209/223, which accepted 'found' and 'not found')", "agent/rules.py",
             "DUPLICATE_IOU = 0.7", "DUPLICATE_IOU = -1.0",
             ("tests/test_browser_ui.py::test_chinese_turn_followup_reload_restart_and_bad_file",), slow=True),
]


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
