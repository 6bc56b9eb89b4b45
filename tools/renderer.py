"""The procedural animatic renderer: a composed keyframe per shot from its description (the
scenes lexicon), a camera move by shot type, grading, and a burned-in caption, encoded by ffmpeg."""

from __future__ import annotations

import math
import random
import re
import tempfile
import textwrap
from pathlib import Path
from typing import Any

from tools import lexicon
from tools.ffmpeg import run_ffmpeg

RENDERER_VERSION = "animatic-1"
OVERSCAN = 1.15
X264_PRESET = "veryfast"
X264_CRF = 23
CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
LATIN_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
RESOLUTIONS = {"720p": 720, "1080p": 1080, "2160p": 2160}
ASPECTS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1)}

Color = tuple[int, int, int]


def frame_size(aspect: str, resolution: str) -> tuple[int, int]:
    """Pixel size for an aspect ratio and a resolution name (the short side is the height
    for 16:9 and the width for 9:16), both even."""
    if aspect not in ASPECTS or resolution not in RESOLUTIONS:
        raise ValueError(f"unsupported format {aspect} {resolution}")
    short = RESOLUTIONS[resolution]
    a, b = ASPECTS[aspect]
    long_side = round(short * max(a, b) / min(a, b) / 2) * 2
    return (long_side, short) if a >= b else (short, long_side)


def _mentions(word: str, low: str) -> bool:
    if word.isascii():
        return re.search(rf"\b{re.escape(word.lower())}", low) is not None
    return word in low


def _words(kind: str, text: str) -> list[str]:
    low = text.lower()
    table = lexicon.load("scenes")[kind]
    return [key for key, words in table.items() if any(_mentions(w, low) for w in words)]


def _mix(a: Color, b: Color, t: float) -> Color:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def _tuple(c: list[int]) -> Color:
    return (int(c[0]), int(c[1]), int(c[2]))


