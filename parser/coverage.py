"""Whether every word of an instruction is accounted for by its plan: what the offline parser's confidence means.

The grammar reads structure (frame, request verb, selection, count, relation cue, follow-up, exclusion cue) and
leaves the rest to the noun phrase. A content word that is neither structure nor found anywhere in the plan (a
phrase, an alternate, an exclusion, a relation's anchor) is a word the grammar skipped, and a skipped word may have
carried what the user meant ('highlight the tulips but leave out the white ones' read as tulips with the exclusion
'leave'). Such a plan goes out with `confidence: "low"`, whatever the grammar thought of it: the check knows nothing
of the grammar's rules, only of the words, so a rule that misfires is caught by the words it failed to use.
"""

from __future__ import annotations

import functools
import re

from segchat.contracts.plan import Plan
from segchat.parser.chinese import FRAME as ZH_FRAME
from segchat.parser.chinese import OBJECT_PLACEHOLDERS, PICTURE_NAMED, container_measure_words, drop_degree_verbs
from segchat.parser.chinese import HOLDER_ONLY, HOLDER_SENSES, POSTURE_STATES, completed_state, state_word, sure_state
from segchat.parser.chinese import REQUEST_CHARS as ZH_REQUEST_CHARS
from segchat.parser.english import ANSWER_FORM_TAIL, COLOUR_HOMOPHONES, IMAGE_FILE, PICTURE_BY_SCENE
from segchat.parser.chinese import REQUEST_VERBS as ZH_REQUEST_VERBS
from segchat.parser.reading_shape import POSITION_SAID, REMOVE_SAID, shape_doubts
from segchat.parser.vocabulary import PLAIN_MODIFIERS, PLAIN_NOUNS, PLURALIA_TANTUM, ZH_CLASSIFIERS, ZH_NOUNS
from segchat.parser.lexicon import (ACKNOWLEDGEMENT_EN, agent_noun, CLOSED_CLASS, IMAGE_WORDS, INFORMAL_FRAMES, JARGON,
                                    NUMBER_WORDS, ORDINAL_WORDS, REQUEST_VERBS, TASK_LABELS, WANT_VERBS, is_noun,
                                    is_adjective, is_bare_verb, is_participle, lemmas, saco_heads, saco_phrases,
                                    singular)

# words the English grammar reads as structure: never expected in a phrase
EN_STRUCTURE = frozenset(CLOSED_CLASS | REQUEST_VERBS | WANT_VERBS | JARGON | IMAGE_WORDS | INFORMAL_FRAMES
                         | TASK_LABELS | set(NUMBER_WORDS) | set(ORDINAL_WORDS) | ACKNOWLEDGEMENT_EN | set("""
    left right top bottom middle center centre central upper lower leftmost rightmost topmost bottommost uppermost
    highest lowest furthest farthest far closest nearest most very extreme side sides end edge corner hand
    biggest largest smallest tiniest littlest tallest shortest big bigger large larger small smaller little
    holding carrying grasping gripping clutching hugging cradling holds carries hold carry wearing dressed clad wears
    wear sporting
    sitting standing lying resting placed parked perched hanging riding next close front back opposite nearby
    hang hangs hung sit sits sat stand stands stood lie lies flies flying float floats floating
    alongside arms hands mouth paw paws
    except excluding exclude exception apart aside save minus not n't no without leave leaving skip skipping ignore
    ignoring omit omitting counting include including
    also add plus additionally as well too drop remove delete get rid take away discard deselect lose forget ditch
    unselect throw keep narrow limit only just now instead again
    ones everything everyone everybody whoever whomever something stuff thing things items item objects object one
    background rest format file possible asap png coco yolo mode outs respond reply
    jpg jpeg gif bmp tif tiff webp heic rle svg csv txt yo lmao haha quick
    random randomly any whichever kind sort type bunch group pile number lot lots set pair couple dozen
    shown visible seen there here go ahead able fine good great see view
    need needs needed want wanted
    um uh hmm lol pls plz thx ty nah nope naw yep yup wait else
    instance instances occurrence occurrences provided given matter care
    still already completely totally fully slightly really kinda partly partially enough plenty
    """.split()))

