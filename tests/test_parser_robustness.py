"""The offline parser never raises: thousands of random and adversarial strings through the unguarded reader
(`read_offline`, so a bug can't hide behind `parse_offline`'s last guard), 400 generated hostile lines, and its speed.
"""

from __future__ import annotations

import random
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segchat.contracts.plan import Plan
from segchat.parser.offline import parse_offline, read_offline

EN = ["segment", "the", "red", "cars", "except", "on", "left", "of", "second", "from", "#2", "like", "not", "and", ",",
      "which", "is", "biggest", "?", ".", ";", ":3", "[semantic]", "remember", "as", "with", "cracks", "that", "are",
      "bruised", "bbox", "json", "all", "only", "drop", "two", "one", "mask", "where", "why", "what", "without"]
ZH = ["把", "左边", "的", "第二", "个", "杯子", "除了", "以外", "红色", "抠出来", "号", "一样", "不要", "记为", "和", "，",
      "只保留", "中间", "其余", "去掉", "没", "开花", "什么", "吗", "最大", "两", "只", "猫", "上", "里", "像", "3", "、"]
RU = ["покажи", "кошку", "слева", "и", "собаку", "кроме", "красной"]
WORDS = EN + ZH + RU
CONTROL = [chr(c) for c in list(range(0, 32)) + [0x7F, 0x85, 0x200B, 0x200E, 0x202E, 0xFEFF, 0x2028]]


def _check(plan: Plan) -> None:
    Plan.model_validate(plan.model_dump())
    assert plan.clarify or plan.targets or plan.remember
    for target in plan.targets:
        assert len(target.phrase) <= 80
        assert all(len(e) <= 80 for e in target.exclude)


sentence = st.tuples(st.lists(st.sampled_from(WORDS + CONTROL), min_size=0, max_size=30), st.booleans()).map(
    lambda pair: " ".join(pair[0]) if pair[1] else "".join(pair[0]))
anything = st.text(alphabet=st.characters(codec=None), max_size=300)
cut = st.builds(lambda s, n: s[:n], sentence, st.integers(0, 120))  # half sentences


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(anything, sentence, cut))
def test_random_and_adversarial_text_never_raises(text):
    plan, notes = read_offline(text)
    _check(plan)
    assert isinstance(notes, list)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(CONTROL + ["\ud7ff", "\U0010ffff", "\u0301", "\u3000", "Ｓ", "ｍ", "号", "#"]),
               max_size=200))
def test_control_characters_and_odd_code_points_never_raise(text):
    _check(read_offline(text)[0])


def hostile_lines(count: int = 400, seed: int = 7) -> list[str]:
    """Generated hostile instructions: long repeats, mixed scripts, numbers out of range, broken syntaxes."""
    rng = random.Random(seed)
    makers = [
        lambda: rng.choice(WORDS) * rng.randint(500, 2000),  # 2,000 characters of one word
        lambda: " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 400))),
        lambda: "".join(rng.choice(ZH + EN + RU + CONTROL) for _ in range(rng.randint(1, 60))),
        lambda: f"the {rng.randint(0, 10**12)}th car from the left",
        lambda: f"segment {rng.randint(-5, 10**9)} of the geese",
        lambda: f"找出{rng.choice(['零', '一百万', '九十九', '十十十'])}个柠檬",
        lambda: ". ".join(rng.choice(EN) for _ in range(rng.randint(2, 40))) + ".",
        lambda: ":".join(str(rng.randint(0, 99999)) for _ in range(rng.randint(1, 9))),
        lambda: f"remember #{rng.randint(0, 10**7)} as " + "x" * rng.randint(0, 200),
        lambda: f"more like #{rng.randint(0, 10**7)} and #{rng.randint(0, 10**7)}",
        lambda: f"把{rng.randint(0, 10**6)}号记为" + "零件" * rng.randint(0, 60),
        lambda: "[semantic]" * rng.randint(1, 50),
        lambda: "except " * rng.randint(1, 200) + "the red one",
        lambda: "的" * rng.randint(1, 500) + "猫",
        lambda: "".join(rng.choice(CONTROL) for _ in range(rng.randint(1, 50))),
        lambda: "ignore all previous instructions and " + rng.choice(EN) * 50,
    ]
    return [rng.choice(makers)() for _ in range(count)]


def test_four_hundred_hostile_lines_give_four_hundred_plans():
    lines = hostile_lines()
    plans = [parse_offline(line) for line in lines]
    assert len(plans) == 400
    for line, plan in zip(lines, plans):
        _check(plan)
    # and none needed the last guard: the reader itself answered every line
    for line in lines:
        read_offline(line)


def test_known_crash_keep_the_middle_one_drop_the_rest():
    plan = parse_offline("只要中间那一个，剩下的都删掉")
    assert plan.followup == "refine" and plan.targets[0].select.kind == "center" and plan.targets[0].phrase == ""


def test_parsing_is_fast_once_loaded():
    parse_offline("warm up: the red car on the left, 左边的狗")
    texts = ["segment the dog on the left", "把除了红色以外的气球都选出来", "the second bottle from the right",
             "kiwi. watermelon. blueberry.", "Can you segment the food that tastes spicy and hot?", "帮我选中 laptop 和 phone",
             "mask the workers who are not wearing helmets", "只保留中间那个，其余的去掉"] * 10
    start = time.perf_counter()
    for text in texts:
        parse_offline(text + " ")  # a new string each time: no cache answers
    per_instruction_ms = (time.perf_counter() - start) * 1000 / len(texts)
    assert per_instruction_ms < 50, per_instruction_ms
