"""Media analysis with ffmpeg's own filters (signalstats, blackdetect, freezedetect, ebur128,
silencedetect), at reduced scale where pixels are involved so a 30 s render is read in
about a second. Used by the reviewer, the benchmark and the tests."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools import procs
from tools.ffmpeg import MediaError, binary, run_ffmpeg_stderr

ANALYSIS_WIDTH = 320


def frame_at(path: str | Path, t: float, width: int | None = None) -> Any:
    """The frame at time t as a PIL RGB image (scaled to `width` if given)."""
    from PIL import Image

    vf = ["-vf", f"scale={width}:-2"] if width else []
    cmd = [binary("ffmpeg"), "-hide_banner", "-nostdin", "-loglevel", "error", "-ss", f"{t:.3f}"]
    cmd += ["-i", str(path), "-frames:v", "1", *vf, "-f", "image2pipe", "-vcodec", "png", "-"]
    proc = procs.run(cmd, capture_output=True, timeout=120, check=False)
    if proc.returncode != 0 or not proc.stdout:
        raise MediaError(f"could not read a frame at {t:.2f}s", proc.stderr.decode(errors="replace"))
    return Image.open(io.BytesIO(proc.stdout)).convert("RGB")


@dataclass(frozen=True)
class Stats:
    """Means over a time span of signalstats' per-frame values (8-bit scale)."""

    luma: float
    saturation: float
    hue: float
    u: float
    v: float
    frames: int


def signalstats(path: str | Path, start: float = 0.0, end: float | None = None) -> Stats:
    """Mean luma, saturation, hue and chroma of the frames in [start, end)."""
    span = ["-ss", f"{start:.3f}"] + (["-to", f"{end:.3f}"] if end is not None else [])
    log = run_ffmpeg_stderr(
        [
            *span,
            "-i",
            str(path),
            "-an",
            "-vf",
            f"scale={ANALYSIS_WIDTH}:-2,signalstats,metadata=mode=print",
            "-f",
            "null",
            "-",
        ]
    )
    values: dict[str, list[float]] = {k: [] for k in ("YAVG", "SATAVG", "HUEAVG", "UAVG", "VAVG")}
    for key, val in re.findall(r"lavfi\.signalstats\.(YAVG|SATAVG|HUEAVG|UAVG|VAVG)=([-\d.]+)", log):
        values[key].append(float(val))
    n = len(values["YAVG"])
    if not n:
        raise MediaError("signalstats found no frames", log)

    def mean(k: str) -> float:
        return sum(values[k]) / max(1, len(values[k]))

    return Stats(mean("YAVG"), mean("SATAVG"), mean("HUEAVG"), mean("UAVG"), mean("VAVG"), n)


def _intervals(log: str, start_key: str, end_key: str) -> list[tuple[float, float]]:
    """Spans from a detector's log. A detector that also sets frame metadata is reported twice
    when the metadata is printed (`key: t` by the filter, `key=t` by metadata=print): each
    time counts once."""
    starts = list(dict.fromkeys(float(x) for x in re.findall(rf"{start_key}[:=]\s*([-\d.]+)", log)))
    ends = list(dict.fromkeys(float(x) for x in re.findall(rf"{end_key}[:=]\s*([-\d.]+)", log)))
    out = []
    for i, s in enumerate(starts):
        out.append((s, ends[i] if i < len(ends) else float("inf")))
    return out


def _detect(path: str | Path, detector: str, start_key: str, end_key: str) -> list[tuple[float, float]]:
    """Spans one of ffmpeg's detectors reports over the whole picture at reduced scale."""
    log = run_ffmpeg_stderr(
        ["-i", str(path), "-an", "-vf", f"scale={ANALYSIS_WIDTH}:-2,{detector}", "-f", "null", "-"]
    )
    return _intervals(log, start_key, end_key)


def black_frames(path: str | Path, min_duration: float = 0.25) -> list[tuple[float, float]]:
    """Spans of (nearly) black picture, from blackdetect."""
    return _detect(path, f"blackdetect=d={min_duration}:pix_th=0.10", "black_start", "black_end")


def frozen_frames(path: str | Path, min_duration: float = 1.0) -> list[tuple[float, float]]:
    """Spans where the picture does not change, from freezedetect."""
    return _detect(
        path,
        f"freezedetect=n=-50dB:d={min_duration}",
        "lavfi.freezedetect.freeze_start",
        "lavfi.freezedetect.freeze_end",
    )


