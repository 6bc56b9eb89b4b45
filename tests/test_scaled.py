"""Scaled mode against the real PostgreSQL 15 on 127.0.0.1: the version history in PostgreSQL
(`CINECHAT_CHECKPOINTS=postgresql://…`), switched by that setting alone, through real
`cinechat say` processes; turns on one project ordered by advisory locks across processes
(released when a holder dies); a killed render finished by the next message; and a thread
moved from a SQLite file into PostgreSQL with its whole history by `cinechat migrate`. Each test
makes its own database and drops it afterwards."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.test_turns import ROOT, Killed, chain_of, rendered_right, said_in_history, state

PG_ADMIN = os.environ.get("CINECHAT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
"""The server the tests make their databases on (the machines' PostgreSQL, trust auth)."""


@pytest.fixture
def pg() -> Iterator[str]:
    """A new, empty database's address; dropped (with its connections) after the test."""
    with new_database() as url:
        yield url


@contextlib.contextmanager
def new_database() -> Iterator[str]:
    """Make a database on the test server; drop it (with its connections) afterwards."""
    import psycopg

    name = f"cinechat_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def env_for(home: Path, url: str | None = None) -> dict[str, str]:
    """The environment of a scaled `cinechat`: its home for media and logs, the history in
    PostgreSQL when `url` is given (the setting alone, no --db), small renders."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "CINECHAT_DB")}
    env |= {"CINECHAT_HOME": str(home), "CINECHAT_RESOLUTION": "360p"}
    if url:
        env["CINECHAT_CHECKPOINTS"] = url
    return env


def talk(env: dict[str, str], text: str, thread: str = "p", *extra: str) -> dict[str, Any]:
    """One `cinechat say --json` turn with the history the environment names."""
    args = [sys.executable, "-m", "graph.cli", "say", "--thread", thread, "--json", "--quiet", *extra, text]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600, env=env, cwd=ROOT)
    assert proc.returncode in (0, 3), proc.stderr[-2000:]
    return json.loads(proc.stdout)


def tables_of(url: str) -> set[str]:
    import psycopg

    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute("select tablename from pg_tables where schemaname = 'public'")}


def test_seed_dialogue_on_postgres_by_the_setting_alone(tmp_path: Path, pg: str) -> None:
    """The scaled configuration: the history in PostgreSQL, the renders on a Celery worker
    with Redis as the broker."""
    from tests.test_render_queue import REDIS, Worker, cleaned, counts, queue_env

    env = queue_env(tmp_path, broker=REDIS) | {"CINECHAT_CHECKPOINTS": pg}
    with cleaned(env):
        worker = Worker(env, tmp_path / "worker.log", concurrency=2)
        try:
            seed_dialogue(tmp_path, pg, env)
            assert counts(env) and all(c["finished"] == 1 for c in counts(env).values())
        finally:
            worker.stop()


def seed_dialogue(tmp_path: Path, pg: str, env: dict[str, str]) -> None:
    first = talk(env, "做一个关于老街早市的12秒视频，热闹一点")
    assert first["status"] == "awaiting_approval" and first["version"] == "v1.0"
    assert {"checkpoints", "checkpoint_blobs", "checkpoint_writes"} <= tables_of(pg)
    assert not (tmp_path / "cinechat.sqlite").exists()  # nothing went to the embedded file
    made = talk(env, "可以，开始生成吧")
    assert made["status"] == "rendered"
    rendered_right(made)
    brighter = talk(env, "第二个镜头调亮一点")
    assert brighter["version"] == "v1.1" and brighter["error"] is None
    quieter = talk(env, "背景音乐音量调低一点")
    assert quieter["version"] == "v1.2"
    values = state(pg)  # read back from PostgreSQL in this process
    assert values["settings"]["music_gain_db"] < -12.0  # the default bed is -12 dB: lower
    assert values["script"]["shots"][1]["grade"]["brightness"] > 0
    undone = talk(env, "撤销")
    assert undone["version"] == "v1.1" and state(pg)["settings"]["music_gain_db"] == -12.0
    back = talk(env, "回到v1.0")
    assert (
        back["error"] is None and state(pg)["script"]["shots"][1].get("grade", {}).get("brightness", 0) == 0
    )
    history = talk(env, "看看历史版本")
    assert all(label in history["reply"] for label in ("v1.0", "v1.1", "v1.2"))
    exported = talk(env, "导出成GIF")
    assert exported["error"] is None and Path(exported["outcome"]["path"]).suffix == ".gif"
    english = talk(env, "make a 6 second video about a lighthouse at night", thread="other")
    assert english["version"] == "v1.0" and state(pg, "other")["script"]["title"]
    assert state(pg)["version"] == back["version"]  # the other project is untouched


def test_processes_on_one_thread_take_turns_through_advisory_locks(tmp_path: Path, pg: str) -> None:
    env = env_for(tmp_path, pg)
    talk(env, "make a 20 second video about a quiet harbour at dawn")
    animals = ["cat", "dog", "owl", "frog"]
    messages = [f"add a shot of a {a} after shot 1" for a in animals] + ["make the music a little louder"] * 2
    with ThreadPoolExecutor(len(messages)) as pool:
        results = list(pool.map(lambda m: talk(env, m), messages))
    assert all(r["error"] is None for r in results), [r["reply"] for r in results]
    assert sorted(r["version"] for r in results) == [f"v1.{i}" for i in range(1, 7)]
    final = state(pg)
    added = sorted(s["description"] for s in final["script"]["shots"] if s["description"].startswith("a "))
    assert added == sorted(f"a {a}" for a in animals)
    assert final["settings"]["music_gain_db"] == -8.0  # two steps from -12 dB, none lost
    assert chain_of(final) == ["v1.0", *[f"v1.{i}" for i in range(1, 7)]]
    said = sorted(said_in_history(pg).values())  # type: ignore[arg-type]
    assert said == sorted([*messages, "make a 20 second video about a quiet harbour at dawn"])


def test_a_held_lock_refuses_and_a_dead_holder_releases_it(tmp_path: Path, pg: str) -> None:
    from graph.postgres import AdvisoryLock

    env = env_for(tmp_path, pg)
    talk(env, "make a 10 second video about a kite festival")
    before = state(pg)
    lock = AdvisoryLock(pg, "p")
    lock.acquire(timeout=0)
    try:
        refused = talk(env, "add a shot of a cat after shot 1", "p", "--no-wait")
    finally:
        lock.release()
    assert refused["error"]["code"] == "busy"
    assert state(pg)["script"] == before["script"]
    # a holder killed with SIGKILL: the server ends its session and its lock with it
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from graph.postgres import AdvisoryLock\n"
            "held = AdvisoryLock(sys.argv[1], 'p'); held.acquire(); print('held', flush=True); time.sleep(600)",
            pg,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    with pytest.raises(Exception, match="advisory lock"):
        AdvisoryLock(pg, "p").acquire(timeout=0)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=30)
    again = AdvisoryLock(pg, "p", poll_interval=0.05)
    again.acquire(timeout=10)  # released by the server, not by the dead process
    again.release()
    assert talk(env, "add a shot of a cat after shot 1")["version"] == "v1.1"


def test_a_render_killed_on_postgres_is_finished_by_the_next_message(tmp_path: Path, pg: str) -> None:
    env = env_for(tmp_path, pg)
    talk(env, "make a 10 second video about a lighthouse in a storm")
    Killed(pg, "go ahead", '"stage": "render"', env=env)  # type: ignore[arg-type]
    then = talk(env, "go ahead")
    assert then["recovery"]["kind"] == "resumed" and then["recovery"]["repeated"]
    assert then["status"] == "rendered" and then["version"] == "v1.0"
    rendered_right(then)


def test_a_sqlite_thread_migrates_into_postgres_with_its_whole_history(tmp_path: Path, pg: str) -> None:
    from graph import build_graph, open_checkpointer

    db = tmp_path / "cinechat.sqlite"
    local = env_for(tmp_path) | {"CINECHAT_DB": str(db)}
    talk(local, "做一个关于雨后竹林的10秒视频")
    talk(local, "好的，生成吧")
    talk(local, "把最后一个镜头调暗一点")
    talk(local, "背景音乐换成钢琴")
    talk(local, "撤销")
    talk(local, "make a 6 second video about paper boats", thread="second")

    def history(location: Any, thread: str) -> list[tuple[str, dict[str, Any]]]:
        graph = build_graph(open_checkpointer(location))
        try:
            snaps = graph.get_state_history({"configurable": {"thread_id": thread}})
            return [(s.config["configurable"]["checkpoint_id"], s.values, s.next) for s in snaps]  # type: ignore[misc]
        finally:
            graph.checkpointer.conn.close()

    before = {t: history(db, t) for t in ("p", "second")}
    migrate = [sys.executable, "-m", "graph.cli", "migrate", str(db), pg, "--json"]
    proc = subprocess.run(migrate, capture_output=True, text=True, timeout=300, env=local, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    moved = json.loads(proc.stdout)
    assert sorted(moved["threads"]) == ["p", "second"] and moved["skipped"] == []
    assert moved["checkpoints"] == sum(len(h) for h in before.values())
    for thread, old in before.items():
        assert history(pg, thread) == old  # every checkpoint, in order, with the same values
    again = subprocess.run(migrate, capture_output=True, text=True, timeout=300, env=local, cwd=ROOT)
    assert sorted(json.loads(again.stdout)["skipped"]) == ["p", "second"]  # nothing doubled
    assert history(pg, "p") == before["p"]
    # the project goes on in PostgreSQL: redo, restore and history read the migrated versions
    scaled = env_for(tmp_path, pg)
    redone = talk(scaled, "重做")
    assert redone["version"] == "v1.2" and redone["error"] is None
    assert state(pg)["settings"]["music_instrument"] == "piano"
    first = talk(scaled, "回到v1.0")
    assert first["error"] is None and first["video"] and Path(first["video"]["path"]).is_file()
    listed = talk(scaled, "历史版本")["reply"]
    assert all(label in listed for label in ("v1.0", "v1.1", "v1.2"))
    assert chain_of(state(db))[:3] == ["v1.0", "v1.1", "v1.2"]  # the SQLite file is as it was


def test_health_and_backup_name_the_postgres_history(tmp_path: Path, pg: str) -> None:
    env = env_for(tmp_path, pg)
    proc = subprocess.run(
        [sys.executable, "-m", "graph.cli", "backup", str(tmp_path / "b")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )
    assert proc.returncode == 2 and "pg_dump" in proc.stderr and not (tmp_path / "b").exists()
    check = (
        "import json; from graph.chat_store import health; ok, checks = health();"
        " print(json.dumps([ok, checks['checkpoints']]))"
    )
    out = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, env=env, cwd=ROOT)
    assert json.loads(out.stdout) == [True, "ok"], out.stderr
    broken = env | {"CINECHAT_CHECKPOINTS": pg.rsplit("/", 1)[0] + "/no_such_database_here"}
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, env=broken, cwd=ROOT)
    ok, said = json.loads(out.stdout)
    assert not ok and said.startswith("error") and "127.0.0.1" not in said
    assert time.monotonic() - started < 60


def test_chat_data_layer_on_asyncpg_keeps_a_step_with_modes(pg: str) -> None:
    """Chainlit #2930: a step with a non-empty `modes` dict fails on asyncpg's JSONB. The app's
    data layer sends dicts as JSON text; the schema is the migration's."""
    import asyncio

    import psycopg
    from chainlit.user import User

    url = "postgresql+asyncpg://" + pg.split("://", 1)[1]
    env = {**os.environ, "CINECHAT_CHAT_DB": url}
    script = "from graph import chat_store; chat_store.create_tables(); chat_store.create_tables()"  # twice: idempotent
    subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=ROOT, timeout=120)
    from graph.chat_store import ChatDataLayer

    async def scenario() -> dict[str, Any]:
        from chainlit.context import init_http_context

        init_http_context()  # the data layer's writes look for a Chainlit session
        layer = ChatDataLayer(conninfo=url)
        user = await layer.create_user(User(identifier="carol", metadata={"role": "user"}))
        assert user is not None
        thread = str(uuid.uuid4())
        await layer.update_thread(thread, name="t", user_id=user.id, metadata={"a": 1}, tags=["x"])
        step = {
            "id": str(uuid.uuid4()),
            "threadId": thread,
            "name": "intent_router",
            "type": "tool",
            "streaming": False,
            "output": "create",
            "modes": {"model": "tiny-sd"},
            "metadata": {"k": "v"},
        }
        await layer.create_step(step)  # type: ignore[arg-type]
        found = await layer.get_thread(thread)
        await layer.engine.dispose()
        assert found is not None
        return dict(found)

    found = asyncio.run(scenario())
    assert [s["output"] for s in found["steps"]] == ["create"]
    with psycopg.connect(pg) as conn:
        modes = conn.execute("select modes from steps").fetchone()[0]  # type: ignore[index]
    assert modes == {"model": "tiny-sd"}
