"""Datasets: folders, globs and manifests labelled as COCO and YOLO, resumably, on a local pool or Ray Data.

Above the agent: it needs only the plan, `execute_plan` and the segmenter."""
