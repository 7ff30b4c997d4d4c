"""What a chat turn costs over a REST turn: the same fresh images and instruction through `POST /v1/segment` and
through the UI's own event (Gradio's queue, driven with gradio_client), on one `serve.py --demo --offline`.

    .venv/bin/python -m bench.ui_vs_rest [--images 10] [--instruction "all the green shapes"] [--seed 23] [--rounds 4]

Cold: every turn of both faces encodes its image. The server runs with SEGCHAT_EMBEDDING_CACHE_BYTES=0, and the
segmenter still keeps the last few embeddings it made (RECENT_UNCACHED); so the two faces take turns, each on its
own image, half the set apart (REST on image k while the UI has image k+5, then the reverse), and more images pass
between two sends of one image than it keeps. Turn by turn, both faces meet the same drift of the host's speed (it
drifts over seconds: a round of one face, then a round of the other, once put REST's median anywhere from 152 to
193 ms between runs). Four rounds by default, REST first and UI first in turn: each face answers each image four
times, 40 samples a face.
REST's own `timings_ms.embed` of every turn is kept as the proof that it was cold. One unmeasured turn each on
another image comes first. A UI turn counts from gradio_client's upload of the image to its final message (the
overlay file written); a REST turn from the multipart request to its JSON.

The chat's events are private (programs use REST or MCP): gradio_client refuses a private event by name or index,
so this bench, and only its own client, marks the chat's submit event callable (`Endpoint.is_valid`), found by its
trigger (the `prompt` box's submit). The server serves the page exactly as it does for a browser. Two artefacts of
gradio_client are removed, since no browser has them: it waits 50 ms between looks at its message queue (a browser
reads the event stream as it comes; here the wait ends when its reader thread appends a message: polling every
millisecond, as this bench once did, took enough CPU from the server's two cores to make the model itself ~10 %
slower on the UI's turns than on REST's), and it makes a new HTTP client for every
request, each loading the CA bundle (~50 ms on a busy machine) for a plain-HTTP loopback URL that no certificate
protects (`ssl_verify=False` skips the load; each request still opens its own connection, REST's client keeps one
open: a few ms the UI pays here and a browser would not).

The result also splits each turn into the agent's own time (`timings_ms.total`, read back over REST for the UI's
sessions) and what the face adds around it, and gives the floor of each face: `GET /healthz`, and an empty UI event.

Writes bench/results/ui_vs_rest.{json,md}.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
import types
from pathlib import Path

import httpx
import numpy as np

from bench.server_process import REPO, ServerProcess

RESULTS = REPO / "bench" / "results"


def render_images(folder: Path, count: int, seed: int) -> list[Path]:
    """`count` fresh shapes-world images (and one more to warm up with), PNG."""
    from segchat.lab.render import render_scene

    rng = np.random.default_rng(seed)
    paths = []
    for index in range(count + 1):
        path = folder / f"image_{index:02d}.png"
        render_scene(rng, size=(360, 480), n_objects=int(rng.integers(3, 8))).image.save(path)
        paths.append(path)
    return paths


class SignallingDeque(collections.deque):
    """gradio_client's queue of one event's messages, which says when a message has come (its reader thread
    appends to it) so that the wait for the next one needs no polling."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.arrived = threading.Event()

    def append(self, item) -> None:
        super().append(item)
        self.arrived.set()


def browser_like_gradio_client() -> None:
    """gradio_client sleeps 50 ms whenever its message queue is empty: here it waits for the next message instead,
    as a browser's event stream does (see the module's docstring)."""
    import gradio_client.client as client_module
    import gradio_client.utils as client_utils

    client_module.deque = SignallingDeque

    def sleep(seconds: float) -> None:
        # only the wait for the next message: it wakes when the reader thread appends one (the loop then looks at
        # the queue again, so a wake-up cleared late costs nothing); any other sleep is left as it is
        caller = sys._getframe(1)
        pending = caller.f_locals.get("pending_messages") if caller.f_code.co_name == "stream_sse_v1plus" else None
        if isinstance(pending, SignallingDeque):
            pending.arrived.wait(seconds)
            pending.arrived.clear()
        else:
            time.sleep(seconds)

    clock = types.SimpleNamespace(**{name: getattr(time, name) for name in dir(time) if not name.startswith("_")})
    clock.sleep = sleep
    client_utils.time = clock


