"""The user's own recording as the narration, in place of the synthesised voice.

The recording plays from the start of the video. Where the speech is comes from its energy
(librosa's non-silent intervals): each shot speaks the part of the recording inside its time,
trimmed to the speech, and that part is its subtitle cue. A cue's words are the words a
speech-to-text provider heard at those times when one is configured (word timestamps), else
the shot's narration from the script (the lines the user read out).

Its loudness envelope, one value per video frame, drives a talking character: the renderer
opens the mouth and lifts the figure with it (tools/scene.talking)."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tools.ffmpeg import decode_pcm

RATE = 48000
TOP_DB = 32.0
"""Quieter than this under the recording's peak is a pause, not speech."""
BRIDGE = 0.18
"""Pauses shorter than this (seconds) inside speech are part of it (between words)."""
LEVELS = 4
"""Mouth openings: 0 closed … LEVELS-1 wide open."""


@dataclass
class Recording:
    """A decoded recording: mono samples at RATE and its speech intervals in seconds."""

    samples: Any
    spans: list[tuple[float, float]]

    @property
    def seconds(self) -> float:
        """The recording's length."""
        return len(self.samples) / RATE


def speech_spans(samples: Any, rate: int = RATE, top_db: float = TOP_DB) -> list[tuple[float, float]]:
    """The intervals (start, end seconds) where someone speaks; short pauses bridged."""
    import librosa

    if not len(samples):
        return []
    hop = rate // 100  # 10 ms
    found = librosa.effects.split(samples, top_db=top_db, frame_length=hop * 4, hop_length=hop)
    spans: list[list[float]] = []
    for a, b in found:
        start, end = a / rate, b / rate
        if spans and start - spans[-1][1] < BRIDGE:
            spans[-1][1] = end
        else:
            spans.append([start, end])
    return [(round(float(a), 3), round(float(b), 3)) for a, b in spans if b - a >= 0.05]


def load(path: str | Path) -> Recording:
    """The recording decoded (ffmpeg: any format) with its speech found."""
    samples = decode_pcm(path, RATE)
    return Recording(samples, speech_spans(samples))


def envelope(samples: Any, fps: int, rate: int = RATE) -> Any:
    """The loudness of each video frame (RMS over the frame), 0..1 of the loud speech (its
    95th percentile), so one loud syllable does not shut the mouth for the rest."""
    step = rate / fps
    count = int(np.ceil(len(samples) / step))
    rms = np.zeros(count, dtype=np.float32)
    for i in range(count):
        frame = samples[int(i * step) : int((i + 1) * step)]
        rms[i] = float(np.sqrt(np.mean(frame.astype(np.float64) ** 2))) if len(frame) else 0.0
    loud = float(np.percentile(rms, 95)) if count else 0.0
    return np.clip(rms / loud, 0.0, 1.0) if loud > 0 else rms


def mouth_levels(samples: Any, fps: int, rate: int = RATE) -> str:
    """The mouth's opening at each video frame as a digit string ('0' closed … '3' wide):
    the envelope quantised; under a fifth of loud speech the mouth is closed."""
    env = envelope(samples, fps, rate)
    steps = np.where(env < 0.2, 0, np.minimum(LEVELS - 1, 1 + ((env - 0.2) / 0.8 * (LEVELS - 1)).astype(int)))
    return "".join(str(int(v)) for v in steps)


def _words_between(words: list[dict[str, Any]], start: float, end: float, zh: bool) -> str:
    inside = [str(w["word"]).strip() for w in words if start <= (w["start"] + w["end"]) / 2 < end]
    return ("" if zh else " ").join(w for w in inside if w)


def shot_cues(
    recording: Recording,
    plan: list[dict[str, Any]],
    texts: dict[str, str],
    words: list[dict[str, Any]] | None = None,
    zh: bool = False,
) -> list[dict[str, Any]]:
    """Per shot of `plan` ({shot_id, start, end}) with speech in its time: {shot_id, start,
    end, text}, from the first word to the last inside the shot. The text is what was heard
    there (`words`, from a speech-to-text provider) or else the shot's line of `texts`."""
    cues = []
    for item in plan:
        lo, hi = float(item["start"]), float(item["end"])
        inside = [(max(a, lo), min(b, hi)) for a, b in recording.spans if a < hi and b > lo]
        inside = [(a, b) for a, b in inside if b - a >= 0.05]
        if not inside:
            continue
        start, end = inside[0][0], inside[-1][1]
        text = _words_between(words, lo, hi, zh) if words else ""
        cues.append(
            {
                "shot_id": item["shot_id"],
                "start": round(start, 3),
                "end": round(end, 3),
                "text": text or texts.get(item["shot_id"], ""),
            }
        )
    return cues


def unheard(recording: Recording, seconds: float) -> float:
    """Seconds of speech after the video's end `seconds` (they are not heard)."""
    return round(sum(b - max(a, seconds) for a, b in recording.spans if b > seconds), 2)


def write_part(recording: Recording, start: float, end: float, path: Path) -> Path:
    """The recording between `start` and `end` as a 16-bit mono WAV at RATE, with 10 ms fades
    so a cut inside a word does not click."""
    part = recording.samples[int(start * RATE) : int(end * RATE)].astype(np.float32)
    fade = min(len(part) // 2, RATE // 100)
    if fade:
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        part[:fade] *= ramp
        part[-fade:] *= ramp[::-1]
    pcm = (np.clip(part, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm.tobytes())
    return path
