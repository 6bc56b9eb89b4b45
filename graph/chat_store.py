"""The browser chat's own store, beside the checkpoints: the chat history tables of Chainlit's
SQLAlchemy data layer (on SQLite), the stored chat elements on local disk, the users who may log
in (tools/users.py, re-exported for the faces), which user owns a stored element, and the health
of what the app depends on."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from chainlit.data.storage_clients.base import BaseStorageClient

from graph.context import ROOT, checkpoints_location, home_of
from tools import users
from tools.ffmpeg import binary
from tools.users import UserError, add_user, count, new_password, verify

STATE_DIR = Path(os.environ.get("CINECHAT_STATE", str(home_of(None)))).resolve()
"""Where the chat history, the users and the chat's files live."""
CHAT_DB = STATE_DIR / "chainlit.sqlite"
USERS_DB = STATE_DIR / "users.sqlite"
CHAT_DB_URL = os.environ.get("CINECHAT_CHAT_DB") or f"sqlite+aiosqlite:///{CHAT_DB}"
"""The chat history's SQLAlchemy address: CINECHAT_CHAT_DB (`sqlite+aiosqlite:///…` or
`postgresql+asyncpg://…`), else the SQLite file in the state folder."""
FILES = STATE_DIR / "chat-files"
__all__ = [
    "CHAT_DB",
    "CHAT_DB_URL",
    "ChatDataLayer",
    "FILES",
    "USERS_DB",
    "LocalStorage",
    "UserError",
    "add_user",
    "app_root",
    "audit_location",
    "auth_secret",
    "metrics_token",
    "prepare",
    "can_log_in",
    "chat_db_url",
    "count",
    "create_tables",
    "delete_chats_of",
    "health",
    "new_password",
    "owner_of",
    "thread_of",
    "users_location",
]

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


PG_SCHEMA = """
CREATE TABLE IF NOT EXISTS users ("id" UUID PRIMARY KEY, "identifier" TEXT NOT NULL UNIQUE,
  "metadata" JSONB NOT NULL, "createdAt" TEXT);
CREATE TABLE IF NOT EXISTS threads ("id" UUID PRIMARY KEY, "createdAt" TEXT, "name" TEXT,
  "userId" UUID, "userIdentifier" TEXT, "tags" TEXT[], "metadata" JSONB,
  FOREIGN KEY ("userId") REFERENCES users("id") ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS steps ("id" UUID PRIMARY KEY, "name" TEXT NOT NULL, "type" TEXT NOT NULL,
  "threadId" UUID NOT NULL, "parentId" UUID, "streaming" BOOLEAN NOT NULL, "waitForAnswer" BOOLEAN,
  "isError" BOOLEAN, "metadata" JSONB, "tags" TEXT[], "input" TEXT, "output" TEXT, "createdAt" TEXT,
  "command" TEXT, "start" TEXT, "end" TEXT, "generation" JSONB, "showInput" TEXT, "language" TEXT,
  "indent" INT, "defaultOpen" BOOLEAN, "autoCollapse" BOOLEAN, "modes" JSONB,
  FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS elements ("id" UUID PRIMARY KEY, "threadId" UUID, "type" TEXT, "url" TEXT,
  "chainlitKey" TEXT, "name" TEXT NOT NULL, "display" TEXT, "objectKey" TEXT, "size" TEXT,
  "page" INT, "language" TEXT, "forId" UUID, "mime" TEXT, "props" JSONB, "autoPlay" BOOLEAN,
  "playerConfig" JSONB,
  FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS feedbacks ("id" UUID PRIMARY KEY, "forId" UUID NOT NULL, "threadId" UUID NOT NULL,
  "value" INT NOT NULL, "comment" TEXT,
  FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS steps_thread ON steps ("threadId");
CREATE INDEX IF NOT EXISTS elements_object ON elements ("objectKey");
CREATE INDEX IF NOT EXISTS threads_user ON threads ("userIdentifier");
"""
"""Chainlit's documented PostgreSQL schema for its SQLAlchemy data layer (docs.chainlit.io,
data-layers/sqlalchemy: with `command`, `defaultOpen` and `modes`), plus the columns 2.12 writes
(`autoCollapse`, `autoPlay`, `playerConfig`) and the indexes the app's reads use."""


def on_server(url: str | None = None) -> bool:
    """Whether the chat history is in PostgreSQL."""
    return (url or CHAT_DB_URL).startswith(("postgresql", "postgres"))


