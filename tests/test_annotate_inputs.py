"""The dataset loop without a model: input resolution, the run folder's identity check, shards that survive a torn
write, and a merge that does not depend on completion order. The labeller here is a test double
(`fake_label_image`), named as one: it returns a fixed square per image."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from segchat.datasets.annotate import AnnotateRequest, AnnotateRun, annotate
from segchat.datasets.backends import InProcessBackend
from segchat.datasets.inputs import resolve_inputs
from segchat.datasets.merge import build_coco
from segchat.datasets.records import DatasetInputError, RunMismatchError
from segchat.datasets.run import RunDir
from segchat.segmenter.instances import Instance
from segchat.segmenter.masks import CroppedMask


def _png(path: Path, size=(40, 30), colour=(200, 10, 10)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)
    return path


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "photos"
    _png(root / "b.png")
    _png(root / "a.png")
    _png(root / "sub" / "c.jpg")
    _png(root / "sub" / "deeper" / "d.PNG")
    (root / "notes.txt").write_text("not an image")
    (root / "sub" / "labels.json").write_text("{}")
    (root / ".DS_Store").write_bytes(b"\0")
    _png(root / ".cache" / "thumb.png")  # inside a hidden folder: not part of the dataset
    return root


def fake_label_image(image) -> list[Instance]:
    """Test double for the SAM3 labeller: one 'red shape' square in the image's top-left corner."""
    crop = np.ones((5, 6), dtype=bool)
    return [Instance(phrase="red shape", score=0.9, mask=CroppedMask(crop, 2, 3, (image.height, image.width)))]


def test_folder_is_recursive_sorted_and_counts_what_it_skips(folder: Path) -> None:
    resolved = resolve_inputs(folder)
    assert [i.file_name for i in resolved.items] == ["a.png", "b.png", "sub/c.jpg", "sub/deeper/d.PNG"]
    assert [i.id for i in resolved.items] == [1, 2, 3, 4]
    assert resolved.skipped == 3  # notes.txt, labels.json, .DS_Store
    assert resolve_inputs(folder).digest() == resolved.digest()


def test_glob_and_manifests(folder: Path, tmp_path: Path) -> None:
    by_glob = resolve_inputs(str(folder / "**" / "*.png"))
    assert [i.file_name for i in by_glob.items] == ["a.png", "b.png"]  # case-sensitive glob; d.PNG does not match
    txt = folder / "list.txt"
    txt.write_text("sub/c.jpg\n\n# a comment\nb.png\nsub/c.jpg\n")
    resolved = resolve_inputs(txt)
    assert [i.file_name for i in resolved.items] == ["sub/c.jpg", "b.png"]  # the manifest's order, no repeats
    jsonl = tmp_path / "manifest.jsonl"
    jsonl.write_text(json.dumps({"image": str(folder / "a.png"), "note": "x"}) + "\n"
                     + json.dumps({"image": "photos/sub/deeper/d.PNG"}) + "\n")
    assert [i.file_name for i in resolve_inputs(jsonl).items] == ["photos/a.png", "photos/sub/deeper/d.PNG"]
    jsonl.write_text('{"path": "a.png"}\n')
    with pytest.raises(DatasetInputError, match='no "image"'):
        resolve_inputs(jsonl)


def test_inputs_that_name_no_image(tmp_path: Path) -> None:
    with pytest.raises(DatasetInputError, match="no folder, manifest or image"):
        resolve_inputs(tmp_path / "missing")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("x")
    with pytest.raises(DatasetInputError, match="1 other files skipped"):
        resolve_inputs(tmp_path / "docs")


def _request(folder: Path, out: Path, **changes) -> AnnotateRequest:
    base = dict(input=str(folder), out=str(out), phrases=["red shape"], demo=True, quiet=True)
    return AnnotateRequest(**{**base, **changes})


