"""The Chainlit face of cinechat. Each Chainlit thread is a LangGraph thread; a turn streams
through the compiled graph with `astream` (the nodes run off the event loop), every node run
is a step (the per-shot renders nested under the video step), one message shows live
progress, and the media (storyboard frames, the video, the narration and music, subtitles,
exports, before/after images) appear in the chat. Buttons send the same words a user would
type. Login, chat history (SQLAlchemy data layer on SQLite), /healthz and /metrics."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import chainlit as cl
import chainlit.auth
import chainlit.auth.cookie
import chainlit.config
import chainlit.server as chainlit_server
from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from chainlit.input_widget import InputWidget, Select, Switch
from chainlit.server import app as server
from fastapi import HTTPException
from fastapi.responses import FileResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route

from graph import Context, build_graph, media_gc, voice, websec
from graph import chat_store as store
from graph.context import ROOT, checkpoints_location, setup_logging
from graph.presentation import Media, Picker, chat_settings, media, starters, step_summary, turn_context
from graph.progress import progress_text
from graph.state import user_message
from graph.turns import Busy, Turn, TurnFailed
from tools import audit, catalog
from tools.assets import AssetStore
from tools.load import backlog
from tools.procs import sweep_stale, temp_prefix
from tools.text import detect_language

TURNS = Counter("cinechat_turns_total", "Chat turns by intent", ["intent"])
ERRORS = Counter("cinechat_errors_total", "Turns that failed or were refused", ["kind"])
NODE_SECONDS = Histogram("cinechat_node_seconds", "Time per node run", ["node"])
RENDER_SECONDS = Histogram("cinechat_render_seconds", "Wall time of turns that rendered")
SESSIONS = Gauge("cinechat_active_sessions", "Open chat sessions")
BACKLOG = Gauge("cinechat_render_backlog", "Shots rendering in this process now (the render queue's depth)")
BACKLOG.set_function(backlog)
QUEUE = Gauge(
    "cinechat_render_queue_depth", "Shot renders waiting for a worker (CINECHAT_RENDER=celery)", ["queue"]
)

_first_password = store.prepare()  # so `chainlit run chainlit_app.py` works as `cinechat ui` does
if _first_password:
    print(f"created the first user: admin / {_first_password}  (add more with: cinechat users add NAME)")
store.create_tables()
setup_logging()  # a failed turn's traceback goes to the log under the reference the user sees
sweep_stale(Path(Context().data_dir))  # what a killed process left behind
_storage = store.LocalStorage(store.FILES)

# Chainlit keeps a session's uploads in <app root>/.files/<session> and removes the whole .files
# folder when its server stops, so one process stopping (a cluster worker restarted, a second
# server on the same checkout) broke every other process's uploads and elements: each process
# gets a folder of its own, in the system temp folder, swept by sweep_stale if it is killed.
_own_files = Path(tempfile.mkdtemp(prefix=temp_prefix("chainlit-files")))
chainlit.config.FILES_DIRECTORY = _own_files  # read by each session (Session.files_dir)
chainlit_server.FILES_DIRECTORY = _own_files  # the folder the server removes at shutdown


class AppDataLayer(store.ChatDataLayer):
    """The chat store, where deleting a chat also deletes its project's whole version history
    (every checkpoint of its LangGraph thread) and leaves one audit entry (which stays)."""

    async def delete_thread(self, thread_id: str) -> None:
        """Delete the chat, then its checkpoints."""
        try:
            owner: str | None = await self.get_thread_author(thread_id)
        except ValueError:
            owner = None
        await super().delete_thread(thread_id)
        project = store.thread_of(owner, thread_id)
        graph = await get_graph()
        saver = graph.checkpointer  # its sync reads, from a thread, run on the server's loop
        media = await asyncio.to_thread(media_gc.thread_media, saver, project)
        await saver.adelete_thread(project)
        try:  # the files no other project names
            released = await asyncio.to_thread(
                media_gc.release, saver, media, AssetStore(Context().data_dir), {project}
            )
        except Exception:  # the chat and its history are gone; its media stay (said in the log)
            logging.getLogger("cinechat").exception("media of %s not released", project)
            released = []
        await audit_entry(
            "delete",
            user=owner,
            thread=project,
            detail={
                "checkpoints": "deleted",
                "media_deleted": len(released),
                "media_shared": len(media) - len(released),
            },
        )


@cl.data_layer
def get_data_layer() -> SQLAlchemyDataLayer:
    """Chat history in SQLite or PostgreSQL (CINECHAT_CHAT_DB), elements on local disk."""
    return AppDataLayer(conninfo=store.chat_db_url(), storage_provider=_storage)


_limits = websec.LIMITS
_limits.counts = store.LoginCounts()  # in the users database: every worker of a cluster sees them


def _audit_refused(name: str, address: str | None, wait: float) -> None:
    ERRORS.labels("login_locked").inc()
    audit.record(
        store.audit_location(),
        "login_locked",
        user=name,
        address=address,
        outcome="refused",
        detail=f"retry in {wait:.0f} s",
    )


_limits.on_refused = _audit_refused


async def audit_entry(action: str, **fields: Any) -> None:
    """One audit log entry, with the client's address, written off the event loop."""
    fields.setdefault("address", websec.client_address.get())
    await asyncio.to_thread(audit.record, store.audit_location(), action, **fields)


