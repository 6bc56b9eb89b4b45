"""Fixtures: the media store of the session, a fresh graph per test, a chat on one thread and
the seed project rendered once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph import Context, build_graph, open_checkpointer
from tests.helpers import SEED, Say, turn


@pytest.fixture(autouse=True)
def closed_breakers() -> Iterator[None]:
    """Every test starts with the providers' circuit breakers closed (they are per process)."""
    from tools import breaker

    breaker.reset()
    yield


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One content-addressed store for the session, so identical shots render once."""
    return tmp_path_factory.mktemp("media")


@pytest.fixture
def app(tmp_path: Path, media_dir: Path) -> Iterator[Any]:
    """A graph on a fresh checkpoint database, with the session's media store as its context."""
    graph = build_graph(open_checkpointer(tmp_path / "cinechat.sqlite"))
    graph.test_context = Context(data_dir=str(media_dir), use_llm=False)  # type: ignore[attr-defined]
    yield graph


@pytest.fixture
def say(app: Any) -> Say:
    """A chat on the thread 't' of `app`."""
    return lambda text: turn(app, "t", text)


@pytest.fixture(scope="session")
def seed_project(tmp_path_factory: pytest.TempPathFactory, media_dir: Path) -> dict[str, Any]:
    """The seed's 30 s spring project rendered once for the session (graph, thread, states)."""
    db = tmp_path_factory.mktemp("seed") / "cinechat.sqlite"
    graph = build_graph(open_checkpointer(db))
    context = Context(data_dir=str(media_dir), use_llm=False)
    turn(graph, "seed", SEED, context)
    rendered = turn(graph, "seed", "继续生成", context)
    return {"graph": graph, "context": context, "db": db, "thread": "seed", "rendered": rendered}
