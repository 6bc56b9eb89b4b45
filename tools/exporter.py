"""Exports of a finished render: MP4 (copy), WebM (VP9) and GIF (generated palette)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from tools.ffmpeg import run_ffmpeg

FORMATS = ("mp4", "webm", "gif")


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
        raise ValueError(f"unsupported export format {fmt}")
    return out_path