# verbs whose every form is the request itself ('separated from the background', 'isolating', 'segmented')
REQUEST_LEMMAS = frozenset(REQUEST_VERBS | {"separate", "segment", "isolate", "highlight", "outline", "select"})
# Chinese structure: frame, request, selection, count, relation, follow-up and exclusion words, particles
ZH_STRUCTURE = ZH_FRAME | ZH_REQUEST_VERBS | OBJECT_PLACEHOLDERS | set(ZH_CLASSIFIERS) | frozenset("""
    请 请你 麻烦 麻烦你 帮 帮我 帮忙 给我 我 你 您 我们 想 我想 想要 要 我要 需要 能 能不能 可以 可不可以 一下 下 把 将 都 吧 呀 啊 呢
    了 哦 嘛 谢谢 谢 出来 出 来 起来 图 图中 图里 图片 照片 画面 图像 里 中 上 这张 张 所有 全部 全都 每个 每一个 每 一些 那些 这些
    那 这 那个 这个 哪 哪个 的 地 得 随便 随意 任意 任选 给 和 也 还 再 就 就行 行 好 只 仅 并 然后 以 格式 坐标 位置 检测框 框
    掩码 分割图 结果 区域 所在 其 它 它们 该 名字 其他 其它 其余 别的 剩下 剩余 余下 物体 东西 物品 对象 目标 一起 一并 同时 全 都给
    左 右 左边 右边 左侧 右侧 左面 右面 最 最左 最右 中间 中央 正中 正中间 正中央 居中 上面 上方 顶部 顶上 下面 下方 底部 底下 上边 下边
    靠左 靠右 最上面 最下面 最大 最小 最高 最低 大 小 高 矮 第 数 从 起 往 边 侧 面 角 个 只 些 几 其中
    旁边 附近 边上 身边 身旁 旁 隔壁 周围 前 前面 后面 前边 后边 对面 里面 里边 里头 内 上空 在 于 离 距离 靠近 挨着 紧挨着 最近
    拿着 抱着 握着 举着 提着 叼着 捧着 拎着 牵着 扛着 戴着 戴了 穿着 穿了 披着 系着 戴 穿 骑着 骑在 手里 手上 嘴里
    停 放 坐 站 躺 挂 趴 蹲 摆 插 贴 落 睡 待 立 泊 靠 晾 堆 叠 摞 飘 浮 游 长 开 骑 着 过 躲 藏 躲着 藏着
    加上 添加 增加 补上 加 另外 顺便 还有 去掉 删掉 删除 移除 拿掉 取消 去除 不要 排除 扔掉 剔除 只要 只保留 只留 只留下 只选
    仅保留 仅要 就要 只剩 只剩下 只看 保留 留下 只需要 现在 那就
    除了 以外 之外 外 除外 除去 不包括 不含 不算 不用 别选 别要 别 不 没 没有 未 但 但是 可是 不过 就可以 可以了 就好 即可
    留 只留 跳 话 的话 吧 哈 嗯 呃 啦 喔 么 噢 哎 嗨 有 带 拿 抱 握 举 提 叼 捧 拎 牵 扛 包括 描 描边 圈选 勾 勾出 框选 标注出 掉 等 等等
    任务 指令 实例 个体 算上 添上 加进来 加进去 刚才 之前 上一轮 上次 答案 当中
    装 安 钉 吊 架 方 好吧 好的 那么 一共 共有 总共 多少
    最高处 最低处 最上处 最下处 最左处 最右处 处 别管 不管 不用管
    算 算进去 算进来 算在内 别算 不要算 不用算
    你好 您好 大家好 哈喽 早上好 早安 中午好 下午好 晚上好 谢谢你 谢谢您
    错 错了 不对 搞错 弄错 搞错了 弄错了
    就是 那个 这个 嗯嗯
    最胖 最壮 胖 壮 我是说 应该是 我要的是 是 正在
    """.split())
_ZH_FUNCTION_TAGS = ("uj", "ul", "uz", "ug", "ud", "y", "e", "o", "c", "p", "r", "m", "q", "x", "w")


