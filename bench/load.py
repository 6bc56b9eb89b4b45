"""Load test of the chat app (`make load`): many Chainlit sessions sending simple turns, bounded
and on loopback only.

It starts the app itself: embedded mode (`cinechat ui`, one process, the SQLite history) or
scaled mode (`cinechat ui --workers N` behind HAProxy, the PostgreSQL history in a database it
makes and drops). One user logs in once (POST /login); every session is its own socket.io
client (python-socketio's AsyncClient), pinned to a worker by the balancer's cookie like a
browser, that connects, starts a chat and sends turns. A turn is timed from the message until
the server's `task_end` for it. Turns are sent at a fixed aggregate rate to idle sessions.

Prints one line per run: `mode=… processes=N sessions=N turns=N turns_per_s=… p50=… p95=…
errors=…`, and stores the runs in bench/results.json under "load". A mixed run makes 5% of
the turns renders ("go ahead" on a session that has a 6 s script, written before the run)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph.cli import free_port  # noqa: E402
from tools.procs import tied  # noqa: E402
from tools.users import add_user  # noqa: E402

SIMPLE = ["help", "帮助", "what can you do?", "你能做什么", "show me the version history", "看看历史版本"]
"""Simple turns: each runs the router and a reply, no writing and no rendering."""


@contextlib.contextmanager
def app(mode: str, workers: int, home: Path, render: str = "local") -> Iterator[str]:
    """The running app's address; everything it started is stopped afterwards. With `render`
    celery, the shots render on one `cinechat worker` (one render at a time, Redis broker)."""
    add_user(home / "users.sqlite", "load", "load-password")
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "CINECHAT_DB")}
    env |= {
        "CINECHAT_HOME": str(home),
        "CINECHAT_STATE": str(home),
        "CINECHAT_RESOLUTION": "360p",
        "CHAINLIT_AUTH_SECRET": "load-secret-" + "z" * 40,
    }
    port = free_port()
    command = [sys.executable, "-m", "graph.cli", "ui", "--port", str(port)]
    with contextlib.ExitStack() as stack:
        if mode == "scaled":
            from tests.test_scaled import new_database

            env["CINECHAT_CHECKPOINTS"] = stack.enter_context(new_database())
            command += ["--workers", str(workers)]
        if render == "celery":
            prefix = f"cinechat-load-{uuid.uuid4().hex[:8]}"
            env |= {
                "CINECHAT_RENDER": "celery",
                "CINECHAT_BROKER_URL": "redis://127.0.0.1:6379/12",
                "CINECHAT_QUEUE_PREFIX": prefix,
            }
            worker_log = stack.enter_context(open(home / "worker.log", "w"))
            worker = subprocess.Popen(
                tied([sys.executable, "-m", "graph.cli", "worker", "--queues", "cpu", "--concurrency", "1"]),
                cwd=ROOT,
                env=env,
                stdout=worker_log,
                stderr=subprocess.STDOUT,
            )
            stack.callback(_forget_queue, prefix)
            stack.callback(worker.wait, 60)
            stack.callback(worker.terminate)
        log = stack.enter_context(open(home / "app.log", "w"))
        proc = subprocess.Popen(tied(command), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 180
        while True:
            try:
                urllib.request.urlopen(url + "/healthz", timeout=2)
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    proc.kill()
                    raise RuntimeError((home / "app.log").read_text()[-3000:]) from None
                time.sleep(0.5)
        try:
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=60)


def _forget_queue(prefix: str) -> None:
    """Remove a run's render queue and keys from Redis."""
    import redis

    r = redis.Redis.from_url("redis://127.0.0.1:6379/12")
    for pattern in (f"{prefix}*", f"_kombu.binding.{prefix}*"):
        for key in r.scan_iter(pattern):
            r.delete(key)


