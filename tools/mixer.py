"""The mix: narration lines placed at their shot times over the music bed, the music ducked
under speech, then muxed into the video with ffmpeg's loudness normalisation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tools.ffmpeg import run_ffmpeg

TARGET_LUFS = -14.0
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


def mux(video: Path, audio: Path, out_path: Path, seconds: float) -> None:
    """Join the video stream with the mixed audio, normalised to TARGET_LUFS, as AAC 48 kHz."""
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
            "-c:v",
            "copy",
            "-af",
            f"loudnorm=I={TARGET_LUFS}:TP=-1.5:LRA=11,aresample=48000,aformat=channel_layouts=stereo",
            "-c:a",
            "aac",
            "-b:a",
            "160k",
            "-ar",
            "48000",
            "-ac",
            "2",
            "-t",
            f"{seconds:.3f}",
            "-movflags",
            "+faststart",
            str(out_path),
        ]
    )
