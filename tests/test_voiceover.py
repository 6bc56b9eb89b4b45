"""A voice recording as the narration: it replaces the synthesised voice, each shot speaks
the part of it inside its time, the subtitles are timed from its speech onsets (with the
words a speech-to-text provider heard, when one is configured), and a figure in the shot
moves its mouth and gestures with its loudness. Recordings are spoken by eSpeak NG."""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from graph.state import user_message
from tests.fake_openai import FakeOpenAI
from tests.helpers import on_disk, project, turn
from tools import voiceover
from tools.ffmpeg import decode_pcm
from tools.narration import read_srt
from tools.plan import build_plan
from tools.renderer import render_clip

pytestmark = pytest.mark.skipif(not shutil.which("espeak-ng"), reason="espeak-ng is not installed")


def recording(path: Path, phrases: list[tuple[float, str]], voice: str = "en-us") -> tuple[Path, list[float]]:
    """eSpeak NG saying each phrase after a pause of its seconds; the file and the times each
    phrase's speech starts (measured in the phrase's own file, so the truth is not the
    function under test run on the whole)."""
    parts, onsets, t = [], [], 0.0
    for i, (pause, text) in enumerate(phrases):
        part = path.with_name(f"{path.stem}-{i}.wav")
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(part), "--", text], check=True, timeout=60)
        samples = decode_pcm(part, voiceover.RATE)
        first = int(np.argmax(np.abs(samples) > 0.02))  # the phrase's first audible sample
        t += pause
        onsets.append(round(t + first / voiceover.RATE, 3))
        t += len(samples) / voiceover.RATE
        parts.append((pause, part))
    inputs, chain = [], []
    for i, (pause, part) in enumerate(parts):
        inputs += ["-i", str(part)]
        chain.append(f"[{i}]adelay={int(pause * 1000)}:all=1[p{i}]")
    labels = "".join(f"[p{i}]" for i in range(len(parts)))
    graph = ";".join(chain) + f";{labels}concat=n={len(parts)}:v=0:a=1[out]"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", *inputs, "-filter_complex", graph, "-map", "[out]", str(path)],
        check=True,
        timeout=60,
    )
    return path, onsets


def test_speech_is_found_where_it_was_put(tmp_path: Path) -> None:
    path, onsets = recording(tmp_path / "r.wav", [(0.6, "Hello there."), (1.2, "The sea is calm today.")])
    found = voiceover.load(path).spans
    assert len(found) == 2, found
    for (start, _), onset in zip(found, onsets, strict=True):
        assert abs(start - onset) < 0.04, (found, onsets)


def test_cues_follow_the_speech_and_take_the_words_heard() -> None:
    rate = voiceover.RATE
    samples = np.zeros(rate * 6, dtype=np.float32)
    noise = np.random.default_rng(1).normal(0, 0.3, rate * 6).astype(np.float32)
    for a, b in ((0.5, 1.5), (2.2, 2.8), (3.6, 5.0)):  # speech-like bursts
        samples[int(a * rate) : int(b * rate)] = noise[int(a * rate) : int(b * rate)]
    rec = voiceover.Recording(samples, voiceover.speech_spans(samples))
    plan = [{"shot_id": "a", "start": 0.0, "end": 3.0}, {"shot_id": "b", "start": 3.0, "end": 6.0}]
    cues = voiceover.shot_cues(rec, plan, {"a": "line a", "b": "line b"})
    assert [(c["shot_id"], c["text"]) for c in cues] == [("a", "line a"), ("b", "line b")]
    assert cues[0]["start"] == pytest.approx(0.5, abs=0.03) and cues[0]["end"] == pytest.approx(2.8, abs=0.03)
    assert cues[1]["start"] == pytest.approx(3.6, abs=0.03) and cues[1]["end"] == pytest.approx(5.0, abs=0.03)
    words = [{"word": "hello", "start": 0.5, "end": 1.5}, {"word": "sea", "start": 3.6, "end": 5.0}]
    assert [c["text"] for c in voiceover.shot_cues(rec, plan, {}, words)] == ["hello", "sea"]
    assert voiceover.unheard(rec, 4.0) == pytest.approx(1.0, abs=0.04)


