"""Child processes that die with their parent, and temporary files a killed process left.

- Every external tool (ffmpeg, ffprobe, espeak-ng, fluidsynth) runs in its own process group
  with a parent-death signal (`setpriv --pdeathsig KILL`, from util-linux): when the cinechat
  process is killed, even with SIGKILL, the kernel kills its children too.
- Temporary files and folders carry the pid of the process that made them
  (`temp_prefix`); `sweep_stale` removes those whose process no longer runs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path
from typing import Any


@cache
def _setpriv() -> list[str]:
    """The wrapper that sets the parent-death signal, if this system has it."""
    found = shutil.which("setpriv")
    if not found:
        return []
    probe = subprocess.run([found, "--pdeathsig", "KILL", "true"], capture_output=True, check=False)
    return [found, "--pdeathsig", "KILL", "--"] if probe.returncode == 0 else []


def tied(cmd: list[str], signal: str = "TERM") -> list[str]:
    """`cmd` wrapped so that it gets `signal` when this process dies (a long-lived child: a
    server this process started and supervises), where the system has setpriv."""
    wrapper = _setpriv()
    return [wrapper[0], "--pdeathsig", signal, "--", *cmd] if wrapper else list(cmd)


def run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[Any]:
    """`subprocess.run` for an external tool: its own process group, and killed when this
    process dies (the tool's own pid: setpriv execs it)."""
    return subprocess.run([*_setpriv(), *cmd], process_group=0, **kwargs)


def temp_prefix(kind: str) -> str:
    """The name prefix of a temporary file or folder this process makes."""
    return f"cinechat-{kind}-{os.getpid()}-"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _owner(name: str) -> int | None:
    """The pid in a temporary name: `cinechat-<kind>-<pid>-…` (the system temporary folder),
    `.tmp-<pid>-…` (a folder renamed into the media store when complete) or
    `.<stem>.<pid>.<thread>.<ext>` (an asset being written)."""
    parts: list[str] = []
    if name.startswith("cinechat-"):
        parts = name.split("-")[2:3]
    elif name.startswith(".tmp-"):
        parts = name.split("-")[1:2]
    elif name.startswith(".") and name.count(".") >= 4:
        parts = name.split(".")[2:3]
    return int(parts[0]) if parts and parts[0].isdigit() else None


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def stale(folders: list[Path]) -> list[Path]:
    """Temporary files in `folders` (and one level below) and in the system temporary folder
    whose process is gone."""
    found: list[Path] = []
    places = [Path(tempfile.gettempdir())]
    for folder in folders:
        if folder.is_dir():
            places.append(folder)
            places += [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
    for place in places:
        with contextlib.suppress(OSError):
            for entry in os.scandir(place):
                pid = _owner(entry.name)
                if pid is not None and not _alive(pid):
                    found.append(Path(entry.path))
    return found


def sweep_stale(*folders: Path) -> int:
    """Remove what a killed cinechat process left behind; returns how many were removed."""
    gone = stale(list(folders))
    for path in gone:
        _remove(path)
    return len(gone)
