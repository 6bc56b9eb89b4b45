"""Moving version histories between checkpoint stores (`cinechat migrate`): every checkpoint of
every thread, oldest first, with its metadata, parent and pending writes, so the thread's
versions, undo, restore and replay work the same on the other side. Any saver pair works (a
SQLite file into PostgreSQL when a user outgrows one machine, or back)."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any, TypedDict


class Moved(TypedDict):
    """What a migration did."""

    threads: list[str]
    skipped: list[str]
    checkpoints: int
    writes: int
    seconds: float


def threads_of(saver: Any) -> list[str]:
    """Every thread id a saver holds, in the order first seen (newest checkpoint first)."""
    seen: dict[str, None] = {}
    for item in saver.list(None):
        seen.setdefault(item.config["configurable"]["thread_id"], None)
    return list(seen)


def has_thread(saver: Any, thread: str) -> bool:
    """Whether a saver holds any checkpoint of `thread`."""
    return next(iter(saver.list({"configurable": {"thread_id": thread}}, limit=1)), None) is not None


def copy_thread(source: Any, target: Any, thread: str) -> tuple[int, int]:
    """Copy one thread's checkpoints and pending writes; returns (checkpoints, writes)."""
    items = list(source.list({"configurable": {"thread_id": thread}}))
    writes = 0
    for item in reversed(items):  # oldest first: each checkpoint after its parent
        conf = item.config["configurable"]
        ns = conf.get("checkpoint_ns", "")
        parent: dict[str, Any] = {"thread_id": thread, "checkpoint_ns": ns}
        if item.parent_config and item.parent_config["configurable"].get("checkpoint_id"):
            parent["checkpoint_id"] = item.parent_config["configurable"]["checkpoint_id"]
        checkpoint = item.checkpoint
        saved = target.put(
            {"configurable": parent}, checkpoint, item.metadata, dict(checkpoint["channel_versions"])
        )
        by_task: dict[str, list[tuple[str, Any]]] = defaultdict(list)
        for task_id, channel, value in item.pending_writes or []:
            by_task[task_id].append((channel, value))
        for task_id, pending in by_task.items():
            target.put_writes(saved, pending, task_id)
            writes += len(pending)
    return len(items), writes


def migrate(source: Any, target: Any, threads: list[str] | None = None) -> Moved:
    """Copy `threads` (default: all) from `source` into `target`. A thread the target already
    holds is skipped, not merged: two histories of one thread would not be one history."""
    start = time.perf_counter()
    moved: Moved = {"threads": [], "skipped": [], "checkpoints": 0, "writes": 0, "seconds": 0.0}
    for thread in threads or threads_of(source):
        if has_thread(target, thread):
            moved["skipped"].append(thread)
            continue
        checkpoints, writes = copy_thread(source, target, thread)
        moved["threads"].append(thread)
        moved["checkpoints"] += checkpoints
        moved["writes"] += writes
    moved["seconds"] = round(time.perf_counter() - start, 3)
    return moved
