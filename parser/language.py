"""Which language the user wrote in, and text normalisation shared by both parsers."""

from __future__ import annotations

import re
import unicodedata

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
LATIN_WORD = re.compile(r"[A-Za-z]+")


ZH_FRAME = re.compile(r"帮我|幫我|请|請|麻烦|麻煩|给我|給我|把|抠|摳|分割|选|選|标出|標出|标记|標記|圈|框|找出|高亮|一下|出来|出來|"
                      r"都|吧|就好|就行|的话|的話|要|不要|别|別|去掉|除了|再|也|只|所有的?|全部的?|怎么|为什么|什么|哪|吗|呢")
# 'can' asks only before who is asked ('can you'): a 'watering can', a 'trash can' are things
EN_FRAME = re.compile(r"\b(?:please|pls|could|can(?= (?:you|u|i|we)\b)|would|you|me|the|segment|select|mask|outline|"
                      r"highlight|find|cut|mark|circle|show|pick|isolate|detect|get|grab|give|except|only|also|all|"
                      r"every|each)\b")
# English words that only an English sentence has: its articles, prepositions and auxiliaries (a verb or a noun
# alone is often code-switched into a Chinese sentence: '帮我 segment 一下 sofa 右边的 floor lamp')
EN_FUNCTION = re.compile(r"\b(?:the|a|an|of|on|in|at|with|and|or|to|that|which|is|are|please|pls|could|"
                         r"can(?= (?:you|u|i|we)\b)|would|you|me|"
                         r"all|every|each|except|only|also|but|from|for|by|this|these|those)\b")


def to_simplified(text: str) -> str:
    import zhconv

    simplified = zhconv.convert(text, "zh-cn")
    # 著 after a verb is the traditional aspect marker 着 ('穿著', '拿著'), which the conversion keeps as 著 (著名)
    return re.sub(r"(?<=[穿戴拿抱握举提叼捧拎牵扛披系躺坐站趴蹲挂放停开飞睡跑走看骑背夹插贴靠围])著", "着", simplified)


# Cantonese (Hong Kong) function words, after the conversion to simplified script: a sentence that has one is read
# with their Mandarin equivalents ('将张相入面啲玻璃樽全部圈出嚟' is '把这张照片里面的玻璃瓶全部圈出来')
CANTONESE_MARKER = re.compile(r"[啲嘅嚟咗唔嗰𠮶喺冇佢哋嘢睇咁啱]|入面")
CANTONESE = [
    # '企喺巴士隔离': to stand (企) at (喺) the bus's side (隔离 / 隔篱 'next door')
    (r"企(?=喺|在)", "站"), (r"隔[离篱]", "旁边"),
    (r"呢(?=啲)", "这"), (r"[嗰𠮶](?=啲)", "那"), (r"(?<=[这那])啲", "些"), (r"(?:^|(?<=[将把晒]))啲", "那些"),
    (r"啲", "的"), (r"嘅", "的"), (r"唔该", "请"), (r"唔好要", "不要"), (r"唔好", "不要"), (r"净系", "只"),
    (r"唔系", "不是"), (r"就系", "就是"), (r"唔啱", "不对"), (r"唔", "不"), (r"咗", "了"),
    (r"嚟", "来"), (r"喺", "在"), (r"冇", "没有"), (r"佢哋", "它们"), (r"佢", "它"), (r"[嗰𠮶]", "那"),
    (r"呢(?=[个只张架部把条件块粒本支对双些])", "这"), (r"(?<![这那一])[张幅]相", "这张照片"), (r"(?<=[这那一])[张幅]相", "张照片"),
    (r"入面", "里面"), (r"出面", "外面"), (r"樽", "瓶"), (r"晒", ""), (r"俾我", "给我"), (r"帮手", "帮忙"), (r"拣", "选"),
    (r"睇", "看"), (r"嘢", "东西"), (r"咁", "这么"), (r"啱", "对"),
]


def cantonese_to_mandarin(text: str) -> str:
    """Simplified-script Cantonese read as Mandarin, function word by function word; other text as it is (晒, 拣, 呢
    are Mandarin words too, so nothing changes without a word that only Cantonese has)."""
    if not CANTONESE_MARKER.search(text):
        return text
    for pattern, mandarin in CANTONESE:
        text = re.sub(pattern, mandarin, text)
    return text


