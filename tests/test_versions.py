"""Versions read through the index in the state: it agrees with a full scan of the checkpoints,
undo/redo/restore/compare give what the scan gives, a database of the previous release is
migrated on first use, and the per-step state stays small."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph import Context, build_graph, open_checkpointer
from graph.state import MESSAGES_KEPT
from graph.versions import RESTORED, diff_versions, scan_index, version_values
from tests.helpers import turn

PREVIOUS_RELEASE = Path(__file__).parent / "data" / "prev-release.sqlite"
CREATE = "我想创建一个关于春天的30秒短视频"


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One graph for the module; each test or example takes its own thread."""
    app = build_graph(open_checkpointer(tmp_path_factory.mktemp("versions") / "cinechat.sqlite"))
    app.test_context = Context(data_dir=str(tmp_path_factory.mktemp("media")), use_llm=False)
    yield app


def scanned(graph: Any, thread: str, label: str) -> dict[str, Any]:
    """A label's values as the full scan finds them (the previous release's way)."""
    return version_values(graph, thread, scan_index(graph, thread)[label])


def project_values(values: dict[str, Any]) -> dict[str, Any]:
    """The values a version restores."""
    return {k: values.get(k) for k in RESTORED}


def assert_index_agrees_with_scan(graph: Any, thread: str, values: dict[str, Any]) -> None:
    """Every label the scan finds is published in the index (the current one is published
    when the next turn starts), with the same note, parent, order and values."""
    scan = scan_index(graph, thread)
    index = values.get("version_index") or {}
    published = {k: e for k, e in index.items() if e.get("checkpoint_id")}
    current = values.get("version")
    assert set(scan) == set(published) | ({current} if current else set())
    for label, entry in published.items():
        fields = ("note", "parent", "order", "rendered")
        assert {f: entry.get(f) for f in fields} == {f: scan[label].get(f) for f in fields}, label
        assert version_values(graph, thread, entry) == version_values(graph, thread, scan[label]), label
    if current:
        assert version_values(graph, thread, scan[current]) == project_values(values)
        assert index[current]["note"] == scan[current]["note"]


def test_index_after_a_sequence_of_turns(graph: Any) -> None:
    thread = "sequence"
    for text in (CREATE, "加一个小狗在草地上奔跑的镜头", "调整时长到20秒", "第二个镜头调亮一点", "撤销"):
        v = turn(graph, thread, text)
    index = v["version_index"]
    assert list(index) == ["v1.0", "v1.1", "v1.2", "v1.3"]
    assert [index[k]["parent"] for k in index] == [None, "v1.0", "v1.1", "v1.2"]
    assert [index[k]["order"] for k in index] == [0, 1, 2, 3]
    assert index["v1.2"]["note"] == "总时长从30秒调整为20秒，各镜头按比例缩放。"
    assert index["v1.3"]["note"].startswith("亮度调亮：镜头2")
    assert all(e["checkpoint_id"] for e in index.values())  # each was current when a turn began
    shot = graph.get_state(
        {"configurable": {"thread_id": thread, "checkpoint_id": index["v1.3"]["checkpoint_id"]}}
    ).values["script"]["shots"][1]
    assert shot["grade"]["brightness"] > 0
    assert v["version"] == "v1.2"
    assert_index_agrees_with_scan(graph, thread, v)


def test_versions_turns_give_what_the_full_scan_gives(graph: Any) -> None:
    thread = "scan"
    for text in (CREATE, "加一个小狗在草地上奔跑的镜头", "调整时长到20秒", "第二个镜头调亮一点"):
        turn(graph, thread, text)
    for text, target in (("撤销", "v1.2"), ("重做", "v1.3"), ("回到v1.0版本", "v1.0"), ("undo", "v1.3")):
        expected = scanned(graph, thread, target)
        v = turn(graph, thread, text)
        assert v["outcome"]["to"] == target and project_values(v) == expected
    a, b = scanned(graph, thread, "v1.0"), scanned(graph, thread, "v1.1")
    v = turn(graph, thread, "对比一下v1.0和v1.1")
    assert (v["outcome"]["a"], v["outcome"]["b"]) == ("v1.0", "v1.1")
    assert len(v["outcome"]["diff"]["added"]) == 1
    assert v["outcome"]["diff"]["duration"] == [
        sum(s["duration"] for s in a["script"]["shots"]),
        sum(s["duration"] for s in b["script"]["shots"]),
    ]
    v = turn(graph, thread, "有哪些版本？")
    scan = scan_index(graph, thread)
    rows = [
        {"version": k, "note": e["note"], "rendered": e["rendered"], "current": k == "v1.3"}
        for k, e in scan.items()
    ]
    assert v["outcome"]["versions"] == rows
    assert_index_agrees_with_scan(graph, thread, v)


