"""The web app in scaled mode: the same browser dialogues as tests/test_browser.py, on a Chainlit
server whose version history is in the real PostgreSQL (CINECHAT_CHECKPOINTS alone)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import test_browser as face
from tests.test_browser import browser, pytestmark  # noqa: F401 - the fixture and the skip
from tests.test_scaled import new_database, tables_of


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    state = tmp_path_factory.mktemp("ui-scaled")
    with (
        new_database() as url,
        face.serve(state, {"CINECHAT_CHECKPOINTS": url, "CINECHAT_HOME": str(state)}) as running,
    ):
        yield running


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