def normalize(text: str) -> str:
    """NFKC (full-width to half-width), no control characters, single spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    # 'the café table', 'a jalapeño': a Latin letter's accent goes, as SA-Co's phrases write them ('cafe table')
    text = re.sub(r"[À-ɏ]", lambda m: unicodedata.normalize("NFKD", m.group(0))[0], text)
    text = SLASH_LIST.sub(lambda m: "、" if CJK.search(text) else " and ", text)
    return " ".join(text.split())


# 'scarf / 手套', '杯子/盘子', 'cats/dogs': a slash between two words lists them ('w/o', 'and/or', '1/2' are no list)
SLASH_LIST = re.compile(r"(?:(?<=[A-Za-z]{2})|(?<=[\u3400-\u9fff]))(?<!\band)(?<!\bw)\s*/\s*(?=[\u3400-\u9fff]|[A-Za-z]{2})"
                        r"(?!or\b)")


def reply_language(text: str) -> str:
    """'zh' when most of the text is Chinese, else 'en'. A Chinese word is about two characters long, so two
    characters weigh as much as one English word ('Please outline the 黑色皮沙发' is English-led)."""
    cjk = len(CJK.findall(text))
    words = len(LATIN_WORD.findall(text))
    if cjk == 0:
        return "en"
    # the language that holds the request's frame (its verb and particles) is the user's; the other one only
    # names objects ('给我框 five 个 hay bales 就好' is Chinese, 'outline the 狮子 and 2 of the 长颈鹿' English)
    zh_frame = bool(ZH_FRAME.search(text))
    en_frame = bool(EN_FRAME.search(text.lower()))
    if zh_frame and not EN_FUNCTION.search(text.lower()):
        return "zh"  # a Chinese sentence with English content words in it
    if zh_frame != en_frame:
        return "zh" if zh_frame else "en"
    return "zh" if cjk / 2 > words else "en"


def is_traditional(text: str) -> bool:
    """Whether Chinese text is written in traditional characters: the conversion to simplified changes it and the
    conversion to traditional does not."""
    import zhconv

    if not CJK.search(text):
        return False
    return zhconv.convert(text, "zh-cn") != text and zhconv.convert(text, "zh-hant") == text


def in_users_script(reply: str, instruction: str) -> str:
    """The reply in traditional characters when the user wrote in them; as it is otherwise."""
    import zhconv

    return zhconv.convert(reply, "zh-hant") if reply and is_traditional(instruction) else reply


# 'segment the cat. actually no, the dog', 'mask the cat... wait, I meant the kitten': the user corrects what they just
# asked for in the same message; what they meant is the request
CORRECTION_EN = re.compile(r"""(?ix)
    ^(?P<first>.*?[a-z0-9]) \s*
    (?: [,.;!…]+ | \s-+ | \s— ) \s*                                  # the first request ends
    (?: (?:actually|wait|sorry|oops|hmm|um|oh) [,.!]* \s+ )*          # a hesitation
    (?: (?:no|nope) [,.!]* \s+ (?: (?:wait|sorry) [,.!]* \s+ )?       # 'no', maybe 'no wait'
        (?: (?:i|i'd) [ ] (?:meant|mean) \s+ | make [ ] (?:it|that) \s+ | rather \s+ )?
      | (?: i [ ] meant | i [ ] mean | make [ ] (?:it|that) ) \s+ )     # or 'I meant' alone
    (?P<second> (?:the|a|an|all|every|those|these|just|only) \b .* )$  # what was meant
""")
CORRECTION_ZH = re.compile(r"""(?x)
    ^(?P<first>.+?) [，,。！!~～\s]+
    (?: (?:不对|错了|哦不|噢不|啊不) [，,。！!\s]* (?:是|应该是|我是说|我要的是)?   # 'no', then maybe 'it is'
      | 我是说 | 应该是 | 我要的是 )
    \s* (?P<second>[^，,。！!]+?) [。！!]*$
""")
ZH_REQUEST_IN = re.compile(r"抠|扣|分割|选|标|圈|框|找|高亮|提取|只要|只留|只保留|去掉|不要")


def keep_the_correction(text: str) -> str:
    """A request corrected within its own message, as the corrected request ('把猫抠出来，不对，是狗' -> '选出狗')."""
    english = CORRECTION_EN.match(text)
    if english and not CJK.search(text):
        return f"select {english.group('second')}"
    chinese = CORRECTION_ZH.match(text)
    if chinese and CJK.search(chinese.group("second")):
        second = chinese.group("second").strip()
        return second if ZH_REQUEST_IN.search(second) else f"选出{second}"
    return text
