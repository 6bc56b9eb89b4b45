"""SQLite transactions that several processes can share: a transaction that reads and then
writes takes the write lock at its start (`BEGIN IMMEDIATE`), so two writers never both read
under a shared lock and then deadlock on the upgrade (which SQLite answers with `database is
locked` at once, whatever the busy timeout); a writer that finds the lock taken waits up to
`BUSY_TIMEOUT` seconds for it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BUSY_TIMEOUT = 30.0
"""Seconds a writer waits for another process's transaction before giving up."""


@contextmanager
def immediate(path: str | Path, *, timeout: float = BUSY_TIMEOUT) -> Iterator[sqlite3.Connection]:
    """A connection inside `BEGIN IMMEDIATE … COMMIT` (rolled back if the block raises)."""
    conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.close()


@contextmanager
def reading(path: str | Path, *, timeout: float = BUSY_TIMEOUT) -> Iterator[sqlite3.Connection]:
    """A connection for reads only (each statement its own transaction)."""
    conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        yield conn
    finally:
        conn.close()
