"""The storyboard: a render spec per shot (format, timing on the frame grid, grading, caption)
whose content hash is the clip's cache key."""

from __future__ import annotations

import uuid
from typing import Any

from langgraph.config import get_stream_writer
from langgraph.types import Send

from graph.state import ProjectState
from tools.assets import content_key
from tools.renderer import RENDERER_VERSION, frame_size


def build_plan(script: dict[str, Any], settings: dict[str, Any]) -> list[dict[str, Any]]:
    """Per-shot specs; frame counts come from cumulative times so the total is exact."""
    width, height = frame_size(settings.get("aspect", "16:9"), settings.get("resolution", "1080p"))
    fps = int(settings.get("fps", 24))
    transition = settings.get("transition", "cut")
    plan, start = [], 0.0
    for shot in script["shots"]:
        end = start + float(shot["duration"])
        spec = {
            "renderer": RENDERER_VERSION,
            "description": shot["description"],
            "shot_type": shot["shot_type"],
            "camera": shot.get("camera", "drift"),
            "mood": script.get("mood", "warm"),
            "width": width,
            "height": height,
            "fps": fps,
            "frames": round(end * fps) - round(start * fps),
            "seed": int(content_key(shot["description"])[:8], 16),
            "caption": shot.get("narration", ""),
            "captions": bool(settings.get("captions", True)),
            "grade": shot.get("grade", {}),
            "speed": float(shot.get("speed", 1.0)),
            "fade": 0.5 if transition == "fade" else 0.0,
        }
        plan.append(
            {
                "shot_id": shot["id"],
                "start": round(start, 3),
                "end": round(end, 3),
                "key": content_key(spec),
                "spec": spec,
            }
        )
        start = end
    return plan


def storyboard(state: ProjectState) -> dict[str, Any]:
    """Plan the render of the current script; the per-shot results start empty."""
    script = state.get("script") or {}
    plan = build_plan(script, state.get("settings") or {})
    get_stream_writer()({"stage": "storyboard", "percent": 100, "node": "storyboard", "shots": len(plan)})
    return {
        "plan": plan,
        "shot_results": None,
        "outcome": {**(state.get("outcome") or {}), "run": uuid.uuid4().hex[:12]},
    }


def fan_out(state: ProjectState) -> list[Send]:
    """One `render_shot` task per planned shot, run in parallel."""
    plan = state.get("plan") or []
    run = (state.get("outcome") or {}).get("run", "")
    return [
        Send("render_shot", {"spec": item, "index": i, "total": len(plan), "run": run})
        for i, item in enumerate(plan)
    ]
