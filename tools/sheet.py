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
