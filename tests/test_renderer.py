"""The animatic renderer, checked on real renders with ffmpeg's own analysis."""

from __future__ import annotations

import hashlib
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graph.context import ROOT
from tests.helpers import ffprobe, project, shot_spans, turn
from tools import analysis, drawing
from tools.renderer import ASPECTS, RESOLUTIONS, frame_size, render_clip
from tools.scene import compose, flatten, read_scene


def _spec(**over: Any) -> dict[str, Any]:
    spec = {
        "description": "小女孩跑向长椅",
        "shot_type": "wide",
        "camera": "pan",
        "mood": "warm",
        "width": 320,
        "height": 180,
        "fps": 12,
        "frames": 12,
        "seed": 7,
        "caption": "一个小女孩跑了过来。",
        "captions": True,
        "grade": {},
    }
    spec.update(over)
    return spec


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_spec_gives_identical_bytes(tmp_path: Path) -> None:
    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    render_clip(_spec(), a)
    render_clip(_spec(), b)
    assert _sha(a) == _sha(b)
    render_clip(_spec(seed=8), b)
    assert _sha(a) != _sha(b)


@pytest.mark.parametrize("aspect", list(ASPECTS))
@pytest.mark.parametrize("resolution", list(RESOLUTIONS))
def test_every_format_has_its_dimensions(tmp_path: Path, aspect: str, resolution: str) -> None:
    w, h = frame_size(aspect, resolution)
    out = tmp_path / "clip.mp4"
    render_clip(_spec(width=w, height=h, frames=3), out)
    video = next(s for s in ffprobe(out)["streams"] if s["codec_type"] == "video")
    assert (video["width"], video["height"]) == (w, h)
    assert int(video["nb_frames"]) == 3
    assert min(w, h) == RESOLUTIONS[resolution]


def _subject_box(frames: tuple[Any, Any]) -> tuple[int, int, int, int]:
    """The bounding box (x0, y0, x1, y1) of what differs between two stills of one format."""
    a, b = (np.asarray(f, dtype=np.int16) for f in frames)
    ys, xs = np.nonzero(np.abs(a - b).max(axis=2) > 24)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def _placed_whole(box: tuple[int, int, int, int], size: tuple[int, int], like: tuple[int, int]) -> bool:
    """Whether a subject lies inside the frame, clear of its edges, at the size `like` (w, h)."""
    x0, y0, x1, y1 = box
    inside = 0 < x0 and x1 < size[0] and 0 < y0 and y1 < size[1]
    return inside and abs((x1 - x0) - like[0]) <= 2 and abs((y1 - y0) - like[1]) <= 2


def test_portrait_is_composed_not_cropped() -> None:
    """A 9:16 frame keeps the whole bench and the man sitting on it inside it, at the size they
    have in 16:9 (drawn for that format); a crop of the 16:9 frame would cut or enlarge them."""
    comp = compose("老人坐在长椅上微笑着喂鸽子", "warm", (360, 640), 3, "medium")
    frame = np.asarray(flatten(comp), dtype=np.float32)
    wide = np.asarray(flatten(compose("老人坐在长椅上微笑着喂鸽子", "warm", (640, 360), 3, "medium")))
    assert frame.shape[:2] == (640, 360) and wide.shape[:2] == (360, 640)
    near = comp.layers[-1]
    assert near.x >= 0 and near.image.width <= 360 + 2 * comp.margin[0]

    def stills(size: tuple[int, int]) -> tuple[Any, Any]:  # the park with and without them
        return tuple(flatten(compose(d, "warm", size, 3, "medium")) for d in ("老人坐在公园的长椅上", "公园"))

    landscape = _subject_box(stills((640, 360)))
    like = (landscape[2] - landscape[0], landscape[3] - landscape[1])
    assert _placed_whole(landscape, (640, 360), like)
    assert _placed_whole(_subject_box(stills((360, 640))), (360, 640), like)
    crop = (640 - 202) // 2  # the 9:16 window of a 16:9 frame, scaled up to 360x640
    cropped = tuple(s.crop((crop, 0, crop + 202, 360)).resize((360, 640)) for s in stills((640, 360)))
    assert not _placed_whole(_subject_box(cropped), (360, 640), like)


