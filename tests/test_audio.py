"""The audio agent, measured on real renders with ffmpeg's own analysis (ebur128,
silencedetect, ffprobe) and on its stems."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph import Context
from graph.state import user_message
from tests.fake_openai import FakeOpenAI
from tests.helpers import on_disk, project, turn
from tools import analysis, llm
from tools.ffmpeg import probe
from tools.music import read_midi, read_wav
from tools.narration import read_srt
from tools.tts import phonemes, synthesize


def _stem(values: dict[str, Any], name: str) -> Any:
    return read_wav(Path(values["render"]["stems"]) / f"{name}.wav")[:, 0]


def _rms(x: Any) -> float:
    return float(np.sqrt(np.mean(np.square(x)))) if len(x) else 0.0


def test_master_loudness_and_lengths(seed_project: dict[str, Any]) -> None:
    v = seed_project["rendered"]
    level = analysis.loudness(v["render"]["path"])
    assert -15.0 <= level.integrated <= -13.0, level
    assert level.true_peak <= -1.0, level
    info = probe(v["render"]["path"])
    assert info.audio_codec == "aac" and abs(info.audio_duration - info.video_duration) <= 0.05
    assert info.as_dict()["has_audio"]


def test_narration_where_written_and_subtitles_on_its_timing(seed_project: dict[str, Any]) -> None:
    v = seed_project["rendered"]
    lines = v["render"]["narration"]
    assert len(lines) == 4 and all(ln["overflow"] == 0 for ln in lines)
    voice = Path(v["render"]["stems"]) / "voice.wav"
    quiet = analysis.silences(voice, -40, 0.3)
    for ln in lines:  # speech inside each line's span, never past its shot
        mid = ln["start"] + ln["duration"] / 2
        assert not any(a <= mid <= b for a, b in quiet)
        shot = next(p for p in v["plan"] if p["shot_id"] == ln["shot_id"])
        assert ln["start"] + ln["duration"] <= shot["end"]
    onsets = [b for a, b in analysis.silences(voice, -40, 0.1) if b < 29.9]
    cues = read_srt(Path(v["render"]["srt"]))
    assert len(cues) == 4
    for (start, end, text), ln in zip(cues, lines, strict=True):
        assert abs(start - ln["start"]) <= 0.1 and abs(end - (ln["start"] + ln["duration"])) <= 0.1
        assert min(abs(start - o) for o in onsets) <= 0.1  # the cue starts when the voice does
        assert text


def test_music_ducks_under_narration(seed_project: dict[str, Any]) -> None:
    v = seed_project["rendered"]
    music, rate = _stem(v, "music"), 48000
    lines = v["render"]["narration"]
    under = np.concatenate(
        [
            music[int((ln["start"] + 0.3) * rate) : int((ln["start"] + ln["duration"] - 0.3) * rate)]
            for ln in lines
        ]
    )
    gaps = []
    for a, b in zip(lines, lines[1:], strict=False):
        s0, s1 = a["start"] + a["duration"] + 0.3, b["start"] - 0.3
        if s1 - s0 > 0.3:
            gaps.append(music[int(s0 * rate) : int(s1 * rate)])
    ratio_db = 20 * math.log10(_rms(under) / _rms(np.concatenate(gaps)))
    assert -13 < ratio_db < -6, ratio_db


def test_chinese_narration_is_mandarin(tmp_path: Path) -> None:
    text = "春天，从一滴露珠开始。"
    zh = phonemes(text, "zh")
    assert len([t for t in ("55", "35", "214", "51") if t in zh]) >= 3, zh  # Mandarin tones
    en = phonemes("Spring begins with a drop of dew.", "en")
    assert not any(t in en for t in ("55", "35", "214", "51"))
    seconds = synthesize(text, "zh", "female", tmp_path / "zh.wav")
    chars = sum(1 for c in text if "\u4e00" <= c <= "\u9fff")
    assert 0.15 <= seconds / chars <= 0.45, seconds  # a human reading pace, not spelled-out letters


def test_mood_change_changes_the_music_only(seed_project: dict[str, Any]) -> None:
    graph, ctx = seed_project["graph"], seed_project["context"]
    before = seed_project["rendered"]
    after = turn(graph, "seed", "换成欢快一点的音乐", ctx)
    try:
        assert after["settings"]["music"] == "cheerful"
        old = read_midi(Path(before["render"]["music_file"]).with_suffix(".mid"))
        new = read_midi(Path(after["render"]["music_file"]).with_suffix(".mid"))
        assert (old["key"], old["tempo"]) != (new["key"], new["tempo"])
        assert new["tempo"] > old["tempo"]
        assert after["render"]["picture_key"] == before["render"]["picture_key"]  # no picture work
        assert after["render"]["rendered"] == 0
        assert [p["line"]["key"] for p in after["plan"]] == [p["line"]["key"] for p in before["plan"]]
    finally:
        turn(graph, "seed", "撤销", ctx)


def _tone(path: Path, seconds: float, freq: float = 440.0, rate: int = 44100) -> Path:
    n = int(seconds * rate)
    frames = b"".join(
        struct.pack("<h", int(15000 * math.sin(2 * math.pi * freq * i / rate))) for i in range(n)
    )
    with wave.open(str(path), "wb") as wf:
        wf.setnchannels(1)
        wf.setsampwidth(2)
        wf.setframerate(rate)
        wf.writeframes(frames)
    return path


def test_uploaded_wav_becomes_the_bed(seed_project: dict[str, Any], tmp_path: Path) -> None:
    graph, ctx = seed_project["graph"], seed_project["context"]
    config = {"configurable": {"thread_id": "seed"}}
    song = _tone(tmp_path / "song.wav", 4.0)
    graph.invoke({"messages": [user_message("用这首歌做背景音乐", audio=[str(song)])]}, config, context=ctx)
    v = on_disk(graph.get_state(config).values, ctx.data_dir)
    try:
        assert v["settings"]["music"] == "upload" and v["render"]["rendered"] == 0
        music = _stem(v, "music")
        late = music[int(20 * 48000) : int(21 * 48000)]  # looped past the file's 4 s
        spectrum = np.abs(np.fft.rfft(late))
        assert abs(np.argmax(spectrum) * 48000 / len(late) - 440) < 3
    finally:
        turn(graph, "seed", "撤销", ctx)


def test_narration_removed_from_one_shot_is_silent_there(app: Any) -> None:
    turn(app, "n", "我想创建一个关于春天的30秒短视频")
    turn(app, "n", "第三个镜头不要旁白")
    v = turn(app, "n", "继续生成")
    assert [p["line"] is None for p in v["plan"]] == [False, False, True, False]
    third = v["plan"][2]
    quiet = analysis.silences(Path(v["render"]["stems"]) / "voice.wav", -40, 0.3)
    assert any(a <= third["start"] + 0.05 and b >= third["end"] - 0.05 for a, b in quiet)
    assert len(read_srt(Path(v["render"]["srt"]))) == 3


def test_effects_follow_the_shots_and_the_chat(seed_project: dict[str, Any]) -> None:
    graph, ctx = seed_project["graph"], seed_project["context"]
    v = seed_project["rendered"]
    names = {(e["shot_id"], e["name"]) for e in v["render"]["effects"]}
    assert ("s1", "drops") in names and ("s4", "wings") in names and ("s2", "birdsong") in names
    fx = _stem(v, "effects")
    assert _rms(fx[int(19 * 48000) : int(29 * 48000)]) > 1e-3
    off = turn(graph, "seed", "去掉音效", ctx)
    try:
        assert off["render"]["effects"] == [] and off["render"]["rendered"] == 0
        assert _rms(_stem(off, "effects")) == 0
    finally:
        turn(graph, "seed", "撤销", ctx)


def test_voice_and_rate_by_chat(app: Any) -> None:
    turn(app, "v", "I want a 20 second video about the sea")
    v = turn(app, "v", "use a male voice and speak slower")
    assert v["settings"]["voice"] == "male" and v["settings"]["voice_rate"] < 1.0


@pytest.mark.parametrize(
    ("text", "files", "code", "needle"),
    [
        ("旁白换成周杰伦的声音", None, "unknown_voice", '没有"周杰伦"这个声音'),
        ("音量-500%", None, "bad_volume", "音量不能调到-500%"),
        ("用这首歌做背景音乐", "corrupt", "audio_invalid", "不是可以播放的音频"),
        ("用这首歌做背景音乐", "huge", "audio_too_large", "音频文件太大"),
        ("用这首歌做背景音乐", "image", "audio_invalid", "不是可以播放的音频"),
    ],
)
def test_bad_audio_requests_change_nothing(
    app: Any, tmp_path: Path, text: str, files: str | None, code: str, needle: str
) -> None:
    turn(app, "bad", "我想创建一个关于春天的30秒短视频")
    config = {"configurable": {"thread_id": "bad"}}
    before = project(app.get_state(config).values)
    attach = []
    if files == "corrupt":
        (tmp_path / "song.mp3").write_bytes(b"ID3\x03\x00\x00\x00garbage" * 50)
        attach = [str(tmp_path / "song.mp3")]
    elif files == "huge":
        with open(tmp_path / "big.wav", "wb") as fh:
            fh.truncate(60 * 2**20)  # sparse: the size check comes before reading
        attach = [str(tmp_path / "big.wav")]
    elif files == "image":
        from PIL import Image

        Image.new("RGB", (64, 64)).save(tmp_path / "cover.png")
        attach = [str(tmp_path / "cover.png")]
    app.invoke({"messages": [user_message(text, audio=attach)]}, config, context=app.test_context)
    v = app.get_state(config).values
    assert v["intent"]["slots"]["error"] == code and needle in v["reply"]
    assert project(v) == before


@pytest.fixture
def speech_provider(monkeypatch: pytest.MonkeyPatch) -> Any:
    servers: list[FakeOpenAI] = []

    def start(mode: str) -> FakeOpenAI:
        srv = FakeOpenAI(mode).__enter__()
        servers.append(srv)
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        monkeypatch.setenv("OPENAI_BASE_URL", srv.url)
        monkeypatch.setenv("CINECHAT_LLM_TIMEOUT", "5")
        llm.reset()
        return srv

    yield start
    for srv in servers:
        srv.__exit__()
    llm.reset()


def test_openai_speech_is_used_when_configured(app: Any, speech_provider: Any) -> None:
    srv = speech_provider("ok")
    ctx = Context(data_dir=app.test_context.data_dir, use_llm=True, model="fake-model")
    turn(app, "tts", "Make a 18 second video about spring", ctx)
    v = turn(app, "tts", "go ahead", ctx)
    speech = [c for c, p in zip(srv.calls, srv.paths, strict=True) if p.endswith("/audio/speech")]
    assert len(speech) == 4 and speech[0]["voice"] == "nova"
    assert not any(n.startswith("tts_fallback") for n in v["notes"])
    first = v["plan"][0]["line"]
    assert abs(first["spoken"] - 0.08 * len(speech[0]["input"])) < 0.15  # the provider's audio


def test_openai_speech_failure_falls_back_to_espeak(app: Any, speech_provider: Any) -> None:
    srv = speech_provider("error")
    ctx = Context(data_dir=app.test_context.data_dir, use_llm=True, model="fake-model")
    turn(app, "tts2", "我想创建一个关于春天的30秒短视频", ctx)
    v = turn(app, "tts2", "继续生成", ctx)
    assert any(p.endswith("/audio/speech") for p in srv.paths)
    assert any(n.startswith("tts_fallback") for n in v["notes"]) and "离线语音" in v["reply"]
    assert len(v["render"]["narration"]) == 4 and v["status"] == "rendered"


@settings(max_examples=25, deadline=None)
@given(
    spans=st.lists(
        st.tuples(
            st.sampled_from(["waves", "wind", "rain", "city", "birdsong"]), st.floats(0, 6), st.floats(0.1, 6)
        ),
        min_size=1,
        max_size=4,
    ),
    seconds=st.floats(2, 8),
)
def test_effects_of_any_length_mix_into_the_exact_length(
    tmp_path_factory: pytest.TempPathFactory, spans: list[tuple[str, float, float]], seconds: float
) -> None:
    """Shot boundaries fall anywhere (7.5 s, 3.8 s, 8.7 s): an effect rounded a sample short or
    past the end still mixes, and the mix is exactly the asked length."""
    from tools.mixer import SAMPLE_RATE, mix_tracks

    effects = [
        {"name": name, "start": start, "end": start + length, "seed": i}
        for i, (name, start, length) in enumerate(spans)
    ]
    out = tmp_path_factory.mktemp("fx") / "mix.wav"
    mix_tracks(None, [], seconds, out, effects=effects)
    assert len(read_wav(out)) == round(seconds * SAMPLE_RATE)


@pytest.mark.parametrize(
    ("text", "said"),
    [("use a woman's voice", "Already so"), ("换成女声", "已经是这样了")],
)
def test_an_edit_to_what_already_is_says_so_and_makes_no_version(app: Any, text: str, said: str) -> None:
    """The narrator is a woman by default: asking for one changes nothing, and the reply says
    so instead of 'Changed'; no version is made."""
    first = turn(
        app, "f", "I want a 20 second video about the sea" if said[0] == "A" else "做一个关于大海的20秒视频"
    )
    assert first["settings"]["voice"] == "female"
    after = turn(app, "f", text)
    reply = after["messages"][-1].content
    assert said in reply and "Changed" not in reply and "已修改" not in reply, reply
    assert after["version"] == first["version"] and after["settings"] == first["settings"]
    assert after["script"] == first["script"]


def test_music_shorter_than_a_second_and_special_files_are_refused(tmp_path: Path) -> None:
    from tools.music import MusicError, check_upload
    from tools.renderer import ImageError, load_image

    short = tmp_path / "click.wav"
    with wave.open(str(short), "wb") as w:  # 1.75 ms: a truncated file
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x10\x00" * 14)
    with pytest.raises(MusicError) as err:
        check_upload(short)
    assert err.value.code == "audio_too_short"
    for special in ("/dev/zero", str(tmp_path)):
        with pytest.raises(MusicError) as err:
            check_upload(special)
        assert err.value.code == "audio_not_file"
        with pytest.raises(ImageError) as bad:
            load_image(special)
        assert bad.value.code == "image_not_file"
    with pytest.raises(MusicError) as err:
        check_upload(tmp_path / "nope.wav")
    assert err.value.code == "audio_missing"
