"""The soundtrack of a render: the music bed (composed MIDI through FluidSynth, or the user's
file), sound effects placed from the shot descriptions, the mix with the timed narration, the
loudness-normalised master and the final MP4, each cached in the asset store by what makes it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tools.assets import AssetStore, content_key
from tools.effects import effects_for
from tools.mixer import master, mix_tracks, mux
from tools.music import compose, fit_upload
from tools.project import (
    DEFAULT_MOOD,
    EFFECTS_GAIN_DB,
    MUSIC_GAIN_DB,
    TARGET_LUFS,
    NarrationLine,
    PlanItem,
    Script,
    Settings,
)


def music_choice(settings: Settings, script: Script) -> str:
    """The bed the settings ask for: a mood, 'upload' or 'off' (the script's mood by default)."""
    return settings.get("music", script.get("mood", DEFAULT_MOOD))


def _uploaded_bed(store: AssetStore, stored: dict[str, Any], seconds: float) -> Path:
    key = content_key({"file": stored["key"], "seconds": seconds}, salt="upload-1")
    if not store.has("music", key, "wav"):
        tmp = store.tmp_path("music", key, "wav")
        fit_upload(store.local(stored["path"]), seconds, tmp)
        store.commit(tmp, "music", key, "wav", source="upload")
    return store.path("music", key, "wav")


def music_bed(store: AssetStore, settings: Settings, script: Script, seconds: float) -> Path | None:
    """The bed for these settings (cached): None when music is off."""
    mood = music_choice(settings, script)
    if mood == "off":
        return None
    if mood == "upload" and settings.get("music_file"):
        return _uploaded_bed(store, dict(settings["music_file"]), seconds)
    instrument, tempo = settings.get("music_instrument"), float(settings.get("music_tempo", 1.0))
    spec = {"mood": mood, "seconds": seconds, "instrument": instrument, "tempo": tempo}
    key = content_key(spec, salt="music-2")
    if not store.has("music", key, "wav"):
        tmp = store.tmp_path("music", key, "wav")
        info = compose(mood, seconds, tmp, instrument, tempo)
        shutil.move(str(Path(info["midi"])), str(store.path("music", key, "mid")))
        store.commit(
            tmp, "music", key, "wav", engine=info["engine"], tempo=info["tempo"], key_sig=info["key"]
        )
    return store.path("music", key, "wav")


def effect_specs(plan: list[PlanItem], script: Script, settings: Settings) -> list[dict[str, Any]]:
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


def narration_lines(plan: list[PlanItem]) -> list[NarrationLine]:
    """The spoken lines of a plan, in shot order."""
    return [line for item in plan if (line := item.get("line")) is not None]


def mix(
    store: AssetStore,
    lines: list[NarrationLine],
    music: Path | None,
    effects: list[dict[str, Any]],
    settings: Settings,
    seconds: float,
) -> tuple[str, Path]:
    """The mix of narration, music and effects (cached): its key, and the folder of its stems."""
    gain = float(settings.get("music_gain_db", MUSIC_GAIN_DB))
    effects_gain = float(settings.get("effects_gain_db", EFFECTS_GAIN_DB))
    key = content_key(
        {
            "lines": [[ln["key"], ln["start"], ln["duration"]] for ln in lines],
            "music": music.name if music else None,
            "gain": gain,
            "effects": effects,
            "effects_gain": settings.get("effects_gain_db", EFFECTS_GAIN_DB),
            "seconds": seconds,
        },
        salt="mix-2",
    )
    stems = store.root / "stems" / key
    if not store.has("mix", key, "wav"):
        tmp = store.tmp_path("mix", key, "wav")
        voices = [{**ln, "path": str(store.local(ln["path"]))} for ln in lines]
        mix_tracks(music, voices, seconds, tmp, gain, effects, effects_gain, stems)
        store.commit(tmp, "mix", key, "wav")
    return key, stems


def mastered(
    store: AssetStore, mix_key: str, settings: Settings, on_start: Callable[[], None] | None = None
) -> tuple[str, Path]:
    """The mix normalised to the target loudness (plus the gate's offset) as AAC (cached): its
    key and file. `on_start` is called when it has to be made."""
    offset = float(settings.get("master_offset_db", 0.0))
    key = content_key({"mix": mix_key, "offset": offset}, salt="master-1")
    if not store.has("master", key, "m4a"):
        if on_start:
            on_start()
        tmp = store.tmp_path("master", key, "m4a")
        master(store.path("mix", mix_key, "wav"), tmp, TARGET_LUFS + offset)
        store.commit(tmp, "master", key, "m4a")
    return key, store.path("master", key, "m4a")


def muxed(
    store: AssetStore, picture: tuple[str, Path], audio: tuple[str, Path], seconds: float
) -> tuple[str, Path]:
    """The final MP4 of a picture track and a master, each (key, file) (cached): key and file."""
    key = content_key({"picture": picture[0], "master": audio[0]}, salt="mux-3")
    if not store.has("renders", key, "mp4"):
        tmp = store.tmp_path("renders", key, "mp4")
        mux(picture[1], audio[1], tmp, seconds)
        store.commit(tmp, "renders", key, "mp4")
    return key, store.path("renders", key, "mp4")


def narration_summary(lines: list[NarrationLine]) -> list[dict[str, Any]]:
    """What a render records of each spoken line: when, how long, and how it fit its shot."""
    return [
        {k: ln.get(k) for k in ("shot_id", "start", "duration", "room", "overflow", "spoken")} for ln in lines
    ]


def effects_summary(effects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a render records of each placed effect: its name, shot and span."""
    return [{k: e[k] for k in ("name", "shot_id", "start", "end")} for e in effects]
