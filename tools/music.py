"""Background music composed for the project: the mood picks key, tempo, chord progression and
instruments (tools/data/music.json); the piece is written as MIDI with mido (melody, chords,
bass, exactly the video's length, ending on a V-I cadence) and rendered with FluidSynth and a
General MIDI soundfont from Debian. Without FluidSynth the same notes are synthesized with
numpy. A user's own file can be the bed instead (validated, trimmed or looped)."""

from __future__ import annotations

import os
import random
import shutil
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tools import lexicon, procs
from tools.errors import RequestError
from tools.ffmpeg import MediaError, probe, run_ffmpeg
from tools.project import SAMPLE_RATE, sample_index

TICKS = 480
SOUNDFONTS = (
    "/usr/share/sounds/sf2/TimGM6mb.sf2",
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/default-GM.sf2",
)
FADE_IN, FADE_OUT = 1.0, 2.0
MAX_UPLOAD_BYTES = 50 * 2**20
MAX_UPLOAD_SECONDS = 600.0
MIN_UPLOAD_SECONDS = 1.0
"""A music bed shorter than this is refused (a truncated file, a click), not looped."""
UPLOAD_FORMATS = {"wav", "mp3", "mov", "mp4", "m4a", "ogg", "flac"}


class MusicError(RequestError):
    """A music request or upload that cannot be used; `code` names the reason."""


@dataclass
class Note:
    """One note: start and length in beats, MIDI pitch, velocity, and its part."""

    start: float
    length: float
    pitch: int
    velocity: int
    part: str


def soundfont() -> str | None:
    """The General MIDI soundfont to use (CINECHAT_SOUNDFONT, else Debian's)."""
    for path in (os.environ.get("CINECHAT_SOUNDFONT"), *SOUNDFONTS):
        if path and Path(path).is_file():
            return path
    return None


def plan_piece(
    mood: str, seconds: float, instrument: str | None = None, tempo_scale: float = 1.0
) -> dict[str, Any]:
    """Key, exact tempo, bars, progression and instruments for a piece of `seconds`."""
    data = lexicon.load("music")
    mood = lexicon.base_mood(mood)
    style = data["moods"].get(mood, data["moods"]["warm"])
    bpm = float(style["tempo"]) * tempo_scale
    bar = 4 * 60.0 / bpm
    bars = max(2, round(seconds / bar))
    bpm = 4 * 60.0 * bars / seconds  # the piece ends exactly with the video
    parts = dict(style["instruments"])
    if instrument:
        program = data["instruments"][instrument]
        parts["melody"] = program
        if instrument in ("piano", "guitar", "harp", "music_box"):
            parts["chords"] = program
    return {
        "mood": mood if mood in data["moods"] else "warm",
        "key": style["key"],
        "tonic": int(style["tonic"]),
        "minor": bool(style["minor"]),
        "tempo": round(bpm, 3),
        "bars": bars,
        "progression": style["progression"],
        "pattern": style["pattern"],
        "instruments": parts,
        "seconds": seconds,
    }


def notes_for(piece: dict[str, Any], seed: int = 0) -> list[Note]:
    """The notes of the piece: the progression looped, the last two bars V-I, a melody on
    chord tones that ends on the tonic."""
    rng = random.Random(seed)
    tonic, minor, bars = piece["tonic"], piece["minor"], piece["bars"]
    third = 3 if minor else 4
    cadence = [[7, 11, 14], [0, third, 7]]
    chords = [piece["progression"][b % len(piece["progression"])] for b in range(bars)]
    chords[-2:] = cadence[-min(2, bars) :] if bars >= 2 else cadence[-1:]
    out: list[Note] = []
    melody_pitch = tonic + 12
    for b, chord in enumerate(chords):
        t0 = b * 4.0
        root = tonic + chord[0] - 24
        out.append(Note(t0, 2.0, root, 70, "bass"))
        out.append(Note(t0 + 2, 2.0, root + (7 if b < bars - 1 else 0), 64, "bass"))
        if piece["pattern"] == "arpeggio":
            for k in range(8):
                pitch = tonic + chord[k % 3] + (12 if k % 4 == 3 else 0)
                out.append(Note(t0 + k * 0.5, 0.9, pitch, 52, "chords"))
        else:  # held chords (strings, pads)
            for off in chord:
                out.append(Note(t0, 4.0, tonic + off - 12, 48, "chords"))
        steps = [0.0, 1.0, 2.0, 3.0] if piece["pattern"] != "pad" else [0.0, 2.0]
        for s in steps:
            tones = [tonic + 12 + off for off in chord] + [tonic + 24 + chord[0]]
            melody_pitch = min(tones, key=lambda p: abs(p - melody_pitch) + rng.random() * 4)
            length = 1.0 if len(steps) == 4 else 2.0
            out.append(Note(t0 + s, length * 0.95, melody_pitch, 72, "melody"))
    last = bars * 4.0
    out = [n for n in out if n.start < last - 2 or n.part != "melody"]
    out.append(Note(last - 2, 2.0, tonic + 12, 70, "melody"))  # end on the tonic
    return out


