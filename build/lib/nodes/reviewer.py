"""The reviewer and quality gate: computed script scores (with the change against the previous
review), a media review of every render with ffmpeg's analysis, and automatic fixes of the
problems that have one (tools/gate.py), the rest reported with what the user can say."""

from __future__ import annotations

import re
from typing import Any

from langgraph.config import get_stream_writer
from langgraph.runtime import Runtime

import prompts
from graph.context import Context, run_context
from graph.state import ProjectState, last_user_text
from tools import llm
from tools.assets import AssetStore
from tools.gate import gate_round, media_review, open_gate, script_review
from tools.project import Script
from tools.review import score_script


def _critique(script: Script, lang: str, context: Context) -> str | None:
    """With an LLM configured, a short critique of the story in words (numbers stay computed)."""
    if not (context.use_llm and llm.configured()):
        return None
    shots = "\n".join(
        f"{i + 1}. {s['shot_type']}: {s['description']} / {s.get('narration', '')}"
        for i, s in enumerate(script["shots"])
    )
    found = re.search(rf"<{lang}>\s*(.*?)\s*</{lang}>", prompts.load("critique"), re.DOTALL)
    try:
        return llm.chat_text(context.model, found.group(1) if found else "", shots)
    except Exception:  # the critique is an extra; the computed review stands without it
        return None


def reviewer(state: ProjectState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Score the script; review the render made this turn (or asked for) and run the gate."""
    context = run_context(runtime.context)
    script = state.get("script") or {"shots": []}
    settings = state.get("settings") or {}
    render = state.get("render") or {}
    intent = state.get("intent") or {}
    gate, rechecking = open_gate(state.get("gate"))
    scored = score_script(script, str(script.get("request", "")) or last_user_text(state))
    result = script_review(scored, state.get("review") or {}, rechecking)
    update: dict[str, Any] = {}
    rendered_now = state.get("run") or intent.get("intent") == "review"
    if state.get("status") == "rendered" and render.get("path") and rendered_now:
        writer = get_stream_writer()
        writer({"stage": "review", "percent": 10, "node": "reviewer"})
        plan, results = state.get("plan") or [], state.get("shot_results") or {}
        media = media_review(AssetStore(context.data_dir), render, plan, results, script, settings)
        result["measured"] = media["measured"]
        gate, fixed = gate_round(gate, media["problems"], script, settings, intent.get("slots") or {})
        if fixed:
            update.update(script=fixed[0], settings=fixed[1])
        if not gate.get("pending"):
            result["problems"] += media["problems"]
        writer({"stage": "review", "percent": 100, "node": "reviewer"})
    else:
        gate["pending"] = False
    if intent.get("intent") == "review":
        update["outcome"] = {**(state.get("outcome") or {}), "kind": "review"}
        critique = _critique(script, state.get("language", "zh"), context)
        if critique:
            result["critique"] = critique
    result["version"] = state.get("version")
    return {**update, "review": result, "gate": gate}
