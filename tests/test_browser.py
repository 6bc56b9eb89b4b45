"""The real Chainlit app, started by the test, driven in Debian's Chromium with Playwright:
login, the seed dialogue with steps, buttons, progress and videos, a reload and a resumed
thread, undo; two users at once who cannot see each other's threads; /healthz and /metrics.
Every page fails the test on a console error (after login) or any request off this machine."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from graph.cli import chainlit_command
from graph.context import ROOT
from tests.tiny_models import tiny_sd
from tools.users import add_user

CHROMIUM = "/usr/bin/chromium"
NO_CHROMIUM = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is installed by `make test`"
)
# one server per module, its tests in order (`make test` distributes by file): later tests read
# what earlier ones left
pytestmark = NO_CHROMIUM
LOCAL = ("http://127.0.0.1", "http://localhost", "data:", "blob:", "ws://127.0.0.1")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    state = tmp_path_factory.mktemp("ui")
    with serve(state, {"CINECHAT_DB": str(state / "cinechat.sqlite")}) as running:
        yield running


@contextlib.contextmanager
def serve(state: Path, settings: dict[str, str]) -> Iterator[dict[str, Any]]:
    """A real Chainlit server with two users, its state in `state` and its version history
    where `settings` say (CINECHAT_DB or CINECHAT_CHECKPOINTS)."""
    from graph.chat_store import on_server, server_dsn

    chat = settings.get("CINECHAT_CHAT_DB", "")
    users: Path | str = server_dsn(chat) if chat and on_server(chat) else state / "users.sqlite"
    add_user(users, "alice", "alice-password")
    add_user(users, "bob", "bob-password")
    tiny_sd(state / "models", "tiny-sd")  # offered in the chat settings' model picker
    port = _port()
    env = {
        **os.environ,
        "CINECHAT_STATE": str(state),
        "CINECHAT_RESOLUTION": "720p",
        "CHAINLIT_AUTH_SECRET": "test-secret-" + "x" * 40,
        "CINECHAT_MODELS_DIR": str(state / "models"),
        "HF_HUB_CACHE": str(state / "hub"),  # the picker also lists the hub cache: an empty one
        "CINECHAT_DIFFUSION_STEPS": "2",
        "CINECHAT_DIFFUSION_WIDTH": "64",
        "CINECHAT_DIFFUSION_HEIGHT": "32",
        **settings,
    }
    for var in ("OPENAI_API_KEY", "CINECHAT_T2I_MODEL", "CINECHAT_T2V_MODEL", "CINECHAT_I2V_MODEL"):
        env.pop(var, None)
    log = open(state / "server.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        chainlit_command("127.0.0.1", port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    tls = settings.get("CHAINLIT_SSL_CERT")
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    trust = ssl.create_default_context(cafile=tls) if tls else None
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=2, context=trust)
            break
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.5)
    else:
        proc.kill()
        raise RuntimeError((state / "server.log").read_text()[-3000:])
    history = (
        settings.get("CINECHAT_CHECKPOINTS") or settings.get("CINECHAT_DB") or str(state / "cinechat.sqlite")
    )
    try:
        yield {"url": url, "state": state, "history": history, "trust": trust}
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


@contextlib.contextmanager
def own_server(
    folder: Path, people: dict[str, str] | None = None, **settings: str
) -> Iterator[dict[str, Any]]:
    """A server of one test's own: its state in `folder`/state with the version history in a
    SQLite file there, renders at 360p, and besides alice and bob the `people` given (name:
    role), each with the password '<name>-password'."""
    home = folder / "state"
    home.mkdir()
    for name, role in (people or {}).items():
        add_user(home / "users.sqlite", name, f"{name}-password", role=role)
    base = {"CINECHAT_DB": str(home / "cinechat.sqlite"), "CINECHAT_RESOLUTION": "360p"}
    with serve(home, {**base, **settings}) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Screenshots go to the test's output folder (and to CINECHAT_SCREENSHOTS when set)."""
    folder = tmp_path / "screenshots"
    folder.mkdir()
    return folder


