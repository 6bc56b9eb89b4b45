"""Nothing a user did is lost: turns on one project run one at a time across processes, a turn
killed with SIGKILL at any stage is finished (or rolled back) by the next message without
doing anything twice, its child processes die with it and its temporary files are swept,
and a failure inside a node is a clear reply with a log reference and an unchanged project.
All through real `cinechat say` processes on a real SQLite file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.helpers import ffprobe

ROOT = Path(__file__).resolve().parents[1]
ENV = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"} | {"CINECHAT_RESOLUTION": "720p"}
ANIMALS = ["cat", "dog", "horse", "fish", "owl", "goat", "frog", "bear"]


def command(db: Path, text: str, *extra: str, thread: str = "p") -> list[str]:
    return [
        sys.executable,
        "-m",
        "graph.cli",
        "say",
        "--db",
        str(db),
        "--thread",
        thread,
        "--json",
        *extra,
        text,
    ]


def say(db: Path, text: str, thread: str = "p", env: dict[str, str] | None = None) -> dict[str, Any]:
    proc = subprocess.run(
        command(db, text, "--quiet", thread=thread),
        capture_output=True,
        text=True,
        timeout=600,
        env=env or ENV,
        cwd=ROOT,
    )
    assert proc.returncode in (0, 3), proc.stderr
    return json.loads(proc.stdout)


def state(db: Path, thread: str = "p") -> dict[str, Any]:
    """The thread's newest values, read in this process from the SQLite file."""
    from graph import build_graph, open_checkpointer

    graph = build_graph(open_checkpointer(db))
    try:
        return dict(graph.get_state({"configurable": {"thread_id": thread}}).values)
    finally:
        graph.checkpointer.conn.close()


def said_in_history(db: Path, thread: str = "p") -> dict[str, str]:
    """Every user message the thread's checkpoints hold (the state keeps only the newest few),
    by message id."""
    from graph import build_graph, open_checkpointer

    graph = build_graph(open_checkpointer(db))
    found: dict[str, str] = {}
    try:
        for snap in graph.get_state_history({"configurable": {"thread_id": thread}}):
            found.update({m.id: m.content for m in snap.values.get("messages") or [] if m.type == "human"})
    finally:
        graph.checkpointer.conn.close()
    return found


def chain_of(values: dict[str, Any]) -> list[str]:
    """The version labels in order, checking that each one's parent is the one before it
    (a history that forked would have two labels with the same parent)."""
    index = values["version_index"]
    labels = sorted(index, key=lambda k: index[k]["order"])
    parents = [index[k]["parent"] for k in labels]
    assert len(set(parents)) == len(parents), f"the history forked: {parents}"
    return labels


