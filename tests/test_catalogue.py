"""The asset catalogue and the users table are written by several processes at once (CLI turns,
the web app, workers): every write lands, none fails with `database is locked`."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WRITER = """
import sys
from pathlib import Path
from tools.assets import AssetStore
store = AssetStore(sys.argv[1])
me, n = sys.argv[2], int(sys.argv[3])
failures = 0
for i in range(n):
    tmp = store.tmp_path("clips", f"{me}-{i}", "bin")
    tmp.write_bytes(b"x" * (i + 1))
    try:
        store.commit(tmp, "clips", f"{me}-{i}", "bin", writer=me)
        store.record("clips", "shared", store.path("clips", f"{me}-{i}", "bin"), writer=me)
    except Exception as exc:
        failures += 1
        print(type(exc).__name__, exc, file=sys.stderr)
print(failures)
"""


def test_six_processes_write_the_catalogue_at_once_without_a_failure(tmp_path: Path) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path / "media"), f"w{n}", "150"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(6)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, [err[-500:] for _, err in outs]
    assert [int(out.strip()) for out, _ in outs] == [0] * 6, [err[-500:] for _, err in outs]
    with sqlite3.connect(tmp_path / "media" / "assets.db") as conn:
        keys = {k for (k,) in conn.execute("select key from assets where kind = 'clips'")}
        sizes = dict(conn.execute("select key, bytes from assets where key != 'shared'").fetchall())
    assert keys == {f"w{n}-{i}" for n in range(6) for i in range(150)} | {"shared"}
    assert all(sizes[f"w{n}-{i}"] == i + 1 for n in range(6) for i in range(150))


def test_users_added_from_several_processes_all_log_in(tmp_path: Path) -> None:
    db = tmp_path / "users.sqlite"
    script = (
        "import sys; from pathlib import Path; from tools.users import add_user\n"
        "for i in range(5): add_user(Path(sys.argv[1]), f'{sys.argv[2]}{i}', 'correct horse ' + sys.argv[2])"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(db), f"u{n}x"], cwd=ROOT, stderr=subprocess.PIPE, text=True
        )
        for n in range(4)
    ]
    errs = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, errs
    from tools.users import count, verify

    assert count(db) == 20
    assert verify(db, "u2x3", "correct horse u2x") and not verify(db, "u2x3", "correct horse u1x")
