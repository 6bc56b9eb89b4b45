"""Several chat processes behind HAProxy (`cinechat ui --workers 2`) on the PostgreSQL history:
a browser is pinned to one worker by the balancer's cookie; when that worker is killed, the
supervisor starts it again, the balancer sends the user to a live worker, and the user goes on
with the same project there."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph.cli import free_port
from tests.test_browser import NO_CHROMIUM, Session, browser  # noqa: F401 - the fixture
from tests.test_scaled import new_database, state
from tests.test_turns import ROOT
from tools.users import add_user

pytestmark = NO_CHROMIUM


@contextlib.contextmanager
def cluster_ui(home: Path, pg: str, *extra: str, trust: Any = None, secret: str = "y") -> Iterator[str]:
    """`cinechat ui --workers 2` (with `extra` options) on the history `pg`, its state in `home`;
    yields its public address once /healthz answers there, and stops it afterwards."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "CINECHAT_DB")}
    env |= {
        "CINECHAT_HOME": str(home),
        "CINECHAT_STATE": str(home),
        "CINECHAT_CHECKPOINTS": pg,
        "CINECHAT_RESOLUTION": "360p",
        "CHAINLIT_AUTH_SECRET": "cluster-secret-" + secret * 40,
    }
    with open(home / "ui.log", "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "graph.cli", "ui", "--port", str(port), "--workers", "2", *extra],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"{'https' if trust else 'http'}://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(url + "/healthz", timeout=2, context=trust)
                break
            except (urllib.error.URLError, ConnectionError):
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError((home / "ui.log").read_text()[-3000:]) from None
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=60)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    home = tmp_path_factory.mktemp("cluster")
    add_user(home / "users.sqlite", "alice", "alice-password")
    with new_database() as pg, cluster_ui(home, pg) as url:
        yield {"url": url, "home": home, "pg": pg}


def workers(home: Path) -> dict[str, Any]:
    return dict(json.loads((home / "cluster" / "workers.json").read_text())["workers"])


def test_the_balancer_spreads_new_clients_and_pins_each(cluster: dict[str, Any]) -> None:
    seen = []
    for _ in range(4):
        with urllib.request.urlopen(cluster["url"] + "/healthz", timeout=5) as reply:
            cookie = reply.headers.get("Set-Cookie", "")
        seen.append(cookie.split(";")[0])
    assert {"CINECHAT_WORKER=w1", "CINECHAT_WORKER=w2"} == set(seen)  # new clients on both
    pinned = urllib.request.Request(cluster["url"] + "/healthz", headers={"Cookie": "CINECHAT_WORKER=w2"})
    for _ in range(3):
        with urllib.request.urlopen(pinned, timeout=5) as reply:
            assert reply.headers.get("Set-Cookie") is None  # stays where the cookie says


def test_a_user_goes_on_after_the_worker_serving_them_is_killed(
    cluster: dict[str, Any],
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    s = Session(browser, cluster["url"], tmp_path)
    s.login("alice", "alice-password")
    s.say("Make a 10 second video about a paper kite on a windy hill")
    s.wait_text("First draft ready")
    s.idle()
    chat_url = s.page.url
    assert "/thread/" in chat_url
    chat = chat_url.rsplit("/thread/", 1)[1].split("?")[0]
    served_by = {c["name"]: c["value"] for c in s.context.cookies()}["CINECHAT_WORKER"]
    victim = workers(cluster["home"])[served_by]
    os.kill(victim["pid"], signal.SIGKILL)
    s.watching = False  # the lost connection logs errors in the page's console
    deadline = time.time() + 120
    while workers(cluster["home"])[served_by]["restarts"] < 1:  # the supervisor starts it again
        assert time.time() < deadline, "the killed worker was not restarted"
        time.sleep(0.5)
    s.page.goto(chat_url)  # the user comes back to the chat
    s.page.wait_for_selector("#chat-input", timeout=60_000)
    s.page.get_by_text("First draft ready").first.wait_for(timeout=60_000)
    s.say("make it 12 seconds")
    s.wait_text("v1.1", timeout=120)
    s.shot("cluster-after-restart")
    values = state(cluster["pg"], f"alice:{chat}")  # type: ignore[arg-type]
    assert values["version"] == "v1.1"
    assert round(sum(x["duration"] for x in values["script"]["shots"]), 3) == 12.0
    assert "paper kite" in values["script"]["title"].lower() or any(
        "kite" in x["description"] for x in values["script"]["shots"]
    )
    s.context.close()


def test_the_balancer_terminates_tls_for_the_workers(tmp_path: Path) -> None:
    """`cinechat ui --workers 2 --tls-cert … --tls-key …`: HAProxy serves HTTPS on the one public
    port (plain HTTP there gets nothing), the workers behind it mark the login cookie Secure
    and send HSTS."""
    import ssl

    from tests.helpers import self_signed

    cert, key = self_signed(tmp_path)
    add_user(tmp_path / "users.sqlite", "alice", "alice-password")
    trust = ssl.create_default_context(cafile=str(cert))
    tls = ("--tls-cert", str(cert), "--tls-key", str(key))
    with new_database() as pg, cluster_ui(tmp_path, pg, *tls, trust=trust, secret="z") as url:
        bundle = tmp_path / "cluster" / "tls.pem"
        assert bundle.stat().st_mode & 0o077 == 0  # the key is readable by this user only
        form = urllib.parse.urlencode({"username": "alice", "password": "alice-password"}).encode()
        request = urllib.request.Request(url + "/login", data=form, method="POST")
        with urllib.request.urlopen(request, timeout=60, context=trust) as reply:
            cookies = reply.headers.get_all("Set-Cookie") or []
            hsts = reply.headers.get("Strict-Transport-Security", "")
        token = [c for c in cookies if c.startswith("access_token")]
        worker = [c for c in cookies if c.startswith("CINECHAT_WORKER")]
        assert token and all("secure" in c.lower() for c in token + worker) and "max-age=" in hsts
        with pytest.raises(OSError):  # plain HTTP on the public port gets nothing
            urllib.request.urlopen(url.replace("https://", "http://") + "/healthz", timeout=10)
