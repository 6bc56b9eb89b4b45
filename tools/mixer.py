"""The mix: narration lines placed at their shot times over the music bed (ducked about 10 dB
under speech with short ramps) and the effects under both; the master normalised to -14 LUFS
by two-pass loudnorm as AAC 48 kHz; the final MP4 joined by stream copy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from tools.ffmpeg import run_ffmpeg, run_ffmpeg_stderr
from tools.project import (
    EFFECTS_GAIN_DB,
    MUSIC_GAIN_DB,
    SAMPLE_RATE,
    TARGET_LUFS,
    TRUE_PEAK_MAX_DBTP,
    sample_index,
)

TRUE_PEAK = TRUE_PEAK_MAX_DBTP - 0.5  # the master's limiter aims half a dB under the review's limit
LRA = 11
DUCK_DB = -10.0
RAMP = 0.15


def _load_voice(path: str) -> Any:
    """A narration WAV as mono float32 at 48 kHz (pydub resamples espeak's 22.05 kHz)."""
    from pydub import AudioSegment

    seg = AudioSegment.from_wav(path).set_frame_rate(SAMPLE_RATE).set_channels(1).set_sample_width(2)
    return np.asarray(seg.get_array_of_samples(), dtype=np.float32) / 32768.0


def _db(gain: float) -> float:
    return float(10 ** (gain / 20))


def duck_envelope(n: int, lines: list[dict[str, Any]], duck_db: float = DUCK_DB, ramp: float = RAMP) -> Any:
    """Per-sample music gain: 1 between lines, `duck_db` under each line, linear ramps."""
    env = np.ones(n, dtype=np.float32)
    low, r = _db(duck_db), sample_index(ramp)
    for line in lines:
        s0 = sample_index(line["start"])
        s1 = min(n, sample_index(line["start"] + line["duration"]))
        if s1 <= s0:
            continue
        env[s0:s1] = np.minimum(env[s0:s1], low)
        a0 = max(0, s0 - r)
        env[a0:s0] = np.minimum(env[a0:s0], np.linspace(1, low, s0 - a0, dtype=np.float32))
        b1 = min(n, s1 + r)
        env[s1:b1] = np.minimum(env[s1:b1], np.linspace(low, 1, b1 - s1, dtype=np.float32))
    return env


def mix_tracks(
    music: Path | None,
    lines: list[dict[str, Any]],
    seconds: float,
    out_path: Path,
    music_gain_db: float = MUSIC_GAIN_DB,
    effects: list[dict[str, Any]] | None = None,
    effects_gain_db: float = EFFECTS_GAIN_DB,
    stems: Path | None = None,
) -> dict[str, Any]:
    """Mix narration `lines` ({path, start, duration}), the music bed (ducked under speech) and
    `effects` ({name, start, end, seed}) into a 48 kHz stereo WAV of exactly `seconds`.
    Writes voice/music/effects stems into `stems` when given (for review and tests)."""
    from tools.effects import synthesize as effect

    n = sample_index(seconds)
    voice = np.zeros(n, dtype=np.float32)
    for line in lines:
        x = _load_voice(line["path"])
        keep = sample_index(line["duration"])
        if len(x) > keep:  # a line longer than its shot is cut with a short fade, never overlaps
            x = x[:keep].copy()
            fade = min(len(x), sample_index(0.08))
            x[-fade:] *= np.linspace(1, 0, fade, dtype=np.float32)
        s0 = sample_index(line["start"])
        x = x[: max(0, n - s0)]
        voice[s0 : s0 + len(x)] += x
    peak = float(np.max(np.abs(voice))) if lines else 0.0
    if peak > 0:
        voice *= 0.7 / peak
    bed = np.zeros((n, 2), dtype=np.float32)
    if music is not None:
        from tools.music import read_wav

        tune = read_wav(music)[:n]
        bed[: len(tune)] = tune * _db(music_gain_db)
        bed *= duck_envelope(n, lines)[:, None]
    fx = np.zeros(n, dtype=np.float32)
    for spec in effects or []:
        s0, s1 = sample_index(spec["start"]), min(n, sample_index(spec["end"]))
        if s1 - s0 > SAMPLE_RATE // 10:
            # the effect's length is rounded from seconds: it may come out a sample short
            clip = effect(spec["name"], (s1 - s0) / SAMPLE_RATE, int(spec["seed"]))[: s1 - s0]
            fx[s0 : s0 + len(clip)] += clip
    fx *= _db(effects_gain_db) * 0.7
    if lines:
        fx *= duck_envelope(n, lines, duck_db=-4.0)
    out = bed + voice[:, None] + fx[:, None]
    top = float(np.max(np.abs(out))) or 1.0
    if top > 0.98:
        out *= 0.98 / top
    from tools.music import write_wav

    write_wav(out, out_path)
    if stems is not None:
        stems.mkdir(parents=True, exist_ok=True)
        write_wav(np.repeat(voice[:, None], 2, axis=1), stems / "voice.wav")
        write_wav(bed, stems / "music.wav")
        write_wav(np.repeat(fx[:, None], 2, axis=1), stems / "effects.wav")
    return {"peak": top, "lines": len(lines), "effects": len(effects or [])}


def master(
    mix: Path, out_path: Path, target: float = TARGET_LUFS, true_peak: float = TRUE_PEAK
) -> dict[str, float]:
    """Normalise a mix to `target` LUFS integrated with two-pass loudnorm (measure, then a
    linear gain with true-peak limiting) and encode it as AAC 48 kHz stereo. Returns pass one's
    measurement. The target is held to what loudnorm takes (-70 to -5 LUFS)."""
    target = max(-70.0, min(-5.0, target))
    log = run_ffmpeg_stderr(
        [
            "-i",
            str(mix),
            "-af",
            f"loudnorm=I={target}:TP={true_peak}:LRA={LRA}:print_format=json",
            "-f",
            "null",
            "-",
        ]
    )
    measured = json.loads(log[log.rindex("{") : log.rindex("}") + 1])
    if measured["input_i"] in ("-inf", "inf"):  # silence: nothing to normalise
        chain = "anull"
    else:
        chain = (
            f"loudnorm=I={target}:TP={true_peak}:LRA={LRA}:measured_I={measured['input_i']}"
            f":measured_TP={measured['input_tp']}:measured_LRA={measured['input_lra']}"
            f":measured_thresh={measured['input_thresh']}:offset={measured['target_offset']}:linear=true"
        )
    run_ffmpeg(
        [
            "-i",
            str(mix),
            "-af",
            f"{chain},aresample=48000,aformat=channel_layouts=stereo",
            "-c:a",
            "aac",
            "-b:a",
            "160k",
            "-ar",
            "48000",
            "-ac",
            "2",
            "-f",
            "mp4",
            str(out_path),
        ]
    )
    return {k: float(measured[k]) for k in ("input_i", "input_tp") if measured[k] not in ("-inf", "inf")}


def mux(video: Path, audio: Path, out_path: Path, seconds: float) -> None:
    """Join the picture with the mastered audio track, both by stream copy."""
    run_ffmpeg(
        [
            "-i",
            str(video),
            "-i",
            str(audio),
            "-map",
            "0:v:0",
            "-map",
            "1:a:0",
            "-c",
            "copy",
            "-t",
            f"{seconds:.3f}",
            "-movflags",
            "+faststart",
            str(out_path),
        ]
    )
