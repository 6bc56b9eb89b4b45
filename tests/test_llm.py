"""The optional LLM path against a fake OpenAI-compatible server on 127.0.0.1, and its
fallback to the offline path when the provider fails."""

from __future__ import annotations

import json
from typing import Any

import pytest

from graph import Context
from tests.fake_openai import FakeOpenAI
from tests.helpers import turn
from tools import llm


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Any:
    def start(mode: str, intent: dict[str, Any] | None = None) -> FakeOpenAI:
        srv = FakeOpenAI(mode, intent).__enter__()
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        monkeypatch.setenv("OPENAI_BASE_URL", srv.url)
        monkeypatch.setenv("CINECHAT_LLM_TIMEOUT", "5")
        llm.reset()
        return srv

    servers: list[FakeOpenAI] = []
    yield lambda mode, intent=None: servers.append(start(mode, intent)) or servers[-1]
    for srv in servers:
        srv.__exit__()
    llm.reset()


def _ctx(app: Any) -> Context:
    return Context(data_dir=app.test_context.data_dir, use_llm=True, model="fake-model")


def test_llm_writes_the_script(app: Any, provider: Any) -> None:
    srv = provider("ok")
    v = turn(app, "llm", "Make a 18 second video about spring", _ctx(app))
    assert v["script"]["title"] == "LLM Spring Story"
    assert len(v["script"]["shots"]) == 4
    assert sum(s["duration"] for s in v["script"]["shots"]) == pytest.approx(18)
    assert srv.calls and srv.calls[0]["model"] == "fake-model"
    assert "response_format" in srv.calls[0]


def test_llm_routes_what_patterns_cannot(app: Any, provider: Any) -> None:
    provider("ok")
    turn(app, "llm2", "Make a 18 second video about spring", _ctx(app))
    v = turn(app, "llm2", "hmm, the second one needs more light", _ctx(app))
    assert v["intent"]["intent"] == "edit_visual" and v["intent"]["slots"]["shots"] == [2]
    assert v["script"]["shots"][1]["grade"]["brightness"] > 0


def test_llm_edit_decision_is_applied(app: Any, provider: Any) -> None:
    """An edit the LLM reads (an operation of the registry with its parameters) is applied by
    the same editor code as an offline reading."""
    provider("ok", {"intent": "edit_audio", "confidence": 0.9, "operation": "volume", "amount": -0.25})
    before = turn(app, "vol", "Make a 18 second video about spring", _ctx(app))
    v = turn(app, "vol", "the background sounds should sit further back", _ctx(app))
    assert v["intent"]["slots"] == {"operation": "volume", "amount": -0.25}
    assert v["settings"]["music_gain_db"] == before["settings"]["music_gain_db"] - 5
    assert v["version"] == "v1.1" and v["outcome"]["op"] == "volume"


@pytest.mark.parametrize(
    "answer",
    [
        {"intent": "edit_visual", "confidence": 0.9, "operation": "explode", "shots": [2]},
        {"intent": "edit_audio", "confidence": 0.9, "operation": "volume", "amount": 5.0},
        {"intent": "edit_visual", "confidence": 0.9, "operation": "look", "look": "neon"},
    ],
)
def test_llm_answer_outside_the_schema_is_refused(app: Any, provider: Any, answer: dict[str, Any]) -> None:
    """An operation the registry does not have, or a value outside its bounds, is refused: the
    offline reading answers, the reply says so, and the project is as it was."""
    srv = provider("ok", answer)
    before = turn(app, "bad", "我想创建一个关于春天的30秒短视频", _ctx(app))
    v = turn(app, "bad", "嗯，这里感觉不太对", _ctx(app))
    assert "IntentDecision" in str(srv.calls[-1]["response_format"])  # the router asked the LLM
    assert v["intent"]["intent"] == "unclear" and "离线模式" in v["reply"]
    assert all(v[k] == before[k] for k in ("script", "settings", "version"))


@pytest.mark.parametrize("mode", ["error", "garbage", "slow"])
def test_provider_failure_falls_back_and_says_so(
    app: Any, provider: Any, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    srv = provider(mode)
    monkeypatch.setenv("CINECHAT_LLM_TIMEOUT", "1")  # 'slow' answers after 3 s: a timeout
    llm.reset()
    v = turn(app, "fb", "我想创建一个关于春天的30秒短视频", _ctx(app))
    assert srv.calls  # the provider was really asked
    assert v["script"]["title"] == "春日公园"  # the offline writer's script
    assert "离线模式" in v["reply"]


def test_no_key_means_no_request(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeOpenAI("ok") as srv:
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
        monkeypatch.setenv("OPENAI_BASE_URL", srv.url)
        v = turn(app, "off", "Make a 18 second video about spring", _ctx(app))
    assert not srv.calls and v["script"]["story"] == "spring"


def test_always_consults_the_llm_with_the_offline_reading_as_a_hint(app: Any, provider: Any) -> None:
    srv = provider("ok")
    turn(
        app,
        "always",
        "我想创建一个关于春天的30秒短视频",
        Context(data_dir=app.test_context.data_dir, use_llm=False),
    )
    ctx = Context(data_dir=app.test_context.data_dir, use_llm=True, model="fake-model", llm_router="always")
    calls = len(srv.calls)
    v = turn(app, "always", "有哪些版本？", ctx)  # a confident offline reading, asked all the same
    asked = srv.calls[calls:]
    assert asked and "<offline_reading>history" in json.dumps(asked[0], ensure_ascii=False)
    assert "llm_router" in v["notes"]
    turn(app, "always", "/history", ctx)  # an exact command is never sent
    assert len(srv.calls) == calls + 1


def test_an_llm_transition_decision_is_applied(app: Any, provider: Any) -> None:
    """A decision for an operation with its own parameter (a transition) goes through the same
    registry code as the offline reading: no crash, a new version with that transition."""
    provider(
        "ok",
        {"intent": "edit_visual", "confidence": 0.9, "operation": "transition", "transition": "dissolve"},
    )
    before = turn(app, "tr", "我想创建一个关于春天的30秒短视频", _ctx(app))
    v = turn(app, "tr", "嗯，这里感觉不太对", _ctx(app))
    assert v["intent"]["slots"]["operation"] == "transition" and "llm_router" in v["notes"]
    assert v["settings"]["transition"] == "dissolve" != before["settings"].get("transition")
    assert v["version"] == "v1.1"
