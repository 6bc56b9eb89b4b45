"""The wheel as a user installs it: built from this checkout, installed into a fresh venv
outside the repository (its dependencies taken from the project's venv, so nothing is
downloaded), then `cinechat say` and the web app's /healthz, with state in the user's data
directory and the Chainlit config the wheel carries."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_wheel_installs_and_runs_outside_the_repository(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    # built from a copy of the tracked files: setuptools writes build/ and *.egg-info beside the
    # sources, and a stale build/ in the checkout would leak old files into the wheel
    source = tmp_path / "source"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    (wheel,) = dist.glob("cinechat-*.whl")
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.endswith("share/cinechat/app/.chainlit/config.toml") for n in names), names
    assert any(n.endswith("share/cinechat/app/public/theme.json") for n in names)
    assert any(n.endswith("share/cinechat/app/public/elements/SketchPad.jsx") for n in names)
    assert "chainlit_app.py" in names and "tools/data/scenes.json" in names

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    site = next((venv / "lib").glob("python3*/site-packages"))
    (site / "project-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # deps, not cinechat
    pip = subprocess.run(
        [
            str(venv / "bin/python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            "--ignore-installed",
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert pip.returncode == 0, pip.stderr
    home = tmp_path / "home"
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CINECHAT_", "OPENAI_", "CHAINLIT_", "VIRTUAL_ENV"))
    }
    env.update({"HOME": str(home), "XDG_DATA_HOME": str(home / ".local/share"), "PYTHONPATH": ""})
    env["PATH"] = f"{venv / 'bin'}:{env['PATH']}"
    where = subprocess.run(
        [
            str(venv / "bin/python"),
            "-c",
            "import graph, importlib.util as u; print(graph.__file__, u.find_spec('chainlit_app').origin)",
        ],
        capture_output=True,
        text=True,
        cwd=work,
        env=env,
        timeout=300,
    )
    assert where.returncode == 0 and str(site) in where.stdout, where.stderr[-2000:]
    say = subprocess.run(
        [str(venv / "bin/cinechat"), "say", "--json", "--quiet", "make a 10 second video about a snail"],
        capture_output=True,
        text=True,
        cwd=work,
        env=env,
        timeout=300,
    )
    assert say.returncode == 0, say.stderr[-2000:]
    assert json.loads(say.stdout)["version"] == "v1.0"
    state = home / ".local/share/cinechat"
    assert (state / "cinechat.sqlite").exists()  # the user's data directory, not site-packages
    assert not list(site.rglob("*.sqlite"))

    port = _free_port()
    log = (tmp_path / "ui.log").open("w")
    ui = subprocess.Popen(
        [str(venv / "bin/cinechat"), "ui", "--port", str(port)],
        cwd=work,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    import httpx

    try:
        deadline, status = time.time() + 120, None
        while time.time() < deadline and ui.poll() is None:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=3)
                if status.status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(1)
        assert status is not None and status.status_code == 200, (tmp_path / "ui.log").read_text()[-3000:]
        assert status.json()["ok"] is True
        assert (state / "app/.chainlit/config.toml").exists()
        assert "created the first user: admin" in (tmp_path / "ui.log").read_text()
    finally:
        os.killpg(ui.pid, 15)
        ui.wait(timeout=30)


def test_chainlit_run_works_as_chainlit_documents_it(tmp_path: Path) -> None:
    """`chainlit run chainlit_app.py` (Chainlit's own convention, no secret set) makes the
    login secret and the first user as `cinechat ui` does, and serves."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHAINLIT_", "OPENAI_"))}
    env.update({"CINECHAT_STATE": str(tmp_path / "state"), "CINECHAT_DB": str(tmp_path / "state/c.sqlite")})
    log = (tmp_path / "run.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "chainlit", "run", "chainlit_app.py", "--headless", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    import httpx

    try:
        deadline, status = time.time() + 120, None
        while time.time() < deadline and proc.poll() is None:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=3)
                break
            except httpx.HTTPError:
                time.sleep(1)
        text = (tmp_path / "run.log").read_text()
        assert status is not None and status.status_code == 200, text[-3000:]
        assert "JWT secret" not in text and "created the first user: admin" in text
        assert (tmp_path / "state/.chainlit_secret").exists()
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
