"""Security probes against a real Chainlit server (issue 19's measured gaps, each a test):
cross-origin calls and socket.io connections refused, security headers on every response,
a logout that voids the token on the server, login limits with backoff and the wait said, the
password check off the event loop, /metrics behind a token, /healthz without paths, and the
audit log: one entry per action, append-only, kept when a chat is deleted."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import test_browser as face
from tests.helpers import self_signed
from tools import audit
from tools.users import add_user

EVIL = "http://evil.example"
# one server for the module, its tests in order (`make test` distributes by file; the flood last)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    state = tmp_path_factory.mktemp("ui-security")
    for name in ("carol", "dave", "erin"):
        add_user(state / "users.sqlite", name, f"{name}-password")
    with face.serve(
        state, {"CINECHAT_DB": str(state / "cinechat.sqlite"), "CINECHAT_RESOLUTION": "360p"}
    ) as running:
        yield running


def call(
    url: str, method: str = "GET", data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request; status, headers (lower-case names) and body, errors included."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            return reply.status, {k.lower(): v for k, v in reply.headers.items()}, reply.read()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


def login(url: str, name: str, password: str) -> tuple[int, dict[str, str], str]:
    """A password login; status, headers and the auth cookie it set."""
    form = urllib.parse.urlencode({"username": name, "password": password}).encode()
    request = urllib.request.Request(url + "/login", data=form, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            cookies = [c.split(";")[0] for c in reply.headers.get_all("Set-Cookie") or []]
            cookie = "; ".join(c for c in cookies if c.startswith("access_token"))
            return reply.status, {k.lower(): v for k, v in reply.headers.items()}, cookie
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read().decode()


def entries(server: dict[str, Any], user: str) -> list[dict[str, Any]]:
    return audit.entries(server["state"] / "users.sqlite", user=user)


def test_cross_origin_calls_are_refused_and_not_echoed(server: dict[str, Any]) -> None:
    url = server["url"]
    _, _, cookie = login(url, "carol", "carol-password")
    body = json.dumps({"pagination": {"first": 20}, "filter": {}}).encode()
    json_headers = {"Cookie": cookie, "Content-Type": "application/json"}
    status, headers, _ = call(
        url + "/project/threads", "POST", body, {**json_headers, "Origin": "http://127.0.0.1:9999"}
    )
    assert status == 403 and "access-control-allow-origin" not in headers
    status, headers, _ = call(
        url + "/project/threads",
        "OPTIONS",
        headers={
            "Origin": EVIL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert (
        status == 400 and "access-control-allow-origin" not in headers
    )  # Starlette: "Disallowed CORS origin"
    own = url.replace("http://", "")
    status, _, _ = call(url + "/project/threads", "POST", body, {**json_headers, "Origin": f"http://{own}"})
    assert status == 200  # the app's own page still works
    # socket.io: the engine.io handshake from another origin is refused, from its own it opens
    handshake = url + "/ws/socket.io/?EIO=4&transport=polling"
    status, _, said = call(handshake, headers={"Origin": EVIL, "Cookie": cookie})
    assert status == 400 and b"not an accepted origin" in said
    status, _, said = call(handshake, headers={"Origin": f"http://{own}", "Cookie": cookie})
    assert status == 200 and b"sid" in said


def test_every_response_carries_the_security_headers(server: dict[str, Any]) -> None:
    for path in ("/", "/healthz", "/login", "/nothing-here"):
        _, headers, _ = call(server["url"] + path)
        csp = headers.get("content-security-policy", "")
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
        assert (
            headers["referrer-policy"] == "same-origin" and "strict-transport-security" not in headers
        )  # no TLS
    _, _, page = call(server["url"] + "/")
    assert b"<script>" in page and "'sha256-" in call(server["url"] + "/")[1]["content-security-policy"]


def test_each_action_leaves_one_audit_entry_and_the_log_is_append_only(server: dict[str, Any]) -> None:
    from bench.load import Chat

    url = server["url"]
    _, _, cookie = login(url, "alice", "alice-password")
    start = len(entries(server, "alice"))

    async def talk() -> None:
        chat = Chat(url, cookie)
        await chat.connect()
        try:
            for text in (
                "make a 6 second video about a kite on a beach",
                "go ahead",
                "export as gif",
                "go back to v1.0",
                "now make a gory video of a beheading",
            ):
                await chat.turn(text)
        finally:
            await chat.close()

    asyncio.run(talk())
    new = entries(server, "alice")[start:]
    actions = [e["action"] for e in new]
    assert actions.count("login") == 0  # the login came before `start`
    assert actions.count("turn") == 5 and actions.count("render") == 1 and actions.count("export") == 1
    policy = [e for e in new if e["action"] == "policy_refused"]
    assert len(policy) == 1 and json.loads(policy[0]["detail"]) == {"category": "graphic_violence"}
    turns = [json.loads(e["detail"])["intent"] for e in new if e["action"] == "turn"]
    assert turns[:3] == ["create", "generate", "export"]
    exported = next(e for e in new if e["action"] == "export")
    assert json.loads(exported["detail"])["format"] == "gif" and exported["thread"].startswith("alice:")
    assert all(e["address"] == "127.0.0.1" for e in new)
    with sqlite3.connect(server["state"] / "chainlit.sqlite") as conn:  # what the browser was shown
        said = [r[0] or "" for r in conn.execute("select output from steps where type = 'assistant_message'")]
    assert any(".gif" in t for t in said) and not any(str(server["state"]) in t for t in said)
    with (
        sqlite3.connect(server["state"] / "users.sqlite") as conn,
        pytest.raises(sqlite3.DatabaseError, match="append-only"),
    ):
        conn.execute("DELETE FROM audit")
    with (
        sqlite3.connect(server["state"] / "users.sqlite") as conn,
        pytest.raises(sqlite3.DatabaseError, match="append-only"),
    ):
        conn.execute("UPDATE audit SET user = 'someone'")


def test_logout_voids_the_token_on_the_server(server: dict[str, Any]) -> None:
    url = server["url"]
    status, _, cookie = login(url, "dave", "dave-password")
    assert status == 200 and cookie
    assert call(url + "/user", headers={"Cookie": cookie})[0] == 200
    assert call(url + "/logout", "POST", b"", {"Cookie": cookie})[0] == 200
    assert call(url + "/user", headers={"Cookie": cookie})[0] == 401  # the same cookie, kept by an attacker
    status, _, again = login(url, "dave", "dave-password")
    assert status == 200 and call(url + "/user", headers={"Cookie": again})[0] == 200  # a new login works
    actions = [e["action"] for e in entries(server, "dave")]
    assert actions == ["login", "logout", "login"]


def test_failed_logins_back_off_then_lock_and_say_when(server: dict[str, Any]) -> None:
    url = server["url"]
    for _ in range(5):  # the free tries
        assert login(url, "erin", "wrong-password")[0] == 401
    status, headers, said = login(url, "erin", "erin-password")  # even the right one must wait
    assert status == 429 and int(headers["retry-after"]) >= 1 and "Try again in" in said
    refused = [e for e in entries(server, "erin") if e["action"] == "login_locked"]
    assert len(refused) == 1 and refused[0]["outcome"] == "refused"
    assert [e["action"] for e in entries(server, "erin")].count("login_failed") == 5
    assert all(e["address"] == "127.0.0.1" for e in entries(server, "erin"))
    time.sleep(float(headers["retry-after"]))  # the wait is over: the right password logs in
    assert login(url, "erin", "erin-password")[0] == 200
    assert login(url, "erin", "wrong-password")[0] == 401  # and the name's count started over


def test_metrics_need_the_token_and_health_shows_no_paths(server: dict[str, Any]) -> None:
    url = server["url"]
    assert call(url + "/metrics")[0] == 401
    assert call(url + "/metrics", headers={"Authorization": "Bearer wrong"})[0] == 401
    token = (server["state"] / ".metrics_token").read_text().strip()
    status, _, text = call(url + "/metrics", headers={"Authorization": f"Bearer {token}"})
    assert status == 200 and b"cinechat_turns_total" in text
    _, _, health = call(url + "/healthz")
    assert "/" not in json.dumps(json.loads(health)).replace("\\/", "")  # no path of this machine


def test_the_audit_command_lists_and_filters(server: dict[str, Any], tmp_path: Path) -> None:
    import subprocess
    import sys

    from graph.context import ROOT

    env = {
        "PATH": "/usr/bin:/bin",
        "CINECHAT_STATE": str(server["state"]),
        "CINECHAT_DB": str(server["state"] / "cinechat.sqlite"),
    }
    shown = subprocess.run(
        [sys.executable, "-m", "graph.cli", "audit", "--user", "dave", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr
    rows = json.loads(shown.stdout)
    assert rows and {r["user"] for r in rows} == {"dave"} and rows[0]["action"] == "login"
    plain = subprocess.run(
        [sys.executable, "-m", "graph.cli", "audit", "--since", "2000-01-01"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert plain.returncode == 0 and "login_failed" in plain.stdout and "erin" in plain.stdout


def test_deleting_a_chat_deletes_its_versions_and_keeps_its_audit_entries(server: dict[str, Any]) -> None:
    from bench.load import Chat
    from tests.test_turns import state

    url = server["url"]
    _, _, cookie = login(url, "bob", "bob-password")

    async def talk() -> None:
        chat = Chat(url, cookie)
        await chat.connect()
        try:
            await chat.turn("make a 6 second video about a lantern festival")
        finally:
            await chat.close()

    asyncio.run(talk())
    body = json.dumps({"pagination": {"first": 20}, "filter": {}}).encode()
    headers = {"Cookie": cookie, "Content-Type": "application/json"}
    listed = json.loads(call(url + "/project/threads", "POST", body, headers)[2])["data"]
    chat_id = listed[0]["id"]
    project = f"bob:{chat_id}"
    made = state(server["state"] / "cinechat.sqlite", project)
    assert made.get("script")  # the project is there
    board = server["state"] / "media" / made["outcome"]["storyboard"]
    assert board.is_file()  # its storyboard, which no other project shows
    before = entries(server, "bob")
    status, _, _ = call(
        url + "/project/thread", "DELETE", json.dumps({"threadId": chat_id}).encode(), headers
    )
    assert status == 200
    assert state(server["state"] / "cinechat.sqlite", project) == {}  # every checkpoint gone
    with sqlite3.connect(server["state"] / "cinechat.sqlite") as conn:
        left = conn.execute("select count(*) from checkpoints where thread_id = ?", (project,)).fetchone()[0]
    assert left == 0
    after = entries(server, "bob")
    assert after[: len(before)] == before  # the turn's entries stay
    deleted = [e for e in after if e["action"] == "delete"]
    assert len(deleted) == 1 and deleted[0]["thread"] == project
    assert json.loads(deleted[0]["detail"])["media_deleted"] >= 1 and not board.exists()


def test_deleting_a_user_removes_their_projects_chats_and_login(server: dict[str, Any]) -> None:
    import subprocess
    import sys

    from bench.load import Chat
    from graph.context import ROOT
    from tests.test_turns import state

    url = server["url"]
    add_user(server["state"] / "users.sqlite", "frank", "frank-password")
    _, _, cookie = login(url, "frank", "frank-password")

    async def talk() -> None:
        chat = Chat(url, cookie)
        await chat.connect()
        try:
            await chat.turn("make a 6 second video about a paper crane")
        finally:
            await chat.close()

    asyncio.run(talk())
    history = server["state"] / "cinechat.sqlite"
    with sqlite3.connect(history) as conn:
        mine = [
            r[0]
            for r in conn.execute("select distinct thread_id from checkpoints where thread_id like 'frank:%'")
        ]
        others = conn.execute(
            "select count(*) from checkpoints where thread_id not like 'frank:%'"
        ).fetchone()[0]
    assert mine and state(history, mine[0]).get("script")
    env = {"PATH": "/usr/bin:/bin", "CINECHAT_STATE": str(server["state"]), "CINECHAT_DB": str(history)}
    done = subprocess.run(
        [sys.executable, "-m", "graph.cli", "users", "delete", "frank"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0 and "1 projects" in done.stdout, done.stdout + done.stderr
    with sqlite3.connect(history) as conn:
        assert (
            conn.execute("select count(*) from checkpoints where thread_id like 'frank:%'").fetchone()[0] == 0
        )
        assert (
            conn.execute("select count(*) from checkpoints where thread_id not like 'frank:%'").fetchone()[0]
            == others
        )
    with sqlite3.connect(server["state"] / "chainlit.sqlite") as conn:
        assert (
            conn.execute("""select count(*) from threads where "userIdentifier" = 'frank'""").fetchone()[0]
            == 0
        )
    assert call(url + "/user", headers={"Cookie": cookie})[0] == 401  # the token is void
    assert login(url, "frank", "frank-password")[0] == 401  # and the login gone
    deleted = [e for e in entries(server, "frank") if e["action"] == "user_deleted"]
    assert len(deleted) == 1 and json.loads(deleted[0]["detail"])["projects"] == 1


def _cli(server: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    from graph.context import ROOT

    env = {
        "PATH": "/usr/bin:/bin",
        "CINECHAT_STATE": str(server["state"]),
        "CINECHAT_DB": str(server["state"] / "cinechat.sqlite"),
    }
    return subprocess.run(
        [sys.executable, "-m", "graph.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


def _talk(url: str, cookie: str, *texts: str) -> list[str]:
    """Turns over socket.io as the browser sends them; the replies' texts."""
    from bench.load import Chat

    async def run() -> list[str]:
        chat = Chat(url, cookie)
        await chat.connect()
        try:
            for text in texts:
                await chat.turn(text)
        finally:
            await chat.close()
        return chat.outputs

    return asyncio.run(run())