def test_versions_turns_read_no_history(graph: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    thread = "no-scan"
    for text in (CREATE, "调整时长到20秒", "第二个镜头调亮一点"):
        turn(graph, thread, text)

    def scan(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the history was scanned")

    monkeypatch.setattr(graph, "get_state_history", scan)
    assert turn(graph, thread, "有哪些版本？")["outcome"]["kind"] == "history"
    assert turn(graph, thread, "撤销")["version"] == "v1.1"
    assert turn(graph, thread, "重做")["version"] == "v1.2"
    assert turn(graph, thread, "回到v1.0版本")["version"] == "v1.0"
    assert turn(graph, thread, "对比一下v1.0和v1.1")["outcome"]["kind"] == "compare"


TEXTS = {
    "create": CREATE,
    "add": "加一个小狗在草地上奔跑的镜头",
    "delete": "删除最后一个镜头",
    "shorter": "调整时长到20秒",
    "longer": "调整时长到45秒",
    "brighter": "第二个镜头调亮一点",
    "undo": "撤销",
    "redo": "重做",
    "history": "有哪些版本？",
}
steps = st.tuples(st.sampled_from([*TEXTS, "restore", "compare"]), st.integers(min_value=0, max_value=50))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(steps, min_size=1, max_size=8))
def test_index_agrees_with_the_scan_after_any_turns(graph: Any, sequence: list[tuple[str, int]]) -> None:
    thread = uuid.uuid4().hex
    v = turn(graph, thread, CREATE)
    for kind, pick in sequence:
        labels = sorted(scan_index(graph, thread))
        target, current = labels[pick % len(labels)], v["version"]
        before = {label: scanned(graph, thread, label) for label in labels}
        named = {"restore": f"回到{target}版本", "compare": f"对比一下{target}"}  # compare: with the current
        v = turn(graph, thread, named.get(kind) or TEXTS[kind])
        assert_index_agrees_with_scan(graph, thread, v)
        if kind == "restore" and target != current:
            assert v["outcome"]["kind"] == "restore" and v["outcome"]["to"] == target
        if kind == "compare":
            assert v["outcome"]["diff"] == diff_versions(before[target], before[current])
        if (v.get("outcome") or {}).get("kind") in ("undo", "redo", "restore"):
            assert project_values(v) == before[v["outcome"]["to"]]


def previous_release(tmp_path: Path) -> Any:
    """A graph on a copy of the database the previous release wrote (thread 't')."""
    db = tmp_path / "prev.sqlite"
    shutil.copy(PREVIOUS_RELEASE, db)
    app = build_graph(open_checkpointer(db))
    app.test_context = Context(data_dir=str(tmp_path / "media"), use_llm=False)
    return app


def test_previous_release_lists_its_versions(tmp_path: Path) -> None:
    app = previous_release(tmp_path)
    assert not app.get_state({"configurable": {"thread_id": "t"}}).values.get("version_index")
    v = turn(app, "t", "有哪些版本？")
    assert [(r["version"], r["note"], r["current"]) for r in v["outcome"]["versions"]] == [
        ("v1.0", "create: 春日公园", True),
        ("v1.1", "insert", False),
        ("v1.2", "total_duration", False),
        ("v1.3", "亮度 镜头2 +0.10", False),
    ]
    shown = v["messages"][-1].content  # the notes an earlier release stored as operation names, in words
    assert "新项目《春日公园》" in shown and "新增镜头" in shown and "调整总时长" in shown
    assert "insert" not in shown and "total_duration" not in shown and "create:" not in shown
    assert [v["version_index"][k]["parent"] for k in ("v1.0", "v1.1", "v1.2", "v1.3")] == [
        None,
        "v1.0",
        "v1.1",
        "v1.2",
    ]
    assert_index_agrees_with_scan(app, "t", v)


def test_previous_release_undo_and_restore(tmp_path: Path) -> None:
    app = previous_release(tmp_path)
    v = turn(app, "t", "撤销")  # the first use migrates, then undoes
    shots = v["script"]["shots"]
    assert (
        v["version"] == "v1.2" and len(shots) == 5 and sum(s["duration"] for s in shots) == pytest.approx(20)
    )
    assert shots[1]["grade"]["brightness"] == 0
    v = turn(app, "t", "回到v1.3版本")
    assert v["version"] == "v1.3" and v["script"]["shots"][1]["grade"]["brightness"] > 0
    v = turn(app, "t", "restore v1.0")
    shots = v["script"]["shots"]
    assert (
        v["version"] == "v1.0" and len(shots) == 4 and sum(s["duration"] for s in shots) == pytest.approx(30)
    )
    v = turn(app, "t", "加一个小狗在草地上奔跑的镜头")  # a new label continues the old numbering
    assert v["version"] == "v1.4" and v["version_index"]["v1.4"]["parent"] == "v1.0"
    assert_index_agrees_with_scan(app, "t", v)


def test_messages_stay_a_bounded_window(graph: Any) -> None:
    thread = "window"
    texts = [CREATE, "调整时长到20秒", "调整时长到40秒", "有哪些版本？", "撤销"]
    for text in texts:
        v = turn(graph, thread, text)
    assert len(v["messages"]) == MESSAGES_KEPT
    assert v["messages"][-2].content == "撤销" and v["messages"][-1].content == v["reply"]
