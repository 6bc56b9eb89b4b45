"""The open-vocabulary animatic: what a description names is drawn (an icon or the painter),
placed inside the frame at a visible size, moved when the words say it acts, and what cannot
be drawn is said, on the shot record, in the reply and in the reviewer's coverage."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from tools import drawing, icons, scene
from tools.renderer import render_clip

# (subject as written, the icon that must draw it); over 60 subjects, both languages, across
# animals, vehicles, food, objects, buildings, people by role, fantasy creatures and nature.
SUBJECTS_EN = [
    ("giraffe", "giraffe"), ("elephant", "elephant"), ("penguin", "penguin"), ("octopus", "octopus"),
    ("butterfly", "butterfly"), ("fox", "fox"), ("kangaroo", "kangaroo"), ("bus", "bus"),
    ("bicycle", "bicycle"), ("helicopter", "helicopter"), ("sailboat", "sailboat"), ("taxi", "taxi"),
    ("tractor", "tractor"), ("fire engine", "fire-engine"), ("pizza", "pizza"), ("hamburger", "hamburger"),
    ("birthday cake", "birthday-cake"), ("bowl of noodles", "steaming-bowl"), ("watermelon", "watermelon"),
    ("sushi", "sushi"), ("guitar", "guitar"), ("laptop", "laptop"), ("teddy bear", "teddy-bear"),
    ("trophy", "trophy"), ("violin", "violin"), ("castle", "castle"), ("school", "school"),
    ("hospital", "hospital"), ("tent", "tent"), ("ferris wheel", "ferris-wheel"), ("chef", "cook"),
    ("astronaut", "astronaut"), ("firefighter", "firefighter"), ("doctor", "health-worker"),
    ("teacher", "teacher"), ("police officer", "police-officer"), ("farmer", "farmer"),
    ("dragon", "dragon"), ("unicorn", "unicorn"), ("robot", "robot"), ("ghost", "ghost"),
    ("alien", "alien"), ("volcano", "volcano"), ("rainbow", "rainbow"), ("cactus", "cactus"),
    ("mushroom", "mushroom"), ("sunflower", "sunflower"), ("snowman", "snowman"),
]  # fmt: skip
SUBJECTS_ZH = [
    ("长颈鹿", "giraffe"), ("熊猫", "panda"), ("老虎", "tiger"), ("公交车", "bus"), ("自行车", "bicycle"),
    ("火箭", "rocket"), ("饺子", "dumpling"), ("西瓜", "watermelon"), ("生日蛋糕", "birthday-cake"),
    ("吉他", "guitar"), ("手机", "mobile-phone"), ("城堡", "castle"), ("医院", "hospital"),
    ("厨师", "cook"), ("宇航员", "astronaut"), ("警察", "police-officer"), ("医生", "health-worker"),
    ("龙", "dragon"), ("独角兽", "unicorn"), ("机器人", "robot"), ("外星人", "alien"), ("火山", "volcano"),
    ("彩虹", "rainbow"), ("仙人掌", "cactus"), ("蘑菇", "mushroom"),
]  # fmt: skip
FRAME = (640, 360)


def _sentence(word: str, zh: bool) -> str:
    return (
        f"画面中央是{word}，背景很安静"
        if zh
        else f"In the middle of the shot there is a {word}, quiet background"
    )


def _sprite_for(comp: scene.Composition, word: str) -> scene.Sprite:
    found = [s for s in comp.sprites if s.word == word]
    assert found, f"nothing drawn for {word!r}: {[s.word for s in comp.sprites]}"
    return found[0]


def _in_frame(comp: scene.Composition, s: scene.Sprite) -> tuple[float, float, float, float]:
    """The sprite's box at t=0 in frame pixels (the camera centred)."""
    mx, my = comp.margin
    w, h = s.frames[0].size
    return s.x - mx, s.y - my, s.x - mx + w, s.y - my + h


def test_enough_subjects_across_kinds() -> None:
    assert len(SUBJECTS_EN) + len(SUBJECTS_ZH) >= 60
    kinds = {icons.category(name) for _, name in SUBJECTS_EN + SUBJECTS_ZH}
    assert {"Animals & Nature", "Travel & Places", "Food & Drink", "Objects", "People & Body"} <= kinds


