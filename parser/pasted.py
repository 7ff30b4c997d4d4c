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
               "category", "categories", "classes", "concept", "description", "instruction"}


def strip_tool_markup(text: str) -> str:
    """'[semantic] hair' -> 'hair'; 'car <and> building' -> 'car and building'; a trailing '(as text=[...])' goes;
    a call 'segment(target="hi-vis vest", mode="all")' is read as its verb and the values of its target arguments."""
    call = TOOL_CALL.match(text)
    if call:
        values = [m.group("value") for m in CALL_ARGUMENT.finditer(call.group("args"))
                  if m.group("key").lower() in TARGET_KEYS and m.group("value").strip()]
        if values:
            text = f"{call.group('verb').replace('_', ' ')} {' and '.join(values)}"
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
