"""Explanations in the user's language (English and Chinese), from templates: they work offline."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Callable

from segchat.agent.execute import Execution, TargetReport
from segchat.parser.vocabulary import ZH_MODIFIERS, ZH_NOUNS

# the words of a target's sentence, per language: data, so that wording changes and a new language touch no code
WORDS: dict[str, dict] = tomllib.loads(resources.files("segchat.agent").joinpath("explain_words.toml").read_text(
    encoding="utf-8"))
SELECT_EN, SELECT_ZH = WORDS["en"]["selections"], WORDS["zh"]["selections"]
ORDINAL_EN, ORDINAL_ZH = WORDS["en"]["ordinals"], WORDS["zh"]["ordinals"]
RELATION_EN, RELATION_ZH = WORDS["en"]["relations"], WORDS["zh"]["relations"]


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


@dataclass(frozen=True)
class TargetWords:
    """How one target's report is told in one language: the templates of `explain_words.toml` (each filled with
    the fields it names) and the two things no template says, how a phrase and an ordinal are written."""

    label: Callable[[str], str]  # an English phrase as the user reads it
    ordinal_number: Callable[[int], str]
    templates: dict[str, str]
    selections: dict[str, str]
    ordinals: dict[str, str]
    relations: dict[str, str]  # {a}: the anchor as shown

    def say(self, template: str, **fields: object) -> str:
        return self.templates[template].format(**fields)

    def relation(self, kind: str, anchor: str) -> str:
        return self.relations[kind].format(a=f"“{anchor}”")


def _target_words(language: str, label: Callable[[str], str], ordinal_number: Callable[[int], str]) -> TargetWords:
    table = WORDS[language]
    return TargetWords(label=label, ordinal_number=ordinal_number,
                       templates={k: v for k, v in table.items() if isinstance(v, str)},
                       selections=table["selections"], ordinals=table["ordinals"], relations=table["relations"])


TARGET_WORDS = {"en": _target_words("en", lambda phrase: phrase, _ordinal_en),
                "zh": _target_words("zh", label_zh, str)}


def _examples(report: TargetReport, words: TargetWords) -> str:
    """The examples a target was found with: numbered instances kept or left out, and boxes."""
    positives = [words.say("example", i=i) for i, positive in report.examples if positive]
    negatives = [words.say("example", i=i) for i, positive in report.examples if not positive]
    and_ = words.templates["and_"]
    parts = []
    if positives:
        parts.append(words.say("examples_positive", words=and_.join(positives)))
    if negatives:
        parts.append(words.say("examples_negative", words=and_.join(negatives)))
    if report.boxes:
        parts.append(words.say("example_boxes", n=report.boxes, s="es" if report.boxes > 1 else ""))
    return words.say("examples", parts=words.templates["clause_separator"].join(parts)) if parts else ""


def _scores(report: TargetReport, separator: str = ", ") -> str:
    return separator.join(f"#{f.id} {f.score:.2f}" for f in report.selected[:6])


def _quoted(phrases: list[str], words: TargetWords, separator: str) -> str:
    return words.templates[separator].join(f"“{words.label(p)}”" for p in phrases if p)


def _target_name(report: TargetReport, words: TargetWords) -> str:
    target = report.target
    if report.concept:
        return words.say("concept", name=report.concept, phrase=words.label(target.phrase))
    if target.phrase:
        return f"“{words.label(target.phrase)}”"
    return words.say("like_examples" if (report.examples or report.boxes) else "previous")


def _target_found(report: TargetReport, words: TargetWords) -> str:
    """What was looked for and what was found, before the relation, exclusions and selection narrowed it."""
    if report.on_previous:
        return words.say("from_previous", found=report.found)
    text = words.say("looked", name=_target_name(report, words), examples=_examples(report, words),
                     found=report.found)
    if report.recovered_with:
        text += words.say("recovered", words=words.label(report.recovered_with))
    return text


def _target_narrowed(report: TargetReport, words: TargetWords) -> str:
    """How the relation, the exclusions, a second look and the selection narrowed what was found."""
    target, text = report.target, ""
    if target.relation is not None:
        anchor = words.label(target.relation.anchor)
        text += words.say("no_anchor" if report.anchors == 0 else "related", anchor=anchor,
                          relation=words.relation(target.relation.type, anchor), kept=report.relation_kept)
    if report.excluded:
        text += words.say("excluded", n=report.excluded_dropped,
                          words=_quoted(report.excluded, words, "exclusion_separator"))
    if report.verified_dropped:
        text += words.say("verified", n=report.verified_dropped)
    select = target.select
    if select.kind != "all" and (select.ordinal or 1) > 1:
        text += words.say("ordinal", place=words.ordinals[select.kind].format(n=words.ordinal_number(select.ordinal)))
    elif select.kind != "all":
        text += words.say("selected_kind", kind=words.selections[select.kind], n=select.count or len(report.selected))
    elif select.count is not None:
        text += words.say("counted", n=min(select.count, len(report.selected)))
    return text


def _target(report: TargetReport, language: str) -> str:
    """One target's sentence: what was looked for, found and kept, with the kept ones' scores."""
    words = TARGET_WORDS[language]
    if report.on_previous and report.found == 0:
        return words.say("nothing_previous")
    if not report.on_previous and report.found == 0 and report.relation_kept is None:
        # an exemplar alone searched no words: say nothing of what was tried rather than "(tried )"
        tried = _quoted(report.searched, words, "separator")
        return words.say("not_found", name=_target_name(report, words),
                         tried=words.say("tried", words=tried) if tried else "")
    text = _target_found(report, words) + _target_narrowed(report, words)
    if report.selected:
        return text + words.say("scores", scores=_scores(report, words.templates["clause_separator"]))
    return text + words.say("none_left")


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
    lines = [_target(report, "zh" if zh else "en") for report in execution.reports]
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
