"""No crash on any project: random projects made through the compiled graph in either language
(length 5-180 s, 1-8 shots, every mood, aspect and frame rate, transitions, grades, looks,
music on or off, narration on or off, sound effects, an uploaded picture or a sketch, the
user's own recording as the narration, a cut to a song's beat), rendered at the
360p draft size so that they run in CI, and held to the invariants of a finished video:

- no exception, and a reply;
- picture and sound within 50 ms of each other and of the script's length;
- loudness -14 ± 1 LUFS and a true peak at most -1 dBTP (when anything makes a sound);
- no black span; a frozen span only if the review tells the user about it;
- every subtitle cue inside the video.

`CINECHAT_PROPERTY_EXAMPLES` sets how many projects (8 in CI, with a fixed seed so that CI is
repeatable); `CINECHAT_PROPERTY_RANDOM=1` draws new ones each run."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph import Context, build_graph, open_checkpointer
from graph.state import turn_input, user_message
from tests.helpers import absolute_paths, ffprobe, on_disk
from tools import analysis, lexicon
from tools.narration import read_srt

EXAMPLES = int(os.environ.get("CINECHAT_PROPERTY_EXAMPLES", "8"))
TOPICS = {
    "zh": ["春天的公园", "雨夜的城市", "海边日落", "老灯塔和看守人", "厨房里做饺子", "冬天的小镇", "森林里的小鹿"],
    "en": ["a spring park", "a rainy city at night", "a sunset by the sea", "an old lighthouse keeper",
           "making dumplings in a kitchen", "a quiet winter town", "a deer in the forest"],
}  # fmt: skip
MOOD_WORDS = {
    "zh": {"warm": "温馨", "calm": "安静", "cheerful": "欢快", "sad": "伤感", "cinematic": "有电影感", "moody": "忧郁"},
    "en": {"warm": "warm", "calm": "calm", "cheerful": "cheerful", "sad": "sad", "cinematic": "cinematic", "moody": "moody"},
}  # fmt: skip
TRANSITIONS = {
    "zh": {"cut": "硬切", "fade": "淡入淡出", "dissolve": "溶解", "wipe": "擦除", "slide": "滑动"},
    "en": {"cut": "cut", "fade": "fade", "dissolve": "dissolve", "wipe": "wipe", "slide": "slide"},
}
EFFECT_WORDS = {
    "zh": {"rain": "雨声", "birdsong": "鸟叫声", "waves": "海浪声", "wind": "风声"},
    "en": {"rain": "rain", "birdsong": "birdsong", "waves": "waves", "wind": "wind"},
}


@st.composite
def projects(draw: Any) -> dict[str, Any]:
    """A random project: its first message and the edits that follow, in one language."""
    lang = draw(st.sampled_from(["zh", "en"]))
    seconds = draw(st.one_of(st.integers(5, 20), st.integers(21, 60), st.integers(61, 180)))
    fps = draw(st.sampled_from([12, 24, 30, 60] if seconds <= 30 else [12, 24, 30]))
    mood = draw(st.sampled_from(sorted(lexicon.load("music")["moods"])))
    topic = draw(st.sampled_from(TOPICS[lang]))
    word = MOOD_WORDS[lang][mood]
    first = (
        f"做一个关于{topic}的{seconds}秒视频，风格{word}"
        if lang == "zh"
        else f"Make a {seconds} second video about {topic}, {word}"
    )
    edits: list[str] = []
    zh = lang == "zh"
    for _ in range(draw(st.integers(0, 3))):  # shots added or taken away
        if draw(st.booleans()):
            thing = draw(
                st.sampled_from(
                    ["一只猫", "一艘小船", "一盏灯"] if zh else ["a cat", "a small boat", "a lamp"]
                )
            )
            edits.append(
                f"在第一个镜头后面加一个{thing}的镜头" if zh else f"add a shot of {thing} after shot 1"
            )
        else:
            edits.append("删掉最后一个镜头" if zh else "delete the last shot")
    transition = draw(st.sampled_from(sorted(TRANSITIONS[lang])))
    name = TRANSITIONS[lang][transition]
    edits.append(f"所有镜头之间用{name}转场" if zh else f"use a {name} transition between all shots")
    if draw(st.booleans()):
        edits.append(draw(st.sampled_from(
            ["所有镜头暖一点", "第一个镜头调亮一点", "第二个镜头调暗一点", "把第一个镜头调成黑白"]
            if zh else ["make every shot warmer", "make shot 1 brighter", "make shot 2 darker", "make shot 1 black and white"]
        )))  # fmt: skip
    music = draw(st.booleans())
    narration = draw(st.booleans())
    effect = draw(st.none() | st.sampled_from(sorted(EFFECT_WORDS[lang])))
    if not music:
        edits.append("不要背景音乐" if zh else "turn off the music")
    if not narration:
        edits.append("把旁白去掉，只留音乐" if zh else "no narration")
    if effect:
        edits.append(
            f"加上{EFFECT_WORDS[lang][effect]}" if zh else f"add the sound of {EFFECT_WORDS[lang][effect]}"
        )
    upload = draw(st.sampled_from([None, "picture", "sketch"]))
    recorded, beat = draw(st.booleans()), draw(st.booleans())
    return {
        "lang": lang,
        "first": first,
        "edits": edits,
        "aspect": draw(st.sampled_from(["16:9", "9:16", "1:1"])),
        "fps": fps,
        "upload": upload,
        "recorded": recorded,
        "beat": beat,
        "sound": music or narration or bool(effect) or recorded or beat,
    }


def chat(
    graph: Any, thread: str, text: str, context: Context, images: list[str] | None = None, **files: Any
) -> dict[str, Any]:
    config = {"configurable": {"thread_id": thread}}
    message = user_message(text, images=images, **files)
    graph.invoke(turn_input(graph.get_state(config), message), config, context=context)
    raw = dict(graph.get_state(config).values)
    assert absolute_paths(raw) == [], text  # store keys, never paths
    values = on_disk(raw, context.data_dir)
    assert values.get("reply"), text
    return values


@pytest.fixture(scope="module")
def workshop(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from PIL import Image, ImageDraw

    root = tmp_path_factory.mktemp("properties")
    picture = root / "upload.png"
    img = Image.new("RGB", (800, 600), (40, 90, 160))
    ImageDraw.Draw(img).ellipse([250, 150, 550, 450], fill=(240, 200, 60))
    img.save(picture)
    from tests.test_sketch import pencil_bird
    from tests.test_voiceover import recording
    from tools.beats import click_track

    click_track(root / "song.wav", 120, 30.0, start=0.2)
    voice, _ = recording(root / "voice.wav", [(0.4, "hello from the park"), (1.0, "this is my own voice")])
    return {
        "graph": build_graph(open_checkpointer(root / "p.sqlite")),
        "media": root / "media",
        "picture": picture,
        "sketch": pencil_bird(root / "sketch.jpg"),
        "voice": voice,
        "song": root / "song.wav",
    }


def check_video(values: dict[str, Any], sound: bool) -> None:
    render = values["render"]
    path = render["path"]
    total = sum(s["duration"] for s in values["script"]["shots"])
    info = ffprobe(path)
    streams = {s["codec_type"]: s for s in info["streams"]}
    video, audio = float(streams["video"]["duration"]), float(streams["audio"]["duration"])
    assert abs(video - audio) <= 0.05, (video, audio)
    assert abs(video - total) <= 0.05, (video, total)
    level = analysis.loudness(path)
    if sound:
        codes = {p["code"] for p in values["review"]["problems"]}
        # on target, or too peaky to raise without clipping, and the user is told so
        assert -15.0 <= level.integrated <= -13.0 or (level.integrated < -15 and "loudness_peaky" in codes), (
            level
        )
        assert level.true_peak <= -1.0, level
    assert analysis.black_frames(path, min_duration=0.5) == []
    # a frozen span left after the gate's two rounds of fixes (push-in, then drifting motes)
    # must at least be told: each one overlaps a 'frozen' problem in the review the user reads.
    # (Not yet "none at all": near-empty calm shots at 12 fps still freeze now and then.)
    told = [p.get("values") or {} for p in values["review"]["problems"] if p["code"] == "frozen"]
    for a, b in analysis.frozen_frames(path, min_duration=1.5):
        assert any(t.get("start", -1) < b and a < t.get("end", -1) for t in told), ((a, b), told)
    if render.get("srt") and Path(render["srt"]).exists():
        for start, end, _text in read_srt(Path(render["srt"])):
            assert 0 <= start < end <= video + 0.05, (start, end, video)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("CINECHAT_PROPERTY_RANDOM") != "1",
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(spec=projects())
def test_any_project_renders_to_a_sound_video(workshop: dict[str, Any], spec: dict[str, Any]) -> None:
    graph = workshop["graph"]
    thread = f"t{abs(hash(repr(spec)))}"
    context = Context(
        data_dir=str(workshop["media"]),
        use_llm=False,
        aspect=spec["aspect"],
        fps=spec["fps"],
        resolution="360p",
        language=spec["lang"],
    )
    values = chat(graph, thread, spec["first"], context)
    assert values.get("script"), (spec["first"], values.get("reply"))
    for text in spec["edits"]:
        values = chat(graph, thread, text, context)
    zh = spec["lang"] == "zh"
    if spec["upload"] == "picture":
        words = "第二个镜头用这张图片" if zh else "use this picture for shot 2"
        values = chat(graph, thread, words, context, images=[str(workshop["picture"])])
    elif spec["upload"] == "sketch":
        words = "第一个镜头用我画的这张草图" if zh else "use my drawing for shot 1"
        values = chat(graph, thread, words, context, sketches=[str(workshop["sketch"])])
    if spec["recorded"]:
        words = "用我的录音做旁白" if zh else "use my recording as the narration"
        values = chat(graph, thread, words, context, audio=[str(workshop["voice"])])
        assert values["settings"].get("voiceover"), values["reply"]
    if spec["beat"]:
        words = "用这首歌卡点" if zh else "cut to the beat of this song"
        values = chat(graph, thread, words, context, audio=[str(workshop["song"])])
    values = chat(graph, thread, "继续生成" if spec["lang"] == "zh" else "go ahead", context)
    assert values.get("status") == "rendered", values.get("reply")
    assert min(values["render"]["width"], values["render"]["height"]) == 360
    check_video(values, spec["sound"])