@pytest.mark.parametrize(
    ("word", "icon", "zh"), [(w, i, False) for w, i in SUBJECTS_EN] + [(w, i, True) for w, i in SUBJECTS_ZH]
)
def test_subject_resolves_and_is_drawn_inside_the_frame(word: str, icon: str, zh: bool) -> None:
    text = _sentence(word, zh)
    d = drawing.resolve(text)
    assert [t.icon for t in d.things if t.word == word] == [icon], d.things
    assert word not in d.undrawn
    comp = scene.compose(text, "warm", FRAME, 3, "medium")
    x0, y0, x1, y1 = _in_frame(comp, _sprite_for(comp, word))
    w, h = FRAME
    assert x0 >= -1 and y0 >= -1 and x1 <= w + 1 and y1 <= h + 1, (x0, y0, x1, y1)
    assert (y1 - y0) >= 0.08 * h, "too small to recognise"
    pixels = np.asarray(_sprite_for(comp, word).frames[0])[..., 3]
    assert (pixels > 0).mean() > 0.15, "an empty picture"


def test_a_close_up_draws_the_subject_larger_than_a_long_shot() -> None:
    text = "a giraffe on the savanna"
    sizes = {}
    for shot_type in ("close-up", "medium", "long"):
        comp = scene.compose(text, "warm", FRAME, 1, shot_type)
        sizes[shot_type] = _sprite_for(comp, "giraffe").frames[0].height
    assert sizes["close-up"] > sizes["medium"] > sizes["long"]


def test_the_first_named_is_the_largest_and_several_share_the_frame() -> None:
    comp = scene.compose("a chef hands a birthday cake to an astronaut", "warm", FRAME, 2, "medium")
    words = [s.word for s in comp.sprites if s.word]
    assert words[:3] == ["chef", "birthday cake", "astronaut"]
    heights = {s.word: s.frames[0].height for s in comp.sprites if s.word}
    assert heights["chef"] > heights["astronaut"]
    boxes = [_in_frame(comp, s) for s in comp.sprites if s.word]
    centres = sorted((b[0] + b[2]) / 2 for b in boxes)
    assert min(b - a for a, b in zip(centres, centres[1:], strict=False)) > 40, "drawn on top of each other"


ACTS = [
    ("a horse walks along the road", "horse", "walk"),
    ("a cheetah... no, a tiger runs through the field", "tiger", "run"),
    ("an eagle flies over the mountains", "eagle", "fly"),
    ("a shark swims past", "shark", "swim"),
    ("a taxi drives down the street", "taxi", "drive"),
    ("a frog jumps into the pond", "frog", "jump"),
    ("an apple falls from the tree", "apple", "fall"),
    ("a coin spins on the table", "coin", "spin"),
    ("a balloon floats above the town", "balloon", "float"),
    ("a sunflower grows in the garden", "sunflower", "grow"),
    ("the teapot pours tea into a cup", "teapot", "pour"),
    ("the robot waves at the children", "robot", "wave"),
    ("a panda eats bamboo", "panda", "eat"),
    ("a rabbit sits in the grass", "rabbit", "sit"),
    ("一只小狗在草地上奔跑", "小狗", "run"),
    ("一架飞机飞过城市上空", "飞机", "fly"),
    ("小鱼在水里游来游去", "小鱼", "swim"),
    ("宇航员在月球上跳跃", "宇航员", "jump"),
    ("一辆出租车驶过路口", "出租车", "drive"),
    ("向日葵慢慢长大", "向日葵", "grow"),
    ("熊猫坐着吃竹子", "熊猫", "sit"),
    ("机器人挥手打招呼", "机器人", "wave"),
]


@pytest.mark.parametrize(("text", "word", "action"), ACTS)
def test_actions_come_from_the_words(text: str, word: str, action: str) -> None:
    things = {t.word: t for t in drawing.resolve(text).things}
    assert word in things, things
    assert things[word].action == action


def _moves(s: scene.Sprite) -> bool:
    return any((s.vx, s.vy, s.gravity, s.bob, s.sway, s.spin, s.rock, s.grow, s.squash))


@pytest.mark.parametrize(("text", "word", "action"), ACTS)
def test_an_acting_thing_has_a_motion_of_its_kind(text: str, word: str, action: str) -> None:
    s = _sprite_for(scene.compose(text, "warm", FRAME, 5, "medium"), word)
    kind = {
        "walk": s.vx > 0, "run": s.vx > 0, "drive": s.vx > 0, "fly": s.vx > 0, "swim": s.vx > 0 or s.sway > 0,
        "jump": s.bob > 0.2 * s.frames[0].height, "fall": s.gravity > 0, "spin": s.spin != 0 or s.rock > 0,
        "float": s.bob > 0 and s.sway > 0, "grow": s.grow > 0, "pour": s.rock > 0, "wave": s.rock > 0,
        "eat": s.squash > 0, "sit": s.bob > 0 and s.vx == 0,
    }[action]  # fmt: skip
    assert kind, vars(s)