class Session:
    """One user's browser page, watching for console errors and requests off this machine."""

    def __init__(self, browser: Any, url: str, folder: Path, locale: str = "en-US") -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
        self.page = self.context.new_page()
        self.url, self.folder = url, folder
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.watching = False
        self.page.on("request", lambda r: None if r.url.startswith(LOCAL) else self.outside.append(r.url))
        self.page.on("console", self._console)

    def _console(self, msg: Any) -> None:
        if msg.type == "error" and (self.watching or "Content Security Policy" in msg.text):
            self.errors.append(msg.text)  # a CSP violation counts from the login page on

    def login(self, name: str, password: str) -> None:
        self.page.goto(self.url + "/")
        self.page.fill("#email", name)
        self.page.fill("#password", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_selector("#chat-input", timeout=30_000)
        self.watching = True  # before login the page's own 401 probes are expected

    def say(self, text: str) -> None:
        self.idle()  # the composer takes a message only once the last run is over
        for _ in range(5):
            self.page.fill("#chat-input", text)
            try:
                self.page.click("#chat-submit", timeout=10_000)
                return
            except PlaywrightTimeout:  # the composer was re-rendered (emptied) after the fill
                self.idle()
        raise AssertionError(f"the composer never took {text!r}")

    def idle(self, timeout: float = 120) -> None:
        """Wait until the assistant's run is over: no stop button, the upload button enabled.
        A reply's text can show before the run ends; a file dropped then is ignored."""
        self.page.locator("#stop-button").wait_for(state="detached", timeout=timeout * 1000)
        self.page.locator("#upload-button").wait_for(state="visible", timeout=timeout * 1000)

    def attach(self, path: Path) -> None:
        """Upload a file into the composer and wait until the server has it."""
        for wait in (20_000, 60_000):
            self.idle()
            try:
                with self.page.expect_response(
                    lambda r: "/project/file" in r.url and r.request.method == "POST",
                    timeout=wait,
                ) as upload:
                    self.page.set_input_files("#upload-button-input", str(path))
                break
            except PlaywrightTimeout:
                # the composer was re-rendered while the file was set and dropped it (nothing
                # was posted): clear the input and set the file again
                self.shot("upload-retry")
                self.page.set_input_files("#upload-button-input", [])
        else:
            raise AssertionError(f"the composer never uploaded {path.name}")
        assert upload.value.ok
        self.page.wait_for_timeout(500)

    def press(self, name: str) -> None:
        """Click a reply's button and wait until the server took it (the turn's first step shows);
        a click the page dropped (seen once under CI load) is made again."""
        steps = self.page.locator("#step-intent_router")
        for _ in range(3):
            self.idle()
            before = steps.count()
            self.page.get_by_role("button", name=name).last.click()
            deadline = time.time() + 20
            while time.time() < deadline:  # the turn's first step stays on the page once shown
                if steps.count() > before:
                    return
                self.page.wait_for_timeout(250)
            self.shot(f"press-retry-{name}")
        raise AssertionError(f"the button {name!r} never started a run")

    def wait_text(self, text: str, timeout: float = 120) -> None:
        self.page.get_by_text(text).last.wait_for(timeout=timeout * 1000)

    def videos(self) -> int:
        return int(self.page.locator("video").count())

    def wait_videos(self, n: int, timeout: float = 180) -> None:
        deadline = time.time() + timeout
        while self.videos() < n:
            if time.time() > deadline:
                self.shot("timeout")
                raise AssertionError(f"{self.videos()} videos, wanted {n}")
            self.page.wait_for_timeout(500)

    def video_duration(self, index: int = -1) -> float:
        video = self.page.locator("video").nth(index if index >= 0 else self.videos() - 1)
        video.scroll_into_view_if_needed()
        return float(
            video.evaluate(
                "v => new Promise(r => { if (v.readyState >= 1) r(v.duration); "
                "else { v.addEventListener('loadedmetadata', () => r(v.duration)); "
                "v.addEventListener('error', () => r(-1)); v.load(); } })"
            )
        )

    def shot(self, name: str) -> Path:
        path = self.folder / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=False)
        extra = os.environ.get("CINECHAT_SCREENSHOTS")
        if extra:
            Path(extra).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(extra) / path.name)
        return path

    def clean(self) -> None:
        assert self.outside == [], self.outside
        assert self.errors == [], self.errors


