"""One browser context per role, on a real Chainlit server: an administrator adds a viewer on
the admin page; a creator makes a video and shares it from the chat with `/share`; the viewer
watches it on /shared and downloads it, and a message of theirs in the chat is refused on the
server, with the project and the chat unchanged. Then the creator ends the share from /shared
and the administrator deletes the viewer. Every step is read back from the databases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.test_browser import NO_CHROMIUM, Session, browser, own_server, shots  # noqa: F401 - fixtures
from tests.test_turns import state
from tools import audit, users

pytestmark = NO_CHROMIUM


def actions(home: Path, user: str) -> list[str]:
    return [e["action"] for e in audit.entries(home / "users.sqlite", user=user)]


def test_admin_creator_and_viewer_each_in_their_own_browser(
    tmp_path: Path,
    browser: Any,  # noqa: F811
    shots: Path,  # noqa: F811
) -> None:
    with own_server(tmp_path, {"olga": "admin"}) as running:
        url, history, home = running["url"], running["history"], running["state"]
        db = home / "users.sqlite"

        # the administrator adds a viewer in the browser (a wrong form first: nothing changes)
        admin = Session(browser, url, shots, locale="zh-CN")
        admin.login("olga", "olga-password")
        admin.page.goto(url + "/admin")
        form = admin.page.locator("#add-user form")
        form.locator("input[name=name]").fill("vic")
        form.locator("input[name=password]").fill("short")  # the page's own check stops this one
        form.locator("button").click()
        assert users.role_of(db, "vic") is None
        form.locator("input[name=password]").fill("vic-password")
        form.locator("select[name=role]").select_option("viewer")
        form.locator("button").click()
        admin.page.locator("#notice").wait_for()
        assert "已保存用户 vic（viewer）" in admin.page.locator("#notice").inner_text()
        assert users.role_of(db, "vic") == "viewer"
        admin.shot("roles-admin-added")
        # the only admin cannot demote themself
        row = admin.page.locator("#user-olga")
        row.locator("select[name=role]").select_option("creator")
        row.get_by_role("button", name="修改角色").click()
        assert "唯一的管理员" in admin.page.locator("#notice").inner_text()
        assert users.role_of(db, "olga") == "admin"
        assert admin.errors == [
            "Failed to load resource: the server responded with a status of 400 (Bad Request)"
        ]
        admin.errors.clear()  # the refused form's page comes with 400, which the console notes

        # the creator makes a video and shares it from the chat
        creator = Session(browser, url, shots)
        creator.login("alice", "alice-password")
        creator.say("make a 6 second video about a paper lantern floating on a river at night")
        creator.wait_text("First draft ready")
        creator.press("Go ahead")
        creator.wait_videos(1)
        creator.idle()
        chat = creator.page.url.rsplit("/thread/", 1)[1].split("?")[0]
        project = f"alice:{chat}"
        before = state(history, project)
        creator.say("/share nobody-here")
        creator.wait_text("There is no user nobody-here")
        assert users.shares_by(db, "alice") == []
        creator.say("/share vic")
        creator.wait_text("is shared with vic, read-only")
        creator.shot("roles-creator-shared")
        assert users.shares_by(db, "alice") == [(project, "vic")]

        # the viewer watches and downloads it, and cannot change it
        viewer = Session(browser, url, shots)
        viewer.login("vic", "vic-password")
        viewer.page.goto(url + "/shared")
        viewer.page.locator("#project-0 video").wait_for()
        assert "shared by alice" in viewer.page.locator("#project-0 h2").inner_text()
        duration = viewer.page.locator("#project-0 video").evaluate(
            "v => new Promise(r => { if (v.readyState >= 1) r(v.duration); "
            "else { v.addEventListener('loadedmetadata', () => r(v.duration)); v.load(); } })"
        )
        assert abs(float(duration) - 6.0) < 0.5
        with viewer.page.expect_download() as download:
            viewer.page.get_by_role("link", name="MP4").click()
        saved = tmp_path / "shared.mp4"
        download.value.save_as(saved)
        assert saved.read_bytes()[4:8] == b"ftyp"
        viewer.shot("roles-viewer-shared")
        viewer.page.goto(url + "/")
        viewer.page.wait_for_selector("#chat-input")
        viewer.say("make a 10 second video about a lighthouse")
        viewer.wait_text("not make or change projects")
        viewer.shot("roles-viewer-refused")
        assert viewer.page.goto(url + "/admin").status == 403
        assert viewer.errors == [
            "Failed to load resource: the server responded with a status of 403 (Forbidden)"
        ]
        viewer.errors.clear()
        after = state(history, project)
        assert after["version"] == before["version"] and after["render"] == before["render"]
        assert "role_refused" in actions(home, "vic") and "export" in actions(home, "vic")

        # the creator ends the share on /shared; the viewer's page is empty again
        creator.page.goto(url + "/shared")
        creator.page.locator("#yours").get_by_role("button", name="Stop sharing").click()
        creator.page.locator("#notice").wait_for()
        assert users.shares_by(db, "alice") == []
        viewer.page.goto(url + "/shared")
        assert "No project is shared with you yet" in viewer.page.content()

        # the administrator deletes the viewer (the box must be ticked), and the login is gone
        admin.page.goto(url + "/admin")
        row = admin.page.locator("#user-vic")
        row.locator("input[name=confirm]").check()
        row.get_by_role("button", name="删除（连同其全部项目）").click()
        admin.page.locator("#notice").wait_for()
        assert "已删除 vic" in admin.page.locator("#notice").inner_text()
        assert users.role_of(db, "vic") is None
        deleted = [e for e in audit.entries(db, user="vic") if e["action"] == "user_deleted"]
        assert len(deleted) == 1 and json.loads(deleted[0]["detail"])["by"] == "olga"
        assert actions(home, "alice").count("share") == 1 and actions(home, "alice").count("unshare") == 1
        for s in (admin, creator, viewer):
            s.clean()
            s.context.close()