def login(url: str) -> str:
    """The auth cookies of one login (Chainlit's access token, possibly in chunks)."""
    body = urllib.parse.urlencode({"username": "load", "password": "load-password"}).encode()
    request = urllib.request.Request(url + "/login", data=body, method="POST")
    with urllib.request.urlopen(request, timeout=30) as reply:
        cookies = [c.split(";")[0] for c in reply.headers.get_all("Set-Cookie") or []]
    return "; ".join(c for c in cookies if c.startswith("access_token"))


def worker_cookie(url: str) -> str:
    """The balancer's cookie for a new client (none in embedded mode)."""
    with urllib.request.urlopen(url + "/healthz", timeout=10) as reply:
        found = [c.split(";")[0] for c in reply.headers.get_all("Set-Cookie") or []]
    return "; ".join(c for c in found if c.startswith("CINECHAT_WORKER"))


class Chat:
    """One Chainlit session over socket.io."""

    def __init__(self, url: str, cookie: str) -> None:
        import socketio

        self.url, self.cookie = url, cookie
        self.sio = socketio.AsyncClient(reconnection=False)
        self.ended = asyncio.Event()
        self.busy = False
        self.replies = 0
        self.outputs: list[str] = []
        self.task_ends = 0
        self.sio.on("task_end", self._task_end)
        self.sio.on("new_message", self._message)

    async def _task_end(self, *_: Any) -> None:
        self.task_ends += 1
        self.ended.set()

    async def _message(self, step: Any, *_: Any) -> None:
        if isinstance(step, dict) and step.get("type") == "assistant_message" and step.get("output"):
            self.replies += 1
            self.outputs.append(str(step["output"]))

    async def connect(self) -> None:
        auth = {"sessionId": str(uuid.uuid4()), "clientType": "webapp", "threadId": None, "userEnv": "{}"}
        await self.sio.connect(
            self.url,
            socketio_path="/ws/socket.io",
            headers={"Cookie": self.cookie},
            auth=auth,
            wait_timeout=60,
        )
        self.ended.clear()
        await self.sio.emit("connection_successful")
        # ready after two task_ends: the connection's, then the chat start's (its settings)
        deadline = time.monotonic() + 60
        while self.task_ends < 2:
            self.ended.clear()
            if self.task_ends >= 2:
                break
            await asyncio.wait_for(self.ended.wait(), max(0.1, deadline - time.monotonic()))

    async def turn(self, text: str, timeout: float = 300) -> float:
        """Send one message; seconds until its task ended."""
        self.busy = True
        try:
            self.ended.clear()
            message = {
                "id": str(uuid.uuid4()),
                "threadId": "",
                "name": "load",
                "type": "user_message",
                "output": text,
                "createdAt": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            }
            before = self.replies
            start = time.perf_counter()
            await self.sio.emit("client_message", {"message": message, "fileReferences": []})
            await asyncio.wait_for(self.ended.wait(), timeout)
            took = time.perf_counter() - start
            if self.replies == before:
                raise RuntimeError("the turn ended without a reply")
            return took
        finally:
            self.busy = False

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.sio.disconnect()


