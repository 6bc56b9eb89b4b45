"""The audit log: an append-only table of who did what, from where, to which project, with what
outcome. In SQLite (beside the users) triggers refuse every UPDATE and DELETE; in PostgreSQL
(the scaled chat store) a trigger does the same. Also the per-user token revocations that make
a logout final. Knows nothing of the graph or the web app."""

from __future__ import annotations

import json
import threading
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from tools.sqlite import BUSY_TIMEOUT

Location = Path | str

SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL,
  user TEXT, address TEXT, action TEXT NOT NULL, thread TEXT, version TEXT, outcome TEXT, detail TEXT);
CREATE INDEX IF NOT EXISTS audit_user ON audit (user, at);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE IF NOT EXISTS revocations (name TEXT PRIMARY KEY, before REAL NOT NULL);
"""

PG_SCHEMA = """
CREATE TABLE IF NOT EXISTS cinechat_audit (id BIGSERIAL PRIMARY KEY, at DOUBLE PRECISION NOT NULL,
  "user" TEXT, address TEXT, action TEXT NOT NULL, thread TEXT, version TEXT, outcome TEXT, detail TEXT);
CREATE INDEX IF NOT EXISTS cinechat_audit_user ON cinechat_audit ("user", at);
CREATE OR REPLACE FUNCTION cinechat_audit_append_only() RETURNS trigger AS $$
  BEGIN RAISE EXCEPTION 'the audit log is append-only'; END; $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS cinechat_audit_append_only ON cinechat_audit;
CREATE TRIGGER cinechat_audit_append_only BEFORE UPDATE OR DELETE ON cinechat_audit
  FOR EACH ROW EXECUTE FUNCTION cinechat_audit_append_only();
CREATE TABLE IF NOT EXISTS cinechat_revocations (name TEXT PRIMARY KEY, before DOUBLE PRECISION NOT NULL);
"""

ACTIONS = (
    "login",
    "login_failed",
    "login_locked",
    "logout",
    "turn",
    "render",
    "export",
    "restore",
    "delete",
    "user_added",
    "user_deleted",
    "policy_refused",
    "role_refused",
    "role_changed",
    "share",
    "unshare",
    "admin_view",
    "voice_refused",
)
"""What is recorded."""

FIELDS = ("at", "user", "address", "action", "thread", "version", "outcome", "detail")


def _on_server(db: Location) -> bool:
    return isinstance(db, str) and db.startswith(("postgresql://", "postgres://"))


_ready: set[str] = set()
_pools: dict[str, Any] = {}
_pools_lock = threading.Lock()


def _pg(db: str) -> Any:
    """A connection from this process's small pool for `db` (the revocation check runs on every
    authenticated request: no new server connection each time), the tables made once."""
    from psycopg_pool import ConnectionPool

    with _pools_lock:
        if db not in _pools:
            pool = ConnectionPool(db, kwargs={"autocommit": True}, min_size=1, max_size=4, open=True)
            with pool.connection() as conn:
                conn.execute("SELECT pg_advisory_lock(hashtext('cinechat-audit-schema'))")
                try:
                    conn.execute(PG_SCHEMA)
                finally:
                    conn.execute("SELECT pg_advisory_unlock(hashtext('cinechat-audit-schema'))")
            _pools[db] = pool
    return _pools[db].connection()


def _sqlite(db: Path) -> Any:
    """A write connection (one statement each: no read-then-write transaction here), the
    tables made once per process."""
    import sqlite3

    db.parent.mkdir(parents=True, exist_ok=True)
    if str(db) not in _ready:
        with closing(sqlite3.connect(db, timeout=BUSY_TIMEOUT, isolation_level=None)) as conn:
            conn.executescript(SQLITE_SCHEMA)
        _ready.add(str(db))
    return closing(sqlite3.connect(db, timeout=BUSY_TIMEOUT, isolation_level=None))


def record(
    db: Location,
    action: str,
    *,
    user: str | None = None,
    address: str | None = None,
    thread: str | None = None,
    version: str | None = None,
    outcome: str = "ok",
    detail: str | dict[str, Any] = "",
) -> None:
    """Append one entry."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    text = detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False, sort_keys=True)
    row = (time.time(), user, address, action, thread, version, outcome, text[:500])
    if _on_server(db):
        with _pg(str(db)) as conn:
            conn.execute(
                'INSERT INTO cinechat_audit (at, "user", address, action, thread, version, outcome, detail)'
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                row,
            )
        return
    with _sqlite(Path(db)) as conn:
        conn.execute(
            "INSERT INTO audit (at, user, address, action, thread, version, outcome, detail)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            row,
        )


def _has_table(conn: Any, name: str) -> bool:
    return bool(
        conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone()
    )


def entries(
    db: Location, user: str | None = None, since: float | None = None, limit: int = 10_000
) -> list[dict[str, Any]]:
    """The entries, oldest first, of one user and/or since a time."""
    where: list[str] = []
    params: list[Any] = []
    column = '"user"' if _on_server(db) else "user"
    mark = "%s" if _on_server(db) else "?"
    if user:
        where.append(f"{column} = {mark}")
        params.append(user)
    if since is not None:
        where.append(f"at >= {mark}")
        params.append(since)
    table = "cinechat_audit" if _on_server(db) else "audit"
    query = f"SELECT at, {column}, address, action, thread, version, outcome, detail FROM {table}"
    query += (" WHERE " + " AND ".join(where) if where else "") + f" ORDER BY id LIMIT {int(limit)}"
    if _on_server(db):
        with _pg(str(db)) as conn:
            rows = conn.execute(query, params).fetchall()
    else:
        import sqlite3

        path = Path(db)
        if not path.exists():
            return []
        with sqlite3.connect(path) as conn:
            if not _has_table(conn, "audit"):
                return []
            rows = conn.execute(query, params).fetchall()
    return [dict(zip(FIELDS, row, strict=True)) for row in rows]


def revoke(db: Location, name: str, before: float | None = None) -> float:
    """Make every login token of `name` issued until now invalid (a logout)."""
    at = time.time() if before is None else before
    if _on_server(db):
        with _pg(str(db)) as conn:
            conn.execute(
                "INSERT INTO cinechat_revocations (name, before) VALUES (%s, %s)"
                " ON CONFLICT (name) DO UPDATE SET before = excluded.before",
                (name, at),
            )
        return at
    with _sqlite(Path(db)) as conn:
        conn.execute(
            "INSERT INTO revocations (name, before) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET before = excluded.before",
            (name, at),
        )
    return at


def revoked_before(db: Location, name: str) -> float:
    """Tokens of `name` issued at or before this time are void (0: none)."""
    if _on_server(db):
        with _pg(str(db)) as conn:
            row = conn.execute("SELECT before FROM cinechat_revocations WHERE name = %s", (name,)).fetchone()
        return float(row[0]) if row else 0.0
    import sqlite3

    path = Path(db)
    if not path.exists():
        return 0.0
    with sqlite3.connect(path) as conn:
        if not _has_table(conn, "revocations"):
            return 0.0
        row = conn.execute("SELECT before FROM revocations WHERE name = ?", (name,)).fetchone()
    return float(row[0]) if row else 0.0