def write_midi(piece: dict[str, Any], notes: list[Note], path: Path) -> None:
    """Write the piece as a type-1 MIDI file: tempo and key, one track per part."""
    import mido

    mid = mido.MidiFile(type=1, ticks_per_beat=TICKS)
    meta = mido.MidiTrack()
    meta.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(piece["tempo"]), time=0))
    meta.append(mido.MetaMessage("key_signature", key=piece["key"], time=0))
    meta.append(mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0))
    mid.tracks.append(meta)
    for channel, part in enumerate(("melody", "chords", "bass")):
        track = mido.MidiTrack()
        track.append(mido.MetaMessage("track_name", name=part, time=0))
        track.append(
            mido.Message("program_change", channel=channel, program=piece["instruments"][part], time=0)
        )
        events = []
        for n in notes:
            if n.part == part:
                events.append((round(n.start * TICKS), 1, n.pitch, n.velocity))
                events.append((round((n.start + n.length) * TICKS), 0, n.pitch, 0))
        events.sort(key=lambda e: (e[0], e[1]))
        now = 0
        for tick, on, pitch, vel in events:
            kind = "note_on" if on else "note_off"
            track.append(mido.Message(kind, channel=channel, note=pitch, velocity=vel, time=tick - now))
            now = tick
        mid.tracks.append(track)
    mid.save(str(path))


def read_midi(path: Path) -> dict[str, Any]:
    """Tempo (BPM), key and programs of a MIDI file, read back with mido."""
    import mido

    mid = mido.MidiFile(str(path))
    out: dict[str, Any] = {"programs": []}
    for msg in mid.merged_track:
        if msg.type == "set_tempo" and "tempo" not in out:
            out["tempo"] = round(mido.tempo2bpm(msg.tempo), 3)
        elif msg.type == "key_signature":
            out["key"] = msg.key
        elif msg.type == "program_change":
            out["programs"].append(msg.program)
    return out


