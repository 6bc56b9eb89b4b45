"""Understanding what people say: the trained router on the messages the last round got
wrong (each checked on its intent and its slots), the models current with the corpus, the
direction of graded edits, lengths said every way, and asking instead of acting on a weak
reading of anything expensive."""

from __future__ import annotations

from typing import Any

import pytest

import graph  # noqa: F401  (the graph package first: nodes import it)
from bench.eval import project
from graph.context import Context
from nodes.intent_router import decide
from tools import classifier
from tools.intents import analyse, direction
from tools.lexicon import mood_label
from tools.text import parse_duration_seconds
from tools.train_intents import stale

ASK = "clarify"  # the router asks (the two best readings as buttons, or what is meant) instead of acting

QUOTED: list[tuple[str, str, str, dict[str, Any]]] = [
    (
        "A sad little story about an old lighthouse keeper, around 40 seconds",
        "empty",
        "create",
        {"duration": 40},
    ),
    ("想要一段猫咪在窗台晒太阳的视频，十秒左右就行", "empty", "create", {"duration": 10}),
    (
        "new project: a kid learning to ride a bike, heartwarming, 25 seconds",
        "rendered",
        "create",
        {"duration": 25},
    ),
    ("the history of coffee", "empty", "create", {}),
    ("做一个关于旧房重做的视频", "empty", "create", {}),
    ("做一个对比之前和现在城市变化的视频", "empty", "create", {}),
    ("I need a 10s teaser for my bakery's grand opening", "empty", "create", {"duration": 10}),
    ("go back", "rendered", "undo", {}),
    ("Make it more exciting", "rendered", "revise_script", {"operation": "tone", "style": "epic"}),
    ("make it funnier", "rendered", "revise_script", {"operation": "tone", "style": "funny"}),
    ("make it about autumn instead", "rendered", ASK, {}),  # a new project or this one? asked
    ("Make it fit a phone screen", "rendered", "edit_visual", {"operation": "aspect", "aspect": "9:16"}),
    ("开始的镜头太长了", "rendered", "set_duration", {"shots": [1]}),
    ("go back to version 1.0", "rendered", "restore", {"versions": ["v1.0"]}),
    ("把旁白去掉，只留音乐", "rendered", "edit_audio", {"operation": "narration", "text": ""}),
    ("use a woman's voice", "rendered", "edit_audio", {"voice": "female"}),
    ("use a man's voice", "rendered", "edit_audio", {"voice": "male"}),
    ("恢复刚才撤销的操作", "rendered", "redo", {}),
    ("Oops, go back, I didn't want that change", "rendered", "undo", {}),
    ("刚才那个改动不要了", "rendered", "undo", {}),
    ("revert the last change", "rendered", "undo", {}),
    ("Actually, put that change back", "rendered", "redo", {}),
    ("Take me back to version 1.2", "rendered", "restore", {"versions": ["v1.2"]}),
    ("用回1.2那个版本", "rendered", "restore", {"versions": ["v1.2"]}),
    ("我还是喜欢第一版，换回去", "rendered", "restore", {}),
    ("What changed between 1.0 and 1.1?", "rendered", "compare", {"versions": ["v1.0", "v1.1"]}),
    ("What do you think of it so far?", "rendered", "review", {}),
    ("帮我检查一下这个片子有没有什么问题", "rendered", "review", {}),
    ("给剧本打个分", "script", "review", {}),
    ("这个工具怎么玩？", "rendered", "help", {}),
    ("没问题，做吧", "script", "generate", {}),
    ("Perfect, let's see it", "script", "generate", {}),
    ("好，就这样，开始生成视频吧", "script", "generate", {}),
    ("Get rid of the third shot", "script", "revise_script", {"operation": "delete", "shots": [3]}),
    ("把第二个和第三个镜头换个位置", "script", "revise_script", {"operation": "swap", "shots": [2, 3]}),
    (
        "Shot 1 feels a bit cold and blue",
        "rendered",
        "edit_visual",
        {"operation": "temperature", "sign": 1, "shots": [1]},
    ),
    ("背景音乐音量调低一点", "rendered", "edit_audio", {"operation": "volume", "sign": -1}),
    ("背景音乐音量调高一点", "rendered", "edit_audio", {"operation": "volume", "sign": 1}),
    ("风格再温暖一点，不要太冷冰冰", "rendered", "edit_visual", {"operation": "temperature", "sign": 1}),
    (
        "change shot 1 to a bright red umbrella in the rain",
        "rendered",
        "revise_script",
        {"operation": "rewrite", "shots": [1]},
    ),
    (
        "把最后一个镜头的内容改成：一个亮着暖黄灯光的家",
        "rendered",
        "revise_script",
        {"operation": "rewrite", "shots": [4]},
    ),
    (
        "在第一个镜头后面加一个小狗跑过来的镜头",
        "script",
        "revise_script",
        {"operation": "insert", "shots": [1]},
    ),
    ("把第三个镜头移到第二个", "script", "revise_script", {"operation": "move"}),
    ("move shot 3 to position 2", "script", "revise_script", {"operation": "move"}),
    ("不要旁白", "rendered", "edit_audio", {"operation": "narration", "text": ""}),
    ("所有镜头都不要旁白", "rendered", "edit_audio", {"operation": "narration", "text": ""}),
    (
        "remove the narration from every shot",
        "rendered",
        "edit_audio",
        {"operation": "narration", "text": ""},
    ),
    ("导出成竖屏视频发抖音", "rendered", "export", {}),
    ("undo the last two changes", "rendered", "undo", {}),
    ("把时长改成1分30秒", "script", "set_duration", {"duration": 90}),
    ("one and a half minutes", "script", "set_duration", {"duration": 90}),
    ("a hundred and twenty seconds", "script", "set_duration", {"duration": 120}),
    ("make it a minute and a half", "script", "set_duration", {"duration": 90}),
    ("make it 90s", "script", "set_duration", {"duration": 90}),
    ("第三个镜头改成小狗在草地上打滚", "script", "revise_script", {"operation": "rewrite", "shots": [3]}),
]


