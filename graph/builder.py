"""The cinechat graph: the intent router in front of the agents, joined by conditional edges."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import RetryPolicy

from graph.context import Context, checkpoints_location, parse_location
from graph.routing import (
    fan_out,
    route_after_edit,
    route_after_reply,
    route_after_review,
    route_after_script,
    route_after_versions,
    route_intent,
)
from graph.state import ProjectInput, ProjectState, ShotTask
from graph.versions import make_versions_node
from nodes.approval import approval
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


class SqliteCheckpointer(SqliteSaver):
    """LangGraph's SqliteSaver that also answers the async interface (`ainvoke`, `astream`,
    `aget_state`) by running each sync call in a worker thread, so one compiled graph serves
    both; the saver's own lock still orders the calls on its connection."""

    lock_dir: Path | None = None
    """Where the per-thread turn locks live: beside the database file."""

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """The checkpoint a config names, read in a worker thread."""
        return await asyncio.to_thread(self.get_tuple, config)

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        """The checkpoints matching a query, read in a worker thread."""
        found = await asyncio.to_thread(
            lambda: list(self.list(config, filter=filter, before=before, limit=limit))
        )
        for item in found:
            yield item

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Store a checkpoint, in a worker thread."""
        return await asyncio.to_thread(self.put, config, checkpoint, metadata, new_versions)

    async def aput_writes(
        self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = ""
    ) -> None:
        """Store a task's pending writes, in a worker thread."""
        await asyncio.to_thread(self.put_writes, config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        """Delete a thread's checkpoints and writes, in a worker thread."""
        await asyncio.to_thread(self.delete_thread, thread_id)


def open_checkpointer(path: str | Path | None = None) -> Any:
    """The checkpointer (the version history) at `path`: a SQLite file (the default,
    CINECHAT_CHECKPOINTS or CINECHAT_DB), sync and async, whose one connection is shared by the
    node threads behind the saver's lock; or, for a `postgresql://` address, LangGraph's
    PostgreSQL saver on a connection pool (graph/postgres.py)."""
    place = parse_location(path) if path else checkpoints_location()
    if isinstance(place, str):
        from graph.postgres import open_postgres

        return open_postgres(place)
    db = place
    db.parent.mkdir(parents=True, exist_ok=True)
    # several processes may write one file (two CLI turns on different threads, the web app):
    # a writer waits up to 30 s for another's transaction instead of failing at once
    conn = sqlite3.connect(str(db), check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")  # as the web app's saver: readers never wait (chat_store.JOURNAL)
    saver = SqliteCheckpointer(conn)
    saver.setup()
    saver.lock_dir = db.resolve().parent / ".locks"  # one turn at a time per thread (graph/turns.py)
    return saver


DEFAULT_SAVER: Any = object()
"""`build_graph`'s default: the SQLite checkpointer at the default path."""


def build_graph(
    checkpointer: BaseCheckpointSaver[Any] | None = DEFAULT_SAVER,
    *,
    context_schema: type[Any] = Context,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Compile the graph with a checkpointer: the SQLite file at the default path unless one is
    given, or none (`None`) for a LangGraph server, which attaches its own. `context_schema` is
    `Context` in-process; a served graph takes `ClientContext` (what a client may set)."""
    holder: dict[str, Any] = {}
    builder: StateGraph[Any, Any, Any, Any] = StateGraph(
        ProjectState, input_schema=ProjectInput, context_schema=context_schema
    )
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
    builder.add_node("approval", approval)

    builder.add_edge(START, "intent_router")
    builder.add_conditional_edges("intent_router", route_intent)
    builder.add_conditional_edges("script_writer", route_after_script)
    builder.add_conditional_edges("storyboard", fan_out, ["render_shot"])
    builder.add_edge("render_shot", "video_generator")
    builder.add_edge("video_generator", "audio")
    builder.add_edge("audio", "reviewer")
    builder.add_conditional_edges("editor", route_after_edit)
    builder.add_conditional_edges("reviewer", route_after_review, ["storyboard", "responder"])
    builder.add_conditional_edges("versions", route_after_versions)
    builder.add_conditional_edges("responder", route_after_reply, ["approval", END])
    builder.add_edge("approval", "intent_router")
    saver = open_checkpointer() if checkpointer is DEFAULT_SAVER else checkpointer
    compiled = builder.compile(checkpointer=saver, name="cinechat")
    holder["graph"] = compiled
    return compiled
