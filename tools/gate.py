"""The quality gate: a render's clips analysed once each (the report cached beside the clip),
the known fixes of the problems found applied to the script and settings (at most
MAX_GATE_ROUNDS re-renders a turn), and the change of the scores against the previous review."""

from __future__ import annotations

import copy
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tools import analysis
from tools.assets import AssetStore
from tools.project import (
    VOICE_MAX_SPEEDUP,
    Gate,
    PlanItem,
    Problem,
    Render,
    Review,
    Script,
    Settings,
    ShotResult,
)
from tools.renderer import frame_size
from tools.review import MediaReview, ScriptScores, combine, review_media

MAX_GATE_ROUNDS = 2
"""How many times one turn may re-render to apply the gate's fixes."""
MAX_FIXED_BRIGHTNESS = 0.5
"""The brightest grade the gate sets when it lightens a dark shot."""


def clip_report(store: AssetStore, key: str, clip: str | None = None) -> analysis.VideoReport:
    """The analysis of one clip, cached beside it (a clip is analysed once, like it renders once).
    `clip` is the file when it is not the cached clip of that key (an animatic fallback)."""
    if clip and (clip.startswith("fallback/") or "/fallback/" in clip):
        key = key + "-fallback"
    path = store.path("reports", key, "json")
    if store.has("reports", key, "json"):
        data = json.loads(path.read_text())
        return analysis.VideoReport(
            [tuple(f) for f in data["frames"]],  # type: ignore[misc]
            [tuple(s) for s in data["black"]],  # type: ignore[misc]
            [tuple(s) for s in data["frozen"]],  # type: ignore[misc]
        )
    rep = analysis.video_report(store.local(clip or store.ref("clips", key, "mp4")))
    tmp = store.tmp_path("reports", key, "json")
    tmp.write_text(json.dumps({"frames": rep.frames, "black": rep.black, "frozen": rep.frozen}))
    store.commit(tmp, "reports", key, "json")
    return rep


def media_review(
    store: AssetStore,
    render: Render,
    plan: list[PlanItem],
    results: dict[str, ShotResult],
    script: Script,
    settings: Settings,
) -> MediaReview:
    """The media review of a render: each clip's cached report (two analysed at a time)
    combined along the plan, and the render's own measurements."""
    size = frame_size(settings.get("aspect", "16:9"), settings.get("resolution", "1080p"))
    with ThreadPoolExecutor(2) as pool:
        reports = list(
            pool.map(
                lambda item: clip_report(
                    store, item["key"], (results.get(item["shot_id"]) or {}).get("path")
                ),
                plan,
            )
        )
    files = {f: str(store.local(render[f])) for f in ("path", "srt", "stems") if render.get(f)}  # type: ignore[literal-required]
    return review_media({**render, **files}, plan, script, size, combine(plan, reports))  # type: ignore[typeddict-item]


def user_darkened(slots: dict[str, Any], shot: int | None) -> bool:
    """Whether this turn's own edit (its intent slots) darkened that shot: the gate does not
    undo a wish."""
    return (
        slots.get("operation") == "brightness"
        and float(slots.get("amount", 0)) < 0
        and (not slots.get("shots") or shot in slots["shots"])
    )


def apply_fixes(
    script: Script, settings: Settings, problems: list[Problem], slots: dict[str, Any]
) -> tuple[Script, Settings, list[dict[str, Any]]]:
    """Copies of the script and settings with the known fixes applied, and the fixes that
    changed something ({code, shot, value})."""
    script = copy.deepcopy(script)
    settings = copy.deepcopy(settings)
    done: list[dict[str, Any]] = []
    for p in problems:
        fix = p.get("fix") or {}
        shot = p.get("shot")
        if "brightness" in fix and not user_darkened(slots, shot):
            grade = script["shots"][int(shot or 0) - 1].setdefault("grade", {})
            new = round(min(MAX_FIXED_BRIGHTNESS, float(grade.get("brightness", 0.0)) + fix["brightness"]), 3)
            if new != grade.get("brightness"):
                grade["brightness"] = new
                done.append({"code": p["code"], "shot": shot, "value": new})
        elif "camera" in fix:
            target = script["shots"][int(shot or 0) - 1]
            if target.get("camera") != fix["camera"]:
                target["camera"] = fix["camera"]
                done.append({"code": p["code"], "shot": shot, "value": fix["camera"]})
        elif "master_offset_db" in fix and not any(d["code"] in ("loudness", "true_peak") for d in done):
            # never more than 12 dB either way: the master's loudness target stays a level
            new = round(
                max(-12.0, min(12.0, float(settings.get("master_offset_db", 0.0)) + fix["master_offset_db"])),
                1,
            )
            settings["master_offset_db"] = new
            done.append({"code": p["code"], "shot": None, "value": new})
        elif (
            "voice_max_speedup" in fix
            and float(settings.get("voice_max_speedup", VOICE_MAX_SPEEDUP)) < fix["voice_max_speedup"]
        ):
            settings["voice_max_speedup"] = fix["voice_max_speedup"]
            done.append({"code": p["code"], "shot": shot, "value": fix["voice_max_speedup"]})
        if fix.get("motes"):  # with a camera fix or alone
            target = script["shots"][int(shot or 0) - 1]
            if not target.get("motes"):
                target["motes"] = True
                done.append({"code": p["code"], "shot": shot, "value": "motes"})
    return script, settings, done


def open_gate(gate: Gate | None) -> tuple[Gate, bool]:
    """The gate as this review starts (round 0 on a new turn), and whether this review
    re-checks a render the gate asked for."""
    opened: Gate = {"round": 0, "fixed": [], **(gate or {})}
    return opened, bool(opened.pop("pending", False))


def gate_round(
    gate: Gate, problems: list[Problem], script: Script, settings: Settings, slots: dict[str, Any]
) -> tuple[Gate, tuple[Script, Settings] | None]:
    """One round of the gate over a media review's problems: the fixes it applies (with the
    script and settings to re-render) while rounds are left, else the gate as it was."""
    fixable = [p for p in problems if p.get("fix")]
    if not fixable or gate.get("round", 0) >= MAX_GATE_ROUNDS:
        return gate, None
    new_script, new_settings, done = apply_fixes(script, settings, fixable, slots)
    if not done:
        return gate, None
    fixed = [*gate.get("fixed", []), *done]
    return {"round": gate.get("round", 0) + 1, "fixed": fixed, "pending": True}, (new_script, new_settings)


def review_delta(scores: ScriptScores, previous: Review, rechecking: bool) -> dict[str, float] | None:
    """How the script scores (`scores` of score_script) changed against the previous review;
    a gate's re-check keeps the change the turn's first review reported."""
    if previous.get("scores") and not rechecking:
        before = previous["scores"]
        delta = {
            k: round(v["score"] - before[k]["score"], 1) for k, v in scores["scores"].items() if k in before
        }
        delta["story_flow"] = round(scores["story_flow"] - previous.get("story_flow", 0), 1)
        delta["overall"] = round(scores["overall"] - previous.get("overall", 0), 1)
        return delta
    return previous.get("delta")


def script_review(scores: ScriptScores, previous: Review, rechecking: bool) -> Review:
    """The review of a script from its scores: the change against the previous review, and the
    script's problems (a media review adds its own)."""
    review: Review = {
        "scores": scores["scores"],
        "overall": scores["overall"],
        "story_flow": scores["story_flow"],
    }
    delta = review_delta(scores, previous, rechecking)
    if delta:
        review["delta"] = delta
    review["problems"] = list(scores["script_problems"])
    return review
