"""The Chainlit face of cinechat. Each Chainlit thread is a LangGraph thread; a turn streams
through the compiled graph with `astream` (the nodes run off the event loop), every node run
is a step (the per-shot renders nested under the video step), one message shows live
progress, and the media (storyboard frames, the video, the narration and music, subtitles,
exports, before/after images) appear in the chat. Buttons send the same words a user would
type. Login, chat history (SQLAlchemy data layer on SQLite), /healthz and /metrics."""

from __future__ import annotations

import io
import os
import re
import sqlite3
import time
from pathlib import Path
from typing import Any

import chainlit as cl
import chainlit.server as chainlit_server
from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from chainlit.data.storage_clients.base import BaseStorageClient
from chainlit.input_widget import Select, Switch
from chainlit.server import app as server
from fastapi import HTTPException
from fastapi.responses import FileResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.routing import Route

from graph import Context, build_graph
from graph.context import ROOT, default_db_path
from graph.progress import progress_text
from graph.state import user_message
from tools import diffusion
from tools.ffmpeg import binary
from tools.text import detect_language
from tools.users import verify

STATE_DIR = Path(os.environ.get("CINECHAT_STATE", str(default_db_path().parent))).resolve()
CHAT_DB = STATE_DIR / "chainlit.sqlite"
USERS_DB = STATE_DIR / "users.sqlite"
FILES = STATE_DIR / "chat-files"
SHOWS_VIDEO = {
    "generate",
    "edit_visual",
    "edit_audio",
    "undo",
    "redo",
    "restore",
    "revise_script",
    "set_duration",
}

TURNS = Counter("cinechat_turns_total", "Chat turns by intent", ["intent"])
ERRORS = Counter("cinechat_errors_total", "Turns that failed or were refused", ["kind"])
NODE_SECONDS = Histogram("cinechat_node_seconds", "Time per node run", ["node"])
RENDER_SECONDS = Histogram("cinechat_render_seconds", "Wall time of turns that rendered")
SESSIONS = Gauge("cinechat_active_sessions", "Open chat sessions")

SCHEMA = """
CREATE TABLE IF NOT EXISTS users ("id" TEXT PRIMARY KEY, "identifier" TEXT NOT NULL UNIQUE,
  "metadata" TEXT NOT NULL, "createdAt" TEXT);
CREATE TABLE IF NOT EXISTS threads ("id" TEXT PRIMARY KEY, "createdAt" TEXT, "name" TEXT,
  "userId" TEXT, "userIdentifier" TEXT, "tags" TEXT, "metadata" TEXT,
  FOREIGN KEY ("userId") REFERENCES users("id") ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS steps ("id" TEXT PRIMARY KEY, "name" TEXT NOT NULL, "type" TEXT NOT NULL,
  "threadId" TEXT NOT NULL, "parentId" TEXT, "streaming" BOOLEAN NOT NULL, "waitForAnswer" BOOLEAN,
  "isError" BOOLEAN, "metadata" TEXT, "tags" TEXT, "input" TEXT, "output" TEXT, "createdAt" TEXT,
  "command" TEXT, "start" TEXT, "end" TEXT, "generation" TEXT, "showInput" TEXT, "language" TEXT,
  "indent" INT, "defaultOpen" BOOLEAN, "autoCollapse" BOOLEAN, "modes" TEXT,
  FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS elements ("id" TEXT PRIMARY KEY, "threadId" TEXT, "type" TEXT, "url" TEXT,
  "chainlitKey" TEXT, "name" TEXT NOT NULL, "display" TEXT, "objectKey" TEXT, "size" TEXT,
  "page" INT, "language" TEXT, "forId" TEXT, "mime" TEXT, "props" TEXT, "autoPlay" BOOLEAN,
  "playerConfig" TEXT,
  FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS feedbacks ("id" TEXT PRIMARY KEY, "forId" TEXT NOT NULL, "threadId" TEXT NOT NULL,
  "value" INT NOT NULL, "comment" TEXT,
  FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE);
"""


