"""Explanations in the user's language (English and Chinese), from templates: they work offline."""

from __future__ import annotations

from segchat.agent.execute import Execution, TargetReport
from segchat.parser.vocabulary import ZH_MODIFIERS, ZH_NOUNS

SELECT_EN = {"leftmost": "leftmost", "rightmost": "rightmost", "topmost": "topmost", "bottommost": "bottommost",
             "largest": "largest", "smallest": "smallest", "center": "most central"}
SELECT_ZH = {"leftmost": "最左边", "rightmost": "最右边", "topmost": "最上面", "bottommost": "最下面",
             "largest": "最大", "smallest": "最小", "center": "最靠中间"}
ORDINAL_EN = {"leftmost": "{n} from the left", "rightmost": "{n} from the right", "topmost": "{n} from the top",
              "bottommost": "{n} from the bottom", "largest": "{n} largest", "smallest": "{n} smallest",
              "center": "{n} closest to the centre"}
ORDINAL_ZH = {"leftmost": "从左数第 {n} 个", "rightmost": "从右数第 {n} 个", "topmost": "从上数第 {n} 个",
              "bottommost": "从下数第 {n} 个", "largest": "第 {n} 大的", "smallest": "第 {n} 小的",
              "center": "离中间第 {n} 近的"}
RELATION_EN = {"on": "on", "in": "in", "near": "near", "holding": "holding", "wearing": "wearing",
               "left_of": "left of", "right_of": "right of", "above": "above", "below": "below"}
RELATION_ZH = {"on": "在{a}上", "in": "在{a}里", "near": "在{a}旁边", "holding": "拿着{a}", "wearing": "戴着/穿着{a}",
               "left_of": "在{a}左边", "right_of": "在{a}右边", "above": "在{a}上方", "below": "在{a}下面"}


def _reverse(table: dict[str, str]) -> dict[str, str]:
    reverse: dict[str, str] = {}
    for chinese, english in table.items():
        best = reverse.get(english)
        # prefer the longer, more explicit word (红色 over 红), then the first listed
        if best is None or (len(chinese) > len(best) and len(chinese) <= 3):
            reverse[english] = chinese
    return reverse


ZH_FOR_NOUN = _reverse(ZH_NOUNS)
ZH_FOR_MODIFIER = _reverse(ZH_MODIFIERS)

# Every word the shapes demo model was trained on (segchat.lab.world draws its scenes; the runtime never imports the
# lab, and tests/test_agent_parts.py checks that the two agree). A phrase with any other word is beyond it.
SHAPES_WORLD_WORDS = frozenset({"red", "green", "blue", "yellow", "purple", "orange", "white", "black",
                                "circle", "square", "triangle", "star", "hexagon", "shape", "object"})
DEMO_NOTE_EN = ("(This is the shapes demo model: it knows only the shapes world — coloured circles, squares, "
                "triangles, stars and hexagons — and finds nothing else. For photos, run SAM3: --model facebook/sam3.)")
DEMO_NOTE_ZH = ("（这是形状演示模型：它只认识形状世界里彩色的圆形、正方形、三角形、五角星和六边形，别的东西都找不到。"
                "要处理照片，请使用 SAM3：--model facebook/sam3。）")


def label_zh(phrase: str) -> str:
    """'red circle' -> '红色圆形' when every word is known, else the English phrase unchanged."""
    if not phrase:
        return phrase
    if phrase in ZH_FOR_NOUN:
        return ZH_FOR_NOUN[phrase]
    words = phrase.split()
    head = ZH_FOR_NOUN.get(words[-1])
    modifiers = [ZH_FOR_MODIFIER.get(w) for w in words[:-1]]
    if head is None or any(m is None for m in modifiers):
        return phrase
    return "".join(modifiers) + head


def display_label(phrase: str, language: str) -> str:
    return label_zh(phrase) if language == "zh" else phrase


