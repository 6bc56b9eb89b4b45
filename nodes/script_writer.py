"""The script writer: a new script, revisions that keep the total, and new lengths."""

from __future__ import annotations

from typing import Any

from langgraph.config import get_stream_writer
from langgraph.runtime import Runtime

import prompts
from graph.context import Context
from graph.state import ProjectState, ScriptDraft, last_user_text, version_bump
from tools import llm
from tools.assets import AssetStore, ingest
from tools.lexicon import camera_for, detect_mood
from tools.revise import change_duration, revise
from tools.scripts import DEFAULT_TOTAL, ScriptError, allocate, make_shot, write_script


def _llm_script(request: str, lang: str, total: float, mood: str, model: str) -> dict[str, Any]:
    user = f"<request>\n{request}\n</request>\n<target_seconds>{total}</target_seconds>"
    draft: ScriptDraft = llm.structured(ScriptDraft, model, prompts.load("script_writer"), user)
    durations = allocate([s.duration for s in draft.shots], total)
    shots = [
        make_shot(i + 1, s.shot_type, s.description, s.narration, d)
        for i, (s, d) in enumerate(zip(draft.shots, durations, strict=True))
    ]
    for s in shots:
        s["camera"] = camera_for(s["shot_type"])
    return {
        "title": draft.title,
        "theme": draft.title,
        "story": "llm",
        "synopsis": draft.synopsis,
        "mood": mood,
        "language": lang,
        "duration": total,
        "shots": shots,
        "next_id": len(shots) + 1,
    }


def _create(state: ProjectState, context: Context, text: str, lang: str) -> tuple[dict[str, Any], list[str]]:
    slots = state["intent"]["slots"]
    total = float(slots.get("duration") or DEFAULT_TOTAL)
    mood = slots.get("mood") or detect_mood(text) or "warm"
    notes: list[str] = []
    if context.use_llm and llm.configured():
        try:
            return _llm_script(text, lang, total, mood, context.model), ["llm_writer"]
        except Exception as exc:  # any provider failure falls back to the offline writer
            notes.append(f"llm_fallback:{type(exc).__name__}")
    return write_script(text, lang, total, mood), notes


def script_writer(state: ProjectState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Write or revise the script; the project then waits for approval."""
    context = runtime.context or Context()
    intent = state["intent"]
    text = last_user_text(state)
    lang = state.get("language", "zh")
    writer = get_stream_writer()
    writer({"stage": "script", "percent": 25, "node": "script_writer"})
    try:
        if intent["intent"] == "create":
            script, notes = _create(state, context, text, lang)
            script["request"] = text
            if intent["slots"].get("image"):
                stored = ingest(AssetStore(context.data_dir), intent["slots"]["image"], "images")
                script["shots"][0]["image"] = stored
            change = {"op": "create", "shots": len(script["shots"]), "total": script["duration"]}
            update = version_bump(state, f"create: {script['title']}", new_project=True)
            update["settings"] = {
                "aspect": context.aspect,
                "resolution": context.resolution,
                "fps": context.fps,
                "voice": context.voice if context.voice in ("female", "male") else "female",
                "voice_rate": 1.0,
                "music": script["mood"],
                "music_gain_db": -12.0,
                "captions": True,
                "transition": "cut",
            }
        else:
            current = state["script"] or {}
            if intent["intent"] == "set_duration":
                script, change = change_duration(current, intent["slots"])
            else:
                script, change = revise(current, text, intent["slots"])
            notes = []
            update = version_bump(state, f"{change['op']}")
    except ScriptError as err:
        return {"outcome": {"error": err.code, **err.details}}
    writer({"stage": "script", "percent": 100, "node": "script_writer"})
    rerender = intent["intent"] != "create" and state.get("status") == "rendered"
    update.update(
        script=script,
        status="rendered" if rerender else "awaiting_approval",
        outcome={"kind": "script", "change": change, "rerender": rerender},
        notes=notes,
    )
    if not rerender:
        update.update(render=None, plan=[])
    return update
