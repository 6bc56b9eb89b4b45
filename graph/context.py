"""Run settings, read by nodes through `Runtime[Context]`; each falls back to an environment
variable so the CLI, the Chainlit app and `langgraph dev` behave the same."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tools import llm

ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def in_checkout() -> bool:
    """Whether cinechat runs from its source checkout (not an installed wheel)."""
    return (ROOT / "pyproject.toml").exists()


def home() -> Path:
    """Where cinechat keeps its state (database, media, users, login secret): CINECHAT_HOME;
    else `checkpoints/` when run from a source checkout; else the per-user data directory
    (platformdirs: ~/.local/share/cinechat on Linux), never the installed package."""
    if os.environ.get("CINECHAT_HOME"):
        return Path(os.environ["CINECHAT_HOME"]).expanduser()
    if in_checkout() and (ROOT / "checkpoints").is_dir():
        return ROOT / "checkpoints"
    from platformdirs import user_data_path

    return user_data_path("cinechat", appauthor=False)


def default_db_path() -> Path:
    """The checkpoint database: CINECHAT_DB, else cinechat.sqlite in `home()`."""
    return Path(_env("CINECHAT_DB", str(home() / "cinechat.sqlite"))).expanduser()


def checkpoints_location() -> str | Path:
    """Where the version history lives: CINECHAT_CHECKPOINTS (`sqlite:///path` or
    `postgresql://…`), else the SQLite file `default_db_path()`."""
    return parse_location(os.environ.get("CINECHAT_CHECKPOINTS") or default_db_path())


def parse_location(location: str | Path) -> str | Path:
    """A history location as given (`--db`, CINECHAT_CHECKPOINTS): a PostgreSQL address stays a
    string; `sqlite:///path` and a bare path become the file's path."""
    text = str(location)
    if text.startswith(("postgresql://", "postgres://")):
        return text
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///") :]
    return Path(text).expanduser()


def home_of(location: str | Path | None) -> Path:
    """The folder of a history's media, logs, users and locks: a SQLite file's folder, or
    `home()` for a database server."""
    place = parse_location(location) if location else checkpoints_location()
    return place.resolve().parent if isinstance(place, Path) else home()