def test_a_folder_holding_another_run_is_refused_with_what_differs(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    summary = annotate(_request(folder, out), backend=InProcessBackend(label_image=fake_label_image))
    assert summary.exit_code == 0 and summary.annotated == 4
    with pytest.raises(RunMismatchError, match=r"phrases: \['red shape'\] in the folder, \['blue shape'\] now"):
        AnnotateRun.prepare(_request(folder, out, phrases=["blue shape"]))
    with pytest.raises(RunMismatchError, match="threshold: None in the folder, 0.4 now"):
        AnnotateRun.prepare(_request(folder, out, threshold=0.4))
    with pytest.raises(RunMismatchError, match="instruction"):
        AnnotateRun.prepare(_request(folder, out, phrases=None, instruction="all the red shapes", offline=True))
    _png(folder / "e.png")
    with pytest.raises(RunMismatchError, match="images: 4 in the folder, 5 now"):
        AnnotateRun.prepare(_request(folder, out))
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "mine.txt").write_text("keep me")
    with pytest.raises(Exception, match="not empty and holds no annotate run"):
        AnnotateRun.prepare(_request(folder, tmp_path / "other"))


def test_a_torn_last_line_is_dropped_and_that_image_done_again(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    annotate(_request(folder, out), backend=InProcessBackend(label_image=fake_label_image))
    reference = json.loads((out / "annotations.json").read_text())
    (shard,) = sorted((out / "shards").glob("*.jsonl"))
    lines = shard.read_bytes().split(b"\n")
    # what a kill -9 in the middle of the third write leaves: two whole records and half of the third
    shard.write_bytes(b"\n".join(lines[:2]) + b"\n" + lines[2][: len(lines[2]) // 2])
    run = AnnotateRun.prepare(_request(folder, out))
    assert [i.id for i in run.todo()] == [3, 4]
    summary = annotate(_request(folder, out), backend=InProcessBackend(label_image=fake_label_image))
    assert summary.done_before == 2 and summary.done_now == 2
    assert json.loads((out / "annotations.json").read_text()) == reference


def test_the_merge_does_not_depend_on_completion_order(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    annotate(_request(folder, out), backend=InProcessBackend(label_image=fake_label_image))
    run = RunDir(out)
    items, records = run.items(), list(run.final_records().values())
    random.Random(0).shuffle(records)
    shuffled = build_coco(items, {r.image_id: r for r in records}, ["red shape"], info={}).coco
    ordered = build_coco(items, run.final_records(), ["red shape"], info={}).coco
    assert shuffled == ordered
    assert [a["id"] for a in ordered["annotations"]] == [1, 2, 3, 4]
    assert ordered["annotations"][0]["bbox"] == [3.0, 2.0, 6.0, 5.0] and ordered["annotations"][0]["area"] == 30


def test_a_model_that_does_not_load_stops_the_run_with_status_2(folder: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from segchat.faces.cli import main

    empty = tmp_path / "not-a-checkpoint"
    empty.mkdir()
    result = CliRunner().invoke(main, ["annotate", str(folder), "--phrases", "red shape", "--out",
                                       str(tmp_path / "run"), "--model", str(empty)])
    assert result.exit_code == 2
    assert "could not load SAM3 from local folder" in result.stderr


def test_progress_lines_when_stderr_is_not_a_terminal_and_a_bar_when_it_is() -> None:
    import io

    from segchat.datasets.progress import Progress
    from segchat.datasets.records import ImageRecord

    record = ImageRecord(image_id=1, file_name="a.png", status="ok", width=4, height=4)
    plain = io.StringIO()
    progress = Progress(4, already_done=1, stream=plain, interval_s=0.0)
    for _ in range(3):
        progress.update(record)
    progress.close()
    lines = plain.getvalue().splitlines()
    assert lines[-1].startswith("annotate: 4/4 images (100%)") and "0 failed" in lines[-1]

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    progress = Progress(4, stream=terminal)
    progress.update(record)
    progress.close()
    bar = terminal.getvalue()
    assert "annotate:" in bar and "1/4" in bar and "instances=0" in bar, bar
