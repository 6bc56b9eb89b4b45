"""Voice messages: a recording spoken by eSpeak NG goes to a fake OpenAI-compatible
`/v1/audio/transcriptions` on 127.0.0.1 and its words are handled exactly as if typed, in
both languages, from the command line (`cinechat say --voice`); a silent, unplayable or
over-long recording, a failing provider, or no provider at all gets a clear reply in the
project's language, and nothing runs."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.fake_openai import FakeOpenAI
from tools import stt
from tools.music import write_wav

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not shutil.which("espeak-ng"), reason="espeak-ng is not installed")


def spoken(path: Path, text: str, voice: str) -> Path:
    """A WAV of eSpeak NG saying `text`."""
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), "--", text], check=True, timeout=60)
    return path


@pytest.fixture
def provider() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as srv:
        yield srv


def env_for(srv: FakeOpenAI | None, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CINECHAT_STT"))}
    env |= {"CINECHAT_HOME": str(home), "CINECHAT_RESOLUTION": "360p"}
    if srv is not None:
        env["CINECHAT_STT_BASE_URL"] = srv.url
    else:
        env["CINECHAT_STT"] = "off"
    return env


def say(env: dict[str, str], *args: str) -> tuple[int, dict[str, Any]]:
    proc = subprocess.run(
        [sys.executable, "-m", "graph.cli", "say", "--thread", "v", "--json", "--quiet", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=ROOT,
    )
    assert proc.returncode in (0, 3), proc.stderr[-2000:]
    return proc.returncode, json.loads(proc.stdout)


def checkpoints(home: Path) -> int:
    import sqlite3

    db = home / "cinechat.sqlite"
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        return int(conn.execute("select count(*) from checkpoints").fetchone()[0])


@pytest.mark.parametrize(
    ("text", "voice", "subject"),
    [
        ("make a ten second video about a red kite over the sea", "en-us", "kite"),
        ("做一个关于海边风筝的十秒视频", "cmn-latn-pinyin", "风筝"),
    ],
)
def test_a_voice_message_is_handled_as_if_typed(
    provider: FakeOpenAI, tmp_path: Path, text: str, voice: str, subject: str
) -> None:
    recording = spoken(tmp_path / "message.wav", text, voice)
    provider.transcripts[hashlib.sha256(recording.read_bytes()).hexdigest()] = text
    code, out = say(env_for(provider, tmp_path), "--voice", str(recording))
    assert code == 0 and out["transcript"] == text
    assert out["intent"] == "create" and out["status"] == "awaiting_approval"
    shown = " ".join([out["script"]["title"], *(s["description"] for s in out["script"]["shots"])])
    assert subject in shown.lower()
    assert round(sum(s["duration"] for s in out["script"]["shots"])) == 10
    sent = provider.transcriptions[-1]
    assert sent["model"] == "whisper-1" and sent["response_format"] == "verbose_json"


def test_the_transcript_carries_word_times(
    provider: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recording = spoken(tmp_path / "m.wav", "turn the music down a little", "en-us")
    provider.transcripts[hashlib.sha256(recording.read_bytes()).hexdigest()] = "turn the music down a little"
    monkeypatch.setenv("CINECHAT_STT_BASE_URL", provider.url)
    heard = stt.transcribe(recording)
    assert heard.text == "turn the music down a little" and len(heard.words) == 6
    assert heard.words[-1]["end"] == pytest.approx(heard.seconds, abs=0.05)


def _silent(path: Path, seconds: float) -> Path:
    write_wav(np.zeros((int(48000 * seconds), 2), dtype=np.float32), path)
    return path


def _long_tone(path: Path, seconds: float) -> Path:
    """A quiet 8 kHz tone (small on disk) longer than a voice message may be."""
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=220:sample_rate=8000:duration={seconds}",
            "-c:a",
            "pcm_u8",
            str(path),
        ],
        check=True,
        timeout=120,
    )
    return path


@pytest.mark.parametrize(
    ("case", "needle", "error"),
    [
        ("unconfigured", "CINECHAT_STT_BASE_URL", "voice_unconfigured"),
        ("silent", "silent", "voice_silent"),
        ("not_audio", "could not play", "voice_invalid"),
        ("too_long", "at most 10 minutes", "voice_too_long"),
        ("provider_fails", "did not answer", "voice_failed"),
        ("no_words", "heard no words", "voice_no_words"),
    ],
)
def test_what_cannot_be_heard_is_said_and_nothing_runs(
    tmp_path: Path, case: str, needle: str, error: str
) -> None:
    home = tmp_path / "home"
    with FakeOpenAI("error" if case == "provider_fails" else "ok") as srv:
        env = env_for(None if case == "unconfigured" else srv, home)
        env["CINECHAT_LANGUAGE"] = "en"
        recording = spoken(tmp_path / "m.wav", "make a video about a lighthouse", "en-us")
        if case == "silent":
            recording = _silent(tmp_path / "quiet.wav", 3.0)
        elif case == "not_audio":
            recording = tmp_path / "notes.wav"
            recording.write_text("this is not audio at all")
        elif case == "too_long":
            recording = _long_tone(tmp_path / "long.wav", 601)
        elif case != "no_words":  # 'no_words': the provider was not told what it says
            srv.transcripts[hashlib.sha256(recording.read_bytes()).hexdigest()] = (
                "make a video about a lighthouse"
            )
        code, out = say(env, "--voice", str(recording))
        assert code == 3 and out["error"] == error and needle in out["reply"], out["reply"]
        assert checkpoints(home) == 0  # no turn ran: the project was never touched
        if case in ("silent", "not_audio", "too_long", "unconfigured"):
            assert srv.transcriptions == []  # refused before anything was sent


def test_the_reply_is_in_the_projects_language(provider: FakeOpenAI, tmp_path: Path) -> None:
    env = env_for(provider, tmp_path)
    code, made = say(env, "做一个关于灯塔的10秒视频")
    assert code == 0
    before = checkpoints(tmp_path)
    code, out = say(env, "--voice", str(_silent(tmp_path / "q.wav", 2.0)))
    assert code == 3 and "静音" in out["reply"] and checkpoints(tmp_path) == before
