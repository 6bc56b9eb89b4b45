"""The web app in scaled mode: the same browser dialogues as tests/test_browser.py, on a Chainlit
server configured by settings alone: the version history in the real PostgreSQL
(CINECHAT_CHECKPOINTS), the chat history and the users in PostgreSQL too (CINECHAT_CHAT_DB,
Chainlit's data layer on asyncpg), the shot renders on a Celery worker over Redis
(CINECHAT_RENDER=celery), and the media in moto's S3 server (CINECHAT_MEDIA), the chat
process and the worker each with a local cache of its own; the browser loads the media by
presigned links."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import test_browser as face
from tests.test_browser import NO_CHROMIUM, browser  # noqa: F401 - the fixture
from tests.test_media import CREDENTIALS, media_url, moto_s3, objects
from tests.test_scaled import new_database, tables_of

pytestmark = NO_CHROMIUM  # one server for the module, its tests in order (distributed by file)
RENDER = (
    "CINECHAT_RENDER",
    "CINECHAT_BROKER_URL",
    "CINECHAT_REDIS_URL",
    "CINECHAT_QUEUE_PREFIX",
    "CINECHAT_RENDER_TIMEOUT",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from tests.test_render_queue import REDIS, Worker, cleaned, queue_env

    state = tmp_path_factory.mktemp("ui-scaled")
    with new_database() as url, moto_s3(state) as endpoint:
        queue = queue_env(state, broker=REDIS)
        settings = {
            "CINECHAT_CHECKPOINTS": url,
            "CINECHAT_CHAT_DB": "postgresql+asyncpg://" + url.split("://", 1)[1],
            "CINECHAT_HOME": str(state),
            "CINECHAT_MEDIA": media_url(endpoint),
            "CINECHAT_DATA": str(state / "chat-cache"),
            **CREDENTIALS,
            **{name: queue[name] for name in RENDER},
        }
        with cleaned(queue):
            worker = Worker(
                queue
                | settings
                | {"CINECHAT_RESOLUTION": "720p", "CINECHAT_DATA": str(state / "worker-cache")},
                state / "worker.log",
                concurrency=2,
            )
            try:
                with face.serve(state, settings) as running:
                    yield running | {
                        "queue": queue,
                        "media": settings["CINECHAT_MEDIA"],
                        "endpoint": endpoint,
                    }
            finally:
                worker.stop()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = tmp_path / "screenshots"
    folder.mkdir()
    return folder


def test_seed_dialogue_in_the_browser_on_postgres(server: dict[str, Any], browser: Any, shots: Path) -> None:  # noqa: F811
    face.test_seed_dialogue_in_the_browser(server, browser, shots)
    assert "checkpoints" in tables_of(server["history"])
    assert not (server["state"] / "cinechat.sqlite").exists()  # the history is not in a file


def test_two_tabs_on_one_chat_on_postgres(server: dict[str, Any], browser: Any, shots: Path) -> None:  # noqa: F811
    face.test_two_tabs_on_one_chat_each_edit_lands_once(server, browser, shots)


def test_chat_rows_users_and_renders_are_on_the_servers(server: dict[str, Any]) -> None:
    """Read back what the seed dialogue left: Chainlit's rows and the users in PostgreSQL,
    every clip made by the worker, and no embedded file beside them."""
    import psycopg

    from tests.test_render_queue import counts

    with psycopg.connect(server["history"]) as conn:
        threads = {r[0] for r in conn.execute('select "userIdentifier" from threads')}
        steps = conn.execute("select count(*) from steps").fetchone()[0]  # type: ignore[index]
        videos = conn.execute("select count(*) from elements where type = 'video'").fetchone()[0]  # type: ignore[index]
        users = {r[0] for r in conn.execute("select name from cinechat_users")}
    assert "alice" in threads and steps > 10 and videos >= 3
    assert {"alice", "bob"} <= users
    for embedded in ("chainlit.sqlite", "users.sqlite", "cinechat.sqlite"):
        assert not (server["state"] / embedded).exists(), embedded
    made = counts(server["queue"])
    assert made and all(c["finished"] == 1 for c in made.values())
    with urllib.request.urlopen(server["url"] + "/healthz") as r:
        body = json.loads(r.read())
    assert (
        body["ok"] and body["chat_history"] == "ok" and body["render_queue"] == "ok" and body["media"] == "ok"
    )


def test_media_are_in_the_object_store_and_shown_by_link(server: dict[str, Any]) -> None:
    """The renders the dialogue made are objects in the bucket; the chat's video elements are
    recorded by store key (no copy in the chat's own files) and were loaded by presigned link;
    the worker's clips reached the chat process through the bucket, not a shared folder."""
    import psycopg

    stored = objects(server["media"])
    renders = [k for k in stored if k.startswith("renders/") and k.endswith(".mp4")]
    clips = [k for k in stored if k.startswith("clips/")]
    assert len(renders) >= 2 and len(clips) >= 4
    with psycopg.connect(server["history"]) as conn:
        keys = [r[0] for r in conn.execute("select \"objectKey\" from elements where type = 'video'")]
    assert keys and all(k.startswith("media/renders/") and k[len("media/") :] in stored for k in keys)
    copied = [p for p in (server["state"] / "chat-files").rglob("*.mp4")]
    assert copied == []  # the videos were not copied through the chat server
    assert len(list((server["state"] / "worker-cache" / "clips").glob("*.mp4"))) >= 4  # made there
