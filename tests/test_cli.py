"""The `cinechat` command in fresh processes: JSON output, classify, history, and a thread
continued from the SQLite file by a new process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ENV = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}


def cli(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "graph.cli", *args[:1], "--db", str(db), *args[1:]],
        capture_output=True,
        text=True,
        timeout=300,
        env=ENV,
        cwd=Path(__file__).resolve().parents[1],
    )


def say(db: Path, text: str, thread: str = "p") -> dict[str, Any]:
    proc = cli("say", "--thread", thread, "--json", "--quiet", text, db=db)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_fresh_process_continues_the_thread(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite"
    first = say(db, "我想创建一个关于春天的30秒短视频，风格要温馨治愈")
    assert first["intent"] == "create" and first["version"] == "v1.0"
    assert {"thread_id", "intent", "reply", "status", "version", "script", "video", "review"} <= set(first)
    assert first["video"] is None
    assert [
        set(s) >= {"id", "shot_type", "description", "duration", "narration"}
        for s in first["script"]["shots"]
    ]
    second = say(db, "把最后一个镜头删掉")  # a new process reads the SQLite file
    assert second["version"] == "v1.1" and len(second["script"]["shots"]) == 3
    assert second["script"]["duration"] == 30.0
    third = say(db, "undo")
    assert third["version"] == "v1.0" and len(third["script"]["shots"]) == 4


def test_classify_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite"
    say(db, "我想创建一个关于春天的30秒短视频")
    proc = cli("classify", "--thread", "p", "--json", "第二个镜头调亮一点", db=db)
    decision = json.loads(proc.stdout)
    assert decision["intent"] == "edit_visual" and decision["slots"]["shots"] == [2]
    assert 0 < decision["confidence"] <= 1
    hist = json.loads(cli("history", "--thread", "p", "--json", db=db).stdout)
    assert {h["version"] for h in hist} == {"v1.0", None}  # classify wrote no checkpoint
    bad = json.loads(cli("classify", "--thread", "p", "--json", "第9个镜头调亮", db=db).stdout)
    assert bad["slots"]["error"] == "bad_shot"


def test_replay_command(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite"
    say(db, "我想创建一个关于春天的30秒短视频")
    say(db, "Swap shots 2 and 3")
    hist = json.loads(cli("history", "--thread", "p", "--json", db=db).stdout)
    start = next(h for h in hist if h["next"] == ["intent_router"] and h["version"] == "v1.0")
    proc = cli("replay", "--thread", "p", "--json", "--checkpoint", start["checkpoint_id"], db=db)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["version"] == "v1.1"
    missing = cli("replay", "--thread", "p", "--checkpoint", "nope", db=db)
    assert missing.returncode == 2


def test_say_with_an_image_that_is_not_one(tmp_path: Path) -> None:
    db = tmp_path / "i.sqlite"
    first = say(db, "I want a 20 second video about the sea")
    fake = tmp_path / "photo.png"
    fake.write_text("this is text, not a picture")
    proc = cli(
        "say", "--thread", "p", "--json", "--quiet", "--image", str(fake), "use this for shot 2", db=db
    )
    assert proc.returncode == 3, proc.stderr  # refused: the documented exit status
    out = json.loads(proc.stdout)
    assert "not an image" in out["reply"] and out["version"] == first["version"]
    assert out["error"]["code"] and out["error"]["message"] == out["reply"]
    assert out["script"] == first["script"]


def test_users_and_the_login_secret(tmp_path: Path) -> None:
    from graph.chat_store import auth_secret
    from tools.users import verify

    db = tmp_path / "c.sqlite"
    proc = cli("users", "add", "carol", "--password", "carol-password", db=db)
    assert proc.returncode == 0, proc.stderr
    assert verify(tmp_path / "users.sqlite", "carol", "carol-password")
    assert not verify(tmp_path / "users.sqlite", "carol", "wrong-password")
    assert not verify(tmp_path / "users.sqlite", "nobody", "carol-password")
    short = cli("users", "add", "dave", "--password", "short", db=db)
    assert short.returncode == 2 and "8 characters" in short.stderr
    env = dict(os.environ)
    os.environ.pop("CHAINLIT_AUTH_SECRET", None)
    try:
        first = auth_secret(tmp_path)
        assert len(first) > 40 and auth_secret(tmp_path) == first
        assert (tmp_path / ".chainlit_secret").stat().st_mode & 0o077 == 0
    finally:
        os.environ.clear()
        os.environ.update(env)
