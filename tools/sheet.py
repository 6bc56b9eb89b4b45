"""Contact sheets: one frame from the middle of each shot, tiled with the shot's label."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tools.analysis import frame_at
from tools.renderer import CJK_FONT


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
