"""References to instances of the previous result: exemplars ('more like #2', '找出和2号一样的', 'not like #3'),
named concepts ('remember #2 as the blue widget', '把2号记为零件A') and picks by number ('only #2', 'drop #1 and
#3', '把3号去掉': a target with `instances`, follow-up refine or remove).

Encoding (also in prompts/system.md and docs/parser.md): a positive request is a target with the phrase that was
said (usually "") and `exemplars: [{"instance": N, "positive": true}]`, follow-up "new" (or "add" with 'also');
a negative one ('not like #3', '不要像3号那样的') is follow-up "remove" with the same positive reference: "remove
what looks like #3". `positive: false` is left to the LLM backend for 'like #2 but not like #3' in one target.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from segchat.parser.chinese import zh_number

REF_EN = r"(?:#\s*(\d{1,5})|\b(?:number|no\.?|instance|object|mask|item|id)\s*#?\s*(\d{1,5})\b)"
REF_ZH = r"(?:#\s*(\d{1,5})|(\d{1,5}|[一二两三四五六七八九十]{1,3})\s*号)"
# a bare number after 'like' is an instance only where no count reads it: 'like 3 of the lemons', 'like 3 or 4',
# 'like 10 chickens' hedge a count ('more like 2 please' points at #2)
BARE_NUMBER_REF = r"(?!\s*(?:of|or|to|-)\b)(?!\s+(?!(?:please|pls|thanks|this|is|was|as|too|instead)\b)[a-z]+s\b)"
LIKE_EN = re.compile(rf"\b(?P<neg>not|unlike|nothing|none|no more|no|don't want|remove|drop|except|exclude|without|"
                     rf"minus)?\s*(?:any(?:thing)?\s+|the ones?\s+|those\s+|ones?\s+|things?\s+|stuff\s+)?"
                     rf"(?P<cue>like|similar to|same as|the same as|resembling|that looks? like|which looks? like|"
                     rf"looking like|as)\s+(?:the one\s+|that\s+)?(?P<refs>{REF_EN}|\d{{1,5}}\b{BARE_NUMBER_REF})"
                     rf"(?P<more>(?:\s*(?:,|and|or|&)\s*(?:{REF_EN}|\d{{1,5}}\b))*)")
LIKE_ZH = re.compile(rf"(?P<neg>不要|不像|别要|去掉|删掉|移除|排除|除了)?(?:和|跟|与|像|类似|同|如)\s*(?P<refs>{REF_ZH}"
                     rf"(?:\s*(?:和|、|,|，|与|跟)\s*{REF_ZH})*)\s*(?:一样|相似|类似|相同|差不多|那样|这样|似)?")
REMEMBER_EN = re.compile(rf"\b(?:(?:remember|save|store|register|label|tag|mark|keep|memori[sz]e)\s+(?:this\s+)?(?:one\s+)?"
                         rf"(?:{REF_EN}|(\d{{1,5}}))\s+(?:as|to be|under)|(?:call|name)\s+{REF_EN}"
                         rf"(?:\s+as)?)\s+(?P<name>.+)$", re.IGNORECASE)
REMEMBER_ZH = re.compile(rf"(?:把|将|记住)?\s*{REF_ZH}\s*(?:物体|实例|目标|这个)?\s*(?:记为|记作|记成|记住为|叫做|叫作|命名为|"
                         rf"称为|称作|标记为|存为|保存为|当作|当成|叫)\s*(?P<name>.+)$")


@dataclass
class ExemplarRequest:
    instances: list[int]
    negative: bool
    rest: str  # the text without the reference clause (it may name an object: 'cars like #2')


@dataclass
class RememberRequest:
    instance: int
    name: str


def _numbers(text: str, chinese: bool) -> list[int]:
    found = re.findall(r"\d{1,5}|[一二两三四五六七八九十]{1,3}(?=\s*号)" if chinese else r"\d{1,5}", text)
    values = [int(n) if n.isdigit() else zh_number(n) for n in found]
    return [v for v in dict.fromkeys(values) if v and 1 <= v <= 10_000]


def read_exemplars(text: str, chinese: bool) -> ExemplarRequest | None:
    match = (LIKE_ZH if chinese else LIKE_EN).search(text if chinese else text.lower())
    if not match:
        return None
    refs = match.group("refs") + (match.groupdict().get("more") or "")
    instances = _numbers(refs, chinese)
    if not instances:
        return None
    source = text if chinese else text.lower()
    negative = bool(match.group("neg")) or bool(re.search(r"(?:不要|去掉|删掉|移除|排除)$|的(?:都)?(?:不要|去掉|删掉)", source[match.end():]))
    rest = source[:match.start()] + " " + source[match.end():]
    return ExemplarRequest(instances[:16], negative, rest)


def read_remember(text: str, chinese: bool) -> RememberRequest | None:
    match = (REMEMBER_ZH if chinese else REMEMBER_EN).search(text.strip())
    if not match:
        return None
    numbers = [g for g in match.groups()[:-1] if g]
    if not numbers:
        return None
    number = int(numbers[0]) if numbers[0].isdigit() else zh_number(numbers[0])
    name = re.sub(r"^(?:the|a|an|my|our)\s+", "", match.group("name").strip(), flags=re.IGNORECASE)
    name = re.sub(r"[\s.!?。！？,，]+$|\s+(?:please|pls|thanks)$|吧$|了$", "", name).strip(" '\"“”")
    if not number or not 1 <= number <= 10_000 or not name or len(name) > 60:
        return None
    return RememberRequest(number, name)


# a pick by number: the references, the words that keep or drop, and nothing else (what is left over is not read)
DROP_EN = re.compile(r"\b(?:drop|remove|delete|exclude|erase|discard|lose|hide|skip|ignore|deselect|unselect|"
                     r"get rid of|take (?:out|away|off)|leave out|throw (?:out|away)|not|no|without|minus|"
                     r"don't want)\b")
# 'all but #2', 'drop everything except #2', '除了2号都不要': the numbered ones are the exception, so the verb's
# sense flips (keep all but them = drop them; drop all but them = keep them)
BUT_EN = re.compile(r"\b(?:all|everything|every one|everyone|each|the rest|others?)\b.*?\b(?:but|except(?: for)?|"
                    r"other than|apart from|save)\b|\b(?:except(?: for)?|other than|apart from)\b")
BUT_ZH = re.compile(r"除了|除去.*?(?:其他|其余|别的|都|全)|以外|之外")
KEEP_EN = re.compile(r"\b(?:only|just|keep|select|choose|pick|want|use|show|give me|leave|retain|stick with|"
                     r"go with|take|that's it|those|these|ones?|and|the|instances?|objects?|items?|masks?|please|"
                     r"pls|now|then|ok|okay|i|me|us|we|let's|let us|would like|'d like|like to|are|is|fine|good|"
                     r"right|correct|of them|out of|from|those are|it's)\b")
DROP_ZH = re.compile(r"去掉|删掉|删除|去除|移除|排除|除去|拿掉|扔掉|不要|别要|不用|不包括|除了|取消|隐藏|剔除|踢掉")
KEEP_ZH = re.compile(r"只要|只留|只保留|保留|留下|只选|选中|选|要|就|只|把|将|和|跟|与|、|还有|以及|个|的|了|吧|其他|其余|别的|全|"
                     r"请|帮我|给我|一下|就行|就好|可以|都|这几?个|那几?个|实例|物体|目标|编号")
NUMBERED_EN = re.compile(rf"{REF_EN}", re.IGNORECASE)
NUMBERED_ZH = re.compile(REF_ZH)


@dataclass
class InstancePick:
    instances: list[int]
    drop: bool  # True: remove them from the previous result; False: keep only them


def read_instance_pick(text: str, chinese: bool) -> InstancePick | None:
    """'only #2', 'drop #1 and #3', 'keep number 4', '只要2号', '把3号和5号去掉': the numbered instances and whether
    they are kept or dropped; None when the text names no instance by number or says more than the pick (then
    it is not read here)."""
    source = text if chinese else re.sub(r"\bno\s+(?=#)", "not ", text.lower())  # 'no #2': not number 2
    pattern = NUMBERED_ZH if chinese else NUMBERED_EN
    found = [m for m in pattern.finditer(source)]
    if not found:
        return None
    instances = _numbers(" ".join(m.group(0) for m in found), chinese)
    if not instances:
        return None
    rest = pattern.sub(" ", source)
    if re.search(r"[?？]|吗|呢", rest):
        return None  # 'is #2 right?': a question about the answer, not a pick
    drop_words, but_words = (DROP_ZH, BUT_ZH) if chinese else (DROP_EN, BUT_EN)
    drop = bool(drop_words.search(rest))
    if drop and re.search(r"只要|只留|只保留|保留" if chinese else r"\b(?:only|just|keep)\b", rest):
        return None  # 'only #2, not #3': keeps one and drops another, which one target cannot say
    if but_words.search(rest):
        drop = not drop
        rest = but_words.sub(" ", rest)
    leftover = (KEEP_ZH if chinese else KEEP_EN).sub(" ", drop_words.sub(" ", rest))
    leftover = re.sub(r"[\s,，.。!！?？:：;；&+/和、-]+", "", leftover)
    if leftover:  # other words: an object, a position, a question; read elsewhere or not at all
        return None
    return InstancePick(instances[:16], drop)
