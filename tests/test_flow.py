"""The seed dialogue end to end through the compiled graph, in Chinese and English, with
versions read from the SQLite checkpointer."""

from __future__ import annotations

from typing import Any

import pytest

from graph import Context
from tests.helpers import Say, ffprobe, turn


def _streams(path: str) -> dict[str, Any]:
    info = ffprobe(path)
    return {s["codec_type"]: s for s in info["streams"]} | {"format": info["format"]}


@pytest.mark.slow
def test_seed_dialogue_zh(app: Any, say: Say) -> None:
    v = say("我想创建一个关于春天的30秒短视频，风格要温馨治愈")
    assert v["intent"]["intent"] == "create" and v["version"] == "v1.0"
    assert v["status"] == "awaiting_approval" and v.get("render") is None
    shots = v["script"]["shots"]
    assert len(shots) == 4 and sum(s["duration"] for s in shots) == pytest.approx(30)
    assert "剧本初稿完成" in v["reply"] and "继续" in v["reply"]

    v = say("第二幕的小女孩出现得太突然了，能加一个她远远走来的镜头吗？")
    assert v["intent"]["intent"] == "revise_script" and v["version"] == "v1.1"
    shots = v["script"]["shots"]
    assert len(shots) == 5 and sum(s["duration"] for s in shots) == pytest.approx(30)
    assert shots[2]["shot_type"] == "long" and "小女孩" in shots[2]["description"]
    assert v["review"]["delta"]["continuity"] > 0  # the revision closes the gap the seed names
    assert "连贯性 +" in v["reply"]

    v = say("继续")
    assert v["intent"]["intent"] == "generate" and v["status"] == "rendered"
    path = v["render"]["path"]
    s = _streams(path)
    assert abs(float(s["format"]["duration"]) - 30) <= 0.3
    assert (s["video"]["width"], s["video"]["height"]) == (1920, 1080)
    assert s["video"]["codec_name"] == "h264" and s["audio"]["codec_name"] == "aac"
    assert v["render"]["rendered"] + v["render"]["cached"] == 5
    assert v["review"]["problems"] == []
    v11_path = path

    v = say("第二个镜头调亮一点")
    assert v["version"] == "v1.2" and v["render"]["rendered"] == 1 and v["render"]["cached"] == 4
    assert v["script"]["shots"][1]["grade"]["brightness"] > 0
    assert v["render"]["path"] != v11_path

    v = say("撤销")
    assert v["version"] == "v1.1" and v["render"]["path"] == v11_path
    v = say("重做")
    assert v["version"] == "v1.2"
    v = say("回到v1.0版本")
    assert v["version"] == "v1.0" and len(v["script"]["shots"]) == 4 and v.get("render") is None
    v = say("有哪些版本？")
    rows = v["outcome"]["versions"]
    assert [r["version"] for r in rows] == ["v1.0", "v1.1", "v1.2"]
    assert [r["current"] for r in rows] == [True, False, False]
    v = say("对比一下v1.0和v1.1")
    diff = v["outcome"]["diff"]
    assert len(diff["added"]) == 1 and "小女孩" in diff["added"][0]["description"]
    assert "v1.0" in v["reply"] and "新增镜头3" in v["reply"]
    v = say("undo")
    assert v["version"] == "v1.2"  # undo of a restore returns to where the user was

    # a later edit gets a fresh label; nothing is overwritten
    v = say("整体色调暖一些")
    assert v["version"] == "v1.3"


@pytest.mark.slow
def test_seed_dialogue_en(say: Say) -> None:
    v = say("I want a 30 second video about spring in the park, warm and healing")
    assert v["version"] == "v1.0" and len(v["script"]["shots"]) == 4
    assert "First draft" in v["reply"]
    v = say("Add a shot of her walking in from afar before she reaches the bench")
    assert v["version"] == "v1.1" and len(v["script"]["shots"]) == 5
    assert "little girl" in v["script"]["shots"][2]["description"]
    assert sum(s["duration"] for s in v["script"]["shots"]) == pytest.approx(30)
    v = say("Looks good, render it")
    s = _streams(v["render"]["path"])
    assert abs(float(s["format"]["duration"]) - 30) <= 0.3 and "audio" in s
    assert "Video ready" in v["reply"]
    v = say("export as GIF")
    out = v["outcome"]
    assert out["format"] == "gif" and out["path"].endswith("-v1.1.gif")
    assert out["bytes"] < 10 * 1024 * 1024 and ffprobe(out["path"])["streams"]


def test_replay_from_a_checkpoint(app: Any, say: Say) -> None:
    say("我想创建一个关于春天的30秒短视频")
    say("Swap shots 2 and 3")
    config = {"configurable": {"thread_id": "t"}}
    history = list(app.get_state_history(config))
    # the checkpoint where the swap turn was about to be routed
    start = next(h for h in history if h.next == ("intent_router",) and h.values.get("version") == "v1.0")
    before = len(history)
    list(app.stream(None, start.config, context=app.test_context))
    now = app.get_state(config).values
    assert now["intent"]["intent"] == "revise_script" and now["version"] == "v1.1"
    assert now["script"]["shots"][1]["description"].startswith("小女孩")
    assert len(list(app.get_state_history(config))) > before  # a fork; old checkpoints remain


def test_threads_are_separate(app: Any) -> None:
    a = turn(app, "a", "我想创建一个关于春天的30秒短视频")
    b = turn(app, "b", "Make a 20 second video about a rainy night in Tokyo, moody and cinematic")
    assert a["script"]["title"] != b["script"]["title"]
    assert sum(s["duration"] for s in b["script"]["shots"]) == pytest.approx(20)
    assert b["language"] == "en" and "First draft" in b["reply"]


def test_a_render_under_load_is_made_smaller_and_says_so(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the render backlog at its threshold, a new render drops to the next lower
    resolution and 15 fps, the reply says so, and the project's settings stay as they were."""
    from tools import load

    monkeypatch.setenv("CINECHAT_DEGRADE_BACKLOG", "1")
    context = Context(data_dir=app.test_context.data_dir, use_llm=False, resolution="720p", fps=24)
    turn(app, "busy", "Make a 10 second video about a quiet winter town", context)
    with load.rendering():  # another user's shot is rendering in this process
        v = turn(app, "busy", "go ahead", context)
    assert v["status"] == "rendered" and (v["render"]["width"], v["render"]["height"]) == (640, 360)
    assert round(v["render"]["probe"]["fps"]) == 15
    assert "Busy right now" in v["reply"] and "360p" in v["reply"]
    assert v["settings"]["resolution"] == "720p" and v["settings"]["fps"] == 24
    calm = turn(app, "busy", "make shot 1 brighter", context)  # nothing else rendering: full quality
    assert (calm["render"]["width"], calm["render"]["height"]) == (1280, 720) and "Busy" not in calm["reply"]
