"""The editor: deterministic edits of the grading, format, transitions, music and voice,
addressed to one shot, several or all; an edit after a render re-renders what changed."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

from langgraph.runtime import Runtime

from graph.context import Context
from graph.state import ProjectState, version_bump
from nodes.labels import describe
from tools.assets import AssetStore, ingest
from tools.exporter import export, export_name
from tools.renderer import TRANSITIONS
from tools.scripts import ScriptError, set_shot_duration

# (slot key in grade, how an amount applies, lower bound, upper bound)
GRADES: dict[str, tuple[str, str, float, float]] = {
    "brightness": ("brightness", "add_half", -0.5, 0.5),
    "contrast": ("contrast", "scale", 0.5, 2.0),
    "saturation": ("saturation", "scale", 0.0, 2.5),
    "temperature": ("temperature", "add_double", -1.0, 1.0),
}
LOOKS = {
    "bw": {"saturation": 0.0},
    "vintage": {"saturation": 0.7, "temperature": 0.3, "contrast": 0.9},
    "cinematic": {"contrast": 1.15, "saturation": 0.9, "temperature": -0.1},
    "soft": {"contrast": 0.9, "brightness": 0.03},
}
UNSUPPORTED: set[str] = set()
SUPPORTED_TRANSITIONS = set(TRANSITIONS)


class EditError(ValueError):
    """An edit that cannot apply; `code` names the reason for the reply."""

    def __init__(self, code: str, **details: Any) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


def _apply_amount(value: float, how: str, amount: float) -> float:
    if how == "scale":
        return value * (1 + amount)
    return value + amount * (0.5 if how == "add_half" else 2.0)


def _edit_shots(script: dict[str, Any], slots: dict[str, Any]) -> dict[str, Any]:
    op = slots["operation"]
    targets = [int(n) - 1 for n in slots.get("shots") or []] or list(range(len(script["shots"])))
    clamped = False
    for i in targets:
        shot = script["shots"][i]
        grade = dict(shot.get("grade") or {})
        if op in GRADES:
            key, how, low, high = GRADES[op]
            wanted = _apply_amount(
                float(grade.get(key, 1.0 if how == "scale" else 0.0)), how, float(slots.get("amount", 0.15))
            )
            grade[key] = round(min(high, max(low, wanted)), 3)
            clamped = clamped or grade[key] != round(wanted, 3)
        elif op == "look":
            grade.update(LOOKS[slots.get("look", "soft")])
        elif op == "image":
            shot["image"] = dict(slots["stored_image"])
        elif op == "narration":
            shot["narration"] = str(slots["text"])
        elif op == "speed":
            old = float(shot.get("speed", 1.0))
            wanted = old * (1 + float(slots.get("amount", 0.15)))
            shot["speed"] = round(min(2.0, max(0.5, wanted)), 3)
            clamped = clamped or shot["speed"] != round(wanted, 3)
        elif op == "title":
            if slots.get("remove"):
                shot.pop("overlays", None)
            else:
                length = float(shot["duration"])
                start = max(0.0, min(float(slots.get("start", 0.0)), length - 0.5))
                end = min(length, float(slots.get("end", length)))
                clamped = (
                    clamped
                    or end != float(slots.get("end", length))
                    or start != float(slots.get("start", 0.0))
                )
                item = {
                    "text": slots["text"],
                    "kind": slots.get("kind", "text"),
                    "position": slots.get("position", "top"),
                }
                shot["overlays"] = [
                    *shot.get("overlays", []),
                    {**item, "start": round(start, 2), "end": round(max(end, start + 0.5), 2)},
                ]
        shot["grade"] = grade
    return {"targets": [i + 1 for i in targets], "clamped": clamped, "all": not slots.get("shots")}


def _retime(script: dict[str, Any], before: dict[str, float], targets: list[int]) -> list[list[Any]]:
    """After a playback-speed change, a slowed shot lasts longer (and a faster one shorter) so it
    shows the same action; the other shots give or take the time, so the total holds. Returns
    what moved as [shot, old seconds, new seconds]."""
    total = sum(float(s["duration"]) for s in script["shots"])
    for n in targets:
        shot = script["shots"][n - 1]
        ratio = before[shot["id"]] / float(shot.get("speed", 1.0))
        seconds = round(float(shot["duration"]) * ratio, 1)
        if abs(seconds - float(shot["duration"])) >= 0.1 and len(targets) < len(script["shots"]):
            try:
                fresh = set_shot_duration(script, n - 1, seconds)
            except ScriptError:
                continue
            script["shots"] = fresh["shots"]
    moved = []
    for i, s in enumerate(script["shots"]):
        if abs(float(s["duration"]) - before.get(s["id"] + ":d", float(s["duration"]))) >= 0.05:
            moved.append([i + 1, before[s["id"] + ":d"], float(s["duration"])])
    assert abs(sum(float(s["duration"]) for s in script["shots"]) - total) < 1e-6
    return moved


def _edit_settings(settings: dict[str, Any], slots: dict[str, Any], count: int) -> dict[str, Any]:
    op = slots["operation"]
    if op == "aspect":
        settings["aspect"] = slots["aspect"]
        return {"value": slots["aspect"]}
    if op == "resolution":
        if "resolution" in slots:
            settings["resolution"] = slots["resolution"]
        if "fps" in slots:
            if not 12 <= int(slots["fps"]) <= 60:
                raise EditError("bad_fps", value=slots["fps"])
            settings["fps"] = int(slots["fps"])
        return {"value": f"{settings.get('resolution')} {settings.get('fps')}fps"}
    if op == "transition":
        kind = slots["transition"]
        if kind not in SUPPORTED_TRANSITIONS:
            raise EditError("not_yet", feature=kind)
        shots = sorted(int(n) for n in slots.get("shots") or [])
        if not shots:
            settings["transition"] = kind
            settings.pop("transitions", None)
            return {"value": kind}
        # "between shot 1 and 2" -> the boundary after 1; "before shot 3" -> after 2.
        after = shots[0] if len(shots) > 1 else max(1, shots[0] - 1)
        if after >= count:
            raise EditError("no_boundary", count=count)
        settings["transitions"] = {**(settings.get("transitions") or {}), str(after): kind}
        return {"value": kind, "boundary": [after, after + 1]}
    if op == "subtitles":
        if "scale" in slots:
            wanted = float(settings.get("caption_scale", 1.0)) * float(slots["scale"])
            settings["caption_scale"] = round(min(1.8, max(0.6, wanted)), 2)
            settings["captions"] = True
            return {
                "value": f"x{settings['caption_scale']}",
                "clamped": settings["caption_scale"] != round(wanted, 2),
            }
        settings["captions"] = bool(slots.get("enabled", True))
        return {"value": settings["captions"]}
    if op == "music":
        if slots.get("stored_music"):
            settings["music"] = "upload"
            settings["music_file"] = dict(slots["stored_music"])
            return {"value": "upload"}
        if not (slots.get("mood") or slots.get("instrument") or slots.get("tempo")):
            raise EditError("which_music")
        if slots.get("mood"):
            settings["music"] = slots["mood"]
        elif settings.get("music") in ("off", "upload"):
            settings["music"] = "warm"
        if slots.get("instrument"):
            settings["music_instrument"] = slots["instrument"]
        if slots.get("tempo"):
            settings["music_tempo"] = round(
                min(1.6, max(0.6, float(settings.get("music_tempo", 1.0)) * slots["tempo"])), 2
            )
        tempo = settings.get("music_tempo")
        parts = [settings["music"], settings.get("music_instrument"), f"tempo x{tempo}" if tempo else None]
        return {
            "value": " · ".join(str(p) for p in parts if p),
            "instrument": settings.get("music_instrument"),
        }
    if op == "music_off":
        settings["music"] = "off"
        return {"value": "off"}
    if op == "volume":
        sign = -1.0 if slots.get("target") == "narration" else 1.0  # louder voice = softer bed
        wanted = float(settings.get("music_gain_db", -12.0)) + sign * 20 * float(slots.get("amount", 0.25))
        settings["music_gain_db"] = round(min(0.0, max(-30.0, wanted)), 1)
        return {"value": settings["music_gain_db"], "clamped": settings["music_gain_db"] != round(wanted, 1)}
    if op == "narration":
        if "text" in slots:
            raise EditError("which_shot")  # narration text is per shot; handled with the shots
        if "voice" in slots:
            settings["voice"] = slots["voice"]
        if "rate" in slots:
            settings["voice_rate"] = round(
                min(1.4, max(0.7, settings.get("voice_rate", 1.0) + slots["rate"])), 2
            )
        if "voice" not in slots and "rate" not in slots:
            raise EditError("which_voice")
        return {"value": settings.get("voice"), "rate": settings.get("voice_rate")}
    raise EditError("not_yet", feature=op)


def _edit_effects(script: dict[str, Any], settings: dict[str, Any], slots: dict[str, Any]) -> dict[str, Any]:
    """Sound effects on or off, or named effects added to / removed from the target shots."""
    from tools.effects import effects_for

    names, enabled = list(slots.get("effects") or []), bool(slots.get("enabled", True))
    targets = [int(n) - 1 for n in slots.get("shots") or []] or list(range(len(script["shots"])))
    if not names and not slots.get("shots"):
        settings["effects"] = "auto" if enabled else "off"
        if enabled:
            for i in targets:
                script["shots"][i].pop("effects", None)
        return {"value": settings["effects"], "targets": [i + 1 for i in targets]}
    if not names:  # all effects of the named shots on (as the descriptions call for) or off
        settings["effects"] = "auto"
        for i in targets:
            if enabled:
                script["shots"][i].pop("effects", None)
            else:
                script["shots"][i]["effects"] = []
        return {"value": "on" if enabled else "off", "targets": [i + 1 for i in targets]}
    settings["effects"] = "auto"
    for i in targets:
        shot = script["shots"][i]
        current = (
            list(shot["effects"]) if shot.get("effects") is not None else effects_for(shot["description"])
        )
        if enabled:
            current += [n for n in names if n not in current]
        else:
            current = [n for n in current if n not in names]
        shot["effects"] = current
    return {"value": ",".join(names), "added": enabled, "targets": [i + 1 for i in targets]}


def _pick_dark(state: ProjectState, slots: dict[str, Any]) -> dict[str, Any]:
    """'Make it brighter' with no shot named: when the last review measured one shot far darker
    than the rest, that shot is the sensible reading (and the reply says so); else all."""
    if slots.get("shots") or float(slots.get("amount", 0)) <= 0:
        return {}
    exposure = ((state.get("review") or {}).get("measured") or {}).get("exposure") or []
    if len(exposure) < 2:
        return {}
    lumas = sorted(e["luma"] for e in exposure)
    darkest = min(exposure, key=lambda e: e["luma"])
    if lumas[1] - darkest["luma"] >= 30:
        slots["shots"] = [darkest["shot"]]
        return {"picked": darkest["shot"]}
    return {}


def _locate(script: dict[str, Any], start: float, end: float) -> dict[str, Any]:
    """A time on the video's timeline as the shot that contains it and shot-relative times."""
    t = 0.0
    for i, s in enumerate(script["shots"]):
        d = float(s["duration"])
        if start < t + d:
            return {"shots": [i + 1], "start": round(start - t, 2), "end": round(min(end, t + d) - t, 2)}
        t += d
    return {"shots": [len(script["shots"])], "start": 0.0, "end": 3.0}


