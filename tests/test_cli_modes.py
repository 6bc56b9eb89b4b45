"""The other ways in from the command line, in both languages, with files the tests make: a
drawing with `cinechat say --sketch` (each shot's `source` in --json), and a click track with
`cinechat say --music` cut to its beats (the shot durations in --json are the exact cuts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_sketch import pencil_bird
from tests.test_voice import env_for, say
from tools.beats import click_track


@pytest.mark.parametrize(
    ("create", "cut", "lang"),
    [
        ("make a 12 second video about a little bird, from my sketch", "cut to the beat of this song", "en"),
        ("用我画的这张草图做一个关于小鸟的12秒视频", "用这首歌卡点", "zh"),
    ],
)
def test_a_sketch_then_a_song_from_the_command_line(tmp_path: Path, create: str, cut: str, lang: str) -> None:
    env = env_for(None, tmp_path / "home")
    env["CINECHAT_LANGUAGE"] = lang
    code, made = say(env, "--sketch", str(pencil_bird(tmp_path / "bird.jpg")), create)
    assert code == 0 and made["intent"] == "create", made["reply"]
    assert [s["source"] for s in made["script"]["shots"]][0] == "sketch"
    assert all(s["source"] == "text" for s in made["script"]["shots"][1:])
    clicks = click_track(tmp_path / "song.wav", 100, 14.0, start=0.45)
    code, retimed = say(env, "--music", str(tmp_path / "song.wav"), cut)
    assert code == 0 and retimed["outcome"]["op"] == "beat_cut", retimed["reply"]
    durations = [float(s["duration"]) for s in retimed["script"]["shots"]]
    assert abs(sum(durations) - 12.0) < 1e-6
    t, cuts = 0.0, []
    for d in durations[:-1]:
        t += d
        cuts.append(t)
    assert cuts and all(min(abs(c - k) for k in clicks) < 0.04 for c in cuts), (cuts, clicks)
    assert any(round(d, 1) != d for d in durations)  # the exact times, not a 0.1 s grid
