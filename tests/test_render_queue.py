"""Shot renders on Celery workers (CINECHAT_RENDER=celery) against the machines' real RabbitMQ
and Redis: real `cinechat worker` processes, real `cinechat say` turns. A project renders on
the queue by the setting alone; two askers of one clip get one render; a worker killed (its
whole process group, SIGKILL) in the middle of a job loses nothing: the broker hands the job
to the next worker, which renders it once. Each test has its own queue names, Redis keys
(a prefix, on its own Redis database number) and media, and removes them afterwards."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.test_scaled import talk
from tests.test_turns import ROOT, rendered_right, state

RABBIT = os.environ.get("CINECHAT_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672//")
REDIS = os.environ.get("CINECHAT_TEST_REDIS", "redis://127.0.0.1:6379/11")


def queue_env(home: Path, broker: str = RABBIT) -> dict[str, str]:
    """A scaled environment with renders on the queue, under a name space of its own."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "CINECHAT_DB")}
    return env | {
        "CINECHAT_HOME": str(home),
        "CINECHAT_RESOLUTION": "360p",
        "CINECHAT_RENDER": "celery",
        "CINECHAT_BROKER_URL": broker,
        "CINECHAT_REDIS_URL": REDIS,
        "CINECHAT_QUEUE_PREFIX": f"cinechat-test-{uuid.uuid4().hex[:10]}",
        "CINECHAT_RENDER_TIMEOUT": "300",
    }


def redis_client() -> Any:
    import redis

    return redis.Redis.from_url(REDIS)


@contextlib.contextmanager
def cleaned(env: dict[str, str]) -> Iterator[None]:
    """Remove the test's Redis keys and broker queues afterwards."""
    try:
        yield
    finally:
        r = redis_client()
        prefix = env["CINECHAT_QUEUE_PREFIX"]
        for pattern in (f"{prefix}*", f"_kombu.binding.{prefix}*", f"_kombu.binding_permanent.{prefix}*"):
            for key in r.scan_iter(pattern):
                r.delete(key)
        if env["CINECHAT_BROKER_URL"].startswith("amqp"):
            from kombu import Connection

            with Connection(env["CINECHAT_BROKER_URL"]) as conn:
                for kind in ("cpu", "gpu"):
                    with contextlib.suppress(Exception):
                        conn.channel().queue_delete(f"{env['CINECHAT_QUEUE_PREFIX']}.{kind}")


class Worker:
    """A `cinechat worker` in a session of its own (so it can be killed whole), ready when its
    log says so."""

    def __init__(self, env: dict[str, str], log: Path, kind: str = "cpu", concurrency: int = 1) -> None:
        self.log = log
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "graph.cli",
                "worker",
                "--queues",
                kind,
                "--concurrency",
                str(concurrency),
            ],
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while " ready." not in log.read_text(errors="replace"):
            assert self.proc.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "the worker never became ready"
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL to the worker and every process it started (a machine that dies)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.kill()


def counts(env: dict[str, str]) -> dict[str, dict[str, int]]:
    """Each clip's render attempts and finished renders, as the workers counted them."""
    r, prefix = redis_client(), env["CINECHAT_QUEUE_PREFIX"]
    out = {}
    for name in r.scan_iter(f"{prefix}:job:*"):
        fields = {k.decode(): int(v) for k, v in r.hgetall(name).items()}
        out[name.decode().rsplit(":", 1)[1]] = fields
    return out


def test_a_project_renders_on_the_queue_by_the_setting_alone(tmp_path: Path) -> None:
    env = queue_env(tmp_path)
    with cleaned(env):
        worker = Worker(env, tmp_path / "worker.log", concurrency=2)
        try:
            talk(env, "make a 10 second video about a bakery at dawn, cosy")
            made = talk(env, "go ahead")
            assert made["status"] == "rendered" and made["error"] is None
            rendered_right(made)
            jobs = counts(env)
            clips = state(tmp_path / "cinechat.sqlite")["render"]["clips"]
            assert set(clips) <= set(jobs)  # every clip went through a worker…
            assert all(jobs[k] == {"started": 1, "finished": 1} for k in clips)  # …once
            log = (tmp_path / "worker.log").read_text(errors="replace")
            assert all(f"cinechat.render_clip[{k}] succeeded" in log for k in clips)  # task id = key
            # the same picture asked for again from another project: the store has every clip
            again = talk(env, "make a 10 second video about a bakery at dawn, cosy", "q")
            assert again["status"] == "awaiting_approval"
            other = talk(env, "go ahead", "q")
            assert state(tmp_path / "cinechat.sqlite", "q")["render"]["clips"] == clips
            assert other["video"]["rendered"] == 0
            assert counts(env) == jobs
        finally:
            worker.stop()


def _spec(seed: int) -> dict[str, Any]:
    from tests.test_renderer import _spec as small_spec

    return small_spec(seed=seed, frames=36, description="a red kite over a green hill")