def test_seed_dialogue_in_the_browser(server: dict[str, Any], browser: Any, shots: Path) -> None:
    s = Session(browser, server["url"], shots)
    s.login("alice", "alice-password")
    s.shot("01-home")
    s.say("我想创建一个关于春天的30秒短视频，风格要温馨治愈")
    s.wait_text("剧本初稿完成")
    # elements and steps arrive as their own events, after the message text: wait for each
    for selector in ("#step-intent_router", "#step-script_writer", "img[alt='storyboard.png']"):
        s.page.locator(selector).first.wait_for(timeout=30_000)  # the storyboard: a frame per shot
    s.shot("02-script")
    s.press("继续生成")
    s.wait_videos(1)
    s.wait_text("(100%)")
    assert abs(s.video_duration() - 30) < 0.5
    s.page.locator("audio").first.wait_for(timeout=30_000)  # the narration and music alone
    s.page.locator("#step-render").last.click()  # the per-shot renders are nested under it
    s.page.locator("#step-render_shot").first.wait_for(timeout=10_000)
    assert s.page.locator("#step-render_shot").count() >= 4
    s.shot("03-rendered")
    s.say("第二个镜头调亮一点")
    s.wait_videos(2)
    s.wait_text("v1.1")
    s.shot("04-edited")
    thread_url = s.page.url
    assert "/thread/" in thread_url
    s.page.reload()
    s.page.wait_for_selector("#chat-input", timeout=30_000)
    s.page.get_by_text("我想创建一个关于春天的30秒").first.click()  # reopen the thread from the sidebar
    s.wait_videos(2, timeout=60)
    assert abs(s.video_duration(0) - 30) < 0.5  # a reopened chat's video, from /files to its owner
    s.say("撤销")
    s.wait_text("已撤销", timeout=60)
    reply = s.page.get_by_text("已撤销").last.inner_text()
    assert "v1.0" in reply
    s.wait_videos(3, timeout=60)
    s.shot("05-undo")
    s.clean()
    server["alice_thread"] = thread_url
    s.context.close()


def test_two_users_render_at_once_and_stay_apart(server: dict[str, Any], browser: Any, shots: Path) -> None:
    a = Session(browser, server["url"], shots)
    b = Session(browser, server["url"], shots)
    a.login("alice", "alice-password")
    b.login("bob", "bob-password")
    a.say("Make a 10 second video about the sea")
    b.say("Make a 10 second video about a winter town")
    a.wait_text("First draft ready")
    b.wait_text("First draft ready")
    a.say("go ahead")
    b.say("go ahead")
    a.wait_videos(1)
    b.wait_videos(1)
    assert abs(a.video_duration() - 10) < 0.5 and abs(b.video_duration() - 10) < 0.5
    b.shot("06-bob")
    alice_thread = server.get("alice_thread") or a.page.url
    b.page.goto(alice_thread)  # bob tries alice's thread by its address
    b.page.wait_for_timeout(3000)
    assert b.page.get_by_text("剧本初稿完成").count() == 0 and b.page.get_by_text("春日公园").count() == 0
    assert b.videos() == 0 and alice_thread not in b.page.url
    b.watching = False  # the refused thread logs its own errors in bob's console
    # stored elements (what a reopened chat loads) are served to their owner only
    import sqlite3

    with sqlite3.connect(server["state"] / "chainlit.sqlite") as conn:
        key = conn.execute(
            'SELECT e."objectKey" FROM elements e JOIN threads t ON t.id = e."threadId" '
            "WHERE t.\"userIdentifier\" = 'alice' AND e.type = 'video'"
        ).fetchone()[0]
    address = server["url"] + "/files/" + key
    assert a.context.request.get(address).status == 200
    assert b.context.request.get(address).status == 404
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(address)
    assert err.value.code == 401
    a.clean()
    assert b.outside == []
    a.context.close()
    b.context.close()


def test_two_tabs_on_one_chat_each_edit_lands_once(server: dict[str, Any], browser: Any, shots: Path) -> None:
    """Two tabs of one user on the same chat send an edit at the same moment: the turns run
    one after the other, both edits are in the project, the labels are unique and the
    history does not fork."""
    from graph import build_graph, open_checkpointer

    a = Session(browser, server["url"], shots)
    a.login("alice", "alice-password")
    a.say("Make a 20 second video about a quiet harbour at dawn")
    a.wait_text("First draft ready")
    a.idle()
    assert "/thread/" in a.page.url
    chat = a.page.url.rsplit("/thread/", 1)[1].split("?")[0]
    other = a.context.new_page()  # the second tab: the same login, the chat opened by its address
    other.goto(a.page.url)
    other.get_by_text("First draft ready").first.wait_for(timeout=30_000)
    other.locator("#chat-input").wait_for(timeout=30_000)
    a.page.fill("#chat-input", "add a shot of a cat after shot 1")
    other.fill("#chat-input", "add a shot of a dog after shot 1")
    a.page.click("#chat-submit")
    other.click("#chat-submit")
    for page in (a.page, other):
        page.locator("#stop-button").wait_for(state="detached", timeout=120_000)
    a.page.wait_for_timeout(1000)
    a.shot("10-two-tabs")
    graph = build_graph(open_checkpointer(server["history"]))
    values = graph.get_state({"configurable": {"thread_id": f"alice:{chat}"}}).values
    added = sorted(s["description"] for s in values["script"]["shots"] if s["description"].startswith("a "))
    assert added == ["a cat", "a dog"], added
    index = values["version_index"]
    assert sorted(index) == ["v1.0", "v1.1", "v1.2"] and values["version"] == "v1.2"
    assert len({e["parent"] for e in index.values()}) == 3  # a chain, not a fork
    graph.checkpointer.conn.close()
    a.context.close()