def _chats(url: str, cookie: str) -> list[str]:
    body = json.dumps({"pagination": {"first": 20}, "filter": {}}).encode()
    headers = {"Cookie": cookie, "Content-Type": "application/json"}
    return [t["id"] for t in json.loads(call(url + "/project/threads", "POST", body, headers)[2])["data"]]


def test_roles_a_viewer_watches_what_is_shared_and_changes_nothing(server: dict[str, Any]) -> None:
    """One client per role. A viewer's turns are refused on the server (socket.io, not just
    the page), audited, and leave no project; a project shared with them is on /shared, to
    watch and download, while its owner's versions stay as they were; /admin is for admins;
    a role changed while logged in counts at the next turn."""
    from tests.test_turns import state

    url, history = server["url"], server["state"] / "cinechat.sqlite"
    add_user(server["state"] / "users.sqlite", "vera", "vera-password", role="viewer")
    add_user(server["state"] / "users.sqlite", "olga", "olga-password", role="admin")
    _, _, viewer = login(url, "vera", "vera-password")
    said = _talk(url, viewer, "做一个关于灯塔的10秒视频")
    assert any("不能创建或修改项目" in s and "/shared" in s for s in said), said
    refused = [e for e in entries(server, "vera") if e["action"] == "role_refused"]
    assert len(refused) == 1 and refused[0]["outcome"] == "refused"
    assert all(not state(history, f"vera:{c}").get("script") for c in _chats(url, viewer))

    _, _, owner = login(url, "carol", "carol-password")
    known = set(_chats(url, owner))
    _talk(url, owner, "make a 6 second video about a paper lantern on a river", "go ahead")
    chat = next(c for c in _chats(url, owner) if c not in known)
    project = f"carol:{chat}"
    before = state(history, project)
    assert before["render"]["path"]
    status, _, page = call(url + "/shared", headers={"Cookie": viewer, "Accept-Language": "en"})
    assert status == 200 and "No project is shared with you yet" in page.decode()
    assert call(url + "/shared/0/video", headers={"Cookie": viewer})[0] == 404

    done = _cli(server, "share", project, "vera")
    assert done.returncode == 0, done.stderr
    assert _cli(server, "share", "carol:no-such-chat", "vera").returncode == 2
    status, headers, page = call(url + "/shared", headers={"Cookie": viewer, "Accept-Language": "en"})
    assert status == 200 and "shared by carol" in page.decode() and "content-security-policy" in headers
    status, headers, video = call(url + "/shared/0/video", headers={"Cookie": viewer})
    assert status == 200 and video[4:8] == b"ftyp"
    status, headers, gif = call(url + "/shared/0/export/gif", headers={"Cookie": viewer})
    assert status == 200 and gif[:6] in (b"GIF89a", b"GIF87a") and ".gif" in headers["content-disposition"]
    assert call(url + "/shared/0/video")[0] == 401  # no cookie
    _, _, other = login(url, "dave", "dave-password")
    assert call(url + "/shared/0/video", headers={"Cookie": other})[0] == 404  # not shared with dave
    after = state(history, project)
    assert after["version"] == before["version"] and after["render"] == before["render"]  # unchanged
    exported = [e for e in entries(server, "vera") if e["action"] == "export"]
    assert len(exported) == 1 and exported[0]["thread"] == project

    assert call(url + "/admin", headers={"Cookie": viewer})[0] == 403
    assert call(url + "/admin", headers={"Cookie": owner})[0] == 403
    _, _, boss = login(url, "olga", "olga-password")
    status, _, page = call(url + "/admin", headers={"Cookie": boss, "Accept-Language": "en"})
    text = page.decode()
    assert status == 200 and "<td>vera</td><td>viewer</td>" in text and "role_refused" in text

    assert _cli(server, "users", "role", "vera", "--role", "creator").returncode == 0
    _talk(url, viewer, "make a 6 second video about a paper crane")  # the same login, now a creator
    assert any(state(history, f"vera:{c}").get("script") for c in _chats(url, viewer))
    assert [e["action"] for e in entries(server, "vera")].count("role_changed") == 1


