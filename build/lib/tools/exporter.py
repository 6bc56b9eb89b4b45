"""Exports of a finished render: MP4 (copy), WebM (VP9) and GIF (generated palette), with the
subtitles beside them."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from tools.errors import RequestError
from tools.ffmpeg import run_ffmpeg
from tools.project import Render

FORMATS = ("mp4", "webm", "gif")
"""The formats a render can be exported as."""


def export_name(title: str, version: str, fmt: str) -> str:
    """`<title>-v<version>.<ext>` with the title made safe for a file name."""
    safe = re.sub(r"[^\w\u4e00-\u9fff-]+", "_", title).strip("_") or "cinechat"
    return f"{safe}-{version}.{fmt}"


def export(video: Path, out_path: Path, fmt: str) -> Path:
    """Write `video` as `fmt` at `out_path`."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "mp4":
        shutil.copyfile(video, out_path)
    elif fmt == "webm":
        run_ffmpeg(
            [
                "-i",
                str(video),
                "-vf",
                "scale=-2:'min(720,ih)'",
                "-c:v",
                "libvpx-vp9",
                "-deadline",
                "realtime",
                "-cpu-used",
                "8",
                "-b:v",
                "1500k",
                "-c:a",
                "libopus",
                "-b:a",
                "96k",
                str(out_path),
            ]
        )
    elif fmt == "gif":
        run_ffmpeg(
            [
                "-i",
                str(video),
                "-filter_complex",
                "fps=10,scale=480:-2:flags=lanczos,split[a][b];[a]palettegen=max_colors=128[p];"
                "[b][p]paletteuse=dither=bayer:bayer_scale=4",
                "-loop",
                "0",
                str(out_path),
            ]
        )
    else:
        raise RequestError("bad_format", value=fmt)
    return out_path


def export_render(render: Render, title: str, version: str, fmt: str, folder: Path) -> dict[str, Any]:
    """Export a version's render into `folder` as `fmt`, with its subtitle file beside it; what
    was written, for the reply."""
    out = export(Path(render["path"]), folder / export_name(title, version, fmt), fmt)
    srt = None
    if render.get("srt") and Path(render["srt"]).exists():
        srt = out.with_suffix(".srt")
        shutil.copyfile(render["srt"], srt)
    return {"path": str(out), "format": fmt, "bytes": out.stat().st_size, "srt": str(srt) if srt else None}