@pytest.mark.parametrize(("text", "state", "want", "slots"), QUOTED, ids=[q[0][:40] for q in QUOTED])
def test_the_messages_the_last_round_got_wrong(
    text: str, state: str, want: str, slots: dict[str, Any]
) -> None:
    analysis, _ = decide(text, project(state), Context(use_llm=False))  # type: ignore[arg-type]
    got = ASK if analysis.slots.get("clarify") or analysis.intent == "unclear" else analysis.intent
    assert got == want, (analysis.intent, round(analysis.confidence, 2), analysis.slots)
    for name, value in slots.items():
        if name == "sign":
            assert (analysis.slots["amount"] > 0) == (value > 0), analysis.slots
        else:
            assert analysis.slots.get(name) == value, (name, analysis.slots)


def test_the_shipped_models_are_trained_on_the_current_corpus() -> None:
    assert stale() == [], "run `make train` after changing tools/data/corpus"
    model = classifier.load("intent")
    assert model.corpus_hash == classifier.corpus_hash() and len(model.classes) == 15


def test_an_expensive_reading_that_is_weak_is_asked_not_acted_on() -> None:
    for text, state in [("make it pop", "script"), ("go for something else", "rendered")]:
        analysis, _ = decide(text, project(state), Context(use_llm=False))  # type: ignore[arg-type]
        assert analysis.intent not in ("generate", "create", "restore"), (text, analysis)


def test_a_question_offers_the_two_readings_as_exact_commands() -> None:
    from tools.replies import reading_choices

    buttons = reading_choices(["generate", "revise_script"], "make it pop", "en")
    assert [b["send"] for b in buttons] == ["/generate make it pop", "/revise_script make it pop"]
    shown = analyse("/generate make it pop", {"shots": [{"shot_type": "wide", "description": "x"}]}, "script")
    assert shown.intent == "generate" and shown.confidence == 1.0


