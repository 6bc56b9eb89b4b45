"""One helper for every ffmpeg/ffprobe call: argument lists, never a shell, and a typed error."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools import procs


class MediaError(RuntimeError):
    """An ffmpeg or ffprobe run failed; carries the tool's stderr."""

    def __init__(self, message: str, stderr: str = "") -> None:
        super().__init__(message if not stderr else f"{message}\n{stderr[-2000:]}")
        self.stderr = stderr


def binary(name: str) -> str:
    """Resolve ffmpeg/ffprobe once, overridable by CINECHAT_FFMPEG / CINECHAT_FFPROBE."""
    override = os.environ.get(f"CINECHAT_{name.upper()}")
    found = override or shutil.which(name)
    if not found:
        raise MediaError(f"{name} not found on PATH; install it (apt-get install ffmpeg)")
    return found


def run_ffmpeg(args: list[str], *, timeout: float = 600) -> None:
    """Run ffmpeg with `args` (no shell), quiet, overwriting outputs."""
    cmd = [binary("ffmpeg"), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
    proc = procs.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise MediaError(f"ffmpeg failed ({proc.returncode})", proc.stderr)


def run_ffmpeg_stderr(args: list[str], *, timeout: float = 600) -> str:
    """Run an ffmpeg analysis pass (e.g. -f null) and return its log output."""
    cmd = [binary("ffmpeg"), "-hide_banner", "-nostdin", "-y", *args]
    proc = procs.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise MediaError(f"ffmpeg analysis failed ({proc.returncode})", proc.stderr)
    return proc.stderr


@dataclass(frozen=True)
class Probe:
    """What ffprobe reports about a media file."""

    duration: float
    width: int
    height: int
    fps: float
    has_audio: bool
    audio_duration: float
    video_codec: str
    audio_codec: str
    video_duration: float = 0.0
    format_names: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Plain-data form for state and JSON."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items()}


def probe(path: str | Path) -> Probe:
    """ffprobe a file and summarise its first video and audio streams."""
    cmd = [
        binary("ffprobe"),
        "-v",
        "error",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
        str(path),
    ]
    proc = procs.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    if proc.returncode != 0:
        raise MediaError(f"ffprobe failed on {path}", proc.stderr)
    data = json.loads(proc.stdout or "{}")
    video: dict[str, Any] = next((s for s in data.get("streams", []) if s.get("codec_type") == "video"), {})
    audio: dict[str, Any] = next((s for s in data.get("streams", []) if s.get("codec_type") == "audio"), {})
    num, _, den = str(video.get("avg_frame_rate", "0/1")).partition("/")
    fps = float(num) / float(den) if den and float(den) else 0.0
    return Probe(
        duration=float(data.get("format", {}).get("duration", 0.0)),
        width=int(video.get("width", 0)),
        height=int(video.get("height", 0)),
        fps=round(fps, 3),
        has_audio=bool(audio),
        audio_duration=float(audio.get("duration", 0.0) or 0.0),
        video_codec=str(video.get("codec_name", "")),
        audio_codec=str(audio.get("codec_name", "")),
        video_duration=float(video.get("duration", 0.0) or 0.0),
        format_names=tuple(str(data.get("format", {}).get("format_name", "")).split(",")),
    )


def decode_pcm(path: str | Path, rate: int, seconds: float | None = None) -> Any:
    """A file's audio as mono float32 samples at `rate` (numpy); ffmpeg decodes any format it
    knows. Raises MediaError when it cannot."""
    import numpy as np

    args = [binary("ffmpeg"), "-v", "error", "-nostdin", "-i", str(path)]
    if seconds:
        args += ["-t", f"{seconds:.3f}"]
    args += ["-vn", "-ac", "1", "-ar", str(rate), "-f", "f32le", "-"]
    done = procs.run(args, capture_output=True, timeout=300, check=False)
    if done.returncode != 0:
        raise MediaError(f"ffmpeg could not decode {path}", done.stderr.decode("utf-8", "replace"))
    return np.frombuffer(done.stdout, dtype=np.float32).copy()
