"""Running a plan on one image: one batched SAM3 call, then the rules, recovery, verification and follow-ups."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from segchat.agent.rules import apply_exclusion, apply_relation, apply_selection, deduplicate, merge
from segchat.contracts.errors import BadRequestError
from segchat.contracts.plan import Plan, Target
from segchat.segmenter.instances import Instance, mask_iou
from segchat.segmenter.prompts import Exemplar, Prompt

FOLLOWUP_MATCH_IOU = 0.5  # a previous instance 'is' a newly found one when their masks overlap this much

Find = Callable[[list[Prompt]], list[list[Instance]]]
Generalizer = Callable[[str], "str | None"]
Verifier = Callable[[Target, list[Instance]], "list[Instance] | None"]


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
    selected: list[Instance] = field(default_factory=list)
    on_previous: bool = False  # a follow-up without a new noun: the rules ran on the previous result
    examples: list[tuple[int, bool]] = field(default_factory=list)  # (instance id, positive) used as exemplars
    boxes: int = 0  # exemplar boxes that came with the request
    concept: str | None = None  # the remembered concept the target named


@dataclass
class Execution:
    instances: list[Instance]
    reports: list[TargetReport]
    followup: str
    previous_count: int
    removed: list[Instance] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)


def previous_by_number(numbers: list[int], previous: list[Instance]) -> list[Instance]:
    """The previous result's instances with these numbers (#N), in that order; a number the previous result does
    not have is the user's error, raised before anything runs."""
    by_id = {item.id: item for item in previous}
    missing = [n for n in numbers if n not in by_id]
    if missing:
        have = ", ".join(f"#{i}" for i in sorted(by_id)) or "none"
        raise BadRequestError(f"there is no #{missing[0]} in the last result (it has {have})",
                              code="unknown_instance")
    return [by_id[n] for n in numbers]


def resolve_exemplars(target: Target, previous: list[Instance]) -> list[Exemplar]:
    """The boxes of the previous result's instances a target refers to ('more like #2')."""
    examples = previous_by_number([ref.instance for ref in target.exemplars], previous)
    return [Exemplar(box=item.box, positive=ref.positive) for item, ref in zip(examples, target.exemplars)]


def _matching_previous(previous: list[Instance], found: list[Instance]) -> list[Instance]:
    return [p for p in previous if any(mask_iou(p, f) >= FOLLOWUP_MATCH_IOU for f in found)]


def target_prompts(target: Target, exemplars: list[Exemplar]) -> list[Prompt]:
    """The target's own prompts: its phrase and alternates, each with the target's exemplar boxes."""
    texts = [target.phrase, *target.alternates] if target.phrase else [""]
    return [Prompt(text, tuple(exemplars)) for text in texts]


def execute_plan(
    plan: Plan,
    find: Find,
    image_size: tuple[int, int],
    previous: list[Instance] | None = None,
    *,
    exemplars: list[Exemplar] | None = None,
    concepts: list[tuple[str, Exemplar] | None] | None = None,
    generalize: Generalizer | None = None,
    recovery_rounds: int = 1,
    verify: Verifier | None = None,
) -> Execution:
    """Execute `plan`. `find(prompts)` runs SAM3 on the turn's cached embedding and returns each prompt's instances.

    Every prompt the plan needs (targets, alternates, exclusions, anchors) goes to `find` in one call; recovery
    calls it again at most `recovery_rounds` times per target that found nothing. `exemplars`: boxes that came
    with the request, given to the first target (or, when the plan has no target, searched for on their own).
    `concepts[i]`: (name, exemplar box) when target i names a remembered concept; its instances are called by
    the name and found with the box (the caller has put the concept's crop where the box points).
    """
    timings: dict[str, float] = {}
    previous = previous or []
    if exemplars and not plan.targets:
        plan = plan.model_copy(update={"targets": [Target()], "clarify": None})
    followup = plan.followup if (previous or plan.followup == "new") else "new"
    concepts = concepts or [None] * len(plan.targets)
    boxes_of = [resolve_exemplars(t, previous) + (list(exemplars or []) if i == 0 else [])
                + ([concepts[i][1]] if concepts[i] else []) for i, t in enumerate(plan.targets)]
    start = time.perf_counter()
    own = [target_prompts(t, b) if (t.phrase or b) else [] for t, b in zip(plan.targets, boxes_of)]
    helpers = [Prompt(p) for t in plan.targets for p in [*t.exclude, t.relation.anchor if t.relation else ""] if p]
    prompts = list(dict.fromkeys([p for group in own for p in group] + helpers))
    found = dict(zip(prompts, find(prompts))) if prompts else {}
    timings["segment"] = (time.perf_counter() - start) * 1000
    rules_start = time.perf_counter()
    reports: list[TargetReport] = []
    selected_per_target: list[list[Instance]] = []
    for target, target_boxes, target_own, concept in zip(plan.targets, boxes_of, own, concepts):
        report = TargetReport(target=target, searched=[p.text for p in target_own if p.text],
                              examples=[(r.instance, r.positive) for r in target.exemplars],
                              boxes=len(target_boxes) - len(target.exemplars) - (1 if concept else 0),
                              concept=concept[0] if concept else None)
        label = concept[0] if concept else (target.phrase or "exemplar")
        if not target_own:
            report.on_previous = True
            # 'only #2', 'drop #1 and #3': those instances by number; else the whole previous result
            candidates = previous_by_number(target.instances, previous) if target.instances else list(previous)
        else:
            candidates = deduplicate([i.but(label=label) for p in target_own for i in found[p]])
            phrase = target.phrase
            for _ in range(recovery_rounds if (generalize and phrase and not target_boxes) else 0):
                if candidates:
                    break
                general = generalize(phrase)
                if not general or general == phrase or general in report.searched:
                    break
                report.searched.append(general)
                candidates = deduplicate([i.but(label=label) for i in find([Prompt(general)])[0]])
                if candidates:
                    report.recovered_with = general
                phrase = general
            if followup in ("refine", "remove") and previous:
                candidates = _matching_previous(previous, candidates)
        report.found = len(candidates)
        if target.relation is not None:
            anchors = deduplicate(found.get(Prompt(target.relation.anchor), []))
            report.anchors = len(anchors)
            candidates = apply_relation(candidates, target.relation, anchors)
            report.relation_kept = len(candidates)
        if target.exclude:
            excluded = [f for phrase in target.exclude for f in found.get(Prompt(phrase), [])]
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
    removed: list[Instance] = []
    if followup == "new":
        result: list[Instance] = []
        for chosen in selected_per_target:
            result = merge(result, chosen)
        result = [item.but(id=number) for number, item in enumerate(result, start=1)]
        _renumber_reports(reports, result)
    elif followup == "add":
        result = list(previous)
        next_id = max((p.id for p in previous), default=0) + 1
        for chosen in selected_per_target:
            for item in chosen:
                if all(mask_iou(item, other) <= 0.7 for other in result):
                    result.append(item.but(id=next_id))
                    next_id += 1
        _renumber_reports(reports, result)
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


def _renumber_reports(reports: list[TargetReport], result: list[Instance]) -> None:
    """Give the reports' selected instances the ids they got in the result (the explanation quotes them): the
    numbered copy of the same instance, else (a duplicate merged away) the result's instance with the same mask."""
    by_mask = {id(r.mask): r for r in result}
    for report in reports:
        report.selected = [by_mask.get(id(s.mask)) or next((r for r in result if mask_iou(r, s) > 0.7), s)
                           for s in report.selected]