# one state said for another material: cloth that is 破 (broken) is torn, a can that is 瘪 (flat) dented
_STATE_KIN = {"torn": "broken", "ripped": "broken", "dented": "flat"}


def _forms(word: str) -> set[str]:
    """The word, its singular and every lemma lemminflect knows: 'cracks' ~ 'cracked' ~ 'crack'."""
    out = {word, singular(word), *([_STATE_KIN[word]] if word in _STATE_KIN else [])}
    for readings in lemmas(word).values():
        out.update(readings)
    return out


def plan_words(plan: Plan) -> set[str]:
    """Every word the plan uses, in all its forms."""
    texts: list[str] = []
    for target in plan.targets:
        texts += [target.phrase, *target.alternates, *target.exclude]
        if target.relation:
            texts.append(target.relation.anchor)
    if plan.remember:
        texts.append(plan.remember.name)
    found: set[str] = set()
    for text in texts:
        for word in re.findall(r"[a-z]+", (text or "").lower()):
            found |= _forms(word)
            found |= _doer_forms(word)
    return found


def _doer_forms(word: str) -> set[str]:
    """'skier' -> the person skiing: the words of what an agent noun stands for (the grammar reads '滑雪的人' so)."""
    for verb in (word[:-2], word[:-3], word[:-1]):
        if len(verb) > 2 and word.endswith("r") and agent_noun(verb + "ing") == word:
            return {"person", *_forms(verb + "ing")}
    return set()


def _accounted(word: str, used: set[str], said: frozenset[str] = frozenset()) -> bool:
    if PLAIN_NOUNS.get(singular(word)) in used or PLAIN_MODIFIERS.get(word) in used:
        return True  # 'the guy' read as 'man', 'stripy' as 'striped'
    # a word may be a slip or a kin of a used one ('bannanas', 'safe' of 'safety'), unless that one was said as
    # written: it stands for itself then ('peeled' and 'peeler' in one request are two words)
    return bool(_forms(word) & used) or (any(
        len(word) > 3 and u.startswith(word[:-1]) and len(u) <= len(word) + 3 for u in used
        if u[:1] == word[:1] and u not in said))


def unaccounted_english(text: str, used: set[str]) -> list[str]:
    """Content words of an English text (lower case, typos fixed) that the plan never used."""
    out = []
    text = re.sub(r"\b\d+(?:st|nd|rd|th)\b", " ", text.lower())
    text = re.sub(r"(?<=[a-z])\((s|es)\)", r"\1", text)  # 'box(es)': the plural left optional
    text = re.sub(PICTURE_BY_SCENE, " ", text)  # 'in this construction site photo': where to look
    text = IMAGE_FILE.sub(" ", text)  # 'in cam3_0087.jpeg': the picture by its file name
    text = ANSWER_FORM_TAIL.sub(" ", text.rstrip(" .!?"))  # '… and send back the binary masks': the answer's form
    # 'at the top of the screen': the frame a position is taken in, read with the position
    text = re.sub(r"\b(top|bottom|middle|center|centre|left|right|edge|side) of (?:the |this |that )?[a-z]+", r"\1", text)
    said = frozenset(re.findall(r"[a-z]+", text))
    for token in re.findall(r"[a-z]+(?:'[a-z]+)?", text):
        token = re.sub(r"'(?:s|d|ll|m|re|ve)$", "", token)
        if token in EN_STRUCTURE or len(token) < 2 or _accounted(token, used, said - {token}):
            continue
        if any(lemma in REQUEST_LEMMAS for readings in lemmas(token).values() for lemma in readings):
            continue
        if token.endswith("ing") and is_participle(token):
            continue  # 'the kite flying the highest': what the object is doing, which SAM3's phrases leave out
        out.append(token)
    return out