def _frames(path: str, times: list[float]) -> list[np.ndarray]:
    out = []
    for t in times:
        png = subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-ss",
                str(t),
                "-i",
                path,
                "-frames:v",
                "1",
                "-f",
                "image2pipe",
                "-c:v",
                "png",
                "-",
            ],
            check=True,
            capture_output=True,
        ).stdout
        import io

        out.append(np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int))
    return out


@pytest.mark.parametrize(
    "text",
    [
        "a taxi drives down the street",
        "a key spins on the table",
        "a sunflower grows in the garden",
        "a panda eats bamboo",
    ],
)
def test_the_rendered_thing_moves_and_a_still_one_does_not(text: str, tmp_path) -> None:
    """Rendered for real: between two moments the pixels where the thing is change far more
    for an acting thing than for the same thing named with no action."""
    word = next(t for t in drawing.resolve(text).things if t.icon).word
    still = f"a {word} in the picture"

    def change(description: str) -> float:
        spec = {
            "renderer": "animatic-3", "description": description, "shot_type": "medium", "camera": "static",
            "mood": "warm", "width": 320, "height": 180, "fps": 12, "frames": 30, "seed": 4, "captions": False,
        }  # fmt: skip
        out = tmp_path / f"{abs(hash(description))}.mp4"
        render_clip(spec, out)
        a, b = _frames(str(out), [0.4, 2.0])
        return float(np.abs(a - b).mean())

    assert change(text) > 3 * change(still) + 0.2


def test_colour_words_recolour_the_icon() -> None:
    plain = _sprite_for(scene.compose("a bus in the city", "warm", FRAME, 1, "medium"), "bus").frames[0]
    red = _sprite_for(scene.compose("a red bus in the city", "warm", FRAME, 1, "medium"), "bus").frames[0]
    blue = _sprite_for(scene.compose("a blue bus in the city", "warm", FRAME, 1, "medium"), "bus").frames[0]

    def mean(img: Image.Image) -> np.ndarray:
        arr = np.asarray(img).astype(float)
        return arr[arr[..., 3] > 200][:, :3].mean(axis=0)

    r, b = mean(red), mean(blue)
    assert r[0] > r[2] + 40 and b[2] > b[0] + 40
    assert not np.allclose(mean(plain), r, atol=5)


def test_counts_draw_several() -> None:
    one = _sprite_for(scene.compose("a balloon over the school", "warm", FRAME, 1, "medium"), "balloon")
    three = _sprite_for(
        scene.compose("three balloons over the school", "warm", FRAME, 1, "medium"), "balloons"
    )
    assert three.frames[0].width > 1.8 * one.frames[0].width
    assert drawing.resolve("两只鸭子在河边").things[0].count == 2


@pytest.mark.parametrize(
    ("text", "not_drawn"),
    [
        ("watch the sunset from the hill", "watch"),  # a verb, no wristwatch
        ("他马上就到了车站", "horse"),  # 马上 is 'at once'
        ("the astronaut waves at the camera", "camera"),
        ("a lighthouse on the cliff", "lamp"),  # light- is no lamp
    ],
)
def test_no_thing_is_read_inside_another_word(text: str, not_drawn: str) -> None:
    draws = [t.draws for t in drawing.resolve(text).things]
    assert not any(not_drawn in d for d in draws), draws


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("a lighthouse on the cliff at dusk", "lighthouse"),
        ("a wheelbarrow full of bricks next to the barn", "wheelbarrow"),
        ("一座风车在田野里转", "风车"),
        ("a chandelier over the dinner table", "chandelier"),
    ],
)
def test_what_cannot_be_drawn_is_listed(text: str, missing: str) -> None:
    d = drawing.resolve(text)
    assert missing in d.undrawn
    assert missing not in [t.word for t in d.things]


def test_abstract_nouns_are_not_called_undrawn() -> None:
    assert drawing.resolve("a moment of happiness and warm memories").undrawn == []
    assert drawing.resolve("温暖的回忆和幸福的感觉").undrawn == []


def test_the_shot_record_names_each_thing_with_its_word() -> None:
    rec = drawing.record("a red dragon flies over the castle")
    assert {"word": "dragon", "as": "dragon", "action": "fly", "colour": "red"} in rec["drawn"]
    assert {"word": "castle", "as": "castle"} in rec["drawn"]
    assert rec["undrawn"] == []
    assert json.loads(json.dumps(rec)) == rec


