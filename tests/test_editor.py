"""The twenty chat edits, each in Chinese and English, checked on the rendered output (ffmpeg's
signalstats, ffprobe, pixels, stems), plus a long session of versions. Projects are 720p so the
suite stays quick; every test renders its own thread (the clip cache makes that cheap)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graph import Context, build_graph, open_checkpointer
from tests.helpers import SEED, ffprobe, turn
from tools import analysis
from tools.music import read_wav

EN_SEED = "Make a 30 second video about spring in the park, warm and healing"
FIRST = {"zh": SEED, "en": EN_SEED}
GO = {"zh": "继续生成", "en": "go ahead"}


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Its own media store, so the render counts here are about these edits alone."""
    root = tmp_path_factory.mktemp("editor")
    graph = build_graph(open_checkpointer(root / "db.sqlite"))
    ctx = Context(data_dir=str(root / "media"), use_llm=False, resolution="720p")
    count = {"n": 0}

    def project(lang: str) -> tuple[str, dict[str, Any]]:
        count["n"] += 1
        thread = f"{lang}{count['n']}"
        turn(graph, thread, FIRST[lang], ctx)
        return thread, turn(graph, thread, GO[lang], ctx)

    def say(thread: str, text: str) -> dict[str, Any]:
        return turn(graph, thread, text, ctx)

    return project, say


def _span(v: dict[str, Any], n: int) -> tuple[float, float]:
    item = v["plan"][n - 1]
    return item["start"] + 0.15, item["end"] - 0.15


def _stats(v: dict[str, Any], n: int) -> analysis.Stats:
    return analysis.signalstats(v["render"]["path"], *_span(v, n))


def _others_untouched(before: dict[str, Any], after: dict[str, Any], shot: int) -> None:
    """The other shots' clips are the very same files (same content hash), and only one was rendered."""
    a, b = before["render"]["clips"], after["render"]["clips"]
    assert [k for i, k in enumerate(a) if i != shot - 1] == [k for i, k in enumerate(b) if i != shot - 1]
    assert a[shot - 1] != b[shot - 1]
    assert after["render"]["rendered"] == 1


def _frame(v: dict[str, Any], t: float) -> Any:
    return np.asarray(analysis.frame_at(v["render"]["path"], t), dtype=np.float32)


