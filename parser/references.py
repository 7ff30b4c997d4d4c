"""References to instances of the previous result: exemplars ('more like #2', '找出和2号一样的', 'not like #3') and
named concepts ('remember #2 as the blue widget', '把2号记为零件A').

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
LIKE_EN = re.compile(rf"\b(?P<neg>not|unlike|nothing|none|no more|no|don't want|remove|drop|except|exclude|without|"
                     rf"minus)?\s*(?:any(?:thing)?\s+|the ones?\s+|those\s+|ones?\s+|things?\s+|stuff\s+)?"
                     rf"(?P<cue>like|similar to|same as|the same as|resembling|that looks? like|which looks? like|"
                     rf"looking like|as)\s+(?:the one\s+|that\s+)?(?P<refs>{REF_EN}|\d{{1,5}}\b)"
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
