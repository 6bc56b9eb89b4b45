"""cinechat as LangGraph and its users expect it: a graph a server compiles with its own
checkpointer (versions read through that one), input/output schemas, async, approval as an
interrupt, a context a client may set only at user level, internal LLM calls kept out of the
messages stream, CLI conventions and the settings table."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from graph import Context, build_graph, open_checkpointer
from graph.context import ENVIRONMENT, ClientContext, run_context
from tests.fake_openai import FakeOpenAI
from tests.helpers import turn
from tools import llm

ROOT = Path(__file__).resolve().parents[1]


def _served() -> Any:
    """The graph langgraph.json names, with a checkpointer attached as a server attaches its
    own (a copy of the compiled graph with another saver)."""
    import graph.server

    assert graph.server.graph.checkpointer is None
    return graph.server.graph.copy(update={"checkpointer": InMemorySaver()})


def _send(g: Any, thread: str, text: str, context: Any) -> dict[str, Any]:
    config = {"configurable": {"thread_id": thread}}
    snapshot = g.get_state(config)
    waiting = any(t.interrupts for t in snapshot.tasks)
    payload = Command(resume=text) if waiting else {"messages": [HumanMessage(content=text)]}
    g.invoke(payload, config, context=context)
    return dict(g.get_state(config).values)


def test_langgraph_json_names_a_graph_without_a_checkpointer() -> None:
    spec = json.loads((ROOT / "langgraph.json").read_text())
    path, _, attr = spec["graphs"]["cinechat"].partition(":")
    assert (ROOT / path).exists() and attr == "graph"
    import graph.server

    assert graph.server.graph.checkpointer is None and graph.server.graph.name == "cinechat"


def test_versions_work_under_the_servers_checkpointer(media_dir: Path) -> None:
    g = _served()
    client = {"language": "en", "resolution": "720p"}  # what a served client may send
    v = _send(g, "s", "Make a 20 second video about a lighthouse keeper", client)
    assert v["status"] == "awaiting_approval" and v["version"] == "v1.0"
    v = _send(g, "s", "make it 30 seconds", client)
    assert v["version"] == "v1.1" and sum(s["duration"] for s in v["script"]["shots"]) == 30
    v = _send(g, "s", "list versions", client)
    assert [r["version"] for r in v["outcome"]["versions"]] == ["v1.0", "v1.1"], v["reply"]
    v = _send(g, "s", "undo", client)
    assert v["version"] == "v1.0" and sum(s["duration"] for s in v["script"]["shots"]) == 20
    v = _send(g, "s", "go back to v1.1", client)
    assert v["version"] == "v1.1" and sum(s["duration"] for s in v["script"]["shots"]) == 30


def test_input_and_output_schemas_generate() -> None:
    g = _served()
    schema = g.get_input_jsonschema()
    assert "messages" in schema["properties"] and set(schema["properties"]) == {"messages"}
    out = g.get_output_jsonschema()
    assert {"script", "version", "reply", "version_index"} <= set(out["properties"])
    context = g.get_context_jsonschema()
    assert "data_dir" not in context["properties"] and "resolution" in context["properties"]


def test_approval_is_an_interrupt_any_answer_resumes_it(app: Any) -> None:
    config = {"configurable": {"thread_id": "hitl"}}
    v = turn(app, "hitl", "我想做一个关于老灯塔看守人的20秒视频")
    snapshot = app.get_state(config)
    assert snapshot.next == ("approval",) and v["status"] == "awaiting_approval"
    (interrupt,) = [i for t in snapshot.tasks for i in t.interrupts]
    assert interrupt.value["version"] == "v1.0" and interrupt.value["reply"] == v["reply"]
    assert [c["send"] for c in interrupt.value["choices"]]  # the buttons travel with it
    app.invoke(Command(resume="有哪些版本？"), config, context=app.test_context)  # not a yes
    after = app.get_state(config)
    assert after.values["outcome"]["kind"] == "history" and after.next == ("approval",)
    app.invoke(Command(resume="改成30秒"), config, context=app.test_context)
    after = app.get_state(config)
    assert after.values["version"] == "v1.1" and after.next == ("approval",)
    assert sum(s["duration"] for s in after.values["script"]["shots"]) == 30


def test_async_invoke_and_stream(tmp_path: Path, media_dir: Path) -> None:
    g = build_graph(open_checkpointer(tmp_path / "async.sqlite"))
    context = Context(data_dir=str(media_dir), use_llm=False)
    config = {"configurable": {"thread_id": "a"}}

    async def chat() -> tuple[dict[str, Any], list[str]]:
        first = await g.ainvoke(
            {"messages": [HumanMessage(content="a 15 second video about bees")]}, config, context=context
        )
        nodes = []
        async for chunk in g.astream(
            Command(resume="list versions"), config, context=context, stream_mode="updates"
        ):
            nodes += list(chunk)
        state = await g.aget_state(config)
        return {"first": first, "state": state.values}, nodes

    out, nodes = asyncio.run(chat())
    assert out["first"]["version"] == "v1.0" and out["first"]["status"] == "awaiting_approval"
    assert {"approval", "intent_router", "versions", "responder"} <= set(nodes)
    assert out["state"]["outcome"]["kind"] == "history"
    assert g.get_state(config).values["version"] == "v1.0"  # the same file, read back in sync


def test_a_client_sets_only_user_level_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CINECHAT_DATA", str(tmp_path / "server-media"))
    chosen = run_context({"data_dir": "/etc", "resolution": "720p", "aspect": "9:16", "model": "x"})
    assert chosen.data_dir == str(tmp_path / "server-media")  # folders are the server's
    assert (chosen.resolution, chosen.aspect) == ("720p", "9:16")
    assert chosen.model == Context().model
    for bad in ({"resolution": "99999p"}, {"aspect": "2:1"}, {"voice": "robot"}):
        with pytest.raises(ValueError):
            run_context(bad)
    with pytest.raises(ValueError, match="not in this server's list"):
        run_context({"t2v_model": "/etc"})  # a path of the client's choosing never loads
    assert run_context(ClientContext(use_llm=True)).use_llm == Context().use_llm  # only off
    trusted = Context(data_dir=str(tmp_path / "mine"))
    assert run_context(trusted) is trusted  # in-process faces pass their own


def test_internal_llm_calls_do_not_stream_as_messages(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeOpenAI("ok") as srv:
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        monkeypatch.setenv("OPENAI_BASE_URL", srv.url)
        llm.reset()
        context = Context(data_dir=app.test_context.data_dir, use_llm=True, model="fake-model")
        config = {"configurable": {"thread_id": "m"}}
        chunks = list(
            app.stream(
                {"messages": [HumanMessage(content="Make a 18 second video about spring")]},
                config,
                context=context,
                stream_mode="messages",
            )
        )
        assert any(b.get("stream") for b in srv.calls)  # the model was asked, and it streamed
    llm.reset()
    assert app.get_state(config).values["script"]["title"] == "LLM Spring Story"
    nodes = {meta["langgraph_node"] for _, meta in chunks}
    assert nodes == {"responder"}, nodes
    assert not any(str(msg.content).lstrip().startswith("{") for msg, _ in chunks)


def test_llm_settings_reach_the_client(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "CINECHAT_LLM_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CINECHAT_LLM_BASE_URL", "http://127.0.0.1:9/v1")  # keyless local server
    monkeypatch.setenv("CINECHAT_LLM_MODEL", "qwen2.5:7b")
    monkeypatch.setenv("CINECHAT_LLM_TEMPERATURE", "0.7")
    monkeypatch.setenv("CINECHAT_LLM_TIMEOUT", "12")
    monkeypatch.setenv("CINECHAT_LLM_RETRIES", "2")
    llm.reset()
    assert llm.configured() and Context().use_llm
    model = llm.chat_model().bound
    assert (model.model_name, model.temperature, model.request_timeout, model.max_retries) == (
        "qwen2.5:7b",
        0.7,
        12.0,
        2,
    )
    assert str(model.openai_api_base) == "http://127.0.0.1:9/v1"
    from tools import tts

    assert not tts.speech_configured()  # a local LLM server has no speech: narration stays offline
    llm.reset()


def _cli(*args: str, stdin: str | None = None, db: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    return subprocess.run(
        [sys.executable, "-m", "graph.cli", *args[:1], "--db", str(db), *args[1:]],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        input=stdin,
        cwd=ROOT,
    )


def test_cli_conventions(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite"
    made = _cli("say", "--thread", "p", "--json", "-", stdin="make a 12 second video about rain\n", db=db)
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["version"] == "v1.0" and json.loads(made.stdout)["error"] is None
    assert "\033[" not in made.stderr  # stderr is not a terminal: no progress codes
    refused = _cli("say", "--thread", "p", "--json", "make shot 9 brighter", db=db)
    assert refused.returncode == 3, refused.stderr
    out = json.loads(refused.stdout)
    assert out["error"]["code"] == "bad_shot" and out["error"]["message"] == out["reply"]
    assert out["version"] == "v1.0"
    version = subprocess.run([sys.executable, "-m", "graph.cli", "--version"], capture_output=True, text=True)
    assert re.fullmatch(r"cinechat \S+\n", version.stdout)
    helptext = subprocess.run(
        [sys.executable, "-m", "graph.cli", "--help"], capture_output=True, text=True
    ).stdout
    assert "CINECHAT_LLM_BASE_URL" in helptext and "3 refused" in helptext


def _read_variables() -> set[str]:
    found: set[str] = set()
    for folder in ("graph", "nodes", "tools"):
        for path in (ROOT / folder).rglob("*.py"):
            found |= set(
                re.findall(r"[\"']((?:CINECHAT|CHAINLIT|LANGSMITH|OPENAI)_[A-Z0-9_]+)[\"']", path.read_text())
            )
    found |= set(
        re.findall(r"[\"']((?:CINECHAT|CHAINLIT)_[A-Z0-9_]+)[\"']", (ROOT / "chainlit_app.py").read_text())
    )
    return found


def test_every_variable_read_is_documented() -> None:
    listed = {name for name, _ in ENVIRONMENT}
    mentioned = listed | {w for _, meaning in ENVIRONMENT for w in re.findall(r"[A-Z][A-Z0-9_]{4,}", meaning)}
    read = _read_variables()
    assert read - mentioned == set(), read - mentioned
    readme = (ROOT / "README.md").read_text()
    assert [name for name in sorted(listed) if f"`{name}`" not in readme] == []


def test_a_served_client_cannot_attach_a_server_path(tmp_path: Path) -> None:
    """Attachments are paths on the server: a served graph's client naming one gets no file
    read, the picture is simply not there."""
    from graph.state import user_message

    g = _served()
    config = {"configurable": {"thread_id": "att"}}
    g.invoke({"messages": [HumanMessage(content="make a 12 second video about rain")]}, config, context={})
    secret = tmp_path / "secret.png"
    from PIL import Image

    Image.new("RGB", (64, 36), "red").save(secret)
    message = user_message("use this picture for shot 2", images=[str(secret)])
    g.invoke(Command(resume=message), config, context={"language": "en"})
    values = g.get_state(config).values
    assert all(not s.get("image") for s in values["script"]["shots"])
