"""Progress events (from the nodes' stream writer) as the one-line text the faces show, in
the seed's form: "🎬 合成视频... (45%) | 预计剩余: 8.2秒"."""

from __future__ import annotations

from typing import Any

STAGES = {
    "script": ("📝 编写剧本", "📝 Writing the script"),
    "storyboard": ("🎞 分镜", "🎞 Storyboard"),
    "render": ("🎬 渲染镜头", "🎬 Rendering shots"),
    "assemble": ("🎬 合成视频", "🎬 Assembling the video"),
    "narration": ("🎙 生成旁白", "🎙 Narration"),
    "music": ("🎵 配乐", "🎵 Music"),
    "effects": ("🔊 音效", "🔊 Sound effects"),
    "mix": ("🎚 混音", "🎚 Mixing"),
    "loudness": ("🎚 响度标准化", "🎚 Loudness"),
    "audio": ("🔊 音频完成", "🔊 Audio done"),
    "review": ("📊 评审", "📊 Review"),
}


def progress_text(event: dict[str, Any], lang: str = "zh") -> str:
    """One line for a progress event."""
    zh = lang != "en"
    stage = str(event.get("stage", ""))
    label = STAGES.get(stage, (stage, stage))[0 if zh else 1]
    if event.get("shot") and event.get("of"):
        label += f" {event['shot']}/{event['of']}"
    line = f"{label}... ({float(event.get('percent', 0)):.0f}%)"
    eta = event.get("eta")
    if eta:
        line += f" | 预计剩余: {float(eta):.1f}秒" if zh else f" | about {float(eta):.1f}s left"
    return line