def _ordinal_en(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _examples_en(report: TargetReport) -> str:
    positives = [f"#{i}" for i, positive in report.examples if positive]
    negatives = [f"#{i}" for i, positive in report.examples if not positive]
    parts = []
    if positives:
        parts.append(f"with {' and '.join(positives)} as the example")
    if negatives:
        parts.append(f"leaving out what looks like {' and '.join(negatives)}")
    if report.boxes:
        parts.append(f"with {report.boxes} example box{'es' if report.boxes > 1 else ''}")
    return (" (" + ", ".join(parts) + ")") if parts else ""


def _examples_zh(report: TargetReport) -> str:
    parts = []
    positives = [f"{i}号" for i, positive in report.examples if positive]
    negatives = [f"{i}号" for i, positive in report.examples if not positive]
    if positives:
        parts.append("以" + "、".join(positives) + "为样例")
    if negatives:
        parts.append("排除像" + "、".join(negatives) + "那样的")
    if report.boxes:
        parts.append(f"用了 {report.boxes} 个样例框")
    return ("（" + "，".join(parts) + "）") if parts else ""


def _scores(report: TargetReport) -> str:
    return ", ".join(f"#{f.id} {f.score:.2f}" for f in report.selected[:6])


def _target_en(report: TargetReport) -> str:
    target = report.target
    name = f"“{target.phrase}”" if target.phrase else ("objects like the examples" if (report.examples or report.boxes)
                                                       else "the previous result")
    if report.concept:
        name = f"“{report.concept}” (remembered as “{target.phrase}”, with its example)"
    if report.on_previous and report.found == 0:
        return "There is no previous result to narrow down or remove from: ask for some objects first."
    if report.on_previous:
        text = f"From the previous {report.found} instance(s)"
    elif report.found == 0 and report.relation_kept is None:
        tried = ", ".join(f"“{p}”" for p in report.searched if p)
        # an exemplar alone searched no words: say nothing of what was tried rather than "(tried )"
        return f"Found no {name} in the image" + (f" (tried {tried})." if tried else ".")
    else:
        text = f"Looked for {name}{_examples_en(report)}: found {report.found}"
        if report.recovered_with:
            text += f" (nothing matched at first; found them as “{report.recovered_with}”)"
    if target.relation is not None:
        anchor = f"“{target.relation.anchor}”"
        if report.anchors == 0:
            text += f"; found no {anchor} to relate them to, so none is {RELATION_EN[target.relation.type]} it"
        else:
            text += f"; {report.relation_kept} {RELATION_EN[target.relation.type]} {anchor}"
    if report.excluded:
        text += f"; dropped {report.excluded_dropped} that matched " + " / ".join(f"“{e}”" for e in report.excluded)
    if report.verified_dropped:
        text += f"; the VL model rejected {report.verified_dropped} more on a second look"
    if target.select.kind != "all" and (target.select.ordinal or 1) > 1:
        text += "; kept the " + ORDINAL_EN[target.select.kind].format(n=_ordinal_en(target.select.ordinal))
    elif target.select.kind != "all":
        text += f"; kept the {SELECT_EN[target.select.kind]} {target.select.count or len(report.selected)}"
    elif target.select.count is not None:
        text += f"; kept {min(target.select.count, len(report.selected))} as asked"
    if report.selected:
        text += f" ({_scores(report)})."
    else:
        text += "; none is left."
    return text


def _target_zh(report: TargetReport) -> str:
    target = report.target
    name = f"“{label_zh(target.phrase)}”" if target.phrase else ("和样例相似的物体" if (report.examples or report.boxes)
                                                                else "上一轮的结果")
    if report.concept:
        name = f"“{report.concept}”（记住的概念：“{label_zh(target.phrase)}”，带样例）"
    if report.on_previous and report.found == 0:
        return "上一轮没有结果可以缩小或删除：请先说出要分割的物体。"
    if report.on_previous:
        text = f"在上一轮的 {report.found} 个结果中"
    elif report.found == 0 and report.relation_kept is None:
        tried = "、".join(f"“{label_zh(p)}”" for p in report.searched if p)
        return f"图中没有找到{name}" + (f"（试过 {tried}）。" if tried else "。")
    else:
        text = f"查找{name}{_examples_zh(report)}：找到 {report.found} 个"
        if report.recovered_with:
            text += f"（一开始没有匹配，改用“{label_zh(report.recovered_with)}”找到）"
    if target.relation is not None:
        anchor = label_zh(target.relation.anchor)
        condition = RELATION_ZH[target.relation.type].format(a=f"“{anchor}”")
        if report.anchors == 0:
            text += f"；图中没有找到“{anchor}”，所以没有符合“{condition}”的"
        else:
            text += f"；其中 {report.relation_kept} 个{condition}"
    if report.excluded:
        text += f"；去掉了 {report.excluded_dropped} 个" + "/".join(f"“{label_zh(e)}”" for e in report.excluded)
    if report.verified_dropped:
        text += f"；视觉语言模型复核后又去掉了 {report.verified_dropped} 个"
    if target.select.kind != "all" and (target.select.ordinal or 1) > 1:
        text += "；保留" + ORDINAL_ZH[target.select.kind].format(n=target.select.ordinal)
    elif target.select.kind != "all":
        text += f"；保留{SELECT_ZH[target.select.kind]}的 {target.select.count or len(report.selected)} 个"
    elif target.select.count is not None:
        text += f"；按要求保留 {min(target.select.count, len(report.selected))} 个"
    if report.selected:
        text += f"（{_scores(report).replace(',', '，')}）。"
    else:
        text += "；没有剩下的。"
    return text


def outside_the_shapes_world(phrases: list[str]) -> bool:
    """Whether a phrase has a word the shapes world does not have ('cat', 'person')."""
    return any(word not in SHAPES_WORLD_WORDS for phrase in phrases for word in phrase.split())


def beyond_the_demo(reports: list[TargetReport]) -> bool:
    """Whether the shapes demo model cannot have answered this: a target found nothing, or a phrase it searched
    for (its own, an exclusion, an anchor) is outside the shapes world."""
    return any(report.found == 0 or outside_the_shapes_world(
        [*report.searched, *report.target.exclude, report.target.relation.anchor if report.target.relation else ""])
        for report in reports if not report.on_previous)


def explain(execution: Execution, language: str, *, source: str = "offline", fallback_reason: str | None = None,
            clarify: str | None = None, doubt: str | None = None, demo: bool = False) -> str:
    """A short explanation of the turn in `language` ('en' or 'zh'). `demo`: the model is the shapes demo model,
    and an answer it cannot have given says what it knows."""
    zh = language == "zh"
    if clarify:
        return clarify
    lines = [(_target_zh if zh else _target_en)(report) for report in execution.reports]
    total = len(execution.instances)
    if execution.followup == "add":
        lines.append(f"在上一轮的 {execution.previous_count} 个基础上，现在共 {total} 个。" if zh
                     else f"Added to the previous {execution.previous_count}: {total} in all now.")
    elif execution.followup == "refine":
        lines.append(f"从上一轮的 {execution.previous_count} 个缩小到 {total} 个。" if zh
                     else f"Narrowed the previous {execution.previous_count} down to {total}.")
    elif execution.followup == "remove":
        lines.append(f"从上一轮的结果中去掉了 {len(execution.removed)} 个，剩下 {total} 个。" if zh
                     else f"Removed {len(execution.removed)} from the previous result; {total} left.")
    elif len(execution.reports) > 1:
        lines.append(f"合计 {total} 个。" if zh else f"{total} in all.")
    if total == 0 and execution.followup == "new":
        lines.append("没有符合要求的物体。" if zh else "Nothing in the image matches the request.")
    if demo and beyond_the_demo(execution.reports):
        lines.append(DEMO_NOTE_ZH if zh else DEMO_NOTE_EN)
    if doubt:  # the parser's own words for a low-confidence reading
        lines.append(f"（{doubt}）" if zh else f"({doubt})")
    if fallback_reason:
        lines.append(f"（大语言模型不可用：{fallback_reason}；已改用离线解析器。）" if zh
                     else f"(The LLM was not used: {fallback_reason}; the offline parser read the request.)")
    elif source == "offline":
        lines.append("（由离线解析器理解指令，未使用大语言模型。）" if zh
                     else "(The request was read by the offline parser, without the LLM.)")
    return " ".join(lines) if not zh else "".join(lines)


def explain_video(reports, language: str, *, frames: int, tracker: str, source: str = "offline",
                  fallback_reason: str | None = None, doubt: str | None = None, demo: bool = False) -> str:
    """A short explanation of a tracked video in `language` (reports: agent.tracks.TargetTracks). `demo`: as in
    `explain`, when nothing was found or a phrase is beyond the shapes world."""
    zh = language == "zh"
    lines = []
    for report in reports:
        target = report.target
        name = f"“{label_zh(target.phrase)}”" if zh else f"“{target.phrase}”"
        if zh:
            text = f"在 {frames} 帧中跟踪{name}：找到 {report.found} 条轨迹"
            if report.merged:
                text += f"，合并了 {report.merged} 条重复的"
            if target.relation is not None:
                anchor = label_zh(target.relation.anchor)
                text += f"；其中 {report.relation_kept} 条大多数帧里{RELATION_ZH[target.relation.type].format(a=f'“{anchor}”')}"
            if target.exclude:
                text += f"；去掉了 {report.excluded_dropped} 条大多数帧里是" + "/".join(
                    f"“{label_zh(e)}”" for e in target.exclude) + "的"
            if target.select.kind != "all":
                text += f"；按整段平均位置保留{SELECT_ZH[target.select.kind]}的 {len(report.selected)} 条"
            elif target.select.count is not None:
                text += f"；按要求保留 {len(report.selected)} 条"
            text += f"（{'、'.join(f'{t.id}号' for t in report.selected) or '没有剩下的'}）。"
        else:
            text = f"Tracked {name} through {frames} frames: {report.found} track(s)"
            if report.merged:
                text += f", {report.merged} duplicate(s) merged"
            if target.relation is not None:
                text += (f"; {report.relation_kept} {RELATION_EN[target.relation.type]} “{target.relation.anchor}” "
                         "in most of their frames")
            if target.exclude:
                text += f"; dropped {report.excluded_dropped} that were mostly " + " / ".join(
                    f"“{e}”" for e in target.exclude)
            if target.select.kind != "all":
                text += f"; kept the {SELECT_EN[target.select.kind]} {len(report.selected)} over the whole video"
            elif target.select.count is not None:
                text += f"; kept {len(report.selected)} as asked"
            text += f" ({', '.join(f'#{t.id}' for t in report.selected) or 'none left'})."
        lines.append(text)
    if not any(r.selected for r in reports):
        lines.append("视频里没有符合要求的物体。" if zh else "Nothing in the video matches the request.")
    if demo and any(r.found == 0 or outside_the_shapes_world([r.target.phrase]) for r in reports):
        lines.append(DEMO_NOTE_ZH if zh else DEMO_NOTE_EN)
    lines.append(f"（跟踪器：{tracker}）" if zh else f"(Tracker: {tracker}.)")
    if doubt:
        lines.append(f"（{doubt}）" if zh else f"({doubt})")
    if fallback_reason:
        lines.append(f"（大语言模型不可用：{fallback_reason}；已改用离线解析器。）" if zh
                     else f"(The LLM was not used: {fallback_reason}; the offline parser read the request.)")
    elif source == "offline":
        lines.append("（由离线解析器理解指令。）" if zh else "(Read by the offline parser, without the LLM.)")
    return "".join(lines) if zh else " ".join(lines)
