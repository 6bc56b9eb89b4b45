"""The cinechat graph: the intent router in front of the agents, joined by conditional edges."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import RetryPolicy

from graph.context import Context, default_db_path
from graph.routing import fan_out, route_after_edit, route_after_review, route_after_script, route_intent
from graph.state import ProjectState, ShotTask
from graph.versions import make_versions_node
from nodes.audio import audio
from nodes.editor import editor
from nodes.intent_router import intent_router
from nodes.responder import responder
from nodes.reviewer import reviewer
from nodes.script_writer import script_writer
from nodes.storyboard import storyboard
from nodes.video_generator import render_shot, video_generator
from tools.ffmpeg import MediaError
from tools.tts import TTSError

# Rendering failures worth a second try: ffmpeg and espeak-ng runs, not programming errors.
MEDIA_RETRY = RetryPolicy(
    max_attempts=3, initial_interval=0.2, jitter=False, retry_on=(MediaError, TTSError, OSError)
)


def open_checkpointer(path: str | Path | None = None) -> SqliteSaver:
    """The SQLite checkpointer (the version history) at `path`; nodes run in a thread pool,
    so the connection is shared across threads behind the saver's lock."""
    db = Path(path or default_db_path())
    db.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(db), check_same_thread=False)
    saver = SqliteSaver(conn)
    saver.setup()
    return saver


def build_graph(
    checkpointer: BaseCheckpointSaver[Any] | None = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Compile the graph with a checkpointer (a SQLite file at the default path if none)."""
    holder: dict[str, Any] = {}
    builder: StateGraph[Any, Any, Any, Any] = StateGraph(ProjectState, context_schema=Context)
    builder.add_node("intent_router", intent_router)
    builder.add_node("script_writer", script_writer)
    builder.add_node("storyboard", storyboard)
    # render_shot takes the Send payload (ShotTask), not the state; its input schema says so.
    builder.add_node(
        "render_shot",
        render_shot,  # type: ignore[arg-type]
        input_schema=ShotTask,
        retry_policy=MEDIA_RETRY,
    )
    builder.add_node("video_generator", video_generator, retry_policy=MEDIA_RETRY)
    builder.add_node("audio", audio, retry_policy=MEDIA_RETRY)
    builder.add_node("editor", editor, retry_policy=MEDIA_RETRY)
    builder.add_node("reviewer", reviewer)
    builder.add_node("versions", make_versions_node(lambda: holder["graph"]))  # type: ignore[arg-type]
    builder.add_node("responder", responder)

    builder.add_edge(START, "intent_router")
    builder.add_conditional_edges("intent_router", route_intent)
    builder.add_conditional_edges("script_writer", route_after_script)
    builder.add_conditional_edges("storyboard", fan_out, ["render_shot"])
    builder.add_edge("render_shot", "video_generator")
    builder.add_edge("video_generator", "audio")
    builder.add_edge("audio", "reviewer")
    builder.add_conditional_edges("editor", route_after_edit)
    builder.add_conditional_edges("reviewer", route_after_review, ["storyboard", "responder"])
    builder.add_edge("versions", "responder")
    builder.add_edge("responder", END)
    compiled = builder.compile(checkpointer=checkpointer or open_checkpointer(), name="cinechat")
    holder["graph"] = compiled
    return compiled