def test_eight_processes_on_one_thread_each_edit_lands_once(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite"
    say(db, "make a 20 second video about a quiet harbour at dawn")  # 3 shots; at most 8
    animals = ANIMALS[:5]
    messages = [f"add a shot of a {a} after shot 1" for a in animals] + ["make the music a little louder"] * 3

    with ThreadPoolExecutor(len(messages)) as pool:
        results = list(pool.map(lambda m: say(db, m), messages))
    assert all(r["error"] is None for r in results), [r["reply"] for r in results]
    versions = [r["version"] for r in results]
    assert sorted(versions) == [f"v1.{i}" for i in range(1, 9)], versions  # unique, none skipped
    for animal, result in zip(animals, results, strict=False):
        # each reply describes its own turn: its version has its animal once
        shots = [s["description"] for s in result["script"]["shots"]]
        assert sum(animal in d for d in shots) == 1, (animal, shots)
    louder = sorted(r["reply"].split("→")[1].split("dB")[0].strip() for r in results[5:])
    assert louder == ["-10.0", "-6.0", "-8.0"], louder  # three steps from -12 dB, none lost
    final = state(db)
    added = [s["description"] for s in final["script"]["shots"] if s["description"].startswith("a ")]
    assert sorted(added) == sorted(f"a {a}" for a in animals)
    assert final["settings"]["music_gain_db"] == -6.0
    assert chain_of(final) == ["v1.0", *[f"v1.{i}" for i in range(1, 9)]]
    said = sorted(said_in_history(db).values())
    assert said == sorted([*messages, "make a 20 second video about a quiet harbour at dawn"])  # each once


def test_a_busy_thread_refuses_without_waiting_when_asked(tmp_path: Path) -> None:
    from filelock import FileLock

    from graph import open_checkpointer
    from graph.turns import lock_file

    db = tmp_path / "c.sqlite"
    say(db, "make a 20 second video about a quiet harbour at dawn")
    saver = open_checkpointer(db)
    before = state(db)
    with FileLock(lock_file(saver, "p")):  # another turn holds the project
        proc = subprocess.run(
            command(db, "add a shot of a cat after shot 1", "--quiet", "--no-wait"),
            capture_output=True,
            text=True,
            timeout=120,
            env=ENV,
            cwd=ROOT,
        )
    assert proc.returncode == 3
    out = json.loads(proc.stdout)
    assert out["error"]["code"] == "busy" and "still running" in out["reply"]
    after = state(db)
    assert after["script"] == before["script"] and after["version"] == before["version"]


class Killed:
    """A `cinechat say` process killed with SIGKILL when its event stream shows `marker`;
    what it had running as children at that moment."""

    def __init__(self, db: Path, text: str, marker: str, env: dict[str, str] | None = None) -> None:
        proc = subprocess.Popen(
            command(db, text, "--events"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env or ENV,
            cwd=ROOT,
        )
        assert proc.stderr is not None
        self.seen: list[str] = []
        self.children: list[psutil.Process] = []
        for line in proc.stderr:
            self.seen.append(line)
            if marker in line:
                self.children = psutil.Process(proc.pid).children(recursive=True)
                os.kill(proc.pid, signal.SIGKILL)
                break
        proc.wait(timeout=60)
        assert proc.returncode == -signal.SIGKILL, f"never saw {marker!r}: {self.seen[-3:]}"

    def orphans(self) -> list[psutil.Process]:
        """The children still running a few seconds after the kill."""
        deadline = time.time() + 5
        alive = self.children
        while alive and time.time() < deadline:
            alive = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
            time.sleep(0.1)
        return alive


def leftovers(tmp_path: Path) -> list[str]:
    """Temporary files of dead cinechat processes, in the media store and the system temp
    folder, after the next process has started."""
    from tools.procs import stale

    return [str(p) for p in stale([tmp_path / "media"])]


def rendered_right(result: dict[str, Any]) -> None:
    """The video is there, as long as the script, with sound, and its picture and sound agree."""
    video = result["video"]
    assert video and Path(video["path"]).is_file()
    info = ffprobe(video["path"])
    streams = {s["codec_type"]: s for s in info["streams"]}
    assert {"video", "audio"} <= set(streams)
    assert abs(float(info["format"]["duration"]) - result["script"]["duration"]) < 0.1
    assert abs(float(streams["video"]["duration"]) - float(streams["audio"]["duration"])) < 0.1


@pytest.mark.parametrize(
    "marker",
    [
        '"stage": "render"',  # the per-shot renders: one shot is done, others are running
        '"stage": "music"',  # audio: the music bed
        '"stage": "mix"',  # the mix
        '"stage": "loudness"',  # mastering
        '"stage": "review"',  # the reviewer
    ],
)
def test_a_render_killed_at_each_stage_is_finished_by_the_next_message(tmp_path: Path, marker: str) -> None:
    db = tmp_path / "c.sqlite"
    say(db, "做一个关于海边日落的10秒视频，浪漫一点")
    killed = Killed(db, "继续生成", marker)
    assert not killed.orphans(), [p.cmdline() for p in killed.orphans()]
    again = say(db, "继续生成")  # the same words again: the interrupted turn's answer
    assert "recovery" in again, (killed.seen[-3:], again["reply"])
    assert again["recovery"]["kind"] == "resumed" and again["recovery"]["repeated"]
    assert "中断" in again["reply"] and "没有再做一遍" in again["reply"]
    assert again["version"] == "v1.0" and again["status"] == "rendered"
    rendered_right(again)
    assert not leftovers(tmp_path)
    undone = say(db, "撤销")  # nothing before the first draft: a clear reply, no crash
    assert undone["error"]["code"] == "nothing_to_undo"
    exported = say(db, "导出成MP4")
    assert exported["error"] is None and Path(exported["outcome"]["path"]).is_file()


def test_an_edit_killed_mid_render_is_applied_once_and_undo_and_export_work(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite"
    say(db, "做一个关于海边日落的10秒视频，浪漫一点")
    say(db, "继续生成")
    Killed(db, "第二个镜头调亮一点", '"stage": "render"')
    again = say(db, "第二个镜头调亮一点")
    assert again["recovery"]["kind"] == "resumed" and again["recovery"]["repeated"]
    assert again["version"] == "v1.1"
    values = state(db)
    assert values["script"]["shots"][1]["grade"]["brightness"] == pytest.approx(0.05)  # once, not 0.10
    rendered_right(again)
    assert chain_of(values) == ["v1.0", "v1.1"]
    undone = say(db, "撤销")
    assert undone["version"] == "v1.0" and undone["error"] is None
    assert state(db)["script"]["shots"][1].get("grade", {}).get("brightness", 0) == 0
    exported = say(db, "导出成MP4")
    assert exported["error"] is None and Path(exported["outcome"]["path"]).is_file()
    assert not leftovers(tmp_path)


def test_a_killed_script_or_export_is_recovered_and_a_different_message_still_runs(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite"
    Killed(db, "make a 10 second video about a lighthouse in a storm", '"nodes": ["intent_router"]')
    first = say(db, "make it 12 seconds")  # a different message: the interrupted one first
    # the offline writer is quick: under load the kill can land after the turn ended (its
    # last checkpoint saved), and then there is nothing to recover; either way the project is
    # the finished draft with this message applied once
    if "recovery" in first:
        assert first["recovery"]["kind"] == "resumed" and not first["recovery"]["repeated"]
        assert "interrupted" in first["reply"]
    assert first["script"]["duration"] == 12.0 and first["version"] == "v1.1"
    say(db, "go ahead")
    Killed(db, "export as gif", '"stage": "export"')
    exported = say(db, "export as gif")
    assert exported.get("recovery", {"repeated": True})["repeated"] and exported["error"] is None
    assert Path(exported["outcome"]["path"]).suffix == ".gif" and Path(exported["outcome"]["path"]).is_file()
    assert chain_of(state(db)) == ["v1.0", "v1.1"]


def test_a_failing_node_is_a_reply_with_a_reference_and_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite"
    say(db, "make a 10 second video about a lighthouse in a storm")
    before = state(db)
    proc = subprocess.run(
        command(db, "go ahead", "--quiet"),
        capture_output=True,
        text=True,
        timeout=600,
        env=ENV | {"CINECHAT_FFMPEG": "/bin/false"},  # every ffmpeg run fails (retried, then given up)
        cwd=ROOT,
    )
    assert proc.returncode == 1
    out = json.loads(proc.stdout)
    ref = out["error"]["ref"]
    assert ref in out["reply"] and "unchanged" in out["reply"] and "Traceback" not in out["reply"]
    assert out["version"] == before["version"] and out["video"] is None  # the project as it was
    log = (tmp_path / "logs" / "cinechat.log").read_text()
    assert f"turn failed [{ref}]" in log and "MediaError" in log and "Traceback" in log
    then = say(db, "go ahead")  # ffmpeg works again: the message runs from the last finished turn
    assert then["recovery"]["kind"] == "failed" and then["status"] == "rendered"
    rendered_right(then)
    assert chain_of(state(db)) == ["v1.0"]


def test_a_closed_pipe_and_a_message_starting_with_a_dash(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite"
    say(db, "make a 20 second video about a quiet harbour at dawn")
    proc = subprocess.run(
        [sys.executable, "-m", "graph.cli", "say", "--db", str(db), "--thread", "p", "-1 second for shot 2"],
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert [s["duration"] for s in state(db)["script"]["shots"]][1] == pytest.approx(5.7, abs=0.05)
    reader = subprocess.Popen(
        [*command(db, "show me the history"), "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
        cwd=ROOT,
    )
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.close()  # `| head -0`: the reader leaves before the reply is printed
    err = reader.stderr.read().decode()
    reader.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipeError" not in err
    assert reader.returncode == 141


def test_stale_temporary_files_are_swept_and_live_ones_kept(tmp_path: Path) -> None:
    from tools.procs import stale, sweep_stale, temp_prefix

    dead = subprocess.Popen(["true"])
    dead.wait()
    media = tmp_path / "media"
    (media / "clips").mkdir(parents=True)
    gone = [
        media / "clips" / f".abc.{dead.pid}.1234.mp4",
        media / "clips" / f".tmp-{dead.pid}-xyz",
        media / f".tmp-{dead.pid}-frames",
    ]
    kept = [media / "clips" / f".abc.{os.getpid()}.1234.mp4", media / "clips" / "abc.mp4"]
    for p in gone[:1] + kept:
        p.write_bytes(b"x")
    for p in gone[1:]:
        p.mkdir()
    assert sorted(map(str, stale([media]))) == sorted(map(str, gone))
    assert sweep_stale(media) == 3
    assert all(not p.exists() for p in gone) and all(p.exists() for p in kept)
    assert temp_prefix("clip") == f"cinechat-clip-{os.getpid()}-"


def test_a_step_killed_after_its_writes_but_before_its_checkpoint_is_unfinished(tmp_path: Path) -> None:
    """A process killed between a step's task writes and the step's checkpoint leaves a
    checkpoint whose snapshot lists the step's tasks, with their writes, and no `next`. That
    is still the middle of a turn: it must be resumed, and it is not where a turn ended."""
    import sqlite3
    from typing import TypedDict

    from langgraph.checkpoint.sqlite import SqliteSaver
    from langgraph.graph import END, START, StateGraph

    from graph.turns import interrupted, settled

    class S(TypedDict, total=False):
        trail: str

    builder = StateGraph(S)
    builder.add_node("a", lambda s: {"trail": s.get("trail", "") + "a"})
    builder.add_node("b", lambda s: {"trail": s.get("trail", "") + "b"})
    builder.add_edge(START, "a")
    builder.add_edge("a", "b")
    builder.add_edge("b", END)
    db = tmp_path / "g.sqlite"
    conn = sqlite3.connect(db, check_same_thread=False)
    graph = builder.compile(checkpointer=SqliteSaver(conn))
    config = {"configurable": {"thread_id": "t"}}
    graph.invoke({"trail": ""}, config, durability="sync")
    assert not interrupted(graph.get_state(config))  # a finished turn
    # what the kill leaves: the checkpoint before step "a" ran, and a's saved writes
    steps = conn.execute("select checkpoint_id, json_extract(metadata, '$.step') from checkpoints").fetchall()
    before_a = max(step for _, step in steps if step is not None and step <= 0)
    doomed = [cid for cid, step in steps if step > before_a]
    conn.executemany("delete from checkpoints where checkpoint_id = ?", [(c,) for c in doomed])
    conn.executemany("delete from writes where checkpoint_id = ?", [(c,) for c in doomed])
    conn.commit()
    snap = graph.get_state(config)
    assert snap.next == () and snap.tasks and snap.values["trail"] == "a"  # LangGraph's view
    assert interrupted(snap)
    assert settled(graph, config).values.get("trail", "") == ""  # the last turn end is before it
    graph.invoke(None, config, durability="sync")  # resuming finishes it: b runs, a does not again
    assert graph.get_state(config).values["trail"] == "ab"
