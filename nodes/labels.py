"""Names of the edit operations in both languages, and the one-line description of an edit
that becomes its version's note."""

from __future__ import annotations

from typing import Any

OP_NAMES: dict[str, dict[str, str]] = {
    "zh": {
        "brightness": "亮度",
        "contrast": "对比度",
        "saturation": "饱和度",
        "temperature": "色温",
        "speed": "播放速度",
        "look": "风格",
        "aspect": "画幅",
        "resolution": "分辨率",
        "transition": "转场",
        "subtitles": "字幕",
        "title": "标题/文字",
        "music": "背景音乐",
        "music_off": "关闭音乐",
        "volume": "音乐音量",
        "narration": "旁白",
        "effects": "音效",
        "image": "图片镜头",
    },
    "en": {
        "brightness": "brightness",
        "contrast": "contrast",
        "saturation": "saturation",
        "temperature": "colour temperature",
        "speed": "playback speed",
        "look": "look",
        "aspect": "aspect ratio",
        "resolution": "resolution",
        "transition": "transition",
        "subtitles": "subtitles",
        "title": "title/text",
        "music": "music",
        "music_off": "music off",
        "volume": "music volume",
        "narration": "narration",
        "effects": "sound effects",
        "image": "image shot",
    },
}


def describe(op: str, detail: dict[str, Any], slots: dict[str, Any], lang: str) -> str:
    """'亮度 镜头2 +0.08' / 'brightness shot 2 +0.08': what an edit changed, in one line."""
    lang = lang if lang in OP_NAMES else "en"
    name = OP_NAMES[lang].get(op, op)
    targets = detail.get("targets")
    where = ""
    if targets and not detail.get("all"):
        where = (" 镜头" if lang == "zh" else " shot ") + ",".join(map(str, targets))
    elif targets:
        where = " 全部镜头" if lang == "zh" else " all shots"
    value = detail.get("value")
    if value is None:
        if "amount" in slots:
            value = f"{float(slots['amount']):+.2f}"
        elif slots.get("look"):
            value = slots["look"]
        elif slots.get("text") is not None:
            value = f"“{slots['text']}”"
        elif slots.get("remove"):
            value = "删除" if lang == "zh" else "removed"
    return f"{name}{where}" + (f" {value}" if value not in (None, "") else "")