@cl.password_auth_callback
async def auth(username: str, password: str) -> cl.User | None:
    """Password login against the users table, limited per name and per client address (the
    guard answers HTTP 429 with the wait before this is called). The argon2 check (~0.15 s of CPU) runs in a worker thread: on the event
    loop it would stall every session of this process. Every try is audited."""
    address = websec.client_address.get()  # a name or address that must wait got 429 from websec.Guard
    if await asyncio.to_thread(store.can_log_in, username, password):
        await asyncio.to_thread(_limits.succeeded, username)
        await audit_entry("login", user=username)
        role = await asyncio.to_thread(store.role_of, username) or "creator"
        return cl.User(identifier=username, metadata={"role": role, "provider": "credentials"})
    await asyncio.to_thread(_limits.failed, username, address)
    ERRORS.labels("login").inc()
    await audit_entry("login_failed", user=username, outcome="refused")
    return None


@cl.on_logout
async def logout(request: Any, response: Any) -> dict[str, bool]:
    """A logout voids every token of the user issued until now, on the server."""
    import jwt as pyjwt
    from chainlit.auth import get_token_from_cookies
    from chainlit.auth.jwt import get_jwt_secret

    token = get_token_from_cookies(dict(request.cookies))
    name = None
    if token:
        try:
            name = pyjwt.decode(token, get_jwt_secret(), algorithms=["HS256"]).get("identifier")
        except pyjwt.InvalidTokenError:
            name = None
    if name:
        await asyncio.to_thread(audit.revoke, store.audit_location(), str(name))
        await audit_entry("logout", user=str(name))
    return {"success": True}


_graph: Any = None


async def get_graph() -> Any:
    """The compiled graph over an async checkpointer (made once, in the server's loop): the
    SQLite file, or the PostgreSQL history of scaled mode (CINECHAT_CHECKPOINTS)."""
    global _graph
    if _graph is None:
        import aiosqlite
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        place = checkpoints_location()
        if isinstance(place, str):
            from graph.postgres import aopen_postgres

            _graph = build_graph(await aopen_postgres(place))
            return _graph
        path = place
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(str(path), check_same_thread=False, timeout=30)
        await conn.execute(f"PRAGMA journal_mode={store.JOURNAL}")
        saver = AsyncSqliteSaver(conn)
        await saver.setup()
        saver.lock_dir = path.resolve().parent / ".locks"  # the CLI's turn locks (graph/turns.py)
        _graph = build_graph(saver)
    return _graph


def _widget(picker: Picker) -> InputWidget:
    """A chat setting as Chainlit's widget."""
    if picker["kind"] == "switch":
        return Switch(id=picker["id"], label=picker["label"], initial=picker["initial"])
    if "items" in picker:
        return Select(
            id=picker["id"], label=picker["label"], items=picker["items"], initial_value=picker["initial"]
        )
    return Select(
        id=picker["id"], label=picker["label"], values=picker["values"], initial_value=picker["initial"]
    )


def _element(item: Media) -> Any:
    """A file under a reply as Chainlit's element: by its presigned link when the media live
    in an object store, else the local file (Chainlit serves a copy)."""
    where: dict[str, Any] = {"path": item["path"]}
    if item.get("url"):  # recorded by its store key: a reopened chat gets a fresh link
        where = {"url": item["url"], "object_key": store.MEDIA_PREFIX + item["key"]}
    if item["kind"] == "image":
        return cl.Image(name=item["name"], display="inline", size="large", **where)
    if item["kind"] == "video":
        return cl.Video(name=item["name"], display="inline", **where)
    if item["kind"] == "audio":
        return cl.Audio(name=item["name"], display="inline", **where)
    return cl.File(name=item["name"], display="inline", **where)


def _thread() -> str:
    """The LangGraph thread of this chat (the Chainlit thread under the user's name)."""
    user = cl.user_session.get("user")
    return store.thread_of(user.identifier if user else None, cl.context.session.thread_id)


@cl.set_starters
async def on_starters() -> list[cl.Starter]:
    """Example prompts in Chinese and English."""
    return [cl.Starter(label=label, message=text) for label, text in starters()]


async def _send_settings() -> None:
    await cl.ChatSettings([_widget(p) for p in chat_settings(Context())]).send()


@cl.on_chat_start
async def start() -> None:
    """Open a session: settings for new projects."""
    SESSIONS.inc()
    await _send_settings()
    await _send_commands()


@cl.on_chat_end
async def end() -> None:
    """Close a session."""
    SESSIONS.dec()


@cl.on_chat_resume
async def resume(thread: dict[str, Any]) -> None:
    """A chat reopened from the sidebar continues the same LangGraph thread and versions."""
    SESSIONS.inc()
    await _send_settings()
    await _send_commands()


@cl.on_settings_update
async def settings_update(settings: dict[str, Any]) -> None:
    """Remember the chat settings: format, language and voice apply to projects created from
    now on; the diffusion models to the next render."""
    cl.user_session.set("settings", settings)