def test_sharing_from_the_chat_in_chinese(server: dict[str, Any]) -> None:
    """`/share NAME` and `/unshare NAME` typed in a chat: refused with nothing to share, for an
    unknown name and for a viewer; done once per share, audited, in the project's language."""
    from tools import users

    url, db = server["url"], server["state"] / "users.sqlite"
    _, _, owner = login(url, "erin", "erin-password")
    said = _talk(url, owner, "/share carol")
    assert any("还没有可以分享的项目" in t or "nothing to share" in t for t in said), said
    said = _talk(
        url, owner, "做一个关于钟楼的6秒视频", "/share nobody", "/share carol", "/share", "/unshare bob"
    )
    assert any("没有用户 nobody" in t for t in said), said
    assert any("只读分享给 carol" in t and "/shared" in t for t in said), said
    assert any("请在命令后面写上用户名" in t for t in said) and any("没有分享给 bob" in t for t in said)
    shares = users.shares_by(db, "erin")
    assert [v for _, v in shares] == ["carol"]
    _, _, carol = login(url, "carol", "carol-password")
    page = call(url + "/shared", headers={"Cookie": carol, "Accept-Language": "zh-CN"})[2].decode()
    assert "来自 erin" in page
    add_user(db, "val", "val-password", role="viewer")
    _, _, viewer = login(url, "val", "val-password")
    said = _talk(url, viewer, "/share carol")
    assert any("不能创建或修改项目" in t or "not make or change" in t for t in said)
    assert users.shares_by(db, "val") == []
    assert [e["action"] for e in entries(server, "erin")].count("share") == 1