def _edit(studio: Any, lang: str, text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    project, say = studio
    thread, before = project(lang)
    after = say(thread, text)
    assert after["version"] != before["version"] and after["status"] == "rendered", after["reply"]
    return before, after


BRIGHT = {"zh": "第二个镜头调亮一点", "en": "make shot 2 a bit brighter"}
CONTRAST = {"zh": "第二个镜头对比度高一点", "en": "more contrast on shot 2"}
SATURATION = {"zh": "第二个镜头色彩鲜艳一点", "en": "make shot 2 more saturated"}
WARM = {"zh": "整体色调暖一些", "en": "make the whole video warmer"}
LOOK = {"zh": "把第二个镜头做成黑白的", "en": "make shot 2 black and white"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_1_brightness(studio: Any, lang: str) -> None:
    before, after = _edit(studio, lang, BRIGHT[lang])
    assert _stats(after, 2).luma > _stats(before, 2).luma + 3
    _others_untouched(before, after, 2)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_2_contrast(studio: Any, lang: str) -> None:
    before, after = _edit(studio, lang, CONTRAST[lang])
    t = sum(_span(before, 2)) / 2
    luma = [
        0.299 * f[..., 0] + 0.587 * f[..., 1] + 0.114 * f[..., 2]
        for f in (_frame(before, t), _frame(after, t))
    ]
    assert luma[1].std() > luma[0].std() * 1.05
    _others_untouched(before, after, 2)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_3_saturation(studio: Any, lang: str) -> None:
    before, after = _edit(studio, lang, SATURATION[lang])
    assert _stats(after, 2).saturation > _stats(before, 2).saturation * 1.05
    _others_untouched(before, after, 2)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_4_temperature(studio: Any, lang: str) -> None:
    before, after = _edit(studio, lang, WARM[lang])
    for n in range(1, 5):  # warmer: more red chroma (V), less blue (U), on every shot
        a, b = _stats(before, n), _stats(after, n)
        assert b.v > a.v + 1 and b.u < a.u - 1
    assert after["render"]["rendered"] == 4


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_5_look(studio: Any, lang: str) -> None:
    before, after = _edit(studio, lang, LOOK[lang])
    assert _stats(after, 2).saturation < 2 < _stats(before, 2).saturation
    _others_untouched(before, after, 2)


@pytest.mark.parametrize(
    ("lang", "text"),
    [("zh", "俯拍镜头太快了，放慢一点"), ("en", "the aerial shot is too fast, slow it down")],
)
def test_6_speed(studio: Any, lang: str, text: str) -> None:
    before, after = _edit(studio, lang, text)
    old = [s["duration"] for s in before["script"]["shots"]]
    new = [s["duration"] for s in after["script"]["shots"]]
    assert after["script"]["shots"][3]["speed"] < 1 and new[3] > old[3]
    assert sum(new) == pytest.approx(sum(old)) and any(n < o for n, o in zip(new[:3], old[:3], strict=True))
    assert abs(float(ffprobe(after["render"]["path"])["format"]["duration"]) - 30) < 0.1
    assert ("时长变化" if lang == "zh" else "Lengths changed") in after["reply"]


@pytest.mark.parametrize(("lang", "text"), [("zh", "把第一个镜头延长到5秒"), ("en", "make shot 1 5 seconds")])
def test_7_trim_or_extend(studio: Any, lang: str, text: str) -> None:
    before, after = _edit(studio, lang, text)
    assert after["script"]["shots"][0]["duration"] == 5
    assert after["plan"][0]["end"] - after["plan"][0]["start"] == pytest.approx(5)
    assert abs(float(ffprobe(after["render"]["path"])["format"]["duration"]) - 30) < 0.1


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("zh", "在第三个镜头前加一个她远远走来的镜头"),
        ("en", "add a shot of the girl walking in from afar before shot 3"),
    ],
)
def test_8_insert(studio: Any, lang: str, text: str) -> None:
    before, after = _edit(studio, lang, text)
    assert len(after["script"]["shots"]) == 5 and len(after["render"]["clips"]) == 5
    assert after["script"]["shots"][2]["shot_type"] == "long"
    assert abs(float(ffprobe(after["render"]["path"])["format"]["duration"]) - 30) < 0.1


@pytest.mark.parametrize(("lang", "text"), [("zh", "删除第三个镜头"), ("en", "delete shot 3")])
def test_9_delete(studio: Any, lang: str, text: str) -> None:
    before, after = _edit(studio, lang, text)
    assert len(after["render"]["clips"]) == 3
    assert before["script"]["shots"][2]["id"] not in [s["id"] for s in after["script"]["shots"]]
    assert abs(float(ffprobe(after["render"]["path"])["format"]["duration"]) - 30) < 0.1


@pytest.mark.parametrize(("lang", "text"), [("zh", "交换第二和第三个镜头"), ("en", "swap shots 2 and 3")])
def test_10_reorder(studio: Any, lang: str, text: str) -> None:
    before, after = _edit(studio, lang, text)
    ids = [s["id"] for s in before["script"]["shots"]]
    assert [s["id"] for s in after["script"]["shots"]] == [ids[0], ids[2], ids[1], ids[3]]
    assert after["render"]["clips"][0] == before["render"]["clips"][0]


@pytest.mark.parametrize(
    ("lang", "text"),
    [("zh", "把第三个镜头改成一只猫在晒太阳"), ("en", "change shot 3 to a cat sleeping in the sun")],
)
def test_11_rewrite(studio: Any, lang: str, text: str) -> None:
    before, after = _edit(studio, lang, text)
    assert (
        "猫" in after["script"]["shots"][2]["description"]
        or "cat" in after["script"]["shots"][2]["description"]
    )
    _others_untouched(before, after, 3)


