"""The graph as a LangGraph server loads it (`langgraph dev`, `langgraph up`, LangGraph
Platform): compiled eagerly at import, with no checkpointer of its own (the server attaches
its own, and versions are read through it), and a context a client may set only at user level
(`ClientContext`: format, language, voice, models from the server's list)."""

from __future__ import annotations

from graph.builder import build_graph
from graph.context import ClientContext

graph = build_graph(checkpointer=None, context_schema=ClientContext)

__all__ = ["graph"]
