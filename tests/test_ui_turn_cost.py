"""What a chat turn costs the server besides the agent, without a browser: its values converted by the components
in the turn's own thread (not one thread hop each), read back as the browser reads them; and no summary of past
events rebuilt after each one."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from gradio import utils as gradio_utils
from gradio.state_holder import SessionState

from examples.render_demo import IMAGE as DEMO_IMAGE
from segchat.agent import build_agent
from segchat.contracts.settings import Settings
from segchat.ui import app


@pytest.fixture
def demo(demo_segmenter, tmp_path):
    agent = build_agent(Settings(demo=True, offline=True, data_dir=tmp_path / "data"), segmenter=demo_segmenter)
    return app.build_ui(agent, Settings(demo=True, offline=True, data_dir=tmp_path / "data"))


def submit_event(demo):
    """The chat box's submit event (the turn)."""
    prompt = next(c["id"] for c in demo.config["components"] if c["props"].get("elem_id") == "prompt")
    return next(fn for fn in demo.fns.values() if any(t[0] == prompt and t[1] == "submit" for t in fn.targets))


def uploaded(name: str) -> dict:
    """The demo picture as the browser sends it after uploading it: a file in Gradio's upload folder."""
    folder = Path(gradio_utils.get_upload_folder()) / "test_ui_turn_cost"
    folder.mkdir(parents=True, exist_ok=True)
    path = shutil.copy(DEMO_IMAGE, folder / name)
    return {"path": str(path), "orig_name": name, "meta": {"_type": "gradio.FileData"}}


def run(demo, event, inputs: list, state: SessionState) -> list:
    """The event through Gradio's own processing (`process_api`, as the queue calls it)."""
    return asyncio.run(demo.process_api(event, inputs, state=state))["data"]


def file_urls(message: dict) -> list[str]:
    return [part["file"]["url"] for part in message["content"] if part.get("type") == "file"]


def test_a_turn_is_converted_in_its_own_thread_and_read_back_as_the_browser_reads_it(demo):
    """Before: Gradio pre- and post-processed the turn's 6 inputs and 7 outputs in a worker thread each (13 hops
    of 0.1-0.9 ms). Now the components' own conversions run in the turn's thread; the browser must still get its
    own formats, and send the chat back as the next turn's input."""
    event = submit_event(demo)
    assert event.preprocess is False and event.postprocess is False
    state = SessionState(demo)
    box, chat, browser_state, table, downloads, picker, note = run(
        demo, event, [{"text": "all the green shapes", "files": [uploaded("shapes.png")]}, [], None, 0.3, 0.0, False],
        state)
    assert box == {"text": "", "files": []} and note == ""
    assert [m["role"] for m in chat] == ["user", "user", "assistant", "assistant"]
    assert file_urls(chat[0])[0].endswith(".png")  # the picture, then what was said about it
    assert chat[1]["content"] == [{"type": "text", "text": "all the green shapes"}]
    assert file_urls(chat[2])[0].endswith("/turn0/turn0_overlay.png")
    assert "green" in chat[3]["content"][0]["text"]
    assert table["headers"] == ["#", "label", "score", "area"] and table["data"]
    assert [Path(f["path"]).name for f in downloads] == ["turn0_overlay.png"] and downloads[0]["url"]
    assert picker["url"] and browser_state["session"] and browser_state["turn"] == 0
    # the next turn, as the browser sends it: the chat as it came back, no file, the same session
    _, chat, browser_state, _, downloads, _, _ = run(
        demo, event, [{"text": "only the biggest one", "files": []}, chat, browser_state, 0.3, 0.0, False], state)
    assert len(chat) == 7 and chat[4]["content"] == [{"type": "text", "text": "only the biggest one"}]
    assert file_urls(chat[5])[0].endswith("/turn1/turn1_overlay.png")
    assert browser_state["turn"] == 1 and [Path(f["path"]).name for f in downloads] == ["turn1_overlay.png"]


def test_a_failed_turn_leaves_the_table_downloads_and_picker_alone(demo):
    event = submit_event(demo)
    _, chat, _, table, downloads, picker, _ = run(
        demo, event, [{"text": "all the green shapes", "files": []}, [], None, 0.3, 0.0, False], SessionState(demo))
    assert "attach an image" in chat[-1]["content"][0]["text"]
    assert table == downloads == picker == {"__type__": "update"}  # gr.skip(), applied by Gradio itself


def test_the_queue_rebuilds_no_summary_of_past_events_after_each_event(demo):
    """Before: after every event Gradio's queue built a pandas table of its last 10,000 events and their timing
    percentiles (~6 ms after each turn with a hundred behind it, more as they pile up), for a monitoring page this
    server does not serve."""
    queue = demo._queue
    queue.events_recorded = queue.event_count_at_last_cache + 3  # three events since the last summary
    record = {"time": 0.0, "status": "success", "process_time": 0.07, "function": "respond", "session_hash": "x"}
    assert queue.compute_analytics_summary([record] * 3) == {"functions": {}}  # the empty one made at start
