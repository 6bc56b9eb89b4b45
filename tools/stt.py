"""Speech to text for voice messages: an OpenAI-compatible `/v1/audio/transcriptions` endpoint
(OpenAI itself, or a local server such as faster-whisper-server or speaches), configured like
the LLM. There is no offline recogniser: without an endpoint, a voice message is answered with
what to configure, never dropped.

A recording is checked before it is sent: playable audio (ffprobe), not silent, at most
`MAX_SECONDS` long. The call goes through the provider's circuit breaker; a failure is a clear
`voice_failed`, and the message is not handled."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tools import providers
from tools.breaker import breaker
from tools.errors import RequestError
from tools.ffmpeg import MediaError, decode_pcm, probe

MAX_SECONDS = 600.0
"""The longest voice message or recording taken (10 minutes)."""
MAX_BYTES = 50 * 2**20
SILENCE = 0.01
"""Peak level (of full scale) under which a recording is taken as silent."""


class SpeechError(RequestError):
    """A recording that cannot be transcribed, or a transcription that failed."""


@dataclass
class Transcript:
    """What was said: the text, its language when the provider says, and the words with their
    times (seconds from the start) when it gives them."""

    text: str
    language: str | None = None
    words: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0


def endpoint() -> tuple[str | None, str]:
    """The transcription endpoint and key (CINECHAT_STT_BASE_URL / _API_KEY, else OpenAI's)."""
    return providers.endpoint("STT")


def configured() -> bool:
    """Whether voice messages can be transcribed (CINECHAT_STT: `off`, `openai`, or `auto` as
    tools/providers.enabled says)."""
    return providers.enabled("STT")


def check_recording(path: str | Path) -> float:
    """A recording's length in seconds, after checking it is a file of playable, audible audio
    of at most MAX_SECONDS; raises SpeechError with the reason."""
    p = Path(path)
    if not p.is_file():
        raise SpeechError("voice_invalid", reason="missing")
    if p.stat().st_size > MAX_BYTES:
        raise SpeechError("voice_invalid", reason="too large")
    try:
        info = probe(p)
    except MediaError as err:
        raise SpeechError("voice_invalid", reason="unreadable") from err
    if not info.has_audio:
        raise SpeechError("voice_invalid", reason="no audio")
    seconds = info.audio_duration or info.duration
    if seconds > MAX_SECONDS:
        raise SpeechError("voice_too_long", seconds=round(seconds), limit=int(MAX_SECONDS // 60))
    try:
        samples = decode_pcm(p, 16000)
    except MediaError as err:
        raise SpeechError("voice_invalid", reason="unreadable") from err
    if not len(samples) or float(np.max(np.abs(samples))) < SILENCE:
        raise SpeechError("voice_silent")
    return seconds or len(samples) / 16000


def _openai_transcribe(path: Path, language: str | None) -> Transcript:
    from openai import OpenAI

    base_url, key = endpoint()
    timeout = float(os.environ.get("CINECHAT_STT_TIMEOUT", "60"))
    client = OpenAI(base_url=base_url, api_key=key or "not-needed", timeout=timeout, max_retries=0)
    extra: dict[str, Any] = {"language": language} if language else {}
    with open(path, "rb") as audio:
        result = client.audio.transcriptions.create(
            model=os.environ.get("CINECHAT_STT_MODEL", "whisper-1"),
            file=audio,
            response_format="verbose_json",
            timestamp_granularities=["word"],
            **extra,
        )
    words = [
        {"word": str(w.word), "start": float(w.start), "end": float(w.end)} for w in (result.words or [])
    ]
    return Transcript(str(result.text or "").strip(), getattr(result, "language", None), words)


def transcribe(path: str | Path, language: str | None = None) -> Transcript:
    """What the recording says, from the configured endpoint (checked first); raises
    SpeechError: voice_unconfigured without an endpoint, voice_failed when it fails or hears
    no words."""
    if not configured():
        raise SpeechError("voice_unconfigured")
    seconds = check_recording(path)
    try:
        said = breaker("transcription").call(_openai_transcribe, Path(path), language)
    except SpeechError:
        raise
    except Exception as err:  # any provider failure: said, nothing handled
        raise SpeechError("voice_failed", reason=type(err).__name__) from err
    if not said.text:
        raise SpeechError("voice_no_words")
    said.seconds = seconds
    return said
