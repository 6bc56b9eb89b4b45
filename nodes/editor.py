"""The editor: looks the asked edit up in the registry of operations (tools/edits.py), applies it
as a new version (an edit after a render re-renders what changed), or exports the render."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langgraph.config import get_stream_writer
from langgraph.runtime import Runtime

from graph.context import Context, run_context
from graph.state import ProjectState, version_bump
from tools.assets import AssetStore, ingest
from tools.drawing import annotate
from tools.edits import Operation, darkest_shot, describe, lookup, operation_for
from tools.errors import RequestError
from tools.exporter import export_render
from tools.project import Render
from tools.replies import note, undrawn_notes

REPLY_SLOTS = ("amount", "size", "look", "text", "position")
"""Slots the reply repeats as the user gave them."""


def _said(slots: dict[str, Any]) -> dict[str, Any]:
    """The slots the reply repeats as the user gave them."""
    return {k: v for k, v in slots.items() if k in REPLY_SLOTS}


def _with_files(op: Operation, slots: dict[str, Any], data_dir: str) -> dict[str, Any]:
    """The operation's parameters, with the files it takes copied into the asset store."""
    params = dict(slots)
    for param in op.params:
        if param.type == "file" and params.get(param.name):
            params[param.name] = ingest(AssetStore(data_dir), params[param.name], param.folder)
    return params


def _beat_grid(params: dict[str, Any], state: ProjectState, data_dir: str) -> dict[str, Any] | None:
    """The beats of the music the cut follows: the song sent with the request, else the bed the
    project has (the user's song, or the composed music, made now if it is not yet); None when
    the music is off."""
    from tools.beats import analyse
    from tools.soundtrack import music_bed

    store = AssetStore(data_dir)
    script: dict[str, Any] = dict(state.get("script") or {"shots": []})
    settings: dict[str, Any] = dict(state.get("settings") or {})
    total = sum(float(s["duration"]) for s in script["shots"])
    if params.get("upload_path"):
        song: Path | None = store.local(params["upload_path"]["path"])
    elif settings.get("music") == "upload" and settings.get("music_file"):
        song = store.local(settings["music_file"]["path"])
    else:
        song = music_bed(store, settings, script, total)  # type: ignore[arg-type]
    return analyse(song, total).as_dict() if song else None


def _heard(recording: dict[str, Any], data_dir: str) -> list[dict[str, Any]] | None:
    """The words of a recorded narration with their times, when a speech-to-text provider is
    configured and hears them; else None (the subtitles are the script's lines)."""
    from tools import stt

    if not stt.configured():
        return None
    try:
        return stt.transcribe(AssetStore(data_dir).local(recording["path"])).words or None
    except stt.SpeechError:
        return None


def _export(state: ProjectState, context: Context) -> dict[str, Any]:
    """The render of this version exported in the asked format."""
    fmt = state["intent"]["slots"].get("format", "mp4")
    title = (state.get("script") or {}).get("title", "cinechat")
    store = AssetStore(context.data_dir)
    render: Render = {**(state.get("render") or {})}  # type: ignore[typeddict-item]
    if not store.exists(render.get("path")):  # nothing rendered at this version
        return {"outcome": {"error": "no_render"}}
    render["path"] = str(store.local(render["path"]))  # fetched, or found in a restored home
    if render.get("srt"):
        render["srt"] = str(store.local(render["srt"]))
    get_stream_writer()({"stage": "export", "percent": 0, "node": "editor"})
    done = export_render(render, title, state.get("version", "v1.0"), fmt, store.root / "exports")
    done["path"] = store.put(done["path"], "exports", Path(done["path"]).name, format=fmt)
    if done.get("srt"):
        done["srt"] = store.put(done["srt"], "exports", Path(done["srt"]).name)
    wanted, current = (
        state["intent"]["slots"].get("aspect"),
        (state.get("settings") or {}).get("aspect", "16:9"),
    )
    notes = [note("export_aspect", aspect=wanted, current=current)] if wanted and wanted != current else []
    return {"outcome": {"kind": "export", **done}, "notes": notes}


def editor(state: ProjectState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Apply one edit as a new version; the router has checked the targets exist."""
    context = run_context(runtime.context)
    slots = dict(state["intent"]["slots"])
    name = operation_for(slots)
    exposure = ((state.get("review") or {}).get("measured") or {}).get("exposure") or []
    try:
        if state["intent"]["intent"] == "export":
            return _export(state, context)
        op = lookup(name)
        params = _with_files(op, slots, context.data_dir)
        if name == "beat_cut":
            params["beat_grid"] = _beat_grid(params, state, context.data_dir)
        if name == "voiceover" and params.get("upload_path"):
            params["heard"] = _heard(params["upload_path"], context.data_dir)
        picked = darkest_shot(exposure, params) if name == "brightness" else None
        if picked:  # 'brighter' with no shot named means the one shot far darker than the rest
            params["shots"] = [picked]
        result = op.apply(state.get("script") or {"shots": []}, state.get("settings") or {}, params)
    except RequestError as err:
        return {"outcome": {"error": err.code, **err.details}}
    if result.script == (state.get("script") or {"shots": []}) and result.settings == (
        state.get("settings") or {}
    ):
        # already so (the voice was female; the level sits at its bound): no version, no render
        return {"outcome": {"kind": "edit", "op": name, "unchanged": True, **result.detail, **_said(slots)}}
    rerender = state.get("status") == "rendered"
    script = annotate(result.script, state.get("script"))
    notes = undrawn_notes(
        script, state.get("script"), state.get("language", "zh"), context.diffusion_models()
    )
    if name == "voiceover" and params.get("upload_path") and not params.get("heard"):
        notes.append(note("voiceover_script"))  # subtitles: the script's lines, at the speech's times
    update = version_bump(state, describe(name, result.detail, params, state.get("language", "zh")))
    update.update(
        notes=notes,
        script=script,
        settings=result.settings,
        status="rendered" if rerender else state.get("status", "awaiting_approval"),
        outcome={
            "kind": "edit",
            "op": name,
            "rerender": rerender,
            **result.detail,
            "clamped": result.clamped,
            **({"picked": picked} if picked else {}),
            **_said(slots),
        },
    )
    return update
