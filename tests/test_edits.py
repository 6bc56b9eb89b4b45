"""The registry of edit operations on random projects (pure functions, no renders): every
operation leaves its inputs alone, keeps the total length and every bounded value within its
bounds, touches only the shots it reports and moves its value the way it was asked; the LLM
decision schema and the help are made from the same registry."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.state import IntentDecision
from tools import catalog
from tools.edits import (
    LEVELS,
    OPERATIONS,
    Param,
    decision_params,
    describe,
    help_lines,
    level_text,
    op_name,
    operation_for,
)
from tools.effects import EFFECTS
from tools.errors import RequestError
from tools.project import Script, Settings
from tools.renderer import TRANSITIONS

DESCRIPTIONS = ("birds singing in the park", "rain on the window", "a quiet room", "waves on the beach")


def _grid(low: float, high: float, places: int) -> st.SearchStrategy[float]:
    """Values on the grid the project stores them at (the editor rounds to it)."""
    scale = 10**places
    return st.integers(round(low * scale), round(high * scale)).map(lambda n: n / scale)


def _level(key: str, places: int) -> st.SearchStrategy[float]:
    return _grid(LEVELS[key].low, LEVELS[key].high, places)


@st.composite
def shots(draw: st.DrawFn, index: int) -> dict[str, Any]:
    shot: dict[str, Any] = {
        "id": f"s{index}",
        "shot_type": draw(st.sampled_from(("wide", "medium", "close-up", "aerial"))),
        "description": draw(st.sampled_from(DESCRIPTIONS)),
        "narration": draw(st.text(max_size=12)),
        "duration": draw(st.integers(10, 120)) / 10,
        "grade": {
            name: draw(_level(f"grade.{name}", 3))
            for name in ("brightness", "contrast", "saturation", "temperature")
        },
    }
    if draw(st.booleans()):
        shot["speed"] = draw(_level("speed", 3))
    if draw(st.booleans()):
        shot["effects"] = draw(st.lists(st.sampled_from(EFFECTS), unique=True, max_size=3))
    if draw(st.booleans()):
        shot["overlays"] = [{"text": "hi", "kind": "text", "position": "top", "start": 0.0, "end": 1.0}]
    return shot


@st.composite
def projects(draw: st.DrawFn) -> tuple[Script, Settings]:
    count = draw(st.integers(1, 8))
    script: Script = {"title": "t", "shots": [draw(shots(i)) for i in range(count)]}
    script["duration"] = round(sum(s["duration"] for s in script["shots"]), 1)
    project_settings: Settings = {
        "aspect": draw(st.sampled_from(("16:9", "9:16", "1:1"))),
        "resolution": draw(st.sampled_from(("720p", "1080p"))),
        "fps": draw(st.integers(12, 60)),
        "voice": draw(st.sampled_from(("female", "male"))),
        "voice_rate": draw(_level("voice_rate", 2)),
        "music": draw(st.sampled_from(("warm", "calm", "off", "upload"))),
        "music_tempo": draw(_level("music_tempo", 2)),
        "music_gain_db": draw(_level("music_gain_db", 1)),
        "captions": draw(st.booleans()),
        "caption_scale": draw(_level("caption_scale", 2)),
        "transition": draw(st.sampled_from(TRANSITIONS)),
        "effects": draw(st.sampled_from(("auto", "off"))),
    }
    return script, project_settings


def _value(param: Param, count: int) -> st.SearchStrategy[Any]:
    """Values of a parameter within what it declares."""
    if param.type == "shots":
        return st.lists(st.integers(1, count), unique=True, max_size=3)
    if param.type in ("number", "integer"):
        low, high = (
            param.low if param.low is not None else -10.0,
            param.high if param.high is not None else 10.0,
        )
        return st.integers(int(low), int(high)) if param.type == "integer" else st.floats(low, high)
    if param.type == "choice":
        return st.sampled_from(param.choices)
    if param.type == "choices":
        return st.lists(st.sampled_from(param.choices), unique=True, max_size=3)
    if param.type == "flag":
        return st.booleans()
    if param.type == "file":
        return st.just({"key": "k", "path": "/store/k.bin"})
    if param.type == "analysis" and param.name == "heard":  # words heard in a recording, with times
        word = st.fixed_dictionaries({"word": st.text(min_size=1, max_size=8), "start": st.floats(0, 30)})
        return st.lists(word.map(lambda w: {**w, "end": w["start"] + 0.3}), max_size=5)
    if param.type == "analysis":  # a measured beat grid: steady beats from an offset, every 4th strong
        return st.builds(_beat_grid, st.floats(60, 180), st.floats(0, 1))
    return st.text(min_size=1, max_size=20)


def _beat_grid(bpm: float, offset: float) -> dict[str, Any]:
    beats = [offset + i * 60 / bpm for i in range(int(200 * bpm / 60))]
    return {"tempo": bpm, "beats": beats, "downbeats": beats[::4]}


@st.composite
def params_for(draw: st.DrawFn, name: str, count: int) -> dict[str, Any]:
    """Random parameters of one operation, each present or not."""
    chosen = {}
    for param in OPERATIONS[name].params:
        if draw(st.integers(0, 3)):  # present three times in four
            chosen[param.name] = draw(_value(param, count))
    return chosen


def _changed_shots(before: Script, after: Script) -> set[int]:
    return {i + 1 for i, (a, b) in enumerate(zip(before["shots"], after["shots"], strict=True)) if a != b}


@pytest.mark.parametrize("name", sorted(OPERATIONS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_operation_keeps_the_project_sound(name: str, data: st.DataObject) -> None:
    op = OPERATIONS[name]
    script, project_settings = data.draw(projects())
    params = data.draw(params_for(name, len(script["shots"])))
    kept = copy.deepcopy((script, project_settings, params))
    try:
        result = op.apply(script, project_settings, params)
    except RequestError:
        assert (script, project_settings, params) == kept  # a refused edit changes nothing
        return
    assert (script, project_settings, params) == kept  # the inputs are never changed
    new = result.script
    assert len(new["shots"]) == len(script["shots"])
    assert sum(s["duration"] for s in new["shots"]) == pytest.approx(
        sum(s["duration"] for s in script["shots"])
    )
    for level in LEVELS.values():
        assert all(level.low <= v <= level.high for v in level.read(new, result.settings)), level.key
    assert _changed_shots(script, new) <= set(result.touched)
    assert set(result.touched) <= set(range(1, len(new["shots"]) + 1))
    direction = op.direction(params)
    if op.level is not None and direction:
        edge = op.level.high if direction > 0 else op.level.low
        old, now = op.level.read(script, project_settings), op.level.read(new, result.settings)
        for a, b in zip(old, now, strict=True):
            assert (b - a) * direction >= 0 or b == edge, (a, b)
    _check_description(name, script, project_settings, result, params)


WAY_WORDS = {
    lang: {
        key.removeprefix("ops.way_"): catalog.text(lang, key)
        for key in catalog.keys(lang, "ops")
        if key.startswith("ops.way_")
    }
    for lang in ("zh", "en")
}


def _check_description(
    name: str, script: Script, before: Settings, result: Any, params: dict[str, Any]
) -> None:
    """The reply's words for an edit say the way the project's value actually moved and its new
    value, read from the project; a Chinese reply holds no English word of the registry."""
    op = OPERATIONS[name]
    for lang in ("zh", "en"):
        text = describe(name, result.detail, params, lang)
        if lang == "zh":
            words = re.sub(r"“[^”]*”", "", text).replace("fps", "")  # the user's own words are theirs
            assert not re.search(r"[a-z]{3,}", words), text
        if op.level is None:
            continue
        old, now = op.level.read(script, before), op.level.read(result.script, result.settings)
        if op.level.per_shot:
            shots = [n - 1 for n in result.detail.get("targets") or []] or range(len(old))
            old, now = [old[i] for i in shots], [now[i] for i in shots]
        moved = sum(now) - sum(old)
        key = op.level.key.removeprefix("grade.")
        if abs(moved) > 1e-9:
            way = WAY_WORDS[lang][f"{key}_{'up' if moved > 0 else 'down'}"]
            assert way in text and level_text(now, op.level.unit) in text, (text, old, now)
            assert WAY_WORDS[lang][f"{key}_{'down' if moved > 0 else 'up'}"] not in text, text


@pytest.mark.parametrize(
    ("params", "gain"),
    [
        ({"amount": -0.25}, -17.0),
        ({"amount": -0.25, "target": "music"}, -17.0),
        ({"amount": 0.25, "target": "narration"}, -17.0),
        ({"amount": 0.25}, -7.0),
        ({"amount": -3.0}, -30.0),
    ],
)
def test_volume_down_lowers_the_music(params: dict[str, Any], gain: float) -> None:
    """'调低' / 'quieter' (a negative amount) lowers the music bed; so does a louder narration."""
    result = OPERATIONS["volume"].apply({"shots": []}, {"music_gain_db": -12.0}, params)
    assert result.settings["music_gain_db"] == gain
    assert result.clamped == (gain == -30.0)


def test_speed_retimes_the_other_shots() -> None:
    script: Script = {"shots": [{"id": f"s{i}", "duration": 5.0, "description": ""} for i in range(4)]}
    result = OPERATIONS["speed"].apply(script, {}, {"shots": [4], "amount": -0.2})
    new = [s["duration"] for s in result.script["shots"]]
    assert result.script["shots"][3]["speed"] == 0.8 and new[3] > 5 and sum(new) == pytest.approx(20)
    assert result.detail["moved"] and result.touched == [1, 2, 3, 4]


def test_schema_is_made_from_the_registry() -> None:
    schema = IntentDecision.model_json_schema()
    props = schema["properties"]
    assert props["operation"]["anyOf"][0]["enum"] == list(OPERATIONS)
    for name, param in decision_params().items():
        kinds = props[name]["anyOf"][0]
        if param.low is not None:
            assert kinds["minimum"] == param.low and kinds["maximum"] == param.high, name
        if param.type == "choice":
            assert kinds["enum"] == list(param.choices), name
    assert IntentDecision(intent="edit_audio", confidence=0.9, operation="volume", amount=-0.3)
    for bad in ({"operation": "explode"}, {"operation": "volume", "amount": 5.0}, {"look": "neon"}):
        with pytest.raises(ValueError):
            IntentDecision(intent="edit_visual", confidence=0.9, **bad)


def test_at_least_twenty_operations_named_in_both_languages() -> None:
    assert len(OPERATIONS) >= 20
    for lang in catalog.LANGUAGES:
        assert all(catalog.has(lang, f"ops.{name}") for name in OPERATIONS)
        lines = "\n".join(help_lines(lang))
        assert all(op_name(name, lang) in lines for name in OPERATIONS)


def test_router_slots_name_registry_operations() -> None:
    assert operation_for({"operation": "narration", "voice": "male"}) == "voice"
    assert operation_for({"operation": "narration", "text": "hi", "shots": [2]}) == "narration"
    assert operation_for({"operation": "subtitles", "scale": 1.25}) == "subtitle_size"
    assert operation_for({"operation": "subtitles", "enabled": False}) == "subtitles"
    assert operation_for({"operation": "title", "kind": "text", "text": "March"}) == "overlay"
    assert operation_for({"operation": "title", "kind": "title", "text": "Spring"}) == "title"
    assert operation_for({"operation": "title", "remove": True}) == "title"


def test_version_notes_say_the_change_in_words() -> None:
    detail = {
        "targets": [2],
        "all": False,
        "change": {"key": "brightness", "unit": "", "before": [0.0], "after": [0.08]},
    }
    assert describe("brightness", detail, {"amount": 0.08}, "zh") == "亮度调亮：镜头2 +0.00 → +0.08"
    assert (
        describe("brightness", detail, {"amount": 0.08}, "en") == "brightness brighter: shot 2, +0.00 → +0.08"
    )
    assert describe("look", {"targets": [1, 2], "all": True}, {"look": "bw"}, "zh") == "风格 全部镜头 → 黑白"
    volume = {"change": {"key": "music_gain_db", "unit": "dB", "before": [-12.0], "after": [-17.0]}}
    assert describe("volume", volume, {"amount": -0.25}, "zh") == "音乐音量调低：-12.0 dB → -17.0 dB"
    assert describe("voice", {"value": "female"}, {"voice": "female"}, "zh") == "旁白 → 女声"
    held = {
        "change": {"key": "music_gain_db", "unit": "dB", "before": [0.0], "after": [0.0]},
        "clamped": True,
    }
    assert "上限" in describe("volume", held, {"amount": 0.5}, "zh")
