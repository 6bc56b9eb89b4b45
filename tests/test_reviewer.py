"""The reviewer catches defects injected into real renders, the gate fixes what it can, and a
clean render reports nothing."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest

from graph import Context
from tests.fake_openai import FakeOpenAI
from tests.helpers import SEED, turn
from tools import analysis, llm
from tools.assets import AssetStore
from tools.ffmpeg import run_ffmpeg
from tools.music import read_wav, write_wav
from tools.review import DARK_LUMA, combine, review_media, score_script

SIZE = (1920, 1080)


def _reports(seed: dict[str, Any], v: dict[str, Any]) -> list[analysis.VideoReport]:
    store = AssetStore(seed["context"].data_dir)
    return [analysis.video_report(store.path("clips", p["key"], "mp4")) for p in v["plan"]]


def _codes(result: dict[str, Any]) -> set[tuple[str, Any]]:
    return {(p["code"], p["shot"]) for p in result["problems"]}


def test_clean_seed_render_has_no_problems(seed_project: dict[str, Any]) -> None:
    v = seed_project["rendered"]
    assert v["review"]["problems"] == []
    result = review_media(v["render"], v["plan"], v["script"], SIZE)  # whole-file path agrees
    assert result["problems"] == [], result["problems"]
    graph, ctx = seed_project["graph"], seed_project["context"]
    report = turn(graph, "seed", "评审一下", ctx)
    assert "质量报告" in report["reply"] and "LUFS" in report["reply"] and "未发现问题" in report["reply"]
    assert all("—" in row for row in report["reply"].splitlines() if row.startswith("- "))


def test_black_and_frozen_shots_are_caught(seed_project: dict[str, Any], tmp_path: Path) -> None:
    v = seed_project["rendered"]
    store = AssetStore(seed_project["context"].data_dir)
    clips = [store.path("clips", p["key"], "mp4") for p in v["plan"]]
    black, frozen = tmp_path / "black.mp4", tmp_path / "frozen.mp4"
    run_ffmpeg(["-i", str(clips[1]), "-vf", "drawbox=x=0:y=0:w=iw:h=ih:color=black:t=fill", str(black)])
    run_ffmpeg(
        [
            "-i",
            str(clips[2]),
            "-filter_complex",
            "[0:v]split[a][b];[a][b]freezeframes=first=12:last=150:replace=12",
            str(frozen),
        ]
    )
    reports = _reports(seed_project, v)
    reports[1], reports[2] = analysis.video_report(black), analysis.video_report(frozen)
    result = review_media(v["render"], v["plan"], v["script"], SIZE, combine(v["plan"], reports))
    codes = _codes(result)
    assert ("black", 2) in codes and ("frozen", 3) in codes
    frozen_said = [p for p in result["problems"] if p["code"] == "frozen" and p["shot"] == 3]
    assert len(reports[2].frozen) == 1 and len(frozen_said) == 1  # each span said once
    assert ("too_dark", 2) in codes  # a black shot is also measured as unreadably dark
    assert not any(shot in (1, 4) for _, shot in codes)


def test_a_frozen_shot_is_fixed_with_a_push_in(seed_project: dict[str, Any]) -> None:
    """The gate's fix for a shot that stands still: its camera becomes a slow push-in (a zoom
    changes every pixel), unless it already zooms, and motes drift through it (an almost empty
    frame barely changes under a zoom)."""
    from tools.gate import apply_fixes

    v = seed_project["rendered"]
    reports = _reports(seed_project, v)
    still = analysis.VideoReport(reports[2].frames, [], [(1.0, 3.0)])
    zooming = analysis.VideoReport(reports[0].frames, [], [(1.0, 2.0)])
    plan = copy.deepcopy(v["plan"])
    plan[0]["spec"]["camera"], plan[2]["spec"]["camera"] = "push_in", "pan"
    reports[0], reports[2] = zooming, still
    result = review_media(v["render"], plan, v["script"], SIZE, combine(plan, reports))
    frozen = {p["shot"]: p for p in result["problems"] if p["code"] == "frozen"}
    assert set(frozen) == {1, 3} and frozen[1]["fix"] == {"motes": True}  # it zooms already
    assert frozen[3]["fix"] == {"camera": "push_in", "motes": True}
    state = copy.deepcopy(dict(v))
    state["script"]["shots"][2]["camera"] = "pan"
    script, _, done = apply_fixes(state["script"], state["settings"], list(frozen.values()), {})
    assert script["shots"][2]["camera"] == "push_in" and state["script"]["shots"][2]["camera"] == "pan"
    assert script["shots"][0]["motes"] and script["shots"][2]["motes"]
    assert sorted((d["shot"], d["value"]) for d in done) == [(1, "motes"), (3, "motes"), (3, "push_in")]


def test_missing_narration_line_is_caught(seed_project: dict[str, Any], tmp_path: Path) -> None:
    v = seed_project["rendered"]
    stems = tmp_path / "stems"
    shutil.copytree(v["render"]["stems"], stems)
    voice = read_wav(stems / "voice.wav")
    line = v["render"]["narration"][1]
    voice[int(line["start"] * 48000) : int((line["start"] + line["duration"]) * 48000)] = 0
    write_wav(voice, stems / "voice.wav")
    render = {**v["render"], "stems": str(stems)}
    result = review_media(render, v["plan"], v["script"], SIZE, combine(v["plan"], _reports(seed_project, v)))
    assert _codes(result) == {("narration_missing", 2)}


def test_script_defects_are_scored(seed_project: dict[str, Any]) -> None:
    script = copy.deepcopy(seed_project["rendered"]["script"])
    clean = score_script(script, SEED)
    assert clean["script_problems"] == [] and clean["scores"]["duration_fit"]["score"] == 10
    script["shots"][-1]["duration"] -= 3  # 27 s of 30
    short = score_script(script, SEED)
    assert short["scores"]["duration_fit"]["score"] < 10
    assert [p["code"] for p in short["script_problems"]] == ["script_duration"]
    asked = score_script(seed_project["rendered"]["script"], "一个关于夕阳下小狗和鸽子的视频")
    assert sorted(asked["scores"]["coverage"]["missing"]) == sorted(
        ["夕阳", "小狗"]
    )  # 鸽子 is there, these are not
    assert asked["scores"]["coverage"]["score"] < 10
    assert {p["code"] for p in asked["script_problems"]} == {"missing_element"}


def test_gate_fixes_a_dark_shot_and_the_loudness(app: Any) -> None:
    turn(app, "gate", SEED)
    config = {"configurable": {"thread_id": "gate"}}
    values = app.get_state(config).values
    script, settings = copy.deepcopy(values["script"]), dict(values["settings"])
    script["shots"][2]["grade"] = {"brightness": -0.62}  # a shot graded far too dark
    settings["master_offset_db"] = -16.0  # a master that comes out near -30 LUFS
    app.update_state(config, {"script": script, "settings": settings})
    v = turn(app, "gate", "继续生成")
    fixed = {f["code"] for f in v["gate"]["fixed"]}
    assert {"too_dark", "loudness"} <= fixed and v["gate"]["round"] >= 1
    third = v["plan"][2]
    luma = analysis.signalstats(v["render"]["path"], third["start"] + 0.1, third["end"] - 0.1).luma
    assert luma >= DARK_LUMA
    level = analysis.loudness(v["render"]["path"])
    assert -15 <= level.integrated <= -13 and level.true_peak <= -1.0
    assert v["review"]["problems"] == []
    assert "自动修复" in v["reply"]


def test_overlong_narration_is_reported_with_a_suggestion(app: Any) -> None:
    turn(app, "long", SEED)
    config = {"configurable": {"thread_id": "long"}}
    script = copy.deepcopy(app.get_state(config).values["script"])
    script["shots"][0]["narration"] = "春天，从一滴露珠开始，清晨的阳光照在花瓣上，一切都慢慢醒来了。"
    app.update_state(config, {"script": script})
    v = turn(app, "long", "继续生成")
    assert any(f["code"] == "narration_overflow" for f in v["gate"]["fixed"])  # tried faster speech
    left = [p for p in v["review"]["problems"] if p["code"] == "narration_overflow"]
    assert left and left[0]["shot"] == 1
    first = v["plan"][0]
    line = v["render"]["narration"][0]
    assert line["start"] + line["duration"] <= first["end"]  # cut at its shot, never overlapping
    assert "把第1个镜头延长到" in v["reply"]


def test_review_intent_adds_an_llm_critique(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    turn(app, "crit", SEED)
    plain = turn(app, "crit", "评审一下")
    with FakeOpenAI("ok") as srv:
        monkeypatch.setenv("OPENAI_API_KEY", "k")
        monkeypatch.setenv("OPENAI_BASE_URL", srv.url)
        llm.reset()
        ctx = Context(data_dir=app.test_context.data_dir, use_llm=True, model="fake-model")
        v = turn(app, "crit", "评审一下", ctx)
    llm.reset()
    assert v["review"]["critique"] and "点评" in v["reply"]
    assert v["review"]["scores"] == plain["review"]["scores"]  # the numbers stay computed


def test_a_quiet_master_is_raised_unless_its_peaks_are_at_the_limit() -> None:
    from tools.analysis import Loudness
    from tools.review import _check_loudness

    quiet = _check_loudness(Loudness(integrated=-30.0, true_peak=-17.0, lra=5.0))
    assert quiet[0]["code"] == "loudness" and quiet[0]["fix"] == {"master_offset_db": 16.0}
    peaky = _check_loudness(Loudness(integrated=-16.9, true_peak=-1.2, lra=3.7))  # clicks, a lone drum
    assert peaky[0]["code"] == "loudness_peaky" and "fix" not in peaky[0]
    assert _check_loudness(Loudness(integrated=-14.2, true_peak=-1.5, lra=5.0)) == []
