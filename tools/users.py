"""Chat users: names with salted argon2 password hashes in a SQLite table (sqlite-utils), or in
the PostgreSQL database of a scaled chat history (`db` a `postgresql://` address)."""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

import sqlite_utils
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tools.sqlite import immediate

_hasher = PasswordHasher()
NAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")


class UserError(ValueError):
    """A user name or password that cannot be used."""


SCHEMA = "CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, hash TEXT, created FLOAT)"
PG_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS cinechat_users (name TEXT PRIMARY KEY, hash TEXT, created DOUBLE PRECISION)"
)
"""The users table in PostgreSQL (Chainlit's own `users` table is beside it)."""

Location = Path | str


def _on_server(db: Location) -> bool:
    return isinstance(db, str) and db.startswith(("postgresql://", "postgres://"))


def _pg_rows(db: str, query: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    import psycopg

    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(PG_SCHEMA)
        cur = conn.execute(query, params)
        return list(cur.fetchall()) if cur.description else []


def _table(db: Path) -> sqlite_utils.db.Table:
    """The users table for reading (created, under the write lock, if missing)."""
    db.parent.mkdir(parents=True, exist_ok=True)
    table = sqlite_utils.Database(db)["users"]
    assert isinstance(table, sqlite_utils.db.Table)
    if not table.exists():
        with immediate(db) as conn:
            conn.execute(SCHEMA)
    return table


def add_user(db: Location, name: str, password: str) -> None:
    """Create or replace a user (the password is stored only as an argon2 hash)."""
    if not NAME.match(name):
        raise UserError("names are 2-64 letters, digits or _.@-")
    if len(password) < 8:
        raise UserError("passwords need at least 8 characters")
    row = {"name": name, "hash": _hasher.hash(password), "created": time.time()}
    if _on_server(db):
        _pg_rows(
            str(db),
            "INSERT INTO cinechat_users (name, hash, created) VALUES (%s, %s, %s)"
            " ON CONFLICT (name) DO UPDATE SET hash = excluded.hash, created = excluded.created",
            (row["name"], row["hash"], row["created"]),
        )
        return
    db = Path(db)
    db.parent.mkdir(parents=True, exist_ok=True)
    with immediate(db) as conn:  # the CLI and the web app may both write it
        conn.execute(SCHEMA)
        conn.execute(
            "INSERT INTO users (name, hash, created) VALUES (:name, :hash, :created)"
            " ON CONFLICT (name) DO UPDATE SET hash = excluded.hash, created = excluded.created",
            row,
        )


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
    """Remove a user (their login); whether there was one."""
    if _on_server(db):
        return bool(_pg_rows(str(db), "DELETE FROM cinechat_users WHERE name = %s RETURNING name", (name,)))
    _table(Path(db))  # the table exists
    with immediate(Path(db)) as conn:
        return conn.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount > 0


def count(db: Location) -> int:
    """How many users exist."""
    if _on_server(db):
        return int(_pg_rows(str(db), "SELECT count(*) FROM cinechat_users")[0][0])  # type: ignore[call-overload]
    return _table(Path(db)).count


def new_password() -> str:
    """A random password for a first user."""
    return secrets.token_urlsafe(12)