async def _may_change(thread: str, lang: str) -> bool:
    """Whether the signed-in user may make or change projects, checked now, on the server (a
    role changed since login counts); a viewer's refusal is said and audited."""
    user = cl.user_session.get("user")
    role = await asyncio.to_thread(store.role_of, user.identifier) if user else None
    if role in ("admin", "creator"):
        return True
    ERRORS.labels("role").inc()
    await audit_entry(
        "role_refused",
        user=user.identifier if user else None,
        thread=thread,
        outcome="refused",
        detail={"role": role},
    )
    await cl.Message(content=catalog.text(lang, "ui.viewer_only", link="[/shared](/shared)")).send()
    return False


async def run_turn(
    text: str,
    images: list[str] | None = None,
    audio: list[str] | None = None,
    sketches: list[str] | None = None,
) -> None:
    """One chat turn through the graph (graph/turns.py: one at a time per project, so a second
    tab or a double send waits its turn; an interrupted turn is recovered first), streamed:
    steps, progress, reply, media, buttons. `sketches`: drawings to animate in a shot."""
    graph = await get_graph()
    thread = _thread()
    config = {"configurable": {"thread_id": thread}}
    before = dict((await graph.aget_state(config)).values)
    lang = detect_language(text, default=before.get("language") or "zh")
    if not await _may_change(thread, lang):
        return
    progress = cl.Message(content=catalog.text(lang, "ui.turn_started"))
    await progress.send()
    message = user_message(text, images=images, audio=audio, sketches=sketches)
    context = turn_context(cl.user_session.get("settings") or {})
    turn = Turn(graph, thread, message, context, stream_mode=["updates", "custom"], wait=False)
    started = time.perf_counter()
    try:
        try:
            await _stream(turn, text, progress, lang)
        except Busy:  # another tab or a double send is running a turn on this project: queue
            progress.content = catalog.text(lang, "ui.busy_waiting")
            await progress.update()
            turn.wait = True
            await _stream(turn, text, progress, lang)
    except TurnFailed as err:  # shown with its log reference; the project stays as it was
        ERRORS.labels("turn").inc()
        await progress.remove()
        await cl.Message(content=catalog.text(lang, "ui.turn_failed_ref", ref=err.ref)).send()
        return
    values = await turn.avalues()
    intent = (values.get("intent") or {}).get("intent", "unclear")
    TURNS.labels(intent).inc()
    await _audit_turn(thread, intent, values, before)
    if (values.get("intent") or {}).get("slots", {}).get("error") or (values.get("outcome") or {}).get(
        "error"
    ):
        ERRORS.labels("refused").inc()
    if (values.get("render") or {}).get("path") != (before.get("render") or {}).get("path"):
        RENDER_SECONDS.observe(time.perf_counter() - started)
    progress.content = catalog.text(lang, "ui.turn_done", seconds=time.perf_counter() - started)
    await progress.update()
    if turn.recovery is not None:
        await cl.Message(content=turn.recovery.notice(lang)).send()
    shown = await asyncio.to_thread(media, values, before, AssetStore(context.data_dir))
    await cl.Message(
        content=values.get("reply", ""),
        elements=[_element(item) for item in shown],
        actions=[
            cl.Action(name="say", payload={"text": c["send"]}, label=c["label"])
            for c in values.get("choices") or []
        ],
    ).send()


async def _audit_turn(thread: str, intent: str, values: dict[str, Any], before: dict[str, Any]) -> None:
    """The turn in the audit log, and what it did that costs or exposes something: a render,
    an export, a restore."""
    user = _user_name()
    outcome = values.get("outcome") or {}
    refused = bool((values.get("intent") or {}).get("slots", {}).get("error") or outcome.get("error"))
    version = values.get("version")
    common = {"user": user, "thread": thread, "version": version}
    await audit_entry("turn", **common, outcome="refused" if refused else "ok", detail={"intent": intent})
    render = values.get("render") or {}
    if render.get("path") and render.get("path") != (before.get("render") or {}).get("path"):
        await audit_entry("render", **common, detail={"rendered": render.get("rendered", 0)})
    if outcome.get("kind") == "export" and outcome.get("path"):
        await audit_entry(
            "export", **common, detail={"format": outcome.get("format"), "file": Path(outcome["path"]).name}
        )
    code = str((values.get("intent") or {}).get("slots", {}).get("error") or outcome.get("error") or "")
    if code.startswith("policy_"):  # a content-safety refusal, with its category
        await audit_entry(
            "policy_refused", **common, outcome="refused", detail={"category": code[len("policy_") :]}
        )
    if intent == "restore" and not refused and version != before.get("version"):
        await audit_entry("restore", **common, detail={"from": before.get("version")})


def _user_name() -> str | None:
    user = cl.user_session.get("user")
    return getattr(user, "identifier", None)


