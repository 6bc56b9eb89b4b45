"""The script writer: a new script (an LLM's draft when one is configured, else the offline
writer), revisions that keep the total, and new lengths; an unrendered script gets its
storyboard strip."""

from __future__ import annotations

from typing import Any

from langgraph.config import get_stream_writer
from langgraph.runtime import Runtime

import prompts
from graph.context import Context, run_context
from graph.state import ProjectState, ScriptDraft, last_user_text, version_bump
from tools import llm, policy
from tools.assets import AssetStore, ingest
from tools.drawing import annotate
from tools.errors import RequestError
from tools.project import Script, Settings, new_settings
from tools.replies import note, undrawn_notes, version_note
from tools.review import subjects_shown
from tools.revise import change_duration, revise
from tools.sheet import storyboard_strip
from tools.tts import GENDERS
from tools.writing import requested_length_and_mood, required_subjects, script_from_draft, write_offline


def script_texts(script: Script) -> list[str]:
    """Every text of a script that reaches the screen or the narration."""
    texts = [str(script.get("title") or ""), str(script.get("synopsis") or "")]
    for shot in script.get("shots", []):
        texts += [str(shot.get(k) or "") for k in ("description", "narration", "caption", "title", "text")]
    return [t for t in texts if t]


def _llm_script(request: str, lang: str, total: float, mood: str, model: str) -> Script:
    user = f"<request>\n{request}\n</request>\n<target_seconds>{total}</target_seconds>"
    draft: ScriptDraft = llm.structured(ScriptDraft, model, prompts.load("script_writer"), user)
    shots = [(s.shot_type, s.description, s.narration, s.duration) for s in draft.shots]
    return script_from_draft(draft.title, draft.synopsis, shots, lang, total, mood)


def _draft(text: str, lang: str, slots: dict[str, Any], context: Context) -> tuple[Script, list[str]]:
    """A new script for the request, by the LLM when one is configured, and notes."""
    total, mood = requested_length_and_mood(text, slots)
    if context.use_llm and llm.configured():
        try:
            script = _llm_script(text, lang, total, mood, context.model)
        except Exception as exc:  # any provider failure falls back to the offline writer
            return write_offline(text, lang, total, mood), [f"llm_fallback:{type(exc).__name__}"]
        refused, checked = policy.review(script_texts(script))
        if refused:  # the model wrote what the policy refuses: the offline writer writes it
            return write_offline(text, lang, total, mood), [f"llm_draft_refused:{refused.category}", *checked]
        wanted = required_subjects(text, lang)
        missing, _ = subjects_shown(script["shots"], wanted)
        if missing:  # a draft that leaves out what was asked for is not accepted
            return write_offline(text, lang, total, mood), [
                note("llm_draft_rejected", missing="、".join(missing))
            ]
        script["subjects"] = wanted
        return script, ["llm_writer"]
    return write_offline(text, lang, total, mood), []


def _create(state: ProjectState, context: Context, text: str) -> tuple[Script, list[str]]:
    """A new script for the request (with an attached picture as its first shot), and notes."""
    slots = state["intent"]["slots"]
    script, notes = _draft(text, state.get("language", "zh"), slots, context)
    script["request"] = text
    if slots.get("image"):
        _picture_of(script, script["shots"][0]["id"], slots, context)
    return script, notes


def _picture_of(script: Script, shot_id: str, slots: dict[str, Any], context: Context) -> None:
    """The attached picture stored as a shot's image: a drawing, its animated element."""
    shot = next(s for s in script["shots"] if s["id"] == shot_id)
    if slots.get("sketch"):
        shot["image"] = {**ingest(AssetStore(context.data_dir), slots["image"], "sketches"), "kind": "sketch"}
    else:
        shot["image"] = ingest(AssetStore(context.data_dir), slots["image"], "images")


def _new_settings(context: Context, mood: str, aspect: str | None = None) -> Settings:
    """A new project's settings: the run's format and voice over the defaults, its mood's music."""
    voice = {"voice": context.voice} if context.voice in GENDERS else {}
    return new_settings(
        aspect=aspect or context.aspect, resolution=context.resolution, fps=context.fps, music=mood, **voice
    )


def script_writer(state: ProjectState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Write or revise the script; the project then waits for approval."""
    context = run_context(runtime.context)
    intent = state["intent"]
    text = last_user_text(state)
    writer = get_stream_writer()
    writer({"stage": "script", "percent": 25, "node": "script_writer"})
    try:
        if intent["intent"] == "create":
            script, notes = _create(state, context, text)
            change = {"op": "create", "shots": len(script["shots"]), "total": script["duration"]}
            lang = state.get("language", "zh")
            update = version_bump(state, version_note(change, script, lang), new_project=True)
            update["settings"] = _new_settings(context, script["mood"], intent["slots"].get("aspect"))
            if intent["slots"].get("aspect"):
                notes = [*notes, note("aspect_from_request", aspect=update["settings"]["aspect"])]
        else:
            current, notes = state.get("script") or {"shots": []}, []
            if intent["intent"] == "set_duration":
                script, change = change_duration(current, intent["slots"])
            else:
                script, change = revise(current, text, intent["slots"])
                if change["op"] == "insert" and intent["slots"].get("image"):  # the new shot's picture
                    _picture_of(script, str(change["shot_id"]), intent["slots"], context)
            update = version_bump(state, version_note(change, script, state.get("language", "zh")))
            settings = dict(state.get("settings") or {})
            if change["op"] == "tone" and settings.get("music") not in ("off", "upload"):
                update["settings"] = {**settings, "music": script["mood"]}  # the music follows the style
        refused, checked = policy.review(script_texts(script))
        if refused:  # every text that would reach the screen or the narration is checked too
            raise RequestError(f"policy_{refused.category}")
        notes = [*notes, *(n for n in checked if n not in notes)]
    except RequestError as err:
        return {"outcome": {"error": err.code, **err.details}}
    writer({"stage": "script", "percent": 100, "node": "script_writer"})
    script = annotate(script, None if intent["intent"] == "create" else state.get("script"))
    before = None if intent["intent"] == "create" else state.get("script")
    notes = [*notes, *undrawn_notes(script, before, state.get("language", "zh"), context.diffusion_models())]
    rerender = intent["intent"] != "create" and state.get("status") == "rendered"
    outcome = {"kind": "script", "change": change, "rerender": rerender}
    if not rerender:  # the script waits for approval: its storyboard is shown, the old render goes
        outcome["storyboard"] = storyboard_strip(AssetStore(context.data_dir), script)
        update.update(render=None, plan=[])
    update.update(script=script, status="rendered" if rerender else "awaiting_approval", outcome=outcome)
    return {**update, "notes": notes}
