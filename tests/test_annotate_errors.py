"""Bad images do not stop a run: a truncated JPEG, a text file named .png and a 60-megapixel image each land in
errors.jsonl with their reason, the good images are labelled, and the exit status is 1."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
from PIL import Image

from click.testing import CliRunner

from segchat.faces.cli import main as cli


def main(args: list[str]) -> tuple[int, str]:
    """`segchat annotate ARGS` in this process: (exit code, stderr)."""
    result = CliRunner().invoke(cli, ["annotate", *args])
    return result.exit_code, result.stderr
from segchat.lab.dataset import write_dataset


def _bad_images(folder: Path) -> None:
    buffer = io.BytesIO()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)).save(buffer, "JPEG", quality=90)
    (folder / "truncated.jpg").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    (folder / "notes.png").write_text("this is a text file with an image's name\n")
    # 60 megapixels, over the default limit of 40: refused from the header, before a pixel is decoded
    Image.new("RGB", (10_000, 6_000), (250, 250, 250)).save(folder / "huge.png", compress_level=1)


def test_bad_images_are_reported_and_the_run_finishes_with_status_1(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_dataset(data, 2, seed=5)
    _bad_images(data / "images")
    out = tmp_path / "run"
    status, printed = main([str(data / "images"), "all the red shapes and the blue shapes", "--out", str(out),
                            "--demo", "--offline", "--threads", "1"])
    assert status == 1
    errors = {row["file_name"]: row for row in map(json.loads, (out / "errors.jsonl").read_text().splitlines())}
    assert set(errors) == {"truncated.jpg", "notes.png", "huge.png"}
    assert errors["truncated.jpg"]["code"] == "unreadable_image" and "truncated" in errors["truncated.jpg"]["reason"]
    assert errors["notes.png"]["code"] == "unreadable_image" and "not an image" in errors["notes.png"]["reason"]
    assert errors["huge.png"]["code"] == "image_too_large" and "60000000 pixels" in errors["huge.png"]["reason"]
    coco = json.loads((out / "annotations.json").read_text())
    assert sorted(im["file_name"] for im in coco["images"]) == ["000000.png", "000001.png"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["failed"] == 3 and summary["annotated"] == 2
    assert "failed            3 (reasons in" in printed

    # the same command again retries only the failed images (a file may have been fixed meanwhile)
    (data / "images" / "notes.png").unlink()
    Image.new("RGB", (64, 48), (10, 10, 200)).save(data / "images" / "notes.png")
    assert main([str(data / "images"), "all the red shapes and the blue shapes", "--out", str(out), "--demo",
                 "--offline", "--threads", "1", "--no-progress"])[0] == 1
    errors = [json.loads(line)["file_name"] for line in (out / "errors.jsonl").read_text().splitlines()]
    assert errors == ["huge.png", "truncated.jpg"]  # in image-id order; notes.png is an image now
    assert len(json.loads((out / "annotations.json").read_text())["images"]) == 3
