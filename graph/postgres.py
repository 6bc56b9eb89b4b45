"""Scaled mode's version history: LangGraph's PostgreSQL savers (`langgraph-checkpoint-postgres`)
on a `psycopg_pool` pool, and per-thread turn locks as PostgreSQL advisory locks, so several
chat processes and CLI runs on several machines share one history and still run one turn at a
time per project. Chosen by `CINECHAT_CHECKPOINTS=postgresql://…`; SQLite stays the default.

Two things the released saver needs around it:

- `setup()` creates its indexes `CONCURRENTLY`, which cannot run inside a transaction, and two
  processes running it at once race on `checkpoint_migrations`. `migrate_schema` runs it on an
  autocommit connection under an advisory lock, once per process and database.
- Each saver instance serialises every call behind one lock, so a pool behind it is used one
  connection at a time (langgraph issue #7259, fix unmerged when this was written). The savers
  here replace that lock with a semaphore of the pool's size: each call still takes its own
  connection from the pool, and up to `size` calls run at once."""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
import time
from typing import Any

from filelock import Timeout
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

PREFIXES = ("postgresql://", "postgres://")
SETUP_LOCK = 0x63696E65  # the advisory lock key that orders `setup()` runs ("cine")
_migrated: set[str] = set()
_migrated_lock = threading.Lock()


def is_postgres(location: Any) -> bool:
    """Whether a checkpoint location is a PostgreSQL address (else a SQLite file)."""
    return isinstance(location, str) and location.startswith(PREFIXES)


def pool_size() -> int:
    """Connections per process: CINECHAT_PG_POOL (10)."""
    return max(1, int(os.environ.get("CINECHAT_PG_POOL", "10")))


CONNECTION = {"autocommit": True, "prepare_threshold": 0}
"""What the savers need of every connection (plus `row_factory=dict_row`)."""

MAX_IDLE, MAX_LIFETIME, WAIT = 300.0, 1800.0, 30.0
"""Idle connections are closed after 5 minutes and every connection is replaced after 30 (so a
server restart or a proxy's idle cut costs at most one failed check, not a broken pool); a
caller waits up to 30 s for a free connection."""


def _kwargs() -> dict[str, Any]:
    from psycopg.rows import dict_row

    return {**CONNECTION, "row_factory": dict_row}


def migrate_schema(url: str) -> None:
    """Create or upgrade the saver's tables (idempotent), one process at a time."""
    with _migrated_lock:
        if url in _migrated:
            return
        import psycopg

        with psycopg.connect(url, **_kwargs()) as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (SETUP_LOCK,))
            try:
                PostgresSaver(conn).setup()  # type: ignore[arg-type]
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK,))
        _migrated.add(url)


class PooledPostgresSaver(PostgresSaver):
    """`PostgresSaver` on a pool, with its instance lock widened to the pool's size (#7259)."""

    lock_url: str
    """The database the turn locks are taken in (graph/turns.py)."""

    def __init__(self, pool: Any, url: str, size: int) -> None:
        super().__init__(pool)
        self.lock = threading.BoundedSemaphore(size)  # type: ignore[assignment]
        self.lock_url = url

    def close(self) -> None:
        """Close the pool."""
        self.conn.close()  # type: ignore[union-attr]


class AsyncPooledPostgresSaver(AsyncPostgresSaver):
    """`AsyncPostgresSaver` on an async pool, with its lock widened the same way (#7259)."""

    lock_url: str

    def __init__(self, pool: Any, url: str, size: int) -> None:
        super().__init__(pool)
        self.lock = asyncio.Semaphore(size)  # type: ignore[assignment]
        self.lock_url = url

    async def aclose(self) -> None:
        """Close the pool."""
        await self.conn.close()  # type: ignore[union-attr]


def open_postgres(url: str) -> PooledPostgresSaver:
    """The sync saver of a PostgreSQL history (its schema made first)."""
    from psycopg_pool import ConnectionPool

    migrate_schema(url)
    size = pool_size()
    pool = ConnectionPool(
        url,
        min_size=1,
        max_size=size,
        kwargs=_kwargs(),
        check=ConnectionPool.check_connection,
        open=True,
        max_idle=MAX_IDLE,
        max_lifetime=MAX_LIFETIME,
        timeout=WAIT,
    )
    return PooledPostgresSaver(pool, url, size)


async def aopen_postgres(url: str) -> AsyncPooledPostgresSaver:
    """The async saver of a PostgreSQL history, for the web app's event loop."""
    from psycopg_pool import AsyncConnectionPool

    await asyncio.to_thread(migrate_schema, url)
    size = pool_size()
    pool = AsyncConnectionPool(
        url,
        min_size=1,
        max_size=size,
        kwargs=_kwargs(),
        check=AsyncConnectionPool.check_connection,
        open=False,
        max_idle=MAX_IDLE,
        max_lifetime=MAX_LIFETIME,
        timeout=WAIT,
    )
    await pool.open()
    return AsyncPooledPostgresSaver(pool, url, size)


def lock_key(thread: str) -> int:
    """The advisory lock key of a thread: 64 bits of its hash, as PostgreSQL's signed bigint."""
    digest = hashlib.sha256(f"cinechat-turn:{thread}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class AdvisoryLock:
    """One thread's turn lock as a session-level advisory lock on its own connection: held for
    the turn, released on `release`, and by the server when the holding process dies (its
    connection closes). The same interface as `filelock.FileLock` (acquire with a timeout of
    -1 to wait or 0 to refuse, raising `filelock.Timeout`)."""

    def __init__(self, url: str, thread: str, poll_interval: float = 0.1) -> None:
        self.url, self.key, self.poll = url, lock_key(thread), poll_interval
        self.conn: Any = None

    def acquire(self, timeout: float = -1) -> None:
        """Take the lock, waiting (`timeout` -1), failing at once (0) or after `timeout` s."""
        import psycopg

        conn = psycopg.connect(self.url, autocommit=True)
        deadline = time.monotonic() + timeout
        while True:
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
            if row and row[0]:
                self.conn = conn
                return
            if timeout >= 0 and time.monotonic() >= deadline:
                conn.close()
                raise Timeout(f"advisory lock {self.key}")
            time.sleep(self.poll)

    def release(self) -> None:
        """Give the lock back and close its connection."""
        if self.conn is not None:
            try:
                self.conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
            finally:
                self.conn.close()
                self.conn = None


class AsyncAdvisoryLock:
    """`AdvisoryLock` for the event loop (the web app)."""

    def __init__(self, url: str, thread: str, poll_interval: float = 0.1) -> None:
        self.url, self.key, self.poll = url, lock_key(thread), poll_interval
        self.conn: Any = None

    async def acquire(self, timeout: float = -1) -> None:
        """Take the lock (see `AdvisoryLock.acquire`)."""
        import psycopg

        conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
        deadline = time.monotonic() + timeout
        while True:
            cur = await conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,))
            row = await cur.fetchone()
            if row and row[0]:
                self.conn = conn
                return
            if timeout >= 0 and time.monotonic() >= deadline:
                await conn.close()
                raise Timeout(f"advisory lock {self.key}")
            await asyncio.sleep(self.poll)

    async def release(self) -> None:
        """Give the lock back and close its connection."""
        if self.conn is not None:
            try:
                await self.conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
            finally:
                await self.conn.close()
                self.conn = None


def health(url: str) -> str:
    """'ok' if the database answers, else the error (with no address in it)."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1").fetchone()
        return "ok"
    except psycopg.Error as exc:
        return f"error: {type(exc).__name__}"
