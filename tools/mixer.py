"""The mix: narration lines placed at their shot times over the music bed, the music ducked
under speech, then muxed into the video with ffmpeg's loudness normalisation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tools.ffmpeg import run_ffmpeg, run_ffmpeg_stderr

TARGET_LUFS = -14.0
TRUE_PEAK = -1.5
LRA = 11
DUCK_DB = -10.0


def mix_tracks(
    music: Path | None,
    lines: list[dict[str, Any]],
    seconds: float,
    out_path: Path,
    music_gain_db: float = -12.0,
) -> None:
    """Overlay narration `lines` ({path, start}) on the music bed into a WAV of `seconds`."""
    from pydub import AudioSegment

    length_ms = int(round(seconds * 1000))
    bed = AudioSegment.silent(duration=length_ms, frame_rate=48000).set_channels(2)
    if music is not None:
        tune = AudioSegment.from_wav(str(music)).set_frame_rate(48000).set_channels(2)
        tune = tune[:length_ms] + music_gain_db
        for line in lines:
            start = int(line["start"] * 1000)
            end = min(length_ms, start + int(line["duration"] * 1000))
            if end > start:
                ducked = tune[start:end] + DUCK_DB
                tune = tune[:start] + ducked + tune[end:]
        bed = bed.overlay(tune)
    for line in lines:
        voice = AudioSegment.from_wav(str(line["path"])).set_frame_rate(48000).set_channels(2)
        bed = bed.overlay(voice, position=int(line["start"] * 1000))
    bed[:length_ms].export(str(out_path), format="wav")


def master(
    mix: Path, out_path: Path, target: float = TARGET_LUFS, true_peak: float = TRUE_PEAK
) -> dict[str, float]:
    """Normalise a mix to `target` LUFS integrated with two-pass loudnorm (measure, then a
    linear gain with true-peak limiting) and encode it as AAC 48 kHz stereo. Returns pass one's
    measurement."""
    log = run_ffmpeg_stderr(
        [
            "-i",
            str(mix),
            "-af",
            f"loudnorm=I={target}:TP={true_peak}:LRA={LRA}:print_format=json",
            "-f",
            "null",
            "-",
        ]
    )
    measured = json.loads(log[log.rindex("{") : log.rindex("}") + 1])
    if measured["input_i"] in ("-inf", "inf"):  # silence: nothing to normalise
        chain = "anull"
    else:
        chain = (
            f"loudnorm=I={target}:TP={true_peak}:LRA={LRA}:measured_I={measured['input_i']}"
            f":measured_TP={measured['input_tp']}:measured_LRA={measured['input_lra']}"
            f":measured_thresh={measured['input_thresh']}:offset={measured['target_offset']}:linear=true"
        )
    run_ffmpeg(
        [
            "-i",
            str(mix),
            "-af",
            f"{chain},aresample=48000,aformat=channel_layouts=stereo",
            "-c:a",
            "aac",
            "-b:a",
            "160k",
            "-ar",
            "48000",
            "-ac",
            "2",
            "-f",
            "mp4",
            str(out_path),
        ]
    )
    return {k: float(measured[k]) for k in ("input_i", "input_tp") if measured[k] not in ("-inf", "inf")}


def mux(video: Path, audio: Path, out_path: Path, seconds: float) -> None:
    """Join the picture with the mastered audio track, both by stream copy."""
    run_ffmpeg(
        [
            "-i",
            str(video),
            "-i",
            str(audio),
            "-map",
            "0:v:0",
            "-map",
            "1:a:0",
            "-c",
            "copy",
            "-t",
            f"{seconds:.3f}",
            "-movflags",
            "+faststart",
            str(out_path),
        ]
    )