def setup_logging(folder: str | Path | None = None) -> Path:
    """Send cinechat's log (a failed turn's traceback under its reference id, recoveries) to
    `cinechat.log` in `folder` (default: the `logs` folder beside the database), rotated at
    5 MB; the user sees only the reference. Returns the log file."""
    import logging
    from logging.handlers import RotatingFileHandler

    path = Path(folder or home_of(None) / "logs") / "cinechat.log"
    logger = logging.getLogger("cinechat")
    if not any(getattr(h, "baseFilename", None) == str(path.resolve()) for h in logger.handlers):
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(path, maxBytes=5_000_000, backupCount=3, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    return path


def _media_folder() -> str:
    """The local media folder: CINECHAT_MEDIA's file:///path, else <home>/media."""
    from urllib.parse import unquote, urlsplit

    where = os.environ.get("CINECHAT_MEDIA", "")
    if where.startswith("file://") and urlsplit(where).path not in ("", "/"):
        return unquote(urlsplit(where).path)
    return str(home_of(None) / "media")


@dataclass(kw_only=True)
class Context:
    """Per-run settings of the cinechat graph."""

    data_dir: str = field(default_factory=lambda: _env("CINECHAT_DATA", _media_folder()))
    """Where rendered clips, audio, videos and exports are stored (content-addressed); with
    CINECHAT_MEDIA=s3://…, this machine's read-through cache of the object store."""
    use_llm: bool = field(default_factory=lambda: llm.configured() and _env("CINECHAT_USE_LLM", "1") != "0")
    """Use the configured LLM for routing and writing when available."""
    model: str = field(default_factory=lambda: llm.provider_settings().model)
    """The LLM model name."""
    llm_router: str = field(default_factory=lambda: _env("CINECHAT_LLM_ROUTER", "fallback"))
    """When the router asks the LLM: 'fallback' (the offline reading is unsure) or 'always'."""
    aspect: str = field(default_factory=lambda: _env("CINECHAT_ASPECT", "16:9"))
    """Default aspect ratio of new projects: 16:9, 9:16 or 1:1."""
    resolution: str = field(default_factory=lambda: _env("CINECHAT_RESOLUTION", "1080p"))
    """Default resolution of new projects: 720p, 1080p or 2160p (360p: a quick draft)."""
    fps: int = field(default_factory=lambda: int(_env("CINECHAT_FPS", "24")))
    """Default frame rate of new projects."""
    voice: str = field(default_factory=lambda: _env("CINECHAT_VOICE", "female"))
    """Default narration voice of new projects: female or male."""
    language: str = field(default_factory=lambda: _env("CINECHAT_LANGUAGE", "zh"))
    """The reply language when a message does not show one (digits, names)."""
    render: str = field(default_factory=lambda: _env("CINECHAT_RENDER", "local"))
    """Where shots render: 'local' (threads of this process) or 'celery' (render workers)."""
    t2i_model: str = field(default_factory=lambda: _env("CINECHAT_T2I_MODEL", ""))
    """A text-to-image diffusers model (folder or hub id) for keyframes; empty: none."""
    t2v_model: str = field(default_factory=lambda: _env("CINECHAT_T2V_MODEL", ""))
    """A text-to-video diffusers model for whole shots; empty: none."""
    i2v_model: str = field(default_factory=lambda: _env("CINECHAT_I2V_MODEL", ""))
    """An image-to-video diffusers model for uploaded pictures (and t2i keyframes); empty: none."""
    sketch_model: str = field(default_factory=lambda: _env("CINECHAT_SKETCH_MODEL", ""))
    """A sketch-conditioned diffusers pipeline (a scribble or line-art ControlNet, or a
    T2I-Adapter, saved as one pipeline) for keyframes of sketch shots; empty: none."""

    def diffusion_models(self) -> dict[str, str]:
        """The configured diffusion models by kind (t2i, t2v, i2v, and s2i: from a sketch)."""
        chosen = {"t2i": self.t2i_model, "t2v": self.t2v_model, "i2v": self.i2v_model}
        chosen["s2i"] = self.sketch_model
        return {kind: model for kind, model in chosen.items() if model}


def model_roots() -> list[Path]:
    """Where the server looks for diffusion model folders: CINECHAT_MODELS_DIR (default
    models/) and the Hugging Face hub cache."""
    from huggingface_hub.constants import HF_HUB_CACHE

    default = ROOT / "models" if in_checkout() else home() / "models"
    return [Path(_env("CINECHAT_MODELS_DIR", str(default))), Path(HF_HUB_CACHE)]


def served_models(base: Context | None = None) -> dict[str, list[str]]:
    """The diffusion models this server offers per kind (t2i, t2v, i2v): the configured one and
    the folders found in the model roots. Only model_index.json files are read."""
    from tools import diffusion

    base = base or Context()
    found = diffusion.available(model_roots())
    return {
        kind: list(
            dict.fromkeys(([chosen] if (chosen := getattr(base, f"{kind}_model")) else []) + found[kind])
        )
        for kind in ("t2i", "t2v", "i2v")
    }


class ClientContext(BaseModel):
    """What a client of a served graph (`langgraph dev`, a LangGraph server) may set per run:
    user-level choices only, each checked. Folders, paths and the LLM come from the server's
    own settings (environment variables); a model is chosen by name from the server's list
    (`served_models`); unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    aspect: Literal["16:9", "9:16", "1:1"] | None = None
    """Aspect ratio of new projects."""
    resolution: Literal["360p", "720p", "1080p", "2160p"] | None = None
    """Resolution of new projects."""
    language: Literal["zh", "en"] | None = None
    """The reply language when a message does not show one."""
    voice: Literal["female", "male"] | None = None
    """Narration voice of new projects."""
    use_llm: bool | None = None
    """Whether to use the server's LLM (when it has one); it can only be turned off."""
    t2i_model: str | None = Field(default=None, max_length=200)
    """A text-to-image model from the server's list (its name or '' for none)."""
    t2v_model: str | None = Field(default=None, max_length=200)
    """A text-to-video model from the server's list."""
    i2v_model: str | None = Field(default=None, max_length=200)
    """An image-to-video model from the server's list."""


def _served_model(kind: str, wanted: str, base: Context) -> str:
    """The path of the server's model of `kind` named `wanted` (its folder name or path)."""
    from tools import diffusion

    if not wanted:
        return ""
    for path in served_models(base)[kind]:
        if wanted in (path, diffusion.label_of(path)):
            return path
    raise ValueError(f"unknown {kind} model {wanted!r}: not in this server's list")


def run_context(context: Context | ClientContext | dict[str, Any] | None) -> Context:
    """The run settings a node uses: an in-process `Context` as it is; a client's choices
    (`ClientContext` or a plain dict from a served graph) checked and laid over the server's
    own settings."""
    if isinstance(context, Context):
        return context
    base = Context()
    if context is None:
        return base
    chosen = context if isinstance(context, ClientContext) else ClientContext.model_validate(context)
    changes: dict[str, Any] = {
        name: value
        for name in ("aspect", "resolution", "language", "voice")
        if (value := getattr(chosen, name)) is not None
    }
    if chosen.use_llm is False:
        changes["use_llm"] = False
    for kind in ("t2i", "t2v", "i2v"):
        wanted = getattr(chosen, f"{kind}_model")
        if wanted is not None:
            changes[f"{kind}_model"] = _served_model(kind, wanted, base)
    return replace(base, **changes)


ENVIRONMENT: list[tuple[str, str]] = [
    ("CINECHAT_HOME", "state folder (default checkpoints/ in a checkout, else the user data dir)"),
    ("CINECHAT_DB", "the checkpoint database: the version history (<home>/cinechat.sqlite)"),
    ("CINECHAT_CHECKPOINTS", "the version history: sqlite:///path (CINECHAT_DB) or postgresql://…"),
    (
        "CINECHAT_CHAT_DB",
        "the chat history and users: sqlite+aiosqlite:///… or postgresql+asyncpg://… (<state>/chainlit.sqlite)",
    ),
    ("CINECHAT_PG_POOL", "PostgreSQL connections per process (10)"),
    ("CINECHAT_DATA", "the media store, or with an object store its local cache (<db dir>/media)"),
    (
        "CINECHAT_MEDIA",
        "where media live: file:///path (CINECHAT_DATA) or s3://bucket[/prefix]?endpoint_url=…&region=…&public_url=…",
    ),
    (
        "AWS_ACCESS_KEY_ID",
        "the object store's access key (with CINECHAT_MEDIA=s3://…; or boto3's other sources)",
    ),
    ("AWS_SECRET_ACCESS_KEY", "its secret key"),
    ("AWS_ENDPOINT_URL", "an S3-compatible endpoint when CINECHAT_MEDIA names none"),
    ("AWS_DEFAULT_REGION", "the bucket's region when CINECHAT_MEDIA names none (us-east-1)"),
    ("CINECHAT_STATE", "users, chat history, login secret (the database's folder)"),
    ("CINECHAT_RENDER", "where shots render: local (this process) or celery (cinechat worker) (local)"),
    ("CINECHAT_BROKER_URL", "the render queue's broker: redis://… or amqp://… (redis://127.0.0.1:6379/0)"),
    ("CINECHAT_REDIS_URL", "Redis for render progress, locks and results (the broker when Redis)"),
    ("CINECHAT_QUEUE_PREFIX", "name space of render queues, channels and locks (cinechat)"),
    ("CINECHAT_RENDER_TIMEOUT", "seconds a queued render may take (3600)"),
    (
        "CINECHAT_BROKER_VISIBILITY",
        "seconds before Redis hands an unacknowledged render to another worker (7200)",
    ),
    ("CINECHAT_ASPECT", "new projects' aspect: 16:9, 9:16, 1:1 (16:9)"),
    ("CINECHAT_RESOLUTION", "new projects' resolution: 360p (draft), 720p, 1080p, 2160p (1080p)"),
    ("CINECHAT_FPS", "new projects' frame rate (24)"),
    ("CINECHAT_VOICE", "new projects' narration voice: female, male (female)"),
    ("CINECHAT_LANGUAGE", "reply language when a message shows none: zh, en (zh)"),
    ("CINECHAT_LLM_PROVIDER", "a LangChain chat provider: openai, ollama, anthropic, ... (openai)"),
    ("CINECHAT_LLM_MODEL", "the LLM's model name (CINECHAT_MODEL, gpt-4o-mini)"),
    ("CINECHAT_LLM_BASE_URL", "the LLM endpoint; set alone, a keyless local server (OPENAI_BASE_URL)"),
    ("CINECHAT_LLM_API_KEY", "the LLM key (OPENAI_API_KEY)"),
    ("CINECHAT_LLM_TEMPERATURE", "LLM temperature (0.2)"),
    ("CINECHAT_LLM_TIMEOUT", "seconds per LLM call (30)"),
    ("CINECHAT_LLM_RETRIES", "retries per LLM call (0)"),
    ("CINECHAT_USE_LLM", "0 keeps everything offline even with a provider (1)"),
    (
        "CINECHAT_LLM_ROUTER",
        "fallback: ask the LLM when the offline router is unsure; always: for every message but exact commands (fallback)",
    ),
    ("CINECHAT_TTS", "speech: auto, openai or espeak (auto)"),
    ("CINECHAT_TTS_BASE_URL", "an OpenAI-compatible speech endpoint (OPENAI_BASE_URL)"),
    ("CINECHAT_TTS_API_KEY", "its key (OPENAI_API_KEY)"),
    ("CINECHAT_TTS_MODEL", "speech model (gpt-4o-mini-tts)"),
    ("CINECHAT_TTS_TIMEOUT", "seconds per speech call (30)"),
    (
        "CINECHAT_MODERATION",
        "content moderation endpoint: auto, openai or off; the offline policy always runs (auto)",
    ),
    ("CINECHAT_MODERATION_BASE_URL", "an OpenAI-compatible /moderations endpoint (OPENAI_BASE_URL)"),
    ("CINECHAT_MODERATION_API_KEY", "its key (OPENAI_API_KEY)"),
    ("CINECHAT_MODERATION_MODEL", "moderation model (omni-moderation-latest)"),
    ("CINECHAT_MODERATION_TIMEOUT", "seconds per moderation call (10)"),
    ("CINECHAT_T2I_MODEL", "text-to-image diffusers model folder for keyframes"),
    ("CINECHAT_T2V_MODEL", "text-to-video diffusers model folder"),
    ("CINECHAT_I2V_MODEL", "image-to-video diffusers model folder"),
    ("CINECHAT_ICON_CACHE", "where rasterised icons are kept (the user cache folder)"),
    ("CINECHAT_MODELS_DIR", "where the model pickers look for model folders (models/)"),
    ("CINECHAT_DIFFUSION_STEPS", "denoising steps (25)"),
    ("CINECHAT_DIFFUSION_WIDTH", "generation width (512)"),
    ("CINECHAT_DIFFUSION_HEIGHT", "generation height (288)"),
    ("CINECHAT_DIFFUSION_FRAMES", "frames per generated clip (17)"),
    ("CINECHAT_ALLOW_DOWNLOAD", "1 lets diffusers download weights (never by default)"),
    ("CINECHAT_SOUNDFONT", "General MIDI soundfont for the music (Debian's TimGM6mb)"),
    ("CINECHAT_X264_PRESET", "x264 preset (veryfast)"),
    ("CINECHAT_FFMPEG", "the ffmpeg binary (ffmpeg)"),
    ("CINECHAT_FFPROBE", "the ffprobe binary (ffprobe)"),
    ("CINECHAT_BREAKER_FAILURES", "provider failures in a row that pause it, offline fallback used (3)"),
    ("CINECHAT_BREAKER_COOLDOWN", "seconds a paused provider is skipped before one retry (60)"),
    ("CINECHAT_DEGRADE_BACKLOG", "shots rendering at once at which new renders drop a resolution (6)"),
    (
        "CINECHAT_PUBLIC_URL",
        "the app's public address(es), comma-separated, allowed as origins besides its own",
    ),
    ("CINECHAT_METRICS_TOKEN", "bearer token for /metrics (generated into <state>/.metrics_token)"),
    ("CINECHAT_PASSWORD", "password for `cinechat users add` without a prompt"),
    ("CHAINLIT_AUTH_SECRET", "signs login tokens (generated into <state>/.chainlit_secret)"),
    ("CINECHAT_STT", "voice messages: auto (when an endpoint or an OpenAI key is set), openai, off"),
    (
        "CINECHAT_SKETCH_MODEL",
        "a ControlNet (scribble, line art) or T2I-Adapter pipeline folder for keyframes of sketch shots",
    ),
    (
        "CINECHAT_SKETCH_PAD",
        "the sketch pad in the chat (/sketch): on (default; the chat page allows 'unsafe-eval'), off",
    ),
    (
        "CINECHAT_STT_BASE_URL",
        "an OpenAI-compatible /v1/audio/transcriptions endpoint (faster-whisper-server, speaches)",
    ),
    ("CINECHAT_STT_API_KEY", "its key (else OPENAI_API_KEY)"),
    ("CINECHAT_STT_MODEL", "the transcription model (whisper-1)"),
    ("CINECHAT_STT_TIMEOUT", "seconds to wait for a transcription (60)"),
    ("CHAINLIT_SSL_CERT", "the TLS certificate Chainlit serves with; `cinechat ui --tls-cert` sets it"),
    ("CHAINLIT_SSL_KEY", "its private key; `cinechat ui --tls-key` sets it"),
    (
        "CINECHAT_BEHIND_TLS",
        "set for the workers of `cinechat ui --workers N --tls-cert`: the balancer terminates TLS, the cookie is Secure",
    ),
    ("CHAINLIT_APP_ROOT", "Chainlit's config folder; `cinechat ui` sets it (the checkout, or <state>/app)"),
    ("LANGSMITH_TRACING", "true sends traces of every turn to LangSmith (with LANGSMITH_API_KEY)"),
]
"""Every environment variable cinechat reads, with its meaning and default (for --help and the
README's settings table; a test checks the code reads no other)."""
