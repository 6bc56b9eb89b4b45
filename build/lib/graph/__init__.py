"""cinechat's LangGraph graph. `from graph import graph` gives the compiled graph with the
SQLite checkpointer at CINECHAT_DB (default checkpoints/cinechat.sqlite); `classify` gives the
router's reading of a message without running a turn."""

from __future__ import annotations

from typing import Any

from graph.builder import build_graph, open_checkpointer
from graph.context import Context
from graph.state import ProjectState
from nodes.intent_router import decide

__all__ = ["Context", "build_graph", "classify", "graph", "open_checkpointer"]


def classify(text: str, state: ProjectState, context: Context | None = None) -> dict[str, Any]:
    """The router's decision for a message in a project state (intent, confidence, slots) and
    its notes, changing nothing."""
    analysis, notes = decide(text, state, context or Context())
    return {**analysis.as_dict(), "notes": notes}


def __getattr__(name: str) -> Any:
    # The module-level graph opens its database on first use, not at import time.
    if name == "graph":
        compiled = build_graph()
        globals()["graph"] = compiled
        return compiled
    raise AttributeError(name)
