"""`langgraph dev` serves the graph that langgraph.json names, with its own in-memory
checkpointer, and the seed dialogue runs through `langgraph_sdk`: create, answer the approval
interrupt (render), edit, history, undo, restore. Offline: no analytics, no browser."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import SEED

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path, media_dir: Path) -> Any:
    langgraph = Path(sys.executable).parent / "langgraph"
    if not langgraph.exists():
        pytest.fail("langgraph-cli is a dev dependency; `make test` installs it")
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")},
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "LANGSMITH_TRACING": "false",
        "CINECHAT_DATA": str(media_dir),
        "CINECHAT_DB": str(tmp_path / "unused.sqlite"),
        "CINECHAT_RESOLUTION": "720p",
    }
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [str(langgraph), "dev", "--no-browser", "--no-reload", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.time() + 180
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"langgraph dev exited: {(tmp_path / 'server.log').read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/ok", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(1)
    else:
        pytest.fail(f"langgraph dev did not start: {(tmp_path / 'server.log').read_text()[-3000:]}")
    yield url
    os.killpg(proc.pid, 15)
    proc.wait(timeout=30)
    shutil.rmtree(ROOT / ".langgraph_api", ignore_errors=True)


def test_seed_dialogue_through_langgraph_sdk(server: str) -> None:
    from langgraph_sdk import get_client

    async def dialogue() -> list[dict[str, Any]]:
        client = get_client(url=server)
        thread = await client.threads.create()
        tid = thread["thread_id"]
        seen = []

        async def send(text: str) -> dict[str, Any]:
            state = await client.threads.get_state(tid)
            waiting = any(t.get("interrupts") for t in state.get("tasks") or [])
            kwargs: dict[str, Any] = (
                {"command": {"resume": text}}
                if waiting
                else {"input": {"messages": [{"type": "human", "content": text}]}}
            )
            await client.runs.wait(tid, "cinechat", context={"language": "zh"}, **kwargs)
            values = (await client.threads.get_state(tid))["values"]
            seen.append(values)
            return values

        await send(SEED)
        await send("继续生成")
        await send("第二个镜头调亮一点")
        await send("有哪些版本？")
        await send("撤销")
        await send("回到v1.1")
        schemas = await client.assistants.get_schemas(
            (await client.assistants.search(graph_id="cinechat"))[0]["assistant_id"]
        )
        seen.append({"schemas": schemas})
        return seen

    created, rendered, edited, history, undone, restored, schemas = asyncio.run(dialogue())
    assert created["status"] == "awaiting_approval" and created["version"] == "v1.0"
    assert rendered["status"] == "rendered" and rendered["render"]["path"].endswith(".mp4")
    assert rendered["render"]["height"] == 720  # the server's own settings
    assert edited["version"] == "v1.1"
    assert [r["version"] for r in history["outcome"]["versions"]] == ["v1.0", "v1.1"]
    assert undone["version"] == "v1.0" and undone["render"]["path"] == rendered["render"]["path"]
    assert restored["version"] == "v1.1" and restored["render"]["path"] == edited["render"]["path"]
    assert schemas["schemas"]["input_schema"] is not None
    assert "data_dir" not in schemas["schemas"]["context_schema"]["properties"]
