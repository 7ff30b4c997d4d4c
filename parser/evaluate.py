"""Scoring plans against an expected-plan set (../shared/eval/instructions_dev.jsonl), per phenomenon and language.

The strict metric is the one in the set's README: item exact match over phrase, select, exclude, relation,
target count, follow-up, reply language and clarify. Three optional gold keys, absent from the dev and held-out
sets (so their scores are unchanged), are scored where a set has them: `select.ordinal`, `target.exemplars` and
`expect.remember` (tests/data/instructions_own.jsonl uses them).
"""

from __future__ import annotations

import itertools
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Callable

from segchat.contracts.plan import Plan


def norm(value) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    value = re.sub(r"[-_]", " ", (value or "").lower().strip())
    value = re.sub(r"\s+", " ", value)
    return re.sub(r"^(a|an|the) ", "", value)


def _exemplars(target: dict) -> list[tuple[int, bool]]:
    return sorted((int(e["instance"]), bool(e.get("positive", True))) for e in target.get("exemplars") or [])


def target_match(gold: dict, pred: dict) -> dict[str, bool]:
    pred_select = pred.get("select") or {}
    select = (gold["select"]["kind"] == pred_select.get("kind") and gold["select"]["count"] == pred_select.get("count")
              and ("ordinal" not in gold["select"] or gold["select"]["ordinal"] == pred_select.get("ordinal")))
    exemplars = "exemplars" not in gold or _exemplars(gold) == _exemplars(pred)
    if not gold["phrase"]:
        return {"phrase": True, "select": select, "exclude": True, "relation": True, "exemplars": exemplars}
    phrase = norm(pred.get("phrase")) in {norm(x) for x in gold["phrase"]}
    pex = [norm(x) for x in pred.get("exclude") or []]
    gex = [{norm(x) for x in group} for group in gold["exclude"]]
    exclude = len(pex) == len(gex) and any(all(a in b for a, b in zip(pex, perm)) for perm in itertools.permutations(gex))
    gr, pr = gold["relation"], pred.get("relation")
    relation = (gr is None and not pr) or (bool(gr) and bool(pr) and gr["type"] == pr.get("type")
                                           and norm(pr.get("anchor")) in {norm(x) for x in gr["anchor"]})
    return {"phrase": phrase, "select": select, "exclude": exclude, "relation": relation, "exemplars": exemplars}


def item_correct(gold: dict, pred: dict) -> bool:
    expect = gold["expect"]
    if expect["clarify"]:
        return bool(pred.get("clarify")) and pred.get("reply_language") == expect["reply_language"]
    if "remember" in expect and (pred.get("remember") or None) != expect["remember"]:
        return False
    targets = list(pred.get("targets") or [])
    if (pred.get("clarify") or pred.get("followup") != expect["followup"]
            or pred.get("reply_language") != expect["reply_language"] or len(targets) != len(expect["targets"])):
        return False
    return any(all(all(target_match(g, p).values()) for g, p in zip(expect["targets"], perm))
               for perm in itertools.permutations(targets))


def evaluate(path: Path, parse: Callable[[str], Plan]) -> dict:
    """Scores every line; a parse that raises counts as wrong (a line without an answer) and is listed."""
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    by_phenomenon: dict[str, list[bool]] = defaultdict(list)
    by_lang: dict[str, list[bool]] = defaultdict(list)
    failures = []
    for item in items:
        try:
            plan = parse(item["text"]).model_dump()
        except Exception as exc:  # noqa: BLE001 - the report must say which line failed, not stop at it
            plan = {"error": f"{type(exc).__name__}: {exc}"}
        ok = "error" not in plan and item_correct(item, plan)
        by_phenomenon[item["phenomena"][0]].append(ok)
        by_lang[item["lang"]].append(ok)
        if not ok:
            failures.append({"id": item["id"], "text": item["text"], "expected": item["expect"], "got": plan})
    correct = sum(sum(v) for v in by_lang.values())
    return {"items": len(items), "correct": correct, "accuracy": correct / max(1, len(items)),
            "by_phenomenon": {k: (sum(v), len(v)) for k, v in sorted(by_phenomenon.items())},
            "by_lang": {k: (sum(v), len(v)) for k, v in sorted(by_lang.items())}, "failures": failures}


def format_report(report: dict) -> str:
    lines = ["| group | correct | items | accuracy |", "| --- | --- | --- | --- |"]
    for title, table in (("", report["by_phenomenon"]), ("lang ", report["by_lang"])):
        for key, (ok, total) in table.items():
            lines.append(f"| {title}{key} | {ok} | {total} | {ok / total:.0%} |")
    lines.append(f"| **all** | {report['correct']} | {report['items']} | {report['accuracy']:.1%} |")
    return "\n".join(lines)
