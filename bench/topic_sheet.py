"""`make sheet` (second sheet): ten projects on varied topics, each made and rendered through
the CLI in a scratch database (offline: the animatic), one frame from the middle of each shot,
a row per project under its request. Written to docs/topics-contact-sheet.png.

    python bench/topic_sheet.py [--out docs/topics-contact-sheet.png]"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).parent / "cinechat")
FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
TOPICS = [
    ("I need a 15 second TikTok ad for our new running shoes, energetic", "go ahead"),
    ("做一个20秒的视频：宇航员在月球上插旗，远处是地球", "开始生成"),
    ("a 20 second bedtime story about a little dragon who is afraid of the dark", "go ahead"),
    ("想要一段15秒的美食短片，厨师做一碗热腾腾的拉面", "好的，生成吧"),
    ("a 20 second documentary clip about giraffes and elephants on the savanna", "go ahead"),
    ("做一个关于消防员救小猫的20秒故事", "开始生成"),
    ("a 15 second birthday video for my daughter with cake, balloons and a unicorn", "go ahead"),
    ("一段20秒的城市早高峰：公交车、出租车和骑自行车的人", "继续生成"),
    ("a spooky 20 second halloween clip: a ghost, a pumpkin and a bat in a haunted castle", "go ahead"),
    ("给咖啡店做一个15秒的广告，一杯拿铁和一块蛋糕", "开始生成"),
]


def main() -> int:
    """Make the ten projects, render them and write the sheet."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "docs" / "topics-contact-sheet.png"))
    parser.add_argument("--width", type=int, default=320)
    args = parser.parse_args()
    env = {**os.environ, "CINECHAT_RESOLUTION": "720p", "CINECHAT_USE_LLM": "0"}
    rows: list[tuple[str, Image.Image]] = []
    with tempfile.TemporaryDirectory(prefix="cinechat-topics-") as tmp:
        db = str(Path(tmp) / "db.sqlite")
        for k, (request, go) in enumerate(TOPICS):
            thread = f"topic{k}"
            for text in (request, go):
                said = subprocess.run(
                    [CLI, "say", "--db", db, "--thread", thread, "--quiet", "--json", text],
                    check=True,
                    env=env,
                    capture_output=True,
                    text=True,
                )
            video = json.loads(said.stdout)["video"]
            png = Path(tmp) / f"{thread}.png"
            subprocess.run(
                [CLI, "sheet", "--db", db, "--thread", thread, "--out", str(png), "--width", str(args.width)],
                check=True,
                env=env,
                stdout=subprocess.DEVNULL,
            )
            aspect = video["height"] / video["width"]
            rows.append((request, _one_row(Image.open(png).convert("RGB"), args.width, aspect)))
            print(f"{k + 1}/{len(TOPICS)} {request}", flush=True)
    font = ImageFont.truetype(FONT, 22)
    band = 34
    width = max(r.width for _, r in rows)
    sheet = Image.new("RGB", (width, sum(r.height + band for _, r in rows)), (24, 24, 28))
    draw = ImageDraw.Draw(sheet)
    y = 0
    for request, row in rows:
        draw.text((8, y + 5), request, font=font, fill=(235, 235, 235))
        sheet.paste(row, (0, y + band))
        y += row.height + band
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out, optimize=True)
    print(args.out)
    return 0


def _one_row(sheet: Image.Image, width: int, aspect: float) -> Image.Image:
    """The contact sheet's frames (a grid of `width`-wide cells with a label band, each frame
    `aspect` times as tall as wide) as one row."""
    cols = max(1, sheet.width // width)
    cell_h = 2 * round(width * aspect / 2) + max(22, width // 16)
    cells = []
    for r in range(sheet.height // cell_h):
        for c in range(cols):
            cell = sheet.crop((c * width, r * cell_h, (c + 1) * width, (r + 1) * cell_h))
            if cell.getbbox() and max(cell.convert("L").getextrema()) > 40:
                cells.append(cell)
    row = Image.new("RGB", (len(cells) * (width + 4), cell_h), (24, 24, 28))
    for i, cell in enumerate(cells):
        row.paste(cell, (i * (width + 4), 0))
    return row


if __name__ == "__main__":
    sys.exit(main())