def _fit(samples: Any, seconds: float) -> Any:
    """Trim or pad to exactly `seconds`, with fades in and out; float stereo in [-1, 1]."""
    n = sample_index(seconds)
    if len(samples) < n:
        samples = np.concatenate([samples, np.zeros((n - len(samples), 2), dtype=np.float32)])
    samples = samples[:n].astype(np.float32)
    fi, fo = min(sample_index(FADE_IN), n // 4), min(sample_index(FADE_OUT), n // 3)
    if fi:
        samples[:fi] *= np.linspace(0, 1, fi, dtype=np.float32)[:, None]
    if fo:
        samples[-fo:] *= np.linspace(1, 0, fo, dtype=np.float32)[:, None]
    return samples


def read_wav(path: Path) -> Any:
    """A 16-bit PCM WAV as float32 stereo samples at its own rate."""
    with wave.open(str(path), "rb") as wf:
        raw = wf.readframes(wf.getnframes())
        channels = wf.getnchannels()
    data = np.frombuffer(raw, dtype=np.int16).astype(np.float32) / 32768.0
    data = data.reshape(-1, channels)
    return np.repeat(data, 2, axis=1) if channels == 1 else data[:, :2]


def write_wav(samples: Any, path: Path) -> None:
    """Float stereo samples to a 16-bit 48 kHz WAV."""
    pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as wf:
        wf.setnchannels(2)
        wf.setsampwidth(2)
        wf.setframerate(SAMPLE_RATE)
        wf.writeframes(pcm.tobytes())


def _synthesize(piece: dict[str, Any], notes: list[Note]) -> Any:
    """The fallback: the same notes by additive synthesis (no FluidSynth)."""
    beat = 60.0 / piece["tempo"]
    n = sample_index(piece["seconds"]) + SAMPLE_RATE
    out = np.zeros(n, dtype=np.float32)
    for note in notes:
        s0 = sample_index(note.start * beat)
        length = sample_index(note.length * beat + 0.3)
        s1 = min(n, s0 + length)
        if s1 <= s0:
            continue
        t = np.arange(s1 - s0, dtype=np.float32) / SAMPLE_RATE
        f = 440.0 * 2 ** ((note.pitch - 69) / 12)
        decay = 2.5 if note.part != "chords" or piece["pattern"] == "arpeggio" else 0.6
        env = np.minimum(1, t / 0.02) * np.exp(-t * decay)
        wave_ = (
            np.sin(2 * np.pi * f * t) + 0.35 * np.sin(4 * np.pi * f * t) + 0.12 * np.sin(6 * np.pi * f * t)
        )
        out[s0:s1] += (note.velocity / 127) * 0.18 * env * wave_
    peak = float(np.max(np.abs(out))) or 1.0
    mono = out / peak * 0.7
    return np.stack([mono, mono], axis=1)


def render(piece: dict[str, Any], notes: list[Note], midi: Path, out_path: Path) -> str:
    """Render the MIDI to a WAV of exactly the piece's length; returns the engine used."""
    font, exe = soundfont(), shutil.which("fluidsynth")
    samples = None
    engine = "numpy"
    if font and exe:
        raw = out_path.with_suffix(".fluid.wav")
        proc = procs.run(
            [exe, "-ni", "-q", "-g", "0.6", "-r", str(SAMPLE_RATE), "-F", str(raw), font, str(midi)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if proc.returncode == 0 and raw.exists() and raw.stat().st_size > 1000:
            samples = read_wav(raw)
            engine = "fluidsynth"
        raw.unlink(missing_ok=True)
    if samples is None:
        samples = _synthesize(piece, notes)
    peak = float(np.max(np.abs(samples))) or 1.0
    write_wav(_fit(samples / peak * 0.8, piece["seconds"]), out_path)
    return engine


def compose(
    mood: str,
    seconds: float,
    out_path: Path,
    instrument: str | None = None,
    tempo_scale: float = 1.0,
    seed: int = 0,
) -> dict[str, Any]:
    """Compose and render a bed of exactly `seconds` (MIDI written beside the WAV)."""
    piece = plan_piece(mood, seconds, instrument, tempo_scale)
    notes = notes_for(piece, seed)
    midi = out_path.with_suffix(".mid")
    write_midi(piece, notes, midi)
    engine = render(piece, notes, midi, out_path)
    return {**piece, "engine": engine, "midi": str(midi), "notes": len(notes)}


def check_upload(path: str | Path) -> dict[str, Any]:
    """Validate a user's music file by content (ffprobe), size and duration."""
    p = Path(path)
    if p.exists() and not p.is_file():  # /dev/zero, a folder, a pipe: never read
        raise MusicError("audio_not_file", path=str(path))
    if not p.is_file():
        raise MusicError("audio_missing", path=str(path))
    size = p.stat().st_size
    if size > MAX_UPLOAD_BYTES:
        raise MusicError("audio_too_large", mb=round(size / 2**20, 1), limit=MAX_UPLOAD_BYTES // 2**20)
    try:
        info = probe(p)
    except MediaError as exc:
        raise MusicError("audio_invalid", reason="unreadable") from exc
    if not info.has_audio or info.audio_duration <= 0:
        raise MusicError("audio_invalid", reason="no audio")
    if info.format_names and not set(info.format_names) & UPLOAD_FORMATS:
        raise MusicError("audio_invalid", reason=",".join(info.format_names))
    if info.audio_duration < MIN_UPLOAD_SECONDS:
        raise MusicError(
            "audio_too_short", seconds=round(info.audio_duration, 3), limit=round(MIN_UPLOAD_SECONDS)
        )
    if info.audio_duration > MAX_UPLOAD_SECONDS:
        raise MusicError("audio_too_long", seconds=round(info.audio_duration), limit=int(MAX_UPLOAD_SECONDS))
    return {"duration": info.audio_duration, "format": info.format_names}


def fit_upload(src: Path, seconds: float, out_path: Path) -> None:
    """A user's file as the bed: decoded, looped when short, trimmed, faded, 48 kHz stereo."""
    tmp = out_path.with_suffix(".decoded.wav")
    run_ffmpeg(
        [
            "-stream_loop",
            "-1",
            "-i",
            str(src),
            "-t",
            f"{seconds:.3f}",
            "-vn",
            "-ac",
            "2",
            "-ar",
            str(SAMPLE_RATE),
            "-c:a",
            "pcm_s16le",
            str(tmp),
        ]
    )
    samples = read_wav(tmp)
    tmp.unlink(missing_ok=True)
    peak = float(np.max(np.abs(samples))) or 1.0
    write_wav(_fit(samples / peak * 0.8, seconds), out_path)
