"""The optional LLM path against a fake OpenAI-compatible server on 127.0.0.1, and its
fallback to the offline path when the provider fails."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from graph import Context
from tests.fake_openai import FakeOpenAI
from tests.helpers import turn
from tools import llm
from tools.edits import OPERATIONS


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


def _sample(param: Any) -> Any:
    """A valid value of a registry parameter, as a model would give it."""
    if param.type == "shots":
        return [1]
    if param.type == "choice":
        return param.choices[-1]
    if param.type == "choices":
        return [param.choices[0]]
    if param.type == "text":
        return "hello"
    if param.type == "flag":
        return param.name != "remove"
    if param.name == "amount":
        return 0.2
    low, high = param.low if param.low is not None else 0.0, param.high if param.high is not None else 1.0
    value = low + (high - low) / 3
    return int(value) if param.type == "integer" else round(value, 2)


def _decision(name: str) -> dict[str, Any]:
    op = OPERATIONS[name]
    intent = "edit_audio" if op.group == "sound" or name == "narration" else "edit_visual"
    params = {p.name: _sample(p) for p in op.params if p.type != "file"}
    if name == "voice":
        params.pop("rate")  # one change at a time: the voice (female is the default)
        params["voice"] = "male"
    if name == "subtitles":
        params["enabled"] = False  # they are on by default
    return {"intent": intent, "confidence": 0.9, "operation": name, **params}


def _always(app: Any) -> Context:
    return Context(data_dir=app.test_context.data_dir, use_llm=True, model="fake-model", llm_router="always")


@pytest.mark.parametrize("name", sorted(n for n in OPERATIONS if n not in ("image", "voiceover")))
def test_every_registry_operation_decided_by_the_llm_is_applied(app: Any, provider: Any, name: str) -> None:
    """Each operation of the registry, as the model answers it with valid parameters, goes
    through the editor: a new version whose reply says the change, never a crash."""
    srv = provider("ok")
    before = turn(app, name, "做一个关于春天的18秒视频", _ctx(app))
    srv.intent = _decision(name)
    v = turn(app, name, "就按我们刚才说的改", _always(app))
    assert "llm_router" in v["notes"] and v["intent"]["slots"]["operation"] == srv.intent["operation"]
    assert v["outcome"].get("op") == name and not v["outcome"].get("error"), v["outcome"]
    assert v["version"] == "v1.1" and (v["script"], v["settings"]) != (before["script"], before["settings"])
    line = re.sub(r"“[^”]*”|fps|dB", "", v["reply"].splitlines()[0])
    assert not re.search(r"[a-z]{3,}", line), v["reply"]  # said in the user's words, not by its name


REVISIONS = [
    ({"revision": "insert", "content": "the girl waves goodbye", "place": "end"}, [1, 2, 3, 4, "NEW"]),
    (
        {"revision": "insert", "content": "a kite over the hill", "place": "position", "anchor": 2},
        [1, "NEW", 2, 3, 4],
    ),
    (
        {"revision": "insert", "content": "rain on a window", "place": "after", "anchor": 3},
        [1, 2, 3, "NEW", 4],
    ),
    ({"revision": "move", "shots": [4], "place": "start"}, [4, 1, 2, 3]),
    ({"revision": "move", "shots": [1], "place": "after", "anchor": 3}, [2, 3, 1, 4]),
    ({"revision": "move", "shots": [2], "place": "later", "anchor": 1}, [1, 3, 2, 4]),
    ({"revision": "delete", "shots": [2]}, [1, 3, 4]),
    ({"revision": "swap", "shots": [1, 4]}, [4, 2, 3, 1]),
    ({"revision": "rewrite", "shots": [1], "content": "a red umbrella in the rain"}, [1, 2, 3, 4]),
]


@pytest.mark.parametrize(("decision", "order"), REVISIONS, ids=[str(d) for d, _ in REVISIONS])
def test_llm_revisions_come_back_as_operations(
    app: Any, provider: Any, decision: dict[str, Any], order: list[Any]
) -> None:
    """A shot-list change the model reads (insert what at where, move, delete, swap, rewrite) is
    carried out by the same revision code; the lengths still sum to the total."""
    srv = provider("ok")
    before = turn(app, "rev", "Make a 18 second video about spring", _ctx(app))
    srv.intent = {"intent": "revise_script", "confidence": 0.9, **decision}
    v = turn(app, "rev", "can the girl wave goodbye at the end?", _always(app))
    ids = [s["id"] for s in before["script"]["shots"]]
    got = [ids.index(s["id"]) + 1 if s["id"] in ids else "NEW" for s in v["script"]["shots"]]
    assert got == order and v["version"] == "v1.1"
    assert sum(s["duration"] for s in v["script"]["shots"]) == pytest.approx(18)
    if decision.get("content"):
        changed = next(
            s
            for s in v["script"]["shots"]
            if s["id"] not in ids or s["id"] == "s1" and decision["revision"] == "rewrite"
        )
        assert decision["content"] in changed["description"]


CONTENT = [
    ({"revision": "tone", "style": "funny"}, lambda b, v: v["mood"] == "funny" and _same_shots(b, v)),
    (
        {"revision": "ending", "content": "fireworks over the city"},
        lambda b, v: "fireworks" in v["shots"][-1]["description"] and v["shots"][:-1] == b["shots"][:-1],
    ),
    (
        {"revision": "add_element", "content": "a paper kite", "shots": [1]},
        lambda b, v: (
            v["shots"][0]["description"].startswith(b["shots"][0]["description"])
            and "a paper kite" in v["shots"][0]["description"]
            and v["shots"][1:] == b["shots"][1:]
        ),
    ),
    (
        {"revision": "subject", "old": "girl", "content": "boy"},
        lambda b, v: "girl" not in str(v["shots"]) and "boy" in str(v["shots"]),
    ),
    (
        {"revision": "subject", "topic": "a lighthouse in a storm"},
        lambda b, v: any("lighthouse" in s["description"] for s in v["shots"]),
    ),
]


def _same_shots(before: dict[str, Any], after: dict[str, Any]) -> bool:
    return [s["description"] for s in before["shots"]] == [s["description"] for s in after["shots"]]


@pytest.mark.parametrize(("decision", "check"), CONTENT, ids=[str(d) for d, _ in CONTENT])
def test_llm_content_revisions_are_carried_out(
    app: Any, provider: Any, decision: dict[str, Any], check: Any
) -> None:
    """A change of tone, a stronger ending, an element added, a new subject or topic, as the
    model reads them, applied by the same revision code; the total holds."""
    srv = provider("ok")
    before = turn(app, "content", "Make a 18 second video about spring", _ctx(app))
    srv.intent = {"intent": "revise_script", "confidence": 0.9, **decision}
    v = turn(app, "content", "you know what I mean", _always(app))
    assert "llm_router" in v["notes"] and v["version"] == "v1.1", v["outcome"]
    assert check(before["script"], v["script"]), v["script"]["shots"]
    assert sum(s["duration"] for s in v["script"]["shots"]) == pytest.approx(18)


def test_an_llm_revision_naming_a_shot_the_script_lacks_falls_back(app: Any, provider: Any) -> None:
    srv = provider("ok")
    before = turn(app, "far", "Make a 18 second video about spring", _ctx(app))
    srv.intent = {
        "intent": "revise_script",
        "confidence": 0.9,
        "revision": "insert",
        "content": "x",
        "place": "after",
        "anchor": 9,
    }
    v = turn(app, "far", "put something in there", _always(app))
    assert any(n.startswith("llm_fallback") for n in v["notes"])
    assert all(v[k] == before[k] for k in ("script", "settings", "version"))


def test_an_llm_draft_that_leaves_out_the_subject_is_not_accepted(app: Any, provider: Any) -> None:
    """The fake model always writes a spring story: asked for a robot, its draft is rejected,
    the offline writer's script (about the robot) is used, and the reply says why."""
    provider("ok")
    v = turn(app, "robot", "Make a 20 second video about a robot learning to paint", _ctx(app))
    assert v["script"]["title"] != "LLM Spring Story"
    assert all("robot" in s["description"].lower() for s in v["script"]["shots"][:2])
    assert "left out “robot”" in v["reply"]