def chat_client(url: str):
    """A gradio_client on the page, and the index of the chat's submit event (made callable for this client)."""
    from gradio_client import Client

    # plain HTTP on loopback: no certificate to check, and without this each of its per-request HTTP clients
    # would load the CA bundle (~50 ms on a busy machine)
    client = Client(url + "/", verbose=False, download_files=False, ssl_verify=False)
    components = {c["id"]: c for c in client.config["components"]}
    fn_index = next(d["id"] for d in client.config["dependencies"]
                    if any(event == "submit" and components[target]["props"].get("elem_id") == "prompt"
                           for target, event in d["targets"]))
    client.endpoints[fn_index].is_valid = True
    return client, fn_index


def fixed_costs(http: httpx.Client, url: str, client, reps: int = 10) -> dict:
    """What each face costs when the server does nothing: `GET /healthz`, and the UI's box-clearing button through
    the same queue and client (the floor under any UI event)."""
    components = {c["id"]: c for c in client.config["components"]}
    clear = next(d["id"] for d in client.config["dependencies"] if d.get("backend_fn") and any(
        "Clear the box" in str(components[target]["props"].get("value")) for target, _ in d["targets"]))
    client.endpoints[clear].is_valid = True
    rest, ui = [], []
    for _ in range(reps):
        start = time.perf_counter()
        http.get(url + "/healthz").raise_for_status()
        rest.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        client.submit({"session": None}, fn_index=clear).result()
        ui.append((time.perf_counter() - start) * 1000)
    return {"rest_healthz_ms": round(statistics.median(rest), 1), "ui_empty_event_ms": round(statistics.median(ui), 1)}


def rest_turn(http: httpx.Client, url: str, image: Path, instruction: str) -> tuple[float, str, dict[str, float]]:
    """(ms, the explanation, the agent's own stage times: `embed` > 0 says the turn was cold)."""
    start = time.perf_counter()
    response = http.post(url + "/v1/segment", files={"image": (image.name, image.read_bytes(), "image/png")},
                         data={"instruction": instruction})
    elapsed = (time.perf_counter() - start) * 1000
    response.raise_for_status()
    answer = response.json()
    return elapsed, answer["explanation"], {stage: float(ms) for stage, ms in answer["timings_ms"].items()}


def ui_turn(client, fn_index: int, image: Path, instruction: str, threshold: float) -> tuple[float, str, bool, str]:
    """(ms, the explanation, whether an overlay file came back, the session id)."""
    from gradio_client import handle_file

    start = time.perf_counter()
    outputs = client.submit({"text": instruction, "files": [handle_file(str(image))]}, [], {"session": None},
                            threshold, 0.0, False, fn_index=fn_index).result()
    elapsed = (time.perf_counter() - start) * 1000
    history, downloads = outputs[1], outputs[4]
    texts = [part["text"] for message in history if message["role"] == "assistant"
             for part in message["content"] if part.get("type") == "text"]
    overlay = bool(downloads) and str(downloads[0].get("path", downloads[0])).endswith("_overlay.png")
    return elapsed, texts[-1] if texts else "", overlay, str((outputs[2] or {}).get("session"))


def agent_timings(http: httpx.Client, url: str, session: str) -> dict[str, float]:
    """The agent's own stage times for a session's one turn (its `timings_ms`), read back over REST."""
    turns = http.get(f"{url}/v1/sessions/{session}").json()["turns"]
    return {stage: float(ms) for stage, ms in turns[-1]["result"]["timings_ms"].items()}