def test_uploads_are_checked_and_used(
    server: dict[str, Any], browser: Any, shots: Path, tmp_path: Path
) -> None:
    from PIL import Image

    s = Session(browser, server["url"], shots)
    s.login("bob", "bob-password")
    s.say("Make a 10 second video about the sea")
    s.wait_text("First draft ready")
    Image.new("RGB", (640, 360), (200, 40, 40)).save(tmp_path / "photo.png")
    s.attach(tmp_path / "photo.png")
    s.say("use this picture for shot 2")
    s.wait_text("image shot", timeout=60)
    (tmp_path / "song.mp3").write_bytes(b"ID3" + b"not audio" * 100)
    s.attach(tmp_path / "song.mp3")
    s.say("use this song as the music")
    s.wait_text("not playable audio", timeout=60)
    s.shot("07-uploads")
    s.clean()
    s.context.close()


def test_model_picker_in_the_settings(server: dict[str, Any], browser: Any, shots: Path) -> None:
    """A diffusion model found in the models folder is chosen in the chat settings and makes
    the shots; the reply says which model made them."""
    s = Session(browser, server["url"], shots)
    s.login("bob", "bob-password")
    s.page.click("#chat-settings-open-modal")
    s.page.click("#t2i_model")
    s.page.get_by_role("option", name="tiny-sd").click()
    s.shot("08-model-picker")
    s.page.get_by_role("button", name="Confirm").click()
    s.say("Make a 10 second video about the sea")
    s.wait_text("First draft ready")
    s.say("go ahead")
    s.wait_videos(1)
    s.wait_text("generated by tiny-sd")
    s.shot("09-generated")
    s.clean()
    s.context.close()


def test_health_metrics_and_login(server: dict[str, Any]) -> None:
    url = server["url"]
    with urllib.request.urlopen(url + "/healthz") as r:
        assert r.headers["content-type"].startswith("application/json")
        body = json.loads(r.read())
        assert body["ok"] and body["checkpoints"] == "ok"
    token = (server["state"] / ".metrics_token").read_text().strip()  # /metrics is for its bearer
    metrics = urllib.request.Request(url + "/metrics", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(metrics) as r:
        assert r.headers["content-type"].startswith("text/plain")
        text = r.read().decode()
    assert (
        "cinechat_turns_total" in text
        and "cinechat_node_seconds" in text
        and "cinechat_active_sessions" in text
        and "cinechat_render_backlog 0.0" in text  # nothing renders now
    )
    form = urllib.parse.urlencode({"username": "alice", "password": "wrong-password"}).encode()
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(urllib.request.Request(url + "/login", data=form, method="POST"))
    assert err.value.code == 401
    good = urllib.parse.urlencode({"username": "alice", "password": "alice-password"}).encode()
    with urllib.request.urlopen(urllib.request.Request(url + "/login", data=good, method="POST")) as r:
        assert r.status == 200


def test_chat_rows_are_stored(server: dict[str, Any]) -> None:
    """The data layer drops rows it cannot write with only a warning: read them back."""
    import sqlite3

    with sqlite3.connect(server["state"] / "chainlit.sqlite") as conn:
        threads = conn.execute('select "userIdentifier" from threads').fetchall()
        steps = conn.execute("select count(*) from steps").fetchone()[0]
        elements = conn.execute("select count(*) from elements where type = 'video'").fetchone()[0]
    assert {"alice", "bob"} <= {t[0] for t in threads}
    assert steps > 10 and elements >= 3