def test_a_failing_provider_is_skipped_after_three_failures_and_the_reply_says_so(
    app: Any, provider: Any
) -> None:
    """The breaker opens after three failed calls: the next turns do not wait on the dead
    endpoint, fall back offline, and say the model is paused; after the cool-down one call
    tries again."""
    from tools import breaker

    srv = provider("error")
    ctx = Context(data_dir=app.test_context.data_dir, use_llm=True, model="fake-model", llm_router="always")
    replies = []
    for n in range(5):
        replies.append(
            turn(app, f"cb{n}", "I need a 15 second TikTok ad for our new running shoes, energetic", ctx)
        )
    asked = len(srv.calls)
    assert 3 <= asked <= 4  # three failures (with its client's own retries off) open it; then skipped
    assert all(v["script"] for v in replies)  # the offline writer made every script
    assert "paused" in replies[-1]["reply"] and "offline" in replies[-1]["reply"]
    llm_breaker = breaker.breaker("llm")
    assert llm_breaker.state() == "open"
    llm_breaker.opened = (llm_breaker.opened or 0) - llm_breaker.cooldown  # the cool-down is over
    assert llm_breaker.state() == "half_open"
    srv.mode = "ok"
    v = turn(app, "cb-ok", "I need a 15 second TikTok ad for our new running shoes, energetic", ctx)
    assert len(srv.calls) > asked and llm_breaker.state() == "closed"
    assert "The language model failed" not in v["reply"]  # (the moderation endpoint's own breaker is apart)


def test_breaker_states_with_a_clock() -> None:
    from tools.breaker import Breaker, CircuitOpen

    now = [0.0]
    b = Breaker("x", threshold=2, cooldown=10, clock=lambda: now[0])

    def boom() -> None:
        raise OSError("down")

    for _ in range(2):
        with pytest.raises(OSError):
            b.call(boom)
    assert b.state() == "open"
    with pytest.raises(CircuitOpen):
        b.call(lambda: 1)
    now[0] = 10.5
    assert b.state() == "half_open"
    with pytest.raises(OSError):  # the one try fails: open again, for a new cool-down
        b.call(boom)
    assert b.state() == "open"
    now[0] = 21
    assert b.call(lambda: 7) == 7 and b.state() == "closed" and b.failures == 0
