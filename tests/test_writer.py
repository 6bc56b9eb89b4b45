"""The offline writer on topics no story template names: the request read (subject, genre,
style, platform, length), the subject carried into the shots, and a script score that drops
below 6 for scripts that lose the subject, repeat themselves or are filler."""

from __future__ import annotations

from typing import Any

import pytest

from tools.intents import analyse
from tools.request import read_request
from tools.review import CAP, score_script
from tools.writing import requested_length_and_mood, write_offline

CASES: list[tuple[str, str, str, str, str | None, float]] = [
    # text, language, the subject (or a piece of it), genre, style, seconds
    ("a robot learning to paint, 20 seconds", "en", "robot", "story", None, 20),
    (
        "a solemn memorial video for the miners lost in the 1956 disaster",
        "en",
        "miner",
        "story",
        "solemn",
        30,
    ),
    ("为地震遇难者做一个庄重的悼念视频", "zh", "遇难者", "story", "solemn", 30),
    ("一只猫在雨夜找家", "zh", "猫", "story", None, 30),
    (
        "I need a 15 second TikTok ad for our new running shoes, energetic",
        "en",
        "running shoes",
        "ad",
        "cheerful",
        15,
    ),
    ("给奶奶做一个生日祝福视频，温馨一点", "zh", "奶奶", "greeting", "warm", 30),
    ("a recipe video for chocolate chip cookies, 25 seconds", "en", "cookies", "recipe", None, 25),
    ("做一个讲解黑洞原理的科普视频，40秒", "zh", "黑洞", "explainer", None, 40),
    ("帮我做一个视频，介绍我们公司的新款电动汽车，史诗感", "zh", "电动汽车", "company", "epic", 30),
    ("a vlog of my trip to Iceland, calm", "en", "Iceland", "vlog", "calm", 30),
    ("做一个我新歌的MV，赛博朋克风格，30秒", "zh", "新歌", "music_video", "cyberpunk", 30),
    ("a bedtime story for kids about a brave little hedgehog, funny", "en", "hedgehog", "kids", "funny", 30),
    (
        "A sad little story about an old lighthouse keeper, around 40 seconds",
        "en",
        "lighthouse keeper",
        "story",
        "sad",
        40,
    ),
    ("拍一个小女孩在公园里放风筝的视频，清新", "zh", "小女孩", "story", "fresh", 30),
    (
        "a suspenseful short about a detective in a foggy harbour, 30s",
        "en",
        "detective",
        "story",
        "suspense",
        30,
    ),
    ("做一个关于老式火车的复古短片", "zh", "老式火车", "story", "retro", 30),
    (
        "an inspiring video about a marathon runner, 35 seconds",
        "en",
        "marathon runner",
        "story",
        "inspiring",
        35,
    ),
    ("一对情侣在海边散步的浪漫视频，20秒", "zh", "情侣", "story", "romantic", 20),
    ("a documentary about beekeepers in the mountains", "en", "beekeeper", "story", "documentary", 30),
    ("做一个关于海边日落的20秒视频，浪漫一点", "zh", "海边日落", "scenery", "romantic", 20),
    ("the night sky over the desert, calm", "en", "night sky", "scenery", "calm", 30),
    # the other language of each genre and style, on topics no template names
    ("给我们的新款保温杯做一个15秒的抖音广告，欢快一点", "zh", "保温杯", "ad", "cheerful", 15),
    ("a romantic birthday video for my wife Lena, 20 seconds", "en", "Lena", "greeting", "romantic", 20),
    ("教大家做番茄炒蛋的美食教程，30秒", "zh", "番茄炒蛋", "recipe", None, 30),
    (
        "an explainer about how volcanoes erupt, documentary style, 40 seconds",
        "en",
        "volcano",
        "explainer",
        "documentary",
        40,
    ),
    (
        "a company intro video for our solar panel startup, inspiring",
        "en",
        "solar panel",
        "company",
        "inspiring",
        30,
    ),
    ("记录我去云南大理旅行的vlog，清新一点，25秒", "zh", "大理", "vlog", "fresh", 25),
    ("a music video for my song about a lonely astronaut, sad", "en", "astronaut", "music_video", "sad", 30),
    ("给小朋友讲一只勇敢的小乌龟的睡前故事，搞笑一点", "zh", "小乌龟", "kids", "funny", 30),
    ("a retro short about an old jukebox in a diner, 25 seconds", "en", "jukebox", "story", "retro", 25),
    ("一个侦探在雾气弥漫的码头追查线索的悬疑短片", "zh", "侦探", "story", "suspense", 30),
    ("一个马拉松选手坚持跑完全程的励志短片，35秒", "zh", "马拉松选手", "story", "inspiring", 35),
    ("a calm video of a fisherman on a misty lake at dawn", "en", "fisherman", "story", "calm", 30),
    ("养蜂人在山里的一天，纪录片风格", "zh", "养蜂人", "story", "documentary", 30),
    (
        "a cyberpunk story about a delivery drone in a rainy megacity",
        "en",
        "delivery drone",
        "story",
        "cyberpunk",
        30,
    ),
    ("an epic short about a dragon guarding a mountain, 30 seconds", "en", "dragon", "story", "epic", 30),
    ("一个老奶奶在院子里晒柿子的温馨小故事", "zh", "老奶奶", "story", "warm", 30),
    ("a sad story about a lost umbrella on a train", "en", "umbrella", "story", None, 30),
    (
        "the northern lights over a frozen fjord, calm, 20 seconds",
        "en",
        "northern lights",
        "scenery",
        "calm",
        20,
    ),
    (
        "a fresh, breezy video about a girl cycling through tulip fields, 20 seconds",
        "en",
        "girl",
        "story",
        "fresh",
        20,
    ),
    (
        "a warm story about a grandfather teaching his grandson to fish",
        "en",
        "grandfather",
        "story",
        "warm",
        30,
    ),
    ("一只被遗弃的小狗在雨里等主人的伤感短片", "zh", "小狗", "story", "sad", 30),
    ("一个和尚在山间寺庙里扫落叶，安静一点，20秒", "zh", "和尚", "story", "calm", 20),
]


