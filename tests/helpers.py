"""Helpers shared by the tests: a chat turn, ffprobe, the project part of a state, the seed
request and the planned shots' spans."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain_core.messages import HumanMessage

from graph import Context
from graph.state import turn_input
from tools.assets import AssetStore

Say = Callable[[str], dict[str, Any]]
"""A chat turn on one thread: the user's words in, the state after the turn out."""

SEED = "我想创建一个关于春天的30秒短视频，风格要温馨治愈"
"""The design document's first request: a 30 s warm spring video."""

PROJECT_KEYS = (
    "script",
    "settings",
    "render",
    "version",
    "status",
    "undo_stack",
    "redo_stack",
    "version_counter",
)
"""The state fields that make up the project (what bad input must leave unchanged)."""


RENDER_FILES = ("path", "srt", "stems", "master", "picture", "music_file")
OUTCOME_FILES = ("path", "srt", "storyboard")


def on_disk(values: dict[str, Any], data_dir: str | Path) -> dict[str, Any]:
    """A state with the store keys of its render's and outcome's files as whole local paths
    (the state records keys; the tests look at the files)."""
    store = AssetStore(data_dir)
    values = dict(values)
    for field, names in (("render", RENDER_FILES), ("outcome", OUTCOME_FILES)):
        part = dict(values.get(field) or {})
        for name in names:
            if isinstance(part.get(name), str) and part[name]:
                part[name] = str(store.local(part[name]))
        if isinstance(part.get("image"), dict) and part["image"].get("path"):
            part["image"] = {**part["image"], "path": str(store.local(part["image"]["path"]))}
        if values.get(field) is not None:
            values[field] = part
    return values


def turn(graph: Any, thread: str, text: str, context: Context | None = None) -> dict[str, Any]:
    """One chat turn on `thread` as the faces send it (the answer that resumes a script waiting
    for approval, else a new input), and the state after it, its files as local paths."""
    config = {"configurable": {"thread_id": thread}}
    message = HumanMessage(content=text)
    context = context or graph.test_context
    graph.invoke(turn_input(graph.get_state(config), message), config, context=context)
    return on_disk(dict(graph.get_state(config).values), context.data_dir)


def ffprobe(path: str | Path) -> dict[str, Any]:
    """ffprobe's JSON description of a media file (format and streams)."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def project(values: dict[str, Any]) -> dict[str, Any]:
    """The project part of the state (what bad input must leave unchanged)."""
    return {k: values.get(k) for k in PROJECT_KEYS}


def shot_spans(values: dict[str, Any]) -> list[tuple[float, float]]:
    """(start, end) of each planned shot of a state."""
    return [(p["start"], p["end"]) for p in values["plan"]]


def absolute_paths(value: Any, found: list[str] | None = None, where: str = "") -> list[str]:
    """Every string of a state that is an absolute path, but the files the user attached as
    they were uploaded (the messages carry them, and this turn's intent names them for the
    node that copies them in). The state records store keys instead."""
    found = [] if found is None else found
    attached = {
        str(a.get("path"))
        for m in (value.get("messages") or [] if isinstance(value, dict) and not where else [])
        for a in (getattr(m, "additional_kwargs", None) or {}).get("attachments") or []
    }
    _absolute(value, found, where, attached)
    return found


def _absolute(value: Any, found: list[str], where: str, attached: set[str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            if k != "messages":
                _absolute(v, found, f"{where}.{k}", attached)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _absolute(v, found, f"{where}[{i}]", attached)
    elif isinstance(value, str) and value not in attached:
        if re.match(r"/[^/\s]+/\S", value) or "/tmp/" in value:
            found.append(f"{where}={value}")


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made now with openssl, valid for a day."""
    import subprocess

    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key