async def _stream(turn: Turn, text: str, progress: cl.Message, lang: str) -> None:
    """Show a turn's stream: the progress line, and one step per node run (the per-shot
    renders nested under the video step)."""
    video_step: cl.Step | None = None
    last = time.perf_counter()
    async for mode, chunk in turn.astream():
        if mode == "custom":
            progress.content = progress_text(chunk, lang)
            await progress.update()
            continue
        now = time.perf_counter()
        for node, update in (chunk or {}).items():
            if node.startswith("__"):  # the approval interrupt: the reply already asks
                continue
            NODE_SECONDS.labels(node).observe(now - last)
            if node == "storyboard" and video_step is None:
                video_step = cl.Step(name="render", type="run")
                video_step.input = f"{len((update or {}).get('plan') or [])} shots"
                await video_step.send()
            parent = video_step.id if video_step and node in ("render_shot", "video_generator") else None
            async with cl.Step(name=node, type="tool", parent_id=parent) as step:
                step.input = text if node == "intent_router" else ""
                step.output = step_summary(node, update)
            if node == "video_generator" and video_step is not None:
                video_step.output = "assembled"
                await video_step.update()
        last = now


SHARE_COMMAND = re.compile(r"^\s*/(share|unshare)\b\s*(.*)$", re.S)


async def _send_commands() -> None:
    """The chat's commands (the composer's / menu) for those who own projects: /share,
    /unshare, /sketch."""
    user = cl.user_session.get("user")
    role = await asyncio.to_thread(store.role_of, user.identifier) if user else None
    if role not in ("admin", "creator"):
        return
    lang = "zh" if str(getattr(cl.context.session, "language", "")).lower().startswith("zh") else "en"
    await cl.context.emitter.set_commands(
        [
            {"id": "share", "icon": "share-2", "description": catalog.text(lang, "ui.share_command")},
            {"id": "unshare", "icon": "user-x", "description": catalog.text(lang, "ui.unshare_command")},
            *(
                [{"id": "sketch", "icon": "pencil", "description": catalog.text(lang, "ui.sketch_command")}]
                if SKETCH_PAD
                else []
            ),
        ]
    )


async def share_command(command: str, text: str) -> None:
    """`/share NAME` lets NAME watch and download this chat's project read-only (on /shared);
    `/unshare NAME` ends it. Checked on the server, audited; a refusal changes nothing."""
    graph = await get_graph()
    thread = _thread()
    values = dict((await graph.aget_state({"configurable": {"thread_id": thread}})).values)
    lang = values.get("language") or detect_language(text, default="zh")
    user = cl.user_session.get("user")
    owner = user.identifier if user else None
    role = await asyncio.to_thread(store.role_of, owner) if owner else None
    say = lambda key, **kw: cl.Message(content=catalog.text(lang, f"ui.{key}", **kw)).send()  # noqa: E731
    if role not in ("admin", "creator") or owner is None:
        await audit_entry("role_refused", user=owner, thread=thread, outcome="refused", detail={"role": role})
        await say("viewer_only", link="[/shared](/shared)")
        return
    viewer = (text.strip().lstrip("@").split() or [""])[0]
    if not viewer:
        await say("share_usage")
        return
    if command == "unshare":
        if not await asyncio.to_thread(store.unshare, thread, viewer):
            await say("unshare_none", name=viewer)
            return
        await audit_entry("unshare", user=owner, thread=thread, detail={"with": viewer})
        await say("unshare_done", name=viewer)
        return
    if not values.get("script"):
        await say("share_nothing")
        return
    if viewer == owner:
        await say("share_self")
        return
    from tools.users import UserError

    try:
        await asyncio.to_thread(store.share, thread, owner, viewer)
    except UserError:
        await say("share_no_user", name=viewer)
        return
    await audit_entry(
        "share", user=owner, thread=thread, version=values.get("version"), detail={"with": viewer}
    )
    title = (values.get("script") or {}).get("title") or ""
    await say(
        "share_done", title=title, version=values.get("version") or "", name=viewer, link="[/shared](/shared)"
    )


SKETCH_COMMAND = re.compile(r"^\s*/sketch\b\s*(.*)$", re.S)
SKETCH_PAD = os.environ.get("CINECHAT_SKETCH_PAD", "on") != "off"
"""The sketch pad (/sketch); off, the chat page keeps the strict script policy (no 'unsafe-eval')."""
SKETCH_PREFIX = "data:image/png;base64,"
SKETCH_MAX_BYTES = 5 * 1024 * 1024
"""The largest drawing the sketch pad may send (decoded PNG bytes)."""
SKETCH_MAX_SIDE = 4096
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SKETCH_LABELS = (
    "title",
    "pen",
    "eraser",
    "black",
    "blue",
    "red",
    "green",
    "width",
    "undo",
    "clear",
    "words",
    "send",
    "sending",
    "sent",
    "failed",
)
"""The sketch pad's words (ui.sketch_<name> in the catalogue), sent to it as props.labels."""


async def sketch_command(words: str) -> None:
    """`/sketch [WORDS]`: a sketch pad in the chat (public/elements/SketchPad.jsx), its field
    filled with WORDS; what it sends comes back to `sketch_send`."""
    lang = await _project_language()
    if not await _may_change(_thread(), lang):
        return
    labels = {name: catalog.text(lang, f"ui.sketch_{name}") for name in SKETCH_LABELS}
    pad = cl.CustomElement(
        name="SketchPad", props={"lang": lang, "labels": labels, "words": words.strip()}, display="inline"
    )
    await cl.Message(content=catalog.text(lang, "ui.sketch_intro"), elements=[pad]).send()


