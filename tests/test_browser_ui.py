"""The chat UI in a real browser: Debian's Chromium driven by pip playwright, against `serve.py --demo --offline`."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest

from segchat.lab.agent_tasks import matches
from examples.render_demo import demo_truth_masks
from segchat.segmenter.rle import rle_to_mask
from bench.server_process import REPO, ClusterProcess, ServerProcess

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
SHOTS = os.environ.get("SEGCHAT_SCREENSHOT_DIR")  # set it to keep the screenshots


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    with ServerProcess("--demo", "--offline", data_dir=tmp_path_factory.mktemp("ui-data")) as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync"])
        yield instance
        instance.close()


def open_page(page, url: str | None = None) -> None:
    """Go to the UI (or reload it) and wait until this page load's own event has answered.

    Not "networkidle": Gradio keeps a queue stream and retries thumbnails, so a page can be ready long before the
    network is quiet (CI once timed out on a reload that had already restored the chat).
    """
    if url is None:
        page.reload(wait_until="load", timeout=90_000)
    else:
        page.goto(url, wait_until="load", timeout=90_000)
    page.wait_for_function("() => document.querySelector('#parser-notice')?.innerText.trim().length > 0",
                           timeout=90_000)


def send(page, text: str, file: Path | None = None) -> None:
    if file is not None:
        page.locator("#prompt input[type=file]").set_input_files(str(file))
        page.wait_for_timeout(500)
    box = page.locator("#prompt textarea")
    box.fill(text)
    box.press("Enter")


# Gradio shows a bot message's image as a separate bubble reading "Loading content" until it has loaded: that is no
# reply (counting it let a test read the chat before the answer came)
PLACEHOLDER = "Loading content"


def bot_texts(page) -> list[str]:
    return [t.strip() for t in page.locator("#chat .bot").all_inner_texts() if t.strip() and t.strip() != PLACEHOLDER]


def wait_for_reply(page, count_before: int, timeout: float = 120_000) -> str:
    page.wait_for_function(
        "([n, skip]) => Array.from(document.querySelectorAll('#chat .bot'))"
        ".filter(e => e.innerText.trim() && e.innerText.trim() !== skip).length > n",
        arg=[count_before, PLACEHOLDER], timeout=timeout)
    page.wait_for_timeout(500)
    return bot_texts(page)[-1]


def download_names(page) -> list[str]:
    """The file names the downloads list shows (each row's name, as the browser would save it)."""
    return page.locator("#downloads a[download]").evaluate_all("els => els.map(e => e.getAttribute('download'))")


def prepare_downloads(page) -> list[str]:
    """Press "Prepare downloads" and wait for the five files of the last answer; their names."""
    page.locator("#prepare-downloads").click()
    page.wait_for_function("() => document.querySelectorAll('#downloads a[download]').length >= 5", timeout=60_000)
    return download_names(page)


def assert_downloaded_masks_are(page, truth_ids: list[int]) -> None:
    """The COCO JSON the page offers for download holds exactly these instances of the demo image's ground truth."""
    prepare_downloads(page)
    links = page.locator("#downloads a").evaluate_all("els => els.map(e => e.href)")
    coco_links = [link for link in links if link.endswith("_coco.json")]
    assert coco_links, links
    answer = page.request.get(coco_links[-1]).json()
    truth = demo_truth_masks()
    expected = [truth[i] for i in truth_ids]
    got = [rle_to_mask(a["segmentation"]) for a in answer["annotations"]]
    assert matches(got, expected), f"{len(got)} masks, expected annotations {truth_ids}"


def test_chinese_turn_followup_reload_restart_and_bad_file(demo_server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    open_page(page, demo_server.url + "/")
    page.wait_for_function("() => document.querySelector('#parser-notice').innerText.includes('Offline parser')",
                           timeout=30_000)  # said at every page load
    assert page.locator("text=Demo model").count() >= 1

    send(page, "把所有红色的圆形都选出来", REPO / "examples" / "shapes_demo.png")
    reply = wait_for_reply(page, 0)
    assert "查找“红色圆形”：找到 2 个" in reply, reply  # both red circles, said in Chinese
    assert page.locator("#chat img").count() >= 1  # the user's image (and the overlay when something was found)
    table = page.locator("#instances").inner_text()
    assert "label" in table
    data_dir = Path(demo_server.args[demo_server.args.index("--data-dir") + 1])
    # nothing kept under the name the browser sent but Gradio's upload, which its cache expires by age
    assert all(p.is_relative_to(data_dir / "uploads") for p in data_dir.rglob("shapes_demo.png"))
    shots = Path(SHOTS) if SHOTS else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "ui_turn1.png"), full_page=True)
    assert_downloaded_masks_are(page, [3, 6])  # both red circles of examples/shapes_demo.json

    before = len(bot_texts(page))
    send(page, "现在只要右边那个")
    followup = wait_for_reply(page, before)
    assert "在上一轮的 2 个结果中" in followup and "保留最右边的 1 个" in followup, followup
    page.screenshot(path=str(shots / "ui_followup.png"), full_page=True)
    assert_downloaded_masks_are(page, [3])  # the one on the right

    open_page(page)
    page.wait_for_function("() => document.querySelectorAll('#chat .bot').length > 0", timeout=60_000)
    assert any("上一轮" in t for t in bot_texts(page))  # the conversation came back from the session store

    demo_server.stop(kill=True)  # the server dies; its replacement finds the conversation in the SQLite store
    demo_server.start()
    open_page(page)
    page.wait_for_function("() => document.querySelectorAll('#chat .bot').length > 1", timeout=60_000)
    restored = bot_texts(page)
    assert any("上一轮" in t for t in restored) and any("红色圆形" in t for t in restored), restored

    bad = tmp_path / "notes.png"
    bad.write_text("this is not an image")
    before = len(bot_texts(page))
    send(page, "把红色的圆形抠出来", bad)
    message = wait_for_reply(page, before)
    assert "无法作为图片读取" in message and "Traceback" not in message
    page.screenshot(path=str(shots / "ui_end.png"), full_page=True)
    page.close()


