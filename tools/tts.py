"""Narration. Offline by eSpeak NG: Debian's `cmn` voice reads Chinese as English-sounding
pinyin, so Mandarin uses `cmn-latn-pinyin` (checked by the phonemes espeak reports). With
OPENAI_API_KEY set, OpenAI text-to-speech is used instead, falling back to eSpeak NG on any
failure; the same fitting rules apply to both."""

from __future__ import annotations

import os
import shutil
import wave
from pathlib import Path

from tools import procs, providers
from tools.breaker import breaker
from tools.project import VOICE_MAX_SPEEDUP

VOICES = {
    ("zh", "female"): "cmn-latn-pinyin+f3",
    ("zh", "male"): "cmn-latn-pinyin+m3",
    ("en", "female"): "en-us+f3",
    ("en", "male"): "en-us+m3",
}
BASE_RATE = {"zh": 165, "en": 160}
OPENAI_VOICES = {"female": "nova", "male": "onyx"}
GENDERS = ("female", "male")


class TTSError(RuntimeError):
    """Speech synthesis failed or the engine is missing."""


def voice_name(lang: str, gender: str) -> str:
    """The espeak-ng voice for a language and a gender."""
    return VOICES.get((lang, gender), VOICES[(lang if lang in BASE_RATE else "en", "female")])


def trim_silence(path: Path, threshold: float = 0.01, pad: float = 0.02) -> None:
    """Cut the leading and trailing silence engines add, so a line's length is its speech."""
    import numpy as np

    with wave.open(str(path), "rb") as wf:
        params = wf.getparams()
        raw = wf.readframes(wf.getnframes())
    if params.sampwidth != 2:
        return
    data = np.frombuffer(raw, dtype=np.int16).reshape(-1, params.nchannels)
    loud = np.nonzero(np.max(np.abs(data.astype(np.float32)), axis=1) > threshold * 32768)[0]
    if not len(loud):
        return
    keep = int(pad * params.framerate)
    a, b = max(0, loud[0] - keep), min(len(data), loud[-1] + keep)
    with wave.open(str(path), "wb") as wf:
        wf.setparams(params)
        wf.writeframes(data[a:b].tobytes())


def wav_duration(path: Path) -> float:
    """Length of a WAV file in seconds."""
    with wave.open(str(path), "rb") as wf:
        return wf.getnframes() / float(wf.getframerate())


def phonemes(text: str, lang: str, gender: str = "female") -> str:
    """The phoneme string espeak-ng reports for `text` with the voice narration uses."""
    exe = shutil.which("espeak-ng")
    if not exe:
        raise TTSError("espeak-ng is not installed (apt-get install espeak-ng)")
    proc = procs.run(
        [exe, "-v", voice_name(lang, gender), "-q", "-x", "--", text],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if proc.returncode != 0:
        raise TTSError(f"espeak-ng failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def speech_endpoint() -> tuple[str | None, str]:
    """The speech endpoint and key (CINECHAT_TTS_BASE_URL / _API_KEY, else the OpenAI ones)."""
    return providers.endpoint("TTS")


def speech_configured() -> bool:
    """Whether narration goes to an OpenAI-compatible speech endpoint (CINECHAT_TTS: `espeak`
    never, `openai` always, `auto` as tools/providers.enabled says)."""
    return providers.enabled("TTS", off="espeak")


def openai_speech(text: str, gender: str, out_path: Path, rate: float = 1.0) -> float:
    """OpenAI-compatible text-to-speech into a WAV (48 kHz after resampling); its duration."""
    from openai import OpenAI

    from tools.ffmpeg import run_ffmpeg

    base_url, key = speech_endpoint()
    timeout = float(os.environ.get("CINECHAT_TTS_TIMEOUT", "30"))
    client = OpenAI(base_url=base_url, api_key=key or "not-needed", timeout=timeout, max_retries=0)
    response = client.audio.speech.create(
        model=os.environ.get("CINECHAT_TTS_MODEL", "gpt-4o-mini-tts"),
        voice=OPENAI_VOICES.get(gender, "nova"),
        input=text,
        response_format="wav",
        speed=max(0.25, min(4.0, rate)),
    )
    raw = out_path.with_suffix(".openai.wav")
    raw.write_bytes(response.content)
    try:
        run_ffmpeg(
            ["-i", str(raw), "-ac", "1", "-ar", "48000", "-c:a", "pcm_s16le", "-f", "wav", str(out_path)]
        )
    finally:
        raw.unlink(missing_ok=True)
    return wav_duration(out_path)


def synthesize(
    text: str, lang: str, gender: str, out_path: Path, rate: float = 1.0, provider: str = "espeak"
) -> float:
    """Speak `text` into a WAV at `out_path`; returns its duration in seconds."""
    if provider == "openai":
        breaker("speech").call(openai_speech, text, gender, out_path, rate)
        trim_silence(out_path)
        return wav_duration(out_path)
    exe = shutil.which("espeak-ng")
    if not exe:
        raise TTSError("espeak-ng is not installed (apt-get install espeak-ng)")
    wpm = int(BASE_RATE.get(lang, 160) * rate)
    proc = procs.run(
        [exe, "-v", voice_name(lang, gender), "-s", str(wpm), "-w", str(out_path), "--", text],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if proc.returncode != 0 or not out_path.exists():
        raise TTSError(f"espeak-ng failed: {proc.stderr.strip()}")
    trim_silence(out_path)
    return wav_duration(out_path)


def synthesize_fitting(
    text: str,
    lang: str,
    gender: str,
    out_path: Path,
    room: float,
    rate: float = 1.0,
    provider: str = "espeak",
    max_speedup: float = VOICE_MAX_SPEEDUP,
) -> tuple[float, float]:
    """Speak `text` so it fits `room` seconds, speeding up to `max_speedup` if needed; returns
    (duration, rate used). A line that still does not fit is left for the reviewer to flag."""
    base = rate
    length = synthesize(text, lang, gender, out_path, rate, provider)
    for _ in range(3):  # words-per-minute is not exactly linear in time
        if length <= room or room <= 0 or rate >= base * max_speedup:
            break
        rate = min(base * max_speedup, rate * length / room * 1.04)
        length = synthesize(text, lang, gender, out_path, rate, provider)
    return length, rate
