"""The catalogues of user-facing words: every error code has a reply in both languages, the two
languages' templates take the same values, every text the responder asks for exists, and the
buttons under a reply say in the user's language what sending them does."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path
from typing import Any

import pytest

from graph.progress import progress_text
from tests.helpers import Say, project
from tools import catalog, replies
from tools.edits import help_lines
from tools.errors import CODES, RequestError
from tools.intents import analyse
from tools.music import MusicError
from tools.renderer import ImageError
from tools.scripts import ScriptError

DOMAINS = sorted({p.stem for p in catalog.TEXT_DIR.glob("*/*.json")})
HAN = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")


def _strings(entry: Any) -> list[str]:
    """Every template string of a catalogue entry (structured entries hold several)."""
    if isinstance(entry, str):
        return [entry]
    if isinstance(entry, dict):
        return [s for v in entry.values() for s in _strings(v)]
    if isinstance(entry, list):
        return [s for v in entry for s in _strings(v)]
    return []


def _fields(entry: Any) -> set[str]:
    """The names of the format fields in an entry's templates."""
    return {
        re.split(r"[.\[]", name)[0]
        for s in _strings(entry)
        for _, name, _, _ in string.Formatter().parse(s)
        if name is not None
    }


class _Anything(dict[str, Any]):
    def __missing__(self, key: str) -> float:
        return 1.0


def test_every_error_code_has_a_reply_in_both_languages() -> None:
    for lang in catalog.LANGUAGES:
        missing = [code for code in CODES if not catalog.has(lang, f"errors.{code}")]
        assert not missing, (lang, missing)
        stale = {k.split(".", 1)[1] for k in catalog.keys(lang, "errors")} - set(CODES)
        assert not stale, (lang, stale)


def test_an_unregistered_code_is_refused() -> None:
    with pytest.raises(KeyError):
        RequestError("no_such_code")


@pytest.mark.parametrize("error", [ScriptError, MusicError, ImageError])
def test_the_tools_errors_are_request_errors(error: type[RequestError]) -> None:
    err = error("bad_shot", bad=9, count=3)
    assert isinstance(err, RequestError) and err.code == "bad_shot" and err.details == {"bad": 9, "count": 3}


@pytest.mark.parametrize("domain", DOMAINS)
def test_both_languages_have_the_same_keys_and_fields(domain: str) -> None:
    zh = json.loads((catalog.TEXT_DIR / "zh" / f"{domain}.json").read_text(encoding="utf-8"))
    en = json.loads((catalog.TEXT_DIR / "en" / f"{domain}.json").read_text(encoding="utf-8"))
    assert set(zh) == set(en), set(zh) ^ set(en)
    differ = {k: (_fields(zh[k]), _fields(en[k])) for k in zh if _fields(zh[k]) != _fields(en[k])}
    assert not differ, differ


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_template_formats(domain: str) -> None:
    for lang in catalog.LANGUAGES:
        for key in catalog.keys(lang, domain):
            for template in _strings(catalog.raw(lang, key)):
                template.format_map(_Anything())


def test_no_chinese_in_the_english_catalogue() -> None:
    for domain in DOMAINS:
        for key in catalog.keys("en", domain):
            found = [s for s in _strings(catalog.raw("en", key)) if HAN.search(s)]
            assert not found, (key, found)


def _keys_asked_for() -> set[str]:
    """The reply texts tools/replies.py names literally, plus those it names by a code."""
    source = Path(replies.__file__).read_text(encoding="utf-8")
    literal = re.findall(r'_say\(\s*lang,\s*"(\w+)"(?: if [^\n]+ else "(\w+)")?', source)
    named = {f"replies.{k}" for pair in literal for k in pair if k}
    named |= set(re.findall(r'"((?:replies|ui)\.\w+)"', source))
    changes = ["insert", "delete", "swap", "move", "rewrite", "shot_duration", "total_duration"]
    backends = [f"how_{kind}" for kind in ("t2i", "t2v", "i2v", "keyframe")]
    fixes = [
        f"fixed_{code}" for code in ("too_dark", "loudness", "frozen", "true_peak", "narration_overflow")
    ]
    others = ["fallback", "fallback_still", "undo", "redo", "restore", "llm_fallback", "tts_fallback"]
    return named | {f"replies.{k}" for k in [*changes, *backends, *fixes, *others]}


def test_every_text_the_responder_asks_for_exists() -> None:
    asked = _keys_asked_for()
    assert {
        "replies.script_done",
        "replies.generated_many",
        "replies.ask_after_revision",
        "ui.choices_after_script",
    } <= asked
    for lang in catalog.LANGUAGES:
        missing = sorted(k for k in asked if not catalog.has(lang, k))
        assert not missing, (lang, missing)


