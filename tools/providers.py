"""Where an OpenAI-compatible provider of one service (speech, transcription, moderation) is,
and whether it is used: the settings every such service reads the same way."""

from __future__ import annotations

import os


def endpoint(service: str) -> tuple[str | None, str]:
    """The service's endpoint and key: CINECHAT_<SERVICE>_BASE_URL / CINECHAT_<SERVICE>_API_KEY,
    else the OpenAI ones (OPENAI_BASE_URL / OPENAI_API_KEY)."""
    base = os.environ.get(f"CINECHAT_{service}_BASE_URL") or os.environ.get("OPENAI_BASE_URL") or None
    return base, os.environ.get(f"CINECHAT_{service}_API_KEY") or os.environ.get("OPENAI_API_KEY") or ""


def enabled(service: str, off: str = "off") -> bool:
    """Whether the service goes to its provider. CINECHAT_<SERVICE>: `off` (never; the word the
    service uses for it), `openai` (always, keyless endpoints too), or `auto` (default): when
    its endpoint is named, or an OpenAI key is set and the LLM is not a keyless local server
    (CINECHAT_LLM_BASE_URL), whose API has none of these services."""
    mode = os.environ.get(f"CINECHAT_{service}", "auto")
    if mode in (off, "openai"):
        return mode == "openai"
    if os.environ.get(f"CINECHAT_{service}_BASE_URL"):
        return True
    return bool(endpoint(service)[1]) and not os.environ.get("CINECHAT_LLM_BASE_URL")