def create_tables(path: Path = CHAT_DB) -> None:
    """The tables Chainlit's SQLAlchemy data layer needs, on SQLite."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        conn.executescript(SCHEMA)


class LocalStorage(BaseStorageClient):
    """Elements kept on local disk and served by this app at /files/<key>."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("bad object key")
        return path

    async def upload_file(
        self,
        object_key: str,
        data: bytes | str,
        mime: str = "application/octet-stream",
        overwrite: bool = True,
        content_disposition: str | None = None,
    ) -> dict[str, Any]:
        path = self._path(object_key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return {"object_key": object_key, "url": f"/files/{object_key}"}

    async def delete_file(self, object_key: str) -> bool:
        self._path(object_key).unlink(missing_ok=True)
        return True

    async def get_read_url(self, object_key: str) -> str:
        return f"/files/{object_key}"

    async def close(self) -> None:
        return None


create_tables()
_storage = LocalStorage(FILES)


@cl.data_layer
def get_data_layer() -> SQLAlchemyDataLayer:
    """Chat history in SQLite, elements on local disk."""
    return SQLAlchemyDataLayer(conninfo=f"sqlite+aiosqlite:///{CHAT_DB}", storage_provider=_storage)


@cl.password_auth_callback
def auth(username: str, password: str) -> cl.User | None:
    """Password login against the users table (argon2 hashes)."""
    if verify(USERS_DB, username, password):
        return cl.User(identifier=username, metadata={"role": "user", "provider": "credentials"})
    ERRORS.labels("login").inc()
    return None


_graph: Any = None


async def get_graph() -> Any:
    """The compiled graph over an async SQLite checkpointer (made once, in the server's loop)."""
    global _graph
    if _graph is None:
        import aiosqlite
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        path = default_db_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(str(path), check_same_thread=False)
        saver = AsyncSqliteSaver(conn)
        await saver.setup()
        _graph = build_graph(saver)
    return _graph


NO_MODEL = "none"


def _model(chosen: dict[str, Any], kind: str, default: str) -> str:
    value = str(chosen.get(f"{kind}_model", default) or "")
    return "" if value == NO_MODEL else value


def _context() -> Context:
    chosen = cl.user_session.get("settings") or {}
    base = Context()
    return Context(
        data_dir=base.data_dir,
        use_llm=bool(chosen.get("use_llm", base.use_llm)),
        model=base.model,
        aspect=str(chosen.get("aspect", base.aspect)),
        resolution=str(chosen.get("resolution", base.resolution)),
        fps=base.fps,
        voice=str(chosen.get("voice", base.voice)),
        language=str(chosen.get("language", base.language)),
        t2i_model=_model(chosen, "t2i", base.t2i_model),
        t2v_model=_model(chosen, "t2v", base.t2v_model),
        i2v_model=_model(chosen, "i2v", base.i2v_model),
    )


MODEL_PICKERS = {
    "t2i": "Keyframe model (text-to-image) / 关键帧模型（文生图）",
    "t2v": "Video model (text-to-video) / 视频模型（文生视频）",
    "i2v": "Picture-to-video model / 图生视频模型",
}


def model_pickers(base: Context) -> list[Select]:
    """A picker per kind of diffusion model found in the models folder (CINECHAT_MODELS_DIR,
    default models/) or the hub cache, plus the configured one; none when there is no model.
    Only model_index.json files are read: nothing is loaded until a shot is rendered."""
    from huggingface_hub.constants import HF_HUB_CACHE

    roots = [Path(os.environ.get("CINECHAT_MODELS_DIR", str(ROOT / "models"))), Path(HF_HUB_CACHE)]
    found = diffusion.available(roots)
    pickers = []
    for kind, label in MODEL_PICKERS.items():
        current = getattr(base, f"{kind}_model")
        options = list(dict.fromkeys(([current] if current else []) + found[kind]))
        if not options:
            continue
        items = {"none: the animatic renderer / 不用（动画渲染）": NO_MODEL}
        for path in options:
            name = diffusion.label_of(path)
            items[name if name not in items else f"{name} ({path})"] = path
        pickers.append(
            Select(id=f"{kind}_model", label=label, items=items, initial_value=current or NO_MODEL)
        )
    return pickers


def _thread() -> str:
    """The LangGraph thread of this chat: the Chainlit thread id, under the user's name, so
    one user's thread id opens nothing of another's."""
    user = cl.user_session.get("user")
    owner = user.identifier if user else "anonymous"
    return f"{owner}:{cl.context.session.thread_id}"


STARTERS = [
    ("春天的短视频", "我想创建一个关于春天的30秒短视频，风格要温馨治愈"),
    ("雨夜城市", "做一个20秒的雨夜城市短片，要有电影感"),
    ("Seaside in summer", "Make a 20 second video about a summer day at the sea, cheerful"),
    ("Winter town", "Create a 30 second video about a quiet winter town at night"),
]


@cl.set_starters
async def starters() -> list[cl.Starter]:
    """Example prompts in Chinese and English."""
    return [cl.Starter(label=label, message=text) for label, text in STARTERS]


async def _send_settings() -> None:
    base = Context()
    await cl.ChatSettings(
        [
            Select(
                id="resolution",
                label="Resolution / 分辨率",
                values=["720p", "1080p", "2160p"],
                initial_value=base.resolution,
            ),
            Select(
                id="aspect", label="Aspect / 画幅", values=["16:9", "9:16", "1:1"], initial_value=base.aspect
            ),
            Select(id="language", label="Language / 语言", values=["zh", "en"], initial_value=base.language),
            Select(id="voice", label="Voice / 旁白声音", values=["female", "male"], initial_value=base.voice),
            Switch(id="use_llm", label="Use the configured LLM / 使用语言模型", initial=base.use_llm),
            *model_pickers(base),
        ]
    ).send()


@cl.on_chat_start
async def start() -> None:
    """Open a session: settings for new projects."""
    SESSIONS.inc()
    await _send_settings()


@cl.on_chat_end
async def end() -> None:
    """Close a session."""
    SESSIONS.dec()


@cl.on_chat_resume
async def resume(thread: dict[str, Any]) -> None:
    """A chat reopened from the sidebar continues the same LangGraph thread and versions."""
    SESSIONS.inc()
    await _send_settings()


@cl.on_settings_update
async def settings_update(settings: dict[str, Any]) -> None:
    """Remember the chat settings: format, language and voice apply to projects created from
    now on; the diffusion models to the next render."""
    cl.user_session.set("settings", settings)


def _summary(node: str, update: Any) -> str:
    if not isinstance(update, dict):
        return ""
    if node == "intent_router":
        intent = update.get("intent") or {}
        return f"{intent.get('intent')} ({intent.get('confidence')}) {intent.get('slots', {})}"
    if node == "render_shot":
        (shot_id, result), *_ = (update.get("shot_results") or {"?": {}}).items()
        return f"{shot_id}: {'cache' if result.get('cached') else 'rendered'} in {result.get('seconds', 0)}s"
    if node == "reviewer":
        review = update.get("review") or {}
        return f"overall {review.get('overall')} · problems {len(review.get('problems') or [])}"
    if node == "audio":
        render = update.get("render") or {}
        return f"{render.get('duration')}s · music {render.get('music')} · {len(render.get('narration') or [])} lines"
    if node == "responder":
        return str(update.get("reply", ""))[:200]
    return ", ".join(sorted(update.keys()))


def _frames(script: dict[str, Any]) -> list[Any]:
    """The storyboard: one frame per shot drawn by the animatic composer, numbered, in one
    strip (one element keeps the order)."""
    from PIL import Image, ImageDraw

    from tools.renderer import CJK_FONT
    from tools.scene import compose, flatten

    shots = script.get("shots", [])
    w, h, gap = 320, 180, 8
    strip = Image.new("RGB", (len(shots) * (w + gap) - gap, h), (24, 24, 28))
    draw = ImageDraw.Draw(strip)
    from PIL import ImageFont

    font = ImageFont.truetype(CJK_FONT, 22)
    for i, shot in enumerate(shots):
        comp = compose(shot["description"], script.get("mood", "warm"), (w, h), i + 1, shot["shot_type"])
        strip.paste(flatten(comp), (i * (w + gap), 0))
        draw.rectangle([i * (w + gap), 0, i * (w + gap) + 30, 30], fill=(0, 0, 0))
        draw.text((i * (w + gap) + 8, 2), str(i + 1), font=font, fill=(255, 255, 255))
    buf = io.BytesIO()
    strip.save(buf, format="PNG")
    return [cl.Image(name="storyboard.png", content=buf.getvalue(), display="inline", size="large")]


def _actions(values: dict[str, Any], lang: str) -> list[cl.Action]:
    zh = lang == "zh"
    outcome = values.get("outcome") or {}
    intent = (values.get("intent") or {}).get("intent")

    def say(label: str, text: str) -> cl.Action:
        return cl.Action(name="say", payload={"text": text}, label=label)

    if outcome.get("kind") == "history":
        return [
            say(f"↩ {r['version']}", f"回到{r['version']}" if zh else f"go back to {r['version']}")
            for r in outcome["versions"]
            if not r["current"]
        ]
    if values.get("status") == "awaiting_approval" and intent in ("create", "revise_script", "set_duration"):
        return [
            say("继续生成" if zh else "Go ahead", "继续生成" if zh else "go ahead"),
            say("修改剧情" if zh else "Change the story", "修改剧情" if zh else "change the story"),
            say("调整时长" if zh else "Change the length", "调整时长" if zh else "change the length"),
        ]
    if values.get("status") == "rendered" and not (values.get("intent") or {}).get("slots", {}).get("error"):
        return [
            say("导出" if zh else "Export", "导出成MP4" if zh else "export as mp4"),
            say("撤销" if zh else "Undo", "撤销" if zh else "undo"),
            say("评审" if zh else "Review", "评审一下" if zh else "review it"),
            say("版本" if zh else "Versions", "有哪些版本？" if zh else "list versions"),
        ]
    return []


def _media(values: dict[str, Any], before: dict[str, Any]) -> list[Any]:
    intent = (values.get("intent") or {}).get("intent")
    outcome = values.get("outcome") or {}
    render = values.get("render") or {}
    elements: list[Any] = []
    if outcome.get("kind") == "script" and values.get("script") and not outcome.get("rerender"):
        elements += _frames(values["script"])
    new_render = render.get("path") and render.get("path") != (before.get("render") or {}).get("path")
    if intent in SHOWS_VIDEO and new_render and Path(render["path"]).exists():
        elements.append(cl.Video(name=f"{values.get('version')}.mp4", path=render["path"], display="inline"))
        master = (
            Path(render.get("stems") or "").parent.parent / "master" / f"{render.get('master_key', '')}.m4a"
        )
        if render.get("master_key") and master.exists():  # narration and music, to listen to alone
            elements.append(
                cl.Audio(name=f"{values.get('version')}-audio.m4a", path=str(master), display="inline")
            )
        if render.get("srt") and Path(render["srt"]).exists():
            elements.append(
                cl.File(name=f"{values.get('version')}.srt", path=render["srt"], display="inline")
            )
    if outcome.get("kind") == "export" and Path(outcome.get("path", "")).exists():
        elements.append(cl.File(name=Path(outcome["path"]).name, path=outcome["path"], display="inline"))
    if outcome.get("kind") == "compare" and outcome.get("image"):
        elements.append(
            cl.Image(name="before-after.png", path=outcome["image"]["path"], display="inline", size="large")
        )
    return elements


async def run_turn(text: str, images: list[str] | None = None, audio: list[str] | None = None) -> None:
    """One chat turn through the graph, streamed: steps, progress, reply, media, buttons."""
    graph = await get_graph()
    thread = _thread()
    config = {"configurable": {"thread_id": thread}}
    before = dict((await graph.aget_state(config)).values)
    lang = detect_language(text, default=before.get("language") or "zh")
    progress = cl.Message(content="⏳")
    await progress.send()
    video_step: cl.Step | None = None
    started = last = time.perf_counter()
    try:
        async for mode, chunk in graph.astream(
            {"messages": [user_message(text, images=images, audio=audio)]},
            config,
            context=_context(),
            stream_mode=["updates", "custom"],
        ):
            if mode == "custom":
                progress.content = progress_text(chunk, lang)
                await progress.update()
                continue
            now = time.perf_counter()
            for node, update in (chunk or {}).items():
                NODE_SECONDS.labels(node).observe(now - last)
                if node == "storyboard" and video_step is None:
                    video_step = cl.Step(name="render", type="run")
                    video_step.input = f"{len((update or {}).get('plan') or [])} shots"
                    await video_step.send()
                parent = video_step.id if video_step and node in ("render_shot", "video_generator") else None
                async with cl.Step(name=node, type="tool", parent_id=parent) as step:
                    step.input = text if node == "intent_router" else ""
                    step.output = _summary(node, update)
                if node == "video_generator" and video_step is not None:
                    video_step.output = "assembled"
                    await video_step.update()
            last = now
    except Exception as exc:  # a failed turn is shown, and the project stays at its last version
        ERRORS.labels("turn").inc()
        await progress.remove()
        await cl.Message(content=f"⚠️ {type(exc).__name__}: {exc}").send()
        return
    values = dict((await graph.aget_state(config)).values)
    intent = (values.get("intent") or {}).get("intent", "unclear")
    TURNS.labels(intent).inc()
    if (values.get("intent") or {}).get("slots", {}).get("error") or (values.get("outcome") or {}).get(
        "error"
    ):
        ERRORS.labels("refused").inc()
    if (values.get("render") or {}).get("path") != (before.get("render") or {}).get("path"):
        RENDER_SECONDS.observe(time.perf_counter() - started)
    done = "✅ 完成" if lang == "zh" else "✅ Done"
    progress.content = f"{done} (100%) · {time.perf_counter() - started:.1f}s"
    await progress.update()
    await cl.Message(
        content=values.get("reply", ""),
        elements=_media(values, before),
        actions=_actions(values, values.get("language", lang)),
    ).send()


@cl.on_message
async def on_message(message: cl.Message) -> None:
    """A typed message, with any uploaded image (a shot) or audio file (the music bed)."""
    images, audio = [], []
    for element in message.elements or []:
        mime = (getattr(element, "mime", "") or "").lower()
        if element.path and mime.startswith("image/"):
            images.append(element.path)
        elif element.path:  # audio, or anything else: the router checks it by content
            audio.append(element.path)
    await run_turn(message.content, images, audio)


@cl.action_callback("say")
async def on_action(action: cl.Action) -> None:
    """A button does what typing its words does: the words appear as the user's message."""
    text = str(action.payload.get("text", ""))
    await cl.Message(content=text, type="user_message").send()
    await run_turn(text)


async def healthz(request: Any) -> JSONResponse:
    """The checkpoint database answers and ffmpeg is installed."""
    checks: dict[str, Any] = {}
    try:
        with sqlite3.connect(default_db_path()) as conn:
            conn.execute("select 1").fetchone()
        checks["checkpoints"] = "ok"
    except sqlite3.Error as exc:
        checks["checkpoints"] = f"error: {exc}"
    try:
        checks["ffmpeg"] = binary("ffmpeg")
    except Exception as exc:  # missing binary
        checks["ffmpeg"] = f"error: {exc}"
    ok = checks["checkpoints"] == "ok" and not str(checks["ffmpeg"]).startswith("error")
    return JSONResponse({"ok": ok, **checks}, status_code=200 if ok else 503)


async def metrics(request: Any) -> Response:
    """Prometheus text: turns, node latencies, render seconds, errors, active sessions."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def owner_of(key: str) -> str | None:
    """The user whose thread holds the stored element `key`, from the chat history."""
    with sqlite3.connect(CHAT_DB) as conn:
        row = conn.execute(
            'SELECT t."userIdentifier" FROM elements e JOIN threads t ON t.id = e."threadId" '
            'WHERE e."objectKey" = ?',
            (key,),
        ).fetchone()
    return str(row[0]) if row and row[0] else None


async def files(request: Any) -> FileResponse:
    """Stored chat elements, for the logged-in owner of their thread only (a page reopening an
    old chat loads them from here; a live chat uses Chainlit's per-session file route)."""
    from chainlit.auth import authenticate_user, get_token_from_cookies

    key = request.path_params["key"]
    token = get_token_from_cookies(dict(request.cookies))
    if not token:
        raise HTTPException(401)
    user = await authenticate_user(token)
    if owner_of(key) != user.identifier:
        raise HTTPException(404)  # someone else's, or nothing: the same answer
    try:
        path = _storage._path(key)
    except ValueError as exc:
        raise HTTPException(404) from exc
    if not path.is_file():
        raise HTTPException(404)
    return FileResponse(path)


_page = chainlit_server.get_html_template


def _offline_page(*args: Any, **kwargs: Any) -> str:
    """Chainlit's page without requests to the internet: no font-server preconnect, no CDN
    stylesheet (KaTeX, unused: LaTeX is off); the fonts are local."""
    return re.sub(r'<link\b[^>]*href="https?://[^"]*"[^>]*>', "", _page(*args, **kwargs))


chainlit_server.get_html_template = _offline_page

# Chainlit's catch-all page route would shadow routes added after it: put ours first.
for route in (Route("/healthz", healthz), Route("/metrics", metrics), Route("/files/{key:path}", files)):
    server.router.routes.insert(0, route)

__all__ = ["ROOT", "create_tables", "get_graph"]
