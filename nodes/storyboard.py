"""The storyboard: the narration spoken first (its timing drives the captions and subtitles;
the user's own recording when the project has one), then the render plan of the current
script, with a new run id for the per-shot renders."""

from __future__ import annotations

import uuid
from typing import Any

from langgraph.config import get_stream_writer
from langgraph.runtime import Runtime

from graph.context import Context, run_context
from graph.state import ProjectState
from tools import load, tts
from tools.assets import AssetStore
from tools.narration import narrate, recorded
from tools.plan import build_plan
from tools.replies import note


def storyboard(state: ProjectState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Plan the render of the current script: the narration is spoken first (cached) so the
    burned-in captions and the subtitles share its timing; the per-shot results start empty."""
    context = run_context(runtime.context)
    script = state.get("script") or {"shots": []}
    settings = state.get("settings") or {}
    writer = get_stream_writer()

    def tick(done: int, total: int) -> None:
        percent = round(100 * done / total)
        writer({"stage": "narration", "percent": percent, "node": "storyboard", "shot": done, "of": total})

    lower = load.degraded(dict(settings))
    notes_before: list[str] = []
    if lower is not None:  # busy: this render is made smaller; the project's settings stay
        running = load.backlog()
        notes_before.append(
            note("degraded", backlog=running, resolution=lower["resolution"], fps=lower["fps"])
        )
        settings = lower  # type: ignore[assignment]
    provider = "openai" if context.use_llm and tts.speech_configured() else "espeak"
    timing = build_plan(script, settings)  # the shots' times, for the narration
    store, talk = AssetStore(context.data_dir), None
    if settings.get("voiceover"):  # the user's own recording speaks, and a character mouths it
        lines, notes, talk = recorded(store, timing, script, settings, int(settings.get("fps", 24)))
    else:
        lines, notes = narrate(store, timing, script, settings, provider, tick)
    by_shot = {ln["shot_id"]: ln for ln in lines}
    plan = build_plan(script, settings, by_shot, context.diffusion_models(), talk)
    writer({"stage": "storyboard", "percent": 100, "node": "storyboard", "shots": len(plan)})
    return {"plan": plan, "shot_results": None, "notes": notes_before + notes, "run": uuid.uuid4().hex[:12]}