def sketch_png(payload: Any) -> tuple[bytes | None, str, dict[str, Any]]:
    """The sketch pad's drawing as PNG bytes, flattened onto white paper, or None with the
    catalogue key (and its values) of why it cannot be used: not a PNG data URL, too large,
    not a picture, or nothing drawn."""
    import base64
    import binascii
    import io

    from PIL import Image

    limit = {"size": 0.0, "limit": SKETCH_MAX_BYTES // (1024 * 1024)}
    data_url = payload.get("png") if isinstance(payload, dict) else None
    if not isinstance(data_url, str) or not data_url.startswith(SKETCH_PREFIX):
        return None, "ui.sketch_bad", {}
    encoded = data_url[len(SKETCH_PREFIX) :]
    if len(encoded) > (SKETCH_MAX_BYTES + 2) // 3 * 4 + 4:  # refused before it is decoded
        return None, "ui.sketch_too_big", {**limit, "size": len(encoded) * 3 / 4 / 1024 / 1024}
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None, "ui.sketch_bad", {}
    if len(data) > SKETCH_MAX_BYTES:
        return None, "ui.sketch_too_big", {**limit, "size": len(data) / 1024 / 1024}
    if not data.startswith(PNG_SIGNATURE):
        return None, "ui.sketch_bad", {}
    try:
        with Image.open(io.BytesIO(data)) as picture:
            if picture.format != "PNG" or max(picture.size) > SKETCH_MAX_SIDE or min(picture.size) < 1:
                return None, "ui.sketch_bad", {}
            picture.load()
            rgba = picture.convert("RGBA")
    except Exception:  # truncated, corrupt, a decompression bomb: not a drawing
        return None, "ui.sketch_bad", {}
    paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    flat = Image.alpha_composite(paper, rgba).convert("RGB")
    darkest = flat.convert("L").getextrema()[0]
    if isinstance(darkest, int | float) and darkest >= 250:  # white (or all but) everywhere
        return None, "ui.sketch_empty", {}
    out = io.BytesIO()
    flat.save(out, format="PNG")
    return out.getvalue(), "", {}


@cl.action_callback("sketch_send")
async def sketch_send(action: cl.Action) -> dict[str, bool]:
    """The sketch pad's Send: the drawing (a PNG data URL) and the words for it. Checked on the
    server (role, payload, size, something drawn; a refusal is said and nothing runs), shown
    as the user's message with the picture, then sent to the graph as a sketch attachment
    from a temporary file, removed after the turn. The pad gets {"ok": whether it ran}."""
    if not SKETCH_PAD:
        return {"ok": False}
    payload = action.payload if isinstance(action.payload, dict) else {}
    words = str(payload.get("text") or "").strip()
    lang = await _project_language()
    lang = detect_language(words, default=lang) if words else lang
    if not await _may_change(_thread(), lang):
        return {"ok": False}
    png, refusal, values = await asyncio.to_thread(sketch_png, payload)
    if png is None:
        ERRORS.labels("sketch").inc()
        await cl.Message(content=catalog.text(lang, refusal, **values)).send()
        return {"ok": False}
    text = words or catalog.text(lang, "ui.sketch_default_words")
    picture = cl.Image(name="sketch.png", content=png, mime="image/png", display="inline", size="medium")
    await cl.Message(content=text, type="user_message", elements=[picture]).send()
    with tempfile.NamedTemporaryFile(prefix=temp_prefix("sketch"), suffix=".png", delete=False) as tmp:
        tmp.write(png)
        path = Path(tmp.name)
    try:
        await run_turn(text, sketches=[str(path)])
    finally:  # the turn has stored its own copy of the drawing
        path.unlink(missing_ok=True)
    await _name_chat(text, lambda name: bool(SKETCH_COMMAND.match(name)))  # a chat begun by /sketch
    return {"ok": True}


@cl.on_message
async def on_message(message: cl.Message) -> None:
    """A typed message, with any uploaded image (a shot) or audio file (the music bed); the
    /share, /unshare and /sketch commands (picked from the menu, or typed)."""
    typed = SHARE_COMMAND.match(message.content or "")
    if message.command in ("share", "unshare") or typed:
        command = message.command if message.command in ("share", "unshare") else typed.group(1)  # type: ignore[union-attr]
        await share_command(str(command), typed.group(2) if typed else message.content)
        return
    drawn = SKETCH_COMMAND.match(message.content or "")
    if SKETCH_PAD and (message.command == "sketch" or drawn):
        await sketch_command(drawn.group(1) if drawn else message.content or "")
        return
    images, audio = [], []
    for element in message.elements or []:
        mime = (getattr(element, "mime", "") or "").lower()
        if element.path and mime.startswith("image/"):
            images.append(element.path)
        elif element.path:  # audio, or anything else: the router checks it by content
            audio.append(element.path)
    await run_turn(message.content, images, audio)


# Voice messages (graph/voice.py): Chainlit's microphone button shows only when a transcription
# endpoint is configured; without one there is no button to fail silently.
chainlit.config.config.features.audio.enabled = voice.configured()


@cl.on_audio_start
async def audio_start() -> bool:
    """A recording starts: the microphone is taken when a transcription endpoint is set."""
    cl.user_session.set("audio_chunks", [])
    return voice.configured()


@cl.on_audio_chunk
async def audio_chunk(chunk: cl.InputAudioChunk) -> None:
    """Keep the recording's PCM as it comes."""
    chunks = cl.user_session.get("audio_chunks")
    if chunks is None:
        chunks = []
        cl.user_session.set("audio_chunks", chunks)
    chunks.append(bytes(chunk.data))


async def _project_language() -> str:
    graph = await get_graph()
    values = (await graph.aget_state({"configurable": {"thread_id": _thread()}})).values
    if values.get("language"):
        return str(values["language"])
    return "zh" if str(getattr(cl.context.session, "language", "")).lower().startswith("zh") else "en"


@cl.on_audio_end
async def audio_end() -> None:
    """The recording is transcribed and its words are sent exactly as if typed (they show as the
    user's message); what cannot be heard is said, and nothing runs."""
    import wave

    data = b"".join(cl.user_session.get("audio_chunks") or [])
    cl.user_session.set("audio_chunks", [])
    lang = await _project_language()
    rate = int(chainlit.config.config.features.audio.sample_rate or 24000)
    with tempfile.NamedTemporaryFile(prefix=temp_prefix("voice"), suffix=".wav", delete=False) as tmp:
        path = Path(tmp.name)
    try:
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes(data)
        said, refusal, code = await asyncio.to_thread(voice.hear, path, lang)
    finally:
        path.unlink(missing_ok=True)
    user = cl.user_session.get("user")
    if said is None:
        ERRORS.labels("voice").inc()
        await audit_entry(
            "voice_refused",
            user=user.identifier if user else None,
            thread=_thread(),
            outcome="refused",
            detail=code,
        )
        await cl.Message(content=refusal).send()
        return
    await cl.Message(content=said.text, type="user_message").send()
    await run_turn(said.text)
    # Chainlit names a chat begun by voice "audio" (after this): its words
    await _name_chat(said.text, lambda name: name == "audio")


async def _name_chat(words: str, stand_in: Callable[[str], bool]) -> None:
    """Name the chat by `words` where it has no name, or the one Chainlit gave it from a message
    that says nothing of the project (`stand_in`: an "audio" recording, a /sketch command)."""
    from chainlit.data import get_data_layer as chat_history

    history = chat_history()
    if history is not None:
        thread = await history.get_thread(cl.context.session.thread_id)
        if thread and (not thread.get("name") or stand_in(str(thread["name"]))):
            await history.update_thread(cl.context.session.thread_id, name=words[:80])


@cl.action_callback("say")
async def on_action(action: cl.Action) -> None:
    """A button does what typing its words does: the words appear as the user's message."""
    text = str(action.payload.get("text", ""))
    await cl.Message(content=text, type="user_message").send()
    await run_turn(text)


async def healthz(request: Any) -> JSONResponse:
    """The checkpoint database answers and ffmpeg is installed."""
    ok, checks = store.health()
    return JSONResponse({"ok": ok, **checks}, status_code=200 if ok else 503)


async def metrics(request: Any) -> Response:
    """Prometheus text: turns, node latencies, render seconds, errors, active sessions, the
    render backlog here and, with render workers, their queues' depth. For the bearer of the
    metrics token only."""
    import hmac

    given = request.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {store.metrics_token()}".encode()):
        return Response("metrics need the bearer token (CINECHAT_METRICS_TOKEN)", status_code=401)
    if Context().render == "celery":
        from tools import jobs

        try:
            for kind, waiting in (await asyncio.to_thread(jobs.depth)).items():
                QUEUE.labels(kind).set(waiting)
        except Exception:  # the broker is down: /healthz says so; the other figures still come
            pass
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def files(request: Any) -> FileResponse:
    """Stored chat elements, for the logged-in owner of their thread only (a page reopening an
    old chat loads them from here; a live chat uses Chainlit's per-session file route)."""
    from chainlit.auth import authenticate_user, get_token_from_cookies

    key = request.path_params["key"]
    token = get_token_from_cookies(dict(request.cookies))
    if not token:
        raise HTTPException(401)
    user = await authenticate_user(token)
    if store.owner_of(key) != user.identifier:
        raise HTTPException(404)  # someone else's, or nothing: the same answer
    try:
        path = _storage.path_of(key)
    except ValueError as exc:
        raise HTTPException(404) from exc
    if not path.is_file():
        raise HTTPException(404)
    return FileResponse(path)


async def _signed_in(request: Any) -> str | None:
    """The user a request's login cookie names, or None."""
    from chainlit.auth import authenticate_user, get_token_from_cookies

    token = get_token_from_cookies(dict(request.cookies))
    if not token:
        return None
    try:
        return str((await authenticate_user(token)).identifier)
    except HTTPException:
        return None


async def _shared_projects(name: str) -> list[dict[str, Any]]:
    """The projects shared with a user, each with its current title, version and render."""
    graph = await get_graph()
    found = []
    for index, (thread, owner) in enumerate(await asyncio.to_thread(store.shared_with, name)):
        values = dict((await graph.aget_state({"configurable": {"thread_id": thread}})).values)
        render = values.get("render") or {}
        found.append(
            {
                "index": index,
                "thread": thread,
                "owner": owner,
                "title": (values.get("script") or {}).get("title", thread),
                "version": values.get("version") or "",
                "render": render.get("path"),
                "srt": render.get("srt"),
                "video": f"/shared/{index}/video" if render.get("path") else None,
            }
        )
    return found


async def _title_of(thread: str) -> str:
    graph = await get_graph()
    values = dict((await graph.aget_state({"configurable": {"thread_id": thread}})).values)
    return str((values.get("script") or {}).get("title") or thread)


async def _shared_page(name: str, lang: str, notice: str | None = None, status: int = 200) -> Response:
    from graph import pages

    made = await asyncio.to_thread(store.shares_by, name)
    yours = [{"thread": t, "viewer": v, "title": await _title_of(t)} for t, v in made]
    token = websec.form_token(store.auth_secret(), name, "shared")
    page = pages.shared_page(lang, name, await _shared_projects(name), yours, token, notice)
    return Response(page, media_type="text/html", status_code=status)


async def shared(request: Any) -> Response:
    """The read-only page of the projects shared with the signed-in user, and of the shares
    they made (each with a form to end it)."""
    from graph import pages

    name = await _signed_in(request)
    if name is None:
        return Response(status_code=307, headers={"location": "/login"})
    return await _shared_page(name, pages.language(request.headers.get("accept-language", "")))


async def shared_unshare(request: Any) -> Response:
    """End one of the signed-in user's own shares (the form on /shared). Audited."""
    from graph import pages

    name = await _signed_in(request)
    if name is None:
        return Response(status_code=307, headers={"location": "/login"})
    lang = pages.language(request.headers.get("accept-language", ""))
    form = await request.form()
    if not websec.form_token_ok(store.auth_secret(), name, "shared", form.get("csrf")):
        return await _shared_page(name, lang, catalog.text(lang, "ui.form_stale"), 400)
    thread, viewer = str(form.get("thread") or ""), str(form.get("viewer") or "")
    if (thread, viewer) not in await asyncio.to_thread(store.shares_by, name):  # only one's own shares
        return await _shared_page(name, lang, catalog.text(lang, "ui.unshare_none", name=viewer), 400)
    await asyncio.to_thread(store.unshare, thread, viewer)
    await audit_entry("unshare", user=name, thread=thread, detail={"with": viewer})
    return await _shared_page(name, lang, catalog.text(lang, "ui.unshare_done", name=viewer))


async def _shared_one(request: Any) -> tuple[str, dict[str, Any]]:
    name = await _signed_in(request)
    if name is None:
        raise HTTPException(401)
    projects = await _shared_projects(name)
    index = int(request.path_params["index"])
    if not 0 <= index < len(projects) or not projects[index]["render"]:
        raise HTTPException(404)
    return name, projects[index]


async def shared_video(request: Any) -> Response:
    """A shared project's current video (from the object store by a presigned link)."""
    _, project = await _shared_one(request)
    media_store = AssetStore(Context().data_dir)
    link = await asyncio.to_thread(media_store.url, project["render"])
    if link:
        return Response(status_code=307, headers={"location": link})
    return FileResponse(await asyncio.to_thread(media_store.local, project["render"]), media_type="video/mp4")


async def shared_export(request: Any) -> Response:
    """A shared project's current render exported (mp4, gif, webm): read-only, the project's
    state is not touched. Audited."""
    from graph import pages
    from tools.exporter import export, export_name

    name, project = await _shared_one(request)
    fmt = request.path_params["fmt"]
    if fmt not in pages.EXPORT_FORMATS:
        raise HTTPException(404)
    media_store = AssetStore(Context().data_dir)
    video = await asyncio.to_thread(media_store.local, project["render"])
    file = export_name(project["title"], project["version"], fmt)
    out = media_store.root / "exports" / f"shared-{project['index']}-{os.getpid()}-{file}"
    out.parent.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(export, video, out, fmt)
    await audit_entry(
        "export",
        user=name,
        thread=project["thread"],
        version=project["version"],
        detail={"format": fmt, "shared_by": project["owner"]},
    )
    from starlette.background import BackgroundTask

    return FileResponse(out, filename=file, background=BackgroundTask(out.unlink, missing_ok=True))


async def _admin_of(request: Any) -> tuple[str | None, str, Response | None]:
    """The signed-in administrator, the page language, or the answer for anyone else."""
    from graph import pages

    lang = pages.language(request.headers.get("accept-language", ""))
    name = await _signed_in(request)
    if name is None:
        return None, lang, Response(status_code=307, headers={"location": "/login"})
    if await asyncio.to_thread(store.role_of, name) != "admin":
        return None, lang, Response(catalog.text(lang, "ui.forbidden"), status_code=403)
    return name, lang, None


async def _admin_page(name: str, lang: str, notice: str | None = None, status: int = 200) -> Response:
    from graph import pages

    people = await asyncio.to_thread(store.all_users)
    since = time.time() - 30 * 24 * 3600
    log = await asyncio.to_thread(audit.entries, store.audit_location(), None, since)
    token = websec.form_token(store.auth_secret(), name, "admin")
    page = pages.admin_page(lang, people, list(reversed(log))[:500], token, notice)
    return Response(page, media_type="text/html", status_code=status)


async def admin(request: Any) -> Response:
    """Users with their roles, forms to manage them, and the audit log, for administrators."""
    name, lang, refused = await _admin_of(request)
    if refused is not None or name is None:
        return refused or Response(status_code=403)
    await audit_entry("admin_view", user=name)
    return await _admin_page(name, lang)


async def admin_change(request: Any) -> Response:
    """An administrator's form: add (or reset) a user, change a role, delete a user with all
    their data. Checked (role, anti-forgery token, the rules of graph.accounts), audited, and
    answered on the page in the administrator's language; a refused change changes nothing."""
    from graph import accounts
    from tools.users import UserError

    name, lang, refused = await _admin_of(request)
    if refused is not None or name is None:
        return refused or Response(status_code=403)
    form = await request.form()
    if not websec.form_token_ok(store.auth_secret(), name, "admin", form.get("csrf")):
        return await _admin_page(name, lang, catalog.text(lang, "ui.form_stale"), 400)
    action = request.path_params["action"]
    who, role = str(form.get("name") or "").strip(), str(form.get("role") or "")
    where, address = store.users_location(), websec.client_address.get()
    try:
        if action == "add":
            password = str(form.get("password") or "")
            await asyncio.to_thread(accounts.save_user, where, who, password, role or None, name, address)
            notice = catalog.text(lang, "ui.admin_added", name=who, role=role or "creator")
        elif action == "role":
            if not await asyncio.to_thread(accounts.change_role, where, who, role, name, address):
                raise UserError(f"no user {who}", "no_user")
            notice = catalog.text(lang, "ui.admin_role_changed", name=who, role=role)
        elif action == "delete":
            if form.get("confirm") != "yes":
                return await _admin_page(
                    name, lang, catalog.text(lang, "ui.admin_unconfirmed", name=who), 400
                )
            if await asyncio.to_thread(store.role_of, who) is None:
                raise UserError(f"no user {who}", "no_user")
            done = await asyncio.to_thread(
                accounts.delete_user_data, where, who, None, Context().data_dir, name, address
            )
            notice = catalog.text(
                lang,
                "ui.admin_deleted",
                name=who,
                projects=done["projects"],
                chats=done["chats"],
                media=done["media_deleted"],
            )
        else:
            raise HTTPException(404)
    except UserError as err:
        return await _admin_page(name, lang, catalog.text(lang, f"ui.admin_{err.code}", name=who), 400)
    return await _admin_page(name, lang, notice)


_page = chainlit_server.get_html_template


def _offline_page(*args: Any, **kwargs: Any) -> str:
    """Chainlit's page without requests to the internet: no font-server preconnect, no CDN
    stylesheet (KaTeX, unused: LaTeX is off); the fonts are local."""
    page = re.sub(r'<link\b[^>]*href="https?://[^"]*"[^>]*>', "", _page(*args, **kwargs))
    return websec.SCRIPTS.note(page)  # its inline scripts' hashes go into the CSP


chainlit_server.get_html_template = _offline_page

# The guards (graph/websec.py): origins, security headers, client address; CORS for the
# configured public URLs only (Chainlit's config.toml said "*", with credentials); socket.io
# connections from the app's own origin only; tokens that a logout voids.
server.add_middleware(websec.Guard)
if SKETCH_PAD:
    websec.ELEMENT_PAGES.append(chainlit_server.serve)  # the chat page: the sketch pad is a custom element
if websec.served_over_tls():  # the login cookie is sent over TLS only
    chainlit.auth.cookie._cookie_secure = True
for layer in server.user_middleware:
    if getattr(layer, "cls", None) is CORSMiddleware:
        layer.kwargs["allow_origins"] = websec.public_origins()
chainlit_server.sio.eio.cors_allowed_origins = websec.socket_origin_check
chainlit_server.create_jwt = websec.create_token
_revoked = functools.partial(audit.revoked_before, store.audit_location())
chainlit.auth.decode_jwt = websec.checked_decoder(chainlit.auth.decode_jwt, _revoked)
chainlit_server.decode_jwt = chainlit.auth.decode_jwt

# Chainlit's catch-all page route would shadow routes added after it: put ours first.
for route in (
    Route("/healthz", healthz),
    Route("/metrics", metrics),
    Route("/files/{key:path}", files),
    Route("/shared", shared),
    Route("/shared/{index:int}/video", shared_video),
    Route("/shared/{index:int}/export/{fmt}", shared_export),
    Route("/admin", admin),
    Route("/admin/users/{action}", admin_change, methods=["POST"]),
    Route("/shared/unshare", shared_unshare, methods=["POST"]),
):
    server.router.routes.insert(0, route)

__all__ = ["ROOT", "get_graph"]
