"""`cinechat backup` and `cinechat restore`: every database copied with SQLite's online backup
API while a turn is writing, restored into a fresh folder, where the thread continues with its
whole history (versions listed, undo, export)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.test_turns import ENV, ROOT, command, say


def cinechat(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "graph.cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=ENV,
        cwd=ROOT,
    )


def test_backup_while_a_turn_runs_then_restore_and_continue(tmp_path: Path) -> None:
    home, copy, fresh = tmp_path / "home", tmp_path / "backup", tmp_path / "fresh"
    db = home / "c.sqlite"
    say(db, "做一个关于海边日落的10秒视频，浪漫一点")
    say(db, "继续生成")
    say(db, "第二个镜头调亮一点")
    busy = subprocess.Popen(  # a turn writing while the backup is made
        command(db, "背景音乐调低一点", "--quiet"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
        cwd=ROOT,
    )
    made = cinechat("backup", str(copy), "--media", "--db", str(db))
    assert made.returncode == 0, made.stderr
    assert busy.wait(timeout=600) == 0
    manifest = json.loads((copy / "manifest.json").read_text())
    assert manifest["checkpoints"] == "c.sqlite" and "media/assets.db" in manifest["databases"]
    fresh.mkdir()
    done = cinechat("restore", str(copy), "--db", str(fresh / "c.sqlite"))
    assert done.returncode == 0, done.stderr
    again = cinechat("restore", str(copy), "--db", str(fresh / "c.sqlite"))
    assert again.returncode == 2 and "already has" in again.stderr  # never over a live home
    for name in ["c.sqlite", *manifest["databases"]]:
        with sqlite3.connect(fresh / name) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    history = say(fresh / "c.sqlite", "历史版本")
    listed = [row["version"] for row in history["outcome"]["versions"]]
    assert listed[:2] == ["v1.0", "v1.1"]  # the whole history came along
    undone = say(fresh / "c.sqlite", "撤销")
    assert undone["error"] is None and undone["outcome"]["kind"] == "undo"
    exported = say(fresh / "c.sqlite", "导出成MP4")
    assert exported["error"] is None
    assert (
        Path(exported["outcome"]["path"]).is_relative_to(fresh)
        and Path(exported["outcome"]["path"]).is_file()
    )
