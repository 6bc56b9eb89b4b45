"""Free-worded content revisions (tools/retell.py) in both languages: a stronger ending, a
character or element added to the shots where it fits, a new subject for the same project, and
"change this one" to the question another topic asks. Checked on the resulting script (lengths
hold, the other shots stay), through the compiled graph, and as properties over random scripts."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tools.grammar import write_grammar
from tools.intents import analyse
from tools.request import Request
from tools.retell import add_element, change_subject, element_request, ending_request, rewrite_ending
from tools.revise import revise
from tools.scripts import ScriptError
from tools.writing import write_offline


def _script(text: str, lang: str, total: float = 24.0) -> dict[str, Any]:
    return dict(write_offline(text, lang, total, "warm"))


def _revised(script: dict[str, Any], message: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    reading = analyse(message, script, "rendered")
    assert reading.intent == "revise_script", (message, reading)
    new, change = revise(script, message, reading.slots)  # type: ignore[arg-type]
    return dict(new), change, str(reading.slots.get("operation"))


def _durations(script: dict[str, Any]) -> list[float]:
    return [s["duration"] for s in script["shots"]]


@pytest.mark.parametrize(
    ("request_text", "lang", "message"),
    [
        (
            "a hedgehog looking for apples in an autumn orchard",
            "en",
            "the ending just fizzles out, make it land",
        ),
        ("一只小狐狸在雪地里找食物的故事", "zh", "结局有点草草收场，来个更震撼的"),
        (
            "a 20 second ad for a new electric bike, energetic",
            "en",
            "the close is weak, give the ending more punch",
        ),
        ("给妈妈做一个母亲节祝福视频", "zh", "结尾不够感人，收得再有力一点"),
    ],
)
def test_a_flat_ending_is_rewritten_for_its_genre(request_text: str, lang: str, message: str) -> None:
    script = _script(request_text, lang)
    new, change, op = _revised(script, message)
    assert op == "ending" and change["positions"] == [len(script["shots"])]
    assert new["shots"][-1]["description"] != script["shots"][-1]["description"]
    assert new["shots"][:-1] == script["shots"][:-1] and _durations(new) == _durations(script)
    assert new["shots"][-1]["narration"] and new["shots"][-1]["narration"] != script["shots"][-1]["narration"]


@pytest.mark.parametrize(
    ("lang", "message", "shown"),
    [
        ("en", "the ending feels flat, can the girl wave goodbye at the end?", "girl waving goodbye"),
        ("zh", "结尾让小女孩和小狗一起跑向夕阳吧", "跑向夕阳"),
        ("en", "end on the whole family laughing around a campfire", "campfire"),
        ("zh", "最后来个烟花在城市上空绽放的画面", "烟花"),
    ],
)
def test_an_ending_shows_what_the_user_asked(lang: str, message: str, shown: str) -> None:
    script = _script(
        "一个小女孩牵着小狗在公园散步" if lang == "zh" else "a girl walking her dog in the park", lang
    )
    new, _, op = _revised(script, message)
    # the ending rewritten, or the last shot named ('最后来个…的画面') given that content
    assert op in ("ending", "rewrite") and shown in new["shots"][-1]["description"]
    assert new["shots"][:-1] == script["shots"][:-1] and _durations(new) == _durations(script)


@pytest.mark.parametrize(
    ("lang", "request_text", "message", "element"),
    [
        ("zh", "一个老爷爷在湖边钓鱼的故事", "画面里再加几只白鹭", "白鹭"),
        ("zh", "一个老爷爷在湖边钓鱼的故事", "让一只小花猫也出现在镜头里", "小花猫"),
        ("en", "a fox looking for food in a snowy forest", "let a little owl show up too", "a little owl"),
        (
            "en",
            "a fox looking for food in a snowy forest",
            "add some falling snowflakes in the background",
            "some falling snowflakes",
        ),
    ],
)
def test_an_element_joins_the_shots_and_they_keep_what_they_showed(
    lang: str, request_text: str, message: str, element: str
) -> None:
    script = _script(request_text, lang)
    new, change, op = _revised(script, message)
    assert op == "add_element" and change["what"] == element and change["positions"]
    for i, (old, shot) in enumerate(zip(script["shots"], new["shots"], strict=True)):
        assert shot["description"].startswith(old["description"].rstrip("。. "))
        assert (element in shot["description"]) == (i + 1 in change["positions"])
    assert _durations(new) == _durations(script)


def test_an_element_goes_to_the_shot_named_by_what_it_shows() -> None:
    script = _script("a fox looking for food in a snowy forest", "en")
    named = next(i for i, s in enumerate(script["shots"]) if "snowy forest" in s["description"]) + 1
    new, change, _ = _revised(script, "put a sleeping bear in the snowy forest shot")
    assert change["positions"] == [named] and "a sleeping bear" in new["shots"][named - 1]["description"]


@pytest.mark.parametrize(
    ("lang", "request_text", "message", "old", "new_word"),
    [
        ("zh", "一个小男孩和爷爷在湖边钓鱼的故事", "把爷爷换成奶奶", "爷爷", "奶奶"),
        ("en", "a fox looking for food in a snowy forest", "make the fox a wolf everywhere", "fox", "wolf"),
        (
            "en",
            "a 20 second ad for our new running shoes",
            "swap the shoes for a smartwatch in every shot",
            "shoes",
            "smartwatch",
        ),
    ],
)
def test_a_new_subject_replaces_the_old_one_in_every_shot(
    lang: str, request_text: str, message: str, old: str, new_word: str
) -> None:
    script = _script(request_text, lang)
    new, change, op = _revised(script, message)
    assert op == "subject" and change["positions"]
    text = " ".join(s["description"] + s["narration"] for s in new["shots"]).lower()
    assert old not in text and new_word in text
    assert len(new["shots"]) == len(script["shots"]) and _durations(new) == _durations(script)


@pytest.mark.parametrize(
    ("lang", "message", "topic_word"),
    [
        ("zh", "这个片子改成讲秋天的果园，别新建", "果园"),
        ("en", "make it about a lighthouse in a storm instead, same video", "lighthouse"),
    ],
)
def test_a_new_topic_for_this_project_is_written_again_at_its_length(
    lang: str, message: str, topic_word: str
) -> None:
    script = _script(
        "小女孩在公园里放风筝" if lang == "zh" else "a girl flying a kite in the park", lang, 30.0
    )
    new, change, op = _revised(script, message)
    assert op == "subject" and change["op"] == "retopic"
    assert any(topic_word in s["description"] for s in new["shots"])
    assert sum(_durations(new)) == pytest.approx(30.0) and new["mood"] == script["mood"]
    old_ids = {s["id"] for s in script["shots"]}
    assert not old_ids & {s["id"] for s in new["shots"]}  # new shots, new ids


@pytest.mark.parametrize(
    "message",
    [
        "结尾太平淡了，换个更有冲击力的结局",
        "ending is weak, make it more memorable please",
        "the end is so flat",
    ],
)
def test_a_judgement_of_the_ending_names_no_content(message: str) -> None:
    assert ending_request(message) == ""


@pytest.mark.parametrize(
    "message",
    [
        "add a shot of a jogger after the park",
        "在第二个镜头后面加一个蝴蝶的特写",
        "put something in there",
        "加一个镜头",
    ],
)
def test_a_new_shot_or_nothing_named_is_no_element(message: str) -> None:
    assert element_request(message) is None


def test_what_is_not_there_is_said_and_changes_nothing() -> None:
    script = _script("a fox looking for food in a snowy forest", "en")
    with pytest.raises(ScriptError) as err:
        change_subject(script, "dragon", "unicorn")  # type: ignore[arg-type]
    assert err.value.code == "not_in_shots"
    first = add_element(script, "a little owl", [1])[0]  # type: ignore[arg-type]
    with pytest.raises(ScriptError) as again:
        add_element(first, "a little owl", [1])
    assert again.value.code == "already_there"


def test_change_this_one_turns_the_project_to_the_new_topic(say: Any) -> None:
    """Another topic while a project exists is asked; the "change this one" button rewrites this
    project about it (a new version, not a new project)."""
    first = say("做一个关于春天公园的20秒视频")
    asked = say("做一个关于秋天落叶的视频")
    assert asked["intent"]["slots"].get("clarify") and asked["version"] == first["version"]
    changed = say("/revise_script 做一个关于秋天落叶的视频")
    assert changed["version"] == "v1.1" and changed["intent"]["slots"]["operation"] == "subject"
    assert any("落叶" in s["description"] for s in changed["script"]["shots"])
    assert sum(s["duration"] for s in changed["script"]["shots"]) == pytest.approx(20.0)
    assert "落叶" in changed["reply"] and "v1.1" in changed["version"]


def test_the_ending_and_an_element_through_the_graph(say: Any) -> None:
    first = say("a fox looking for food in a snowy forest, 20 seconds")
    ending = say("the ending is kinda meh, give it more punch")
    assert ending["version"] == "v1.1" and ending["status"] == first["status"]
    assert ending["script"]["shots"][-1]["description"] != first["script"]["shots"][-1]["description"]
    assert "ending" in ending["reply"].lower() and "rewrite" not in ending["reply"].split("(")[0].lower()[:2]
    owl = say("let a little owl show up in the forest shots")
    assert owl["version"] == "v1.2" and any("owl" in s["description"] for s in owl["script"]["shots"])
    assert "owl" in owl["reply"]


WORDS = st.sampled_from(["fox", "robot", "old sailor", "baker", "kite", "lantern", "penguin", "violinist"])
GENRES = st.sampled_from(["story", "ad", "vlog", "recipe", "explainer", "kids", "music_video", "company"])


@settings(max_examples=40, deadline=None)
@given(
    subject=WORDS,
    genre=GENRES,
    total=st.integers(min_value=10, max_value=90),
    lang=st.sampled_from(["en", "zh"]),
)
def test_content_revisions_keep_lengths_and_other_shots(
    subject: str, genre: str, total: int, lang: str
) -> None:
    script = dict(
        write_grammar(Request(topic=subject, subject=subject, genre=genre), lang, float(total), "warm")
    )
    ended = rewrite_ending(script, "")  # type: ignore[arg-type]
    assert ended["shots"][:-1] == script["shots"][:-1] and _durations(ended) == _durations(script)
    assert ended["shots"][-1]["description"] != script["shots"][-1]["description"]
    added, where = add_element(script, "a paper crane", [])  # type: ignore[arg-type]
    assert where and _durations(added) == _durations(script)
    assert all(
        b["description"].startswith(a["description"].rstrip("。. "))
        for a, b in zip(script["shots"], added["shots"], strict=True)
    )
    changed, shots = change_subject(script, subject, "a unicorn" if lang == "en" else "独角兽")  # type: ignore[arg-type]
    assert shots and _durations(changed) == _durations(script)
    assert not any(subject in s["description"] for s in changed["shots"])


@pytest.mark.parametrize(
    ("create", "message", "needle"),
    [
        (
            "a fox looking for food in a snowy forest, 20 seconds",
            "let a little owl show up in the forest shots",
            "already",
        ),
        ("一个老爷爷在湖边钓鱼的故事，20秒", "画面里再加几只白鹭", "已经有"),
    ],
)
def test_an_element_asked_for_twice_is_said_and_changes_nothing(
    say: Any, create: str, message: str, needle: str
) -> None:
    """The second time, the shots already show it: the reply says so in the user's language,
    and the project (script, settings, version, stacks) is as it was."""
    from tests.helpers import project

    say(create)
    first = say(message)
    assert first["version"] == "v1.1"
    again = say(message)
    assert needle in again["reply"], again["reply"]
    assert project(again) == project(first)