def _write(text: str, lang: str) -> dict[str, Any]:
    reading = analyse(text, None, "empty")
    total, mood = requested_length_and_mood(text, reading.slots)
    script = dict(write_offline(text, lang, total, mood))
    script["request"] = text
    return script


@pytest.mark.parametrize(
    ("text", "lang", "subject", "genre", "style", "seconds"), CASES, ids=[c[0][:36] for c in CASES]
)
def test_a_request_on_any_topic_gets_a_script_about_it(
    text: str, lang: str, subject: str, genre: str, style: str | None, seconds: float
) -> None:
    request = read_request(text, lang)
    assert subject.lower() in request.subject.lower(), request
    assert request.genre == genre, request
    script = _write(text, lang)
    if style:
        assert script["mood"] == style
    assert sum(s["duration"] for s in script["shots"]) == pytest.approx(seconds)
    showing = [s for s in script["shots"] if subject.lower().rstrip("s") in s["description"].lower()]
    assert len(showing) >= len(script["shots"]) / 2, [s["description"] for s in script["shots"]]
    assert len({s["description"] for s in script["shots"]}) == len(script["shots"])  # none repeated
    assert all(s["narration"] for s in script["shots"])
    assert "{" not in " ".join(s["description"] + s["narration"] for s in script["shots"])  # all filled
    assert score_script(script, text)["overall"] > CAP


def test_a_platform_and_a_list_of_things_are_kept() -> None:
    request = read_request("雪山、湖泊、草原，新疆自然风光，竖屏发抖音", "zh")
    assert request.aspect == "9:16" and {"雪山", "湖泊", "草原"} <= set(request.subjects)
    described = " ".join(
        s["description"] for s in _write("雪山、湖泊、草原，新疆自然风光，竖屏发抖音", "zh")["shots"]
    )
    assert all(x in described for x in ("雪山", "湖泊", "草原"))


def _script(
    descriptions: list[str], narration: str = "A line.", subjects: list[str] | None = None
) -> dict[str, Any]:
    types = ["wide", "medium", "close-up", "wide"]
    shots = [
        {"id": f"s{i}", "shot_type": types[i % 4], "description": d, "narration": narration, "duration": 5.0}
        for i, d in enumerate(descriptions)
    ]
    return {"shots": shots, "duration": 5.0 * len(shots), "language": "en", "subjects": subjects or []}


