"""The prompt syntaxes people paste from other tools: detector class lists (GroundingDINO's `a . b . c .`,
`a, b; c`, `traffic_cone`), `name:count` (ComfyUI's SAM3 node), `[semantic] x` tags and `a <and> b`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from segchat.parser.lexicon import CLOSED_CLASS, JARGON, REQUEST_VERBS, is_bare_verb

TAG = re.compile(r"^\s*\[(?:semantic|instance|panoptic|object|class|label|ref)\]\s*", re.IGNORECASE)
COUNT = re.compile(r"^(?P<name>.*?)\s*:\s*(?P<count>\d{1,4})\s*$")


@dataclass
class ListItem:
    name: str
    count: int | None = None


# another program's call: 'segment(target="hi-vis vest", mode="all")'
TOOL_CALL = re.compile(r"^\s*(?P<verb>[A-Za-z_]\w*)\s*\((?P<args>.*)\)\s*;?\s*$", re.DOTALL)
CALL_ARGUMENT = re.compile(r"(?P<key>[A-Za-z_]\w*)\s*[=:]\s*(?P<q>[\"'])(?P<value>[^\"']*)(?P=q)")
TARGET_KEYS = {"target", "targets", "text", "query", "prompt", "phrase", "object", "objects", "label", "labels", "name",
               "thing", "things", "item", "items", "class",
               "category", "categories", "classes", "concept", "description", "instruction"}


# the keys of another program's request that say how many: '"count": 4', 'max_instances=3'
COUNT_KEYS = {"count", "n", "num", "number", "max", "limit", "k", "top_k", "topk", "max_count", "max_instances",
              "max_objects", "num_instances", "instances"}
# 'task=segment; target="bruised peaches"; output=mask' and '{"action": "segment", "query": "tennis balls"}': keys and
# values, quoted or bare, separated by ';', ',', '&' or new lines (the other keys say what to do or how to answer)
_KEY = r"(?:[A-Za-z_]\w*|[\u4e00-\u9fff]{1,4})"
KEY_VALUE = re.compile(rf"[\"']?(?P<key>{_KEY})[\"']?\s*[=:]\s*(?:(?P<q>[\"'])(?P<quoted>[^\"']*)(?P=q)|"
                       r"(?P<bare>[^\s,;&}\"'][^,;&}\n]*?))\s*(?=[,;&}\n]|$)")
KEY_VALUE_REQUEST = re.compile(rf"^\s*\{{?\s*(?:[\"']?{_KEY}[\"']?\s*[=:]\s*[^,;&\n]+?\s*[,;&\n]\s*)+"
                               rf"[\"']?{_KEY}[\"']?\s*[=:]\s*[^,;&\n]+?\s*\}}?\s*$")
# a request that starts with one target key: 'target=cracked floor tile, all instances', 'targets: a, b'
SINGLE_TARGET_KEY = re.compile(rf"^\s*[\"']?(?P<key>{_KEY})[\"']?\s*[=:]\s*(?P<value>[^=:]+)$")
# the same keys in Chinese: '任务=分割；目标=熟透的芒果；数量=全部'
ZH_TARGET_KEYS = {"目标", "对象", "物体", "类别", "标签", "查询", "目标物", "物品", "名称"}
ZH_COUNT_KEYS = {"数量", "个数", "数目"}


def _pairs_separated(text: str) -> str:
    """Keys and values separated as people and programs write them, with ';': 'Task: segment. Target: "x"',
    'action=segment object=calves count=2', full-width '；' and '，'."""
    text = text.replace("；", ";").replace("，", ",").replace("：", ":")
    text = re.sub(r"^\s*(?:【[^】]{1,8}】|\[[A-Za-z ]{1,12}\])\s*", "", text)  # '【任务】', '[Task]': the message's label
    text = re.sub(rf"\.\s+(?=[\"']?{_KEY}[\"']?\s*:)", "; ", text)
    return re.sub(r"(?<=[^\s;,&])\s+(?=[A-Za-z_]\w*=)", "; ", text)


def _key_value_request(text: str) -> str | None:
    """Another program's request as keys and values, read as a sentence: 'segment 4 tennis balls'; None when the
    text is no such request or names no target."""
    text = _pairs_separated(text)
    single = SINGLE_TARGET_KEY.match(text)
    if single and (single.group("key").lower() in TARGET_KEYS or single.group("key") in ZH_TARGET_KEYS):
        # 'targets: traffic light, stop sign', '类别：破损的纸箱，全部标注': one key, its value the rest of the request
        value = single.group("value").strip()
        return value if re.search(r"[\u4e00-\u9fff]", value) else f"segment {value}"
    if not KEY_VALUE_REQUEST.match(text):
        return None
    pairs = [(m.group("key").lower(), (m.group("quoted") if m.group("q") else m.group("bare")).strip().rstrip("."))
             for m in KEY_VALUE.finditer(text)]
    values = [value for key, value in pairs if (key in TARGET_KEYS or key in ZH_TARGET_KEYS) and value]
    if not values:
        return None
    counts = [value for key, value in pairs if (key in COUNT_KEYS or key in ZH_COUNT_KEYS)
              and re.fullmatch(r"\d{1,4}", value)]
    if any(re.search(r"[\u4e00-\u9fff]", value) for value in values):
        return f"分割{counts[0] + '个' if counts else ''}{'、'.join(values)}"
    return " ".join(["segment", *counts[:1], " and ".join(values)])


def strip_tool_markup(text: str) -> str:
    """'[semantic] hair' -> 'hair'; 'car <and> building' -> 'car and building'; a trailing '(as text=[...])' goes;
    a call 'segment(target="hi-vis vest", mode="all")' is read as its verb and the values of its target arguments,
    and keys and values ('task=segment; target="x"; count=3', a JSON object) as a request for the target's value."""
    call = TOOL_CALL.match(text)
    if call:
        values = [m.group("value") for m in CALL_ARGUMENT.finditer(call.group("args"))
                  if m.group("key").lower() in TARGET_KEYS and m.group("value").strip()]
        if values:
            text = f"{call.group('verb').replace('_', ' ')} {' and '.join(values)}"
    else:
        text = _key_value_request(text) or text
    text = TAG.sub("", text)
    text = re.sub(r"\s*<\s*(and|or)\s*>\s*", r" \1 ", text, flags=re.IGNORECASE)
    text = re.sub(r"\s*\((?:as |e\.g\.|i\.e\.)[^)]*\)\s*$", "", text, flags=re.IGNORECASE)
    return text