def unaccounted_chinese(text: str, used: set[str]) -> list[str]:
    """Chinese words (jieba) whose translation the plan never used; a word no dictionary has counts as unused."""
    from segchat.parser.zh_lexicon import cedict_senses, join_split_words, split_unknown, translate_word, words

    out = []
    kept = []
    for run in text.split():  # the Chinese runs of the text, each as it was written between other scripts
        if len(run) > 1 and _read_whole(run, used):
            continue  # 'mask all the 牛角包': read whole (croissant), though jieba would split it (牛角 horn + 包 bag)
        kept.append(run)
    text = container_measure_words(PICTURE_NAMED.sub(" ", " ".join(kept)))  # '这幅简笔画里的': the picture
    text = re.sub(r"正(?=中央|中间|中心|中|上方|下方|前方|后方|对面|左边|右边|上面|下面)", " ", text)  # '正中央': 正 intensifies
    segmented = join_split_words(words(drop_degree_verbs(text)))
    for index, (word, tag) in enumerate(segmented):
        if _part_after_noun(segmented, index):
            if not any(_accounted(w, used) for sense in _part_senses(word) for w in sense.split()):
                out.append((index, word))  # '纸条' read as 'paper': the strip of it dropped as a measure word
            continue
        if not re.search(r"[\u3400-\u9fff]", word) or word in ZH_STRUCTURE or tag in _ZH_FUNCTION_TAGS:
            continue
        if all(ch in ZH_STRUCTURE for ch in word):
            continue  # '左边那' glued by jieba: every character structure
        if tag.startswith("v") and word[0] in ZH_REQUEST_CHARS:
            continue  # '选取', '分隔', '标注出': a request verb the lists do not have
        found = translate_word(word, tag)
        readings = [found] if found else []
        readings += split_unknown(word) if len(word) > 1 else []  # '戴帽子': 'hat' is in 'person wearing hat'
        done = completed_state(word[0]) if len(word) <= 2 and word[1:] in ("", "过", "了") else None
        if done and sure_state(done):
            readings.append(("mod", done))  # '洗过的': washed, a state SAM3's phrases name
        verb_only = len(word) >= 2 and cedict_senses(word) and all(x.startswith("to ") for x in cedict_senses(word))
        state = state_word(word) if verb_only else None
        if state:
            readings.append(("mod", state))  # '跑步的人': running, which 'runner' stands for
        if word.removesuffix("着") in POSTURE_STATES:
            readings.append(("mod", POSTURE_STATES[word.removesuffix("着")]))  # '亮着的': lit
        # '瑜伽垫': a bound character read as its noun's head in another of its senses ('mat')
        if tag == "zg":
            readings += [("noun", sense) for sense in cedict_senses(word) if " " not in sense]
        # a word of ours in another of its dictionary's senses, which the reading chose for the scene ('带扶手的'
        # after a chair: 'armrest', not 'handrail'; a rider's 安全帽: a 'safety helmet')
        elif word in ZH_NOUNS and len(word) >= 2:
            readings += [("noun", sense) for sense in cedict_senses(word) if not sense.startswith("to ")]
        english = " ".join(reading[1] for reading in readings if reading)
        if not english or not any(_accounted(w, used) for w in re.findall(r"[a-z]+", english.lower())):
            out.append((index, word))
    return _joined_words_read_whole(out, used)


def _part_after_noun(segmented: list[tuple[str, str]], index: int) -> bool:
    """A measure word right after a noun ('纸条', '面包片', '木头块'): no number or demonstrative before it, so it
    counts nothing and names a part or a form of the noun ('strip', 'slice', 'block'), a word the plan must use."""
    word, tag = segmented[index]
    if len(word) != 1 or word not in ZH_CLASSIFIERS or index == 0 or not tag.startswith(("q", "n", "zg")):
        return False
    before, before_tag = segmented[index - 1]
    return before_tag.startswith("n") and len(before) > 1 and before not in ZH_STRUCTURE


def _part_senses(word: str) -> list[str]:
    """What a measure word after a noun may name: a holder's word ('rack', 'stand'), ours, or a dictionary's noun."""
    from segchat.parser.zh_lexicon import cedict_senses

    return [HOLDER_ONLY.get(word, ""), ZH_NOUNS.get(word, ""), *HOLDER_SENSES.get(word, ()),
            *(sense for sense in cedict_senses(word) if not sense.startswith("to "))]


def _read_whole(word: str, used: set[str]) -> bool:
    """Whether the dictionary's word for `word` as one noun is used by the plan, every English word of it."""
    from segchat.parser.zh_lexicon import translate_word

    whole = translate_word(word, "n")
    return bool(whole) and all(_accounted(w, used) for w in re.findall(r"[a-z]+", whole[1].lower()))


