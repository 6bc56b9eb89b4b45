"""The storyboard: a render spec per shot (format, timing on the frame grid, grading, caption)
whose content hash is the clip's cache key."""

from __future__ import annotations

import os
import uuid
from typing import Any

from langgraph.config import get_stream_writer
from langgraph.runtime import Runtime

from graph.context import Context
from graph.state import ProjectState
from tools import llm
from tools.assets import AssetStore, content_key
from tools.narration import narrate
from tools.renderer import RENDERER_VERSION, TRANSITION_SECONDS, XFADE, boundaries, frame_size


def diffusion_spec(
    shot: dict[str, Any], script: dict[str, Any], frames: int, chosen: dict[str, str]
) -> dict[str, Any] | None:
    """What the diffusion backend is asked for a shot, when a model is configured: the prompt
    (with a fixed description of each recurring character), a seed per character so it looks
    the same across shots, and the model, steps and frame count (all part of the clip key).
    A shot with an uploaded picture goes to the image-to-video model (or stays the animated
    picture); otherwise text-to-video, else a text-to-image keyframe, set in motion by the
    image-to-video model when there is one."""
    from tools import diffusion
    from tools.lexicon import character_name, characters_in

    if shot.get("image"):
        kind = "i2v" if "i2v" in chosen else None
    else:
        kind = "t2v" if "t2v" in chosen else "t2i" if "t2i" in chosen else None
    if kind is None:
        return None
    cast = characters_in(shot["description"])
    looks = [f"{character_name(c, 'en')}, the same person in every shot" for c in cast]
    prompt, negative = diffusion.prompt_for(shot["description"], script.get("mood", "warm"), looks)
    spec: dict[str, Any] = {
        "kind": kind,
        "model": chosen[kind],
        "steps": int(os.environ.get("CINECHAT_DIFFUSION_STEPS", "25")),
        "prompt": prompt,
        "negative": negative,
        "seed": int(content_key(cast[0] if cast else shot["description"])[:8], 16),
        "width": int(os.environ.get("CINECHAT_DIFFUSION_WIDTH", "512")),
        "height": int(os.environ.get("CINECHAT_DIFFUSION_HEIGHT", "288")),
    }
    if kind == "t2i" and "i2v" in chosen:
        spec.update(kind="i2v", model=chosen["i2v"], keyframe=chosen["t2i"])
    limit = int(os.environ.get("CINECHAT_DIFFUSION_FRAMES", "17"))
    spec["frames"] = 1 if spec["kind"] == "t2i" else max(1, min(limit, frames))
    return spec


def build_plan(
    script: dict[str, Any],
    settings: dict[str, Any],
    lines: dict[str, dict[str, Any]] | None = None,
    models: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Per-shot specs; frame counts come from cumulative times so the total is exact. A fade
    boundary fades out and in inside the clips; a crossfading boundary gives both clips a
    handle of half the transition, so the joined video keeps its length."""
    width, height = frame_size(settings.get("aspect", "16:9"), settings.get("resolution", "1080p"))
    fps = int(settings.get("fps", 24))
    cuts = boundaries(script, settings)
    handle = round(TRANSITION_SECONDS * fps / 2)
    plan, start = [], 0.0
    shots = script["shots"]
    for i, shot in enumerate(shots):
        end = start + float(shot["duration"])
        before = cuts[i - 1] if i > 0 else "cut"
        after = cuts[i] if i < len(cuts) else "cut"
        image = shot.get("image") or {}
        line = (lines or {}).get(shot["id"])
        head = handle if before in XFADE else 0
        # The caption shows while its line is spoken (clip time, handles included).
        cue = [0.0, 0.0]
        if line:
            cue = [
                round(head / fps + line["start"] - start, 3),
                round(head / fps + line["start"] - start + line["duration"], 3),
            ]
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
            "fade_in": 0.4 if before == "fade" else 0.0,
            "fade_out": 0.4 if after == "fade" else 0.0,
            "head": head,
            "caption_cue": cue,
            "caption_scale": float(settings.get("caption_scale", 1.0)),
            "overlays": shot.get("overlays") or [],
            "tail": handle if after in XFADE else 0,
            "image": image.get("key"),
        }
        generated = diffusion_spec(shot, script, spec["frames"], models or {})
        if generated:
            spec["diffusion"] = generated
        plan.append(
            {
                "shot_id": shot["id"],
                "start": round(start, 3),
                "end": round(end, 3),
                "key": content_key(spec),
                "spec": spec,
                "image_path": image.get("path"),
                "line": line,
            }
        )
        start = end
    return plan


def storyboard(state: ProjectState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Plan the render of the current script: the narration is spoken first (cached) so the
    burned-in captions and the subtitles share its timing; the per-shot results start empty."""
    context = runtime.context or Context()
    script = state.get("script") or {}
    settings = state.get("settings") or {}
    writer = get_stream_writer()
    timing = build_plan(script, settings)  # the shots' times, for the narration

    def tick(done: int, total: int) -> None:
        writer(
            {
                "stage": "narration",
                "percent": round(100 * done / total),
                "node": "storyboard",
                "shot": done,
                "of": total,
            }
        )

    provider = "openai" if context.use_llm and llm.configured() else "espeak"
    lines, notes = narrate(AssetStore(context.data_dir), timing, script, settings, provider, tick)
    lines_by_shot = {ln["shot_id"]: ln for ln in lines}
    plan = build_plan(script, settings, lines_by_shot, context.diffusion_models())
    writer({"stage": "storyboard", "percent": 100, "node": "storyboard", "shots": len(plan)})
    return {
        "plan": plan,
        "shot_results": None,
        "notes": notes,
        "outcome": {**(state.get("outcome") or {}), "run": uuid.uuid4().hex[:12]},
    }