@pytest.mark.parametrize(
    ("lang", "text", "kind"),
    [("zh", "镜头之间加上淡入淡出转场", "fade"), ("en", "add a wipe between shots 1 and 2", "wipe")],
)
def test_12_transitions(studio: Any, lang: str, text: str, kind: str) -> None:
    before, after = _edit(studio, lang, text)
    boundary = before["plan"][0]["end"]
    frame = _frame(after, boundary - 0.02 if kind == "fade" else boundary)
    cut_a, cut_b = _frame(before, boundary - 0.1), _frame(before, boundary + 0.1)
    if kind == "fade":
        assert frame.mean() < 0.35 * cut_a.mean()  # through black at the boundary
        assert after["render"]["rendered"] == 4
    else:  # a wipe shows part of each shot at the boundary
        left, right = frame[:, : frame.shape[1] // 4], frame[:, -frame.shape[1] // 4 :]
        da = [
            np.abs(x - y[:, : x.shape[1]] if x is left else x - y[:, -x.shape[1] :]).mean()
            for x, y in ((left, cut_a), (right, cut_b))
        ]
        db = [
            np.abs(x - y[:, : x.shape[1]] if x is left else x - y[:, -x.shape[1] :]).mean()
            for x, y in ((left, cut_b), (right, cut_a))
        ]
        assert min(da) < max(db)
        assert after["settings"]["transitions"] == {"1": "wipe"} and after["render"]["rendered"] == 2
    assert abs(float(ffprobe(after["render"]["path"])["format"]["duration"]) - 30) < 0.1


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("zh", "在第二个镜头的左上角加文字“三月”，1秒到3秒"),
        ("en", 'add the text "March" to shot 2 top-left from 1s to 3s'),
    ],
)
def test_13_text_overlay(studio: Any, lang: str, text: str) -> None:
    before, after = _edit(studio, lang, text)
    start = after["plan"][1]["start"]
    h, w = 720, 1280
    region = (slice(0, h // 6), slice(0, w // 5))
    inside = np.abs(_frame(after, start + 2)[region] - _frame(before, start + 2)[region]).mean()
    outside = np.abs(_frame(after, start + 5)[region] - _frame(before, start + 5)[region]).mean()
    assert inside > 3 and outside < 0.5
    _others_untouched(before, after, 2)


@pytest.mark.parametrize(
    ("lang", "text"), [("zh", "在开头加上标题《春日公园》"), ("en", 'add a title "Spring Park"')]
)
def test_13_title_card(studio: Any, lang: str, text: str) -> None:
    before, after = _edit(studio, lang, text)
    centre = (slice(260, 460), slice(340, 940))
    assert np.abs(_frame(after, 1.5)[centre] - _frame(before, 1.5)[centre]).mean() > 3
    _others_untouched(before, after, 1)


@pytest.mark.parametrize(
    ("lang", "off", "bigger"),
    [("zh", "关掉字幕", "字幕大一点"), ("en", "turn off the subtitles", "make the subtitles bigger")],
)
def test_14_subtitles(studio: Any, lang: str, off: str, bigger: str) -> None:
    project, say = studio
    thread, before = project(lang)
    line = before["render"]["narration"][1]
    t = line["start"] + 1.0
    band = (slice(int(720 * 0.7), 720), slice(None))
    big = say(thread, bigger)
    grown = np.abs(_frame(big, t)[band] - _frame(before, t)[band]).mean()
    assert big["settings"]["caption_scale"] > 1 and grown > 1
    gone = say(thread, off)
    assert gone["settings"]["captions"] is False
    assert np.abs(_frame(gone, t)[band] - _frame(before, t)[band]).mean() > 2


@pytest.mark.parametrize(("lang", "text"), [("zh", "做成竖屏的"), ("en", "make it square")])
def test_15_aspect(studio: Any, lang: str, text: str) -> None:
    before, after = _edit(studio, lang, text)
    video = next(s for s in ffprobe(after["render"]["path"])["streams"] if s["codec_type"] == "video")
    assert (video["width"], video["height"]) == ((720, 1280) if lang == "zh" else (720, 720))


@pytest.mark.parametrize(("lang", "text"), [("zh", "帧率改成30帧"), ("en", "change the resolution to 1080p")])
def test_16_resolution_and_fps(studio: Any, lang: str, text: str) -> None:
    before, after = _edit(studio, lang, text)
    video = next(s for s in ffprobe(after["render"]["path"])["streams"] if s["codec_type"] == "video")
    if lang == "zh":
        assert video["avg_frame_rate"] == "30/1" and video["height"] == 720
    else:
        assert (video["width"], video["height"]) == (1920, 1080)


def _rms(x: Any) -> float:
    return float(np.sqrt(np.mean(np.square(x))))


@pytest.mark.parametrize(("lang", "text"), [("zh", "背景音乐小声一点"), ("en", "make the music quieter")])
def test_17_music_volume(studio: Any, lang: str, text: str) -> None:
    before, after = _edit(studio, lang, text)
    a = read_wav(Path(before["render"]["stems"]) / "music.wav")[:, 0]
    b = read_wav(Path(after["render"]["stems"]) / "music.wav")[:, 0]
    assert 20 * math.log10(_rms(b) / _rms(a)) < -2
    assert after["render"]["rendered"] == 0  # no picture work


def _centroid(x: Any) -> float:
    spectrum = np.abs(np.fft.rfft(x[: 48000 * 8]))
    freqs = np.fft.rfftfreq(min(len(x), 48000 * 8), 1 / 48000)
    return float((spectrum * freqs).sum() / spectrum.sum())


@pytest.mark.parametrize(
    ("lang", "text"), [("zh", "旁白换成男声"), ("en", "use a male voice for the narration")]
)
def test_18_narration_voice(studio: Any, lang: str, text: str) -> None:
    before, after = _edit(studio, lang, text)
    assert after["settings"]["voice"] == "male"
    a = read_wav(Path(before["render"]["stems"]) / "voice.wav")[:, 0]
    b = read_wav(Path(after["render"]["stems"]) / "voice.wav")[:, 0]
    assert _centroid(b) < _centroid(a)  # a lower voice


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("zh", "第二个镜头的旁白改成：鸽子们都来了"),
        ("en", "change the narration of shot 2 to: The pigeons arrive."),
    ],
)
def test_18_narration_text(studio: Any, lang: str, text: str) -> None:
    before, after = _edit(studio, lang, text)
    assert after["script"]["shots"][1]["narration"] in ("鸽子们都来了", "The pigeons arrive.")
    assert after["plan"][1]["line"]["duration"] < before["plan"][1]["line"]["duration"]