@pytest.mark.parametrize(
    ("op", "text", "way"),
    [
        ("brightness", "make shot 2 darker", -1),
        ("brightness", "第二幕太暗了", 1),
        ("brightness", "有点暗", 1),
        ("brightness", "暗一点", -1),
        ("brightness", "not bright enough", 1),
        ("temperature", "最后一个镜头发蓝，给它暖一点", 1),
        ("temperature", "cooler please", -1),
        ("volume", "music too loud", -1),
        ("volume", "can't hear the voiceover", 1),
        ("volume", "音乐太吵了", -1),
        ("volume", "小声点", -1),
        ("speed", "this plays in slow motion for no reason", 1),
        ("speed", "太快了", -1),
        ("saturation", "too washed out", 1),
    ],
)
def test_graded_edits_go_the_way_the_words_say(op: str, text: str, way: int) -> None:
    assert direction(op, text) == way


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("把时长改成1分30秒", 90),
        ("一分半", 90),
        ("十秒左右", 10),
        ("二十秒左右", 20),
        ("一分钟十五秒", 75),
        ("1:30", 90),
        ("90s", 90),
        ("half a minute", 30),
        ("a minute", 60),
        ("one hundred twenty seconds", 120),
        ("two and a half minutes", 150),
        ("20-30秒", 25),
        ("9:16", None),
        ("-5 seconds", -5),
    ],
)
def test_lengths_said_every_way(text: str, seconds: float | None) -> None:
    assert parse_duration_seconds(text) == seconds


def test_a_format_asked_for_at_creation_is_the_projects(say: Any) -> None:
    v = say("I need a 15 second TikTok ad for our new running shoes, energetic")
    assert v["intent"]["intent"] == "create" and v["settings"]["aspect"] == "9:16"
    assert "9:16" in v["reply"]
    w = say("再做一个关于秋天落叶的20秒视频，发B站用")
    assert w["version"] == "v2.0" and w["settings"]["aspect"] == "16:9" and "16:9" in w["reply"]


def test_undo_the_last_two_changes_goes_two_steps_back(say: Any) -> None:
    say("Make a 20 second video about a lighthouse keeper")
    say("make it 30 seconds")
    say("make it 40 seconds")
    v = say("undo the last two changes")
    assert v["version"] == "v1.0" and sum(s["duration"] for s in v["script"]["shots"]) == 20
    assert v["redo_stack"] == ["v1.2", "v1.1"]
    w = say("redo")
    assert w["version"] == "v1.1"


def test_a_second_request_in_one_message_is_said_not_dropped(say: Any) -> None:
    before = say("Make a 20 second video about a lighthouse keeper")
    v = say("delete the last shot and add subtitles")
    assert v["version"] == "v1.1" and len(v["script"]["shots"]) == len(before["script"]["shots"]) - 1
    assert any(n.startswith("note:second_request") for n in v["notes"]), v["notes"]
    assert "add subtitles" in v["reply"]


def test_follow_ups_read_against_the_turn_before(say: Any) -> None:
    made = say("Make a 20 second video about a lighthouse keeper")
    assert len(made["script"]["shots"]) >= 3
    first = say("make shot 1 brighter")
    assert first["intent"]["slots"]["shots"] == [1]
    again = say("do the same for shot 3")
    assert again["intent"]["intent"] == "edit_visual" and again["intent"]["slots"]["shots"] == [3]
    assert (
        again["script"]["shots"][2]["grade"]["brightness"]
        == first["script"]["shots"][0]["grade"]["brightness"]
    )
    more = say("再来一点")
    assert (
        more["script"]["shots"][2]["grade"]["brightness"] > again["script"]["shots"][2]["grade"]["brightness"]
    )
    less = say("less")
    assert (
        less["script"]["shots"][2]["grade"]["brightness"] < more["script"]["shots"][2]["grade"]["brightness"]
    )
    length = say("第二个镜头改成4秒")
    assert length["script"]["shots"][1]["duration"] == 4
    shorter = say("make it shorter")  # right after talking about shot 2: shot 2
    assert shorter["intent"]["slots"]["shots"] == [2]
    assert shorter["script"]["shots"][1]["duration"] == 3
    assert sum(s["duration"] for s in shorter["script"]["shots"]) == 20  # the total holds


