"""A background music bed composed for the project: mood picks key, tempo and progression;
additive synthesis with numpy renders pad chords and a soft arpeggio to a WAV of exact length."""

from __future__ import annotations

import wave
from pathlib import Path

SAMPLE_RATE = 48000
# mood -> (tonic MIDI note, tempo BPM, chord degrees as semitone offsets from the tonic, minor)
MOODS: dict[str, tuple[int, int, list[list[int]]]] = {
    "warm": (60, 72, [[0, 4, 7], [7, 11, 14], [9, 12, 16], [5, 9, 12]]),
    "cheerful": (62, 116, [[0, 4, 7], [5, 9, 12], [7, 11, 14], [0, 4, 7]]),
    "cinematic": (57, 64, [[0, 3, 7], [8, 12, 15], [3, 7, 10], [10, 14, 17]]),
    "moody": (55, 60, [[0, 3, 7], [5, 8, 12], [8, 12, 15], [7, 10, 14]]),
    "sad": (57, 58, [[0, 3, 7], [5, 8, 12], [10, 14, 17], [7, 10, 14]]),
    "calm": (60, 66, [[0, 4, 7], [9, 12, 16], [5, 9, 12], [7, 11, 14]]),
}


def _freq(note: float) -> float:
    return float(440.0 * 2 ** ((note - 69) / 12))


def compose(mood: str, seconds: float, out_path: Path, tempo_scale: float = 1.0) -> dict[str, object]:
    """Write a stereo 48 kHz WAV bed of exactly `seconds`; returns what was composed."""
    import numpy as np

    tonic, bpm, progression = MOODS.get(mood, MOODS["warm"])
    bpm = int(bpm * tempo_scale)
    n = int(round(seconds * SAMPLE_RATE))
    t = np.arange(n) / SAMPLE_RATE
    bar = 4 * 60.0 / bpm
    out = np.zeros(n, dtype=np.float64)
    bars = int(np.ceil(seconds / bar))
    for b in range(bars):
        chord = progression[b % len(progression)] if b < bars - 1 else progression[0]
        start, end = int(b * bar * SAMPLE_RATE), min(n, int((b + 1) * bar * SAMPLE_RATE))
        seg = t[start:end] - t[start]
        env = np.minimum(1, seg / 0.6) * np.minimum(1, (seg[-1] - seg + 1e-3) / 0.4)
        for off in chord:
            f = _freq(tonic - 12 + off)
            out[start:end] += 0.12 * env * (np.sin(2 * np.pi * f * seg) + 0.3 * np.sin(4 * np.pi * f * seg))
        step = 60.0 / bpm / 2
        for k in range(int(bar / step)):
            s0 = start + int(k * step * SAMPLE_RATE)
            if s0 >= end:
                break
            s1 = min(end, s0 + int(step * 2 * SAMPLE_RATE))
            nt = tonic + chord[k % len(chord)] + (12 if k % 4 == 3 else 0)
            seg2 = t[s0:s1] - t[s0]
            out[s0:s1] += 0.10 * np.exp(-seg2 * 3.5) * np.sin(2 * np.pi * _freq(nt) * seg2)
    fade = min(int(1.5 * SAMPLE_RATE), n // 4)
    if fade:
        out[:fade] *= np.linspace(0, 1, fade)
        out[-fade:] *= np.linspace(1, 0, fade)
    peak = float(np.max(np.abs(out))) or 1.0
    pcm = (out / peak * 0.7 * 32767).astype(np.int16)
    stereo = np.repeat(pcm[:, None], 2, axis=1)
    with wave.open(str(out_path), "wb") as wf:
        wf.setnchannels(2)
        wf.setsampwidth(2)
        wf.setframerate(SAMPLE_RATE)
        wf.writeframes(stereo.tobytes())
    return {"mood": mood, "tempo": bpm, "tonic": tonic, "bars": bars}