@pytest.mark.parametrize(
    ("lang", "text"), [("zh", "第四个镜头去掉音效"), ("en", "remove the sound effects from shot 4")]
)
def test_19_effects_per_shot(studio: Any, lang: str, text: str) -> None:
    before, after = _edit(studio, lang, text)
    fx = read_wav(Path(after["render"]["stems"]) / "effects.wav")[:, 0]
    s4 = after["plan"][3]
    assert _rms(fx[int(s4["start"] * 48000) : int(s4["end"] * 48000)]) == 0
    s2 = after["plan"][1]
    assert _rms(fx[int(s2["start"] * 48000) : int(s2["end"] * 48000)]) > 0
    assert after["render"]["rendered"] == 0


@pytest.mark.parametrize(
    ("lang", "text", "fmt"), [("zh", "导出成GIF", "gif"), ("en", "export as webm", "webm")]
)
def test_20_export(studio: Any, lang: str, text: str, fmt: str) -> None:
    project, say = studio
    thread, v = project(lang)
    out = say(thread, text)
    path = Path(out["outcome"]["path"])
    assert path.parent.name == "exports" and path.name.endswith(f"-{v['version']}.{fmt}")
    info = ffprobe(path)
    assert float(info["format"]["duration"]) > 25
    if fmt == "gif":
        assert path.stat().st_size < 10 * 2**20
    assert Path(out["outcome"]["srt"]).exists() and Path(out["outcome"]["srt"]).suffix == ".srt"
    assert out["version"] == v["version"]  # exporting is not an edit