def server_dsn(url: str | None = None) -> str:
    """The chat database's address for psycopg (without SQLAlchemy's driver name)."""
    url = url or CHAT_DB_URL
    scheme, rest = url.split("://", 1)
    return f"postgresql://{rest}" if scheme.startswith("postgres") else url


JOURNAL = "WAL"
"""The SQLite files the web app writes at every step (the chat history, the version history) use
write-ahead logging: readers never wait for the writer, and a commit is one append and one
fsync instead of a rollback journal's several. Without it, a single chat process topped out at
about 13 simple turns a second, its connections sleeping in SQLite's busy handler."""


def create_tables(path: Path = CHAT_DB) -> None:
    """The tables Chainlit's SQLAlchemy data layer needs, on SQLite, or on PostgreSQL (once,
    under an advisory lock, when several processes start together) when CINECHAT_CHAT_DB
    names a server."""
    if on_server():
        import psycopg

        with psycopg.connect(server_dsn(), autocommit=True) as conn:
            conn.execute("SELECT pg_advisory_lock(hashtext('cinechat-chat-schema'))")
            try:
                conn.execute(PG_SCHEMA)  # type: ignore[arg-type]
            finally:
                conn.execute("SELECT pg_advisory_unlock(hashtext('cinechat-chat-schema'))")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA journal_mode={JOURNAL}")  # kept in the file: every connection's
        conn.executescript(SCHEMA)


def chat_db_url(path: Path | None = None) -> str:
    """The SQLAlchemy address of the chat history."""
    return f"sqlite+aiosqlite:///{path}" if path else CHAT_DB_URL


def users_location(state_dir: Path = STATE_DIR) -> Path | str:
    """Where the chat users are: beside the chat history in PostgreSQL, else users.sqlite."""
    return server_dsn() if on_server() else state_dir / "users.sqlite"


def role_of(name: str) -> str | None:
    """A chat user's role now (admin, creator, viewer), or None when there is no such user."""
    return users.role_of(users_location(), name)


class LoginCounts:
    """Failed-login counts in the users database (`websec.LoginCounts`), shared by every
    process that serves this chat: the workers of a cluster, a restarted server."""

    def get(self, keys: list[str]) -> dict[str, tuple[int, float]]:
        """key -> (failures, time of the last)."""
        return users.login_failures(users_location(), keys)

    def add(self, keys: list[str], now: float, window: float) -> None:
        """One more failure per key."""
        users.add_login_failure(users_location(), keys, now, window)

    def clear(self, key: str) -> None:
        """Forget a key."""
        users.clear_login_failures(users_location(), key)


def shared_with(name: str) -> list[tuple[str, str]]:
    """The projects shared with a user (thread, owner), newest first."""
    return users.shared_with(users_location(), name)


def shares_by(name: str) -> list[tuple[str, str]]:
    """The shares a user made (thread, viewer), newest first."""
    return users.shares_by(users_location(), name)


def share(thread: str, owner: str, viewer: str) -> None:
    """Let `viewer` watch and export `owner`'s project `thread` (tools.users.UserError if there
    is no such viewer)."""
    users.share(users_location(), thread, owner, viewer)


def unshare(thread: str, viewer: str) -> bool:
    """End a share; whether there was one."""
    return users.unshare(users_location(), thread, viewer)


def all_users() -> list[tuple[str, str]]:
    """Every chat user with their role."""
    return users.all_users(users_location())


def audit_location(state_dir: Path = STATE_DIR) -> Path | str:
    """Where the audit log and the logout revocations are: beside the users."""
    return users_location(state_dir)


