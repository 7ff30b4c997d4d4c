"""The run directory: identity and plan written once, results appended to shards as they complete, read back.

Layout of `DIR`:
    run.json          the run's identity (written last when a run starts: its presence means the run exists)
    plan.json         the plan, made once from the instruction
    inputs.jsonl      the images and their ids, frozen when the run starts
    shards/*.jsonl    one `ImageRecord` per line; each invocation appends to a shard file of its own
    errors.jsonl      the images that could not be read, with the reason (appended live, rewritten by the merge)
    annotations.json  the merged COCO file (and yolo/ for --format yolo)

Crash safety: a record is one `os.write` of one line to an O_APPEND file, then fsync. `kill -9` at any instant
leaves every earlier record whole and at most a torn last line without its newline, which `read_records` drops;
that image counts as not done and the next invocation does it again, in a new shard file, so nothing torn is ever
followed by good data. Duplicates (an image done twice, e.g. a retried Ray task) are resolved by the merge.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

from pydantic import ValidationError

from segchat.datasets.records import ImageItem, ImageRecord, RunIdentity, RunManifest, RunMismatchError
from segchat.contracts.errors import BadRequestError
from segchat.contracts.plan import Plan

OWN_NAMES = frozenset({"run.json", "plan.json", "inputs.jsonl", "shards", "errors.jsonl", "annotations.json",
                       "yolo", "summary.json"})


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that a reader (or a crash) sees the old file or the new one, never half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(3)}.tmp")
    with open(tmp, "wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Make a new or renamed directory entry durable (a power cut could otherwise lose the file itself)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on directories; the data itself was fsync'd
    finally:
        os.close(fd)


class RunDir:
    """One output folder of `segchat annotate`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser().resolve()
        self.run_json = self.path / "run.json"
        self.plan_json = self.path / "plan.json"
        self.inputs_jsonl = self.path / "inputs.jsonl"
        self.shards = self.path / "shards"
        self.errors_jsonl = self.path / "errors.jsonl"
        self.annotations_json = self.path / "annotations.json"
        self.yolo = self.path / "yolo"

    def exists(self) -> bool:
        return self.run_json.is_file()

    def manifest(self) -> RunManifest:
        return RunManifest.model_validate_json(self.run_json.read_bytes())

    def open(self, identity: RunIdentity, items: list[ImageItem], make_plan: Callable[[], Plan], *,
             input_text: str, input_root: Path, version: str = "") -> tuple[Plan, bool]:
        """The run's plan, and whether this is a resume. A new run writes plan.json, inputs.jsonl and run.json (in
        that order); an existing one must have the same identity, else `RunMismatchError` says what differs."""
        if self.exists():
            stored = self.manifest()
            differences = stored.identity.differences(identity)
            if differences:
                raise RunMismatchError(
                    f"{self.path} holds a different annotate run, so it cannot be resumed with these settings ("
                    + "; ".join(differences) + "). Give another --out folder, or delete this one to start over.")
            return Plan.model_validate_json(self.plan_json.read_bytes()), True
        if self.path.exists() and not self.path.is_dir():
            raise BadRequestError(f"--out {self.path} is a file, not a folder", code="bad_output")
        if self.path.is_dir():
            foreign = sorted(p.name for p in self.path.iterdir()
                             if p.name not in OWN_NAMES and not p.name.startswith("."))
            if foreign:
                shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
                raise BadRequestError(f"--out {self.path} is not empty and holds no annotate run ({shown}); give an "
                                      "empty or new folder", code="bad_output")
        plan = make_plan()
        self.path.mkdir(parents=True, exist_ok=True)
        self.shards.mkdir(exist_ok=True)
        write_atomically(self.plan_json, plan.model_dump_json(indent=2).encode("utf-8"))
        write_atomically(self.inputs_jsonl, "".join(item.model_dump_json() + "\n" for item in items).encode("utf-8"))
        manifest = RunManifest(identity=identity, created_at=datetime.now(timezone.utc), input=input_text,
                               input_root=str(input_root), segchat_version=version)
        write_atomically(self.run_json, manifest.model_dump_json(indent=2).encode("utf-8"))
        return plan, False

    def items(self) -> list[ImageItem]:
        """The images frozen when the run started."""
        return [ImageItem.model_validate_json(line) for line in self.inputs_jsonl.read_text("utf-8").splitlines()
                if line.strip()]

    def read_records(self) -> Iterator[ImageRecord]:
        """Every whole record in the shards, shard by shard in name order (names begin with a timestamp), line by
        line. A torn last line (no newline: the writer was killed mid-write) or an unreadable one is skipped."""
        if not self.shards.is_dir():
            return
        for shard in sorted(self.shards.glob("*.jsonl")):
            data = shard.read_bytes()
            for line in data.split(b"\n")[:-1]:  # the piece after the last newline is empty or torn
                if not line.strip():
                    continue
                try:
                    yield ImageRecord.model_validate_json(line)
                except ValidationError:
                    continue

    def final_records(self) -> dict[int, ImageRecord]:
        """One record per image: a success wins over failures; among equals, the latest written wins (a retry of
        a once-failed image, or the same image done twice, which gives the same result)."""
        best: dict[int, ImageRecord] = {}
        for record in self.read_records():
            current = best.get(record.image_id)
            if current is None or record.status == "ok" or current.status == "error":
                best[record.image_id] = record
        return best

    def done_ids(self) -> set[int]:
        """Images that need no more work. Failed images are tried again by the next invocation: a file that was
        still being copied, or was fixed after the error, then gets its annotations."""
        return {image_id for image_id, record in self.final_records().items() if record.status == "ok"}

    def shard_writer(self, *, fsync: bool = True) -> ShardWriter:
        return ShardWriter(self, fsync=fsync)


class ShardWriter:
    """Appends records to a shard file of its own (one per invocation), durably, one line per record."""

    def __init__(self, run: RunDir, *, fsync: bool = True) -> None:
        run.shards.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        self.path = run.shards / f"part-{stamp}-{time.time_ns() % 10**9:09d}-{os.getpid()}.jsonl"
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        fsync_dir(run.shards)
        self._errors = run.errors_jsonl
        self._fsync = fsync
        self.written = 0

    def write(self, record: ImageRecord) -> None:
        data = (record.model_dump_json() + "\n").encode("utf-8")
        view = memoryview(data)
        while view:  # one write for a line this size in practice; the loop covers a short write
            view = view[os.write(self._fd, view):]
        if self._fsync:
            os.fsync(self._fd)
        self.written += 1
        if record.status == "error" and record.error is not None:
            # live view for a user watching the run; the merge rewrites the file from the shards
            with open(self._errors, "a", encoding="utf-8") as stream:
                stream.write(json.dumps(error_line(record), ensure_ascii=False) + "\n")

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> ShardWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def error_line(record: ImageRecord) -> dict[str, object]:
    """One line of errors.jsonl."""
    assert record.error is not None
    return {"image_id": record.image_id, "file_name": record.file_name, "code": record.error.code,
            "reason": record.error.message}
