"""The plan of a render: a spec per shot (format, timing on the frame grid, grading, caption,
the diffusion request) whose content hash is the clip's cache key, and the bookkeeping of a
render run (its progress, which backend made each clip, the picture's key)."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from tools.assets import content_key
from tools.project import DEFAULT_MOOD, NarrationLine, PlanItem, Script, Settings, Shot, ShotResult, ShotSpec
from tools.renderer import RENDERER_VERSION, XFADE, boundaries, frame_size, handle_frames

FADE_SECONDS = 0.4
"""How long a fade boundary fades out and in inside the clips."""


def diffusion_spec(shot: Shot, mood: str, frames: int, chosen: dict[str, str]) -> dict[str, Any] | None:
    """What the diffusion backend is asked for a shot, when a model is configured: the prompt
    (with a fixed description of each recurring character), a seed per character so it looks
    the same across shots, and the model, steps and frame count (all part of the clip key).
    A shot with an uploaded picture goes to the image-to-video model (or stays the animated
    picture); a sketch shot to the sketch model (a ControlNet keyframe drawn on the sketch's
    lines); otherwise text-to-video, else a text-to-image keyframe. A keyframe is set in motion
    by the image-to-video model when there is one."""
    from tools import diffusion
    from tools.lexicon import character_name, characters_in

    if (shot.get("image") or {}).get("kind") == "sketch":
        kind = "s2i" if "s2i" in chosen else None  # else the animatic's drawn element
    elif shot.get("image"):
        kind = "i2v" if "i2v" in chosen else None
    else:
        kind = "t2v" if "t2v" in chosen else "t2i" if "t2i" in chosen else None
    if kind is None:
        return None
    cast = characters_in(shot["description"])
    looks = [f"{character_name(c, 'en')}, the same person in every shot" for c in cast]
    prompt, negative = diffusion.prompt_for(shot["description"], mood, looks)
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
    if kind in ("t2i", "s2i") and "i2v" in chosen:  # the keyframe set in motion
        spec.update(kind="i2v", model=chosen["i2v"], keyframe=chosen[kind])
        if kind == "s2i":
            spec["keyframe_kind"] = "s2i"
    limit = int(os.environ.get("CINECHAT_DIFFUSION_FRAMES", "17"))
    spec["frames"] = 1 if spec["kind"] in ("t2i", "s2i") else max(1, min(limit, frames))
    return spec


def caption_cue(line: NarrationLine | None, shot_start: float, head: int, fps: int) -> list[float]:
    """When the burned-in caption shows, in clip time (handles included): while its line is
    spoken."""
    if not line:
        return [0.0, 0.0]
    start = head / fps + line["start"] - shot_start
    return [round(start, 3), round(start + line["duration"], 3)]


def shot_spec(
    shot: Shot,
    script: Script,
    settings: Settings,
    timing: tuple[float, float, int, int],
    edges: tuple[str, str],
    line: NarrationLine | None,
) -> ShotSpec:
    """The render spec of one shot; `timing` is (start, end, head, tail) and `edges` the
    transitions before and after it."""
    start, end, head, tail = timing
    before, after = edges
    width, height = frame_size(settings.get("aspect", "16:9"), settings.get("resolution", "1080p"))
    fps = int(settings.get("fps", 24))
    return {
        "renderer": RENDERER_VERSION,
        "description": shot["description"],
        "shot_type": shot["shot_type"],
        "camera": shot.get("camera", "drift"),
        **({"motes": True} if shot.get("motes") else {}),
        "mood": script.get("mood", DEFAULT_MOOD),
        "width": width,
        "height": height,
        "fps": fps,
        "frames": round(end * fps) - round(start * fps),
        "seed": int(content_key(shot["description"])[:8], 16),
        # a recorded narration: the words spoken in the shot, none where nothing is said
        "caption": (line or {}).get("text")
        or ("" if settings.get("voiceover") else shot.get("narration", "")),
        "captions": bool(settings.get("captions", True)),
        "grade": shot.get("grade", {}),
        "speed": float(shot.get("speed", 1.0)),
        "fade_in": FADE_SECONDS if before == "fade" else 0.0,
        "fade_out": FADE_SECONDS if after == "fade" else 0.0,
        "head": head,
        "caption_cue": caption_cue(line, start, head, fps),
        "caption_scale": float(settings.get("caption_scale", 1.0)),
        "overlays": shot.get("overlays") or [],
        "tail": tail,
        "image": (shot.get("image") or {}).get("key"),
        **({"sketch": True} if (shot.get("image") or {}).get("kind") == "sketch" else {}),
        **beat_marks(settings, start, end, head, fps),
    }


def beat_marks(settings: Settings, start: float, end: float, head: int, fps: int) -> ShotSpec:
    """For a project cut to the beat: the clip frames of the strong beats inside the shot (a
    camera pulse on each) and, when the shot starts on one, a flash on its first frame."""
    sync: dict[str, Any] = settings.get("beat_sync") or {}
    downbeats = [float(b) for b in sync.get("downbeats") or []]
    if not downbeats:
        return ShotSpec()
    first, last = round(start * fps), round(end * fps)
    frames = sorted({round(b * fps) for b in downbeats})
    pulses = [head + f - first for f in frames if first < f < last]
    flash = start > 0 and any(abs(f - first) <= 1 for f in frames)
    marks = ShotSpec(pulses=pulses)
    if flash:
        marks["flash"] = head
    return marks


def build_plan(
    script: Script,
    settings: Settings,
    lines: dict[str, NarrationLine] | None = None,
    models: dict[str, str] | None = None,
    talk: str | None = None,
) -> list[PlanItem]:
    """Per-shot specs; frame counts come from cumulative times so the total is exact. A fade
    boundary fades out and in inside the clips; a crossfading boundary gives both clips a
    handle of half the transition, so the joined video keeps its length. `talk`, the mouth
    openings of a recorded narration per video frame (tools/voiceover.py), gives each shot
    with speech its frames' part (handles included) for a talking character."""
    fps = int(settings.get("fps", 24))
    cuts = boundaries(script, settings)
    handle = handle_frames(fps)
    plan: list[PlanItem] = []
    start = 0.0
    for i, shot in enumerate(script["shots"]):
        end = start + float(shot["duration"])
        before = cuts[i - 1] if i > 0 else "cut"
        after = cuts[i] if i < len(cuts) else "cut"
        head, tail = (handle if before in XFADE else 0), (handle if after in XFADE else 0)
        line = (lines or {}).get(shot["id"])
        spec = shot_spec(shot, script, settings, (start, end, head, tail), (before, after), line)
        generated = diffusion_spec(shot, script.get("mood", DEFAULT_MOOD), spec["frames"], models or {})
        if generated:
            spec["diffusion"] = generated
        first, last = round(start * spec["fps"]) - head, round(end * spec["fps"]) + tail
        said = (talk or "")[max(0, first) : max(0, last)]
        if said.strip("0"):  # the mouth opens somewhere in this shot
            spec["talk"] = "0" * max(0, -first) + said.ljust(last - max(0, first), "0")
        plan.append(
            {
                "shot_id": shot["id"],
                "start": round(start, 3),
                "end": round(end, 3),
                "key": content_key(spec),
                "spec": spec,
                "image_path": (shot.get("image") or {}).get("path"),
                "line": line,
            }
        )
        start = end
    return plan


