"""Shot renders on a Celery queue (CINECHAT_RENDER=celery): the chat process sends a clip's
render to a worker (`cinechat worker`) and waits for it, so long work never runs beside other
users' turns. Knows nothing of the graph.

- The task id is the clip's content key, and a Redis lock on that key means a clip is rendered
  once however many users ask for it at the same time: a second asker just waits.
- Renders with a diffusion model go to the `gpu` queue (a worker there runs one job at a time),
  the rest to `cpu`.
- Late acknowledgement with `task_reject_on_worker_lost` and a prefetch of one: a worker killed
  mid-job leaves its message unacknowledged, the broker hands it to another worker, and that
  worker renders it (the clip is committed to the store only when finished, so it is made once).
- Progress travels over Redis pub/sub. A lost message only costs a tick: whenever nothing
  arrives for a while, the waiting side looks at the store and the job itself.

The workers and the chat processes share the media store (CINECHAT_DATA: one machine or a
shared filesystem)."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from celery import Celery

from tools.assets import AssetStore
from tools.media import backend
from tools.project import ShotSpec

QUEUES = ("cpu", "gpu")


class RenderJobError(RuntimeError):
    """A queued render that failed on its worker, or that no worker finished in time."""


def mode() -> str:
    """Where shots render: CINECHAT_RENDER, `local` (in the chat process) or `celery`."""
    return os.environ.get("CINECHAT_RENDER", "local").strip().lower() or "local"


def broker_url() -> str:
    """The queue's broker: CINECHAT_BROKER_URL (Redis `redis://…` or RabbitMQ `amqp://…`)."""
    return os.environ.get("CINECHAT_BROKER_URL", "redis://127.0.0.1:6379/0")


def redis_url() -> str:
    """Redis for progress, locks and results: CINECHAT_REDIS_URL, else the broker when it is
    Redis, else Redis on localhost."""
    chosen = os.environ.get("CINECHAT_REDIS_URL")
    if chosen:
        return chosen
    broker = broker_url()
    return broker if broker.startswith(("redis://", "rediss://")) else "redis://127.0.0.1:6379/0"


def prefix() -> str:
    """The name space of queues, channels and locks: CINECHAT_QUEUE_PREFIX (cinechat)."""
    return os.environ.get("CINECHAT_QUEUE_PREFIX", "cinechat")


def queue_name(kind: str) -> str:
    """The broker queue of `cpu` or `gpu` renders."""
    if kind not in QUEUES:
        raise ValueError(f"unknown render queue {kind!r} (cpu or gpu)")
    return f"{prefix()}.{kind}"


def _timeout() -> float:
    return float(os.environ.get("CINECHAT_RENDER_TIMEOUT", "3600"))


def make_app() -> Celery:
    """The Celery application, configured from the environment."""
    # no result backend: Celery's Redis backend shares one connection between threads (celery
    # #4363), and the chat process waits on many renders at once. A job's result is a Redis key
    # of our own (`_result`), read through a thread-safe pool.
    app = Celery("cinechat", broker=broker_url())
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,  # acknowledged when done: a killed worker's job is handed on
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # a worker holds one job, never a queue of them
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        # Redis redelivers an unacknowledged job after this many seconds; longer than any
        # render, so a live job is never handed out twice
        broker_transport_options={
            "visibility_timeout": int(os.environ.get("CINECHAT_BROKER_VISIBILITY", "7200"))
        },
    )
    app.task(name="cinechat.render_clip", bind=True)(_render_task)
    return app


_apps: dict[tuple[str, str, str], Celery] = {}
_apps_lock = threading.RLock()


def current() -> Celery:
    """The application for the settings in force now (one per broker, Redis and prefix)."""
    chosen = (broker_url(), redis_url(), prefix())
    with _apps_lock:
        if chosen not in _apps:
            _apps[chosen] = make_app()
        return _apps[chosen]


_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def _redis() -> Any:
    """This process's Redis client for the settings in force (its pool is thread-safe; each
    waiting render has its own pub/sub connection)."""
    import redis

    url = redis_url()
    with _clients_lock:
        if url not in _clients:
            _clients[url] = redis.Redis.from_url(url, socket_timeout=10, health_check_interval=30)
        return _clients[url]


def _channel(key: str) -> str:
    return f"{prefix()}:progress:{key}"


def _lock(key: str) -> str:
    return f"{prefix()}:lock:{key}"


def _result(key: str) -> str:
    return f"{prefix()}:result:{key}"


def stats_key(key: str) -> str:
    """A Redis hash counting a clip's render attempts (`started`) and finished renders."""
    return f"{prefix()}:job:{key}"


def _publish(key: str, event: dict[str, Any]) -> None:
    try:
        _redis().publish(_channel(key), json.dumps(event))
    except Exception:  # progress is a courtesy: the waiter also watches the store
        pass