def test_bad_scripts_score_below_six_and_below_a_good_one() -> None:
    good = _write("a robot learning to paint, 20 seconds", "en")
    black = _script(["a black screen"] * 4, subjects=["robot"])
    junk = _script(["xxx", "...", "shot", "tbd"], narration="", subjects=["robot"])
    dropped = _script(
        ["a park in the morning", "flowers opening", "a girl walking a dog", "the city from above"],
        subjects=["robot"],
    )
    repeated = _script(["the robot paints a flower"] * 4, subjects=["robot"])
    scores = {
        name: score_script(s, "a robot learning to paint")["overall"]  # type: ignore[arg-type]
        for name, s in [
            ("good", good),
            ("black", black),
            ("junk", junk),
            ("dropped", dropped),
            ("repeated", repeated),
        ]
    }
    assert all(scores[k] <= CAP for k in ("black", "junk", "dropped", "repeated")), scores
    assert scores["good"] > max(v for k, v in scores.items() if k != "good"), scores
    assert scores["junk"] < scores["dropped"], scores  # filler without narration is the worst


@pytest.mark.parametrize(
    ("text", "lang", "style"),
    [
        ("做一个关于老灯塔看守人的20秒视频，伤感一点", "zh", "sad"),
        ("a funny story about a clumsy penguin, 30 seconds", "en", "funny"),
        ("a suspenseful short about a detective in a foggy harbour", "en", "suspense"),
    ],
)
def test_the_ending_says_the_styles_feeling(text: str, lang: str, style: str) -> None:
    from tools import lexicon

    script = _write(text, lang)
    subject = read_request(text, lang).subject
    endings = [
        line.replace("{subject}", subject)
        .replace("{the_subject}", f"the {subject}")
        .replace("{The_subject}", f"The {subject}")
        for line in lexicon.load("requests")["tones"][style][lang]
    ]
    assert script["mood"] == style and script["shots"][-1]["narration"] in endings


def test_the_cases_cover_every_genre_and_style_in_both_languages() -> None:
    from tools.request import vocabulary

    genres = {g for g in vocabulary()["genres"]} | {"story", "scenery"}
    styles = set(vocabulary()["styles"])
    have_genres = {(c[3], c[1]) for c in CASES}
    have_styles = {(c[4], c[1]) for c in CASES if c[4]}
    assert {(g, lang) for g in genres for lang in ("en", "zh")} <= have_genres, genres
    assert {(s, lang) for s in styles for lang in ("en", "zh")} <= have_styles


@pytest.mark.parametrize(
    ("text", "lang", "style"),
    [
        ("a 20 second ad for a handmade ceramic mug, calm", "en", "calm"),
        ("a sad story about a lost umbrella on a train", "en", "sad"),
        ("给我们的新款香薰蜡烛做一个安静的广告", "zh", "calm"),
    ],
)
def test_a_styles_phrasings_leave_out_what_it_avoids(text: str, lang: str, style: str) -> None:
    """A calm ad does not open 'bold, bright'; a sad story has no cheering (the style's `avoid`
    words in tools/data/requests.json), and its stronger ending keeps to them too."""
    from tools.grammar import avoided
    from tools.retell import rewrite_ending

    script = _write(text, lang)
    assert script["mood"] == style
    words = avoided(style)
    assert words
    ended = rewrite_ending(script, "")  # type: ignore[arg-type]
    for shot in ended["shots"]:
        assert not any(w in shot["description"].lower() for w in words), shot["description"]


@pytest.mark.parametrize(
    ("text", "lang", "subject"),
    [
        ("做一个15秒的视频：一只长颈鹿在沙漠里走，远处有一座灯塔", "zh", "长颈鹿"),
        ("来一段短片：小猫在窗台上晒太阳", "zh", "小猫"),
        ("make a 15 second video: a giraffe walking through the desert", "en", "giraffe"),
        ("New video: a robot painting a sunset", "en", "robot"),
    ],
)
def test_the_topic_after_a_colon_is_the_subject(text: str, lang: str, subject: str) -> None:
    """'A video: X' is a video of X, not a video of 'video'."""
    req = read_request(text, lang)
    assert subject in req.subject and "video" not in req.subject.lower() and "视频" not in req.subject


def test_a_genre_first_then_the_topic_reads_the_topic() -> None:
    """'一段美食短片，厨师做一碗拉面': the first clause only names the kind of video."""
    req = read_request("想要一段15秒的美食短片，厨师做一碗热腾腾的拉面", "zh")
    assert "拉面" in req.subject or "厨师" in req.subject
