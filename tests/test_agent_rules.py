"""Every execution rule on hand-built instances and scripted detections (no model), then the same rules through the
whole agent on the shapes demo model, checked against the demo image's ground truth."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segchat.agent.execute import execute_plan
from segchat.agent.rules import apply_exclusion, apply_relation, apply_selection, deduplicate, relation_holds
from segchat.contracts.errors import BadRequestError
from segchat.contracts.plan import ExemplarRef, Plan, Relation, Select, Target
from segchat.segmenter.instances import Instance
from segchat.segmenter.masks import CroppedMask
from segchat.segmenter.prompts import Exemplar, Prompt

SIZE = (100, 200)  # height, width


def box_mask(x0: int, y0: int, x1: int, y1: int, size=SIZE) -> np.ndarray:
    mask = np.zeros(size, dtype=bool)
    mask[y0:y1, x0:x1] = True
    return mask


def found(x0, y0, x1, y1, label="thing", score=0.9, id=0) -> Instance:
    return Instance(phrase=label, score=score, mask=CroppedMask.from_full(box_mask(x0, y0, x1, y1)), id=id)


ROW = [found(10, 40, 30, 60, id=1), found(80, 10, 102, 30, id=2), found(160, 70, 199, 99, id=3),
       found(90, 45, 110, 55, id=4)]  # left, top, bottom-right and biggest, centre and smallest


@pytest.mark.parametrize("kind,count,expected", [
    ("leftmost", 1, [1]), ("rightmost", 1, [3]), ("topmost", 1, [2]), ("bottommost", 1, [3]),
    ("largest", 1, [3]), ("smallest", 1, [4]), ("center", 1, [4]), ("leftmost", 2, [1, 2]),
    ("smallest", 2, [4, 1]), ("all", None, [1, 2, 3, 4]), ("all", 2, [1, 2]),
])
def test_selection(kind, count, expected):
    chosen = apply_selection(ROW, Select(kind=kind, count=count), SIZE)
    if kind == "all":
        assert sorted(f.id for f in chosen) == sorted(expected[: len(chosen)]) and len(chosen) == len(expected)
    else:
        assert [f.id for f in chosen] == expected


@pytest.mark.parametrize("kind,ordinal,count,expected", [
    ("leftmost", 2, 1, [2]),   # the second from the left
    ("leftmost", 3, 1, [4]),
    ("largest", 2, 1, [2]),    # the second largest (areas: #3 1131, #2 440, #1 400, #4 200)
    ("smallest", 1, 2, [4, 1]),
    ("rightmost", 2, 2, [4, 2]),
    ("leftmost", 5, 1, []),    # there is no fifth
])
def test_selection_with_an_ordinal(kind, ordinal, count, expected):
    assert [f.id for f in apply_selection(ROW, Select(kind=kind, count=count, ordinal=ordinal), SIZE)] == expected


def test_selection_count_larger_than_available():
    assert len(apply_selection(ROW[:2], Select(kind="largest", count=5), SIZE)) == 2


def test_deduplicate_keeps_best_of_overlapping():
    a, b, c = found(10, 10, 50, 50, score=0.6), found(11, 10, 50, 50, score=0.9), found(100, 10, 140, 50, score=0.5)
    kept = deduplicate([a, b, c])
    assert kept == [b, c]


@pytest.mark.parametrize("kind,subject,anchor,holds", [
    ("left_of", (10, 40, 30, 60), (100, 40, 140, 60), True),
    ("left_of", (150, 40, 170, 60), (100, 40, 140, 60), False),
    ("right_of", (150, 40, 170, 60), (100, 40, 140, 60), True),
    ("above", (100, 5, 120, 25), (90, 40, 140, 60), True),
    ("above", (100, 70, 120, 90), (90, 40, 140, 60), False),
    ("below", (100, 70, 120, 90), (90, 40, 140, 60), True),
    ("on", (100, 20, 120, 42), (80, 40, 160, 90), True),   # cup on a table: bottom edge on its top
    ("on", (10, 20, 30, 42), (80, 40, 160, 90), False),
    ("in", (100, 50, 110, 60), (80, 40, 160, 90), True),
    ("in", (10, 50, 30, 60), (80, 40, 160, 90), False),
    ("near", (60, 40, 78, 60), (80, 40, 120, 60), True),
    ("near", (0, 0, 10, 10), (150, 80, 190, 99), False),
    ("holding", (50, 10, 100, 99), (90, 50, 110, 60), True),   # umbrella mostly inside the person's box
    ("wearing", (50, 10, 100, 99), (55, 5, 95, 20), True),
    ("wearing", (50, 10, 100, 99), (150, 5, 190, 20), False),
])
def test_relations(kind, subject, anchor, holds):
    assert relation_holds(kind, found(*subject), found(*anchor)) is holds


def test_relation_is_never_with_itself():
    same = found(10, 10, 40, 40)
    assert relation_holds("near", same, same) is False
    assert apply_relation([same], Relation(type="near", anchor="x"), [same]) == []


def test_exclusion_drops_mostly_covered():
    keep, drop = found(10, 10, 40, 40), found(100, 10, 140, 40)
    red = found(100, 10, 139, 40)
    kept, dropped = apply_exclusion([keep, drop], [red])
    assert kept == [keep] and dropped == [drop]


def _finder(table: dict[str, list[tuple]]):
    """A stand-in for the segmenter's find_each(): prompts -> hand-built instances per prompt (no model). A prompt
    with exemplar boxes finds the table's instances of the key '<text>|like x0' for its first positive box."""
    calls = []

    def find(prompts: list[Prompt]):
        calls.append([p.text for p in prompts])
        out = []
        for prompt in prompts:
            key = prompt.text
            if prompt.exemplars:
                key = f"{prompt.text}|{'like' if prompt.exemplars[0].positive else 'not like'} {prompt.exemplars[0].box[0]:.0f}"
            out.append([Instance(phrase=prompt.label, score=score, mask=CroppedMask.from_full(box_mask(x0, y0, x1, y1)))
                        for x0, y0, x1, y1, score in table.get(key, [])])
        return out

    return find, calls


