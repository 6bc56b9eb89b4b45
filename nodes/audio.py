"""The audio agent: a narration line per shot (fitted to its shot), the music bed, the mix
with ducking, and the final MP4 with loudness-normalised AAC."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langgraph.config import get_stream_writer
from langgraph.runtime import Runtime

from graph.context import Context
from graph.state import ProjectState
from tools.assets import AssetStore, content_key
from tools.ffmpeg import probe
from tools.mixer import master, mix_tracks, mux
from tools.music import compose
from tools.tts import synthesize_fitting, wav_duration

LEAD_IN = 0.15


def _narration(
    store: AssetStore, plan: list[dict[str, Any]], script: dict[str, Any], settings: dict[str, Any]
) -> list[dict[str, Any]]:
    lang = script.get("language", "zh")
    shots = {s["id"]: s for s in script["shots"]}
    lines = []
    for item in plan:
        text = shots[item["shot_id"]].get("narration", "").strip()
        if not text:
            continue
        room = max(0.5, item["end"] - item["start"] - LEAD_IN - 0.05)
        spec = {
            "text": text,
            "lang": lang,
            "voice": settings.get("voice", "female"),
            "rate": settings.get("voice_rate", 1.0),
            "room": round(room, 2),
        }
        key = content_key(spec, salt="tts-1")
        path = store.path("voice", key, "wav")
        if not store.has("voice", key, "wav"):
            tmp = store.tmp_path("voice", key, "wav")
            synthesize_fitting(text, lang, spec["voice"], tmp, room, float(spec["rate"]))
            store.commit(tmp, "voice", key, "wav", text=text)
        lines.append(
            {
                "shot_id": item["shot_id"],
                "path": str(path),
                "key": key,
                "start": round(item["start"] + LEAD_IN, 3),
                "duration": round(wav_duration(path), 3),
                "room": room,
            }
        )
    return lines


def audio(state: ProjectState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Narrate, score and mix; mux with the picture into this version's video."""
    store = AssetStore((runtime.context or Context()).data_dir)
    writer = get_stream_writer()
    script = state.get("script") or {}
    settings = state.get("settings") or {}
    plan = state.get("plan") or []
    render = dict(state.get("render") or {})
    seconds = plan[-1]["end"] if plan else 0.0
    writer({"stage": "narration", "percent": 10, "node": "audio"})
    lines = _narration(store, plan, script, settings)
    music_path = None
    mood = settings.get("music", script.get("mood", "warm"))
    if mood != "off":
        mkey = content_key({"mood": mood, "seconds": seconds}, salt="music-1")
        music_path = store.path("music", mkey, "wav")
        if not store.has("music", mkey, "wav"):
            tmp = store.tmp_path("music", mkey, "wav")
            compose(mood, seconds, tmp)
            store.commit(tmp, "music", mkey, "wav", mood=mood)
    writer({"stage": "mix", "percent": 60, "node": "audio"})
    gain = float(settings.get("music_gain_db", -12.0))
    mix_key = content_key(
        {
            "lines": [ln["key"] for ln in lines],
            "starts": [ln["start"] for ln in lines],
            "music": str(music_path),
            "gain": gain,
            "seconds": seconds,
        },
        salt="mix-1",
    )
    if not store.has("mix", mix_key, "wav"):
        tmp = store.tmp_path("mix", mix_key, "wav")
        mix_tracks(music_path, lines, seconds, tmp, gain)
        store.commit(tmp, "mix", mix_key, "wav")
    if not store.has("master", mix_key, "m4a"):
        writer({"stage": "loudness", "percent": 80, "node": "audio"})
        tmp = store.tmp_path("master", mix_key, "m4a")
        master(store.path("mix", mix_key, "wav"), tmp)
        store.commit(tmp, "master", mix_key, "m4a")
    final_key = content_key({"picture": render.get("picture_key"), "mix": mix_key}, salt="mux-2")
    if not store.has("renders", final_key, "mp4"):
        tmp = store.tmp_path("renders", final_key, "mp4")
        mux(Path(render["picture"]), store.path("master", mix_key, "m4a"), tmp, seconds)
        store.commit(tmp, "renders", final_key, "mp4")
    path = store.path("renders", final_key, "mp4")
    info = probe(path)
    writer({"stage": "audio", "percent": 100, "node": "audio"})
    render.update(
        path=str(path),
        key=final_key,
        version=state.get("version"),
        duration=round(info.duration, 3),
        width=info.width,
        height=info.height,
        probe=info.as_dict(),
        narration=[{k: ln[k] for k in ("shot_id", "start", "duration", "room")} for ln in lines],
        music=mood,
    )
    return {"render": render, "status": "rendered"}