def test_examples_by_click_and_by_box_and_the_new_downloads(demo_server, browser, tmp_path):
    """Click an instance of the answer and ask for more like it; draw a box on the image as an exemplar; the page
    offers cut-outs and a layered PSD besides the overlay, masks and COCO."""
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    open_page(page, demo_server.url + "/")
    page.locator("text=New conversation").click()
    send(page, "all the red shapes", REPO / "examples" / "shapes_demo.png")
    wait_for_reply(page, 0)
    names = prepare_downloads(page)
    assert any(name.endswith("_cutouts.zip") for name in names) and any(name.endswith("_layers.psd") for name in names)

    # the table's first visible row (Gradio also renders hidden template cells)
    page.locator("#instances >> text=red shape >> visible=true").first.click()
    page.wait_for_function("() => document.querySelector('#selected').innerText.includes('selected')", timeout=30_000)
    chosen = page.locator("#selected").inner_text().split()[0]  # "#N"
    before = len(bot_texts(page))
    page.locator("#more-like").click()
    # the request is shown as the user's words
    page.wait_for_function("t => document.querySelector('#chat').innerText.includes(t)", arg=f"more like {chosen}",
                           timeout=60_000)
    reply = wait_for_reply(page, before)
    assert f"{chosen} as the example" in reply, reply

    picker = page.locator("#picker img")
    picker.wait_for(timeout=30_000)
    bounds = picker.bounding_box()
    # the yellow circle of the demo image is at about (130-190, 250-310) of 480x360
    for x, y in ((120, 240), (200, 320)):
        picker.click(position={"x": x * bounds["width"] / 480, "y": y * bounds["height"] / 360})
        page.wait_for_timeout(700)
    assert "example box" in page.locator("#box-note").inner_text()
    before = len(bot_texts(page))
    send(page, "find things like this")
    reply = wait_for_reply(page, before)
    assert "example box" in reply, reply
    page.close()


