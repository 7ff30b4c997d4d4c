"""The offline parser: English, Chinese (simplified and traditional) and mixed instructions to a Plan, no LLM."""

from __future__ import annotations

import re

from segchat.parser.chinese import modifiers_only, translate_noun_phrase
from segchat.parser.english import NUMBER_PATTERN, known_nouns, clean_noun_phrase, fix_typos, number_value, singular_phrase
from segchat.parser.language import CJK, normalize, reply_language, to_simplified
from segchat.contracts.plan import Plan, Relation, Select, Target
from segchat.parser.vocabulary import EN_SYNONYMS, ZH_CLASSIFIERS, ZH_DIGITS

CLARIFY_EN = "What would you like me to segment in the image? Name the objects, e.g. \"the red car on the left\"."
CLARIFY_ZH = "你想在图里分割什么？请说出物体，例如“左边的红色汽车”。"

OFF_TASK_EN = re.compile(
    r"\b(weather|brighter|darker|brightness|contrast|resize|rotate|blur|sharpen|filter|install|download|"
    r"translate|write (a|me|some)|who are you|what are you|how are you|what breed|what kind|what time|"
    r"tell me a joke|tell me what|what'?s in|what is in|caption|describe|upscale|enhance|recolou?r|colou?rize|"
    r"crop (this|the) (photo|image)|ignore (all |any |your |the |previous |prior )*(instructions|rules)|system prompt|"
    r"you are now|pretend (to be|you)|jailbreak)\b")
GREETING_EN = re.compile(r"^\s*(hi|hello|hey|yo|good (morning|evening|afternoon)|thanks|thank you|bye)\b[\s!.,]*(there)?[\s!.]*$")
OFF_TASK_ZH = re.compile(r"(忽略(你的|之前的|所有|以上)?(指令|指示|规则)|系统提示|天气|你是谁|你好|您好|谢谢你|调亮|变亮|亮一点|暗一点|滤镜|旋转|裁剪|安装|下载|翻译|讲个笑话|"
                         r"什么品种|几点|描述一下|写一|美颜|磨皮|调色|修图)")
VAGUE_ZH = re.compile(r"^(把)?(那个|这个|它|这|那)?(弄|搞|处理|整)一?下(吧)?$|^随便(搞|弄|处理)一?下(吧)?$")

EN_SELECT = [
    (r"\b(on|at|to) the (far |very )?left( side| hand side)?\b|\bleft ?most\b|\bfurthest left\b|\bleft one\b|\bleft ones\b", "leftmost"),
    (r"\b(on|at|to) the (far |very )?right( side| hand side)?\b|\bright ?most\b|\bfurthest right\b|\bright one\b|\bright ones\b", "rightmost"),
    (r"\b(in|at) the (very )?(middle|center|centre)\b|\bcentral\b|\bmiddle one\b|\bcenter one\b|\bcentre one\b", "center"),
    (r"\b(highest( up)?|top ?most|at the (very )?top( of [a-z ]+?)?|uppermost|on top)\b|\bthe top one\b", "topmost"),
    (r"\b(lowest( down)?|bottom ?most|at the (very )?bottom( of (the )?[a-z]+)?|flying lowest)\b|\bthe bottom one\b", "bottommost"),
    (r"\b(biggest|largest|big one|bigger one|larger one)\b", "largest"),
    (r"\b(smallest|tiniest|small one|smaller one|littlest)\b", "smallest"),
]
EN_RELATIONS = [
    (r"\bholding\b|\bcarrying\b|\bwith (?:the |a )?(.+?) in (?:her|his|their|its) (?:arms|hands?|mouth)\b", "holding"),
    (r"\bwearing\b|\bdressed in\b|\bin (?=(?:a |the )?(?:[a-z]+ )?(?:raincoat|coat|jacket|shirt|dress|hat|cap|helmet|hoodie|sweater|uniform|suit|t-shirt|vest|scarf)\b)", "wearing"),
    (r"\b(?:to the )?left of\b", "left_of"),
    (r"\b(?:to the )?right of\b", "right_of"),
    (r"\b(?:under(?:neath)?|below|beneath)\b", "below"),
    (r"\babove\b|\bover\b", "above"),
    (r"\b(?:next to|beside|by|near|close to|nearby)\b", "near"),
    (r"\b(?:sitting |standing |lying |resting |placed |parked )?(?:on top of|on|atop)\b(?! the (?:left|right))", "on"),
    (r"\b(?:inside|in|within)\b", "in"),
]