@pytest.mark.parametrize(
    ("create", "edit", "other"),
    [
        ("做一个关于春天的20秒视频", "第二个镜头调亮一点", "不是这个，是第三个镜头"),
        ("Make a 20 second video about a lighthouse keeper", "make shot 2 brighter", "not that one, shot 3"),
    ],
)
def test_not_that_one_moves_the_last_edit_to_the_shot_meant(
    say: Any, create: str, edit: str, other: str
) -> None:
    """'Not that one': the last edit is undone and made on the shot meant; the history keeps
    both; when the shot meant cannot be told, it is asked and nothing changes."""
    start = say(create)
    wrong = say(edit)
    assert wrong["script"]["shots"][1]["grade"]["brightness"] > 0
    right = say(other)
    shots = right["script"]["shots"]
    assert shots[1]["grade"]["brightness"] == start["script"]["shots"][1]["grade"]["brightness"]
    assert shots[2]["grade"]["brightness"] == wrong["script"]["shots"][1]["grade"]["brightness"]
    assert right["version"] == "v1.2" and right["version_index"]["v1.2"]["parent"] == "v1.0"
    assert ("v1.1" in right["reply"]) and ("3" in right["reply"])
    asked = say("the other one" if create[0] == "M" else "另一个")  # three shots: which other?
    assert asked["intent"]["slots"].get("error") == "which_other_shot", asked["intent"]
    assert asked["script"] == right["script"] and asked["version"] == right["version"]


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("the music is kinda overpowering the voice", "music"),
        ("can't hear the voiceover", "narration"),
        ("旁白声音太小了", "narration"),
        ("背景音乐太吵了", "music"),
    ],
)
def test_whose_volume_and_which_way(text: str, target: str) -> None:
    analysis, _ = decide(text, project("rendered"), Context(use_llm=False))  # type: ignore[arg-type]
    assert analysis.slots["operation"] == "volume" and analysis.slots["target"] == target, analysis.slots
    louder = target == "narration"  # each complaint asks for the narration to be heard
    assert (analysis.slots["amount"] > 0) == louder


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("the third scene is too short, give it two more seconds", 2.0),
        ("第二个镜头再加2秒", 2.0),
        ("shot 1: 3 seconds shorter", -3.0),
        ("第一个镜头短一秒", -1.0),
    ],
)
def test_a_length_changed_by_so_many_seconds(text: str, delta: float) -> None:
    analysis, _ = decide(text, project("script"), Context(use_llm=False))  # type: ignore[arg-type]
    assert analysis.intent == "set_duration" and analysis.slots.get("delta") == delta, analysis.slots


@pytest.mark.parametrize(
    ("create", "tone", "style"),
    [
        ("做一个关于老灯塔看守人的20秒视频", "更伤感一点", "sad"),
        ("a robot learning to paint, 20 seconds", "make it funnier", "funny"),
    ],
)
def test_a_change_of_tone_changes_the_style_not_the_shots(
    say: Any, create: str, tone: str, style: str
) -> None:
    first = say(create)
    v = say(tone)
    assert v["intent"]["slots"]["operation"] == "tone" and v["version"] == "v1.1"
    assert v["script"]["mood"] == style and v["settings"]["music"] == style
    assert [s["description"] for s in v["script"]["shots"]] == [
        s["description"] for s in first["script"]["shots"]
    ]
    assert v["script"]["shots"][-1]["narration"] != first["script"]["shots"][-1]["narration"]
    assert mood_label(style, "zh" if create[0] == "做" else "en") in v["reply"]


def test_another_topic_while_a_project_exists_is_asked(say: Any) -> None:
    """'Make it about autumn instead' could mean a new project or this one changed: asked, and
    nothing changes; said outright ('new project: …') it is a new project."""
    first = say("做一个关于春天的20秒视频")
    asked = say("make it about autumn instead")
    assert asked["intent"]["slots"].get("clarify") and asked["intent"]["slots"]["readings"][:2] == [
        "create",
        "revise_script",
    ]
    assert asked["version"] == first["version"] and asked["script"] == first["script"]
    new = say("new project: a kid learning to ride a bike, 25 seconds")
    assert new["version"] == "v2.0"


def test_a_tone_the_project_already_has_is_said_and_changes_nothing(say: Any) -> None:
    first = say("做一个关于老灯塔看守人的20秒视频")  # no style asked: warm
    v = say("更煽情一点")  # warm again
    assert v["intent"]["slots"]["operation"] == "tone" and "已经是" in v["reply"]
    assert v["version"] == first["version"] and v["script"] == first["script"]