def test_the_video_tab_tracks_an_uploaded_video(demo_server, browser, tmp_path):
    """Upload a rendered moving-shapes MP4 in the Video tab, ask in Chinese, follow the progress, and check the
    downloaded result against the renderer's truth."""
    import json

    import numpy as np

    from segchat.lab.agent_video_eval import result_frames
    from segchat.lab.moving import sample_video, write_video
    from segchat.lab.track_eval import score_video
    from segchat.contracts.results import VideoResult
    from segchat.lab.world import COLOUR_ZH

    truth = write_video(sample_video(np.random.default_rng(21), frames=30, n_objects=2), tmp_path / "video",
                        formats=("mp4",))
    colour = truth.objects[0].colour
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    open_page(page, demo_server.url + "/")
    page.locator("#video-tab-button").click()
    page.locator("#video-input input[type=file]").set_input_files(str(tmp_path / "video" / "video.mp4"))
    page.wait_for_timeout(1500)
    page.locator("#video-instruction textarea").fill(f"把所有{COLOUR_ZH[colour]}的图形都找出来")
    page.locator("#track").click()
    page.wait_for_function("() => document.querySelector('#video-status').innerText.includes('跟踪器')",
                           timeout=300_000)
    status = page.locator("#video-status").inner_text()
    assert "帧" in status and "Traceback" not in status, status
    links = page.locator("#video-downloads a").evaluate_all("els => els.map(e => e.href)")
    data = next(link for link in links if link.endswith("result.json"))
    result = VideoResult.model_validate(page.request.get(data).json())
    assert result.video.frames == truth.frames and result.reply_language == "zh"
    phrase = f"{colour} shape"
    scores = score_video(truth, result_frames(result, phrase), {phrase: "colour"})[phrase]
    # the object is found on its frames, through the page; identity over many videos is the trackers' tests' and
    # `segchat eval-track`'s (on this one video the demo model splits the hexagon's track where it passes the star)
    assert scores.deta >= 0.6, scores
    assert page.locator("#video-output video").count() == 1
    shots = Path(SHOTS) if SHOTS else tmp_path
    page.screenshot(path=str(shots / "ui_video.png"), full_page=True)
    page.close()


def test_an_example_answers_from_every_page_load(demo_server, browser):
    """Before: the examples worked once per server. The first send deleted Gradio's one cached copy of the examples'
    picture; a reload, or a second visitor, got "I couldn't read that file as an image"."""
    for visit in range(2):
        reply = send_the_green_example(browser, demo_server.url)  # a new context each time: a new visitor
        assert "green shape" in reply and "couldn't read" not in reply, (visit, reply)


def send_the_green_example(browser, url: str) -> str:
    """Open the UI in a new page, click the example 'all the green shapes', send it; the reply."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    # not "networkidle": a page whose example picture is gone never gets there (the thumbnails are retried)
    page.goto(url + "/", wait_until="load", timeout=90_000)
    page.get_by_text("all the green shapes").first.click(timeout=90_000)
    page.wait_for_function("() => document.querySelector('#prompt textarea').value === 'all the green shapes'",
                           timeout=30_000)
    page.wait_for_timeout(500)
    page.locator("#prompt textarea").press("Enter")
    reply = wait_for_reply(page, 0)
    page.close()
    return reply


def test_the_ui_answers_on_a_ray_cluster_behind_haproxy(browser, tmp_path):
    """`serve.py --ray`: HAProxy takes the port and hands each connection to the ingress replica's own HTTP server;
    the page, its queue's event stream and an answered turn all pass through it."""
    pytest.importorskip("ray.serve")
    with ClusterProcess("--demo", "--offline", "--ray", "--replicas", "1", "--replica-threads", "1", replicas=1,
                        data_dir=tmp_path / "cluster-data") as server:
        from segchat.faces.cluster.haproxy import HAPROXY_BINARY_MARK
        from segchat.faces.cluster.stale import command_of, listener_on

        # HAProxy, not Serve's Python proxy (asked a few times: at a reload its socket passes to the new process)
        for _ in range(20):
            if HAPROXY_BINARY_MARK in command_of(listener_on(server.port)):
                break
            time.sleep(0.25)
        assert HAPROXY_BINARY_MARK in command_of(listener_on(server.port))
        reply = send_the_green_example(browser, server.url)
        assert "green shape" in reply and "couldn't read" not in reply, reply


