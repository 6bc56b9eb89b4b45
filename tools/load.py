"""Degradation under load: a count of the shot renders running in this process, and the draft
settings a new render drops to while that backlog is over its threshold (the design
document's 降级策略: the chat keeps answering, renders get smaller and say so)."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Any

_lock = threading.Lock()
_rendering = 0

LOWER = {"2160p": "1080p", "1080p": "720p", "720p": "360p", "360p": "360p"}
DRAFT_FPS = 15


def threshold() -> int:
    """Shots rendering at once at which new renders degrade: CINECHAT_DEGRADE_BACKLOG (6, the
    node thread pool's size: every worker busy)."""
    try:
        return max(1, int(os.environ.get("CINECHAT_DEGRADE_BACKLOG", "6")))
    except ValueError:
        return 6


@contextlib.contextmanager
def rendering() -> Iterator[None]:
    """Count one shot render for as long as it runs."""
    global _rendering
    with _lock:
        _rendering += 1
    try:
        yield
    finally:
        with _lock:
            _rendering -= 1


def backlog() -> int:
    """Shot renders running now."""
    with _lock:
        return _rendering


def degraded(settings: dict[str, Any], running: int | None = None) -> dict[str, Any] | None:
    """The lower resolution and frame rate for a render started now, or None when the backlog
    is under the threshold (or the settings are already the draft ones)."""
    running = backlog() if running is None else running
    if running < threshold():
        return None
    resolution = str(settings.get("resolution", "1080p"))
    fps = int(settings.get("fps", 24))
    lower = {"resolution": LOWER.get(resolution, resolution), "fps": min(fps, DRAFT_FPS)}
    if lower == {"resolution": resolution, "fps": fps}:
        return None
    return {**settings, **lower}
