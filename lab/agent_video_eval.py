"""The agent on moving-shapes videos: colour requests in English and Chinese ("all the red shapes",
"把所有红色的图形都找出来") through the parser, the tracker and the rules on tracks, scored against the renderer's
truth with TrackEval's IDF1 and HOTA, and whether the right number of objects came back."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from segchat.lab.moving import read_truth
from segchat.lab.track_eval import COUNT_GOAL, IDF1_GOAL, score_video
from segchat.lab.world import COLOUR_ZH
from segchat.segmenter.instances import Instance
from segchat.segmenter.masks import CroppedMask
from segchat.segmenter.trackers.base import TrackedFrame

INSTRUCTIONS = {"en": "all the {c} shapes", "zh": "把所有{C}的图形都找出来"}


class RequestScore(BaseModel):
    video: str
    language: str
    instruction: str
    idf1: float
    hota: float
    true_objects: int
    returned_objects: int
    count_ok: bool


class LanguageSummary(BaseModel):
    language: str
    requests: int
    mean_idf1: float
    mean_hota: float
    count_accuracy: float


class AgentTrackReport(BaseModel):
    tracker: str
    videos: int
    frames: int
    seconds: float
    rows: list[RequestScore]
    languages: list[LanguageSummary]

    def markdown(self) -> str:
        lines = [f"| language | requests | mean IDF1 (goal ≥ {IDF1_GOAL}) | mean HOTA | right number of objects "
                 f"(goal ≥ {COUNT_GOAL:.0%}) |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| {s.language} | {s.requests} | {s.mean_idf1:.3f} | {s.mean_hota:.3f} | {s.count_accuracy:.0%} |"
                  for s in self.languages]
        lines.append(f"\n{self.videos} videos, {self.frames} frames, tracker `{self.tracker}`, "
                     f"{self.frames * max(1, len(self.languages)) / max(self.seconds, 1e-9):.1f} frames/s")
        return "\n".join(lines)


def result_frames(result, phrase: str) -> list[TrackedFrame]:
    """The video result's frames as tracker frames labelled `phrase` (what the truth scorer reads)."""
    return [TrackedFrame(index=f.index, instances=[
        Instance(phrase=phrase, score=i.score, mask=CroppedMask.from_rle(i.mask.model_dump()), id=i.id)
        for i in f.instances]) for f in result.frames]


def evaluate_requests(agent, dataset_dir: str | Path, *, tracker: str = "auto", source: str = "mp4",
                      languages: Sequence[str] = ("en", "zh"), max_videos: int | None = None) -> AgentTrackReport:
    folders = sorted(p for p in Path(dataset_dir).iterdir() if (p / "truth.json").is_file())[:max_videos]
    rows: list[RequestScore] = []
    frames = 0
    start = time.perf_counter()
    chosen = None
    for folder in folders:
        truth = read_truth(folder)
        frames += truth.frames
        video = folder / ("frames" if source == "frames" else "video.mp4")
        for colour in sorted({o.colour for o in truth.objects}):
            for language in languages:
                instruction = INSTRUCTIONS[language].format(c=colour, C=COLOUR_ZH[colour])
                result = agent.track(video, instruction, tracker=tracker)
                chosen = result.tracker
                phrase = f"{colour} shape"
                score = score_video(truth, result_frames(result, phrase), {phrase: "colour"})[phrase]
                rows.append(RequestScore(video=folder.name, language=language, instruction=instruction,
                                         idf1=score.idf1, hota=score.hota, true_objects=score.true_objects,
                                         returned_objects=score.returned_objects, count_ok=score.count_ok))
    grouped: dict[str, list[RequestScore]] = defaultdict(list)
    for row in rows:
        grouped[row.language].append(row)
    summaries = [LanguageSummary(language=lang, requests=len(group), mean_idf1=float(np.mean([r.idf1 for r in group])),
                                 mean_hota=float(np.mean([r.hota for r in group])),
                                 count_accuracy=float(np.mean([r.count_ok for r in group])))
                 for lang, group in grouped.items()]
    return AgentTrackReport(tracker=chosen or tracker, videos=len(folders), frames=frames,
                            seconds=time.perf_counter() - start, rows=rows, languages=summaries)