def _is_name(piece: str) -> bool:
    """A detector class name: 1-4 words, none of them a function word, a request verb or a bare verb."""
    words = piece.split()
    if not 1 <= len(words) <= 4:
        return False
    return all(re.fullmatch(r"[a-z][a-z'\-]*", w) and w not in CLOSED_CLASS and w not in REQUEST_VERBS
               and w not in JARGON and not is_bare_verb(w) for w in words)


def detector_list(text: str) -> list[ListItem] | None:
    """The items of a pasted class list, or None when `text` is not one (a sentence is never a list).

    A list has at least two items separated by '.', ';' or ',' (or one item with ':count'), and every item is a
    bare name."""
    lowered = text.lower().strip()
    if not re.search(r"[.;]|:\s*\d", lowered):
        return None
    lowered = lowered.replace("_", " ")
    pieces = [p.strip() for p in re.split(r"\s*[.;,]\s*", lowered) if p.strip()]
    items: list[ListItem] = []
    for piece in pieces:
        match = COUNT.match(piece)
        name, count = (match.group("name"), int(match.group("count"))) if match else (piece, None)
        name = " ".join(name.split())
        if not _is_name(name):
            return None
        items.append(ListItem(name, count if count and count <= 1000 else None))
    if len(items) >= 2 or (len(items) == 1 and items[0].count is not None):
        return items
    return None
