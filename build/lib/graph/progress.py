"""Progress events (from the nodes' stream writer) as the one-line text the faces show, in
the seed's form: "🎬 合成视频... (45%) | 预计剩余: 8.2秒". The words are in the 'progress'
catalogue (tools/data/text/<lang>/progress.json)."""

from __future__ import annotations

from typing import Any

from tools import catalog


def progress_text(event: dict[str, Any], lang: str = "zh") -> str:
    """One line for a progress event."""
    lang = "en" if lang == "en" else "zh"  # the faces' default language is Chinese
    stage = str(event.get("stage", ""))
    label = (
        catalog.text(lang, f"progress.{stage}") if stage and catalog.has(lang, f"progress.{stage}") else stage
    )
    if event.get("shot") and event.get("of"):
        label += f" {event['shot']}/{event['of']}"
    line = catalog.text(lang, "progress.line", label=label, percent=float(event.get("percent", 0)))
    eta = event.get("eta")
    if eta:
        line += catalog.text(lang, "progress.eta", eta=float(eta))
    return line
