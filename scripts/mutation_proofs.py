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


# the repair and breaker mutations break one place that both backends go through
REPAIR = ("            reply = self._complete(repair_messages(messages, reply, str(exc)), self.plan_schema, PLAN)\n",
          "            pass  # no repair\n")
BREAKER = ("        if not self.breaker.allow():\n            raise LlmCallFailed(",
           "        if False:\n            raise LlmCallFailed(")

MUTATIONS = [
    Mutation("upload-read-swallowed", "a failed upload read becomes b'' again (ui/files.py)", "ui/files.py",
             'raise ImageReadError(f"the upload could not be read ({exc.strerror or exc})") from None',
             'data = b""',
             ("tests/test_agent_parts.py::test_an_empty_upload_is_an_error_not_the_previous_image",)),
    # -- issue 23's UI defects (1-5, 7): the fast tests call the page's event functions as Gradio does; the browser
    # tests (slow) drive Chromium
    Mutation("example-upload-deleted", "reading an upload deletes it, Gradio's cached example included (defect 1)",
             "ui/files.py", "            data = Path(path).read_bytes()\n",
             "            data = Path(path).read_bytes()\n            Path(path).unlink()\n",
             ("tests/test_ui_parts.py::test_reading_an_upload_leaves_it_for_the_next_visitor",)),
    Mutation("example-upload-deleted-browser", "the same, seen from two page loads in Chromium (defect 1)",
             "ui/files.py", "            data = Path(path).read_bytes()\n",
             "            data = Path(path).read_bytes()\n            Path(path).unlink()\n",
             ("tests/test_browser_ui.py::test_an_example_answers_from_every_page_load",), slow=True),
    Mutation("uploads-never-expire", "uploads are kept forever (no delete_cache) (defect 1)", "ui/app.py",
             "delete_cache=(UPLOAD_SWEEP_S, UPLOAD_MAX_AGE_S)", "delete_cache=None",
             ("tests/test_ui_parts.py::test_uploads_expire_by_age_but_never_the_examples_picture",)),
    Mutation("video-missing-as-image", "the Video tab without a video says it could not read an image (defect 2)",
             "ui/video.py", 'raise BadRequestError("attach a video first", code="missing_video")',
             'raise BadRequestError("attach a video first", code="unreadable_image")',
             ("tests/test_ui_parts.py::test_the_video_tab_without_a_video_asks_for_one_in_the_users_language",)),
    Mutation("video-missing-as-image-browser", "the same, in Chromium (defect 2)",
             "ui/video.py", 'raise BadRequestError("attach a video first", code="missing_video")',
             'raise BadRequestError("attach a video first", code="unreadable_image")',
             ("tests/test_browser_ui.py::test_the_video_tab_without_a_video_asks_for_one",), slow=True),
    Mutation("banner-free-text", "the banner compares the parser's state with literals again (defect 3)",
             "ui/messages.py", 'if ready["uses_llm"]:', 'if ready.get("llm_state") in ("ok", "reachable"):',
             ("tests/test_ui_parts.py::test_the_banner_says_offline_only_when_no_llm_reads_the_instructions",)),
    Mutation("banner-once", "the banner is computed once, when the page is built (defect 3)", "ui/app.py",
             "    demo.load(bind(restoring.banner, ctx), None, [notice], **private)\n",
             "    notice.value = restoring.banner(ctx)[\"value\"]\n",
             ("tests/test_ui_parts.py::test_the_banner_says_offline_only_when_no_llm_reads_the_instructions",)),
    Mutation("banner-free-text-browser", "the local-LLM banner, in Chromium (defect 3)",
             "ui/messages.py", 'if ready["uses_llm"]:', 'if ready.get("llm_state") in ("ok", "reachable"):',
             ("tests/test_browser_ui.py::test_a_local_llm_is_no_offline_parser",), slow=True),
    Mutation("download-names-random", "downloads get a random prefix before their name (defect 4)", "ui/files.py",
             'return f"turn{index}_{EXPORT_SUFFIXES[kind]}"',
             'return f"{os.urandom(4).hex()}_turn{index}_{EXPORT_SUFFIXES[kind]}"',
             ("tests/test_ui_parts.py::test_export_names_are_the_agents",)),
    Mutation("download-names-random-browser", "the same, in Chromium (defect 4)", "ui/files.py",
             'return f"turn{index}_{EXPORT_SUFFIXES[kind]}"',
             'return f"{os.urandom(4).hex()}_turn{index}_{EXPORT_SUFFIXES[kind]}"',
             ("tests/test_browser_ui.py::test_downloads_are_named_for_what_they_are_and_their_turn",), slow=True),
    Mutation("every-export-per-turn", "every turn builds all five exports, the PSD included (defect 5)",
             "ui/turns.py", 'overlay = str(ctx.files.export(turn, "overlay", smoothness))',
             "overlay = [str(ctx.files.export(turn, kind, smoothness)) for kind in EXPORT_KINDS][0]",
             ("tests/test_ui_parts.py::test_a_turn_writes_its_overlay_and_no_other_export_until_asked",)),
    Mutation("image-encoded-again", "the chat's image is encoded again instead of linked (defect 5)", "ui/files.py",
             'link_or_copy(self.images_dir / f"{image_key}.png", path)',
             '__import__("PIL.Image").Image.open(self.images_dir / f"{image_key}.png").save(path)',
             ("tests/test_ui_parts.py::test_the_chat_shows_the_stored_image_file_not_a_new_encoding",)),
    Mutation("overlay-redrawn-on-load", "a page load draws every overlay again (defect 5)", "ui/restore.py",
             "    if path.exists():\n        return str(path)\n", "    if False:\n        return str(path)\n",
             ("tests/test_ui_parts.py::test_a_page_load_draws_nothing_that_is_on_disk_and_redraws_what_was_swept",)),
    Mutation("ui-files-never-swept", "ui_files/ is never cleaned (defect 5)", "ui/files.py",
             "elif now - path.lstat().st_ctime > self.max_age_s:", "elif False:",
             ("tests/test_ui_parts.py::test_old_ui_files_are_swept_by_age",)),
    Mutation("no-sweep-at-start", "the page's files are not swept when the server starts (defect 5)", "ui/app.py",
             "    files.sweep_now_and_then()  # at start", "    pass  # at start",
             ("tests/test_ui_parts.py::test_the_sweep_runs_at_start_and_now_and_then",)),
    Mutation("no-sweep-on-load", "page loads never sweep (defect 5)", "ui/restore.py",
             "    ctx.files.sweep_now_and_then()\n", "",
             ("tests/test_ui_parts.py::test_the_sweep_runs_at_start_and_now_and_then",)),
    Mutation("one-request-at-a-time", "the UI runs one request at a time again (defect 5)", "ui/app.py",
             "default_concurrency_limit=settings.concurrency", "default_concurrency_limit=1",
             ("tests/test_ui_parts.py::test_the_ui_runs_as_many_requests_at_once_as_the_agent",)),
    Mutation("load-error-swallowed", "an error on page load shows an empty chat (defect 7)", "ui/restore.py",
             'return [{"role": "assistant", "content": message}], [], None, None, gr.skip(), state, message',
             'return [], [], None, None, gr.skip(), state, ""',
             ("tests/test_ui_parts.py::test_errors_on_page_load_and_in_the_concepts_panel_are_said",)),
    Mutation("concept-list-error-swallowed", "the concept list's error is swallowed (defect 7)", "ui/restore.py",
             'return gr.skip(), "⚠️ " + friendly_error(exc, language)', 'return [], ""',
             ("tests/test_ui_parts.py::test_errors_on_page_load_and_in_the_concepts_panel_are_said",)),
    Mutation("forget-error-swallowed", "a failed forget says nothing (defect 7)", "ui/restore.py",
             'return gr.skip(), gr.skip(), "⚠️ " + friendly_error(exc, language)', 'return gr.skip(), gr.skip(), ""',
             ("tests/test_ui_parts.py::test_forgetting_an_unknown_concept_says_so",)),
    Mutation("session-locks-kept", "per-session locks are never freed (agent/serving/queue.py)", "agent/serving/queue.py",
             "                del self._locks[key]", "                self._locks[key] = (lock, 0)",
             ("tests/test_agent_parts.py::test_session_locks_are_freed_when_released",)),
    Mutation("parse-jsonl-exit-0", "`segchat parse --jsonl` exits 0 when lines failed (faces/cli/common.py)",
             "faces/cli/common.py",
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
             "(parser/llm_parser.py; once test_parser_llm.py:64, `A and B or C`)", "parser/llm_parser.py",
             "    plan, notes = parse_offline_with_notes(text)\n    return ParseOutcome(",
             "    plan, notes = parse_offline_with_notes(text)\n"
             "    plan = plan.model_copy(update={'targets': [t.model_copy(update={'select': t.select.model_copy("
             "update={'count': None})}) for t in plan.targets]})\n    return ParseOutcome(",
             ("tests/test_parser_llm.py::test_http_error_falls_back",)),
    Mutation("bad-example-plan", "prompts/examples.jsonl holds a plan the schema refuses", "prompts/examples.jsonl",
             '{"user": "segment the dog on the left", "plan": {',
             '{"user": "segment the dog on the left", "plan": {"no_such_field": 1, ', ("tests/test_parser_grammar.py",)),
    Mutation("serve-reply-empty", "the model server's reply is taken as empty text (parser/llm.py; once "
             "test_parser_transformers_serve.py:74, `isinstance(reply, str)`)", "parser/llm.py",
             '        return response.choices[0].message.content or ""', '        return ""',
             ("tests/test_parser_transformers_serve.py::test_real_server_reply_to_the_exact_request",), slow=True),
    Mutation("ui-misses-the-circles", "the chat merges every instance into one (agent/rules.py; once "
             "test_browser_ui.py:209/223, which accepted 'found' and 'not found')", "agent/rules.py",
             "DUPLICATE_IOU = 0.7", "DUPLICATE_IOU = -1.0",
             ("tests/test_browser_ui.py::test_chinese_turn_followup_reload_restart_and_bad_file",), slow=True),
    # issue 23: one interface per LLM backend; repair and the breaker live once (parser/llm_parser.py)
    Mutation("llm-no-repair", "a bad reply is not repaired (parser/llm_parser.py)", "parser/llm_parser.py", *REPAIR,
             ("tests/test_parser_llm_parser.py::test_a_bad_first_reply_is_repaired_with_the_validation_error",)),
    Mutation("local-no-repair", "the in-process backend gets no repair (parser/llm_parser.py)", "parser/llm_parser.py",
             *REPAIR, ("tests/test_parser_local_llm.py::test_a_reply_cut_short_is_repaired_through_the_real_model",),
             slow=True),
    Mutation("llm-breaker-ignored", "the circuit breaker never stops a call (parser/llm_parser.py)",
             "parser/llm_parser.py", *BREAKER,
             ("tests/test_parser_llm_parser.py::test_failures_in_a_row_open_the_breaker_and_the_status_says_paused",)),
    Mutation("local-breaker-ignored", "the in-process backend has no breaker (parser/llm_parser.py)",
             "parser/llm_parser.py", *BREAKER,
             ("tests/test_parser_local_llm.py::test_replies_that_stay_invalid_open_the_breaker",), slow=True),
    Mutation("paused-not-reported", "status() hides the breaker's pause (parser/llm_parser.py)", "parser/llm_parser.py",
             "        if paused_s > 0:\n", "        if False:\n",
             ("tests/test_parser_llm.py::test_circuit_breaker_stops_calling_a_failing_endpoint",)),
    Mutation("breaker-success-no-reset", "a success does not reset the failure count (parser/breaker.py)",
             "parser/breaker.py", "            if ok:\n                self._count = 0\n                return",
             "            if ok:\n                return",
             ("tests/test_parser_llm_parser.py::test_the_breaker_counts_failures_in_a_row_and_closes_after_its_cooldown",)),
    Mutation("local-parser-loose-schema", "the in-process parser decodes under the loose Plan schema "
             "(parser/local_llm.py)", "parser/local_llm.py",
             "    return LlmParser(chat, plan_schema=decoding_schema(), breaker=breaker)",
             "    return LlmParser(chat, breaker=breaker)",
             ("tests/test_parser_llm_parser.py::test_the_local_backend_is_wired_to_the_shared_parser_with_its_bounded_schema",)),
    Mutation("offline-targets-unbounded", "the offline reader writes more than 8 targets (parser/offline.py; once "
             "test_parser_robustness.py:82, which asserted the length of its own list)", "parser/offline.py",
             "    return Plan(targets=targets[:8], followup", "    return Plan(targets=targets, followup",
             ("tests/test_parser_robustness.py::test_hostile_lines_are_read_without_the_last_guard_into_plans_that_survive_json",)),
    Mutation("offline-parser-reads-a-prefix", "OfflineParser.parse reads only the first 40 characters "
             "(parser/offline.py)", "parser/offline.py",
             "        plan, notes = parse_offline_with_notes(text)\n        return ParseOutcome(plan=plan, notes=notes)",
             "        plan, notes = parse_offline_with_notes(text[:40])\n        return ParseOutcome(plan=plan, notes=notes)",
             ("tests/test_parser_robustness.py::test_parse_jsonl_offline_answers_each_hostile_line_with_its_plan_and_a_bad_line_with_an_error",)),
    # issue 23: temporary folders of video jobs (defect 8), the wheel (defect 9), `segchat sessions`
    Mutation("frames-folder-left", "a video job from session frames leaves its temporary folder (agent/serving/jobs.py)",
             "agent/serving/jobs.py", "        shutil.move(video, target)\n",
             "        (shutil.copytree if video.is_dir() else shutil.copyfile)(video, target)\n",
             ("tests/test_video_jobs.py::test_a_job_from_session_frames_leaves_no_temporary_folder",)),
    Mutation("refused-frames-left", "a refused video job leaves the frames it was handed (agent/serving/jobs.py)",
             "agent/serving/jobs.py",
             "        try:\n            instruction = self._checked(instruction, tracker)\n        except BaseException:\n"
             "            _discard(handed_over)\n            raise",
             "        instruction = self._checked(instruction, tracker)",
             ("tests/test_video_jobs.py::test_a_job_from_session_frames_leaves_no_temporary_folder",)),
    Mutation("wheel-demo-from-checkout", "an installed wheel looks for the demo model in a checkout "
             "(contracts/resources.py)", "contracts/resources.py",
             "    return found if isinstance(found, Path) and found.exists() else None", "    return None",
             ("tests/test_wheel.py::test_the_wheel_runs_the_demo_from_outside_the_checkout",), slow=True),
    Mutation("wheel-without-demo", "the wheel ships without the demo model (pyproject.toml)", "pyproject.toml",
             '"segchat.demo" = ["shapes-sam3/*", "shapes_demo.png"]', '"segchat.demo" = []',
             ("tests/test_wheel.py::test_the_wheel_runs_the_demo_from_outside_the_checkout",), slow=True),
    Mutation("sessions-oldest-first", "`segchat sessions list` shows the oldest first (agent/serving/store.py)",
             "agent/serving/store.py", "ORDER BY s.updated DESC, s.created DESC, s.id LIMIT ?",
             "ORDER BY s.updated, s.created, s.id LIMIT ?",
             ("tests/test_sessions_cli.py::test_list_shows_the_newest_first_with_turns_and_the_last_instruction",)),
    Mutation("sessions-key-ignored", "`segchat sessions list --api-key` shows the keyless sessions "
             "(faces/cli/sessions.py)", "faces/cli/sessions.py",
             "found = _summaries(settings, owner_of(api_key), limit)", "found = _summaries(settings, owner_of(None), limit)",
             ("tests/test_sessions_cli.py::test_an_api_key_sees_its_own_sessions_and_no_others",)),
    # issue 23: one Segmenter protocol, the embedding kept where it was made; typed states; the demo says what it knows
    Mutation("double-drifts-from-protocol", "a test double's find_each accepts less than the real one "
             "(tests/test_video_detect.py)", "tests/test_video_detect.py",
             "    def find_each(self, handle, prompts, *, image=None, threshold=None, mask_threshold=0.5, nms_iou=0.7,\n"
             "                  timings=None) -> list[list[Instance]]:",
             "    def find_each(self, handle, prompts, *, threshold=None, **_) -> list[list[Instance]]:",
             ("tests/test_segmenter_protocol.py::test_every_double_has_the_protocols_signatures",)),
    Mutation("batcher-drifts-from-protocol", "the cross-request batcher's find_each loses image= "
             "(segmenter/batching.py)", "segmenter/batching.py", "*, image: ImageSource | None = None,\n", "*,\n",
             ("tests/test_segmenter_protocol.py::test_the_production_segmenter_and_the_batcher_have_the_protocols_signatures",)),
    Mutation("embed-returns-the-tensor", "embed hands the caller the embedding itself (segmenter/predictor.py)",
             "segmenter/predictor.py", "        return embedding.handle, hit", "        return embedding, hit",
             ("tests/test_segmenter_protocol.py::test_the_caller_holds_a_small_handle_and_the_embedding_stays_in_the_segmenter",)),
    Mutation("no-reembed-from-image", "a handle whose embedding is gone is never made again from its image "
             "(segmenter/predictor.py)", "segmenter/predictor.py",
             "        if image is None:\n            raise EmbeddingMissingError",
             "        if True:\n            raise EmbeddingMissingError",
             ("tests/test_segmenter_protocol.py::test_a_handle_is_found_again_from_its_image_where_the_embedding_is_gone",)),
    Mutation("relation-ignored", "the relation keeps every candidate (agent/rules.py; once test_agent_e2e.py:148-177, "
             "which rebound apply_relation by hand)", "agent/rules.py",
             "    return [f for f in found if any(relation_holds(relation.type, f, a) for a in anchors)]",
             "    return found",
             ("tests/test_agent_e2e.py::test_the_verifier_judges_what_the_real_relation_kept",
              "tests/test_agent_rules.py::test_relation_and_selection_through_the_agent_on_the_demo_model")),
    Mutation("verifier-unwired", "the agent never calls the verifier (agent/core.py)", "agent/core.py",
             "if (verify and self.parser.can_verify and outcome.fallback_reason is None) else None)",
             "if False else None)", ("tests/test_agent_e2e.py::test_the_verifier_judges_what_the_real_relation_kept",)),
    Mutation("selection-ignored", "a selection keeps every candidate (agent/rules.py; once only on a scripted finder)",
             "agent/rules.py", "    return ranked[start:end]", "    return ranked",
             ("tests/test_agent_rules.py::test_relation_and_selection_through_the_agent_on_the_demo_model",)),
    Mutation("demo-says-nothing", "a photo on the demo model answers 'Found no “cat”' and nothing more "
             "(agent/explain.py; defect 10)", "agent/explain.py",
             "    if demo and beyond_the_demo(execution.reports):", "    if False:",
             ("tests/test_agent_e2e.py::test_the_demo_model_says_what_it_knows_when_asked_for_a_photo",)),
    Mutation("demo-note-everywhere", "every model claims to be the demo (agent/build.py)", "agent/build.py",
             "        demo=runs_the_demo_model(settings),", "        demo=True,",
             ("tests/test_agent_e2e.py::test_a_model_that_is_not_the_demo_makes_no_such_claim",)),
    Mutation("export-kind-misrouted", "one export kind falls through to another (agent/results.py)", "agent/results.py",
             "        if kind is ExportKind.CUTOUTS:", '        if kind == "cut-outs":',
             ("tests/test_agent_parts.py::test_a_turn_exports_every_kind_and_refuses_an_unknown_one",)),
    Mutation("tracker-auto-kept", "'auto' is kept as a tracker of its own (agent/core.py)", "agent/core.py",
             "        chosen = default_tracker(source) if kind is TrackerKind.AUTO else kind", "        chosen = kind",
             ("tests/test_agent_parts.py::test_trackers_are_chosen_by_kind_or_its_value",)),
    # issue 23, defect 6: nothing blocking on the event loop; the REST face as small routers
    Mutation("url-fetch-on-the-loop", "the image URL is fetched (and base64 decoded) in the handler, on the event loop "
             "(faces/rest/segment.py)", "faces/rest/segment.py",
             "    turn = await run_in_threadpool(agent.segment_image, arguments.params, owner=owner, image=arguments.image)",
             "    turn = await run_in_threadpool(agent.segment_image, arguments.params, owner=owner, image=arguments.image "
             "if arguments.image is not None or not arguments.params.image else agent.image_bytes(arguments.params.image))",
             ("tests/test_event_loop.py::test_a_slow_image_url_leaves_the_loop_free",)),
    Mutation("big-body-on-the-loop", "every JSON body is parsed and decoded on the event loop (faces/http.py)",
             "faces/http.py", "INLINE_BELOW = 256 * 1024", "INLINE_BELOW = 1 << 40",
             ("tests/test_event_loop.py::test_big_base64_bodies_are_decoded_off_the_loop",), slow=True),
    Mutation("mcp-turn-on-the-loop", "the MCP tool runs the agent on the event loop (faces/mcp.py)", "faces/mcp.py",
             "turn = await anyio.to_thread.run_sync(partial(self.agent.segment_image, params, owner=owner, image=image))",
             "turn = self.agent.segment_image(params, owner=owner, image=image)",
             ("tests/test_event_loop.py::test_mcp_waits_on_a_slow_url_off_the_loop",)),
    Mutation("worker-keeps-the-base64", "the decoded body keeps its base64 (agent/serving/payloads.py)",
             "agent/serving/payloads.py",
             'return DecodedBody({**body, field: ""}, decode_inline_image(payload, max_image_bytes))',
             "return DecodedBody(body, decode_inline_image(payload, max_image_bytes))",
             ("tests/test_event_loop.py::test_the_worker_decodes_as_the_loop_would",)),
    Mutation("queue-one-too-many", "the work queue admits one more than its size (agent/serving/queue.py; the 503 test "
             "once needed a 2 MP image to be slow enough)", "agent/serving/queue.py",
             "if self.stats.waiting >= self.size:", "if self.stats.waiting > self.size:",
             ("tests/test_server_api.py::test_full_queue_answers_503",)),
    Mutation("no-retry-after", "a full queue's 503 comes without Retry-After (faces/rest/errors.py)",
             "faces/rest/errors.py", "    if exc.http_status in RETRY_LATER:", "    if False:",
             ("tests/test_server_api.py::test_full_queue_answers_503",)),
    Mutation("nested-json-is-a-500", "JSON nested too deep is a 500 again (agent/serving/payloads.py)",
             "agent/serving/payloads.py", "    except (ValueError, RecursionError):", "    except ValueError:",
             ("tests/test_hostile_inputs.py::test_rest_malformed_requests",)),
    Mutation("body-schema-dangling-refs", "body schemas keep their own $defs, pointing at nothing "
             "(faces/rest/bodies.py)", "faces/rest/bodies.py",
             '    return _resolved({k: v for k, v in schema.items() if k != "$defs"}, definitions)', "    return schema",
             ("tests/test_api_schema.py::test_the_document_names_each_result_and_every_reference_resolves",)),
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
