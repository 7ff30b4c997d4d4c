"""Running a plan on one image: one batched SAM3 call, then the rules, recovery, verification and follow-ups."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from segchat.agent.found import Found, mask_iou
from segchat.agent.rules import apply_exclusion, apply_relation, apply_selection, deduplicate
from segchat.contracts.plan import Plan, Target

FOLLOWUP_MATCH_IOU = 0.5  # a previous instance 'is' a newly found one when their masks overlap this much

Generalizer = Callable[[str], "str | None"]
Verifier = Callable[[Target, list[Found]], "list[Found] | None"]


@dataclass
class TargetReport:
    """What happened to one target, for the explanation."""

    target: Target
    searched: list[str]
    found: int = 0
    recovered_with: str | None = None
    relation_kept: int | None = None
    anchors: int = 0
    excluded: list[str] = field(default_factory=list)
    excluded_dropped: int = 0
    verified_dropped: int | None = None
    selected: list[Found] = field(default_factory=list)
    on_previous: bool = False  # a follow-up without a new noun: the rules ran on the previous result


@dataclass
class Execution:
    instances: list[Found]
    reports: list[TargetReport]
    followup: str
    previous_count: int
    removed: list[Found] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)


def _group(instances, phrases: list[str]) -> dict[str, list[Found]]:
    groups: dict[str, list[Found]] = {p: [] for p in phrases}
    for inst in instances:
        groups.setdefault(inst.phrase, []).append(Found(label=inst.phrase, score=inst.score, mask=inst.mask,
                                                        phrase=inst.phrase, cropped=inst.cropped))
    return groups


def _candidates(target: Target, groups: dict[str, list[Found]]) -> list[Found]:
    """Union of the phrase's and its alternates' instances, de-duplicated, labelled with the target phrase."""
    pooled = []
    for phrase in [target.phrase, *target.alternates]:
        for item in groups.get(phrase, []):
            pooled.append(Found(label=target.phrase, score=item.score, mask=item.mask, phrase=phrase,
                                cropped=item.cropped))
    return deduplicate(pooled)


def _matching_previous(previous: list[Found], found: list[Found]) -> list[Found]:
    return [p for p in previous if any(mask_iou(p.mask, f.mask) >= FOLLOWUP_MATCH_IOU for f in found)]


def _merge(base: list[Found], extra: list[Found]) -> list[Found]:
    """`base` plus the instances of `extra` that are not already in it (same object = mask IoU > 0.7)."""
    merged = list(base)
    for item in extra:
        if all(mask_iou(item.mask, other.mask) <= 0.7 for other in merged):
            merged.append(item)
    return merged


def execute_plan(
    plan: Plan,
    find: Callable[[list[str]], list],
    image_size: tuple[int, int],
    previous: list[Found] | None = None,
    *,
    generalize: Generalizer | None = None,
    recovery_rounds: int = 1,
    verify: Verifier | None = None,
) -> Execution:
    """Execute `plan`. `find(phrases)` runs SAM3 on the turn's cached embedding and returns segmenter instances.

    Every phrase the plan needs (targets, alternates, exclusions, anchors) goes to `find` in one call; recovery
    calls it again at most `recovery_rounds` times per target that found nothing.
    """
    timings: dict[str, float] = {}
    previous = previous or []
    followup = plan.followup if (previous or plan.followup == "new") else "new"
    start = time.perf_counter()
    phrases = plan.phrases()
    groups = _group(find(phrases), phrases) if phrases else {}
    timings["segment"] = (time.perf_counter() - start) * 1000
    rules_start = time.perf_counter()
    reports: list[TargetReport] = []
    selected_per_target: list[list[Found]] = []
    for target in plan.targets:
        report = TargetReport(target=target, searched=[target.phrase, *target.alternates] if target.phrase else [])
        if not target.phrase:
            report.on_previous = True
            candidates = list(previous)
        else:
            candidates = _candidates(target, groups)
            phrase = target.phrase
            for _ in range(recovery_rounds if generalize else 0):
                if candidates:
                    break
                general = generalize(phrase)
                if not general or general == phrase or general in report.searched:
                    break
                report.searched.append(general)
                recovered = [Found(label=target.phrase, score=i.score, mask=i.mask, phrase=general, cropped=i.cropped)
                             for i in find([general])]
                candidates = deduplicate(recovered)
                if candidates:
                    report.recovered_with = general
                phrase = general
            if followup in ("refine", "remove") and previous:
                candidates = _matching_previous(previous, candidates)
        report.found = len(candidates)
        if target.relation is not None:
            anchors = deduplicate(groups.get(target.relation.anchor, []))
            report.anchors = len(anchors)
            candidates = apply_relation(candidates, target.relation, anchors)
            report.relation_kept = len(candidates)
        if target.exclude:
            excluded = [f for phrase in target.exclude for f in groups.get(phrase, [])]
            candidates, dropped = apply_exclusion(candidates, excluded)
            report.excluded, report.excluded_dropped = list(target.exclude), len(dropped)
        if verify is not None and len(candidates) > 1 and (target.relation is not None or target.exclude):
            verified = verify(target, candidates)
            if verified is not None:
                report.verified_dropped = len(candidates) - len(verified)
                candidates = verified
        chosen = apply_selection(candidates, target.select, image_size)
        report.selected = chosen
        reports.append(report)
        selected_per_target.append(chosen)
    removed: list[Found] = []
    if followup == "new":
        result: list[Found] = []
        for chosen in selected_per_target:
            result = _merge(result, chosen)
        for number, item in enumerate(result, start=1):
            item.id = number
    elif followup == "add":
        result = list(previous)
        next_id = max((p.id for p in previous), default=0) + 1
        for chosen in selected_per_target:
            for item in chosen:
                if all(mask_iou(item.mask, other.mask) <= 0.7 for other in result):
                    item.id = next_id
                    next_id += 1
                    result.append(item)
    elif followup == "refine":
        keep_ids = {item.id for chosen in selected_per_target for item in chosen}
        result = [p for p in previous if p.id in keep_ids]
    else:  # remove
        drop_ids = {item.id for chosen in selected_per_target for item in chosen}
        removed = [p for p in previous if p.id in drop_ids]
        result = [p for p in previous if p.id not in drop_ids]
    timings["rules"] = (time.perf_counter() - rules_start) * 1000
    return Execution(instances=result, reports=reports, followup=followup, previous_count=len(previous),
                     removed=removed, timings_ms=timings)


COLOUR_AND_MATERIAL = {"red", "green", "blue", "yellow", "purple", "orange", "white", "black", "gray", "grey", "pink",
                       "brown", "gold", "silver", "beige", "wooden", "plastic", "metal", "glass", "ceramic", "leather",
                       "paper", "stone", "steel", "iron", "copper", "porcelain"}


def offline_generalization(phrase: str) -> str | None:
    """A more general phrase without the LLM: drop the modifiers that are neither colour nor material
    ('fluffy white dog' -> 'white dog'); None when there is nothing to drop."""
    words = phrase.split()
    if len(words) < 2:
        return None
    kept = [w for w in words[:-1] if w in COLOUR_AND_MATERIAL] + words[-1:]
    return " ".join(kept) if kept != words else None
