"""Voice messages, for the faces: a recording becomes the words of a message (tools/stt.py),
which is then handled exactly like a typed one; what cannot be heard becomes a reply in the
user's language and nothing runs."""

from __future__ import annotations

from pathlib import Path

from tools import catalog
from tools.stt import SpeechError, Transcript, configured, transcribe

__all__ = ["configured", "hear"]


def hear(path: str | Path, lang: str = "zh") -> tuple[Transcript | None, str, str]:
    """The transcript of a recording, '' and '', or None, the reply that says why not (in
    `lang`, the project's language: nothing was heard yet to tell another) and its error code."""
    try:
        return transcribe(path), "", ""
    except SpeechError as err:
        return None, catalog.text(lang, f"errors.{err.code}", **err.details), err.code
