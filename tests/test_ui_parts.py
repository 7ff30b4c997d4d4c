"""The chat UI's parts without a browser: its event functions called as Gradio calls them, on the shapes demo model
and the real store. What a turn writes (one overlay, no PSD until asked), what a page load draws (nothing that is on
disk), the image shown (the store's own file), the sweep of old files, the errors said instead of swallowed, the
parser's banner asked again at every page load, the Video tab without a video, several requests at once."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PIL import Image

from examples.render_demo import IMAGE as DEMO_IMAGE
from segchat.agent import Turn, build_agent
from segchat.agent.results import EXPORT_KINDS
from segchat.contracts.settings import Settings
from segchat.parser import make_parser
from segchat.ui import app, files as ui_files, restore, turns, video
from segchat.ui.context import UiContext
from segchat.ui.files import UiFiles, export_name, read_uploads
from segchat.ui.messages import OFFLINE_NOTICE, parser_notice


def context(agent, data_dir: Path, keys: list[str] | None = None, jobs=None) -> UiContext:
    return UiContext(agent=agent, files=UiFiles(data_dir / "ui_files", agent.store.image_png), jobs=jobs,
                     keys=keys or [])


@pytest.fixture
def agent(demo_segmenter, tmp_path):
    return build_agent(Settings(demo=True, offline=True, data_dir=tmp_path / "data"), segmenter=demo_segmenter)


@pytest.fixture
def ctx(agent, tmp_path):
    return context(agent, tmp_path / "data")


def send(ctx: UiContext, text: str, image: Path | None = None, state: dict | None = None, history=None):
    """The chat's submit event as Gradio calls it; returns (history, state, downloads, picker)."""
    update = turns.respond(ctx, {"text": text, "files": [str(image)] if image else []}, history or [],
                           state or {"session": None}, ctx.agent.threshold, 0.0, False, None)
    _, history, state, _, downloads, picker, _ = update
    return history, state, downloads, picker


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


# -- 5: a turn builds what it shows; the rest when asked ------------------------------------------------------------
def built_again(*args, **kwargs):
    raise AssertionError("a file on disk was built again")


def test_a_turn_writes_its_overlay_and_no_other_export_until_asked(ctx, monkeypatch):
    """Before: every turn built all five exports, the layered PSD included."""
    history, state, downloads, _ = send(ctx, "all the green shapes", DEMO_IMAGE)
    session = state["session"]
    turn_folder = ctx.files.root / session / "turn0"
    assert files_under(turn_folder) == ["turn0_overlay.png"]
    assert [Path(p).name for p in downloads] == ["turn0_overlay.png"]
    assert any(isinstance(m["content"], dict) and m["content"]["path"] == downloads[0] for m in history)

    monkeypatch.setattr(ui_files, "overlay_png", built_again)  # the overlay is on disk already
    prepared, note = turns.prepare_downloads(ctx, state, 0.0, None)
    assert note == ""
    assert [Path(p).name for p in prepared] == [export_name(0, kind) for kind in EXPORT_KINDS]
    assert files_under(turn_folder) == sorted(export_name(0, kind) for kind in EXPORT_KINDS)
    monkeypatch.setattr(Turn, "export", built_again)  # all five are on disk: a second press builds nothing
    assert turns.prepare_downloads(ctx, state, 0.0, None) == (prepared, "")


def test_export_names_are_the_agents(ctx):
    """The names the UI finds its files under are those `Turn.export` (and REST) give them."""
    turn = ctx.agent.segment_image({"instruction": "all the shapes"}, image=DEMO_IMAGE.read_bytes())
    assert [export_name(turn.index, kind) for kind in EXPORT_KINDS] == \
        [turn.export(kind).name for kind in EXPORT_KINDS]