def _joined_words_read_whole(unused: list[tuple[int, str]], used: set[str]) -> list[str]:
    """The unused words, less two neighbours that make one dictionary word the plan used ('牛角' + '包' is 牛角包,
    croissant: jieba split a word the reading took whole)."""
    out: list[str] = []
    position = 0
    while position < len(unused):
        index, word = unused[position]
        if position + 1 < len(unused) and unused[position + 1][0] == index + 1 \
                and _read_whole(word + unused[position + 1][1], used):
            position += 2
            continue
        out.append(word)
        position += 1
    return out


def unaccounted_words(text: str, plan: Plan) -> list[str]:
    """Words of `text` (normalised, simplified) that no part of `plan` accounts for."""
    if plan.clarify:
        return []
    used = plan_words(plan)
    latin = re.sub(r"[\u3400-\u9fff]+", " ", text)
    if len(plan.targets) > 1:
        # 'the red helmets and the blue helmets separately': several targets are several answers already
        latin = re.sub(r"\b(?:separately|individually|respectively|each on (?:its|their) own)\b", " ", latin)
    chinese = " ".join(re.findall(r"[\u3400-\u9fff]+", text))
    return unaccounted_english(latin, used) + (unaccounted_chinese(chinese, used) if chinese else [])


# words that steer a request and never name an object: in a phrase they mean a rule misread the sentence
# (a negation inside a phrase, 'cup not glass', is an exclusion the grammar did not read as one)
CUE_WORDS = frozenset("""skip leave ignore except excluding exclude remove drop keep add only just also together equal
rid omit unless besides not never without isn't aren't""".split())
EN_COUNT = re.compile(r"\b(?:[2-9]|[1-9]\d{1,2}|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|"
                      r"couple|pair)\b(?!\s*(?:st|nd|rd|th|%|percent|o'clock|years?|months?|days?|hours?|minutes?)\b)")
ZH_COUNT = re.compile(r"(?<![第那这几每])(?!十字|三脚架|三轮|三角|三明治|四驱|两栖|八爪)[两二俩仨三四五六七八九十]+"
                      r"(?=[\u4e00-\u9fff]|\s+of\b)|(?<![第\d])\d{1,3}\s*(?=[个只条把辆台根块张"
                      r"本瓶件头匹位棵朵片艘架颗支枚粒串盒袋杯碗罐套双副对])")


# the request's own words and the keys of another program's request: no object is named so
# ('goal', 'job' and 'input' of TASK_LABELS may be objects: a football goal)
REQUEST_OR_KEY_WORDS = frozenset(TASK_LABELS - {"goal", "job", "input"} | set("""segment segmentation select detect
locate isolate extract highlight action target targets output count query mode format need want wanna""".split()))
# the request's own nouns: a mask is an object only as the head ('face mask'), never before another word
REQUEST_NOUNS = frozenset("mask masks masking segmentation outline outlines cutout cutouts".split())
SIDE_WORDS = frozenset("left right middle".split())
# colours that name no object of their own ('orange', 'gold' and 'silver' do)
PLAIN_COLOURS = frozenset("red green blue yellow purple white black gray grey pink brown beige navy".split())
# words of a position: in an anchor they mean a selection was read as the place ('window on top')
POSITION_WORDS = frozenset("left right middle top bottom center centre side upper lower leftmost rightmost topmost "
                           "bottommost".split())
_SCENE_PICTURE_ZH = re.compile(r"(?P<scene>[\u4e00-\u9fff]{1,6}?)(?:的)?(?:照片|相片|图片|截图|截屏|航拍图?|画面|主图|监控)")


EVERYTHING_BUT = re.compile(r"""(?x)
    \b (?: everything | anything | all[ ]of[ ](?:it|this) | every[ ]?thing (?:[ ]else)? ) \s* ,? \s*
    (?: except | but | apart[ ]from | other[ ]than | besides | excluding ) \b
  | (?: ^ | [，,\s] ) (?: 除了 [^，,]+ (?:以外|之外)? [，,]? \s* ) (?:其他|其它|别的)? (?:东西|物体|所有东西|一切) (?:都|全)
""")


