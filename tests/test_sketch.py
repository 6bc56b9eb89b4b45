"""Sketch to video, offline: a photographed pencil drawing (made here: off-white paper, a
shadow across it, grey lines) is cleaned, its closed regions filled, and it is drawn on in the
shot it is sent for; `cinechat say --json` shows the shot's source; undo takes it back out; a
blank page is refused with the project unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from graph.state import user_message
from tests.helpers import on_disk, project, turn
from tools import lexicon, sketch


def pencil_bird(path: Path, seed: int = 1) -> Path:
    """A pencil drawing of a bird photographed on paper with a shadow across a corner."""
    w, h = 1200, 900
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    paper = 235 - 55 * np.clip((xx / w * 0.6 + yy / h * 0.8) - 0.7, 0, 1) + rng.normal(0, 3, (h, w))
    img = Image.fromarray(np.clip(paper, 0, 255).astype(np.uint8)).convert("RGB")
    d = ImageDraw.Draw(img)
    ink = (80, 80, 90)
    d.ellipse((380, 380, 760, 600), outline=ink, width=6)
    d.ellipse((700, 300, 860, 450), outline=ink, width=6)
    d.polygon([(855, 370), (960, 395), (850, 405)], outline=ink, width=5)
    d.line([(450, 420), (560, 230), (640, 430)], fill=ink, width=6)
    d.line([(380, 480), (250, 420), (300, 520), (380, 520)], fill=ink, width=6)
    img.filter(ImageFilter.GaussianBlur(1.2)).save(path, quality=85)
    return path


def test_cleaning_removes_the_paper_and_the_shadow_and_fills_the_regions(tmp_path: Path) -> None:
    picture = Image.open(pencil_bird(tmp_path / "bird.jpg"))
    cleaned = sketch.clean(picture)
    assert cleaned.count >= 3  # body, head, wing at least: closed lines become regions
    assert 0.01 < float(cleaned.ink.mean()) < 0.2  # lines, not the shadowed paper
    assert sketch.looks_like_sketch(picture)
    photo = Image.fromarray(np.random.default_rng(0).integers(0, 255, (300, 400, 3), dtype=np.uint8))
    assert not sketch.looks_like_sketch(photo)
    reveal, boil = sketch.frames(cleaned, lexicon.load("scenes")["palettes"]["cheerful"], 200)
    drawn = [float((np.asarray(f)[..., 3] > 0).mean()) for f in reveal]
    assert drawn == sorted(drawn) and drawn[0] < drawn[-1] / 3  # it is drawn on, more each frame
    a, b = (np.asarray(f)[..., :3].astype(int) for f in boil[:2])
    assert 0 < float(np.abs(a - b).mean()) < 8  # the lines boil a little, not a lot
    with pytest.raises(sketch.SketchError) as err:
        sketch.clean(Image.new("RGB", (800, 600), (240, 238, 230)))
    assert err.value.code == "sketch_blank"


def _send(app: Any, text: str, sketches: list[str]) -> dict[str, Any]:
    config = {"configurable": {"thread_id": "t"}}
    app.invoke({"messages": [user_message(text, sketches=sketches)]}, config, context=app.test_context)
    return on_disk(dict(app.get_state(config).values), app.test_context.data_dir)


def test_a_sketch_for_a_shot_is_drawn_on_in_it_and_undo_takes_it_out(app: Any, tmp_path: Path) -> None:
    import dataclasses
    import subprocess

    from graph.cli import shot_source

    app.test_context = dataclasses.replace(app.test_context, resolution="360p")
    turn(app, "t", "做一个关于春天草地上小鸟的12秒视频")
    after = _send(app, "第二个镜头用我画的这张草图", [str(pencil_bird(tmp_path / "bird.jpg"))])
    assert [shot_source(s) for s in after["script"]["shots"]] == ["text", "sketch", "text"]
    done = turn(app, "t", "继续生成")
    spans, start = [], 0.0
    for s in done["script"]["shots"]:
        spans.append((start, start + s["duration"]))
        start += s["duration"]
    a, b = spans[1]
    frames = tmp_path / "f"
    frames.mkdir()
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", done["render"]["path"], "-vf", "fps=8", str(frames / "%03d.png")],
        check=True,
        timeout=120,
    )
    dark = []
    for k, path in enumerate(sorted(frames.glob("*.png"))):
        t = k / 8
        if a + 0.1 < t < b - 0.1:
            pixels = np.asarray(Image.open(path).convert("RGB"), dtype=int)
            dark.append(float((pixels.sum(axis=2) < 180).mean()))  # the sketch's ink
    assert dark[0] < dark[-1] and max(dark) > 0.003, dark  # drawn on, then there
    back = turn(app, "t", "撤销")
    assert [shot_source(s) for s in back["script"]["shots"]] == ["text", "text", "text"]


def test_a_blank_sketch_is_refused_and_changes_nothing(app: Any, tmp_path: Path) -> None:
    turn(app, "t", "make a 10 second video about a kite")
    config = {"configurable": {"thread_id": "t"}}
    before = project(dict(app.get_state(config).values))
    Image.new("RGB", (800, 600), (240, 238, 230)).save(tmp_path / "blank.png")
    after = _send(app, "use my sketch for shot 1", [str(tmp_path / "blank.png")])
    assert after["intent"]["slots"]["error"] == "sketch_blank" and "no lines" in after["reply"]
    assert project(dict(app.get_state(config).values)) == before


@pytest.mark.parametrize(
    ("words", "where"),
    [
        ("i doodled this robot, add it as an extra shot", -1),
        ("在第二个镜头后面新加一个镜头，用我画的这张", 2),
    ],
)
def test_a_new_shot_is_made_from_a_sketch_and_undo_takes_it_out(
    app: Any, tmp_path: Path, words: str, where: int
) -> None:
    from graph.cli import shot_source

    made = turn(app, "t", "make a 12 second video about a robot in a city")
    before = [s["id"] for s in made["script"]["shots"]]
    after = _send(app, words, [str(pencil_bird(tmp_path / "robot.jpg"))])
    shots = after["script"]["shots"]
    assert len(shots) == len(before) + 1, after["outcome"]
    new = len(shots) - 1 if where == -1 else where  # 0-based place of the new shot
    assert shots[new]["id"] not in before and shot_source(shots[new]) == "sketch"
    assert [shot_source(s) for i, s in enumerate(shots) if i != new] == ["text"] * len(before)
    back = turn(app, "t", "undo" if where == -1 else "撤销")
    assert [s["id"] for s in back["script"]["shots"]] == before


def test_a_new_video_from_a_sketch_while_a_project_exists(app: Any, tmp_path: Path) -> None:
    from graph.cli import shot_source

    turn(app, "t", "make a 10 second video about a kite")
    after = _send(app, "make a whole new video from my drawing pls", [str(pencil_bird(tmp_path / "b.jpg"))])
    assert after["intent"]["intent"] == "create" and after["status"] == "awaiting_approval"
    assert shot_source(after["script"]["shots"][0]) == "sketch" and after["version"] == "v2.0", after[
        "version"
    ]