def test_admin_forms_need_the_role_the_token_and_the_origin(server: dict[str, Any]) -> None:
    """The admin page's forms change users only for an administrator, with the page's token,
    from the app's own origin; anything else is refused and changes nothing."""
    from graph import websec
    from tools import users

    url, db = server["url"], server["state"] / "users.sqlite"
    add_user(db, "pat", "pat-password", role="admin")
    _, _, boss = login(url, "pat", "pat-password")
    _, _, creator = login(url, "carol", "carol-password")
    page = call(url + "/admin", headers={"Cookie": boss})[2].decode()
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]
    secret = "test-secret-" + "x" * 40  # face.serve's CHAINLIT_AUTH_SECRET
    assert token == websec.form_token(secret, "pat", "admin")

    def post(action: str, fields: dict[str, str], cookie: str, origin: str | None = None) -> tuple[int, str]:
        headers = {
            "Cookie": cookie,
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept-Language": "en",
        }
        if origin:
            headers["Origin"] = origin
        status, _, body = call(
            url + f"/admin/users/{action}", "POST", urllib.parse.urlencode(fields).encode(), headers
        )
        return status, body.decode()

    new_user = {"name": "quinn", "password": "quinn-password", "role": "viewer"}
    assert post("add", new_user, boss)[0] == 400  # no token: a forged form
    assert post("add", {**new_user, "csrf": "0" * 40}, boss)[0] == 400
    assert post("add", {**new_user, "csrf": websec.form_token(secret, "carol", "admin")}, creator)[0] == 403
    assert post("add", {**new_user, "csrf": token}, boss, origin=EVIL)[0] == 403  # the guard's origin check
    assert users.role_of(db, "quinn") is None
    status, page = post("add", {**new_user, "csrf": token}, boss, origin=url)
    assert status == 200 and "quinn was saved as viewer" in page and users.role_of(db, "quinn") == "viewer"
    status, page = post("add", {"name": "x", "password": "long-enough", "csrf": token}, boss)
    assert status == 400 and "2 to 64" in page and users.role_of(db, "x") is None
    status, page = post("role", {"name": "quinn", "role": "owner", "csrf": token}, boss)
    assert status == 400 and "The roles are" in page and users.role_of(db, "quinn") == "viewer"
    status, page = post("role", {"name": "nobody", "role": "creator", "csrf": token}, boss)
    assert status == 400 and "There is no user nobody" in page
    status, page = post("role", {"name": "quinn", "role": "creator", "csrf": token}, boss)
    assert status == 200 and users.role_of(db, "quinn") == "creator"
    status, page = post("delete", {"name": "quinn", "csrf": token}, boss)  # the box not ticked
    assert status == 400 and "I am sure" in page and users.role_of(db, "quinn") == "creator"
    status, page = post("delete", {"name": "quinn", "confirm": "yes", "csrf": token}, boss)
    assert status == 200 and "quinn was deleted" in page and users.role_of(db, "quinn") is None
    mine = [
        e for e in entries(server, "quinn") if e["action"] in ("user_added", "role_changed", "user_deleted")
    ]
    assert [e["action"] for e in mine] == ["user_added", "role_changed", "user_deleted"]
    assert all(json.loads(e["detail"])["by"] == "pat" for e in mine)


