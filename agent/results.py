"""Answers as typed objects: the result JSON built in one place, and a turn that draws and exports itself."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from enum import StrEnum

from PIL import Image

from segchat.agent.outputs.cutouts import cutout, cutout_canvas, layered_psd
from segchat.agent.explain import display_label
from segchat.agent.outputs.export import coco_json, mask_png, masks_zip, png_bytes, smoothed
from segchat.agent.outputs.overlay import render_overlay
from segchat.contracts.errors import BadRequestError
from segchat.contracts.results import AgentResult, ImageSize, InstanceOut, RleMask, SegmentationResult
from segchat.segmenter.instances import Instance
from segchat.segmenter.masks import CroppedMask


class ExportKind(StrEnum):
    """The files a turn exports itself as (the REST `format`, the UI's downloads)."""

    OVERLAY = "overlay"  # PNG: the image with the masks, ids and labels drawn on it
    MASKS = "masks"  # ZIP of one mask PNG per instance
    COCO = "coco"  # COCO JSON, RLE masks
    CUTOUTS = "cutouts"  # ZIP of RGBA cut-outs, one per instance and one of them all
    PSD = "psd"  # a layered Photoshop file: the image and one layer per instance


EXPORT_KINDS: tuple[str, ...] = tuple(kind.value for kind in ExportKind)


def instances_out(instances: list[Instance]) -> list[InstanceOut]:
    """The result JSON's instances: id, label, score, the mask's tight box and its RLE (from the crop)."""
    return [InstanceOut(id=inst.id, label=inst.label, score=round(float(inst.score), 4),
                        box=[round(float(v), 1) for v in inst.box], mask=RleMask(**inst.mask.rle()))
            for inst in instances]


def numbered(instances: list[Instance]) -> list[Instance]:
    """Instances without ids (a raw detection) numbered from 1, as every answer counts them."""
    return [inst if inst.id else inst.but(id=number) for number, inst in enumerate(instances, start=1)]


def segmentation_result(instances: list[Instance], size: tuple[int, int],
                        timings_ms: dict[str, float]) -> SegmentationResult:
    height, width = size
    return SegmentationResult(image=ImageSize(width=width, height=height), instances=instances_out(instances),
                              timings_ms={k: round(v, 2) for k, v in timings_ms.items()})


def instances_from_result(result: dict) -> list[Instance]:
    """The instances of a stored result JSON (masks from RLE, as crops)."""
    return [Instance(phrase=item["label"], score=item["score"], mask=CroppedMask.from_rle(item["mask"]),
                     label=item["label"], id=item["id"]) for item in result.get("instances", [])]


@dataclass(frozen=True)
class ExportFile:
    """One download: a file name the server chooses, its media type and its bytes."""

    name: str
    media_type: str
    data: bytes


@dataclass
class Turn:
    """One answered turn of a conversation: the result JSON plus the image, to draw and export it."""

    result: AgentResult
    instances: list[Instance]
    image: Image.Image
    session_id: str
    index: int = 0
    instruction: str = ""
    image_key: str | None = None  # the image's name in the session store, for a face that shows the stored file

    def labels(self) -> dict[int, str]:
        return {item.id: display_label(item.label, self.result.reply_language) for item in self.instances}

    def overlay(self, smoothness: float = 0.0) -> Image.Image:
        return render_overlay(self.image, smoothed(self.instances, smoothness), self.labels())

    def export(self, kind: ExportKind | str, smoothness: float = 0.0) -> ExportFile:
        """One export of this turn (an `ExportKind` or its value; see there). `smoothness` > 0 refines the masks'
        edges first (Gaussian sigma in pixels)."""
        try:
            kind = ExportKind(kind)
        except ValueError:
            raise BadRequestError(f"unknown export {kind!r}; choose one of {', '.join(EXPORT_KINDS)}",
                                  code="unknown_export") from None
        instances = smoothed(self.instances, smoothness)
        stem = f"turn{self.index}"
        if kind is ExportKind.OVERLAY:
            return ExportFile(f"{stem}_overlay.png", "image/png",
                              png_bytes(render_overlay(self.image, instances, self.labels())))
        if kind is ExportKind.MASKS:
            return ExportFile(f"{stem}_masks.zip", "application/zip", masks_zip(instances))
        if kind is ExportKind.COCO:
            document = coco_json(instances, (self.image.height, self.image.width))
            return ExportFile(f"{stem}_coco.json", "application/json",
                              json.dumps(document, ensure_ascii=False).encode("utf-8"))
        if kind is ExportKind.CUTOUTS:
            return ExportFile(f"{stem}_cutouts.zip", "application/zip", self._cutouts_zip(smoothness))
        return ExportFile(f"{stem}_layers.psd", "image/vnd.adobe.photoshop",
                          layered_psd(self.image, self.instances, self.labels(), feather=smoothness))

    def cutouts(self, feather: float = 0.0) -> dict[str, bytes]:
        """`cutout_<id>.png` (RGBA, cropped to each instance's box) and `cutout.png` (all of them, full size)."""
        files = {f"cutout_{item.id}.png": png_bytes(cutout(self.image, item, feather)[0]) for item in self.instances}
        files["cutout.png"] = png_bytes(cutout_canvas(self.image, self.instances, feather))
        return files

    def _cutouts_zip(self, feather: float) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in self.cutouts(feather).items():
                archive.writestr(name, data)
        return buffer.getvalue()

    def write_outputs(self, folder: Path, feather: float = 0.0) -> list[Path]:
        """Into `folder` (the CLI's --out): `overlay.png`, `mask_<id>.png`, the cut-outs (`cutout_<id>.png`,
        `cutout.png`), `layers.psd` and `result.json`."""
        folder.mkdir(parents=True, exist_ok=True)
        written = [folder / "overlay.png"]
        self.overlay().save(written[0])
        for item in self.instances:
            path = folder / f"mask_{item.id}.png"
            mask_png(item.mask.full()).save(path)
            written.append(path)
        for name, data in self.cutouts(feather).items():
            (folder / name).write_bytes(data)
            written.append(folder / name)
        (folder / "layers.psd").write_bytes(layered_psd(self.image, self.instances, self.labels(), feather=feather))
        written.append(folder / "layers.psd")
        result_path = folder / "result.json"
        result_path.write_text(json.dumps(self.result.model_dump(), ensure_ascii=False), encoding="utf-8")
        return [*written, result_path]