SCENE = {
    "red circle": [(10, 10, 30, 30, 0.9), (120, 10, 140, 30, 0.8)],
    "circle": [(10, 10, 30, 30, 0.9), (120, 10, 140, 30, 0.8), (60, 60, 80, 80, 0.7)],
    "green shape": [(60, 60, 80, 80, 0.9), (150, 60, 190, 95, 0.9)],
    "star": [(150, 60, 190, 95, 0.8)],
    "table": [(100, 40, 199, 99, 0.9)],
    "cup": [(120, 20, 140, 42, 0.9), (10, 60, 30, 80, 0.9)],
}


def plan(*targets: Target, followup="new") -> Plan:
    return Plan(targets=list(targets), followup=followup, reply_language="en")


def test_one_batched_call_for_every_phrase():
    find, calls = _finder(SCENE)
    execute_plan(plan(Target(phrase="cup", alternates=["mug"], exclude=["red cup"],
                             relation=Relation(type="on", anchor="table"))), find, SIZE)
    assert len(calls) == 1 and set(calls[0]) == {"cup", "mug", "red cup", "table"}


def test_relation_and_selection_on_scripted_detections():
    find, _ = _finder(SCENE)
    out = execute_plan(plan(Target(phrase="cup", relation=Relation(type="on", anchor="table"))), find, SIZE)
    assert [f.box for f in out.instances] == [(120.0, 20.0, 140.0, 42.0)]
    out = execute_plan(plan(Target(phrase="red circle", select=Select(kind="leftmost", count=1))), find, SIZE)
    assert [f.box[0] for f in out.instances] == [10.0] and out.instances[0].id == 1


