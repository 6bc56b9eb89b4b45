"""The offline analyser against the acceptance file and phrasings beyond it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import get_args

import pytest

from graph.state import IntentName
from tools.intents import INTENTS, analyse
from tools.scripts import write_script
from tools.text import detect_language, parse_duration_seconds, parse_versions, zh_to_number

# The shared acceptance file beside the checkout wins; a copy in tests/data keeps the test
# running where the checkout stands alone.
SHARED = Path(__file__).resolve().parents[2] / "shared" / "acceptance" / "intents.jsonl"
ACCEPTANCE = SHARED if SHARED.exists() else Path(__file__).parent / "data" / "intents.jsonl"
SCRIPT = write_script("关于春天的30秒短视频", "zh", 30)


def _cases() -> list[dict[str, str]]:
    return [json.loads(line) for line in ACCEPTANCE.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_acceptance_file_every_intent() -> None:
    cases = _cases()
    wrong = []
    for case in cases:
        got = analyse(case["text"], None if case["intent"] == "create" else SCRIPT)
        if got.intent != case["intent"]:
            wrong.append((case["text"], case["intent"], got.intent))
    assert not wrong
    assert {c["intent"] for c in cases} <= set(INTENTS)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("帮我拍一段关于猫咪的vlog，20秒", "create"),
        ("Create a 45-second clip about a mountain hike, calm", "create"),
        ("把第三个镜头和第一个镜头交换一下", "revise_script"),
        ("delete the second shot", "revise_script"),
        ("insert a close-up of the bench after shot 2", "revise_script"),
        ("make it one minute", "set_duration"),
        ("第一个镜头缩短2秒", "set_duration"),
        ("go ahead", "generate"),
        ("好的，开始生成吧", "generate"),
        ("重新渲染", "generate"),  # again, e.g. after picking a model: the same project
        ("重新生成视频", "generate"),
        ("render it again", "generate"),
        ("regenerate the video", "generate"),
        ("make shot 2 brighter", "edit_visual"),
        ("the whole thing looks too dark", "edit_visual"),
        ("make it black and white", "edit_visual"),
        ("export as webm", "export"),
        ("use a male voice for the narration", "edit_audio"),
        ("音乐声音小一点", "edit_audio"),
        ("show me the versions", "history"),
        ("go back to v1.0", "restore"),
        ("compare v1.0 with v1.2", "compare"),
        ("rate this video", "review"),
        ("what can you do?", "help"),
        ("asdf qwer", "unclear"),
    ],
)
def test_phrasings_beyond_the_file(text: str, intent: str) -> None:
    assert analyse(text, SCRIPT).intent == intent if intent != "create" else analyse(text).intent == intent


def test_again_is_not_a_new_project() -> None:
    assert analyse("重新生成一个关于冬天的视频", SCRIPT).intent == "create"  # a new topic
    assert analyse("重新生成视频").intent == "create"  # nothing to render again yet
    assert analyse("重新渲染第二个镜头，调亮一点", SCRIPT).intent == "edit_visual"


def test_slots_shots_amounts_versions() -> None:
    a = analyse("第二个镜头调亮一点", SCRIPT)
    assert a.slots["shots"] == [2] and a.slots["operation"] == "brightness"
    assert 0 < a.slots["amount"] < analyse("第二个镜头调亮很多", SCRIPT).slots["amount"]
    assert analyse("亮度+20%", SCRIPT).slots["amount"] == pytest.approx(0.2)
    assert analyse("make shot 2 darker", SCRIPT).slots["amount"] < 0
    assert analyse("对比一下v1.0和v1.1", SCRIPT).slots["versions"] == ["v1.0", "v1.1"]
    assert analyse("Swap shots 2 and 3", SCRIPT).slots["shots"] == [2, 3]
    assert analyse("把最后一个镜头删掉", SCRIPT).slots["shots"] == [len(SCRIPT["shots"])]
    assert analyse("The aerial shot is too fast, slow it down", SCRIPT).slots["shots"] == [4]
    assert analyse("嗯……").intent == "unclear"  # a trained class now, with its own probability


def test_text_helpers() -> None:
    assert detect_language("继续") == "zh" and detect_language("undo") == "en"
    assert parse_duration_seconds("做一个3小时的视频") == 10800
    assert parse_duration_seconds("一分半") == 90
    assert parse_duration_seconds("forty-five seconds") == 45
    assert zh_to_number("一百二十") == 120
    assert parse_versions("回到v1.0版本") == ["v1.0"]
    assert parse_versions("shot 2 at 30%") == []


def test_llm_schema_and_offline_analyser_share_the_taxonomy() -> None:
    assert set(get_args(IntentName)) == set(INTENTS)


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("音量调低一点", -1),
        ("背景音乐调低一点", -1),
        ("背景音乐音量调低一点", -1),
        ("音乐音量-20%", -1),
        ("把音乐音量降低20%", -1),
        ("背景音乐调高一点", 1),
        ("音量+20%", 1),
        ("music volume down a bit", -1),
        ("turn the music up", 1),
    ],
)
def test_volume_follows_the_direction_said(text: str, sign: int) -> None:
    """'调低' once made the music louder: the amount's sign is the direction the words say."""
    script = {
        "shots": [{"id": f"s{i}", "description": "x", "duration": 3, "shot_type": "wide"} for i in range(3)]
    }
    a = analyse(text, script)
    assert a.slots["operation"] == "volume", a.slots
    assert a.slots["amount"] * sign > 0, a.slots


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("use this in shot three", [3]),
        ("make scene two brighter", [2]),
        ("结尾那个镜头 用我这张", [4]),
        ("a shot five seconds long", []),
    ],
)
def test_shots_named_in_words(text: str, want: list[int]) -> None:
    from tools.intents import referenced_shots

    script = {"shots": [{"shot_type": "wide", "description": f"shot {i}"} for i in range(4)]}
    assert referenced_shots(text, script) == want