def compose_keyframe(
    description: str, mood: str, size: tuple[int, int], seed: int, shot_type: str = "medium"
) -> Any:
    """Draw the scene a description names (sky, ground, elements, figures) at `size`."""
    from PIL import Image, ImageDraw, ImageFilter

    scenes = lexicon.load("scenes")
    rng = random.Random(seed)
    w, h = size
    palette = scenes["palettes"].get(mood, scenes["palettes"]["warm"])
    times = _words("time_of_day", description)
    sky = [_tuple(c) for c in palette["sky"]]
    if times:
        sky = [_tuple(c) for c in scenes[f"{times[0]}_sky"]]
    night = "night" in times
    weather = _words("weather", description)
    grounds = _words("ground", description) or ["grass"]
    elements = set(_words("elements", description))
    people = _words("people", description)
    close = shot_type == "close-up"
    aerial = shot_type == "aerial"

    img = Image.new("RGB", size, sky[0])
    draw = ImageDraw.Draw(img, "RGBA")
    horizon = int(h * (0.45 if aerial else 0.62 if not close else 0.75))
    for y in range(horizon):
        draw.line([(0, y), (w, y)], fill=_mix(sky[0], sky[1], y / max(1, horizon)))
    if night:
        for _ in range(120):
            x, y = rng.randrange(w), rng.randrange(max(1, horizon))
            draw.ellipse([x, y, x + 3, y + 3], fill=(255, 255, 230, rng.randrange(120, 255)))
    body = (235, 235, 210) if night or "moon" in elements else (255, 236, 150)
    r = int(h * 0.07)
    cx, cy = int(w * rng.uniform(0.65, 0.85)), int(horizon * rng.uniform(0.2, 0.45))
    for k in range(6, 0, -1):
        draw.ellipse([cx - r * k / 2, cy - r * k / 2, cx + r * k / 2, cy + r * k / 2], fill=(*body, 18))
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=body)
    if not night:
        for _ in range(rng.randint(2, 4)):
            x, y = rng.randrange(w), rng.randrange(int(horizon * 0.6) + 1)
            for j in range(4):
                cw = int(w * rng.uniform(0.05, 0.09))
                draw.ellipse(
                    [x + j * cw * 0.6, y - cw * 0.3, x + j * cw * 0.6 + cw, y + cw * 0.3],
                    fill=(255, 255, 255, 170),
                )

    ground = grounds[0]
    gcol = _tuple(palette["ground"])
    if ground == "sea":
        sea = (40, 110, 170) if not night else (20, 40, 80)
        draw.rectangle([0, horizon, w, int(h * 0.82)], fill=sea)
        for i in range(14):
            wy0 = horizon + (h * 0.82 - horizon) * i / 14
            draw.arc(
                [rng.randrange(-w // 4, w), wy0, rng.randrange(w // 2, w * 2), wy0 + 20],
                180,
                360,
                fill=(230, 245, 255, 140),
                width=3,
            )
        draw.rectangle([0, int(h * 0.82), w, h], fill=(235, 210, 160))
    elif ground == "street" or "buildings" in elements:
        base = (60, 60, 80) if night else (150, 150, 165)
        x = 0
        while x < w:
            bw, bh = rng.randint(w // 14, w // 7), rng.randint(int(h * 0.15), int(h * 0.45))
            shade = _mix(base, sky[0], rng.uniform(0, 0.3))
            draw.rectangle([x, horizon - bh, x + bw, horizon], fill=shade)
            for wy in range(horizon - bh + 15, horizon - 10, 30):
                for wx in range(x + 10, x + bw - 15, 28):
                    lit = rng.random() < (0.6 if night else 0.2)
                    draw.rectangle(
                        [wx, wy, wx + 12, wy + 16],
                        fill=(255, 220, 120) if lit else _mix(shade, (0, 0, 0), 0.3),
                    )
            x += bw + rng.randint(0, 10)
        draw.rectangle([0, horizon, w, h], fill=(45, 45, 55) if night else (110, 110, 120))
        if night:
            for _ in range(6):
                nx, ny = rng.randrange(w), rng.randint(int(horizon * 0.6), horizon - 20)
                neon = rng.choice([(255, 60, 160), (60, 220, 255), (255, 200, 60)])
                draw.rectangle([nx, ny, nx + 80, ny + 24], outline=neon, width=4)
    elif ground == "interior":
        draw.rectangle([0, 0, w, h], fill=_mix(sky[1], (120, 80, 60), 0.35))
        draw.rectangle(
            [int(w * 0.1), int(h * 0.12), int(w * 0.5), int(h * 0.55)],
            fill=sky[0],
            outline=(90, 60, 40),
            width=12,
        )
        draw.rectangle([0, int(h * 0.7), w, h], fill=(140, 95, 60))
    else:
        draw.rectangle([0, horizon, w, h], fill=gcol)
        for _ in range(300):
            gx, gy = rng.randrange(w), rng.randint(horizon, h)
            draw.line(
                [(gx, gy), (gx + rng.randint(-4, 4), gy - rng.randint(6, 16))],
                fill=_mix(gcol, (40, 90, 40), 0.4),
                width=2,
            )
    if "tree" in elements or (ground == "grass" and not close):
        for _ in range(rng.randint(2, 4)):
            tx = rng.randrange(w)
            th = int(h * rng.uniform(0.2, 0.32))
            draw.rectangle([tx - 10, horizon - th, tx + 10, horizon + 10], fill=(110, 80, 60))
            crown = _tuple(palette["accent"]) if "flower" in elements else (90, 150, 80)
            draw.ellipse(
                [tx - th * 0.45, horizon - th * 1.5, tx + th * 0.45, horizon - th * 0.7], fill=(*crown, 230)
            )
    if "bench" in elements:
        bx, by = int(w * 0.42), int(h * 0.78)
        draw.rectangle([bx, by, bx + w * 0.18, by + 16], fill=(130, 90, 60))
        draw.rectangle([bx, by - 50, bx + w * 0.18, by - 36], fill=(130, 90, 60))
        for lx in (bx + 10, bx + int(w * 0.18) - 20):
            draw.rectangle([lx, by, lx + 10, by + 50], fill=(80, 60, 45))
    if "flower" in elements or close:
        count = 3 if close else 40
        for _ in range(count):
            fx = rng.randrange(w) if not close else int(w * rng.uniform(0.3, 0.7))
            fy = rng.randint(horizon, h) if not close else int(h * rng.uniform(0.35, 0.7))
            fr = int(h * (0.12 if close else 0.012))
            col = _tuple(palette["accent"])
            for k in range(5):
                ang = k * 2 * math.pi / 5
                px, py = fx + math.cos(ang) * fr, fy + math.sin(ang) * fr
                draw.ellipse([px - fr, py - fr, px + fr, py + fr], fill=(*col, 220))
            draw.ellipse([fx - fr * 0.6, fy - fr * 0.6, fx + fr * 0.6, fy + fr * 0.6], fill=(255, 215, 90))
    if "drop" in elements or "rain" in weather:
        dx, dy = int(w * 0.55), int(h * 0.55)
        dr = int(h * (0.05 if close else 0.01))
        draw.ellipse(
            [dx - dr, dy - dr, dx + dr, dy + dr],
            fill=(200, 230, 255, 200),
            outline=(255, 255, 255, 255),
            width=3,
        )
        draw.polygon(
            [(dx - dr * 0.7, dy - dr * 0.6), (dx + dr * 0.7, dy - dr * 0.6), (dx, dy - dr * 2.2)],
            fill=(200, 230, 255, 200),
        )
    if "cup" in elements:
        cx2, cy2, cr = int(w * 0.5), int(h * 0.62), int(h * (0.16 if close else 0.06))
        draw.rectangle([cx2 - cr, cy2 - cr * 0.2, cx2 + cr, cy2 + cr], fill=(245, 245, 240))
        draw.ellipse([cx2 - cr, cy2 - cr * 0.45, cx2 + cr, cy2 + cr * 0.05], fill=(150, 100, 60))
        draw.ellipse([cx2 - cr * 0.4, cy2 - cr * 0.3, cx2 + cr * 0.4, cy2 - cr * 0.05], fill=(240, 225, 200))
    figure_scale = h * (0.34 if close else 0.12 if aerial else 0.22)
    for i, kind in enumerate(people):
        fx = int(w * (0.3 + 0.25 * i) + rng.randint(-40, 40))
        fy = int(h * (0.86 if not aerial else 0.7))
        _figure(
            draw,
            fx,
            fy,
            figure_scale * (0.7 if kind == "child" else 1.0),
            (120, 120, 130) if kind == "old" else _tuple(palette["accent"]),
            umbrella="umbrella" in elements,
        )
    if "birds" in elements:
        for _ in range(14 if aerial else 7):
            bx2, by2 = rng.randrange(w), rng.randint(int(h * 0.1), int(horizon * 0.95))
            s = rng.randint(14, 30) * (1.6 if close else 1)
            draw.line(
                [(bx2 - s, by2 - s * 0.4), (bx2, by2), (bx2 + s, by2 - s * 0.4)],
                fill=(60, 60, 70) if not night else (220, 220, 230),
                width=4,
            )
    if "rain" in weather:
        for _ in range(500):
            rx, ry = rng.randrange(w), rng.randrange(h)
            draw.line([(rx, ry), (rx - 6, ry + 28)], fill=(200, 210, 230, 110), width=2)
    if "snow" in weather:
        for _ in range(350):
            sx, sy, sr = rng.randrange(w), rng.randrange(h), rng.randint(2, 6)
            draw.ellipse([sx - sr, sy - sr, sx + sr, sy + sr], fill=(255, 255, 255, 220))
    return img.filter(ImageFilter.GaussianBlur(1.2))


def _figure(draw: Any, x: int, ground_y: int, height: float, color: Color, umbrella: bool = False) -> None:
    """A stylised person standing at (x, ground_y)."""
    head = height * 0.13
    body_top = ground_y - height * 0.78
    draw.ellipse([x - head, body_top - head * 2, x + head, body_top], fill=(240, 205, 175))
    draw.rounded_rectangle(
        [x - head * 1.2, body_top, x + head * 1.2, ground_y - height * 0.35],
        radius=int(head * 0.6),
        fill=color,
    )
    for dx in (-0.5, 0.5):
        draw.line(
            [(x + dx * head, ground_y - height * 0.35), (x + dx * head * 1.6, ground_y)],
            fill=(70, 60, 60),
            width=max(3, int(head * 0.5)),
        )
    if umbrella:
        draw.pieslice(
            [x - head * 4, body_top - head * 5, x + head * 4, body_top + head], 180, 360, fill=(60, 70, 150)
        )


def caption_image(text: str, size: tuple[int, int]) -> Any:
    """A transparent overlay of the frame's size with the caption in a band at the bottom."""
    from PIL import Image, ImageDraw, ImageFont

    w, h = size
    img = Image.new("RGBA", size, (0, 0, 0, 0))
    if not text.strip():
        return img
    cjk = any("\u4e00" <= ch <= "\u9fff" for ch in text)
    font_size = max(16, int(min(w, h) * 0.045))
    font = ImageFont.truetype(CJK_FONT if cjk else LATIN_FONT, font_size)
    per_line = max(8, int(w * 0.86 / (font_size * (1.0 if cjk else 0.55))))
    lines = (
        textwrap.wrap(text, per_line)
        if not cjk
        else [text[i : i + per_line] for i in range(0, len(text), per_line)]
    )
    lines = lines[:3]
    line_h = int(font_size * 1.35)
    band_h = line_h * len(lines) + font_size
    draw = ImageDraw.Draw(img)
    top = h - band_h - int(h * 0.05)
    draw.rounded_rectangle(
        [int(w * 0.05), top, int(w * 0.95), top + band_h], radius=font_size // 2, fill=(0, 0, 0, 120)
    )
    for i, line in enumerate(lines):
        tw = draw.textlength(line, font=font)
        draw.text(
            ((w - tw) / 2, top + font_size / 2 + i * line_h),
            line,
            font=font,
            fill=(255, 255, 255, 255),
            stroke_width=2,
            stroke_fill=(0, 0, 0, 200),
        )
    return img


def camera_filter(camera: str, frames: int, size: tuple[int, int], fps: int, speed: float = 1.0) -> str:
    """An ffmpeg crop/zoompan expression for the camera move over `frames` frames."""
    p = f"min(1,n*{speed:.4f}/{max(1, frames - 1)})"
    zoom = f"{OVERSCAN:.3f}+0.12*min(1,on*{speed:.4f}/{max(1, frames - 1)})"
    moves = {
        "push_in": f"zoompan=z='{zoom}':x='iw/2-iw/zoom/2':y='ih/2-ih/zoom/2':d=1"
        f":s={size[0]}x{size[1]}:fps={fps}",
        "pan": f"crop=w=iw/{OVERSCAN}:h=ih/{OVERSCAN}:x='(iw-ow)*{p}':y='(ih-oh)/2'",
        "track": f"crop=w=iw/{OVERSCAN}:h=ih/{OVERSCAN}:x='(iw-ow)*(1-{p})':y='(ih-oh)*0.6'",
        "crane_up": f"crop=w=iw/{OVERSCAN}:h=ih/{OVERSCAN}:x='(iw-ow)/2':y='(ih-oh)*(1-{p})'",
        "drift": f"crop=w=iw/{OVERSCAN}:h=ih/{OVERSCAN}:x='(iw-ow)*(0.25+0.5*{p})':y='(ih-oh)/2'",
        "static": f"crop=w=iw/{OVERSCAN}:h=ih/{OVERSCAN}",
    }
    return moves.get(camera, moves["drift"])


def grade_filter(grade: dict[str, float]) -> str:
    """ffmpeg filters for a shot's grading (brightness, contrast, saturation, temperature)."""
    b = float(grade.get("brightness", 0.0))
    c = float(grade.get("contrast", 1.0))
    s = float(grade.get("saturation", 1.0))
    t = float(grade.get("temperature", 0.0))
    parts = [f"eq=brightness={b:.3f}:contrast={c:.3f}:saturation={s:.3f}"]
    if abs(t) > 1e-6:
        parts.append(f"colortemperature=temperature={6500 - 3000 * t:.0f}")
    return ",".join(parts)


def render_clip(spec: dict[str, Any], out_path: Path) -> None:
    """Render one shot spec to an H.264 MP4 (video only) with exactly spec['frames'] frames."""
    w, h = int(spec["width"]), int(spec["height"])
    fps, frames = int(spec["fps"]), int(spec["frames"])
    big = (round(w * OVERSCAN / 2) * 2, round(h * OVERSCAN / 2) * 2)
    key_img = compose_keyframe(
        spec["description"],
        spec.get("mood", "warm"),
        big,
        int(spec.get("seed", 0)),
        spec.get("shot_type", "medium"),
    )
    with tempfile.TemporaryDirectory(prefix="cinechat-clip-") as tmp:
        key_path = Path(tmp) / "key.bmp"
        key_img.save(key_path)
        cap_path = Path(tmp) / "caption.png"
        caption_image(spec.get("caption", "") if spec.get("captions", True) else "", (w, h)).save(cap_path)
        chain = [
            camera_filter(spec.get("camera", "drift"), frames, (w, h), fps, float(spec.get("speed", 1.0))),
            f"scale={w}:{h}",
            grade_filter(spec.get("grade", {})),
        ]
        dur = frames / fps
        fade = float(spec.get("fade", 0.0))
        if fade > 0:
            chain.append(f"fade=t=in:st=0:d={fade:.2f},fade=t=out:st={max(0, dur - fade):.3f}:d={fade:.2f}")
        graph = f"[0:v]{','.join(chain)}[bg];[bg][1:v]overlay=0:0:format=auto,format=yuv420p[v]"
        run_ffmpeg(
            [
                "-loop",
                "1",
                "-framerate",
                str(fps),
                "-i",
                str(key_path),
                "-loop",
                "1",
                "-framerate",
                str(fps),
                "-i",
                str(cap_path),
                "-filter_complex",
                graph,
                "-map",
                "[v]",
                "-frames:v",
                str(frames),
                "-r",
                str(fps),
                "-c:v",
                "libx264",
                "-preset",
                X264_PRESET,
                "-crf",
                str(X264_CRF),
                "-pix_fmt",
                "yuv420p",
                "-threads",
                "2",
                "-movflags",
                "+faststart",
                str(out_path),
            ]
        )


def concat_clips(paths: list[Path], out_path: Path) -> None:
    """Join clips of identical encoding settings without re-encoding."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as fh:
        for p in paths:
            fh.write(f"file '{Path(p).resolve().as_posix()}'\n")
        listing = fh.name
    try:
        run_ffmpeg(
            [
                "-f",
                "concat",
                "-safe",
                "0",
                "-i",
                listing,
                "-c",
                "copy",
                "-movflags",
                "+faststart",
                str(out_path),
            ]
        )
    finally:
        Path(listing).unlink(missing_ok=True)
