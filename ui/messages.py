"""What the page says: errors as friendly sentences in the user's language, the banners, and the few fixed texts."""

from __future__ import annotations

from typing import Any, Literal

import gradio as gr

from segchat.contracts.errors import SegchatError
from segchat.parser.language import reply_language

Language = Literal["en", "zh"]

FRIENDLY: dict[str, tuple[str, str]] = {
    "unreadable_image": ("I couldn't read that file as an image. Please send a PNG, JPEG, WebP, GIF, BMP or TIFF.",
                         "这个文件无法作为图片读取。请上传 PNG、JPEG、WebP、GIF、BMP 或 TIFF 图片。"),
    "image_too_large": ("That image is too large for this server. Please send a smaller one.",
                        "这张图片太大了，请上传小一点的图片。"),
    "payload_too_large": ("That file is too large for this server. Please send a smaller one.",
                          "文件太大了，请上传小一点的文件。"),
    "empty_instruction": ("Please tell me what to segment, e.g. “the red circle on the left”.",
                          "请告诉我要分割什么，例如“左边的红色圆形”。"),
    "missing_image": ("Please attach an image first, then tell me what to segment.",
                      "请先上传一张图片，再告诉我要分割什么。"),
    "missing_video": ("Please attach a video first (MP4, WebM, MOV, MKV or GIF), then say what to track.",
                      "请先上传视频（MP4、WebM、MOV、MKV 或 GIF），再说出要跟踪什么。"),
    "unreadable_video": ("I couldn't read that file as a video. Please send an MP4, WebM, MOV, MKV or GIF.",
                         "这个文件无法作为视频读取。请上传 MP4、WebM、MOV、MKV 或 GIF 视频。"),
    "video_too_large": ("That video is too long or too large for this server. Please send a shorter one.",
                        "这个视频太长或太大了，请上传短一点的视频。"),
    "queue_full": ("The server is busy right now. Please try again in a moment.", "服务器正忙，请稍后再试。"),
    "instruction_too_long": ("That instruction is too long. Please say it in fewer words.", "指令太长了，请说得简短一些。"),
    "unauthorized": ("This server needs an API key: open the page as /?api_key=<your key>.",
                     "这个服务器需要 API 密钥：请用 /?api_key=<密钥> 打开页面。"),
    "unknown_instance": ("There is no such number in the last answer. Please use one of the #numbers shown.",
                         "上一轮结果里没有这个编号，请用图上显示的编号。"),
    "unknown_concept": ("I have no remembered concept by that name: see the list above.",
                        "没有记住这个名字的概念，请看上面的列表。"),
    "session_not_found": ("I couldn't find this conversation any more: start a new one.",
                          "找不到这段对话了，请开始新对话。"),
    "no_turn_yet": ("Ask something first: the downloads are those of the last answer.",
                    "请先提问：下载的是最近一次回答的文件。"),
}
MORE_LIKE: dict[Language, str] = {"en": "more like #{n}", "zh": "找出和{n}号一样的"}
NOT_LIKE: dict[Language, str] = {"en": "not like #{n}", "zh": "不要像{n}号那样的"}
DEMO_NOTICE = ("Demo model: a small SAM3 trained here on the shapes world. It knows coloured circles, squares, "
               "triangles, stars and hexagons, nothing else. 演示模型只认识彩色的圆形、正方形、三角形、五角星和六边形。")
OFFLINE_NOTICE = ("Offline parser: no LLM is used to read the instructions (English and Chinese). "
                  "离线解析器：未使用大语言模型。")
CSS = ".notice {background: #fff7e0; border-left: 4px solid #f0a500; padding: 6px 10px; border-radius: 4px}"


def say(language: str, english: str, chinese: str) -> str:
    return chinese if language == "zh" else english


def language_of(text: str, fallback: str = "en") -> Language:
    """The language to answer in: the text's, or `fallback` when there is no text to judge."""
    if text and text.strip():
        return "zh" if reply_language(text) == "zh" else "en"
    return "zh" if fallback == "zh" else "en"


def browser_language(request: gr.Request | None) -> Language:
    """The browser's first language (Accept-Language), for messages that answer no text of the user's."""
    headers = getattr(request, "headers", None) or {}
    accepted = str(headers.get("accept-language", "")).strip().lower()
    return "zh" if accepted.startswith("zh") else "en"


def friendly_error(exc: SegchatError, language: str) -> str:
    """The error as a sentence for the chat: a known code in the user's words, else the error's own message."""
    english, chinese = FRIENDLY.get(exc.code, (f"Sorry, that didn't work: {exc.message}",
                                               f"抱歉，出错了：{exc.message}"))
    return say(language, english, chinese)


def parser_notice(ready: dict[str, Any]) -> str:
    """Who reads the instructions, for this page load. `ready`: the agent's readiness(), asked again at every load,
    since an LLM server can come and go and a local model can fail to load on its first request."""
    where = f" at {ready['llm']}" if ready.get("llm") else ""
    state = str(ready.get("llm_state") or "").replace("_", " ")
    detail = f" ({ready['llm_detail']})" if ready.get("llm_detail") else ""
    if ready["uses_llm"]:
        return f"LLM parser ({ready.get('parser')}{where}): {state}{detail}. 由大语言模型解析指令。"
    if not ready.get("llm"):
        return OFFLINE_NOTICE
    return (f"Offline parser for now: the LLM{where} is {state}{detail}, so the offline parser reads the "
            "instructions. 大语言模型暂不可用，由离线解析器读取指令。")