AT_LEAST = re.compile(r"[\d一两二俩三四五六七八九十][个只条把辆台根块张本瓶件头匹位棵朵片艘架颗支]?以上|至少|最少|不少于|\bat least\b|"
                      r"\bor more\b|\bmore than\b")


@functools.lru_cache(maxsize=1)
def _OUR_OBJECT_NAMES() -> frozenset[str]:  # noqa: N802 - a constant, built once it is asked for
    return frozenset(ZH_NOUNS.values())


def structural_doubts(text: str, plan: Plan) -> list[str]:
    """What the words say that the plan's structure does not hold: a count said and none taken, a target that is
    only a selection beside named ones, a steering word inside a phrase."""
    doubts: list[str] = []
    if plan.clarify:
        return doubts
    lowered = text.lower()
    said_count = EN_COUNT.search(lowered) or ZH_COUNT.search(text)
    if said_count and not any(t.select.count not in (None, 1) or t.select.ordinal for t in plan.targets):
        doubts.append(f"the count '{said_count.group(0).strip()}' is in no target")
    named = [t for t in plan.targets if t.phrase]
    if plan.followup == "new" and named and len(named) < len(plan.targets):
        doubts.append("a selection with no object of its own beside named targets")
    counted: dict[tuple[str, str], set] = {}
    for target in plan.targets:
        if target.phrase and not target.relation and not target.exclude and not target.select.ordinal:
            counted.setdefault((target.phrase, target.select.kind), set()).add(target.select.count)
    for (phrase, _), counts in counted.items():
        if len(counts) > 1:
            # 'ten chickens …, four of them': one noun with two counts is a count said twice, one of them context
            doubts.append(f"the same object read as two targets with different counts: {phrase}")
    if AT_LEAST.search(lowered):
        # '3个以上的苹果', 'at least two cups': a count with 'or more', read as the count itself
        doubts.append("a count said as 'or more', read as that count")
    if EVERYTHING_BUT.search(lowered):
        # 'everything except the cups': what to find is everything else, which no phrase names
        doubts.append("an exclusion from everything, with no object to find named")
    scenes = _scene_phrases(text)
    for target in plan.targets:
        words = target.phrase.split()
        if target.phrase and target.phrase in scenes:
            # '工地照片' read as 'construction site' with 照片 dropped: the picture named by its scene, no object
            doubts.append(f"the picture's scene read as an object: {target.phrase}")
        if set(words[:-1]) & REQUEST_NOUNS:
            doubts.append("a request word read as part of an object: " + target.phrase)
        anchor = target.relation.anchor.split() if target.relation and target.relation.anchor else []
        if set(anchor) & POSITION_WORDS or re.search(r"\b(?:on top|at the bottom|in the middle)\b", target.phrase):
            doubts.append("a position word read as part of an object or an anchor: "
                          + (" ".join(anchor) if set(anchor) & POSITION_WORDS else target.phrase))
        cues = set(words) & CUE_WORDS
        if cues:
            doubts.append("a steering word read as part of an object: " + " ".join(sorted(cues)))
        requests = set(words) & REQUEST_OR_KEY_WORDS
        if requests:
            # 'task segment', 'count': another program's keys or the request itself, read as an object
            doubts.append("a request word or a key name read as part of an object: " + " ".join(sorted(requests)))
        verbs = [w for w in words[:-1] if w in COLOUR_HOMOPHONES or _simple_past(w)]
        if verbs:
            # 'read peppers' with no determiner before it, 'the grew plants': a verb's form where a modifier stands
            doubts.append("a verb form read as part of an object: " + " ".join(verbs))
        if len(words) == 1 and (words[0] in PLAIN_COLOURS or (words[0] not in saco_heads() and lemmas(words[0])
                                                               and "NOUN" not in lemmas(words[0]))):
            # 'the rusty ones', 'something cool': a quality with no object, read as the object
            doubts.append(f"a quality read as the object: {target.phrase}")
        if target.phrase in ("back", "front", "background", "foreground"):
            # 'the ones in the back': a depth in the picture, which no selection says, read as the object
            doubts.append(f"a place in the picture read as the object: {target.phrase}")
        plural_inside = [w for w, after in zip(words, words[1:]) if singular(w) != w and w not in PLURALIA_TANTUM
                         and f"{w} {after}" not in saco_phrases() and not w.endswith("ss")]
        # 'christmas stocking', 'yellow warning sign': one name in our vocabulary, with or without modifiers before it
        named_by_us = any(" ".join(words[start:]) in _OUR_OBJECT_NAMES() for start in range(len(words) - 1))
        if not named_by_us and (plural_inside or any(w.endswith("ing") and is_bare_verb(w[:-3]) for w in words[1:-1])):
            # 'picture frames hanging wall': two noun phrases and a verb between them, read as one phrase
            doubts.append(f"two phrases read as one: {target.phrase}")
        if words and (words[-1] in SIDE_WORDS or re.search(r"\b(?:left|right) side\b", target.phrase)):
            # 'capsule right', 'right side forklift': a position no noun ends with, so a selection misread
            doubts.append(f"a position word read as part of an object: {target.phrase}")
    return list(dict.fromkeys(doubts + shape_doubts(text, plan)))