def measure(url: str, images: list[Path], instruction: str, rounds: int) -> tuple[list[dict], dict]:
    http = httpx.Client(timeout=120)
    threshold = float(http.get(url + "/readyz").json().get("threshold", 0.3))
    client, fn_index = chat_client(url)
    rest_turn(http, url, images[0], instruction)  # first calls: lazy imports, fonts, thread pools
    ui_turn(client, fn_index, images[0], instruction, threshold)
    floor = fixed_costs(http, url, client)
    rows = []
    measured = images[1:]
    for round_number in range(rounds):
        faces = ("rest", "ui") if round_number % 2 == 0 else ("ui", "rest")
        for step, image in enumerate(measured):
            # the two faces turn by turn, each on its own image: the host's speed drifts over seconds, and both
            # faces meet the same drift; one image's two sends are half the set apart, farther than the segmenter
            # keeps its recent embeddings (RECENT_UNCACHED), so each stays cold
            other = measured[(step + len(measured) // 2) % len(measured)]
            for face, picture in zip(faces, (image, other)):
                rows.append(one_turn(http, url, client, fn_index, face, picture, instruction, threshold,
                                     round_number))
    return rows, floor


def one_turn(http: httpx.Client, url: str, client, fn_index: int, face: str, image: Path, instruction: str,
             threshold: float, round_number: int) -> dict:
    row: dict = {"round": round_number, "image": image.name, "face": face}
    if face == "rest":
        row["ms"], row["explanation"], timings = rest_turn(http, url, image, instruction)
    else:
        row["ms"], row["explanation"], row["overlay"], session = ui_turn(client, fn_index, image, instruction,
                                                                         threshold)
        timings = agent_timings(http, url, session)
    row["agent_ms"], row["embed_ms"] = timings["total"], timings.get("embed", 0.0)
    row["stages_ms"] = timings
    return row


def summary(rows: list[dict], floor: dict, args: argparse.Namespace, load: float) -> dict:
    rest = [r for r in rows if r["face"] == "rest"]
    ui = [r for r in rows if r["face"] == "ui"]
    rest_ms = statistics.median(r["ms"] for r in rest)
    ui_ms = statistics.median(r["ms"] for r in ui)
    # what each face adds to the agent's own time (parse, encode, segment, rules, store), turn by turn
    rest_face = statistics.median(r["ms"] - r["agent_ms"] for r in rest)
    ui_face = statistics.median(r["ms"] - r["agent_ms"] for r in ui)
    answers = {(r["round"], r["image"]): r["explanation"] for r in rest}
    return {"images": args.images, "turns_per_face": len(rest), "instruction": args.instruction, "seed": args.seed,
            "rest_median_ms": round(rest_ms, 1), "ui_median_ms": round(ui_ms, 1), "ratio": round(ui_ms / rest_ms, 3),
            "rest_embed_ms_min": round(min(r["embed_ms"] for r in rest), 1),
            "rest_agent_median_ms": round(statistics.median(r["agent_ms"] for r in rest), 1),
            "ui_agent_median_ms": round(statistics.median(r["agent_ms"] for r in ui), 1),
            "rest_face_median_ms": round(rest_face, 1), "ui_face_median_ms": round(ui_face, 1),
            "same_answers": all(answers[(r["round"], r["image"])] == r["explanation"] for r in ui),
            "every_ui_turn_wrote_its_overlay": all(r["overlay"] for r in ui), **floor,
            "stages_median_ms": stage_medians(rest, ui),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, load average at start {load:.1f}",
            "rows": [{k: (round(v, 1) if isinstance(v, float) else v) for k, v in r.items()
                      if k not in ("explanation", "stages_ms")} for r in rows]}


def stage_medians(rest: list[dict], ui: list[dict]) -> dict[str, dict[str, float]]:
    """Each stage of the agent's own time (parse, embed, decode, ...), median per face: where a face's agent time
    differs, which stage it is."""
    stages = sorted({stage for r in rest + ui for stage in r["stages_ms"]})
    return {stage: {face: round(statistics.median(r["stages_ms"].get(stage, 0.0) for r in rows), 1)
                    for face, rows in (("rest", rest), ("ui", ui))} for stage in stages}


def markdown(result: dict, command: str) -> str:
    per_image: dict[tuple[int, str], dict] = {}
    for row in result["rows"]:
        per_image.setdefault((row["round"], row["image"]), {})[row["face"]] = row["ms"]
    lines = ["# A chat turn against a REST turn", "",
             f"- machine: {result['machine']}", f"- command: `{command}`",
             f"- {result['images']} fresh shapes-world images (480x360), instruction “{result['instruction']}”, "
             "`serve.py --demo --offline`, every turn cold (embedding cache off, the faces turn by turn on images half "
             "the set apart, more between two sends of one than the segmenter keeps; REST's fastest encode: "
             f"{result['rest_embed_ms_min']} ms); {result['turns_per_face']} turns a face", "",
             "| face | median ms |", "| --- | --- |",
             f"| REST `POST /v1/segment` (multipart) | {result['rest_median_ms']} |",
             f"| UI turn (upload + Gradio queue, gradio_client) | {result['ui_median_ms']} |",
             f"| **ratio UI / REST** | **{result['ratio']}** |", "",
             "Of which the agent itself (its `timings_ms.total`, the same work on both faces) and what the face "
             "adds around it (medians of each turn's difference):", "",
             "| face | agent ms | face ms |", "| --- | --- | --- |",
             f"| REST | {result['rest_agent_median_ms']} | {result['rest_face_median_ms']} |",
             f"| UI | {result['ui_agent_median_ms']} | {result['ui_face_median_ms']} |", "",
             "The agent's own time by stage (medians, ms):", "", "| stage | REST | UI |", "| --- | --- | --- |",
             *[f"| {stage} | {faces['rest']} | {faces['ui']} |" for stage, faces in result["stages_median_ms"].items()],
             "",
             f"Same answer on both faces for every image: {result['same_answers']}; every UI turn wrote its overlay: "
             f"{result['every_ui_turn_wrote_its_overlay']}.", "",
             f"The floor under each face, the server doing nothing: `GET /healthz` {result['rest_healthz_ms']} ms; "
             "an empty UI event (the box-clearing button) through the same queue and client "
             f"{result['ui_empty_event_ms']} ms.", "",
             "| round | image | REST ms | UI ms |", "| --- | --- | --- | --- |"]
    lines += [f"| {key[0]} ({'REST' if key[0] % 2 == 0 else 'UI'} first) | {key[1]} | {faces.get('rest')} | "
              f"{faces.get('ui')} |" for key, faces in per_image.items()]
    lines += ["", "How the UI is driven: the chat's events stay private; only this bench's gradio_client marks the "
              "chat's submit event callable; it waits for its next message as a browser's event stream does, not by "
              "polling every 50 ms, and its per-request "
              "HTTP clients skip loading a CA bundle that plain HTTP never uses (see `bench/ui_vs_rest.py`)."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # at least 4: one image's two sends, half the set apart, must have more images between them than
    # RECENT_UNCACHED (2)
    parser.add_argument("--images", type=int, default=10, choices=range(4, 101), metavar="4..100")
    parser.add_argument("--instruction", default="all the green shapes")
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--rounds", type=int, default=4, help="each: every image through both faces, turn by turn")
    parser.add_argument("--name", default="ui_vs_rest", help="<out>/<name>.json and .md")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    browser_like_gradio_client()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="segchat-ui-bench-") as folder:
        images = render_images(Path(folder), args.images, args.seed)
        with ServerProcess("--demo", "--offline", env={"SEGCHAT_EMBEDDING_CACHE_BYTES": "0"},
                           data_dir=Path(folder) / "data") as server:
            rows, floor = measure(server.url, images, args.instruction, args.rounds)
    result = summary(rows, floor, args, load)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    command = (f"python -m bench.ui_vs_rest --images {args.images} --instruction '{args.instruction}' "
               f"--seed {args.seed} --rounds {args.rounds}")
    (args.out / f"{args.name}.md").write_text(markdown(result, command), encoding="utf-8")
    print(markdown(result, command))


if __name__ == "__main__":
    main()
