"""The narration timeline: one line per shot, spoken from just after its shot starts and never
past its end (sped up within a natural range, and marked as overflowing beyond that), cached
in the asset store; and the subtitles (SRT) written from the same timing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tools.assets import AssetStore, content_key
from tools.project import VOICE_MAX_SPEEDUP, NarrationLine, PlanItem, Script, Settings
from tools.tts import synthesize_fitting, wav_duration

LEAD_IN = 0.15
TAIL_GAP = 0.05


def narrate(
    store: AssetStore,
    plan: list[PlanItem],
    script: Script,
    settings: Settings,
    provider: str = "espeak",
    on_line: Any = None,
) -> tuple[list[NarrationLine], list[str]]:
    """Synthesize (or reuse) each shot's line; returns the lines ({shot_id, path, key, start,
    duration, room, overflow}) and notes (e.g. a provider that failed and fell back)."""
    lang = script.get("language", "zh")
    shots = {s["id"]: s for s in script["shots"]}
    lines: list[NarrationLine] = []
    notes: list[str] = []
    spoken = [item for item in plan if shots[item["shot_id"]].get("narration", "").strip()]
    for n, item in enumerate(spoken):
        text = shots[item["shot_id"]]["narration"].strip()
        room = max(0.5, item["end"] - item["start"] - LEAD_IN - TAIL_GAP)
        spec: dict[str, Any] = {
            "text": text,
            "lang": lang,
            "voice": settings.get("voice", "female"),
            "rate": settings.get("voice_rate", 1.0),
            "room": round(room, 2),
            "provider": provider,
            "max_speedup": float(settings.get("voice_max_speedup", VOICE_MAX_SPEEDUP)),
        }
        key = content_key(spec, salt="tts-3")
        path = store.path("voice", key, "wav")
        if not store.has("voice", key, "wav"):
            tmp = store.tmp_path("voice", key, "wav")
            try:
                synthesize_fitting(
                    text, lang, spec["voice"], tmp, room, float(spec["rate"]), provider, spec["max_speedup"]
                )
            except Exception as exc:  # a provider failure falls back to the offline voice
                if provider == "espeak":
                    raise
                notes.append(f"tts_fallback:{type(exc).__name__}")
                return narrate(store, plan, script, settings, "espeak", on_line)[0], notes
            store.commit(tmp, "voice", key, "wav", text=text)
        length = wav_duration(path)
        lines.append(
            {
                "shot_id": item["shot_id"],
                "text": text,
                "path": store.ref("voice", key, "wav"),
                "key": key,
                "start": round(item["start"] + LEAD_IN, 3),
                "duration": round(min(length, room), 3),
                "spoken": round(length, 3),
                "room": round(room, 3),
                "overflow": round(max(0.0, length - room), 3),
            }
        )
        if on_line:
            on_line(n + 1, len(spoken))
    return lines, notes


def recorded(
    store: AssetStore, plan: list[PlanItem], script: Script, settings: Settings, fps: int
) -> tuple[list[NarrationLine], list[str], str]:
    """The user's recording (settings['voiceover']) as the narration: per shot with speech in
    its time, the part spoken there as its line, timed from the first word to the last (the
    subtitles and captions follow it), with the words heard there or the shot's script line;
    the notes (speech past the video's end) and the mouth openings per video frame."""
    from tools import voiceover
    from tools.replies import note  # tools.replies reads subtitles with this module

    own: dict[str, Any] = dict(settings.get("voiceover") or {})
    source = store.local(own["path"])
    recording = voiceover.load(source)
    texts = {s["id"]: s.get("narration", "").strip() for s in script["shots"]}
    zh = script.get("language", "zh") == "zh"
    cues = voiceover.shot_cues(recording, [dict(p) for p in plan], texts, own.get("words"), zh)
    lines: list[NarrationLine] = []
    for cue in cues:
        key = content_key({"recording": own.get("key") or own["path"], "a": cue["start"], "b": cue["end"]})
        if not store.has("voice", key, "wav"):
            tmp = store.tmp_path("voice", key, "wav")
            voiceover.write_part(recording, cue["start"], cue["end"], tmp)
            store.commit(tmp, "voice", key, "wav", text=cue["text"])
        length = round(cue["end"] - cue["start"], 3)
        lines.append(
            {
                "shot_id": cue["shot_id"],
                "text": cue["text"],
                "path": store.ref("voice", key, "wav"),
                "key": key,
                "start": cue["start"],
                "duration": length,
                "spoken": length,
                "room": length,
                "overflow": 0.0,
            }
        )
    end = float(plan[-1]["end"]) if plan else 0.0
    lost = voiceover.unheard(recording, end)
    notes = (
        [note("voiceover_unheard", seconds=lost, length=round(recording.seconds, 1))] if lost > 0.3 else []
    )
    return lines, notes, voiceover.mouth_levels(recording.samples, fps)


def _stamp(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def write_srt(lines: list[dict[str, Any]], path: Path) -> Path:
    """Subtitles: one cue per narration line, at the time it is spoken."""
    cues = []
    for i, line in enumerate(lines, start=1):
        start, end = line["start"], line["start"] + line["duration"]
        cues.append(f"{i}\n{_stamp(start)} --> {_stamp(end)}\n{line['text']}\n")
    path.write_text("\n".join(cues), encoding="utf-8")
    return path


def read_srt(path: Path) -> list[tuple[float, float, str]]:
    """Cues of an SRT file as (start, end, text)."""

    def secs(stamp: str) -> float:
        hms, ms = stamp.strip().split(",")
        h, m, s = (int(x) for x in hms.split(":"))
        return h * 3600 + m * 60 + s + int(ms) / 1000

    out = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        rows = block.strip().splitlines()
        if len(rows) >= 3:
            a, b = rows[1].split("-->")
            out.append((secs(a), secs(b), "\n".join(rows[2:])))
    return out