def test_union_of_alternates_is_deduplicated():
    find, _ = _finder(SCENE)
    out = execute_plan(plan(Target(phrase="red circle", alternates=["circle"])), find, SIZE)
    assert len(out.instances) == 3 and {f.label for f in out.instances} == {"red circle"}


def test_multi_target_merge_and_exclusion():
    find, _ = _finder(SCENE)
    out = execute_plan(plan(Target(phrase="green shape", exclude=["star"]), Target(phrase="red circle")), find, SIZE)
    assert sorted(f.box[0] for f in out.instances) == [10.0, 60.0, 120.0]
    assert [f.id for f in out.instances] == [1, 2, 3]


def test_followups_refine_add_remove():
    find, _ = _finder(SCENE)
    first = execute_plan(plan(Target(phrase="circle")), find, SIZE).instances
    assert len(first) == 3
    refined = execute_plan(plan(Target(phrase="", select=Select(kind="rightmost", count=1)), followup="refine"),
                           find, SIZE, first).instances
    assert [f.box[0] for f in refined] == [120.0]
    kept_id = refined[0].id
    assert kept_id in {f.id for f in first}  # ids are stable across turns
    added = execute_plan(plan(Target(phrase="star"), followup="add"), find, SIZE, refined).instances
    assert [f.id for f in added] == [kept_id, kept_id + 1]
    removed = execute_plan(plan(Target(phrase="", select=Select(kind="smallest", count=1)), followup="remove"),
                           find, SIZE, first)
    assert len(removed.instances) == 2 and len(removed.removed) == 1
    with_noun = execute_plan(plan(Target(phrase="red circle"), followup="refine"), find, SIZE, first).instances
    assert sorted(f.box[0] for f in with_noun) == [10.0, 120.0]


def test_followup_without_previous_is_a_new_request():
    find, _ = _finder(SCENE)
    out = execute_plan(plan(Target(phrase="star"), followup="refine"), find, SIZE, [])
    assert out.followup == "new" and len(out.instances) == 1


def test_recovery_is_bounded():
    find, calls = _finder({"dog": [(10, 10, 30, 30, 0.9)]})
    asked = []

    def generalize(phrase):
        asked.append(phrase)
        return {"fluffy white dog": "white dog", "white dog": "dog"}.get(phrase)

    out = execute_plan(plan(Target(phrase="fluffy white dog")), find, SIZE, generalize=generalize, recovery_rounds=2)
    assert len(out.instances) == 1 and out.reports[0].recovered_with == "dog"
    calls.clear()
    out = execute_plan(plan(Target(phrase="unicorn")), find, SIZE, generalize=lambda p: p + " x", recovery_rounds=3)
    assert out.instances == [] and len(calls) == 1 + 3


EXEMPLAR_SCENE = {
    "circle": [(10, 10, 30, 30, 0.9), (120, 10, 140, 30, 0.8), (60, 60, 80, 80, 0.7)],
    # what a box around the circle at x0=60 finds: the circles of its kind (and itself)
    "|like 60": [(60, 60, 80, 80, 0.9), (150, 60, 170, 80, 0.8)],
    "|like 10": [(10, 10, 30, 30, 0.9), (120, 10, 140, 30, 0.8)],
}


def test_more_like_an_instance_of_the_previous_result():
    find, calls = _finder(EXEMPLAR_SCENE)
    first = execute_plan(plan(Target(phrase="circle")), find, SIZE).instances
    third = next(f for f in first if f.box[0] == 60)
    more = execute_plan(plan(Target(phrase="", exemplars=[ExemplarRef(instance=third.id)])), find, SIZE, first)
    assert sorted(f.box[0] for f in more.instances) == [60.0, 150.0]
    assert more.reports[0].examples == [(third.id, True)] and not more.reports[0].on_previous
    assert calls[-1] == [""]  # one box prompt, no text


