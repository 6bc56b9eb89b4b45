"""Chat users: names with salted argon2 password hashes in a SQLite table (sqlite-utils)."""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

import sqlite_utils
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
NAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")


class UserError(ValueError):
    """A user name or password that cannot be used."""


def _table(db: Path) -> sqlite_utils.db.Table:
    db.parent.mkdir(parents=True, exist_ok=True)
    table = sqlite_utils.Database(db)["users"]
    assert isinstance(table, sqlite_utils.db.Table)
    if not table.exists():
        table.create({"name": str, "hash": str, "created": float}, pk="name")
    return table


def add_user(db: Path, name: str, password: str) -> None:
    """Create or replace a user (the password is stored only as an argon2 hash)."""
    if not NAME.match(name):
        raise UserError("names are 2-64 letters, digits or _.@-")
    if len(password) < 8:
        raise UserError("passwords need at least 8 characters")
    _table(db).upsert({"name": name, "hash": _hasher.hash(password), "created": time.time()}, pk="name")


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