def test_lexicon_reads_descriptions_in_both_languages() -> None:
    zh = read_scene("老人坐在长椅上微笑着喂鸽子")
    assert ("old", "sit") in zh.people and "bench" in zh.elements and zh.birds == "ground"
    en = read_scene("the flock of pigeons rises into the sky at sunset")
    assert en.birds == "fly" and en.time == "sunset"
    assert read_scene("一个孩子在浪花边奔跑").elements.isdisjoint({"flower"})  # 浪花 is spray
    assert read_scene("a man with an umbrella walks down the street").people == [("adult", "walk")]
    # nothing visible named: nothing to draw and nothing left undrawn (an abstract frame)
    nothing = read_scene("抽象的想法")
    assert not nothing.known() and drawing.resolve("抽象的想法").record() == {"drawn": [], "undrawn": []}
    # a visible thing nothing can draw is never silently replaced: it is reported
    seen = drawing.resolve("海边的一座灯塔")
    assert seen.undrawn == ["灯塔"] and [t.draws for t in seen.things] == ["animatic:beach"]


def test_captions_change_only_the_caption_area(tmp_path: Path) -> None:
    on, off = tmp_path / "on.mp4", tmp_path / "off.mp4"
    render_clip(_spec(width=640, height=360), on)
    render_clip(_spec(width=640, height=360, captions=False), off)
    a = np.asarray(analysis.frame_at(on, 0.5), dtype=np.float32)
    b = np.asarray(analysis.frame_at(off, 0.5), dtype=np.float32)
    diff = np.abs(a - b).mean(axis=2)
    assert diff[int(360 * 0.75) :].mean() > 5
    assert diff[: int(360 * 0.5)].mean() < 1


def test_seed_render_has_no_black_or_frozen_frames_and_moves(seed_project: dict[str, Any]) -> None:
    v = seed_project["rendered"]
    path = v["render"]["path"]
    assert analysis.black_frames(path) == []
    assert analysis.frozen_frames(path) == []
    for start, end in shot_spans(v):
        assert analysis.motion(path, start + 0.2, start + 1.2) > 0.5, (start, end)
        assert analysis.motion(path, end - 1.2, end - 0.2) > 0.5, (start, end)


def test_brighter_grading_raises_luma_on_that_shot_only(seed_project: dict[str, Any]) -> None:
    graph, ctx = seed_project["graph"], seed_project["context"]
    before = seed_project["rendered"]
    after = turn(graph, "seed", "第二个镜头调亮一点", ctx)
    assert after["render"]["rendered"] == 1 and after["render"]["cached"] == 3
    for i, (start, end) in enumerate(shot_spans(before)):
        a = analysis.signalstats(before["render"]["path"], start + 0.1, end - 0.1).luma
        b = analysis.signalstats(after["render"]["path"], start + 0.1, end - 0.1).luma
        if i == 1:
            assert b > a + 5, (a, b)
        else:
            assert abs(b - a) < 0.5, (i, a, b)
    turn(graph, "seed", "撤销", ctx)


def test_dissolve_blends_the_boundary_and_keeps_the_length(seed_project: dict[str, Any]) -> None:
    graph, ctx = seed_project["graph"], seed_project["context"]
    cut = seed_project["rendered"]
    v = turn(graph, "seed", "在第一和第二个镜头之间加溶解转场", ctx)
    assert v["settings"]["transitions"] == {"1": "dissolve"} and v["render"]["rendered"] == 2
    assert abs(v["render"]["duration"] - cut["render"]["duration"]) < 0.05
    b = cut["plan"][0]["end"]
    mid = np.asarray(analysis.frame_at(v["render"]["path"], b), dtype=np.float32)
    a = np.asarray(analysis.frame_at(cut["render"]["path"], b - 0.1), dtype=np.float32)
    c = np.asarray(analysis.frame_at(cut["render"]["path"], b + 0.1), dtype=np.float32)
    blend = np.abs(mid - (a + c) / 2).mean()
    assert blend < np.abs(mid - a).mean() and blend < np.abs(mid - c).mean()
    turn(graph, "seed", "撤销", ctx)


