"""Audio-driven editing in the browser, in Chinese, on a real Chainlit server: a song dropped
in the chat with "用这首歌卡点" cuts the video to its beats, and a recording dropped with
"用我的录音做旁白" becomes the narration; both checked in the project's stored state and
its files, not only in the replies."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.test_browser import NO_CHROMIUM, Session, browser, own_server, shots  # noqa: F401 - fixtures
from tests.test_turns import state
from tests.test_voiceover import recording
from tools.assets import AssetStore
from tools.beats import click_track
from tools.narration import read_srt

pytestmark = [
    NO_CHROMIUM,
    pytest.mark.skipif(not shutil.which("espeak-ng"), reason="espeak-ng is not installed"),
]


def test_a_song_cuts_to_the_beat_and_a_recording_narrates_in_the_browser(
    tmp_path: Path,
    browser: Any,  # noqa: F811
    shots: Path,  # noqa: F811
) -> None:
    media = tmp_path / "media"
    with own_server(tmp_path, CINECHAT_DATA=str(media)) as running:
        url, history = running["url"], running["history"]
        s = Session(browser, url, shots, locale="zh-CN")
        s.login("alice", "alice-password")
        s.say("做一个关于滑板少年的10秒视频")
        s.wait_text("剧本初稿完成")
        s.idle()
        project = "alice:" + s.page.url.rsplit("/thread/", 1)[1].split("?")[0]
        s.say("继续生成")
        s.wait_text("视频已生成", timeout=240)
        s.idle()
        made = state(history, project)

        clicks = click_track(tmp_path / "song.wav", 110, 12.0, start=0.3)
        s.attach(tmp_path / "song.wav")
        s.say("用这首歌卡点")
        s.wait_text("卡点剪辑", timeout=240)
        s.idle()
        cut = state(history, project)
        assert cut["settings"]["beat_sync"]["mode"] == "beats" and cut["version"] != made["version"]
        t, cuts = 0.0, []
        for shot in cut["script"]["shots"][:-1]:
            t += float(shot["duration"])
            cuts.append(t)
        assert cuts and all(min(abs(c - k) for k in clicks) < 0.04 for c in cuts), (cuts, clicks)
        assert abs(sum(float(x["duration"]) for x in cut["script"]["shots"]) - 10.0) < 1e-6
        s.shot("audio-beat-cut")

        spoken, onsets = recording(
            tmp_path / "me.wav",
            [(0.6, "hua2 ban3 shao4 nian2"), (1.5, "ta1 hen3 kuai4 le4")],
            "cmn-latn-pinyin",
        )
        s.attach(spoken)
        s.say("用我的录音做旁白")
        s.wait_text("您自己的录音", timeout=240)
        s.idle()
        voiced = state(history, project)
        assert voiced["settings"]["voiceover"] and voiced["version"] != cut["version"]
        assert voiced["settings"]["beat_sync"] == cut["settings"]["beat_sync"]  # the cut stays
        store = AssetStore(media)
        cues = read_srt(store.local(voiced["render"]["srt"]))
        starts = [c[0] for c in cues]
        assert all(any(abs(a - o) < 0.05 for a in starts) for o in onsets), (cues, onsets)
        video = store.local(voiced["render"]["path"])
        streams = subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0", str(video)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        assert sorted(streams) == ["audio", "video"]
        s.shot("audio-voiceover")
        s.clean()
        s.context.close()