ZH_NUMBER = "(\\d+|[零一两二俩仨三四五六七八九十]+)"
ZH_SELECT = [
    (r"最左边|最左侧|最左面|最左|左边|左侧|左面", "leftmost"),
    (r"最右边|最右侧|最右面|最右|右边|右侧|右面", "rightmost"),
    (r"正中间|中间|中央|正中", "center"),
    (r"最上面|最上方|最顶上|最顶部|最上边|顶上|最高|最上", "topmost"),
    (r"最下面|最下方|最底下|最底部|最下边|底下|最低|最下", "bottommost"),
    (r"最大|最高大|大一点的那|大的那", "largest"),
    (r"最小|最矮小|小一点的那|小的那", "smallest"),
]
ZH_RELATIONS = [
    ("holding", r"(?:手里|手上)?(?:拿着|抱着|握着|举着|提着|叼着)(?P<a>.+?)的"),
    ("wearing", r"(?:戴着|戴了|穿着|穿了|披着|戴|穿)(?P<a>.+?)的"),
    ("left_of", r"(?P<a>[^的，,]+?)(?:的)?(?:左边|左侧|左面)的"),
    ("right_of", r"(?P<a>[^的，,]+?)(?:的)?(?:右边|右侧|右面)的"),
    ("above", r"(?P<a>[^的，,]+?)(?:的)?(?:上方|上空)的"),
    ("below", r"(?P<a>[^的，,]+?)(?:的)?(?:下面|下方|底下|下边|下)的"),
    ("near", r"(?P<a>[^的，,]+?)(?:的)?(?:旁边|附近|边上|旁|隔壁)的"),
    ("on", r"(?P<a>[^的，,]+?)(?:上面|上边|上)的"),
    ("in", r"(?P<a>[^的，,]+?)(?:里面|里边|里头|里|内|中)的"),
]
ZH_VERBS = r"(抠出来|扣出来|抠出|扣出|抠图|抠|分割出来|分割出|分割|选中|选出来|选出|选上|选择|选|标出来|标出|标记|标注|找出来|找出|找到|找|" \
           r"圈出来|圈出|圈起来|高亮显示|高亮|识别|检测|框出来|框出|提取|挑出来|挑出|给我|帮我|帮忙|麻烦你?|请你?|一下|把|将|都|" \
           r"出来|谢谢|吧|呀|啊|呢|了|图片?里面?|图片?中|这张图片?里?|照片里?|画面里?|在图中)"


def _zh_number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if len(text) == 2 and text[0] == "十":
        return 10 + ZH_DIGITS.get(text[1], 0)
    if len(text) == 2 and text[1] == "十":
        return ZH_DIGITS.get(text[0], 0) * 10
    return ZH_DIGITS.get(text) if len(text) == 1 else None


def _alternates(phrase: str) -> list[str]:
    words = phrase.split()
    for size in (2, 1):
        head = " ".join(words[-size:])
        if head in EN_SYNONYMS:
            return [" ".join(words[:-size] + [alt]) for alt in EN_SYNONYMS[head]][:3]
    return []


def _short(phrase: str, limit: int = 80) -> str:
    """At most `limit` characters, cut at a word boundary (a runaway phrase is garbage, not an object name)."""
    phrase = " ".join(phrase.split())
    return phrase if len(phrase) <= limit else phrase[:limit].rsplit(" ", 1)[0][:limit]


def _target(phrase: str, select: Select | None = None, exclude: list[str] | None = None,
            relation: Relation | None = None) -> Target:
    phrase = _short(phrase)
    excluded = [_short(e) for e in exclude or [] if e.strip()][:8]
    return Target(phrase=phrase, alternates=_alternates(phrase) if phrase else [], select=select or Select(),
                  exclude=excluded, relation=relation)


