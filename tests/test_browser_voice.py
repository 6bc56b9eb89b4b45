"""A voice message in the browser: Chromium's fake microphone plays a WAV spoken by eSpeak NG
into Chainlit's audio input (the microphone button, toggled by its `P` shortcut); the server
sends the recording to a fake transcription endpoint on 127.0.0.1, the transcript shows as the
user's message and is handled exactly as if typed. Without an endpoint the button is hidden."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fake_openai import FakeOpenAI
from tests.test_browser import CHROMIUM, NO_CHROMIUM, Session, serve, shots  # noqa: F401 - fixture
from tests.test_turns import state

pytestmark = NO_CHROMIUM
SPOKEN = "make a six second video about a paper boat on a pond"


@pytest.fixture
def microphone(tmp_path: Path) -> Iterator[Any]:
    """Chromium whose microphone plays a recording of SPOKEN (looped)."""
    from playwright.sync_api import sync_playwright

    wav = tmp_path / "mic.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(wav), "--", SPOKEN], check=True, timeout=60)
    flags = [
        "--no-sandbox",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}",
    ]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=flags)
        yield browser
        browser.close()


def test_a_voice_message_from_the_microphone(tmp_path: Path, microphone: Any, shots: Path) -> None:  # noqa: F811
    home = tmp_path / "state"
    home.mkdir()
    with FakeOpenAI() as srv:
        srv.transcripts["*"] = SPOKEN  # whatever audible WAV the page records
        settings = {
            "CINECHAT_DB": str(home / "cinechat.sqlite"),
            "CINECHAT_RESOLUTION": "360p",
            "CINECHAT_STT_BASE_URL": srv.url,
        }
        with serve(home, settings) as running:
            url = running["url"]
            s = Session(microphone, url, shots)
            s.context.grant_permissions(["microphone"], origin=url)
            s.login("alice", "alice-password")
            s.page.locator("body").click(position={"x": 640, "y": 300})  # focus off the composer
            s.page.keyboard.press("p")  # Chainlit's shortcut for the microphone button
            s.page.wait_for_timeout(4000)
            s.page.keyboard.press("p")
            s.wait_text(SPOKEN, timeout=60)  # the transcript, as the user's message
            s.wait_text("First draft ready", timeout=120)
            s.idle()
            s.shot("voice-message")
            assert srv.transcriptions and srv.transcriptions[-1]["model"] == "whisper-1"
            chat = s.page.url.rsplit("/thread/", 1)[1].split("?")[0]
            values = state(running["history"], f"alice:{chat}")
            assert "boat" in " ".join(x["description"] for x in values["script"]["shots"]).lower()
            assert round(sum(x["duration"] for x in values["script"]["shots"])) == 6
            import sqlite3

            with sqlite3.connect(home / "chainlit.sqlite") as conn:
                names = [r[0] for r in conn.execute("select name from threads where id = ?", (chat,))]
            assert names == [SPOKEN]  # the chat is named by its words, not "audio"
            s.clean()
            s.context.close()


def test_without_an_endpoint_there_is_no_microphone(tmp_path: Path) -> None:
    home = tmp_path / "state"
    home.mkdir()
    with serve(home, {"CINECHAT_DB": str(home / "cinechat.sqlite"), "CINECHAT_STT": "off"}) as running:
        from tests.test_security import login

        _, _, cookie = login(running["url"], "alice", "alice-password")
        request = urllib.request.Request(
            running["url"] + "/project/settings?language=en-US", headers={"Cookie": cookie}
        )
        with urllib.request.urlopen(request, timeout=30) as reply:
            assert json.loads(reply.read())["features"]["audio"]["enabled"] is False