def _simple_past(word: str) -> bool:
    """'blew', 'grew', 'ran': a verb's past that is no adjective and no participle in -ed / -en / -ing."""

    verbs = lemmas(word).get("VERB", ())
    return bool(verbs) and word not in verbs and not lemmas(word).get("NOUN") and not is_adjective(word) \
        and not word.endswith(("ed", "en", "ing", "wn", "t"))


def _scene_phrases(text: str) -> set[str]:
    """The English of what is named right before a word for the picture ('工地照片' -> 'construction site', 'kitchen
    photo' -> 'kitchen')."""
    from segchat.parser.zh_lexicon import translate_word, words

    out = {m.group(1) for m in re.finditer(r"\b([a-z]+(?: [a-z]+)?) (?:photo|pic|picture|image|shot|footage|screenshot|"
                                            r"feed|cam|camera)s?\b", text.lower())}
    out |= {m.group(1).split()[-1] for m in re.finditer(r"\b([a-z]+(?: [a-z]+)?) (?:photo|pic|picture|image|shot|"
                                                          r"footage|screenshot|feed|cam|camera)s?\b", text.lower())}
    for match in _SCENE_PICTURE_ZH.finditer(text):
        pieces = words(match.group("scene"))
        if pieces:
            found = translate_word(*pieces[-1])
            if found:
                out.add(found[1])
    return out


def names_object(word: str) -> bool:
    """Whether a skipped word could name an object: an English noun, or a Chinese word read as one (an unknown
    Chinese word is read from its pieces)."""
    if not re.search(r"[\u3400-\u9fff]", word):
        return is_noun(word) or not lemmas(word)
    from segchat.parser.zh_lexicon import cedict_senses, split_unknown, translate_word

    senses = cedict_senses(word)
    if senses and all(sense.startswith("to ") for sense in senses):
        return False  # a verb ('压缩', to compress): what to do, not what to find
    found = translate_word(word)
    return (found is not None and found[0] == "noun") or (found is None and any(
        kind == "noun" for kind, _ in split_unknown(word)))


def says_a_selection(text: str) -> bool:
    """Whether a request says which ones or how many ('最上面那两个不要了', 'the two on the left') or to take some away:
    read as nothing, such a request was not read, whatever its nouns."""
    lowered = text.lower()
    return bool(POSITION_SAID.search(lowered) or REMOVE_SAID.search(lowered) or EN_COUNT.search(lowered)
                or ZH_COUNT.search(text))


def names_quality(word: str) -> bool:
    """Whether a skipped word names a quality an object can have (a colour, a material, a state): a request that
    says one and is read as nothing was not read ('只留下红色的', 'only keep the rusty ones')."""
    if not re.search(r"[\u3400-\u9fff]", word):
        return word in PLAIN_COLOURS or (is_participle(word) and "NOUN" not in lemmas(word))
    from segchat.parser.zh_lexicon import translate_word

    bare = re.sub(r"的$", "", word)
    found = translate_word(bare)
    return found is not None and found[0] == "mod"

