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

from tools.media import backend
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
    """Files under `root/<kind>/<key>.<ext>`, with a catalogue table `assets`.

    A file's **key** is its place in the store, `<kind>/<name>` (`renders/3f…a1.mp4`): the
    project state records keys, never absolute paths, so a history opens on any machine that
    has the same store. With CINECHAT_MEDIA=s3://… the files live in an object store under the
    same keys and `root` is a read-through cache of them: `has` and `local` fetch what is
    missing here, `commit` and `put` upload, and `url` gives the browser a presigned link."""

    def __init__(self, root: str | Path, media: str | None = None) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self._db_path = self.root / "assets.db"
        self.remote = backend(media)

    def path(self, kind: str, key: str, ext: str) -> Path:
        """Where the asset of this kind and key lives (the folder is created)."""
        folder = self.root / kind
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{key}.{ext}"

    def ref(self, kind: str, key: str, ext: str) -> str:
        """The store key of an asset: `<kind>/<key>.<ext>`."""
        return f"{kind}/{key}.{ext}"

    def key_of(self, path: str | Path) -> str:
        """The store key of a file in this store's folder (what the state records)."""
        return Path(path).resolve().relative_to(self.root).as_posix()

    def has(self, kind: str, key: str, ext: str) -> bool:
        """Whether a finished asset exists (a partial write never counts); one that is only in
        the object store is fetched into the local cache first."""
        p = self.path(kind, key, ext)
        if p.exists() and p.stat().st_size > 0:
            return True
        return self.remote is not None and self.remote.download(self.ref(kind, key, ext), p)

    def key(self, stored: str | Path) -> str:
        """The store key of what a state records: a key as it is; an absolute path, as
        databases written before keys record, as `<kind>/<name>` (its folder and name)."""
        recorded = Path(str(stored))
        return f"{recorded.parent.name}/{recorded.name}" if recorded.is_absolute() else recorded.as_posix()

    def _inside(self, key: str) -> Path:
        """The local place of a key; a key that leaves the store is refused."""
        here = (self.root / key).resolve()
        if not here.is_relative_to(self.root) or here == self.root:
            raise ValueError(f"not a key of the asset store: {key!r}")
        return here

    def local(self, stored: str | Path) -> Path:
        """The local file of a stored key (fetched into the cache when it is only in the object
        store). An absolute path, as databases written before keys record, is taken as it is,
        or, when it is gone (a home restored from a backup, or moved), as the same file in this
        store's folder of its kind. A key that leaves the store is refused."""
        recorded = Path(str(stored))
        if recorded.is_absolute() and recorded.is_file():
            return recorded
        key = self.key(stored)
        here = self._inside(key)
        if here.is_file() and here.stat().st_size > 0:
            return here
        if self.remote is not None and self.remote.download(key, here):
            return here
        return recorded if recorded.is_absolute() else here

    def exists(self, stored: str | Path | None) -> bool:
        """Whether a stored key (or an old absolute path) names a file that can be read: here,
        or in the object store (asked, not fetched)."""
        if not stored:
            return False
        recorded = Path(str(stored))
        if recorded.is_absolute() and recorded.is_file():
            return True
        try:
            here = self._inside(self.key(stored))
        except ValueError:
            return False
        if here.is_file() and here.stat().st_size > 0:
            return True
        return self.remote is not None and self.remote.exists(self.key(stored))

    def url(self, stored: str | Path) -> str | None:
        """A link the browser can load the file from: presigned, with an object store; None
        when files are served from this machine."""
        return self.remote.url(self.key(stored)) if self.remote is not None else None

    def delete(self, key: str) -> None:
        """Remove a file (or a folder of stems) of the store: here, in the object store and from
        the catalogue. The caller has made sure nothing uses it any more."""
        import shutil

        here = self._inside(key)
        if here.parent == self.root:  # the catalogue itself, or anything not of a kind
            raise ValueError(f"not a key of the asset store: {key!r}")
        if here.is_dir():
            shutil.rmtree(here, ignore_errors=True)
        else:
            here.unlink(missing_ok=True)
        if self.remote is not None:
            self.remote.delete(key)
        kind, _, name = key.partition("/")
        with _lock, immediate(self._db_path) as conn:
            conn.execute(CATALOGUE)
            conn.execute(
                "DELETE FROM assets WHERE kind = ? AND key = ?", (kind, name.rpartition(".")[0] or name)
            )

    def push(self) -> dict[str, int]:
        """Upload every finished file of the local folder that the object store lacks (moving
        an embedded home's media into the object store); counts of uploaded and present."""
        if self.remote is None:
            raise ValueError("CINECHAT_MEDIA names no object store to push to")
        done = {"uploaded": 0, "present": 0}
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            for file in sorted(folder.iterdir()):
                if not file.is_file() or file.name.startswith(".") or file.stat().st_size == 0:
                    continue  # a partial write, or a folder of stems (made again where needed)
                key = f"{folder.name}/{file.name}"
                if self.remote.exists(key):
                    done["present"] += 1
                else:
                    self.remote.upload(file, key)
                    done["uploaded"] += 1
        return done

    def put(self, src: str | Path, kind: str, name: str, **meta: Any) -> str:
        """Copy a finished file into the store under `<kind>/<name>`; its key."""
        import shutil

        stem, _, ext = name.rpartition(".")
        final = self.path(kind, stem, ext)
        if Path(src).resolve() != final:
            tmp = self.tmp_path(kind, stem, ext)
            shutil.copyfile(src, tmp)
            self.commit(tmp, kind, stem, ext, **meta)
        else:
            self.record(kind, stem, final, **meta)
            if self.remote is not None:
                self.remote.upload(final, self.ref(kind, stem, ext))
        return self.ref(kind, stem, ext)

    def tmp_path(self, kind: str, key: str, ext: str) -> Path:
        """A private temporary path; `commit` moves it into place atomically."""
        final = self.path(kind, key, ext)
        return final.with_name(f".{final.stem}.{os.getpid()}.{threading.get_ident()}.{ext}")

    def commit(self, tmp: Path, kind: str, key: str, ext: str, **meta: Any) -> Path:
        """Move a finished temporary file into the store and catalogue it."""
        final = self.path(kind, key, ext)
        os.replace(tmp, final)
        self.record(kind, key, final, **meta)
        if self.remote is not None:
            self.remote.upload(final, self.ref(kind, key, ext))
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
    return {"key": key, "path": store.ref(kind, key, ext)}