def metrics_token(state_dir: Path = STATE_DIR) -> str:
    """The bearer token /metrics asks for: CINECHAT_METRICS_TOKEN, else one generated once
    into <state>/.metrics_token (mode 600) for the scraper to read."""
    import secrets

    if os.environ.get("CINECHAT_METRICS_TOKEN"):
        return os.environ["CINECHAT_METRICS_TOKEN"]
    path = state_dir / ".metrics_token"
    if not path.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def delete_chats_of(name: str) -> int:
    """Delete every chat of a user from the chat history (steps, elements and their stored
    files, feedback, threads) and Chainlit's row of the user; returns the chats deleted."""
    tables = ("feedbacks", "elements", "steps")
    if on_server():
        import psycopg

        with psycopg.connect(server_dsn(), autocommit=True) as pg:
            ids = [r[0] for r in pg.execute('SELECT id FROM threads WHERE "userIdentifier" = %s', (name,))]
            keys = [
                r[0]
                for r in pg.execute('SELECT "objectKey" FROM elements WHERE "threadId" = ANY(%s)', (ids,))
            ]
            for table in tables:
                pg.execute(f'DELETE FROM {table} WHERE "threadId" = ANY(%s)', (ids,))
            pg.execute("DELETE FROM threads WHERE id = ANY(%s)", (ids,))
            pg.execute("DELETE FROM users WHERE identifier = %s", (name,))
    else:
        if not CHAT_DB.exists():
            return 0
        with sqlite3.connect(CHAT_DB, timeout=30) as conn:
            ids = [r[0] for r in conn.execute('SELECT id FROM threads WHERE "userIdentifier" = ?', (name,))]
            marks = ",".join("?" * len(ids))
            keys = [
                r[0]
                for r in conn.execute(f'SELECT "objectKey" FROM elements WHERE "threadId" IN ({marks})', ids)
            ]
            for table in tables:
                conn.execute(f'DELETE FROM {table} WHERE "threadId" IN ({marks})', ids)
            conn.execute(f"DELETE FROM threads WHERE id IN ({marks})", ids)
            conn.execute("DELETE FROM users WHERE identifier = ?", (name,))
    storage = LocalStorage(FILES)
    for key in filter(None, keys):
        try:
            storage.path_of(key).unlink(missing_ok=True)
        except ValueError:  # a key outside the store: nothing of ours
            pass
    return len(ids)


class ChatDataLayer(SQLAlchemyDataLayer):
    """Chainlit's SQLAlchemy data layer, with every dict parameter sent as JSON text: a step's
    non-empty `modes` (and an element's `playerConfig`) reach the driver as dicts, which
    asyncpg refuses for a JSONB column (Chainlit issue #2930) and SQLite cannot bind."""

    async def execute_sql(self, query: str, parameters: dict[str, Any]) -> Any:
        """Run a query with dict parameters as JSON text."""
        sent = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in parameters.items()}
        return await super().execute_sql(query=query, parameters=sent)

    async def create_element(self, element: Any) -> None:
        """Record an element; one of the asset store's files (object key `media/<store key>`,
        sent by a presigned link) is recorded by its key, not downloaded and copied again."""
        key = getattr(element, "object_key", None) or ""
        if not key.startswith(MEDIA_PREFIX) or not element.for_id:
            await super().create_element(element)
            return
        row = {k: v for k, v in element.to_dict().items() if v is not None and k != "url"}
        row["props"] = json.dumps(row.get("props") or {})
        columns = ", ".join(f'"{c}"' for c in row)
        updates = ", ".join(f'"{c}" = :{c}' for c in row if c != "id")
        values = ", ".join(f":{c}" for c in row)
        await self.execute_sql(
            query=f"INSERT INTO elements ({columns}) VALUES ({values}) ON CONFLICT (id) DO UPDATE SET {updates};",
            parameters=row,
        )


MEDIA_PREFIX = "media/"
"""The object keys of chat elements that are files of the asset store, shown by link."""