def test_ambiguous_brighten_picks_the_dark_shot(studio: Any) -> None:
    project, say = studio
    thread, v = project("en")
    say(thread, "make shot 3 a lot darker")
    say(thread, "make shot 3 much darker")
    after = say(thread, "make it brighter")
    assert after["outcome"]["targets"] == [3] and after["outcome"].get("picked") == 3
    assert "Only shot 3" in after["reply"]


def test_amounts_accumulate_and_clamp(studio: Any) -> None:
    project, say = studio
    thread, v = project("zh")
    one = say(thread, "第二个镜头调亮一点")["script"]["shots"][1]["grade"]["brightness"]
    two = say(thread, "再亮一点")["script"]["shots"][1]["grade"]["brightness"]
    assert two > one > 0
    exact = say(thread, "第二个镜头亮度+20%")["script"]["shots"][1]["grade"]["brightness"]
    assert exact == pytest.approx(two + 0.1)
    clamped = say(thread, "第二个镜头亮度+300%")
    assert clamped["script"]["shots"][1]["grade"]["brightness"] == 0.5 and "合理范围" in clamped["reply"]


def test_long_session_versions_match_their_renders(studio: Any) -> None:
    project, say = studio
    thread, v = project("zh")
    seen = {v["version"]: v["render"]["clips"]}
    edits = [
        "第一个镜头调亮一点",
        "第二个镜头暖一点",
        "第三个镜头对比度高一点",
        "第四个镜头饱和度低一点",
        "第二个镜头再亮一点",
        "第一个镜头做成复古的",
        "第三个镜头调暗一点",
        "第四个镜头冷一点",
        "第一个镜头对比度低一点",
        "第二个镜头色彩鲜艳一点",
        "第三个镜头暖一点",
        "第四个镜头调亮一点",
        "第一个镜头冷一点",
        "第二个镜头对比度高一点",
        "第三个镜头饱和度高一点",
        "第四个镜头做成黑白的",
        "第一个镜头再亮一点",
        "第二个镜头调暗一点",
        "第三个镜头冷一点",
        "第四个镜头对比度高一点",
    ]
    for text in edits:
        previous = v["render"]["clips"]
        v = say(thread, text)
        changed = [i for i, (a, b) in enumerate(zip(previous, v["render"]["clips"], strict=True)) if a != b]
        assert len(changed) == 1 and v["render"]["rendered"] <= 1, (
            text
        )  # 0 when an identical clip was made before
        seen[v["version"]] = v["render"]["clips"]
    assert len(seen) == 21
    for _ in range(5):
        v = say(thread, "撤销")
        assert v["render"]["clips"] == seen[v["version"]]
    assert v["version"] == "v1.15"
    for _ in range(2):
        v = say(thread, "重做")
        assert v["render"]["clips"] == seen[v["version"]]
    assert v["version"] == "v1.17"
    v = say(thread, "回到v1.0版本")
    assert v["version"] == "v1.0" and v["render"]["clips"] == seen["v1.0"]
    cmp = say(thread, "对比一下v1.0和v1.20")
    diff = cmp["outcome"]["diff"]
    assert {c["to"] for c in diff["changed"]} == {1, 2, 3, 4}
    image = Path(cmp["outcome"]["image"]["path"])
    assert image.exists() and "对比图" in cmp["reply"]
