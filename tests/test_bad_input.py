"""Bad input gets a clear reply in the user's language and leaves the project as it was."""

from __future__ import annotations

import pytest

from tests.helpers import Say, project


def test_generate_without_script_changes_nothing(say: Say) -> None:
    v = say("继续生成")
    assert v["intent"]["slots"]["error"] == "no_script"
    assert "还没有剧本" in v["reply"] and not v.get("script") and not v.get("version")


def test_undo_with_nothing_to_undo(say: Say) -> None:
    before = say("Make a 20 second video about spring")
    v = say("undo")
    assert v["outcome"]["error"] == "nothing_to_undo"
    assert "nothing to undo" in v["reply"].lower(), v["reply"]
    assert project(v) == project(before) and v["version"] == "v1.0"


def test_undo_on_a_thread_without_versions(say: Say) -> None:
    v = say("undo")
    assert v["outcome"]["error"] == "no_versions"
    assert "no versions" in v["reply"].lower(), v["reply"]
    assert not v.get("version")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "消息是空的"),
        ("   ", "消息是空的"),
        ("长" * 5000, "太长"),
        ("把第9个镜头调亮一点", "没有镜头9"),
        ("delete shot 9", "no shot 9"),
        ("做一个3小时的视频", "时长需要在"),
        ("make it -5 seconds", "length must be"),
        ("调整时长到3小时", "时长需要在"),
        ("回到v7.3版本", "没有版本v7.3"),
        ("restore v7.3", "no version v7.3"),
        ("重做", "没有可以重做"),
        ("导出成GIF", "还没有生成视频"),
        ("嗯……", "不太确定"),
        ("加一个镜头", "什么样的镜头"),
        ("make shot 1 eighty seconds long", "must be between"),
        ("make shot -1 brighter", "no shot -1"),  # not every shot
        ("镜头-2调亮一点", "没有镜头-2"),
        ("make shot 0 brighter", "no shot 0"),
    ],
)
def test_bad_input_leaves_project_unchanged(say: Say, text: str, needle: str) -> None:
    before = say("我想创建一个关于春天的30秒短视频")
    v = say(text)
    assert needle.lower() in v["reply"].lower(), v["reply"]
    assert project(v) == project(before)


def test_language_of_reply_follows_message(say: Say) -> None:
    say("我想创建一个关于春天的30秒短视频")
    assert "There is no shot 9" in say("make shot 9 brighter")["reply"]
    assert "没有镜头9" in say("第9个镜头调亮一点")["reply"]


@pytest.mark.parametrize(
    ("text", "shot", "delta"),
    [
        ("make shot 1 longer by 1 second", 0, 1.0),
        ("shot 2 shorter by 2 seconds", 1, -2.0),
        ("把第三个镜头延长1秒", 2, 1.0),
        ("-1 second for shot 2", 1, -1.0),
    ],
)
def test_longer_by_adds_to_the_shot(say: Say, text: str, shot: int, delta: float) -> None:
    """'longer by 1 second' adds a second (it does not set the shot to 1 s); the total stays."""
    before = say("我想创建一个关于春天的30秒短视频")
    after = say(text)
    was = [s["duration"] for s in before["script"]["shots"]]
    now = [s["duration"] for s in after["script"]["shots"]]
    assert now[shot] == pytest.approx(was[shot] + delta, abs=0.05), (was, now)
    assert sum(now) == pytest.approx(sum(was))


@pytest.mark.parametrize(
    "text",
    ["背景音乐换成钢琴曲", "use a dissolve transition between all shots", "所有镜头之间用淡入淡出转场"],
)
def test_the_same_edit_twice_makes_no_second_version(say: Say, text: str) -> None:
    say("我想创建一个关于春天的30秒短视频")
    first = say(text)
    second = say(text)
    assert first["version"] == "v1.1" and second["version"] == "v1.1"
    assert project(second) == project(first)
    assert "没有新版本" in second["reply"] or "no new version" in second["reply"]
