"""The reviewer and quality gate: computed script scores (with the change against the previous
review), a media review of every render with ffmpeg's analysis, and automatic fixes of the
problems that have one (at most two rounds), the rest reported with what the user can say."""

from __future__ import annotations

import copy
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from langgraph.config import get_stream_writer
from langgraph.runtime import Runtime

from graph.context import Context
from graph.state import ProjectState, last_user_text
from tools import analysis, llm
from tools.assets import AssetStore
from tools.renderer import frame_size
from tools.review import combine, review_media, score_script

MAX_GATE_ROUNDS = 2


def _first_request(state: ProjectState) -> str:
    script = state.get("script") or {}
    return str(script.get("request", "")) or last_user_text(state)


def clip_report(store: AssetStore, key: str, clip: str | None = None) -> analysis.VideoReport:
    """The analysis of one clip, cached beside it (a clip is analysed once, like it renders once).
    `clip` is the file when it is not the cached clip of that key (an animatic fallback)."""
    if clip and "/fallback/" in clip:
        key = key + "-fallback"
    path = store.path("reports", key, "json")
    if path.exists():
        data = json.loads(path.read_text())
        return analysis.VideoReport(
            [tuple(f) for f in data["frames"]],  # type: ignore[misc]
            [tuple(s) for s in data["black"]],  # type: ignore[misc]
            [tuple(s) for s in data["frozen"]],  # type: ignore[misc]
        )
    rep = analysis.video_report(clip or store.path("clips", key, "mp4"))
    tmp = store.tmp_path("reports", key, "json")
    tmp.write_text(json.dumps({"frames": rep.frames, "black": rep.black, "frozen": rep.frozen}))
    store.commit(tmp, "reports", key, "json")
    return rep


def _user_darkened(state: ProjectState, shot: int) -> bool:
    """Whether this turn's own edit darkened that shot (the gate does not undo a wish)."""
    intent = state.get("intent") or {}
    slots = intent.get("slots") or {}
    return (
        slots.get("operation") == "brightness"
        and float(slots.get("amount", 0)) < 0
        and (not slots.get("shots") or shot in slots["shots"])
    )


def _apply_fixes(
    state: ProjectState, problems: list[dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """Script and settings with the known fixes applied; the fixes that changed something."""
    script = copy.deepcopy(state.get("script") or {})
    settings = copy.deepcopy(state.get("settings") or {})
    done = []
    for p in problems:
        fix = p.get("fix") or {}
        if "brightness" in fix and not _user_darkened(state, p["shot"]):
            grade = script["shots"][p["shot"] - 1].setdefault("grade", {})
            new = round(min(0.5, float(grade.get("brightness", 0.0)) + fix["brightness"]), 3)
            if new != grade.get("brightness"):
                grade["brightness"] = new
                done.append({"code": p["code"], "shot": p["shot"], "value": new})
        elif "camera" in fix:
            shot = script["shots"][p["shot"] - 1]
            if shot.get("camera") != fix["camera"]:
                shot["camera"] = fix["camera"]
                done.append({"code": p["code"], "shot": p["shot"], "value": fix["camera"]})
        elif "master_offset_db" in fix and not any(d["code"] in ("loudness", "true_peak") for d in done):
            new = round(float(settings.get("master_offset_db", 0.0)) + fix["master_offset_db"], 1)
            settings["master_offset_db"] = new
            done.append({"code": p["code"], "shot": None, "value": new})
        elif (
            "voice_max_speedup" in fix
            and float(settings.get("voice_max_speedup", 1.35)) < fix["voice_max_speedup"]
        ):
            settings["voice_max_speedup"] = fix["voice_max_speedup"]
            done.append({"code": p["code"], "shot": p["shot"], "value": fix["voice_max_speedup"]})
    return script, settings, done


def _critique(script: dict[str, Any], lang: str, context: Context) -> str | None:
    """With an LLM configured, a short critique of the story in words (numbers stay computed)."""
    if not (context.use_llm and llm.configured()):
        return None
    shots = "\n".join(
        f"{i + 1}. {s['shot_type']}: {s['description']} / {s.get('narration', '')}"
        for i, s in enumerate(script["shots"])
    )
    ask = (
        "用两三句话评价这个短视频剧本的故事，并给出一条建议。"
        if lang == "zh"
        else "In two or three sentences, critique this short video script's story and give one suggestion."
    )
    try:
        return llm.chat_text(context.model, ask, shots)
    except Exception:  # the critique is an extra; the computed review stands without it
        return None


def reviewer(state: ProjectState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Score the script; review the render made this turn (or asked for) and run the gate."""
    context = runtime.context or Context()
    script = state.get("script") or {}
    result = score_script(script, _first_request(state))
    previous = state.get("review") or {}
    gate = dict((state.get("outcome") or {}).get("gate") or {"round": 0, "fixed": []})
    rechecking = bool(gate.pop("pending", False))
    if previous.get("scores") and not rechecking:
        result["delta"] = {
            k: round(v["score"] - previous["scores"][k]["score"], 1)
            for k, v in result["scores"].items()
            if k in previous["scores"]
        }
        result["delta"]["story_flow"] = round(result["story_flow"] - previous.get("story_flow", 0), 1)
        result["delta"]["overall"] = round(result["overall"] - previous.get("overall", 0), 1)
    elif previous.get("delta"):
        result["delta"] = previous["delta"]
    render = state.get("render") or {}
    outcome = dict(state.get("outcome") or {})
    intent = state["intent"]["intent"]
    update: dict[str, Any] = {}
    result["problems"] = list(result.pop("script_problems"))
    if (
        state.get("status") == "rendered"
        and render.get("path")
        and (outcome.get("run") or intent == "review")
    ):
        get_stream_writer()({"stage": "review", "percent": 10, "node": "reviewer"})
        settings = state.get("settings") or {}
        size = frame_size(settings.get("aspect", "16:9"), settings.get("resolution", "1080p"))
        store = AssetStore(context.data_dir)
        plan = state.get("plan") or []
        with ThreadPoolExecutor(2) as pool:
            results = state.get("shot_results") or {}
            reports = list(
                pool.map(
                    lambda item: clip_report(
                        store, item["key"], (results.get(item["shot_id"]) or {}).get("path")
                    ),
                    plan,
                )
            )
        media = review_media(render, plan, script, size, combine(plan, reports))
        result["measured"] = media["measured"]
        fixable = [p for p in media["problems"] if p.get("fix")]
        if fixable and gate["round"] < MAX_GATE_ROUNDS:
            new_script, new_settings, done = _apply_fixes(state, fixable)
            if done:
                gate = {"round": gate["round"] + 1, "fixed": gate["fixed"] + done, "pending": True}
                update.update(script=new_script, settings=new_settings)
        if not gate.get("pending"):
            result["problems"] += media["problems"]
        get_stream_writer()({"stage": "review", "percent": 100, "node": "reviewer"})
    else:
        gate["pending"] = False
    if intent == "review":
        outcome["kind"] = "review"
        critique = _critique(script, state.get("language", "zh"), context)
        if critique:
            result["critique"] = critique
    result["version"] = state.get("version")
    outcome["gate"] = gate
    update.update(review=result, outcome=outcome)
    return update
