"""Cut to the beat (卡点): beats measured on generated click tracks of known tempo, cuts that
land on them with the total kept (property tests over random scripts and grids), the edit in
both languages with a song sent along, a music-video cut in whole bars, undo, bad input that
changes nothing, and the camera pulses and flashes of the render landing on strong beats."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.state import user_message
from tests.helpers import PROJECT_KEYS, on_disk, project, turn
from tools.beats import MIN_SHOT, BeatError, analyse, bar_cuts, click_track, snap_cuts

TOLERANCE = 0.040  # the bar: measured cut times within 40 ms of the beats


def near(times: list[float], grid: list[float]) -> float:
    """The largest distance from any of `times` to the nearest point of `grid`."""
    g = np.asarray(grid)
    return max((float(np.min(np.abs(g - t))) for t in times), default=0.0)


@pytest.mark.parametrize(("bpm", "start"), [(100, 0.25), (87, 0.0), (128, 0.41), (150, 0.1)])
def test_beats_of_a_click_track_are_found_within_40_ms(tmp_path: Path, bpm: float, start: float) -> None:
    song = tmp_path / "click.wav"
    truth = click_track(song, bpm, 20.0, start)
    found = analyse(song, 20.0)
    assert abs(found.tempo - bpm) / bpm < 0.05
    assert near(found.beats, truth) <= TOLERANCE  # every beat found is a click
    inner = [t for t in truth if 1.0 < t < 19.0]
    assert near(inner, found.beats) <= TOLERANCE  # and every click (but the ends) is found
    accents = truth[::4]
    assert found.downbeats and near(found.downbeats, accents) <= TOLERANCE  # strong = the accented


def test_a_short_song_loops_with_its_beats(tmp_path: Path) -> None:
    song = tmp_path / "short.wav"
    truth = click_track(song, 120, 6.0, 0.2)
    found = analyse(song, 15.0)
    assert max(found.beats) > 12.0  # beats over the whole video, not just the song
    looped = [t + k * 6.0 for k in range(3) for t in truth]
    assert near(found.beats, looped) <= TOLERANCE


def test_silence_and_noise_are_refused(tmp_path: Path) -> None:
    from tools.music import write_wav

    quiet = tmp_path / "quiet.wav"
    write_wav(np.zeros((48000 * 5, 2), dtype=np.float32), quiet)
    with pytest.raises(BeatError) as err:
        analyse(quiet, 10.0)
    assert err.value.code == "beats_silent"


DURATIONS = st.lists(st.floats(1.0, 9.0).map(lambda x: round(x, 1)), min_size=2, max_size=8)


@settings(max_examples=80, deadline=None)
@given(durations=DURATIONS, bpm=st.floats(60, 180), offset=st.floats(0, 1))
def test_snapped_cuts_keep_the_total_and_shots_long_enough(
    durations: list[float], bpm: float, offset: float
) -> None:
    total = sum(durations)
    grid = list(np.arange(offset, total + 2, 60 / bpm))
    after = snap_cuts(durations, grid)
    assert len(after) == len(durations) and abs(sum(after) - total) < 1e-5
    assert all(d >= MIN_SHOT - 1e-5 for d in after)
    cuts = list(np.cumsum(after)[:-1])
    assert cuts == sorted(cuts)


@settings(max_examples=80, deadline=None)
@given(
    durations=st.lists(st.floats(2.5, 9.0).map(lambda x: round(x, 1)), min_size=2, max_size=8),
    bpm=st.floats(60, 180),
    offset=st.floats(0, 1),
)
def test_with_room_every_cut_moves_to_the_nearest_beat(
    durations: list[float], bpm: float, offset: float
) -> None:
    """Shots of 2.5 s or more and beats at most 1 s apart: each cut may move half a beat either
    way and leave its shots over MIN_SHOT, so each lands on the beat nearest to it."""
    grid = np.arange(offset, sum(durations) + 2, 60 / bpm)
    after = snap_cuts(durations, list(grid))
    for was, now in zip(np.cumsum(durations)[:-1], np.cumsum(after)[:-1], strict=True):
        assert abs(now - grid[np.argmin(np.abs(grid - was))]) < 1e-5


@settings(max_examples=60, deadline=None)
@given(durations=DURATIONS, bpm=st.floats(70, 170))
def test_a_music_video_cut_keeps_the_total(durations: list[float], bpm: float) -> None:
    total = sum(durations)
    grid = list(np.arange(0.3, total + 2, 60 / bpm))
    after = bar_cuts(durations, grid[::4], grid)
    assert abs(sum(after) - total) < 1e-5 and all(d >= MIN_SHOT - 1e-5 for d in after)


@settings(max_examples=60, deadline=None)
@given(
    durations=st.lists(st.floats(4.0, 9.0).map(lambda x: round(x, 1)), min_size=2, max_size=8),
    bpm=st.floats(90, 170),
)
def test_a_music_video_cut_puts_every_cut_on_a_bar_line(durations: list[float], bpm: float) -> None:
    """Bars at most 2.7 s long and shots of 4 s or more: there is a bar line for every cut."""
    grid = list(np.arange(0.3, sum(durations) + 2, 60 / bpm))
    bars = np.asarray(grid[::4])
    after = bar_cuts(durations, list(bars), grid)
    assert all(float(np.min(np.abs(bars - c))) < 1e-5 for c in np.cumsum(after)[:-1])


def _send(app: Any, thread: str, text: str, audio: list[str] | None = None) -> dict[str, Any]:
    """One turn with audio files attached, as the faces send it."""
    config = {"configurable": {"thread_id": thread}}
    app.invoke({"messages": [user_message(text, audio=audio)]}, config, context=app.test_context)
    return on_disk(dict(app.get_state(config).values), app.test_context.data_dir)


def cut_times(values: dict[str, Any]) -> list[float]:
    return [float(t) for t in np.cumsum([s["duration"] for s in values["script"]["shots"]])[:-1]]


@pytest.mark.parametrize(
    ("lang", "create", "ask", "undo"),
    [
        ("zh", "做一个关于街头鼓手的20秒视频", "用这首歌卡点", "撤销"),
        (
            "en",
            "make a 20 second video about a skateboarder in a parking lot",
            "cut it to the beat of this song",
            "undo",
        ),
    ],
)
def test_cut_to_the_beat_of_a_song_sent_along(
    app: Any, tmp_path: Path, lang: str, create: str, ask: str, undo: str
) -> None:
    song = tmp_path / "song.wav"
    truth = click_track(song, 96, 30.0, 0.35)
    made = turn(app, "t", create)
    before = [s["duration"] for s in made["script"]["shots"]]
    after = _send(app, "t", ask, [str(song)])
    assert after["intent"]["slots"]["operation"] == "beat_cut" and after["version"] != made["version"]
    assert after["settings"]["music"] == "upload"  # the song is the bed now
    cuts = cut_times(after)
    assert near(cuts, truth) <= TOLERANCE
    assert abs(sum(s["duration"] for s in after["script"]["shots"]) - sum(before)) < 1e-6
    said = after["reply"]
    assert ("卡点" in said if lang == "zh" else "Cut to the beat" in said) and f"{cuts[0]:.3f}" in said
    back = turn(app, "t", undo)
    assert [s["duration"] for s in back["script"]["shots"]] == before


def test_a_music_video_cut_in_whole_bars_then_rendered_with_pulses_and_flashes(
    app: Any, tmp_path: Path
) -> None:
    from tests.helpers import ffprobe

    song = tmp_path / "song.wav"
    truth = click_track(song, 120, 30.0, 0.2)
    bars = truth[::4]
    app.test_context = dataclasses.replace(app.test_context, resolution="360p")  # a quick render
    turn(app, "t", "make a 16 second video about a dancer on a rooftop at sunset")
    after = _send(app, "t", "music video mode: every shot whole bars of this song", [str(song)])
    assert after["intent"]["slots"]["mode"] == "bars"
    assert near(cut_times(after), bars) <= TOLERANCE
    done = turn(app, "t", "go ahead")
    video = done["render"]["path"]
    fps = int(done["settings"].get("fps", 24))
    assert abs(float(ffprobe(video)["format"]["duration"]) - 16.0) < 0.1
    luma = _luma(video)
    for cut in cut_times(after):  # a flash on each cut: the frame of the cut is the brightest near it
        f = round(cut * fps)
        assert luma[f] > max(luma[f + 3 : f + 6]) + 3, (cut, luma[f - 2 : f + 6])


def _luma(video: str) -> list[float]:
    import subprocess

    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-f",
            "lavfi",
            f"movie={video},signalstats",
            "-show_entries",
            "frame_tags=lavfi.signalstats.YAVG",
            "-of",
            "csv=p=0",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return [float(x) for x in out.split()]


def test_camera_pulses_follow_the_strong_beats(tmp_path: Path) -> None:
    """The pulse is measured as the picture's motion: frame-to-frame change peaks on the pulse
    frames of a clip that otherwise holds still (a static camera)."""
    from PIL import Image

    from tools.renderer import render_clip

    spec: dict[str, Any] = {
        "description": "a quiet harbour with boats",
        "shot_type": "wide",
        "camera": "static",
        "mood": "calm",
        "width": 320,
        "height": 180,
        "fps": 24,
        "frames": 96,
        "seed": 3,
        "caption": "",
        "captions": False,
        "grade": {},
        "speed": 1.0,
        "head": 0,
        "tail": 0,
    }
    pulses = [12, 48, 84]
    render_clip({**spec, "pulses": pulses}, tmp_path / "pulsed.mp4")
    frames = tmp_path / "f"
    frames.mkdir()
    import subprocess

    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(tmp_path / "pulsed.mp4"), str(frames / "%03d.png")], check=True
    )
    pics = [np.asarray(Image.open(p).convert("L"), dtype=np.float32) for p in sorted(frames.glob("*.png"))]
    motion = np.array([0.0] + [float(np.mean(np.abs(b - a))) for a, b in zip(pics, pics[1:], strict=False)])
    marks = np.zeros(len(motion))
    marks[pulses] = 1.0
    assert float(np.corrcoef(motion, marks)[0, 1]) > 0.6  # the motion is where the beats are
    assert all(motion[p] > 3 * np.median(motion) for p in pulses)


@pytest.mark.parametrize(
    ("text", "music", "code"),
    [("卡点", "off", "beat_no_music"), ("cut to the beat of this song", "silent", "beats_silent")],
)
def test_a_cut_that_cannot_be_made_changes_nothing(
    app: Any, tmp_path: Path, text: str, music: str, code: str
) -> None:
    from tools.music import write_wav

    turn(app, "t", "make a 12 second video about a lighthouse")
    attach = None
    if music == "off":
        turn(app, "t", "turn off the music")
    else:
        write_wav(np.zeros((48000 * 4, 2), dtype=np.float32), tmp_path / "silent.wav")
        attach = [str(tmp_path / "silent.wav")]
    config = {"configurable": {"thread_id": "t"}}
    before = project(dict(app.get_state(config).values))
    after = _send(app, "t", text, attach)
    assert after["outcome"].get("error") == code, after["outcome"]
    assert project(dict(app.get_state(config).values)) == before
    assert "unchanged" in after["reply"] or "没有改变" in after["reply"]
    assert set(PROJECT_KEYS) >= set(before)