def _render_task(
    self: Any, spec: ShotSpec, image_path: str | None, data_dir: str, key: str, shot_id: str
) -> dict[str, Any]:
    """Worker side: render one clip into the shared store unless it is already there."""
    from tools.renderer import render_clip

    # with an object store, this machine's own cache folder (the asker's may not exist here)
    store = AssetStore(data_dir if backend() is None else os.environ.get("CINECHAT_DATA") or data_dir)
    r = _redis()
    if store.has("clips", key, "mp4"):
        info: dict[str, Any] = {"backend": "cache"}
    else:
        r.hincrby(stats_key(key), "started", 1)
        r.expire(stats_key(key), 24 * 3600)
        r.expire(_lock(key), int(_timeout()))  # the lock lives while a worker is on it
        tmp = store.tmp_path("clips", key, "mp4")

        def step(done: int, total: int) -> None:
            _publish(key, {"stage": "diffusion", "done": done, "total": total})

        try:
            image = store.local(image_path) if image_path else None
            info = render_clip(spec, tmp, image, step, store.root / "generated")
        except Exception as exc:
            tmp.unlink(missing_ok=True)
            error = f"{type(exc).__name__}: {exc}"
            r.set(_result(key), json.dumps({"state": "failed", "error": error}), ex=24 * 3600)
            _publish(key, {"state": "failed", "error": error})
            r.delete(_lock(key))
            raise
        if info.get("fallback"):  # an animatic stand-in is not what the spec asked for
            store.commit(tmp, "fallback", key, "mp4", shot=shot_id)
        else:
            store.commit(tmp, "clips", key, "mp4", shot=shot_id)
        r.hincrby(stats_key(key), "finished", 1)
        info = {**info, "worker": self.request.hostname or ""}
    r.set(_result(key), json.dumps({"state": "done", "info": info}), ex=24 * 3600)
    _publish(key, {"state": "done", "info": info})
    r.delete(_lock(key))
    return info


app = current()
"""The application `celery -A tools.jobs worker` and `cinechat worker` start."""


def _finished(store: AssetStore, key: str) -> dict[str, Any] | None:
    """The result of a job whose message was missed: the clip in the store, or the job's result
    once no worker holds its lock."""
    if store.has("clips", key, "mp4"):
        return {"backend": "queue"}
    r = _redis()
    if r.exists(_lock(key)):
        return None
    raw = r.get(_result(key))
    result = json.loads(raw) if raw else {}
    if result.get("state") == "done":
        info = dict(result.get("info") or {})
        if info.get("fallback") and store.has("fallback", key, "mp4"):
            return info
    if result.get("state") == "failed":
        raise RenderJobError(f"the render of clip {key} failed on its worker: {result.get('error')}")
    return None


def _submit(spec: ShotSpec, image_path: str | None, data_dir: str, key: str, shot_id: str) -> bool:
    """Send the job unless another asker already did (the Redis lock on the key)."""
    token = uuid.uuid4().hex
    if not _redis().set(_lock(key), token, nx=True, ex=int(_timeout())):
        return False
    _redis().delete(_result(key))  # a new job: an earlier one's outcome no longer says anything
    queue = queue_name("gpu" if spec.get("diffusion") else "cpu")
    current().send_task(
        "cinechat.render_clip",
        args=[spec, image_path, str(data_dir), key, shot_id],
        task_id=key,
        queue=queue,
        routing_key=queue,
    )
    return True


def render(
    spec: ShotSpec,
    image_path: str | None,
    data_dir: str | Path,
    key: str,
    shot_id: str,
    on_progress: Callable[[int, int], None] | None = None,
    poll: float = 2.0,
) -> dict[str, Any]:
    """Chat side: have a worker render the clip `key` and wait for it; returns the backend
    info, as an in-process render would. Raises RenderJobError on a failure or a timeout
    (CINECHAT_RENDER_TIMEOUT seconds, 3600)."""
    store = AssetStore(data_dir)
    if store.has("clips", key, "mp4"):
        return {"backend": "cache"}
    pubsub = _redis().pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(_channel(key))  # before sending, so the end is never missed
    try:
        _submit(spec, image_path, str(store.root), key, shot_id)
        deadline = time.monotonic() + _timeout()
        while time.monotonic() < deadline:
            message = pubsub.get_message(timeout=poll)
            if message is None:  # quiet: the message may be lost, or the job gone
                found = _finished(store, key)
                if found is not None:
                    return found
                if not _redis().exists(_lock(key)):  # no one holds it and no clip: send it again
                    _submit(spec, image_path, str(store.root), key, shot_id)
                continue
            event = json.loads(message["data"])
            if event.get("state") == "done":
                return dict(event.get("info") or {"backend": "queue"})
            if event.get("state") == "failed":
                raise RenderJobError(f"the render of clip {key} failed on its worker: {event.get('error')}")
            if on_progress and event.get("total"):
                on_progress(int(event["done"]), int(event["total"]))
        raise RenderJobError(f"no worker finished clip {key} in {_timeout():.0f} s")
    finally:
        pubsub.close()


def depth() -> dict[str, int]:
    """Jobs waiting in each render queue (the broker's own count)."""
    counts: dict[str, int] = {}
    with current().connection_for_read() as conn:
        channel = conn.default_channel
        for kind in QUEUES:
            try:
                _name, waiting, _consumers = channel.queue_declare(queue=queue_name(kind), passive=True)
            except Exception:  # not declared yet: no worker has started on it
                waiting = 0
                channel = conn.channel()
            counts[kind] = int(waiting)
    return counts


def health() -> str:
    """`ok` when the broker and Redis answer, else the error."""
    try:
        _redis().ping()
        with current().connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
        return "ok"
    except Exception as exc:
        return f"error: {type(exc).__name__}: {exc}"


def worker_argv(kind: str, concurrency: int | None = None, name: str | None = None) -> list[str]:
    """The `celery worker` arguments for one queue: the gpu queue runs one job at a time in the
    worker's own process (`-P solo -c 1`); the cpu queue forks one process per core."""
    queue = queue_name(kind)
    argv = [
        "worker",
        "-Q",
        queue,
        "--loglevel=INFO",
        "-n",
        f"{name or kind}-{os.getpid()}@%h",
        "--without-gossip",
        "--without-mingle",
    ]
    if kind == "gpu":
        return [*argv, "-P", "solo", "-c", "1"]
    return [*argv, "-P", "prefork", "-c", str(concurrency or os.cpu_count() or 2)]