# --------------------------------------------------------------------------------------------- English
def _en_followup(text: str) -> tuple[str, str]:
    patterns = [
        (r"^(?:and |please )?(?:also|add|plus|and also|as well as|include)\b", "add"),
        (r"\b(?:as well|too)\s*(?:please)?[.!]*$", "add"),
        (r"^(?:(?:actually|ok|okay|now|and|then|please)[, ]+)*(?:drop|remove|delete|get rid of|take out|take away|exclude|discard|deselect|lose|forget)\b", "remove"),
        (r"^(?:(?:actually|ok|okay|now|and|then|please)[, ]+)*(?:only|just|keep only|keep just|narrow (?:it )?(?:down )?to|now only|now just)\b(?! (?:select|segment|mask|find|highlight|cut|mark|outline|give|show|detect|get)\b)", "refine"),
        (r"^(?:(?:actually|ok|okay|now|and|then)[, ]+)*keep\b", "refine"),
    ]
    kind, text = _take_first(patterns, text, "new", " ")
    return kind, text.strip()


def _take_first(patterns: list[tuple[str, str]], text: str, default: str, gap: str) -> tuple[str, str]:
    """The name of the first pattern found in `text`, and `text` without the match (joined by `gap`)."""
    for pattern, name in patterns:
        match = re.search(pattern, text)
        if match:
            return name, text[:match.start()] + gap + text[match.end():]
    return default, text


def _en_select(text: str) -> tuple[Select, str]:
    count = None
    kind, text = _take_first(EN_SELECT, text, "all", " ")
    number = re.search(rf"\b{NUMBER_PATTERN}\b(?: of)?", text)
    if number and not re.search(rf"\b{NUMBER_PATTERN}\s*(%|percent|times)", text):
        count = number_value(number.group(1))
        text = text[:number.start()] + " " + text[number.end():]
    elif re.search(r"\b(a|an|any|one)\s+(?!lot)", text) and kind == "all" and re.search(r"\b(just|only|any|random|randomly)\b", text):
        count = 1
    if count is not None and not 1 <= count <= 1000:
        count = None
    if kind != "all" and count is None:
        count = 1
    return Select(kind=kind, count=count), text


def _en_exclusion(text: str) -> tuple[str, list[str]]:
    """Returns (text without the exclusion, excluded adjectives-or-phrases with '{head}' to fill)."""
    excluded: list[str] = []
    match = re.search(r"\b(?:except(?: for)?|excluding|but not|other than|apart from|besides|not including)\b(.+)$", text)
    if match:
        body = re.sub(r"\b(the|a|an|ones?|those|that|which|is|are)\b", " ", match.group(1))
        for part in re.split(r",| and | or ", body):
            part = " ".join(re.findall(r"[a-z][a-z\-']*", part))
            if part:
                excluded.append(part)
        return text[:match.start()], excluded
    match = re.search(r"\b(?:that|which|who)\s+(?:is|are|'s|'re)?\s*(?:not|n't|isn't|aren't)\s+(?:wearing|having|with|holding)\s+(.+)$|\b(?:not wearing|without|with no|no)\s+(.+)$", text)
    if match:
        body = match.group(1) or match.group(2)
        verb = "with" if re.search(r"\b(without|with no|no|having|with)\b", match.group(0)) else "wearing"
        obj = clean_noun_phrase(body)
        if obj:
            excluded.append(f"{{head}} {verb} {obj}")
        return text[:match.start()], excluded
    match = re.search(r"\b(?:that|which|who)\s*(?:isn't|aren't|is not|are not|'s not|'re not)\s+([a-z\-]+)", text)
    if match:
        excluded.append(f"{match.group(1)} {{head}}")
        return text[:match.start()], excluded
    return text, excluded


def _en_relation(text: str) -> tuple[str, Relation | None]:
    for pattern, kind in EN_RELATIONS:
        for match in re.finditer(pattern, text):
            before, after = text[:match.start()], text[match.end():]
            if kind == "holding" and match.groups() and match.group(1):
                anchor = clean_noun_phrase(match.group(1))
                after = ""
            else:
                anchor = clean_noun_phrase(after)
            if not anchor or not clean_noun_phrase(before):
                continue
            return before, Relation(type=kind, anchor=_short(anchor))
    return text, None


def _fill_head(excluded: list[str], head: str) -> list[str]:
    out = []
    for item in excluded:
        if "{head}" in item:
            out.append(item.replace("{head}", head).strip())
        else:
            phrase = singular_phrase(item)
            words = phrase.split()
            head_last = head.split()[-1]
            if words and words[-1] in (head_last, singular_phrase(head_last)):
                out.append(phrase)
            elif len(words) == 1 and words[0] not in ("one", "ones") and item == phrase \
                    and words[0] not in known_nouns():
                # 'except the red one' / 'except the double-decker' -> adjective + head noun
                out.append(f"{phrase} {head}")
            else:
                out.append(phrase)
    return out