def motion(path: str | Path, t0: float, t1: float) -> float:
    """Mean absolute difference (0-255) between the frames at t0 and t1."""
    import numpy as np

    a = np.asarray(frame_at(path, t0, ANALYSIS_WIDTH), dtype=np.float32)
    b = np.asarray(frame_at(path, t1, ANALYSIS_WIDTH), dtype=np.float32)
    return float(np.abs(a - b).mean())


@dataclass(frozen=True)
class Loudness:
    """EBU R128 figures of a file's audio: integrated loudness (LUFS), true peak (dBTP)."""

    integrated: float
    true_peak: float
    lra: float


def loudness(path: str | Path, start: float | None = None, end: float | None = None) -> Loudness:
    """Integrated loudness and true peak, measured by ffmpeg's ebur128 filter."""
    span = (["-ss", f"{start:.3f}"] if start is not None else []) + (
        ["-to", f"{end:.3f}"] if end is not None else []
    )
    log = run_ffmpeg_stderr([*span, "-i", str(path), "-vn", "-af", "ebur128=peak=true", "-f", "null", "-"])
    summary = log[log.rfind("Summary:") :]
    i = re.search(r"I:\s*([-\d.]+|-inf) LUFS", summary)
    tp = re.search(r"Peak:\s*([-\d.]+|-inf) dBFS", summary)
    lra = re.search(r"LRA:\s*([-\d.]+) LU", summary)
    if not i or not tp:
        raise MediaError("ebur128 gave no summary", log)

    def num(m: re.Match[str] | None) -> float:
        return float("-inf") if not m or m.group(1) == "-inf" else float(m.group(1))

    return Loudness(num(i), num(tp), num(lra))


def silences(
    path: str | Path, noise_db: float = -40.0, min_duration: float = 0.3
) -> list[tuple[float, float]]:
    """Spans of silence in the audio, from silencedetect."""
    log = run_ffmpeg_stderr(
        [
            "-i",
            str(path),
            "-vn",
            "-af",
            f"silencedetect=noise={noise_db}dB:d={min_duration}",
            "-f",
            "null",
            "-",
        ]
    )
    return _intervals(log, "silence_start", "silence_end")


@dataclass
class VideoReport:
    """One decode of a video at reduced scale: per-frame (time, luma, saturation), and the
    black and frozen spans ffmpeg's detectors found in the same pass."""

    frames: list[tuple[float, float, float]]
    black: list[tuple[float, float]]
    frozen: list[tuple[float, float]]

    def span(self, start: float, end: float) -> tuple[float, float]:
        """Mean luma and saturation of the frames in [start, end)."""
        rows = [(y, s) for t, y, s in self.frames if start <= t < end]
        if not rows:
            return 0.0, 0.0
        return sum(r[0] for r in rows) / len(rows), sum(r[1] for r in rows) / len(rows)


def video_report(path: str | Path, width: int = 160) -> VideoReport:
    """signalstats, blackdetect and freezedetect in a single decoding pass."""
    log = run_ffmpeg_stderr(
        [
            "-threads",
            "2",
            "-skip_frame",
            "noref",  # B-frames are not decoded: half the work, the same means and spans
            "-i",
            str(path),
            "-an",
            "-vf",
            f"scale={width}:-2:flags=neighbor,signalstats,blackdetect=d=0.25:pix_th=0.10,"
            "freezedetect=n=-50dB:d=1,metadata=mode=print",
            "-f",
            "null",
            "-",
        ]
    )
    frames: list[tuple[float, float, float]] = []
    t, y = None, None
    for line in log.splitlines():
        m = re.search(r"pts_time:([-\d.]+)", line)
        if m:
            t, y = float(m.group(1)), None
            continue
        m = re.search(r"lavfi\.signalstats\.(YAVG|SATAVG)=([-\d.]+)", line)
        if m and t is not None:
            if m.group(1) == "YAVG":
                y = float(m.group(2))
            elif y is not None:
                frames.append((t, y, float(m.group(2))))
    return VideoReport(
        frames,
        _intervals(log, "black_start", "black_end"),
        _intervals(log, "lavfi.freezedetect.freeze_start", "lavfi.freezedetect.freeze_end"),
    )
