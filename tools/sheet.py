"""Picture sheets: the storyboard strip of a script (a drawn frame per shot), contact sheets
(one frame from the middle of each shot of a video) and before/after frames."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tools.analysis import frame_at
from tools.assets import AssetStore, content_key
from tools.project import DEFAULT_MOOD, Script
from tools.renderer import CJK_FONT

STRIP_FRAME = (320, 180)
"""The size of one storyboard frame."""
STRIP_GAP = 8


def storyboard_strip(store: AssetStore, script: Script) -> str:
    """The storyboard of a script as one PNG strip in the asset store (made once per content):
    one frame per shot drawn by the animatic composer, numbered. Returns its store key."""
    from PIL import Image, ImageDraw, ImageFont

    from tools.scene import compose, flatten

    shots = script.get("shots", [])
    mood = script.get("mood", DEFAULT_MOOD)
    drawn = [[s["description"], s["shot_type"]] for s in shots]
    key = content_key({"shots": drawn, "mood": mood, "size": STRIP_FRAME}, salt="strip-2")
    if store.has("storyboards", key, "png"):
        return store.ref("storyboards", key, "png")
    (w, h), gap = STRIP_FRAME, STRIP_GAP
    strip = Image.new("RGB", (max(1, len(shots) * (w + gap) - gap), h), (24, 24, 28))
    draw = ImageDraw.Draw(strip)
    font = ImageFont.truetype(CJK_FONT, 22)
    for i, (description, shot_type) in enumerate(drawn):
        strip.paste(flatten(compose(description, mood, (w, h), i + 1, shot_type)), (i * (w + gap), 0))
        draw.rectangle([i * (w + gap), 0, i * (w + gap) + 30, 30], fill=(0, 0, 0))
        draw.text((i * (w + gap) + 8, 2), str(i + 1), font=font, fill=(255, 255, 255))
    tmp = store.tmp_path("storyboards", key, "png")
    strip.save(tmp, format="PNG")
    store.commit(tmp, "storyboards", key, "png", shots=len(shots))
    return store.ref("storyboards", key, "png")


def contact_sheet(video: str | Path, shots: list[dict[str, Any]], out: str | Path, width: int = 480) -> Path:
    """Write a PNG with the middle frame of each shot ({start, end, label}) of `video`."""
    from PIL import Image, ImageDraw, ImageFont

    frames = [frame_at(video, (s["start"] + s["end"]) / 2, width) for s in shots]
    if not frames:
        raise ValueError("no shots to show")
    cols = min(len(frames), 2 if frames[0].height > frames[0].width else 2 if len(frames) == 4 else 3)
    rows = (len(frames) + cols - 1) // cols
    fw, fh = frames[0].size
    band = max(22, fw // 16)
    sheet = Image.new("RGB", (cols * fw, rows * (fh + band)), (24, 24, 28))
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.truetype(CJK_FONT, int(band * 0.62))
    for i, (img, shot) in enumerate(zip(frames, shots, strict=True)):
        x, y = (i % cols) * fw, (i // cols) * (fh + band)
        sheet.paste(img, (x, y + band))
        draw.text(
            (x + 8, y + band * 0.15), str(shot.get("label", f"{i + 1}"))[:60], font=font, fill=(235, 235, 235)
        )
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)
    return out


def before_after(
    a: tuple[str | Path, float, str], b: tuple[str | Path, float, str], out: str | Path, width: int = 480
) -> Path:
    """Two frames side by side, each (video, time, label): the same shot in two versions."""
    from PIL import Image, ImageDraw, ImageFont

    frames = [frame_at(v, t, width) for v, t, _ in (a, b)]
    fw = max(f.width for f in frames)
    fh = max(f.height for f in frames)
    band = max(22, fw // 16)
    sheet = Image.new("RGB", (2 * fw + 8, fh + band), (24, 24, 28))
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.truetype(CJK_FONT, int(band * 0.62))
    for i, (img, (_, _, label)) in enumerate(zip(frames, (a, b), strict=True)):
        x = i * (fw + 8)
        sheet.paste(img, (x, band))
        draw.text((x + 8, band * 0.15), label, font=font, fill=(235, 235, 235))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)
    return out