class LocalStorage(BaseStorageClient):
    """Elements kept on local disk and served by this app at /files/<key>; elements that are
    files of an object-store asset store (`media/<store key>`) are read by a fresh presigned
    link each time a chat is opened."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def path_of(self, key: str) -> Path:
        """The file of a stored element; a key that leads outside the store raises ValueError."""
        if key.startswith(MEDIA_PREFIX):
            raise ValueError("an asset store file, not a stored element")
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
        """Store an element's bytes under its key."""
        path = self.path_of(object_key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return {"object_key": object_key, "url": f"/files/{object_key}"}

    async def delete_file(self, object_key: str) -> bool:
        """Remove a stored element (an asset store file stays: other versions share it)."""
        if not object_key.startswith(MEDIA_PREFIX):
            self.path_of(object_key).unlink(missing_ok=True)
        return True

    async def get_read_url(self, object_key: str) -> str:
        """Where the browser reads a stored element."""
        if object_key.startswith(MEDIA_PREFIX):
            from graph.context import Context
            from tools.assets import AssetStore

            link = AssetStore(Context().data_dir).url(object_key[len(MEDIA_PREFIX) :])
            if link:
                return link
        return f"/files/{object_key}"

    async def close(self) -> None:
        """Nothing to close: files are written whole."""
        return None


def can_log_in(username: str, password: str) -> bool:
    """Whether the name and password match a chat user (argon2 hashes)."""
    return verify(users_location(), username, password)


def owner_of(key: str, path: Path = CHAT_DB) -> str | None:
    """The user whose thread holds the stored element `key`, from the chat history."""
    if on_server():
        import psycopg

        with psycopg.connect(server_dsn()) as pg:
            found = pg.execute(
                'SELECT t."userIdentifier" FROM elements e JOIN threads t ON t.id = e."threadId" '
                'WHERE e."objectKey" = %s',
                (key,),
            ).fetchone()
        return str(found[0]) if found and found[0] else None
    with sqlite3.connect(path) as conn:
        row = conn.execute(
            'SELECT t."userIdentifier" FROM elements e JOIN threads t ON t.id = e."threadId" '
            'WHERE e."objectKey" = ?',
            (key,),
        ).fetchone()
    return str(row[0]) if row and row[0] else None


def thread_of(user: str | None, chat_thread: str) -> str:
    """The LangGraph thread of a chat: the chat's thread id under its user's name, so one
    user's thread id opens nothing of another's."""
    return f"{user or 'anonymous'}:{chat_thread}"


def health() -> tuple[bool, dict[str, Any]]:
    """Whether the checkpoint database answers and ffmpeg is installed, with each check."""
    checks: dict[str, Any] = {}
    place = checkpoints_location()
    if isinstance(place, str):  # scaled mode: the PostgreSQL history
        from graph.postgres import health as pg_health

        checks["checkpoints"] = pg_health(place)
    else:
        try:
            with sqlite3.connect(place) as conn:
                conn.execute("select 1").fetchone()
            checks["checkpoints"] = "ok"
        except sqlite3.Error as exc:
            checks["checkpoints"] = f"error: {exc}"
    if on_server():  # the chat history in PostgreSQL
        from graph.postgres import health as pg_health

        checks["chat_history"] = pg_health(server_dsn())
    from tools.media import backend

    remote = backend()
    if remote is not None:  # media in an object store
        try:
            remote.health()
            checks["media"] = "ok"
        except Exception as exc:  # unreachable, or refused
            checks["media"] = f"error: {type(exc).__name__}"
    if os.environ.get("CINECHAT_RENDER", "local") == "celery":  # render workers: broker and Redis
        from tools import jobs

        checks["render_queue"] = jobs.health()
    try:
        binary("ffmpeg")
        checks["ffmpeg"] = "ok"  # no paths: /healthz is public
    except Exception:  # missing binary
        checks["ffmpeg"] = "error: not installed"
    failed = [name for name, said in checks.items() if str(said).startswith("error")]
    return not failed and checks["checkpoints"] == "ok", checks


def auth_secret(state_dir: Path = STATE_DIR) -> str:
    """CHAINLIT_AUTH_SECRET: from the environment, else the one stored in the state folder
    (made on first use, readable by this user only)."""
    if os.environ.get("CHAINLIT_AUTH_SECRET"):
        return os.environ["CHAINLIT_AUTH_SECRET"]
    path = state_dir / ".chainlit_secret"
    if not path.exists():
        import secrets

        state_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def prepare(state_dir: Path = STATE_DIR) -> str | None:
    """What the web app needs before it serves: the login secret in the environment and a
    first user. Returns the first user's new password when one was made (to print once)."""
    os.environ["CHAINLIT_AUTH_SECRET"] = auth_secret(state_dir)
    metrics_token(state_dir)  # made now, so a scraper can read it before the first scrape
    users = users_location(state_dir)
    if count(users) == 0:
        password = new_password()
        add_user(users, "admin", password, role="admin")
        return password
    return None


def app_root() -> Path:
    """The folder Chainlit runs in (its .chainlit/config.toml, public/theme.json,
    chainlit.md): the checkout itself, else a copy of the files an installed wheel carries
    (share/cinechat/app) in the state folder, where Chainlit may write its translations."""
    import shutil
    import sysconfig

    if (ROOT / ".chainlit" / "config.toml").exists():
        return ROOT
    target = STATE_DIR / "app"
    source = Path(sysconfig.get_path("data")) / "share" / "cinechat" / "app"
    if source.is_dir() and not (target / ".chainlit" / "config.toml").exists():
        shutil.copytree(source, target, dirs_exist_ok=True)
    return target
