"""Backups of a cinechat home while it runs: every SQLite database copied with SQLite's online
backup API (a consistent copy even while turns write), the chat's uploaded files and the
media store's manifest (each file's path, size and content key) with, optionally, the media
files themselves. A restore copies them into a fresh home, where every thread continues with
its whole version history."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
DATABASES = ("chainlit.sqlite", "users.sqlite")
"""The databases of a home beside the checkpoints (the version history): chat history, users."""
CATALOGUE = "media/assets.db"
"""The media store's catalogue, inside the home's media folder."""


class BackupError(RuntimeError):
    """A backup or restore that cannot be done as asked (nothing was changed)."""


def copy_database(src: Path, dest: Path) -> None:
    """A consistent copy of a live SQLite database (`sqlite3.Connection.backup`)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=30)
    target = sqlite3.connect(str(dest))
    try:
        source.backup(target, pages=1024)
    finally:
        target.close()
        source.close()


def _media_files(media: Path) -> list[dict[str, Any]]:
    """The finished files of a media store (temporary and hidden files left out)."""
    rows = []
    for path in sorted(media.rglob("*")):
        rel = path.relative_to(media)
        if path.is_file() and not any(part.startswith(".") for part in rel.parts) and rel.name != "assets.db":
            rows.append({"path": rel.as_posix(), "bytes": path.stat().st_size})
    return rows


def backup(checkpoints: Path, dest: Path, media: bool = False) -> dict[str, Any]:
    """Back up the home of the checkpoint database `checkpoints` (its databases, chat files
    and media manifest; the media files too when `media`) into the new folder `dest`.
    Returns the manifest."""
    home = checkpoints.parent
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty")
    if not checkpoints.is_file():
        raise BackupError(f"{checkpoints} does not exist")
    started = time.perf_counter()
    copy_database(checkpoints, dest / "checkpoints.sqlite")
    databases = []
    for name in (*DATABASES, CATALOGUE):
        src = home / name
        if src.is_file():
            copy_database(src, dest / name)
            databases.append(name)
    if (home / "chat-files").is_dir():
        shutil.copytree(home / "chat-files", dest / "chat-files")
    files = _media_files(home / "media") if (home / "media").is_dir() else []
    if media:
        for row in files:
            target = dest / "media" / row["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(home / "media" / row["path"], target)
    manifest = {
        "made": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "home": str(home),
        "checkpoints": checkpoints.name,
        "databases": databases,
        "media": {"files": files, "copied": media, "bytes": sum(r["bytes"] for r in files)},
        "seconds": round(time.perf_counter() - started, 3),
    }
    (dest / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
    return manifest


def restore(src: Path, checkpoints: Path) -> dict[str, Any]:
    """Restore a backup folder as the checkpoint database `checkpoints` and its home, which
    must hold none of the backup's databases yet; the media files not in the backup are
    listed as missing (their clips re-render when needed)."""
    home = checkpoints.parent
    manifest_path = src / MANIFEST
    if not manifest_path.is_file():
        raise BackupError(f"{src} is not a cinechat backup (no {MANIFEST})")
    manifest = json.loads(manifest_path.read_text())
    clash = [name for name in [checkpoints.name, *manifest["databases"]] if (home / name).exists()]
    if clash:
        raise BackupError(f"{home} already has {', '.join(clash)}")
    home.mkdir(parents=True, exist_ok=True)
    copy_database(src / "checkpoints.sqlite", checkpoints)
    for name in manifest["databases"]:
        copy_database(src / name, home / name)
    if (src / "chat-files").is_dir():
        shutil.copytree(src / "chat-files", home / "chat-files", dirs_exist_ok=True)
    if manifest["media"]["copied"]:
        shutil.copytree(
            src / "media", home / "media", dirs_exist_ok=True, ignore=shutil.ignore_patterns("assets.db")
        )
    missing = [r["path"] for r in manifest["media"]["files"] if not (home / "media" / r["path"]).is_file()]
    return {**manifest, "missing": missing}