def test_an_error_reply_is_filled_from_the_details() -> None:
    text = replies.error_reply("bad_shot", {"bad_shots": [9, 12], "count": 4}, {}, "en")
    assert text == "⚠️ There is no shot 9, 12; the script has 4 shots. Nothing changed."
    assert "?" not in replies.error_reply(
        "unknown_version", {}, {"wanted": ["v7.3"], "available": ["v1.0"]}, "zh"
    )


def test_progress_labels_come_from_the_catalogue() -> None:
    assert (
        progress_text({"stage": "assemble", "percent": 45, "eta": 8.24})
        == "🎬 合成视频... (45%) | 预计剩余: 8.2秒"
    )
    line = progress_text({"stage": "render", "shot": 2, "of": 5, "percent": 10}, "en")
    assert line == "🎬 Rendering shots 2/5... (10%)"


@pytest.mark.parametrize(
    ("texts", "lang"),
    [
        (["Make a 20 second video about spring", "delete shots 2 and 3", "make shot 1 10 seconds"], "en"),
        (["我想创建一个关于春天的20秒短视频", "删除第二和第三个镜头", "第1个镜头改为10秒"], "zh"),
    ],
)
def test_a_length_no_other_shot_can_absorb_gets_its_reply(say: Say, texts: list[str], lang: str) -> None:
    for text in texts[:-1]:
        before = say(text)
    assert len(before["script"]["shots"]) == 1
    v = say(texts[-1])
    assert v["outcome"]["error"] == "cannot_keep_total"
    assert v["reply"] == catalog.text(lang, "errors.cannot_keep_total", total=20.0)
    assert v["reply"] != replies.fill(lang, "replies.unclear")
    assert project(v) == project(before)


SCRIPT_INTENTS = ["generate", "revise_script", "set_duration"]
RENDER_INTENTS = ["export", "undo", "review", "history"]


@pytest.mark.parametrize("lang", catalog.LANGUAGES)
def test_each_choice_sends_words_that_do_what_its_label_says(lang: str) -> None:
    after_script = replies.choices(lang, "awaiting_approval", "create", None, {})
    after_render = replies.choices(lang, "rendered", "generate", None, {})
    script = {"shots": [{"id": "s1", "duration": 5.0}] * 3, "duration": 15.0}
    for shown, intents in ((after_script, SCRIPT_INTENTS), (after_render, RENDER_INTENTS)):
        assert [analyse(c["send"], script).intent for c in shown] == intents
        assert all(bool(HAN.search(c["label"] + c["send"])) == (lang == "zh") for c in shown)
    assert replies.choices(lang, "rendered", "edit_visual", "bad_shot", {}) == []


def test_after_a_create_the_choices_offer_to_go_ahead(say: Say) -> None:
    v = say("我想创建一个关于春天的30秒短视频")
    assert {"label": "继续生成", "send": "继续生成"} in v["choices"]
    v = say("new video: make a 20 second video about the sea")  # said outright: no question first
    assert "go ahead" in [c["send"] for c in v["choices"]]
    assert analyse(v["choices"][0]["send"], v["script"]).intent == "generate"


def test_the_history_offers_to_restore_each_other_version(say: Say) -> None:
    say("Make a 20 second video about spring")
    say("make it 30 seconds")
    v = say("history")
    assert v["choices"] == [{"label": "↩ v1.0", "send": "go back to v1.0"}]
    v = say(v["choices"][0]["send"])
    assert v["outcome"]["kind"] == "restore" and v["version"] == "v1.0"
    assert v["script"]["duration"] == 20.0
    assert say("有哪些版本？")["choices"] == [{"label": "↩ v1.1", "send": "回到v1.1"}]


ROOT = Path(__file__).resolve().parents[1]
RAISED = re.compile(r'(?<!Diffusion)Error\(\s*"(\w+)"|"error"\]?\s*[:=]\s*"(\w+)"')


def test_every_code_the_code_base_raises_is_registered() -> None:
    """Codes raised by tools, set by the router or returned by the acting nodes reach the user."""
    sources = [p for folder in ("tools", "nodes", "graph") for p in (ROOT / folder).glob("*.py")]
    found = {
        code
        for p in sources
        for pair in RAISED.findall(p.read_text(encoding="utf-8"))
        for code in pair
        if code
    }
    assert {"cannot_keep_total", "nothing_to_undo", "bad_format", "what_text"} <= found
    assert not found - set(CODES), found - set(CODES)


def test_the_help_lists_every_group_of_edit_operations() -> None:
    for lang in catalog.LANGUAGES:
        text = replies.help_reply(lang)
        assert all(f"- {line}" in text for line in help_lines(lang))
        assert text.startswith(replies.fill(lang, "replies.help_head"))
