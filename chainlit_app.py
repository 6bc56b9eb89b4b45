"""The Chainlit face of cinechat: each chat is a LangGraph thread; every node run is shown as
a step, and the rendered video appears in the chat. It only talks to the compiled graph."""

from __future__ import annotations

import asyncio
import queue
import threading
from pathlib import Path
from typing import Any

import chainlit as cl
from langchain_core.messages import HumanMessage

from graph import Context, build_graph
from graph.progress import progress_text
from tools.text import detect_language

_graph: Any = None
SHOWS_VIDEO = {"generate", "edit_visual", "edit_audio", "undo", "redo", "restore"}


def get_graph() -> Any:
    """The compiled graph with the default SQLite checkpointer, made once per process."""
    global _graph
    if _graph is None:
        _graph = build_graph()
    return _graph


def _stream_in_thread(text: str, thread_id: str, out: queue.Queue[Any]) -> None:
    """Run one turn off the event loop, passing each streamed event to `out`."""
    try:
        for item in get_graph().stream(
            {"messages": [HumanMessage(content=text)]},
            {"configurable": {"thread_id": thread_id}},
            context=Context(),
            stream_mode=["updates", "custom"],
        ):
            out.put(item)
    except Exception as exc:  # shown in the chat, never swallowed
        out.put(("error", exc))
    finally:
        out.put(None)


@cl.on_chat_start
async def start() -> None:
    """Greet in both languages."""
    await cl.Message(content="🎬 cinechat — 描述您想要的视频 / describe the video you want.").send()


@cl.on_message
async def on_message(message: cl.Message) -> None:
    """One chat turn: stream node updates as steps and progress, then reply with the video."""
    thread_id = cl.context.session.thread_id
    events: queue.Queue[Any] = queue.Queue()
    threading.Thread(target=_stream_in_thread, args=(message.content, thread_id, events), daemon=True).start()
    progress = cl.Message(content="⏳")
    await progress.send()
    while True:
        item = await asyncio.to_thread(events.get)
        if item is None:
            break
        mode, chunk = item
        if mode == "error":
            await cl.Message(content=f"⚠️ {chunk}").send()
            break
        if mode == "custom":
            progress.content = progress_text(chunk, detect_language(message.content, default="zh"))
            await progress.update()
            continue
        for node, update in (chunk or {}).items():
            async with cl.Step(name=node, type="tool") as step:
                step.input = message.content if node == "intent_router" else ""
                keys = sorted((update or {}).keys()) if isinstance(update, dict) else []
                step.output = ", ".join(keys)
    await progress.remove()
    values = get_graph().get_state({"configurable": {"thread_id": thread_id}}).values
    elements: list[Any] = []
    render = values.get("render") or {}
    shows_video = (values.get("intent") or {}).get("intent") in SHOWS_VIDEO
    if shows_video and render.get("path") and Path(render["path"]).exists():
        elements.append(cl.Video(name=f"{values.get('version')}.mp4", path=render["path"], display="inline"))
    await cl.Message(content=values.get("reply", ""), elements=elements).send()