def _en_chunk(chunk: str) -> Target | None:
    rest, excluded = _en_exclusion(chunk)
    select, rest = _en_select(rest)
    rest, relation = _en_relation(rest)
    phrase = clean_noun_phrase(rest)
    if not phrase and select.kind == "all" and select.count is None and not excluded:
        return None
    return _target(phrase, select, _fill_head(excluded, phrase) if phrase else [], relation)


def _parse_english(text: str) -> tuple[list[Target], str]:
    text = fix_typos(text.lower())
    text = re.sub(r"[\"“”‘’]", "'", text)
    followup, text = _en_followup(text.strip(" .!?"))
    text = re.sub(r"[.!?;:]+", " ", text)
    has_exclusion = re.search(r"\b(except|excluding|but not|other than|apart from|not|n't|without)\b", text)
    pieces = [text] if has_exclusion else [p for p in re.split(r",\s*(?:and\s+)?|\s+and\s+|\s+&\s+|\s+plus\s+", text) if p.strip()]
    return [t for t in map(_en_chunk, pieces) if t is not None], followup


# --------------------------------------------------------------------------------------------- Chinese
def _zh_followup(text: str) -> tuple[str, str]:
    if re.search(r"^(再|也|还|另外|顺便)?(加上|添加|增加|补上|加)|也(选|抠|分割|标|圈|找|加|要)|也一起|还有|再加|再选|再把", text):
        return "add", re.sub(r"再加上|加上|添加|增加|补上|也|再|还有|另外|顺便", "", text)
    if re.search(r"(去掉|删掉|删除|移除|拿掉|取消|去除|不要了|排除)", text) and not re.search(r"除了|除外", text):
        return "remove", re.sub(r"去掉|删掉|删除|移除|拿掉|取消|去除|不要了|不要|排除", "", text)
    if re.search(r"^(现在)?(只要|只保留|只留下?|只选|仅保留|仅要|就要|只剩)", text):
        return "refine", re.sub(r"^(现在)?(只要|只保留|只留下?|只选|仅保留|仅要|就要|只剩)", "", text)
    return "new", text


def _zh_select(text: str) -> tuple[Select, str]:
    count = None
    kind, text = _take_first(ZH_SELECT, text, "all", "")
    number = re.search(ZH_NUMBER + f"(?:[{ZH_CLASSIFIERS}])", text) or re.search(r"(俩|仨)", text)
    if number:
        value = _zh_number(number.group(1))
        if value:
            count = value
        text = text[:number.start()] + text[number.end():]
    if count is not None and not 1 <= count <= 1000:
        count = None
    if kind != "all" and count is None:
        count = 1
    text = re.sub(f"[那这哪][{ZH_CLASSIFIERS}]|[那这]些|[那这]几", "", text)
    return Select(kind=kind, count=count), text


def _zh_exclusion(text: str) -> tuple[str, list[str], str | None]:
    """(text without the exclusion, excluded fragments, a modifier-free 'wearing'/'with' phrase or None)."""
    patterns = [
        r"除了(?P<x>.+?)(?:以外|之外|外)?的",
        r"[,，]\s*(?:但是?|可是)?(?:不要|不包括|不含|除了|除去)(?P<x>.+?)$",
        r"[,，]\s*(?P<x>.+?)(?:的)?(?:除外|不要|不算|不用|不包括)$",
        r"(?:但是?|可是)(?:不要|不包括)(?P<x>.+?)$",
    ]
    for pattern in patterns:
        match = re.search(pattern, text)
        if match:
            return text[:match.start()] + " " + text[match.end():], [match.group("x")], None
    match = re.search(r"(?:没有?|不)(?P<verb>戴|穿|带|拿|有)着?(?P<x>.+?)的", text)
    if match:
        verb = {"戴": "wearing", "穿": "wearing", "带": "with", "拿": "holding", "有": "with"}[match.group("verb")]
        return text[:match.start()] + " " + text[match.end():], [match.group("x")], verb
    return text, [], None