def test_the_chat_shows_the_stored_image_file_not_a_new_encoding(ctx, monkeypatch):
    """Before: every turn and every page load encoded the stored image as a PNG again."""
    _, state, _, picker = send(ctx, "all the green shapes", DEMO_IMAGE)
    turn = ctx.agent.turn_at(state["session"], 0)
    key = ctx.agent.store.image_key(turn.image)
    assert Path(picker).read_bytes() == ctx.agent.store.image_png(key)  # the stored PNG's own bytes
    Path(picker).unlink()  # swept: the next page load writes it again, from the store's bytes, encoding nothing
    monkeypatch.setattr(Image.Image, "save", lambda *_, **__: pytest.fail("the stored image was encoded again"))
    assert ctx.files.image(state["session"], key).read_bytes() == ctx.agent.store.image_png(key)


def test_a_page_load_draws_nothing_that_is_on_disk_and_redraws_what_was_swept(ctx, monkeypatch):
    """Before: every page load drew every overlay of the session again (and decoded every image)."""
    history, state, _, _ = send(ctx, "all the green shapes", DEMO_IMAGE)
    history, state, _, _ = send(ctx, "now only the biggest", state=state, history=history)
    overlays = sorted(ctx.files.root.rglob("turn*_overlay.png"))
    assert [p.name for p in overlays] == ["turn0_overlay.png", "turn1_overlay.png"]

    def no_drawing(*args, **kwargs):
        raise AssertionError("a page load drew or decoded what is on disk")

    with monkeypatch.context() as patch:
        patch.setattr(ui_files, "overlay_png", no_drawing)
        patch.setattr(ctx.agent.store, "load_image", no_drawing)
        chat, table, _, picker, _, restored_state, note = restore.restore(ctx, state, None)
    assert note == "" and restored_state["turn"] == 1 and table
    assert [m["content"]["path"] for m in chat if isinstance(m["content"], dict)][1:] == [str(p) for p in overlays]

    overlays[0].unlink()  # swept: the next load draws it again
    chat, *_ = restore.restore(ctx, state, None)
    assert overlays[0].exists()


def test_old_ui_files_are_swept_by_age(ctx):
    """Before: ui_files/ was never cleaned."""
    _, state, _, _ = send(ctx, "all the green shapes", DEMO_IMAGE)
    made = time.time()
    assert ctx.files.sweep(now=made + ctx.files.max_age_s / 2) == 0
    assert files_under(ctx.files.root)
    assert ctx.files.sweep(now=made + ctx.files.max_age_s + 120) == 2  # the image and the overlay
    assert not any(ctx.files.root.iterdir())  # the empty folders went too


def test_the_sweep_runs_at_start_and_now_and_then(agent, tmp_path, monkeypatch):
    swept = []
    monkeypatch.setattr(UiFiles, "sweep", lambda self, now=None: swept.append(time.monotonic()) or 0)
    app.build_ui(agent, Settings(demo=True, offline=True, data_dir=tmp_path / "data"))
    deadline = time.monotonic() + 5
    while not swept and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(swept) == 1  # at start
    ui = context(agent, tmp_path / "data")
    restore.restore(ui, {"session": None}, None)
    restore.restore(ui, {"session": None}, None)
    time.sleep(0.2)
    assert len(swept) == 2  # the first page load of this process sweeps; the next within SWEEP_EVERY_S don't


def test_the_ui_runs_as_many_requests_at_once_as_the_agent(agent, tmp_path):
    """Before: default_concurrency_limit=1, one browser's turn at a time whatever SEGCHAT_CONCURRENCY said."""
    demo = app.build_ui(agent, Settings(demo=True, offline=True, concurrency=3, data_dir=tmp_path / "data"))
    assert demo._queue.default_concurrency_limit == 3


# -- 1: an upload is read, not deleted -------------------------------------------------------------------------------
def test_reading_an_upload_leaves_it_for_the_next_visitor(tmp_path):
    """Before: read_uploads deleted what it read, Gradio's one cached copy of the examples' picture included."""
    example = tmp_path / "cached_example.png"
    example.write_bytes(DEMO_IMAGE.read_bytes())
    assert read_uploads([str(example)]) == DEMO_IMAGE.read_bytes()
    assert read_uploads([str(example)]) == DEMO_IMAGE.read_bytes()


