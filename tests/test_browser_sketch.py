"""The sketch pad in the browser, on a real Chainlit server: a draft is written, `/sketch` shows
the pad (public/elements/SketchPad.jsx; the chat page's CSP, and only its, allows Chainlit to
compile it), a bird is drawn with the mouse, undo takes the last stroke off the canvas (its
pixels), the drawing is sent for shot 2 and becomes that shot's animated element (read back from
the SQLite checkpoints), and the approved video renders it. A blank page, a payload that is not
a PNG and one that is too large are refused on the server with nothing run (the same
checkpoints, the same script). A new chat begun with the pad gets the drawing in shot 1 and is
named by its words; a Chinese session gets the pad in Chinese; a viewer gets no pad."""

from __future__ import annotations

import json
import sqlite3
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.test_browser import NO_CHROMIUM, Session, browser, own_server, shots  # noqa: F401 - fixtures
from tests.test_turns import state

pytestmark = NO_CHROMIUM

INK = """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let ink = 0, blue = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200) ink++;
    if (d[i + 2] > 150 && d[i] < 100) blue++;
  }
  return [ink, blue]; }"""
"""The canvas's drawn pixels, and of those the blue ones."""


class _Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


NO_REDIRECTS = urllib.request.build_opener(_Stay)


def checkpoints(db: str, thread: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(
            conn.execute("select count(*) from checkpoints where thread_id = ?", (thread,)).fetchone()[0]
        )


def draw(s: Session, *strokes: Sequence[tuple[float, float]]) -> None:
    """Mouse strokes on the newest pad, in the canvas's own units (800 x 500)."""
    canvas = s.page.locator("#sketch-canvas").last
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    for points in strokes:
        at = [(box["x"] + x * box["width"] / 800, box["y"] + y * box["height"] / 500) for x, y in points]
        s.page.mouse.move(*at[0])
        s.page.mouse.down()
        for x, y in at[1:]:
            s.page.mouse.move(x, y, steps=3)
        s.page.mouse.up()


def circle(cx: float, cy: float, rx: float, ry: float, n: int = 36) -> list[tuple[float, float]]:
    import math

    return [
        (cx + rx * math.cos(2 * math.pi * k / n), cy + ry * math.sin(2 * math.pi * k / n))
        for k in range(n + 1)
    ]


BODY = circle(380, 280, 150, 80)
HEAD = circle(560, 210, 55, 50)
BEAK = [(610, 200), (680, 215), (608, 228), (610, 200)]
WING = [(320, 250), (400, 90), (470, 250)]
TAIL = [(232, 260), (130, 210), (160, 300), (232, 300)]


def pad(s: Session) -> Any:
    return s.page.locator("#sketch-pad").last


def send_tampered(s: Session, png: str) -> None:
    """Press Send with the request's drawing replaced on its way to the server (what a client
    other than the pad could post)."""

    def swap(route: Any) -> None:
        body = json.loads(route.request.post_data)
        body["action"]["payload"]["png"] = png
        route.continue_(post_data=json.dumps(body))

    s.page.route("**/project/action", swap)
    try:
        with s.page.expect_response(lambda r: "/project/action" in r.url, timeout=60_000):
            pad(s).locator("#sketch-send").click()
    finally:
        s.page.unroute("**/project/action", swap)


def test_a_drawing_from_the_sketch_pad_becomes_a_shots_element(
    tmp_path: Path,
    browser: Any,  # noqa: F811
    shots: Path,  # noqa: F811
) -> None:
    with own_server(tmp_path, {"vic": "viewer"}) as running:
        url, history, home = running["url"], running["history"], running["state"]
        # the chat page's CSP lets Chainlit compile custom elements ('unsafe-eval'); no other's does
        for path, evaluates in (("/", True), ("/thread/x", True), ("/healthz", False), ("/shared", False)):
            try:
                with NO_REDIRECTS.open(url + path, timeout=30) as reply:
                    csp = reply.headers["content-security-policy"]
            except urllib.error.HTTPError as err:  # /shared: 307 to the login page
                csp = err.headers["content-security-policy"]
            assert ("'unsafe-eval'" in csp) is evaluates, (path, csp)
        s = Session(browser, url, shots)
        s.login("alice", "alice-password")
        s.say("make a 6 second video about a bird over the sea")
        s.wait_text("First draft ready")
        s.idle()
        chat = s.page.url.rsplit("/thread/", 1)[1].split("?")[0]
        project = f"alice:{chat}"
        assert all(not x.get("image") for x in state(history, project)["script"]["shots"])

        # the pad, in the user's language, from the command
        s.say("/sketch")
        pad(s).locator("#sketch-canvas").wait_for(timeout=30_000)
        for label in ("Sketch pad", "Pen", "Eraser", "Undo", "Clear", "Send"):
            assert label in pad(s).inner_text(), label
        assert pad(s).locator("#sketch-words").get_attribute("placeholder", timeout=5000) == (
            "What is it for? e.g. use this drawing in shot 2"
        )
        canvas = pad(s).locator("#sketch-canvas")
        assert canvas.evaluate(INK) == [0, 0]  # white paper
        s.shot("sketchpad-empty")

        # a black body and head, then a blue wing; undo takes the wing (and only it) away
        draw(s, BODY, HEAD, BEAK)
        black, _ = canvas.evaluate(INK)
        pad(s).locator("#sketch-colour-blue").click()
        pad(s).locator("#sketch-width").fill("10")
        draw(s, WING)
        both, blue = canvas.evaluate(INK)
        assert black > 2000 and blue > 500 and both > black, (black, both, blue)
        s.shot("sketchpad-before-undo")
        pad(s).locator("#sketch-undo").click()
        after_undo, blue_after = canvas.evaluate(INK)
        assert blue_after == 0 and after_undo == black, (after_undo, blue_after, black)
        # the eraser takes a bit of the body off; undo brings it back
        pad(s).locator("#sketch-eraser").click()
        draw(s, [(230, 280), (250, 280)])
        assert canvas.evaluate(INK)[0] < black
        pad(s).locator("#sketch-undo").click()
        assert canvas.evaluate(INK)[0] == black
        # drawn again, in black: the wing and a tail
        pad(s).locator("#sketch-colour-black").click()
        pad(s).locator("#sketch-width").fill("8")
        draw(s, WING, TAIL)
        assert canvas.evaluate(INK)[0] > black
        pad(s).locator("#sketch-words").fill("use this drawing in shot 2")
        s.shot("sketchpad-drawn")

        before_send = state(history, project)
        pad(s).locator("#sketch-send").click()
        pad(s).locator("#sketch-status").wait_for(timeout=120_000)  # "Sent." once the turn is over
        assert pad(s).locator("#sketch-status").inner_text() == "Sent."
        s.idle()
        s.page.locator("img[alt='sketch.png']").last.wait_for(timeout=30_000)  # the user's message
        s.wait_text("use this drawing in shot 2")
        s.shot("sketchpad-sent")
        values = state(history, project)
        sketched = values["script"]["shots"][1]["image"]
        assert sketched["kind"] == "sketch", sketched
        assert not str(sketched["path"]).startswith("/"), sketched  # a store key: the file is stored
        assert [bool(x.get("image")) for x in values["script"]["shots"]] == [False, True, False]
        assert values["version"] != before_send["version"]
        assert not list(Path(tempfile.gettempdir()).glob("cinechat-sketch-*"))  # the temp file went
        human = [m for m in values["messages"] if m.type == "human"][-1]
        assert human.content == "use this drawing in shot 2"
        assert [a["kind"] for a in human.additional_kwargs["attachments"]] == ["sketch"]

        # approved: the video renders with the drawing in shot 2
        s.press("Go ahead")
        s.wait_videos(1)
        s.idle()
        rendered = state(history, project)
        assert rendered["render"]["path"] and rendered["render"] != values.get("render")
        assert rendered["script"]["shots"][1]["image"]["kind"] == "sketch"
        assert [b["backend"] for b in rendered["render"]["backends"]][1] == "sketch"  # drawn on in shot 2
        s.shot("sketchpad-rendered")

        # refusals, on the server, with nothing run: a blank page, not a PNG, too large
        count, script = checkpoints(history, project), rendered["script"]
        s.say("/sketch")
        s.page.locator("#sketch-pad").nth(1).wait_for(timeout=30_000)
        pad(s).locator("#sketch-words").fill("use this drawing in shot 3")
        pad(s).locator("#sketch-send").click()
        s.wait_text("The drawing is empty", timeout=60)
        send_tampered(s, "data:image/jpeg;base64,/9j/4AAQSkZJRg==")
        s.wait_text("not a drawing from the sketch pad", timeout=60)
        send_tampered(s, "data:image/png;base64," + "A" * (7 * 1024 * 1024))
        s.wait_text("The drawing is too large", timeout=60)
        s.idle()
        assert pad(s).locator("#sketch-status").count() == 0  # the pad does not say "Sent."
        s.page.get_by_text("The drawing is too large").last.scroll_into_view_if_needed()
        s.shot("sketchpad-refused")
        assert checkpoints(history, project) == count
        assert state(history, project)["script"] == script

        # a new chat begun with the pad: the drawing is the first shot's, the chat named by its words
        s.page.goto(url + "/")
        s.page.wait_for_selector("#chat-input")
        s.say("/sketch")
        s.page.wait_for_url(
            "**/thread/**", timeout=30_000
        )  # the new chat's page: the pad is drawn again there
        s.idle()
        pad(s).locator("#sketch-canvas").wait_for(timeout=30_000)
        draw(s, BODY, HEAD, BEAK, WING, TAIL)
        pad(s).locator("#sketch-words").fill("a bird flying over the sea, 6 seconds")
        pad(s).locator("#sketch-send").click()
        pad(s).locator("#sketch-status").wait_for(timeout=120_000)
        s.wait_text("First draft ready")
        s.idle()
        s.shot("sketchpad-new-chat")
        fresh = s.page.url.rsplit("/thread/", 1)[1].split("?")[0]
        assert fresh != chat
        made = state(history, f"alice:{fresh}")
        assert [(x.get("image") or {}).get("kind") for x in made["script"]["shots"]][0] == "sketch"
        assert round(sum(x["duration"] for x in made["script"]["shots"])) == 6
        with sqlite3.connect(home / "chainlit.sqlite") as conn:
            names = [r[0] for r in conn.execute("select name from threads where id = ?", (fresh,))]
        assert names == ["a bird flying over the sea, 6 seconds"], names
        s.clean()
        s.context.close()

        # in Chinese: the pad's words come from the zh catalogue
        b = Session(browser, url, shots, locale="zh-CN")
        b.login("bob", "bob-password")
        b.say("/sketch")
        pad(b).locator("#sketch-canvas").wait_for(timeout=30_000)
        for label in ("画板", "画笔", "橡皮", "撤销", "清空", "发送"):
            assert label in pad(b).inner_text(), label
        assert "第二个镜头" in (pad(b).locator("#sketch-words").get_attribute("placeholder") or "")
        b.shot("sketchpad-zh")
        b.clean()
        b.context.close()

        # a viewer is refused the pad
        v = Session(browser, url, shots)
        v.login("vic", "vic-password")
        v.say("/sketch")
        v.wait_text("not make or change projects", timeout=60)
        assert v.page.locator("#sketch-pad").count() == 0
        v.clean()
        v.context.close()
