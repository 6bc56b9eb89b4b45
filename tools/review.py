"""Computed review scores: every number comes from a stated rule over the script or from
ffprobe's report on the render, with a one-line reason."""

from __future__ import annotations

import re
from typing import Any

from tools import lexicon

ZH_CHARS_PER_SEC = 4.5
EN_WORDS_PER_SEC = 2.8
WEIGHTS = {
    "duration_fit": 1.0,
    "pacing": 1.0,
    "structure": 1.0,
    "narration_fit": 1.0,
    "continuity": 1.5,
    "coverage": 1.0,
}


def _clamp(x: float) -> float:
    return round(max(0.0, min(10.0, x)), 1)


def _speech_seconds(text: str, lang: str) -> float:
    if lang == "zh":
        return len(re.findall(r"[\u4e00-\u9fff]", text)) / ZH_CHARS_PER_SEC
    return len(re.findall(r"[A-Za-z']+", text)) / EN_WORDS_PER_SEC


def score_script(script: dict[str, Any], request: str = "") -> dict[str, Any]:
    """Sub-scores 0-10 with reasons, an overall weighted mean, and derived story flow."""
    shots = script["shots"]
    lang = script.get("language", "zh")
    target = float(script.get("duration", 0)) or 1.0
    total = sum(float(s["duration"]) for s in shots)
    scores: dict[str, dict[str, Any]] = {}
    off = abs(total - target)
    scores["duration_fit"] = {
        "score": _clamp(10 - 20 * off / target),
        "reason": f"shots sum to {total:.1f}s of {target:.1f}s",
    }
    types = lexicon.shot_types()
    outside = [
        i + 1
        for i, s in enumerate(shots)
        if not types.get(s["shot_type"], {"norm": [1, 99]})["norm"][0]
        <= float(s["duration"])
        <= types.get(s["shot_type"], {"norm": [1, 99]})["norm"][1]
    ]
    scores["pacing"] = {
        "score": _clamp(10 - 10 * len(outside) / len(shots)),
        "reason": f"shots outside their type's usual length: {outside or 'none'}",
    }
    opening = shots[0]["shot_type"] in ("wide", "long", "aerial", "close-up")
    closing = shots[-1]["shot_type"] in ("wide", "long", "aerial")
    middle = len(shots) >= 3
    scores["structure"] = {
        "score": _clamp(4 + 2 * opening + 2 * closing + 2 * middle),
        "reason": f"opening shot {'sets the scene' if opening else 'is not establishing'}, "
        f"closing shot {'is wide' if closing else 'is not a wide close'}, "
        f"{len(shots)} shots",
    }
    over = [
        i + 1
        for i, s in enumerate(shots)
        if _speech_seconds(s.get("narration", ""), lang) > float(s["duration"]) - 0.3
    ]
    scores["narration_fit"] = {
        "score": _clamp(10 - 10 * len(over) / len(shots)),
        "reason": f"narration too long for its shot: {over or 'none'}",
    }
    abrupt = []
    seen: set[str] = set()
    approach = lexicon.approach_words()
    for i, s in enumerate(shots):
        for who in lexicon.characters_in(s["description"]):
            if who in seen:
                continue
            seen.add(who)
            introduced = s["shot_type"] == "long" or any(w in s["description"].lower() for w in approach)
            if not introduced and i > 0:
                abrupt.append(f"{lexicon.character_name(who, lang)}@{i + 1}")
    scores["continuity"] = {
        "score": _clamp(10 - 1.5 * len(abrupt)),
        "reason": f"characters appearing without an introduction: {abrupt or 'none'}",
    }
    wanted = lexicon.characters_in(request)
    have = lexicon.characters_in(" ".join(s["description"] for s in shots))
    missing = [lexicon.character_name(w, lang) for w in wanted if w not in have]
    scores["coverage"] = {
        "score": _clamp(10 - 3 * len(missing)),
        "reason": f"requested elements missing: {missing or 'none'}",
    }
    overall = sum(scores[k]["score"] * w for k, w in WEIGHTS.items()) / sum(WEIGHTS.values())
    flow = (scores["continuity"]["score"] + scores["structure"]["score"] + scores["pacing"]["score"]) / 3
    return {"overall": round(overall, 1), "story_flow": round(flow, 1), "scores": scores}


def check_media(
    render: dict[str, Any], script: dict[str, Any], settings: dict[str, Any], size: tuple[int, int]
) -> list[dict[str, Any]]:
    """Problems found by comparing ffprobe's report with the script and the settings."""
    problems = []
    probe = render.get("probe") or {}
    target = sum(float(s["duration"]) for s in script["shots"])
    if abs(float(probe.get("duration", 0)) - target) > 0.3:
        problems.append({"code": "duration", "detail": f"{probe.get('duration')}s vs {target:.1f}s"})
    if (probe.get("width"), probe.get("height")) != size:
        problems.append({"code": "size", "detail": f"{probe.get('width')}x{probe.get('height')}"})
    if not probe.get("has_audio"):
        problems.append({"code": "no_audio", "detail": "no audio stream"})
    elif abs(float(probe.get("audio_duration", 0)) - float(probe.get("duration", 0))) > 0.1:
        problems.append({"code": "av_length", "detail": f"audio {probe.get('audio_duration')}s"})
    for line in render.get("narration", []):
        if line["duration"] > line["room"] + 0.05:
            problems.append({"code": "narration_overflow", "detail": line["shot_id"]})
    return problems