def in_process(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """This process's render settings: the test's queue, Redis keys and timeout."""
    for name in (
        "CINECHAT_BROKER_URL",
        "CINECHAT_REDIS_URL",
        "CINECHAT_QUEUE_PREFIX",
        "CINECHAT_RENDER_TIMEOUT",
    ):
        monkeypatch.setenv(name, env[name])


def test_two_askers_of_one_clip_get_one_render(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = queue_env(tmp_path)
    in_process(env, monkeypatch)
    from tools import jobs
    from tools.assets import AssetStore, content_key

    with cleaned(env):
        worker = Worker(env, tmp_path / "worker.log", concurrency=2)
        try:
            spec = _spec(uuid.uuid4().int % 1000)
            key = content_key(spec, salt="queue-test")
            store = tmp_path / "media"
            results: list[dict[str, Any]] = []
            progress: list[tuple[int, int]] = []

            def ask() -> None:
                results.append(
                    jobs.render(spec, None, store, key, "s1", lambda d, t: progress.append((d, t)))
                )

            askers = [threading.Thread(target=ask) for _ in range(3)]
            for t in askers:
                t.start()
            for t in askers:
                t.join(timeout=120)
            assert len(results) == 3 and all(r["backend"] in ("animatic", "queue", "cache") for r in results)
            assert counts(env)[key] == {"started": 1, "finished": 1}
            assert AssetStore(store).has("clips", key, "mp4")
            assert jobs.depth() == {"cpu": 0, "gpu": 0}
            assert jobs.health() == "ok"
        finally:
            worker.stop()


def test_a_failed_render_is_reported_not_waited_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = queue_env(tmp_path)
    in_process(env, monkeypatch)
    from tools import jobs
    from tools.assets import AssetStore

    with cleaned(env):
        worker = Worker(env, tmp_path / "worker.log")
        try:
            bad = {**_spec(1), "width": "not a number"}
            started = time.monotonic()
            with pytest.raises(jobs.RenderJobError, match="failed on its worker"):
                jobs.render(bad, None, tmp_path / "media", "badclip", "s1")
            assert time.monotonic() - started < 60  # told, not left to the timeout
            assert not AssetStore(tmp_path / "media").has("clips", "badclip", "mp4")
        finally:
            worker.stop()


def test_a_killed_worker_loses_no_render(tmp_path: Path) -> None:
    env = queue_env(tmp_path) | {"CINECHAT_RESOLUTION": "720p"}  # long enough to kill mid-job
    with cleaned(env):
        first = Worker(env, tmp_path / "first.log")
        second = None
        try:
            talk(env, "make a 12 second video about paper boats on a rainy street")
            turn = subprocess.Popen(
                [sys.executable, "-m", "graph.cli", "say", "--thread", "p", "--json", "--quiet", "go ahead"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                cwd=ROOT,
            )
            deadline = time.monotonic() + 120
            while not any(c.get("started") for c in counts(env).values()):
                assert turn.poll() is None and time.monotonic() < deadline, (
                    turn.stderr.read() if turn.stderr else ""
                )
                time.sleep(0.1)
            time.sleep(0.5)  # inside the job's ffmpeg
            busy = [k for k, c in counts(env).items() if c.get("started") and not c.get("finished")]
            first.kill()
            assert busy, "the kill came after the job ended"
            second = Worker(env, tmp_path / "second.log")
            out, err = turn.communicate(timeout=300)
            assert turn.returncode == 0, err[-3000:]
            import json

            made = json.loads(out)
            assert made["status"] == "rendered" and made["error"] is None
            rendered_right(made)
            jobs = counts(env)
            for key in state(tmp_path / "cinechat.sqlite")["render"]["clips"]:
                assert jobs[key]["finished"] == 1  # made once…
            for key in busy:
                assert jobs[key]["started"] == 2  # …the killed job by the next worker
            assert any(k in (tmp_path / "second.log").read_text(errors="replace") for k in busy)
        finally:
            first.stop()
            if second:
                second.stop()


def test_health_names_a_render_queue_that_does_not_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from graph import chat_store
    from graph.cli import free_port

    monkeypatch.setenv("CINECHAT_HOME", str(tmp_path))
    monkeypatch.setenv("CINECHAT_RENDER", "celery")
    monkeypatch.setenv(
        "CINECHAT_BROKER_URL", f"amqp://guest:guest@127.0.0.1:{free_port()}//"
    )  # nothing there
    monkeypatch.setenv("CINECHAT_REDIS_URL", REDIS)
    ok, checks = chat_store.health()
    assert not ok and checks["render_queue"].startswith("error")
    monkeypatch.setenv("CINECHAT_BROKER_URL", RABBIT)
    ok, checks = chat_store.health()
    assert ok and checks["render_queue"] == "ok", checks