def test_uploads_expire_by_age_but_never_the_examples_picture(agent, tmp_path):
    """Uploads are no longer deleted once read (that broke the examples): Gradio's cache expires them by age, and
    keeps the examples' picture."""
    demo = app.build_ui(agent, Settings(demo=True, offline=True, data_dir=tmp_path / "data"))
    assert demo.delete_cache == (app.UPLOAD_SWEEP_S, app.UPLOAD_MAX_AGE_S)
    kept = {Path(path).name for block in demo.blocks.values() for path in getattr(block, "keep_in_cache", ())}
    assert DEMO_IMAGE.name in kept


# -- 7: errors are said ---------------------------------------------------------------------------------------------
def test_forgetting_an_unknown_concept_says_so(ctx):
    """Before: the failed delete was swallowed and the page said nothing."""
    rows, name, note = restore.forget(ctx, "blue widget", {"language": "en"}, None)
    assert "no remembered concept" in note
    _, _, note = restore.forget(ctx, "蓝色零件", {}, None)
    assert "没有记住这个名字的概念" in note


def test_errors_on_page_load_and_in_the_concepts_panel_are_said(agent, ctx, tmp_path):
    """Before: an auth error on page load showed an empty chat, the concept list was silently empty, and a failed
    delete said nothing."""
    locked = context(agent, tmp_path / "data", keys=["secret-key"])
    chat, _, _, _, concepts, _, note = restore.restore(locked, {"session": "0123abcd"}, None)
    assert "needs an API key" in note and chat[-1]["content"] == note
    chat, _, _, _, _, state, note = restore.restore(ctx, {"session": "0123abcd", "language": "zh"}, None)
    assert "找不到这段对话" in note and state["session"] is None  # said once; the next load starts afresh
    _, _, note = restore.forget(locked, "widget", {"language": "zh"}, None)
    assert "需要 API 密钥" in note
    _, note = restore.list_concepts(locked, {"language": "en"}, None)
    assert "needs an API key" in note


# -- 3: the parser's banner, per page load ----------------------------------------------------------------------------
def test_the_banner_says_offline_only_when_no_llm_reads_the_instructions(agent, tmp_path):
    """Before: the banner compared free-text states with literals no backend reported (a local model showed
    'Offline parser'), and was computed once, when the page was built."""
    assert parser_notice(agent.readiness()) == OFFLINE_NOTICE
    local = build_agent(Settings(demo=True, data_dir=tmp_path / "local"), segmenter=agent.segmenter,
                        parser=make_parser(f"local:{tmp_path / 'no-such-model'}", "unused"))
    demo = app.build_ui(local, Settings(demo=True, data_dir=tmp_path / "local"))
    notice = next(c["id"] for c in demo.config["components"] if c["props"].get("elem_id") == "parser-notice")
    banner = next(demo.fns[d["id"]].fn for d in demo.config["dependencies"]
                  if d["targets"][0][1] == "load" and d["outputs"] == [notice])  # the page load's event
    first = banner()["value"]  # the model loads on its first request: an LLM reads the instructions
    assert "Offline parser" not in first and "LLM parser (local at" in first, first
    local.parser.parse("all the red shapes")  # the model cannot load: the offline parser answers from now on
    then = banner()["value"]
    assert "Offline parser" in then and "no-such-model" in then, then


# -- 2: the Video tab without a video ---------------------------------------------------------------------------------
def test_the_video_tab_without_a_video_asks_for_one_in_the_users_language(ctx):
    """Before: "I couldn't read that file as an image"."""
    ctx = UiContext(agent=ctx.agent, files=ctx.files, jobs=object())  # never reached: nothing is submitted
    (status, *_), = list(video.track_video(ctx, None, "把所有红色的图形都找出来", "auto", None))
    assert "请先上传视频" in status and "图片" not in status
    (status, *_), = list(video.track_video(ctx, None, "all the red shapes", "auto", None))
    assert "attach a video" in status and "image" not in status