def test_icons_are_rasterised_once_and_kept(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CINECHAT_ICON_CACHE", str(tmp_path))
    a = icons.raster("giraffe", 120)
    kept = list(tmp_path.glob("giraffe-120.png"))
    assert kept and a.mode == "RGBA" and max(a.size) <= 120
    stamp = kept[0].stat().st_mtime_ns
    b = icons.raster("giraffe", 120)
    assert kept[0].stat().st_mtime_ns == stamp and np.array_equal(np.asarray(a), np.asarray(b))


def test_the_names_cover_both_languages_from_cldr() -> None:
    en, zh = icons.names("en"), icons.names("zh")
    assert len(en) > 1000 and len(zh) > 800
    assert en["giraffe"] == zh["长颈鹿"] == "giraffe"


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from(SUBJECTS_EN), min_size=1, max_size=3, unique=True),
    st.sampled_from(["close-up", "medium", "wide", "long"]),
    st.integers(1, 99),
)
def test_any_few_subjects_are_all_drawn_inside_the_frame(picked, shot_type, seed) -> None:
    text = "A " + " and a ".join(w for w, _ in picked) + " together"
    comp = scene.compose(text, "warm", FRAME, seed, shot_type)
    for word, _ in picked:
        s = _sprite_for(comp, word)
        x0, y0, x1, y1 = _in_frame(comp, s)
        assert x1 > 0 and x0 < FRAME[0] and y1 > 0 and y0 < FRAME[1]
        assert (x1 - x0) * (y1 - y0) >= 0.004 * FRAME[0] * FRAME[1]


@pytest.mark.parametrize(
    ("text", "world", "prop"),
    [
        ("a camel walks across the desert", "desert", "cactus"),
        ("a rocket flies through outer space", "space", "ringed-planet"),
        ("一条小鱼在海底游", "underwater", "coral"),
        ("a singer on the stage", "stage", "performing-arts"),
        ("农场里，一头奶牛在吃草", "farm", "house-with-garden"),
        ("宇航员站在月球上", "moon_surface", "globe-showing-asia-australia"),
    ],
)
def test_settings_beyond_the_painters_are_data_and_dressed(text: str, world: str, prop: str) -> None:
    found = drawing.world(text)
    assert found and found[0] == world
    assert f"animatic:{world}" in [t.draws for t in drawing.resolve(text).things]
    comp = scene.compose(text, "warm", FRAME, 1, "medium")
    props = [s for s in comp.sprites if s.word == found[1]]
    assert props, "the setting's own dressing is drawn"


def test_space_has_stars_and_no_clouds_or_sun() -> None:
    comp = scene.compose("a rocket flies through outer space", "warm", FRAME, 1, "medium")
    sky = np.asarray(comp.sky).astype(int)
    assert sky.mean() < 60, "a dark sky"
    assert (sky.max(axis=2) > 200).sum() > 50, "stars"
    assert not [s for s in comp.sprites if s.depth == 0.3], "no clouds"


def test_an_unchanged_description_keeps_its_record_and_a_changed_one_is_read_again() -> None:
    before = drawing.annotate(
        {"shots": [{"id": "s1", "description": "a giraffe"}, {"id": "s2", "description": "a bus"}]}
    )
    assert before["shots"][0]["drawn"] == [{"word": "giraffe", "as": "giraffe"}]
    kept = {
        **before["shots"][0],
        "drawn": [{"word": "kept", "as": "kept"}],
    }  # what the earlier version recorded
    after = drawing.annotate(
        {"shots": [kept, {**before["shots"][1], "description": "a lighthouse"}]},
        {"shots": [kept, before["shots"][1]]},
    )
    assert after["shots"][0]["drawn"] == [{"word": "kept", "as": "kept"}]
    assert after["shots"][1]["drawn"] == [] and after["shots"][1]["undrawn"] == ["lighthouse"]


def test_an_ad_ends_on_a_call_to_action_that_fits_a_portrait_frame() -> None:
    from tools.renderer import text_overlay
    from tools.writing import write_offline

    script = write_offline(
        "I need a 15 second TikTok ad for our new running shoes, energetic", "en", 15.0, "energetic"
    )
    cards = script["shots"][-1].get("overlays") or []
    assert cards and "running shoes" in cards[0]["text"]
    img, x, _ = text_overlay(cards[0]["text"], "title", "top", (608, 1080))
    assert x >= 0 and x + img.width <= 608