async def run(url: str, sessions: int, rate: float, seconds: float, render_share: float) -> dict[str, Any]:
    """Open `sessions` chats, then send turns at `rate` per second for `seconds`."""
    token = login(url)
    chats: list[Chat] = []
    errors = 0
    opened = time.perf_counter()
    for start in range(0, sessions, 50):  # connect in batches, as users arrive
        batch = [
            Chat(url, "; ".join(c for c in (token, worker_cookie(url)) if c))
            for _ in range(start, min(sessions, start + 50))
        ]
        results = await asyncio.gather(*(c.connect() for c in batch), return_exceptions=True)
        for chat, result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                errors += 1
            else:
                chats.append(chat)
    connect_s = time.perf_counter() - opened
    renders: list[Chat] = []
    total = int(rate * seconds)
    if render_share > 0:  # sessions with a script waiting, whose "go ahead" renders
        wanted = max(1, round(total * render_share))
        asked = chats[:wanted]
        written = await asyncio.gather(
            *(c.turn("make a 6 second video about a paper boat on a pond") for c in asked),
            return_exceptions=True,
        )
        renders = [c for c, w in zip(asked, written, strict=True) if not isinstance(w, BaseException)]
        errors += len(asked) - len(renders)
    simple = [c for c in chats if c not in renders]
    latencies: list[float] = []
    render_latencies: list[float] = []
    pending: list[asyncio.Task[None]] = []
    rng = random.Random(7)
    render_slots = set(rng.sample(range(total), len(renders))) if renders else set()

    async def one(chat: Chat, text: str, into: list[float]) -> None:
        nonlocal errors
        try:
            into.append(await chat.turn(text))
        except Exception:
            errors += 1

    began = time.perf_counter()
    skipped = 0
    for i in range(total):
        await asyncio.sleep(max(0.0, began + i / rate - time.perf_counter()))
        if i in render_slots:
            pending.append(asyncio.create_task(one(renders.pop(), "go ahead", render_latencies)))
            continue
        idle = [c for c in simple if not c.busy]
        if not idle:
            skipped += 1  # every session busy: the app is not keeping up
            continue
        pending.append(asyncio.create_task(one(rng.choice(idle), rng.choice(SIMPLE), latencies)))
    await asyncio.gather(*pending)
    elapsed = time.perf_counter() - began
    await asyncio.gather(*(c.close() for c in chats))
    ordered = sorted(latencies)

    def pct(p: float) -> float | None:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 3) if ordered else None

    return {
        "sessions": sessions,
        "connected": len(chats),
        "connect_s": round(connect_s, 1),
        "turns": len(latencies),
        "renders": len(render_latencies),
        "render_p50": round(statistics.median(render_latencies), 2) if render_latencies else None,
        "turns_per_s": round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        "p50": pct(0.5),
        "p95": pct(0.95),
        "errors": errors,
        "skipped": skipped,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["embedded", "scaled"], default="embedded")
    parser.add_argument("--workers", type=int, default=2, help="chat processes in scaled mode")
    parser.add_argument("--sessions", type=int, nargs="+", default=[100, 500, 1000])
    parser.add_argument("--rate", type=float, default=50.0, help="turns per second, all sessions together")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long turns are sent")
    parser.add_argument("--mixed", action="store_true", help="also a run where 5%% of the turns render")
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results.json")
    parser.add_argument("--render", choices=["local", "celery"], default="local", help="where shots render")
    args = parser.parse_args()
    runs = []
    plan = [(n, 0.0) for n in args.sessions] + ([(min(args.sessions), 0.05)] if args.mixed else [])
    for sessions, share in plan:
        with (
            tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp,
            app(args.mode, args.workers, Path(tmp), args.render) as url,
        ):
            result = asyncio.run(run(url, sessions, args.rate, args.seconds, share))
        processes = args.workers if args.mode == "scaled" else 1
        result = {
            "mode": args.mode,
            "processes": processes,
            "rate": args.rate,
            "render_share": share,
            "render": args.render,
            **result,
        }
        runs.append(result)
        print(
            f"mode={args.mode} render={args.render} processes={processes} sessions={sessions} renders={result['renders']}"
            f" turns={result['turns']} turns_per_s={result['turns_per_s']} p50={result['p50']}"
            f" p95={result['p95']} errors={result['errors']} skipped={result['skipped']}",
            flush=True,
        )
    if not args.no_save:
        out = ROOT / "bench" / "results.json"
        results = json.loads(out.read_text()) if out.exists() else {}
        load = results.setdefault("load", {})
        for r in runs:
            rate = "" if r["rate"] == 50.0 else f"-{r['rate']:g}per_s"
            load[
                f"{r['mode']}-{r['processes']}p-{r['sessions']}s{rate}{'-mixed' if r['render_share'] else ''}"
                + ("-celery" if r["render"] == "celery" else "")
            ] = r
        out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
