"""Chat users: names with salted argon2 password hashes in a SQLite table (sqlite-utils), or in
the PostgreSQL database of a scaled chat history (`db` a `postgresql://` address)."""

from __future__ import annotations

import re
import secrets
import sqlite3
import time
from pathlib import Path

import sqlite_utils
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tools.sqlite import immediate

_hasher = PasswordHasher()
NAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")


class UserError(ValueError):
    """A user name or password that cannot be used; `code` says which rule (for a reply in the
    user's language): bad_name, bad_password, bad_role, no_user, last_admin."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


ROLES = ("admin", "creator", "viewer")
"""admin: manages users, sees everyone's audit entries; creator: makes and edits projects;
viewer: watches and exports the projects shared with them, changes nothing."""
DEFAULT_ROLE = "creator"

SCHEMA = "CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, hash TEXT, created FLOAT)"
PG_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS cinechat_users (name TEXT PRIMARY KEY, hash TEXT, created DOUBLE PRECISION);"
    " ALTER TABLE cinechat_users ADD COLUMN IF NOT EXISTS role TEXT NOT NULL DEFAULT 'creator';"
    " CREATE TABLE IF NOT EXISTS cinechat_shares (thread TEXT, viewer TEXT, owner TEXT,"
    " created DOUBLE PRECISION, PRIMARY KEY (thread, viewer));"
    " CREATE TABLE IF NOT EXISTS cinechat_login_fails (key TEXT PRIMARY KEY, count INTEGER NOT NULL,"
    " last DOUBLE PRECISION NOT NULL)"
)
"""The users and shares tables in PostgreSQL (Chainlit's own `users` table is beside them)."""
SHARES = (
    "CREATE TABLE IF NOT EXISTS cinechat_shares (thread TEXT, viewer TEXT, owner TEXT, created FLOAT,"
    " PRIMARY KEY (thread, viewer))"
)

FAILS = "CREATE TABLE IF NOT EXISTS login_fails (key TEXT PRIMARY KEY, count INTEGER NOT NULL, last FLOAT NOT NULL)"
"""Failed logins per key (`user:NAME`, `addr:ADDRESS`), shared by every process of the app."""

Location = Path | str


def _on_server(db: Location) -> bool:
    return isinstance(db, str) and db.startswith(("postgresql://", "postgres://"))


_pg_ready: set[str] = set()


def _pg_rows(db: str, query: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    import psycopg

    with psycopg.connect(db, autocommit=True) as conn:
        if db not in _pg_ready:  # once per process: the ALTER TABLE locks the table
            conn.execute("SELECT pg_advisory_lock(hashtext('cinechat_users'))")
            try:
                conn.execute(PG_SCHEMA)
            finally:
                conn.execute("SELECT pg_advisory_unlock(hashtext('cinechat_users'))")
            _pg_ready.add(db)
        cur = conn.execute(query, params)
        return list(cur.fetchall()) if cur.description else []


def _migrate(conn: sqlite3.Connection) -> None:
    """The users table with its role column (added to files from before roles), and shares."""
    conn.execute(SCHEMA)
    if "role" not in {r[1] for r in conn.execute("PRAGMA table_info(users)")}:
        conn.execute(f"ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT '{DEFAULT_ROLE}'")
    conn.execute(SHARES)
    conn.execute(FAILS)


def _table(db: Path) -> sqlite_utils.db.Table:
    """The users table for reading (created, under the write lock, if missing or old)."""
    db.parent.mkdir(parents=True, exist_ok=True)
    table = sqlite_utils.Database(db)["users"]
    assert isinstance(table, sqlite_utils.db.Table)
    if not table.exists() or "role" not in table.columns_dict or not table.db["login_fails"].exists():
        with immediate(db) as conn:
            _migrate(conn)
    return table


def _query(
    db: Location, sql: str, params: tuple[object, ...] = (), write: bool = False
) -> list[tuple[object, ...]]:
    """One statement on the users database, written once for both engines: `?` placeholders,
    `{users}` for the users table."""
    if _on_server(db):
        return _pg_rows(
            str(db),
            sql.replace("?", "%s").format(users="cinechat_users", fails="cinechat_login_fails"),
            params,
        )
    _table(Path(db))
    statement = sql.format(users="users", fails="login_fails")
    if write:
        with immediate(Path(db)) as conn:
            cur = conn.execute(statement, params)
            return list(cur.fetchall()) if cur.description else []
    with sqlite3.connect(Path(db), timeout=30) as conn:
        return list(conn.execute(statement, params).fetchall())


def add_user(db: Location, name: str, password: str, role: str | None = None) -> None:
    """Create or replace a user (the password is stored only as an argon2 hash). A new user
    is a creator unless `role` says otherwise; a password reset keeps the role."""
    if not NAME.match(name):
        raise UserError("names are 2-64 letters, digits or _.@-", "bad_name")
    if len(password) < 8:
        raise UserError("passwords need at least 8 characters", "bad_password")
    if role is not None and role not in ROLES:
        raise UserError(f"roles are {', '.join(ROLES)}", "bad_role")
    update = "hash = excluded.hash, created = excluded.created" + (", role = excluded.role" if role else "")
    _query(  # the CLI and the web app may both write it
        db,
        f"INSERT INTO {{users}} (name, hash, created, role) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET {update}",
        (name, _hasher.hash(password), time.time(), role or DEFAULT_ROLE),
        write=True,
    )


def all_users(db: Location) -> list[tuple[str, str]]:
    """Every user with their role, by name."""
    return [(str(n), str(r)) for n, r in _query(db, "SELECT name, role FROM {users} ORDER BY name")]


def role_of(db: Location, name: str) -> str | None:
    """A user's role, or None when there is no such user."""
    found = _query(db, "SELECT role FROM {users} WHERE name = ?", (name,))
    return str(found[0][0]) if found else None


def set_role(db: Location, name: str, role: str) -> bool:
    """Give a user a role; whether the user exists."""
    if role not in ROLES:
        raise UserError(f"roles are {', '.join(ROLES)}", "bad_role")
    return bool(
        _query(db, "UPDATE {users} SET role = ? WHERE name = ? RETURNING name", (role, name), write=True)
    )


def share(db: Location, thread: str, owner: str, viewer: str) -> None:
    """Let `viewer` watch and export the project `thread` of `owner` (read-only)."""
    if role_of(db, viewer) is None:
        raise UserError(f"no user {viewer}", "no_user")
    _query(
        db,
        "INSERT INTO cinechat_shares (thread, viewer, owner, created) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (thread, viewer) DO NOTHING",
        (thread, viewer, owner, time.time()),
        write=True,
    )


def unshare(db: Location, thread: str, viewer: str) -> bool:
    """End a share; whether there was one."""
    done = _query(
        db,
        "DELETE FROM cinechat_shares WHERE thread = ? AND viewer = ? RETURNING thread",
        (thread, viewer),
        True,
    )
    return bool(done)


def shares_by(db: Location, owner: str) -> list[tuple[str, str]]:
    """The shares a user made: (thread, viewer), newest first."""
    rows = _query(
        db, "SELECT thread, viewer FROM cinechat_shares WHERE owner = ? ORDER BY created DESC", (owner,)
    )
    return [(str(t), str(v)) for t, v in rows]


def shared_with(db: Location, viewer: str) -> list[tuple[str, str]]:
    """The projects shared with a user: (thread, owner), newest first."""
    rows = _query(
        db, "SELECT thread, owner FROM cinechat_shares WHERE viewer = ? ORDER BY created DESC", (viewer,)
    )
    return [(str(t), str(o)) for t, o in rows]


def _hash_of(db: Location, name: str) -> str | None:
    if _on_server(db):
        found = _pg_rows(str(db), "SELECT hash FROM cinechat_users WHERE name = %s", (name,))
        return str(found[0][0]) if found else None
    rows = list(_table(Path(db)).rows_where("name = ?", [name]))
    return str(rows[0]["hash"]) if rows else None


def verify(db: Location, name: str, password: str) -> bool:
    """Whether the password is the user's (constant work whether or not the user exists)."""
    known = _hash_of(db, name)
    stored = known or _hasher.hash(secrets.token_hex(8))
    try:
        return _hasher.verify(stored, password) and known is not None
    except (VerificationError, InvalidHashError):
        return False


def delete_user(db: Location, name: str) -> bool:
    """Remove a user (their login, and the shares to and from them); whether there was one."""
    _query(db, "DELETE FROM cinechat_shares WHERE viewer = ? OR owner = ?", (name, name), write=True)
    return bool(_query(db, "DELETE FROM {users} WHERE name = ? RETURNING name", (name,), write=True))


def count(db: Location) -> int:
    """How many users exist."""
    if _on_server(db):
        return int(_pg_rows(str(db), "SELECT count(*) FROM cinechat_users")[0][0])  # type: ignore[call-overload]
    return _table(Path(db)).count


def login_failures(db: Location, keys: list[str]) -> dict[str, tuple[int, float]]:
    """The failed-login counts of these keys: key -> (failures, time of the last)."""
    if not keys:
        return {}
    marks = ", ".join("?" for _ in keys)
    rows = _query(db, f"SELECT key, count, last FROM {{fails}} WHERE key IN ({marks})", tuple(keys))
    return {str(k): (int(c), float(t)) for k, c, t in rows}  # type: ignore[call-overload,arg-type]


def add_login_failure(db: Location, keys: list[str], now: float, window: float) -> None:
    """One more failure for each key, in one atomic statement per key (a count whose last failure
    is older than `window` starts again at 1); counts untouched for longer than `window` go."""
    for key in keys:
        _query(
            db,
            "INSERT INTO {fails} (key, count, last) VALUES (?, 1, ?) ON CONFLICT (key) DO UPDATE SET"
            " count = CASE WHEN ? - {fails}.last > ? THEN 1 ELSE {fails}.count + 1 END, last = excluded.last",
            (key, now, now, window),
            write=True,
        )
    _query(db, "DELETE FROM {fails} WHERE last < ?", (now - window,), write=True)


def clear_login_failures(db: Location, key: str) -> None:
    """Forget a key's failures (a right password, or an admin's unlock)."""
    _query(db, "DELETE FROM {fails} WHERE key = ?", (key,), write=True)


def new_password() -> str:
    """A random password for a first user."""
    return secrets.token_urlsafe(12)