class RunProgress:
    """Finished shots per render run, shared by the parallel shot renders of one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[str, tuple[int, float]] = {}

    def tick(self, run: str, total: int) -> tuple[float, float]:
        """Count one finished shot of a run; returns (percent, eta seconds)."""
        with self._lock:
            done, started = self._runs.get(run, (0, time.monotonic()))
            done += 1
            self._runs[run] = (done, started)
            if done >= total:
                self._runs.pop(run, None)
        elapsed = time.monotonic() - started
        return 100.0 * done / total, elapsed / done * (total - done)


def clip_id(result: ShotResult) -> str:
    """What a joined picture depends on for one clip: its key, and whether it is a stand-in."""
    return result["key"] + (":fallback" if (result.get("backend") or {}).get("fallback") else "")


def picture_key(clips: list[ShotResult], cuts: list[str]) -> str:
    """The content key of the picture track joined from these clips at these boundaries."""
    return content_key({"clips": [clip_id(c) for c in clips], "boundaries": cuts})


def shot_backends(clips: list[ShotResult], made_before: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Which backend made each shot (1-based). `made_before` is what made the clips of the
    turn's first render: a gate round finds those clips in the cache and keeps that record."""
    made = {b["shot"]: b for b in made_before}
    backends = []
    for i, clip in enumerate(clips):
        info = clip.get("backend") or {}
        if info.get("backend") == "cache" and i + 1 in made:
            backends.append(made[i + 1])
        elif info:
            backends.append({"shot": i + 1, **info})
    return backends


def model_names(backends: list[dict[str, Any]]) -> list[str]:
    """The short names of the models that made shots (a folder or hub id's last part)."""
    return sorted({str(b.get("model")).rstrip("/").split("/")[-1] for b in backends if b.get("model")})
