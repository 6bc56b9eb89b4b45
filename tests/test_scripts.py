"""The offline script writer and revisions keep the total on the 0.1 s grid."""

from __future__ import annotations

import pytest

from tools.revise import change_duration, revise
from tools.scripts import ScriptError, allocate, total_of, write_script


@pytest.mark.parametrize("total", [5, 15, 20, 30, 45, 60, 97.3, 180])
def test_durations_sum_to_target(total: float) -> None:
    for req, lang in [
        ("关于春天的视频", "zh"),
        ("a video about a rainy night in Tokyo", "en"),
        ("a video about my grandmother's kitchen", "en"),
    ]:
        s = write_script(req, lang, total)
        assert 3 <= len(s["shots"]) <= 8
        assert abs(total_of(s["shots"]) - total) < 0.1


def test_seed_script_matches_the_dialogue() -> None:
    s = write_script("我想创建一个关于春天的30秒短视频，风格要温馨治愈", "zh", 30)
    assert [(x["shot_type"], x["duration"]) for x in s["shots"]] == [
        ("close-up", 3.0),
        ("medium", 8.0),
        ("wide", 7.0),
        ("aerial", 12.0),
    ]
    assert "露珠" in s["shots"][0]["description"] and "鸽子" in s["shots"][3]["description"]
    assert s["mood"] == "warm"


def test_insert_before_the_character_keeps_total() -> None:
    s = write_script("关于春天的30秒短视频", "zh", 30)
    new, change = revise(
        s, "第二幕的小女孩出现得太突然了，能加一个她远远走来的镜头吗？", {"operation": "insert", "shots": [2]}
    )
    assert len(new["shots"]) == 5 and change["position"] == 3
    assert new["shots"][2]["shot_type"] == "long" and "小女孩" in new["shots"][2]["description"]
    assert total_of(new["shots"]) == 30.0


def test_english_insert_before_bench() -> None:
    s = write_script("a 30 second video about spring", "en", 30)
    new, change = revise(
        s,
        "add a shot of her walking in from afar before she reaches the bench",
        {"operation": "insert", "shots": []},
    )
    assert change["position"] == 3
    assert "little girl" in new["shots"][2]["description"]
    assert total_of(new["shots"]) == 30.0


def test_delete_swap_duration() -> None:
    s = write_script("关于春天的30秒短视频", "zh", 30)
    d, _ = revise(s, "把最后一个镜头删掉", {"operation": "delete", "shots": [4]})
    assert len(d["shots"]) == 3 and total_of(d["shots"]) == 30.0
    w, _ = revise(s, "Swap shots 2 and 3", {"operation": "swap", "shots": [2, 3]})
    assert w["shots"][1]["id"] == s["shots"][2]["id"]
    longer, _ = change_duration(s, {"duration": 45})
    assert total_of(longer["shots"]) == 45.0
    shorter, _ = change_duration(s, {"shots": [1], "delta": -2})
    assert shorter["shots"][0]["duration"] == 1.0 and total_of(shorter["shots"]) == 30.0
    with pytest.raises(ScriptError):
        change_duration(s, {"duration": 10800})


def test_allocate_exact() -> None:
    assert sum(allocate([1, 1, 1], 10)) == pytest.approx(10)
    assert allocate([3, 8, 7, 12], 30) == [3.0, 8.0, 7.0, 12.0]
