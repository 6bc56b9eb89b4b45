"""Deleting a project's media: the files its checkpoints name that no other project's do.

Media are content-addressed and shared: two projects with the same shot use one clip, and
every version of a project shares what did not change. So a deleted project's files are
counted against every checkpoint left in the history (mark and sweep): a file goes only when
no remaining checkpoint of any thread names it. Whatever cannot be traced to a checkpoint (a
file no state names, such as diffusion frames) stays."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from tools.assets import AssetStore

log = logging.getLogger("cinechat.media")

KINDS = "clips|fallback|video|renders|voice|music|mix|master|storyboards|images|uploads|exports|compare|reports|stems"
_KEY = re.compile(rf"^(?:.*/)?({KINDS})/([^/]+)$")


def _walk(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        for v in value.values():
            _walk(v, found)
    elif isinstance(value, list | tuple):
        for v in value:
            _walk(v, found)
    elif isinstance(value, str) and "/" in value and len(value) < 400:
        match = _KEY.match(value)
        if match:  # a store key, or the absolute path an older database recorded
            found.add(f"{match.group(1)}/{match.group(2)}")


def referenced(values: dict[str, Any]) -> set[str]:
    """The store keys a state names: its files, and those it names by content key (the clips
    of its render and their analyses, the mix and master behind it)."""
    found: set[str] = set()
    _walk({k: v for k, v in values.items() if k != "messages"}, found)
    render = values.get("render") or {}
    for clip in render.get("clips") or []:
        found |= {f"clips/{clip}.mp4", f"reports/{clip}.json", f"reports/{clip}-fallback.json"}
    if render.get("mix"):
        found.add(f"mix/{render['mix']}.wav")
    if render.get("master_key"):
        found.add(f"master/{render['master_key']}.m4a")
    music = render.get("music_file")
    if isinstance(music, str) and music.endswith(".wav"):
        found.add(music[: -len(".wav")] + ".mid")  # the bed's MIDI, beside it
    return found


def _channel_values(saver: Any, config: dict[str, Any] | None) -> Iterable[tuple[str, dict[str, Any]]]:
    for item in saver.list(config):
        yield item.config["configurable"]["thread_id"], dict(item.checkpoint.get("channel_values") or {})


def thread_media(saver: Any, thread: str) -> set[str]:
    """Every store key any checkpoint of `thread` names."""
    found: set[str] = set()
    for _, values in _channel_values(saver, {"configurable": {"thread_id": thread}}):
        found |= referenced(values)
    return found


def release(saver: Any, candidates: set[str], store: AssetStore, gone: set[str] | None = None) -> list[str]:
    """Delete those of `candidates` that no checkpoint left in `saver` names (threads in `gone`
    are not counted: deleted, or being deleted); the keys deleted."""
    if not candidates:
        return []
    kept: set[str] = set()
    for thread, values in _channel_values(saver, None):
        if thread not in (gone or set()):
            kept |= referenced(values) & candidates
    deleted = sorted(candidates - kept)
    for key in deleted:
        store.delete(key)
    log.info("media: %d files released, %d shared with other projects", len(deleted), len(kept))
    return deleted