def _export(state: ProjectState, context: Context) -> dict[str, Any]:
    fmt = state["intent"]["slots"].get("format", "mp4")
    render = state.get("render") or {}
    script = state.get("script") or {}
    name = export_name(script.get("title", "cinechat"), state.get("version", "v1.0"), fmt)
    out = export(Path(render["path"]), Path(context.data_dir).resolve() / "exports" / name, fmt)
    srt = None
    if render.get("srt") and Path(render["srt"]).exists():
        srt = out.with_suffix(".srt")
        shutil.copyfile(render["srt"], srt)
    return {
        "outcome": {
            "kind": "export",
            "path": str(out),
            "format": fmt,
            "bytes": out.stat().st_size,
            "srt": str(srt) if srt else None,
        }
    }


def editor(state: ProjectState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Apply one edit as a new version; the router has checked the targets exist."""
    intent = state["intent"]
    context = runtime.context or Context()
    if intent["intent"] == "export":
        return _export(state, context)
    slots = dict(intent["slots"])
    op = slots.get("operation", "")
    script = copy.deepcopy(state.get("script") or {})
    settings = copy.deepcopy(state.get("settings") or {})
    try:
        if op in UNSUPPORTED:
            raise EditError("not_yet", feature=op)
        if op == "image":
            slots["stored_image"] = ingest(AssetStore(context.data_dir), slots["image"], "images")
        if op == "music" and slots.get("upload_path"):
            slots["stored_music"] = ingest(AssetStore(context.data_dir), slots["upload_path"], "uploads")
        if op == "narration" and "text" in slots and slots.get("shots"):
            detail = _edit_shots(script, slots)
        elif op == "title" and not slots.get("remove") and not slots.get("text"):
            raise EditError("what_text")
        elif op == "speed":
            before = {s["id"]: float(s.get("speed", 1.0)) for s in script["shots"]}
            before |= {s["id"] + ":d": float(s["duration"]) for s in script["shots"]}
            detail = _edit_shots(script, slots)
            detail["moved"] = _retime(script, before, detail["targets"])
        elif op in GRADES or op in ("look", "image"):
            detail = (
                _pick_dark(state, slots) | _edit_shots(script, slots)
                if op == "brightness"
                else _edit_shots(script, slots)
            )
        elif op == "effects":
            detail = _edit_effects(script, settings, slots)
        elif op == "title":
            if not slots.get("shots") and "start" in slots and slots.get("kind") != "title":
                slots.update(
                    _locate(script, float(slots["start"]), float(slots.get("end", slots["start"] + 3)))
                )
            elif not slots.get("shots"):
                slots["shots"] = [1]
            detail = _edit_shots(script, slots)
        else:
            detail = _edit_settings(settings, slots, len(script.get("shots", [])))
    except EditError as err:
        return {"outcome": {"error": err.code, **err.details}}
    rerender = state.get("status") == "rendered"
    update = version_bump(state, describe(op, detail, slots, state.get("language", "zh")))
    update.update(
        script=script,
        settings=settings,
        status="rendered" if rerender else state.get("status", "awaiting_approval"),
        outcome={
            "kind": "edit",
            "op": op,
            "rerender": rerender,
            **detail,
            **{k: v for k, v in slots.items() if k in ("amount", "size", "look", "text", "position")},
        },
    )
    return update
