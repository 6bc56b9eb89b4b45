"""Content-addressed asset store: files named by the hash of what determines them, catalogued
in SQLite so a clip, a narration line or a final render is made once and reused."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from tools.project import StoredFile
from tools.sqlite import immediate

_lock = threading.Lock()

CATALOGUE = (
    "CREATE TABLE IF NOT EXISTS assets (key TEXT, kind TEXT, path TEXT, bytes INTEGER,"
    " created FLOAT, meta TEXT, PRIMARY KEY (kind, key))"
)
"""The catalogue table (the columns sqlite-utils made for earlier versions' files)."""


def content_key(spec: Any, *, salt: str = "") -> str:
    """Stable hash of a JSON-able spec (sorted keys), used as a cache key and file name."""
    blob = json.dumps(spec, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((salt + blob).encode("utf-8")).hexdigest()[:32]


class AssetStore:
    """Files under `root/<kind>/<key>.<ext>`, with a catalogue table `assets`."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self._db_path = self.root / "assets.db"

    def path(self, kind: str, key: str, ext: str) -> Path:
        """Where the asset of this kind and key lives (the folder is created)."""
        folder = self.root / kind
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{key}.{ext}"

    def has(self, kind: str, key: str, ext: str) -> bool:
        """Whether a finished asset exists (a partial write never counts)."""
        p = self.path(kind, key, ext)
        return p.exists() and p.stat().st_size > 0

    def tmp_path(self, kind: str, key: str, ext: str) -> Path:
        """A private temporary path; `commit` moves it into place atomically."""
        final = self.path(kind, key, ext)
        return final.with_name(f".{final.stem}.{os.getpid()}.{threading.get_ident()}.{ext}")

    def commit(self, tmp: Path, kind: str, key: str, ext: str, **meta: Any) -> Path:
        """Move a finished temporary file into the store and catalogue it."""
        final = self.path(kind, key, ext)
        os.replace(tmp, final)
        self.record(kind, key, final, **meta)
        return final

    def record(self, kind: str, key: str, path: Path, **meta: Any) -> None:
        """Catalogue an asset (idempotent)."""
        row = {
            "key": key,
            "kind": kind,
            "path": str(path),
            "bytes": path.stat().st_size,
            "created": time.time(),
            "meta": json.dumps(meta, ensure_ascii=False),
        }
        with _lock, immediate(self._db_path) as conn:  # other processes write it too
            conn.execute(CATALOGUE)
            conn.execute(
                "INSERT INTO assets (key, kind, path, bytes, created, meta)"
                " VALUES (:key, :kind, :path, :bytes, :created, :meta)"
                " ON CONFLICT (kind, key) DO UPDATE SET path = excluded.path, bytes = excluded.bytes,"
                " created = excluded.created, meta = excluded.meta",
                row,
            )


def file_key(path: str | Path) -> str:
    """Hash of a file's bytes (the key of an ingested upload)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:32]


def ingest(store: AssetStore, src: str | Path, kind: str) -> StoredFile:
    """Copy a user's file into the store under its content hash; returns key and path."""
    import shutil

    key = file_key(src)
    ext = Path(src).suffix.lower().lstrip(".") or "bin"
    if not store.has(kind, key, ext):
        tmp = store.tmp_path(kind, key, ext)
        shutil.copyfile(src, tmp)
        store.commit(tmp, kind, key, ext, source=Path(src).name)
    return {"key": key, "path": str(store.path(kind, key, ext))}


def relocate(path: str | Path, root: str | Path) -> Path:
    """A stored file's path as this store sees it: the recorded path, or, when that is gone
    (a home restored from a backup, or moved), the same file in this store's folder of its kind."""
    recorded = Path(path)
    if recorded.is_file():
        return recorded
    here = Path(root).resolve() / recorded.parent.name / recorded.name
    return here if here.is_file() else recorded