def _speaker(tmp_path: Path, talk: str | None) -> tuple[list[Any], str]:
    """A one-shot clip of a girl who stands in a park (static camera), talking with `talk`."""
    script: dict[str, Any] = {
        "language": "en",
        "mood": "warm",
        "shots": [
            {
                "id": "s1",
                "description": "a girl standing in the park",
                "shot_type": "medium",
                "camera": "static",
                "duration": 4.0,
                "narration": "",
            }
        ],
    }
    settings: dict[str, Any] = {"aspect": "16:9", "resolution": "360p", "fps": 24, "captions": False}
    spec = build_plan(script, settings, None, None, talk)[0]["spec"]
    out = tmp_path / f"clip-{bool(talk)}.mp4"
    info = render_clip(spec, out)
    frames = tmp_path / f"f-{bool(talk)}"
    frames.mkdir()
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(out), str(frames / "%04d.png")], check=True, timeout=60
    )
    pictures = [
        np.asarray(Image.open(p).convert("L"), dtype=np.float32) for p in sorted(frames.glob("*.png"))
    ]
    return pictures, str(info.get("talking", False))


def test_the_figure_moves_with_the_voice(tmp_path: Path) -> None:
    path, _ = recording(
        tmp_path / "r.wav", [(0.3, "Good morning everyone."), (0.9, "Look at all the flowers here.")]
    )
    samples = voiceover.load(path).samples[: voiceover.RATE * 4]
    talk = voiceover.mouth_levels(samples, 24)
    env = voiceover.envelope(samples, 24)
    still, talked = _speaker(tmp_path, None), _speaker(tmp_path, talk)
    assert talked[1] == "True" and still[1] == "False"
    # where the figure is: what differs from the clip without a voice (the rest of the shot is
    # the same in both: same seed, static camera); there, how far each frame is from the first
    # (before a word is said)
    voiced, silent = np.stack(talked[0]), np.stack(still[0])
    ys, xs = np.nonzero((np.abs(voiced - silent) > 30).any(axis=0))
    figure = voiced[:, ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    assert figure.shape[1] * figure.shape[2] < 0.1 * voiced.shape[1] * voiced.shape[2]  # only the figure
    moved = np.abs(figure - figure[0]).mean(axis=(1, 2))
    n = min(len(moved), len(env))
    r = float(np.corrcoef(moved[:n], env[:n])[0, 1])
    assert r > 0.6, r
    assert moved[:n][env[:n] < 0.05].mean() < 0.6 * moved[:n][env[:n] > 0.5].mean()  # still in the pauses


def _send(app: Any, text: str, narration: list[str]) -> dict[str, Any]:
    config = {"configurable": {"thread_id": "t"}}
    app.invoke({"messages": [user_message(text, narration=narration)]}, config, context=app.test_context)
    return on_disk(dict(app.get_state(config).values), app.test_context.data_dir)


def _send_audio(app: Any, text: str, audio: list[str]) -> dict[str, Any]:
    config = {"configurable": {"thread_id": "t"}}
    app.invoke({"messages": [user_message(text, audio=audio)]}, config, context=app.test_context)
    return on_disk(dict(app.get_state(config).values), app.test_context.data_dir)


@pytest.mark.parametrize(
    ("create", "ask", "voice", "undo"),
    [
        (
            "make a 10 second video about a girl talking in the park",
            "use my recording as the narration",
            "en-us",
            "undo",
        ),
        ("做一个关于小女孩在公园里说话的10秒视频", "用我的录音做旁白", "cmn-latn-pinyin", "撤销"),
    ],
)
def test_a_recording_narrates_the_video_and_undo_takes_it_back(
    app: Any, tmp_path: Path, create: str, ask: str, voice: str, undo: str
) -> None:
    app.test_context = dataclasses.replace(app.test_context, resolution="360p")
    turn(app, "t", create)
    made = turn(app, "t", "yes" if voice == "en-us" else "继续生成")
    phrases = [(0.8, "A girl stands in the park."), (2.0, "She tells us about her day.")]
    if voice != "en-us":
        phrases = [(0.8, "xiao3 nv3 hai2"), (2.0, "ni3 hao3")]
    path, onsets = recording(tmp_path / "me.wav", phrases, voice)
    after = _send_audio(app, ask, [str(path)])
    assert after["intent"]["slots"]["operation"] == "voiceover", after["intent"]
    assert after["settings"]["voiceover"] and after["version"] != made["version"]
    cues = read_srt(Path(after["render"]["srt"]))
    # a cue starts at each phrase's first word, or at the cut where its speech goes on
    cuts = [p["start"] for p in after["plan"]]
    assert all(any(abs(c[0] - t) < 0.05 for c in cues) for t in onsets), (cues, onsets)
    assert all(any(abs(c[0] - t) < 0.05 for t in [*onsets, *cuts]) for c in cues), (cues, onsets, cuts)
    scripted = [s["narration"] for s in after["script"]["shots"]]
    assert all(c[2] in scripted for c in cues)  # offline: the script's lines, at the speech's times
    said = [n for n in after["notes"] if "voiceover_script" in n]
    assert said and ("CINECHAT_STT_BASE_URL" in after["reply"])
    # the voice stem is the recording: speech where it speaks, silence before its first word
    voice_stem = Path(after["render"]["stems"]) / "voice.wav"
    heard = decode_pcm(voice_stem, 8000)
    quiet, loud = (
        heard[: int(8000 * (onsets[0] - 0.1))],
        heard[int(8000 * onsets[0]) : int(8000 * (onsets[0] + 1))],
    )
    assert float(np.abs(quiet).max(initial=0)) < 0.01 < float(np.sqrt(np.mean(loud**2)))
    back = turn(app, "t", undo)
    assert "voiceover" not in back["settings"] and back["version"] == made["version"]


def test_the_words_heard_become_the_subtitles(
    app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.test_context = dataclasses.replace(app.test_context, resolution="360p")
    turn(app, "t", "make a 10 second video about a lighthouse by the sea")
    turn(app, "t", "yes")
    path, onsets = recording(tmp_path / "me.wav", [(0.5, "the light turns all night long")])
    with FakeOpenAI() as srv:
        srv.transcripts[hashlib.sha256(path.read_bytes()).hexdigest()] = "the light turns all night long"
        monkeypatch.setenv("CINECHAT_STT_BASE_URL", srv.url)
        after = _send(app, "", [str(path)])
    assert after["settings"]["voiceover"]["words"], after["outcome"]
    cues = read_srt(Path(after["render"]["srt"]))
    assert " ".join(c[2] for c in cues) == "the light turns all night long"
    assert abs(cues[0][0] - onsets[0]) < 0.05


@pytest.mark.parametrize(
    ("words", "narrates"),
    [
        ("我自己配了音，用这个", True),
        ("这是我录的旁白", True),
        ("replace the robot voice with my recording", True),
        ("use this as the music", False),
        ("把这首歌当背景音乐", False),
    ],
)
def test_a_recording_is_the_narration_when_the_words_say_so(
    app: Any, tmp_path: Path, words: str, narrates: bool
) -> None:
    from tools.beats import click_track

    turn(app, "t", "make a 10 second video about a kite")
    if narrates:
        path = recording(tmp_path / "me.wav", [(0.4, "a kite in the wind")])[0]
    else:
        path = tmp_path / "song.wav"
        click_track(path, 120, 12.0)
    after = _send_audio(app, words, [str(path)])
    assert (after["intent"]["slots"].get("operation") == "voiceover") is narrates, after["intent"]


def test_a_silent_or_missing_recording_is_refused_and_changes_nothing(app: Any, tmp_path: Path) -> None:
    turn(app, "t", "make a 10 second video about a kite")
    config = {"configurable": {"thread_id": "t"}}
    before = project(dict(app.get_state(config).values))
    quiet = tmp_path / "quiet.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "3", str(quiet)],
        check=True,
        timeout=30,
    )
    after = _send(app, "use my recording as the narration", [str(quiet)])
    assert after["intent"]["slots"]["error"] == "voice_silent" and "silent" in after["reply"]
    assert project(dict(app.get_state(config).values)) == before
    after = _send(app, "use my recording as the narration", [str(tmp_path / "nowhere.wav")])
    assert after["intent"]["slots"]["error"] == "voice_invalid"
    assert project(dict(app.get_state(config).values)) == before


def test_speech_after_the_end_is_said_to_be_unheard(app: Any, tmp_path: Path) -> None:
    app.test_context = dataclasses.replace(app.test_context, resolution="360p")
    turn(app, "t", "make a 6 second video about a boat")
    turn(app, "t", "yes")
    path, _ = recording(
        tmp_path / "long.wav", [(0.4, "a boat on the water"), (6.5, "and then it sails away")]
    )
    after = _send_audio(app, "use this as the voice-over", [str(path)])
    assert after["intent"]["slots"]["operation"] == "voiceover"
    assert any("voiceover_unheard" in n for n in after["notes"]) and "not heard" in after["reply"], after[
        "reply"
    ]
    assert all(c[1] <= 6.0 + 1e-6 for c in read_srt(Path(after["render"]["srt"])))


def test_cinechat_say_narration_with_no_words(tmp_path: Path) -> None:
    """`cinechat say --narration FILE` alone: the recording becomes the narration."""
    from tests.test_voice import env_for, say

    env = env_for(None, tmp_path / "home")
    env["CINECHAT_LANGUAGE"] = "en"
    say(env, "make a 6 second video about a small boat")
    code, made = say(env, "yes")
    assert code == 0 and made["video"], made
    path, _ = recording(tmp_path / "me.wav", [(0.5, "a small boat on a calm sea")])
    code, out = say(env, "--narration", str(path))
    assert code == 0 and out["version"] != made["version"], out
    assert out["outcome"]["op"] == "voiceover" and "your own recording" in out["reply"], out["reply"]


def test_a_drawn_face_opens_its_mouth_when_no_one_stands_there() -> None:
    from tools import scene

    comp = scene.compose("a happy cat face on the table", "warm", (640, 360), 1, "medium", talk="0123" * 12)
    talker = next(s for s in comp.sprites if s.talk)
    assert talker.word == "cat face" and len(talker.frames) == voiceover.LEVELS

    def mouth(k: int) -> int:  # the emoji's mouth colour: dark red or magenta
        rgba = np.asarray(talker.frames[k].convert("RGBA"), dtype=int)
        return int(((rgba[..., 3] > 200) & (rgba[..., 0] > 100) & (rgba[..., 1] < 60)).sum())

    sizes = [mouth(k) for k in range(voiceover.LEVELS)]
    assert all(n > 1.3 * sizes[0] for n in sizes[1:]), sizes  # open whenever the voice is heard
    robot = scene.compose("a robot in a city", "warm", (640, 360), 1, "medium", talk="03" * 24)
    moving = next(s for s in robot.sprites if s.talk)  # no face to find: it gestures (lifts) only
    heights = {f.height for f in moving.frames}
    assert len(heights) == 1 and moving.frames[0].tobytes() != moving.frames[-1].tobytes()


@pytest.mark.parametrize(
    "words",
    ["用回合成的声音", "去掉我的录音", "go back to the synthesized voice", "remove my recording"],
)
def test_words_take_the_recording_out_again(app: Any, tmp_path: Path, words: str) -> None:
    turn(app, "t", "make a 10 second video about a kite")
    path, _ = recording(tmp_path / "me.wav", [(0.4, "a kite in the wind")])
    with_it = _send_audio(app, "use my recording as the narration", [str(path)])
    assert with_it["settings"]["voiceover"]
    back = turn(app, "t", words)
    assert back["intent"]["slots"]["operation"] == "voiceover", back["intent"]
    assert "voiceover" not in back["settings"] and back["version"] != with_it["version"]
    again = turn(app, "t", "调高音乐音量" if words[0] > "z" else "make the music louder")
    assert again["intent"]["slots"]["operation"] != "voiceover"  # other words are other edits
