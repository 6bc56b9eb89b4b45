"""cinechat's LangGraph graph. `from graph import graph` gives the compiled graph with the
SQLite checkpointer at CINECHAT_DB (default checkpoints/cinechat.sqlite)."""

from __future__ import annotations

from typing import Any

from graph.builder import build_graph, open_checkpointer
from graph.context import Context

__all__ = ["Context", "build_graph", "graph", "open_checkpointer"]


def __getattr__(name: str) -> Any:
    # The module-level graph opens its database on first use, not at import time.
    if name == "graph":
        compiled = build_graph()
        globals()["graph"] = compiled
        return compiled
    raise AttributeError(name)