def _zh_relation(text: str) -> tuple[str, Relation | None]:
    for kind, pattern in ZH_RELATIONS:
        for match in re.finditer(pattern, text):
            anchor_zh = re.sub(ZH_VERBS + "|^[最正]", "", match.group("a"))
            anchor = translate_noun_phrase(anchor_zh) if anchor_zh.strip() else ""
            if not anchor:
                continue
            rest = text[:match.start()] + " " + text[match.end():]
            if not translate_noun_phrase(re.sub(ZH_VERBS, " ", rest)):
                continue
            return rest, Relation(type=kind, anchor=_short(anchor))
    return text, None


def _zh_chunk(chunk: str) -> Target | None:
    chunk, excluded_raw, exclusion_verb = _zh_exclusion(chunk)
    chunk, relation = _zh_relation(chunk)
    select, chunk = _zh_select(chunk)
    phrase = translate_noun_phrase(re.sub(ZH_VERBS, " ", chunk))
    if not phrase and select.kind == "all" and select.count is None:
        return None
    excluded = []
    for fragment in excluded_raw:
        fragment = re.sub(ZH_VERBS + "|[那这][" + ZH_CLASSIFIERS + "]|[那这]几[" + ZH_CLASSIFIERS + "]?", " ", fragment)
        noun = translate_noun_phrase(fragment)
        if exclusion_verb and noun:
            excluded.append(f"{phrase} {exclusion_verb} {noun}")
        elif noun and len(modifiers_only(fragment)) < len(noun.split()) and noun.split()[-1] != phrase.split()[-1] \
                and noun not in modifiers_only(fragment):
            excluded.append(noun)
        else:
            adjectives = modifiers_only(fragment)
            if adjectives and phrase:
                excluded.append(" ".join(adjectives + [phrase]))
            elif noun:
                excluded.append(noun)
    return _target(phrase, select, excluded, relation)


ZH_LEADING_FILLERS = r"(请你?|麻烦你?|帮忙|帮我|给我|一下|图片?[中里上]的?|这张图片?[中里上]?的?|照片[中里上]的?|画面[中里]的?|" \
                     r"\b(?:please|select|segment|cut out|find|mark|highlight|outline|mask|detect)\b)"


def _parse_chinese(text: str) -> tuple[list[Target], str]:
    text = re.sub(r"[。！？!?；;：:“”\"']", " ", text)
    text = re.sub(ZH_LEADING_FILLERS, " ", text)
    followup, text = _zh_followup(text.strip())
    has_exclusion = re.search(r"除了|除外|不要|不包括|没有?戴|没有?穿", text)
    if has_exclusion:
        pieces = [text]
    else:
        pieces = [p for p in re.split(r"和|与|跟|以及|及|、|还有|,|，|&| and ", text) if p.strip()]
    return [t for t in map(_zh_chunk, pieces) if t is not None], followup


# --------------------------------------------------------------------------------------------- both
def _translate_cjk_runs(text: str) -> str:
    """English-led text with Chinese nouns in it: translate each Chinese run in place."""
    def replace(match: re.Match) -> str:
        english = translate_noun_phrase(match.group(0))
        return f" {english} " if english else " "

    return re.sub(r"[\u3400-\u9fff]+", replace, text)


def parse_offline(text: str, history: list[dict] | None = None) -> Plan:
    """Parse one instruction into a Plan without any LLM. `history` is accepted for interface parity."""
    normalized = normalize(text)
    language = reply_language(normalized)
    clarify_text = CLARIFY_ZH if language == "zh" else CLARIFY_EN
    if not normalized or not re.search(r"[A-Za-z\u3400-\u9fff]", normalized):
        return Plan(reply_language=language, clarify=clarify_text)
    simplified = to_simplified(normalized)
    lowered = simplified.lower()
    if OFF_TASK_EN.search(lowered) or GREETING_EN.match(lowered) or OFF_TASK_ZH.search(simplified) \
            or VAGUE_ZH.match(re.sub(r"[\s。！!？?，,]", "", simplified)):
        return Plan(reply_language=language, clarify=clarify_text)
    if language == "zh":
        targets, followup = _parse_chinese(simplified)
    else:
        english = _translate_cjk_runs(simplified) if CJK.search(simplified) else simplified
        targets, followup = _parse_english(english)
    if followup in ("refine", "remove"):
        for target in targets:
            if not target.phrase:
                target.exclude, target.relation = [], None
    if not targets or (followup == "new" and not any(t.phrase for t in targets)):
        return Plan(reply_language=language, clarify=clarify_text)
    return Plan(targets=targets[:8], followup=followup, reply_language=language, clarify=None, source="offline")
