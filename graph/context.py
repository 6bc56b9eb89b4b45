"""Run settings, read by nodes through `Runtime[Context]`; each falls back to an environment
variable so the CLI, the Chainlit app and `langgraph dev` behave the same."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def default_db_path() -> Path:
    """The checkpoint database: CINECHAT_DB or checkpoints/cinechat.sqlite in the project."""
    return Path(_env("CINECHAT_DB", str(ROOT / "checkpoints" / "cinechat.sqlite")))


@dataclass(kw_only=True)
class Context:
    """Per-run settings of the cinechat graph."""

    data_dir: str = field(
        default_factory=lambda: _env("CINECHAT_DATA", str(default_db_path().parent / "media"))
    )
    """Where rendered clips, audio, videos and exports are stored (content-addressed)."""
    use_llm: bool = field(
        default_factory=lambda: (
            bool(os.environ.get("OPENAI_API_KEY")) and _env("CINECHAT_USE_LLM", "1") != "0"
        )
    )
    """Use the configured OpenAI-compatible LLM for routing and writing when available."""
    model: str = field(default_factory=lambda: _env("CINECHAT_MODEL", "gpt-4o-mini"))
    """The LLM model name."""
    aspect: str = field(default_factory=lambda: _env("CINECHAT_ASPECT", "16:9"))
    """Default aspect ratio of new projects: 16:9, 9:16 or 1:1."""
    resolution: str = field(default_factory=lambda: _env("CINECHAT_RESOLUTION", "1080p"))
    """Default resolution of new projects: 720p, 1080p or 2160p."""
    fps: int = field(default_factory=lambda: int(_env("CINECHAT_FPS", "24")))
    """Default frame rate of new projects."""
    voice: str = field(default_factory=lambda: _env("CINECHAT_VOICE", "female"))
    """Default narration voice of new projects: female or male."""
    language: str = field(default_factory=lambda: _env("CINECHAT_LANGUAGE", "zh"))
    """The reply language when a message does not show one (digits, names)."""
    t2i_model: str = field(default_factory=lambda: _env("CINECHAT_T2I_MODEL", ""))
    """A text-to-image diffusers model (folder or hub id) for keyframes; empty: none."""
    t2v_model: str = field(default_factory=lambda: _env("CINECHAT_T2V_MODEL", ""))
    """A text-to-video diffusers model for whole shots; empty: none."""
    i2v_model: str = field(default_factory=lambda: _env("CINECHAT_I2V_MODEL", ""))
    """An image-to-video diffusers model for uploaded pictures (and t2i keyframes); empty: none."""

    def diffusion_models(self) -> dict[str, str]:
        """The configured diffusion models by kind (t2i, t2v, i2v)."""
        chosen = {"t2i": self.t2i_model, "t2v": self.t2v_model, "i2v": self.i2v_model}
        return {kind: model for kind, model in chosen.items() if model}
