"""The offline parser's confidence (every word accounted for) and the rule families of issue 25, each with its own
objects: none of these sentences is in a scored set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from segchat.contracts.plan import Plan, Relation, Select, Target
from segchat.parser.coverage import structural_doubts, unaccounted_words
from segchat.parser.evaluate import item_correct
from segchat.parser.offline import parse_offline, parse_offline_with_notes, read_offline
from tests.conftest import SHARED

DATA = Path(__file__).parent / "data"


def _plan(*phrases: str, exclude: list[str] | None = None, count: int | None = None) -> Plan:
    return Plan(targets=[Target(phrase=p, exclude=exclude or [], select=Select(kind="all", count=count))
                         for p in phrases])


def test_a_word_the_plan_never_uses_is_named():
    assert unaccounted_words("draw a box around every yellow sticky note", _plan("box")) == ["yellow", "sticky", "note"]
    assert unaccounted_words("draw a box around every yellow sticky note", _plan("yellow sticky note")) == []
    assert unaccounted_words("highlight the tulips but leave out the white ones", _plan("tulip", exclude=["leave"])) \
        == ["white"]


def test_plural_forms_anchors_and_chinese_words_count_as_used():
    plan = Plan(targets=[Target(phrase="cracked tomato", relation=Relation(type="on", anchor="plate"))])
    assert unaccounted_words("highlight the tomatoes with cracks on the plates", plan) == []
    assert unaccounted_words("分割全部的气球，别选红色的", _plan("balloon")) == ["红色"]
    assert unaccounted_words("分割全部的气球，别选红色的", _plan("balloon", exclude=["red balloon"])) == []


def test_a_measure_word_right_after_a_noun_names_a_part_the_plan_must_use():
    """Set AE: '面包片' read as 'bread' dropped the slice as a measure word; after a noun, with no number or
    demonstrative before it, 片/块/条 name a form of the noun, and a plan without it left a word out."""
    assert unaccounted_words("把香皂块都圈出来", _plan("soap")) == ["块"]
    assert unaccounted_words("把香皂块都圈出来", _plan("soap piece")) == []
    assert unaccounted_words("把那只猫和两块香皂圈出来", _plan("cat", "soap")) == []


def test_a_request_read_as_nothing_says_so():
    """Set AI: '停著的不算' read as no exclusion, and '算了，最上面那两个不要了' read as nothing, had said `high`."""
    plan, notes = read_offline("把路上的灯都标出来，那个啥的不算")
    assert plan.confidence == "low" and any(note.startswith("an exclusion read as nothing") for note in notes)
    assert parse_offline("嗯，最上面那两个弄一下").confidence == "low"


def test_a_word_said_stands_for_itself_not_for_a_slip_of_another():
    """Set AI: 'the peeled ones, and the peeler' — 'peeler' is no slip for 'peeled', which was said as written."""
    assert unaccounted_words("the carrots but not the peeled ones and the peeler",
                             _plan("carrot", exclude=["peeled carrot"])) == ["peeler"]
    assert unaccounted_words("the carrots but not the peeled ones and the peeler",
                             _plan("carrot", "peeler", exclude=["peeled carrot"])) == []


def test_structure_the_plan_lost_is_a_doubt():
    assert structural_doubts("帮我把最左边的 3 个 wine glasses 抠出来", _plan("wine glass"))
    leftmost_three = Plan(targets=[Target(phrase="wine glass", select=Select(kind="leftmost", count=3))])
    assert not structural_doubts("帮我把最左边的 3 个 wine glasses 抠出来", leftmost_three)
    # the count taken and the position not: the position said is the doubt now
    assert structural_doubts("帮我把最左边的 3 个 wine glasses 抠出来", _plan("wine glass", count=3))
    bare = Plan(targets=[Target(phrase="orange"), Target(phrase="", select=Select(kind="all", count=3))])
    assert structural_doubts("橙子，要三个", bare)
    assert structural_doubts("pick the skip tray", _plan("skip tray"))


FAMILIES = [
    # the request's own words are no object
    ("draw a box around each red apple", "red apple", None, [], "new"),
    ("put circles round the 2 cats", "cat", 2, [], "new"),
    # exclusions phrased other than 'except'
    ("select all the mugs but leave out the blue ones", "mug", None, ["blue mug"], "new"),
    ("mark every egg, skip any that are cracked", "egg", None, ["cracked egg"], "new"),
    ("outline the dancers except the one in the red dress", "dancer", None, ["dancer in red dress"], "new"),
    ("highlight every door that is not painted", "door", None, ["painted door"], "new"),
    ("把所有的杯子都选出来，别选白色的", "cup", None, ["white cup"], "new"),
    ("所有的苹果都抠出来，去掉绿色的", "apple", None, ["green apple"], "new"),
    ("标出所有的椅子，红色的排除", "chair", None, ["red chair"], "new"),
    ("把所有的伞标出来，黑色的就不用了", "umbrella", None, ["black umbrella"], "new"),
    # counts in a clause of their own, or in the other language
    ("苹果，要两个", "apple", 2, [], "new"),
    ("segment the pears, just two of them", "pear", 2, [], "new"),
    ("帮我选 four 个 lemons", "lemon", 4, [], "new"),
    ("highlight 三个 lemons please", "lemon", 3, [], "new"),
    # English words inside Chinese, Chinese attributes inside English
    ("outline the 蓝色 umbrella", "blue umbrella", None, [], "new"),
    ("帮我 highlight 一下那个香蕉", "banana", None, [], "new"),
    # follow-ups: a removal word wins over 再 / 也; 一起 is no object
    ("把桌子也一起选上", "table", None, [], "add"),
    # a lone Chinese numeral in English, a state by 有 in an exclusion, an English noun excluded in Chinese, a
    # request verb the lists lack, read by its first character
    ("outline 四 of the muffins", "muffin", 4, [], "new"),
    ("盘子都要，有裂纹的不算", "plate", None, ["cracked plate"], "new"),
    ("把所有的车都选上，排除 buses", "car", None, ["bus"], "new"),
    ("请帮我选取那只白色的兔子", "white rabbit", None, [], "new"),
]


@pytest.mark.parametrize("text,phrase,count,exclude,followup", FAMILIES)
def test_rule_families(text, phrase, count, exclude, followup):
    plan = parse_offline(text)
    assert not plan.clarify, text
    target = plan.targets[0]
    assert (target.phrase, target.select.count, target.exclude, plan.followup) == (phrase, count, exclude, followup)


def test_lists_with_plus_and_etc_are_several_targets():
    assert [t.phrase for t in parse_offline("find mugs + plates + forks").targets] == ["mug", "plate", "fork"]
    assert [t.phrase for t in parse_offline("把书、笔、尺子等物体都标出来").targets] == ["book", "pen", "ruler"]


def test_removal_in_chinese_with_a_position_and_an_english_verb():
    for text, kind in (("再把右边那个也去掉吧", "rightmost"), ("把最下面那个 delete 掉", "bottommost")):
        plan = parse_offline(text)
        assert plan.followup == "remove" and plan.targets[0].select.kind == kind and not plan.targets[0].phrase, text


def test_a_posture_verb_after_the_place_keeps_the_relation():
    plan = parse_offline("勾出椅子底下趴着的那只狗")
    assert plan.targets[0].phrase == "dog" and plan.targets[0].relation.type == "below"
    assert plan.targets[0].relation.anchor == "chair"


def test_ground_is_an_anchor_not_an_adverb():
    plan = parse_offline("再加上地上的那个瓶子")
    assert plan.followup == "add" and plan.targets[0].phrase == "bottle"
    assert plan.targets[0].relation and plan.targets[0].relation.type == "on"
    assert parse_offline("躺在草地上的狗").targets[0].relation.anchor == "grass"


def test_a_misspelt_object_is_the_one_object_word_a_letter_away():
    plan = parse_offline("mask the horse and the zebbra")
    assert [t.phrase for t in plan.targets] == ["horse", "zebra"]
    assert parse_offline("mask the pangolin").targets[0].phrase == "pangolin"  # no object word one letter away
    unknown = parse_offline("mask the flobberwock")  # nothing near it: kept as said, and a guess
    assert unknown.targets[0].phrase == "flobberwock" and unknown.confidence == "low"


def test_chatter_about_the_picture_is_no_request():
    assert parse_offline("lol that's hilarious").clarify


def test_a_request_the_grammar_could_not_read_says_so():
    plan = parse_offline("帮我抠一下那个蓝色的保温瓶胆壳")
    assert plan.clarify is None or plan.confidence == "low"


@pytest.mark.parametrize("name", ["instructions_own.jsonl", "instructions_own_round2.jsonl",
                                  "instructions_own_round3.jsonl", "instructions_own_round4.jsonl",
                                  "instructions_blind_a.jsonl", "instructions_blind_b.jsonl"])
def test_right_readings_are_rarely_low(name):
    """Calibration's other half: a right reading says `low` at most one time in ten (pooled it is 10 in 544)."""
    items = [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    right = low = 0
    for item in items:
        plan = parse_offline(item["text"])
        if item_correct(item, plan.model_dump()):
            right += 1
            low += plan.confidence == "low"
    assert low <= 0.1 * right, (name, low, right)


def test_the_development_set_is_read_with_confidence():
    dev = SHARED / "eval" / "instructions_dev.jsonl"
    if not dev.exists():
        pytest.skip("../shared/eval is not laid beside this checkout")
    plans = [parse_offline(json.loads(line)["text"]) for line in dev.read_text(encoding="utf-8").splitlines()]
    assert sum(p.confidence == "low" for p in plans) <= 9


def test_a_low_reading_says_how_it_read_and_what_it_left_out():
    from segchat.parser.offline import low_confidence_note

    plan, notes = parse_offline_with_notes("select the tulips and the yellow flobberwocks")
    assert plan.confidence == "low"
    note = low_confidence_note(plan, notes)
    assert "I read this as “tulip”" in note and "rephrase" in note
    plan, notes = parse_offline_with_notes("把所有的气球都选出来，然后弄成紫色")
    note = low_confidence_note(plan, notes)
    assert plan.confidence == "low" and note.startswith("我把这句理解为") and "换个说法" in note
    assert low_confidence_note(parse_offline("the red car")) is None


def test_a_reading_that_fell_back_from_a_failing_llm_is_low():
    from segchat.parser.llm_parser import offline_outcome

    outcome = offline_outcome("the red car on the left", "timeout", 0.0)
    assert outcome.plan.confidence == "low" and outcome.fallback_reason == "timeout"


def test_traditional_script_is_answered_in_traditional_script():
    from segchat.parser.language import in_users_script, is_traditional

    assert is_traditional("請把藍色的圓形選出來") and not is_traditional("请把蓝色的圆形选出来")
    assert not is_traditional("select the red circle")
    assert in_users_script("找到 2 个“蓝色圆形”。", "請把藍色的圓形選出來") == "找到 2 個「藍色圓形」。"
    assert in_users_script("找到 2 个“蓝色圆形”。", "请把蓝色的圆形选出来") == "找到 2 个“蓝色圆形”。"


def test_the_agent_replies_in_the_users_script(demo_segmenter, tmp_path):
    from examples.render_demo import IMAGE
    from segchat.agent import build_agent
    from segchat.contracts.settings import Settings
    from segchat.parser.language import is_traditional

    agent = build_agent(Settings(demo=True, offline=True, data_dir=tmp_path), segmenter=demo_segmenter)
    traditional = agent.turn("請把所有紅色的圓形選出來", IMAGE).result
    simplified = agent.turn("请把所有红色的圆形选出来", IMAGE).result
    assert traditional.reply_language == "zh" and is_traditional(traditional.explanation), traditional.explanation
    assert not is_traditional(simplified.explanation) and "红色" in simplified.explanation


def _shaped(phrase: str, *, exclude: list[str] | None = None, kind: str = "all", count: int | None = None,
            anchor: str | None = None, followup: str = "new", more: tuple[str, ...] = ()) -> Plan:
    relation = Relation(type="in", anchor=anchor) if anchor else None
    first = Target(phrase=phrase, exclude=exclude or [], select=Select(kind=kind, count=count), relation=relation)
    return Plan(targets=[first, *(Target(phrase=p) for p in more)], followup=followup)


@pytest.mark.parametrize("text, plan, doubt", [
    # a reading's shape that no right reading has (parser/reading_shape.py), each said by a sentence of our own
    ("把李子和柠檬标出来", _shaped("plum lemon"), "two objects read as one phrase"),
    ("segment the dog thats asleep", _shaped("dog that"), "a word no object's name holds"),
    ("the quite large box", _shaped("quite large box"), "a word no object's name holds"),
    ("mark the kite(s) please", _shaped("kite s"), "a word no object's name holds"),
    ("select every paper cup except the plastic ones", _shaped("paper cup", exclude=["plastic cup paper cup"]),
     "a word twice in one phrase"),
    ("outline the kettle from earlier", _shaped("kettle earlier"), "a phrase that ends in no noun"),
    ("能不能把绿色的杯子都选出来", _shaped("cup", exclude=["green cup"]), "an exclusion where the request says no word"),
    ("mask the mug on the far right", _shaped("mug"), "a position said ('right')"),
    ("把最上面的碗圈出来", _shaped("bowl"), "a position said ('最')"),
    ("ok now also remove the spoons", _shaped("spoon", followup="add"), "a word of removing ('remove') read as adding"),
    ("could you also grab the scooters", _shaped("scooter"), "a word of adding ('also') read as a new request"),
    ("segment every pumpkin and send back masks", _shaped("pumpkin", more=("mask",)), "the answer's form read as"),
    ("the largest seed in this radiograph", _shaped("seed", kind="largest", count=1, anchor="radiograph"),
     "the picture read as an anchor"),
])
def test_a_reading_shaped_as_no_right_one_is_a_doubt(text, plan, doubt):
    assert any(d.startswith(doubt) for d in structural_doubts(text, plan)), structural_doubts(text, plan)


@pytest.mark.parametrize("text, plan", [
    ("highlight the stainless steel kettle", _shaped("stainless steel kettle")),
    ("找出落地灯和羽绒服", _shaped("floor lamp", more=("down jacket",))),
    ("grab the bottle of water", _shaped("water bottle")),
    ("把绿色的杯子都选出来，除了破的", _shaped("green cup", exclude=["broken green cup"])),
    ("mask the mug on the far right", _shaped("mug", kind="rightmost", count=1)),
    ("the vase right there", _shaped("vase")),
    ("could you also grab the scooters", _shaped("scooter", followup="add")),
    ("再把那些勺子也去掉", _shaped("spoon", followup="remove")),
    ("select all the cups that aren't chipped", _shaped("cup", exclude=["chipped cup"])),
])
def test_right_shapes_are_no_doubt(text, plan):
    assert structural_doubts(text, plan) == []
