"""Narration by eSpeak NG (offline). Debian's `cmn` voice reads Chinese as English-sounding
pinyin, so Mandarin uses `cmn-latn-pinyin`."""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

VOICES = {
    ("zh", "female"): "cmn-latn-pinyin+f3",
    ("zh", "male"): "cmn-latn-pinyin+m3",
    ("en", "female"): "en-us+f3",
    ("en", "male"): "en-us+m3",
}
BASE_RATE = {"zh": 165, "en": 160}
MAX_SPEEDUP = 1.35


class TTSError(RuntimeError):
    """Speech synthesis failed or the engine is missing."""


def voice_name(lang: str, gender: str) -> str:
    """The espeak-ng voice for a language and a gender."""
    return VOICES.get((lang, gender), VOICES[(lang if lang in BASE_RATE else "en", "female")])


def wav_duration(path: Path) -> float:
    """Length of a WAV file in seconds."""
    with wave.open(str(path), "rb") as wf:
        return wf.getnframes() / float(wf.getframerate())


def synthesize(text: str, lang: str, gender: str, out_path: Path, rate: float = 1.0) -> float:
    """Speak `text` into a WAV at `out_path`; returns its duration in seconds."""
    exe = shutil.which("espeak-ng")
    if not exe:
        raise TTSError("espeak-ng is not installed (apt-get install espeak-ng)")
    wpm = int(BASE_RATE.get(lang, 160) * rate)
    proc = subprocess.run(
        [exe, "-v", voice_name(lang, gender), "-s", str(wpm), "-w", str(out_path), "--", text],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if proc.returncode != 0 or not out_path.exists():
        raise TTSError(f"espeak-ng failed: {proc.stderr.strip()}")
    return wav_duration(out_path)


def synthesize_fitting(
    text: str, lang: str, gender: str, out_path: Path, room: float, rate: float = 1.0
) -> tuple[float, float]:
    """Speak `text` so it fits `room` seconds, speeding up to MAX_SPEEDUP if needed; returns
    (duration, rate used). A line that still does not fit is left for the reviewer to flag."""
    base = rate
    length = synthesize(text, lang, gender, out_path, rate)
    for _ in range(3):  # espeak's words-per-minute is not exactly linear in time
        if length <= room or room <= 0 or rate >= base * MAX_SPEEDUP:
            break
        rate = min(base * MAX_SPEEDUP, rate * length / room * 1.04)
        length = synthesize(text, lang, gender, out_path, rate)
    return length, rate