def test_the_video_tab_without_a_video_asks_for_one(demo_server, browser):
    """Before: "I couldn't read that file as an image. Please send a PNG, JPEG..." (an image error, in English)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    open_page(page, demo_server.url + "/")
    page.locator("#video-tab-button").click()
    page.locator("#video-instruction textarea").fill("把所有红色的图形都找出来")
    page.locator("#track").click()
    # the answer, not Gradio's timer ("0.1s") that the status shows while the event runs
    page.wait_for_function("() => document.querySelector('#video-status').innerText.includes('⚠️')", timeout=60_000)
    status = page.locator("#video-status").inner_text()
    assert "请先上传视频" in status and "图片" not in status, status
    page.close()


def test_downloads_are_named_for_what_they_are_and_their_turn(demo_server, browser):
    """Before: the list showed "5f78c3c3… .png" (files named `<random>_turn0_overlay.png`). Now REST's names, one
    folder per turn; the turn writes its overlay, the rest when asked."""
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    open_page(page, demo_server.url + "/")
    send(page, "all the red shapes", REPO / "examples" / "shapes_demo.png")
    wait_for_reply(page, 0)
    assert download_names(page) == ["turn0_overlay.png"]
    assert prepare_downloads(page) == ["turn0_overlay.png", "turn0_masks.zip", "turn0_coco.json",
                                       "turn0_cutouts.zip", "turn0_layers.psd"]
    first = page.locator("#downloads a[download]").first.get_attribute("href")
    before = len(bot_texts(page))
    send(page, "now only the leftmost")
    wait_for_reply(page, before)
    page.wait_for_function("() => document.querySelector('#downloads a[download]')?.getAttribute('download') "
                           "=== 'turn1_overlay.png'", timeout=30_000)
    second = page.locator("#downloads a[download]").first.get_attribute("href")
    assert first.endswith("/turn0/turn0_overlay.png") and second.endswith("/turn1/turn1_overlay.png")
    assert page.request.get(second).headers["content-type"] == "image/png"
    page.close()


def parser_notice(page) -> str:
    """The parser's banner once this page load has said it (it is empty until the load event answers)."""
    page.wait_for_function("() => document.querySelector('#parser-notice')?.innerText.trim().length > 0",
                           timeout=60_000)
    return page.locator("#parser-notice").inner_text()


def test_a_local_llm_is_no_offline_parser(browser, tmp_path_factory):
    """Before: with `--llm local:DIR` the page said "Offline parser: no LLM is used", and said so for good (the
    banner was made once, when the page was built). Now it is asked at every page load: an LLM parser until the
    local model fails to load on the first request, then the offline parser."""
    missing = tmp_path_factory.mktemp("models") / "no-such-qwen"
    with ServerProcess("--demo", "--llm", f"local:{missing}", data_dir=tmp_path_factory.mktemp("local-llm")) as server:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        open_page(page, server.url + "/")
        notice = parser_notice(page)
        assert "LLM parser" in notice and "Offline parser" not in notice, notice
        send(page, "all the red shapes", REPO / "examples" / "shapes_demo.png")
        wait_for_reply(page, 0)  # the model cannot load: the offline parser answered
        open_page(page)
        notice = parser_notice(page)
        assert "Offline parser" in notice and "no-such-qwen" in notice, notice
        page.close()
