"""Where shots go: inserts and moves said in either language land where the words say, checked
on the resulting shot list (the router's reading, then the revision), over random projects."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graph  # noqa: F401  (the graph package first: nodes import it)
from bench.eval import project
from graph.context import Context
from nodes.intent_router import decide
from tools.placement import Place, move_index, place_of
from tools.revise import new_shot_request, revise
from tools.scripts import MAX_SHOTS, ScriptError

ZH_NUM = "一二三四五六七八九"
SUBJECTS = ["a red kite", "一只猫在窗台上睡觉", "a tram crossing a bridge", "蝴蝶停在花上"]


def script_of(n: int) -> dict[str, Any]:
    """A project of `n` shots with plain, different contents."""
    base = project("script")
    words = [
        "a harbour at dawn",
        "a cup of tea",
        "a boy on a bike",
        "the mountains",
        "a train",
        "rain on glass",
    ]
    shots = [
        {**base["script"]["shots"][i % 4], "id": f"s{i}", "description": words[i % len(words)]}
        for i in range(n)
    ]
    return {**base, "script": {**base["script"], "shots": shots, "next_id": n}}


def order_after(text: str, state: dict[str, Any]) -> list[Any]:
    """The shot list after the message, as the original shot numbers and NEW."""
    analysis, _ = decide(text, state, Context(use_llm=False))
    assert analysis.intent == "revise_script", (text, analysis)
    new, _ = revise(state["script"], text, analysis.slots)
    ids = [s["id"] for s in state["script"]["shots"]]
    return [ids.index(s["id"]) + 1 if s["id"] in ids else "NEW" for s in new["shots"]]


FOUR = [
    ("在第一个镜头后面加一个小狗跑过来的镜头", [1, "NEW", 2, 3, 4]),
    ("add a shot of a dog running after shot 1", [1, "NEW", 2, 3, 4]),
    ("add a shot of a red kite before the last shot", [1, 2, 3, "NEW", 4]),
    ("在最后一个镜头前面加一个风筝的镜头", [1, 2, 3, "NEW", 4]),
    ("insert a shot of the city skyline between shots 2 and 3", [1, 2, "NEW", 3, 4]),
    ("在开头加一个日出的镜头", ["NEW", 1, 2, 3, 4]),
    ("put a close-up of hands at the start", ["NEW", 1, 2, 3, 4]),
    ("add a shot of kids playing after school at the end", [1, 2, 3, 4, "NEW"]),
    ("add a wide shot of the harbour right after the park shot", [1, "NEW", 2, 3, 4]),
    ("在公园的镜头后面加一个鸽子飞起的镜头", [1, "NEW", 2, 3, 4]),
    ("把第三个镜头移到第二个", [1, 3, 2, 4]),
    ("move shot 3 to position 2", [1, 3, 2, 4]),
    ("move shot 4 before shot 3", [1, 2, 4, 3]),
    ("把第4个镜头放到第1个镜头之前", [4, 1, 2, 3]),
    ("move shot 1 after shot 3", [2, 3, 1, 4]),
    ("把第一个镜头移到最后", [2, 3, 4, 1]),
    ("move the last shot to the beginning", [4, 1, 2, 3]),
    ("把第二个镜头往后挪一个位置", [1, 3, 2, 4]),
    ("move shot 2 one place later", [1, 3, 2, 4]),
    ("把第二个镜头挪到第四个镜头后面", [1, 3, 4, 2]),
]


@pytest.mark.parametrize(("text", "order"), FOUR, ids=[t for t, _ in FOUR])
def test_a_place_said_is_where_the_shot_lands(text: str, order: list[Any]) -> None:
    assert order_after(text, project("script")) == order


def test_a_move_without_a_place_is_asked_and_changes_nothing() -> None:
    state = project("script")
    before = [s["id"] for s in state["script"]["shots"]]
    analysis, _ = decide("move shot 2", state, Context(use_llm=False))
    with pytest.raises(ScriptError) as err:
        revise(state["script"], "move shot 2", {**analysis.slots, "operation": "move"})
    assert err.value.code == "where_to_move"
    assert [s["id"] for s in state["script"]["shots"]] == before


def test_the_new_shots_words_are_not_read_as_its_place() -> None:
    """'after school' is what the shot shows, not 'after a shot'; '特写' is its type."""
    script = project("script")["script"]
    assert (
        new_shot_request("add a shot of kids playing after school", script)[0] == "kids playing after school"
    )
    assert new_shot_request("add a shot of kids playing after shot 2", script)[0] == "kids playing"
    content, stype, rest = new_shot_request("在第二个镜头后面加一个蝴蝶停在花上的特写", script)
    assert (content, stype) == ("蝴蝶停在花上", "close-up") and "第二个镜头后面" in rest
    assert place_of("add a shot of kids playing after school", 4) is None


@settings(max_examples=40, deadline=None)
@given(data=st.data(), n=st.integers(3, 8), zh=st.booleans())
def test_moves_to_a_position_over_random_projects(data: st.DataObject, n: int, zh: bool) -> None:
    src = data.draw(st.integers(1, n))
    dst = data.draw(st.integers(1, n).filter(lambda d: d != src))
    text = (
        f"把第{ZH_NUM[src - 1]}个镜头移到第{ZH_NUM[dst - 1]}个"
        if zh
        else f"move shot {src} to position {dst}"
    )
    order = order_after(text, script_of(n))
    assert order.index(src) + 1 == dst and sorted(order) == list(range(1, n + 1)), (text, order)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), n=st.integers(2, MAX_SHOTS - 1), zh=st.booleans(), after=st.booleans())
def test_inserts_before_or_after_a_shot_over_random_projects(
    data: st.DataObject, n: int, zh: bool, after: bool
) -> None:
    k = data.draw(st.integers(1, n))
    what = data.draw(st.sampled_from(SUBJECTS))
    if zh:
        text = f"在第{ZH_NUM[k - 1]}个镜头{'后面' if after else '前面'}加一个{what}的镜头"
    else:
        text = f"add a shot of {what} {'after' if after else 'before'} shot {k}"
    order = order_after(text, script_of(n))
    assert order.index("NEW") == (k if after else k - 1), (text, order)
    assert [o for o in order if o != "NEW"] == list(range(1, n + 1))


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 12), data=st.data())
def test_a_moved_shot_lands_on_the_side_of_its_anchor_the_words_say(n: int, data: st.DataObject) -> None:
    src = data.draw(st.integers(0, n - 1))
    anchor = data.draw(st.integers(1, n).filter(lambda a: a != src + 1))
    relation = data.draw(st.sampled_from(["before", "after"]))
    order = list(range(n))
    moved = order.pop(src)
    order.insert(move_index(Place(relation, anchor), src, n), moved)
    gap = order.index(anchor - 1) - order.index(src)
    assert gap == (1 if relation == "before" else -1)


@pytest.mark.parametrize("text", ["把老人和小女孩的镜头换一下顺序", "swap the old man and the girl shots"])
def test_shots_swapped_by_what_they_show(text: str) -> None:
    """The seed's spring script: the old man feeds pigeons in shot 2, the girl runs in shot 3."""
    from tools.scripts import write_script

    script = write_script("我想创建一个关于春天的30秒短视频", "zh", 30)
    state = {"script": script, "status": "awaiting_approval", "version": "v1.0"}
    before = [s["description"] for s in script["shots"]]
    assert "老人" in before[1] and "小女孩" in before[2]
    analysis, _ = decide(text, state, Context(use_llm=False))
    new, _ = revise(script, text, analysis.slots)
    assert [s["description"] for s in new["shots"]] == [before[0], before[2], before[1], before[3]]