def test_a_login_flood_does_not_stall_the_server(server: dict[str, Any]) -> None:
    """20 logins at once (unknown names: each still runs argon2, until the address has used its
    20 free failures) while /healthz is asked: it answers before the flood is through (the
    checks run in threads, not on the event loop). Last: it locks this test's address."""
    url = server["url"]
    done: list[str] = []
    lock = threading.Lock()

    def flood(i: int) -> None:
        login(url, f"nobody{i}", "wrong-password")
        with lock:
            done.append("login")

    threads = [threading.Thread(target=flood, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    status, _, _ = call(url + "/healthz")
    with lock:
        done.append("healthz")
    for t in threads:
        t.join()
    assert status == 200
    assert done.index("healthz") < len(done) - 1, done  # answered while logins were still running


def test_tls_served_by_the_app_with_a_secure_cookie_and_hsts(tmp_path: Path) -> None:
    """A self-signed certificate made here; the app serves HTTPS with it."""
    cert, key = self_signed(tmp_path)
    settings = {
        "CINECHAT_DB": str(tmp_path / "cinechat.sqlite"),
        "CHAINLIT_SSL_CERT": str(cert),
        "CHAINLIT_SSL_KEY": str(key),
    }
    with face.serve(tmp_path, settings) as running:
        url, trust = running["url"], running["trust"]
        assert url.startswith("https://")
        form = urllib.parse.urlencode({"username": "alice", "password": "alice-password"}).encode()
        request = urllib.request.Request(url + "/login", data=form, method="POST")
        with urllib.request.urlopen(request, timeout=60, context=trust) as reply:
            cookies = reply.headers.get_all("Set-Cookie") or []
            hsts = reply.headers.get("Strict-Transport-Security", "")
        token = [c for c in cookies if c.startswith("access_token")]
        assert token and all("secure" in c.lower() for c in token) and "max-age=" in hsts
        with pytest.raises(OSError):  # plain HTTP on the TLS port gets nothing
            urllib.request.urlopen(url.replace("https://", "http://") + "/healthz", timeout=10)


def test_forwarded_proto_is_believed_from_the_balancer_only() -> None:
    """HSTS for a request the balancer (loopback) says came over TLS, not for a client's claim."""
    from graph.websec import Guard

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    def headers_for(client: str) -> dict[bytes, bytes]:
        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b""}

        scope = {
            "type": "http",
            "method": "GET",
            "path": "/",
            "scheme": "http",
            "client": (client, 5000),
            "headers": [(b"host", b"chat.example"), (b"x-forwarded-proto", b"https")],
        }
        asyncio.run(Guard(app)(scope, receive, send))
        return dict(sent[0]["headers"])

    assert b"strict-transport-security" in headers_for("127.0.0.1")
    assert b"strict-transport-security" not in headers_for("203.0.113.9")
