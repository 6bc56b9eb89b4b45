"""Chat users: names with salted argon2 password hashes in a SQLite table (sqlite-utils)."""

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


def _table(db: Path) -> sqlite_utils.db.Table:
    """The users table for reading (created, under the write lock, if missing)."""
    db.parent.mkdir(parents=True, exist_ok=True)
    table = sqlite_utils.Database(db)["users"]
    assert isinstance(table, sqlite_utils.db.Table)
    if not table.exists():
        with immediate(db) as conn:
            conn.execute(SCHEMA)
    return table


def add_user(db: Path, name: str, password: str) -> None:
    """Create or replace a user (the password is stored only as an argon2 hash)."""
    if not NAME.match(name):
        raise UserError("names are 2-64 letters, digits or _.@-")
    if len(password) < 8:
        raise UserError("passwords need at least 8 characters")
    row = {"name": name, "hash": _hasher.hash(password), "created": time.time()}
    db.parent.mkdir(parents=True, exist_ok=True)
    with immediate(db) as conn:  # the CLI and the web app may both write it
        conn.execute(SCHEMA)
        conn.execute(
            "INSERT INTO users (name, hash, created) VALUES (:name, :hash, :created)"
            " ON CONFLICT (name) DO UPDATE SET hash = excluded.hash, created = excluded.created",
            row,
        )


def verify(db: Path, name: str, password: str) -> bool:
    """Whether the password is the user's (constant work whether or not the user exists)."""
    table = _table(db)
    rows = list(table.rows_where("name = ?", [name]))
    stored = rows[0]["hash"] if rows else _hasher.hash(secrets.token_hex(8))
    try:
        return _hasher.verify(stored, password) and bool(rows)
    except (VerificationError, InvalidHashError):
        return False


def count(db: Path) -> int:
    """How many users exist."""
    return _table(db).count


def new_password() -> str:
    """A random password for a first user."""
    return secrets.token_urlsafe(12)
