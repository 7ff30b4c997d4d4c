"""Shards -> `annotations.json` (COCO) and `errors.jsonl`: the one merge, whatever backend made the shards.

The output depends only on the final record of each image, never on the order in which images completed: images
in id order, annotations numbered in that order, so an interrupted-and-resumed run, a local run and a Ray run
write the same file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from segchat.datasets.records import ImageItem, ImageRecord
from segchat.datasets.run import RunDir, error_line, write_atomically
from segchat.contracts.plan import Plan


@dataclass
class MergeResult:
    coco: dict[str, Any]
    images: int  # in the plan's input
    annotated: int  # read and labelled
    failed: list[ImageRecord] = field(default_factory=list)
    missing: list[ImageItem] = field(default_factory=list)  # not done yet (an interrupted run, merged early)
    empty: int = 0  # annotated, with no instance
    per_category: dict[str, int] = field(default_factory=dict)


def coco_categories(categories: list[str]) -> list[dict[str, Any]]:
    return [{"id": number, "name": name, "supercategory": "object"} for number, name in enumerate(categories, 1)]


def build_coco(items: list[ImageItem], records: dict[int, ImageRecord], categories: list[str],
               info: dict[str, Any]) -> MergeResult:
    """The COCO document of the annotated images (failed and missing ones are left out and reported)."""
    category_id = {name: number for number, name in enumerate(categories, 1)}
    images, annotations = [], []
    result = MergeResult(coco={}, images=len(items), annotated=0, per_category={name: 0 for name in categories})
    for item in items:
        record = records.get(item.id)
        if record is None:
            result.missing.append(item)
            continue
        if record.status != "ok":
            result.failed.append(record)
            continue
        result.annotated += 1
        images.append({"id": item.id, "file_name": item.file_name, "width": record.width, "height": record.height})
        if not record.annotations:
            result.empty += 1
        for ann in record.annotations:
            if ann.category not in category_id:  # a label the plan does not name would be a bug upstream
                raise ValueError(f"image {item.file_name}: instance labelled {ann.category!r}, not a category")
            result.per_category[ann.category] += 1
            annotations.append({
                "id": len(annotations) + 1,
                "image_id": item.id,
                "category_id": category_id[ann.category],
                "segmentation": ann.segmentation.model_dump(),
                "area": ann.area,
                "bbox": ann.bbox,
                "iscrowd": 0,
                "score": ann.score,
            })
    result.coco = {"info": info, "licenses": [], "images": images, "annotations": annotations,
                   "categories": coco_categories(categories)}
    return result


def run_info(plan: Plan, run: RunDir) -> dict[str, Any]:
    """COCO `info`: what made these labels. No timestamps: they would make two runs' files differ."""
    identity = run.manifest().identity
    return {"description": "segchat annotate", "instruction": identity.instruction, "phrases": identity.phrases,
            "model": identity.model, "threshold": identity.threshold, "mask_threshold": identity.mask_threshold,
            "plan": plan.model_dump(mode="json")}


def merge_run(run: RunDir, plan: Plan, categories: list[str]) -> MergeResult:
    """Write `annotations.json` and `errors.jsonl` from the shards (atomically: a crash here loses nothing)."""
    items = run.items()
    result = build_coco(items, run.final_records(), categories, run_info(plan, run))
    write_atomically(run.annotations_json, json.dumps(result.coco, ensure_ascii=False).encode("utf-8"))
    lines = "".join(json.dumps(error_line(r), ensure_ascii=False) + "\n" for r in result.failed)
    write_atomically(run.errors_jsonl, lines.encode("utf-8"))
    return result
