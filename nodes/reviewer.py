"""The reviewer: computed script scores (with the change against the previous review) and,
after a render, checks of the file against the script and settings."""

from __future__ import annotations

from typing import Any

from graph.state import ProjectState
from nodes.intent_router import last_user_text
from tools.renderer import frame_size
from tools.review import check_media, score_script


def _first_request(state: ProjectState) -> str:
    script = state.get("script") or {}
    return str(script.get("request", "")) or last_user_text(state)


def reviewer(state: ProjectState) -> dict[str, Any]:
    """Score the script, check the render if there is one, and record both."""
    script = state.get("script") or {}
    result = score_script(script, _first_request(state))
    previous = state.get("review") or {}
    if previous.get("scores"):
        result["delta"] = {
            k: round(v["score"] - previous["scores"][k]["score"], 1)
            for k, v in result["scores"].items()
            if k in previous["scores"]
        }
        result["delta"]["story_flow"] = round(result["story_flow"] - previous.get("story_flow", 0), 1)
        result["delta"]["overall"] = round(result["overall"] - previous.get("overall", 0), 1)
    render = state.get("render") or {}
    if state.get("status") == "rendered" and render.get("path"):
        settings = state.get("settings") or {}
        size = frame_size(settings.get("aspect", "16:9"), settings.get("resolution", "1080p"))
        result["problems"] = check_media(render, script, settings, size)
    result["version"] = state.get("version")
    outcome = dict(state.get("outcome") or {})
    if state["intent"]["intent"] == "review":
        outcome["kind"] = "review"
    return {"review": result, "outcome": outcome}
