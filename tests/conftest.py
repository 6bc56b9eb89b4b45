from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from graph import Context, build_graph, open_checkpointer

Say = Callable[[str], dict[str, Any]]


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One content-addressed store for the session, so identical shots render once."""
    return tmp_path_factory.mktemp("media")


@pytest.fixture
def app(tmp_path: Path, media_dir: Path) -> Iterator[Any]:
    graph = build_graph(open_checkpointer(tmp_path / "cinechat.sqlite"))
    graph.test_context = Context(data_dir=str(media_dir), use_llm=False)  # type: ignore[attr-defined]
    yield graph


def turn(graph: Any, thread: str, text: str, context: Context | None = None) -> dict[str, Any]:
    config = {"configurable": {"thread_id": thread}}
    graph.invoke({"messages": [HumanMessage(content=text)]}, config, context=context or graph.test_context)
    return dict(graph.get_state(config).values)


@pytest.fixture
def say(app: Any) -> Say:
    return lambda text: turn(app, "t", text)


def ffprobe(path: str | Path) -> dict[str, Any]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


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


def project(values: dict[str, Any]) -> dict[str, Any]:
    """The project part of the state (what bad input must leave unchanged)."""
    return {k: values.get(k) for k in PROJECT_KEYS}


SEED = "我想创建一个关于春天的30秒短视频，风格要温馨治愈"


@pytest.fixture(scope="session")
def seed_project(tmp_path_factory: pytest.TempPathFactory, media_dir: Path) -> dict[str, Any]:
    """The seed's 30 s spring project rendered once for the session (graph, thread, states)."""
    db = tmp_path_factory.mktemp("seed") / "cinechat.sqlite"
    graph = build_graph(open_checkpointer(db))
    context = Context(data_dir=str(media_dir), use_llm=False)
    turn(graph, "seed", SEED, context)
    rendered = turn(graph, "seed", "继续生成", context)
    return {"graph": graph, "context": context, "db": db, "thread": "seed", "rendered": rendered}


def shot_spans(values: dict[str, Any]) -> list[tuple[float, float]]:
    """(start, end) of each planned shot of a state."""
    return [(p["start"], p["end"]) for p in values["plan"]]
