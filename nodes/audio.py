"""The audio agent: the music bed (composed MIDI through FluidSynth, or the user's file), sound
effects from the shot descriptions, the mix with the narration the storyboard timed, the
loudness-normalised master, the final MP4 and its subtitles."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from langgraph.config import get_stream_writer
from langgraph.runtime import Runtime

from graph.context import Context
from graph.state import ProjectState
from tools.assets import AssetStore, content_key
from tools.effects import effects_for
from tools.ffmpeg import probe
from tools.mixer import TARGET_LUFS, master, mix_tracks, mux
from tools.music import compose, fit_upload
from tools.narration import write_srt


def music_bed(
    store: AssetStore, settings: dict[str, Any], script: dict[str, Any], seconds: float
) -> Path | None:
    """The bed for these settings (cached): None when music is off."""
    mood = settings.get("music", script.get("mood", "warm"))
    if mood == "off":
        return None
    if mood == "upload" and settings.get("music_file"):
        key = content_key({"file": settings["music_file"]["key"], "seconds": seconds}, salt="upload-1")
        if not store.has("music", key, "wav"):
            tmp = store.tmp_path("music", key, "wav")
            fit_upload(Path(settings["music_file"]["path"]), seconds, tmp)
            store.commit(tmp, "music", key, "wav", source="upload")
        return store.path("music", key, "wav")
    spec = {
        "mood": mood,
        "seconds": seconds,
        "instrument": settings.get("music_instrument"),
        "tempo": float(settings.get("music_tempo", 1.0)),
    }
    key = content_key(spec, salt="music-2")
    if not store.has("music", key, "wav"):
        tmp = store.tmp_path("music", key, "wav")
        info = compose(mood, seconds, tmp, spec["instrument"], spec["tempo"])
        midi = Path(info["midi"])
        shutil.move(str(midi), str(store.path("music", key, "mid")))
        store.commit(
            tmp, "music", key, "wav", engine=info["engine"], tempo=info["tempo"], key_sig=info["key"]
        )
    return store.path("music", key, "wav")


def effect_specs(
    plan: list[dict[str, Any]], script: dict[str, Any], settings: dict[str, Any]
) -> list[dict[str, Any]]:
    """Effects placed in their shots: a shot's own list when the user set one, else those its
    description calls for; none when effects are off."""
    if settings.get("effects", "auto") == "off":
        return []
    shots = {s["id"]: s for s in script["shots"]}
    out = []
    for item in plan:
        shot = shots[item["shot_id"]]
        names = shot.get("effects")
        if names is None:
            names = effects_for(shot["description"])
        for name in names:
            seed = int(content_key([item["shot_id"], name])[:6], 16)
            out.append(
                {
                    "name": name,
                    "shot_id": item["shot_id"],
                    "start": item["start"],
                    "end": item["end"],
                    "seed": seed,
                }
            )
    return out


def audio(state: ProjectState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Score and mix; mux with the picture into this version's video, with its SRT."""
    store = AssetStore((runtime.context or Context()).data_dir)
    writer = get_stream_writer()
    script = state.get("script") or {}
    settings = state.get("settings") or {}
    plan = state.get("plan") or []
    render = dict(state.get("render") or {})
    seconds = plan[-1]["end"] if plan else 0.0
    lines = [item["line"] for item in plan if item.get("line")]
    writer({"stage": "music", "percent": 20, "node": "audio"})
    music_path = music_bed(store, settings, script, seconds)
    writer({"stage": "effects", "percent": 40, "node": "audio"})
    effects = effect_specs(plan, script, settings)
    writer({"stage": "mix", "percent": 60, "node": "audio"})
    gain = float(settings.get("music_gain_db", -12.0))
    mix_key = content_key(
        {
            "lines": [[ln["key"], ln["start"], ln["duration"]] for ln in lines],
            "music": music_path.name if music_path else None,
            "gain": gain,
            "effects": effects,
            "effects_gain": settings.get("effects_gain_db", -16.0),
            "seconds": seconds,
        },
        salt="mix-2",
    )
    stems = store.root / "stems" / mix_key
    if not store.has("mix", mix_key, "wav"):
        tmp = store.tmp_path("mix", mix_key, "wav")
        mix_tracks(
            music_path,
            lines,
            seconds,
            tmp,
            gain,
            effects,
            float(settings.get("effects_gain_db", -16.0)),
            stems,
        )
        store.commit(tmp, "mix", mix_key, "wav")
    offset = float(settings.get("master_offset_db", 0.0))
    master_key = content_key({"mix": mix_key, "offset": offset}, salt="master-1")
    if not store.has("master", master_key, "m4a"):
        writer({"stage": "loudness", "percent": 80, "node": "audio"})
        tmp = store.tmp_path("master", master_key, "m4a")
        master(store.path("mix", mix_key, "wav"), tmp, TARGET_LUFS + offset)
        store.commit(tmp, "master", master_key, "m4a")
    final_key = content_key({"picture": render.get("picture_key"), "master": master_key}, salt="mux-3")
    path = store.path("renders", final_key, "mp4")
    if not store.has("renders", final_key, "mp4"):
        tmp = store.tmp_path("renders", final_key, "mp4")
        mux(Path(render["picture"]), store.path("master", master_key, "m4a"), tmp, seconds)
        store.commit(tmp, "renders", final_key, "mp4")
    srt = write_srt(lines, path.with_suffix(".srt"))
    info = probe(path)
    writer({"stage": "audio", "percent": 100, "node": "audio"})
    render.update(
        path=str(path),
        key=final_key,
        srt=str(srt),
        stems=str(stems),
        mix=mix_key,
        master_key=master_key,
        version=state.get("version"),
        duration=round(info.duration, 3),
        width=info.width,
        height=info.height,
        probe=info.as_dict(),
        narration=[
            {k: ln[k] for k in ("shot_id", "start", "duration", "room", "overflow", "spoken")} for ln in lines
        ],
        music=settings.get("music", script.get("mood", "warm")),
        music_file=str(music_path) if music_path else None,
        effects=[{k: e[k] for k in ("name", "shot_id", "start", "end")} for e in effects],
    )
    return {"render": render, "status": "rendered"}