def test_not_like_an_instance_removes_its_kind_from_the_previous_result():
    find, _ = _finder(EXEMPLAR_SCENE)
    first = execute_plan(plan(Target(phrase="circle")), find, SIZE).instances
    left = next(f for f in first if f.box[0] == 10)
    out = execute_plan(plan(Target(phrase="", exemplars=[ExemplarRef(instance=left.id)]), followup="remove"),
                       find, SIZE, first)
    assert [f.box[0] for f in out.instances] == [60.0] and len(out.removed) == 2


def test_an_exemplar_reference_to_a_missing_instance_is_an_error():
    find, calls = _finder(EXEMPLAR_SCENE)
    first = execute_plan(plan(Target(phrase="circle")), find, SIZE).instances
    calls.clear()
    with pytest.raises(BadRequestError, match="no #9"):
        execute_plan(plan(Target(phrase="", exemplars=[ExemplarRef(instance=9)])), find, SIZE, first)
    assert calls == []  # refused before anything ran


def test_request_boxes_go_to_the_first_target_or_stand_alone():
    find, calls = _finder(EXEMPLAR_SCENE)
    out = execute_plan(Plan(reply_language="en", clarify="what?"), find, SIZE,
                       exemplars=[Exemplar(box=(60.0, 60.0, 80.0, 80.0))])
    assert sorted(f.box[0] for f in out.instances) == [60.0, 150.0] and out.reports[0].boxes == 1


boxes = st.tuples(st.integers(0, 190), st.integers(0, 90), st.integers(1, 10), st.integers(1, 10))


@settings(max_examples=150, deadline=None)
@given(st.lists(boxes, max_size=8), st.lists(boxes, max_size=4),
       st.sampled_from(["all", "leftmost", "rightmost", "topmost", "bottommost", "largest", "smallest", "center"]),
       st.one_of(st.none(), st.integers(1, 10)),
       st.sampled_from(["on", "in", "near", "holding", "wearing", "left_of", "right_of", "above", "below"]))
def test_rules_never_crash_and_never_invent(subjects, others, kind, count, relation):
    items = [found(x, y, x + w, y + h, id=i) for i, (x, y, w, h) in enumerate(subjects)]
    anchors = [found(x, y, x + w, y + h) for x, y, w, h in others]
    out = apply_relation(items, Relation(type=relation, anchor="a"), anchors)
    out, _ = apply_exclusion(out, anchors[:1])
    out = apply_selection(out, Select(kind=kind, count=count), SIZE)
    assert all(any(o is i for i in items) for o in out)
    assert count is None or len(out) <= count


# -- through the whole agent -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("instruction,truth_ids,found_first", [
    ("the red shapes left of the blue shapes", [6], "found 2; 1 left of"),  # the other red circle (3) is not
    ("把蓝色图形左边的红色图形抠出来", [6], "找到 2 个；其中 1 个在"),
    ("the rightmost yellow shape", [5], "found 2; kept the rightmost 1"),  # the circle, not the star (2)
    ("the leftmost red circle", [6], "found 2; kept the leftmost 1"),
])
def test_relation_and_selection_through_the_agent_on_the_demo_model(demo_segmenter, tmp_path, instruction, truth_ids,
                                                                    found_first):
    """build_agent as every face builds it (offline parser, the demo model, the checkpoint's threshold) on
    examples/shapes_demo.png: the instances are exactly the true ones (mask IoU >= 0.5, nothing extra), and the
    model found more than the rule kept, so the rule did the work."""
    from examples.render_demo import IMAGE, demo_truth_masks
    from segchat.agent import build_agent
    from segchat.contracts.settings import Settings
    from segchat.lab.agent_tasks import matches

    truth = demo_truth_masks()
    agent = build_agent(Settings(demo=True, offline=True, data_dir=tmp_path), segmenter=demo_segmenter)
    out = agent.turn(instruction, IMAGE)
    assert matches([i.mask for i in out.instances], [truth[i] for i in truth_ids]), [i.box for i in out.instances]
    assert found_first in out.result.explanation, out.result.explanation
