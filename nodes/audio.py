"""The audio agent: the music bed, sound effects, the mix with the narration the storyboard
timed, the loudness-normalised master, the final MP4 and its subtitles (tools/soundtrack.py)."""

from __future__ import annotations

from typing import Any

from langgraph.config import get_stream_writer
from langgraph.runtime import Runtime

from graph.context import Context, run_context
from graph.state import ProjectState
from tools import soundtrack
from tools.assets import AssetStore
from tools.ffmpeg import probe
from tools.narration import write_srt
from tools.project import Render


def audio(state: ProjectState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Score and mix; mux with the picture into this version's video, with its SRT."""
    store = AssetStore(run_context(runtime.context).data_dir)
    writer = get_stream_writer()

    def stage(name: str, percent: int) -> None:
        writer({"stage": name, "percent": percent, "node": "audio"})

    script = state.get("script") or {"shots": []}
    settings = state.get("settings") or {}
    plan = state.get("plan") or []
    render = state.get("render") or {}
    seconds = plan[-1]["end"] if plan else 0.0
    lines = soundtrack.narration_lines(plan)
    stage("music", 20)
    music = soundtrack.music_bed(store, settings, script, seconds)
    stage("effects", 40)
    effects = soundtrack.effect_specs(plan, script, settings)
    stage("mix", 60)
    mix_key, stems = soundtrack.mix(store, lines, music, effects, settings, seconds)
    master_key, master = soundtrack.mastered(store, mix_key, settings, lambda: stage("loudness", 80))
    picture = (render["picture_key"], store.local(render["picture"]))
    final_key, path = soundtrack.muxed(store, picture, (master_key, master), seconds)
    srt = store.put(
        write_srt([dict(ln) for ln in lines], path.with_suffix(".srt")), "renders", f"{final_key}.srt"
    )
    info = probe(path)
    stage("audio", 100)
    made: Render = {
        "path": store.key_of(path),
        "key": final_key,
        "srt": srt,
        "stems": store.key_of(stems),
        "mix": mix_key,
        "master_key": master_key,
        "master": store.key_of(master),
        "version": state.get("version", ""),
        "duration": round(info.duration, 3),
        "width": info.width,
        "height": info.height,
        "probe": info.as_dict(),
        "narration": soundtrack.narration_summary(lines),
        "music": soundtrack.music_choice(settings, script),
        "music_file": store.key_of(music) if music else None,
        "effects": soundtrack.effects_summary(effects),
    }
    return {"render": {**render, **made}, "status": "rendered"}