def test_contact_sheet_command(seed_project: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "sheet.png"
    cmd = [sys.executable, "-m", "graph.cli", "sheet", "--db", str(seed_project["db"]), "--thread", "seed"]
    env = {"CINECHAT_DATA": seed_project["context"].data_dir, "PATH": "/usr/bin:/bin"}
    subprocess.run([*cmd, "--out", str(out), "--width", "320"], check=True, cwd=ROOT, env=env, timeout=120)
    from PIL import Image

    with Image.open(out) as img:
        assert img.width == 2 * 320 and img.height > 2 * 180


def _png(path: Path, size: tuple[int, int]) -> Path:
    from PIL import Image

    img = Image.new("RGB", size)
    px = np.zeros((size[1], size[0], 3), dtype=np.uint8)
    px[:, : size[0] // 2] = (220, 40, 40)
    px[:, size[0] // 2 :] = (40, 60, 220)
    img = Image.fromarray(px)
    img.save(path)
    return path


def test_image_to_video_uses_the_image(app: Any, tmp_path: Path) -> None:
    from graph.state import user_message

    image = _png(tmp_path / "photo.png", (800, 600))
    config = {"configurable": {"thread_id": "img"}}
    app.invoke(
        {"messages": [user_message("a short video about my holiday, 12 seconds", [str(image)])]},
        config,
        context=app.test_context,
    )
    v = app.get_state(config).values
    assert v["script"]["shots"][0]["image"]["key"]
    v = turn(app, "img", "go ahead")
    start, end = v["plan"][0]["start"], v["plan"][0]["end"]
    frame = np.asarray(analysis.frame_at(v["render"]["path"], (start + end) / 2, 320), dtype=np.float32)
    left, right = frame[40:120, 20:100].mean(axis=(0, 1)), frame[40:120, -100:-20].mean(axis=(0, 1))
    assert left[0] > left[2] + 60 and right[2] > right[0] + 60  # red half left, blue half right
    assert analysis.motion(v["render"]["path"], start + 0.2, end - 0.2) > 0.3  # animated, not a still


def _huge_png(path: Path, size: int = 20000) -> Path:
    """A PNG whose header claims size x size pixels (its data is never decoded)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0"))
        + chunk(b"IEND", b"")
    )
    return path


@pytest.mark.parametrize(
    ("make", "code", "needle"),
    [
        (
            lambda p: (p / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really") and p / "broken.png",
            "image_invalid",
            "不是可以读取的图片",
        ),
        (
            lambda p: (p / "notes.jpg").write_text("hello") and p / "notes.jpg",
            "image_invalid",
            "不是可以读取的图片",
        ),
        (lambda p: _huge_png(p / "huge.png"), "image_too_large", "图片太大"),
        (lambda p: p / "missing.png", "image_missing", "找不到图片"),
    ],
)
def test_bad_images_change_nothing(app: Any, tmp_path: Path, make: Any, code: str, needle: str) -> None:
    from graph.state import user_message

    turn(app, "bad", "我想创建一个关于春天的30秒短视频")
    config = {"configurable": {"thread_id": "bad"}}
    before = project(app.get_state(config).values)
    app.invoke(
        {"messages": [user_message("把这张图用在第二个镜头", [str(make(tmp_path))])]},
        config,
        context=app.test_context,
    )
    v = app.get_state(config).values
    assert v["intent"]["slots"]["error"] == code and needle in v["reply"]
    assert project(v) == before


@pytest.mark.parametrize(
    ("text", "needle"),
    [("做成4:3的", "不支持4:3"), ("改成480p", "不支持480p"), ("make it 21:9", "21:9 is not supported")],
)
def test_unsupported_formats_change_nothing(say: Any, text: str, needle: str) -> None:
    say("我想创建一个关于春天的30秒短视频")
    before = project(say("有哪些版本？"))
    v = say(text)
    assert v["intent"]["slots"]["error"] == "bad_format" and needle in v["reply"]
    assert project(v) == before


def test_mood_looks_differ_measurably(tmp_path: Path) -> None:
    stats = {}
    for mood in ("cinematic", "sad", "cheerful"):
        out = tmp_path / f"{mood}.mp4"
        render_clip(_spec(mood=mood, captions=False, description="a park with trees at noon"), out)
        stats[mood] = analysis.signalstats(out)
        if mood == "cinematic":
            top = np.asarray(analysis.frame_at(out, 0.3), dtype=np.float32)[:8]
            assert top.mean() < 20  # letterbox bars
    assert stats["cheerful"].saturation > stats["sad"].saturation + 10


@pytest.mark.parametrize("size", [(1280, 720), (720, 1280), (720, 720), (1920, 1080)])
@pytest.mark.parametrize(
    "text",
    [
        "The Quiet Harbour Awakens at First Light",
        "一个关于老灯塔看守人和他的猫的温暖故事，三十秒",
        "Supercalifragilistic-expialidocious-ness",
    ],
)
def test_a_long_title_wraps_and_stays_inside_the_frame(size: tuple[int, int], text: str) -> None:
    from tools.renderer import text_overlay

    img, x, y = text_overlay(text, "title", "center", size)
    assert x >= 0 and y >= 0 and x + img.width <= size[0] and y + img.height <= size[1]
    alpha = np.asarray(img)[:, :, 3]
    rows = np.flatnonzero(alpha.max(axis=1) > 200)
    assert rows.size and rows[-1] - rows[0] >= 0.035 * min(size)  # still big enough to read
