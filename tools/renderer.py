"""The procedural animatic renderer: a shot's composition (tools/scene.py) animated by one
ffmpeg filter graph (camera, parallax, sprites, grading, look, caption, fades) and encoded
with libx264; clips are joined by stream copy, or through xfade when a boundary dissolves,
wipes or slides."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
import textwrap
import threading
from pathlib import Path
from typing import Any

from tools import procs
from tools import scene as scenes
from tools.errors import RequestError
from tools.ffmpeg import run_ffmpeg
from tools.project import DEFAULT_MOOD, Grade, Script, Settings, ShotSpec

RENDERER_VERSION = "animatic-4"
X264_PRESET = os.environ.get("CINECHAT_X264_PRESET", "veryfast")
X264_CRF = 23
ENCODER = ["-c:v", "libx264", "-preset", X264_PRESET, "-crf", str(X264_CRF)]
CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
LATIN_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
RESOLUTIONS = {"360p": 360, "720p": 720, "1080p": 1080, "2160p": 2160}
"""Picture heights; 360p is a quick draft size (and what renders drop to under load)."""
ASPECTS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1)}
TRANSITIONS = ("cut", "fade", "dissolve", "wipe", "slide")
XFADE = {"dissolve": "dissolve", "wipe": "wipeleft", "slide": "slideleft"}
TRANSITION_SECONDS = 0.6


def handle_frames(fps: int) -> int:
    """Frames each side of a crossfade adds to its clip: half the transition, rounded. The
    crossfade itself lasts exactly both handles (`crossfade_seconds`), so a joined video keeps
    its planned length at every frame rate."""
    return round(TRANSITION_SECONDS * fps / 2)


def crossfade_seconds(fps: int) -> float:
    """How long a dissolve, wipe or slide lasts at `fps`: both clips' handles."""
    return 2 * handle_frames(fps) / fps


MAX_IMAGE_PIXELS = 40_000_000
CORES = os.cpu_count() or 2
# Each clip is one ffmpeg process; at most one per core runs at a time (the fan-out may start
# more threads than that), and each gets its share of the cores.
_slots = threading.BoundedSemaphore(max(1, CORES // 2))


def frame_size(aspect: str, resolution: str) -> tuple[int, int]:
    """Pixel size for an aspect ratio and a resolution name (the short side is the height
    for 16:9 and the width for 9:16), both even."""
    if aspect not in ASPECTS or resolution not in RESOLUTIONS:
        raise ValueError(f"unsupported format {aspect} {resolution}")
    short = RESOLUTIONS[resolution]
    a, b = ASPECTS[aspect]
    long_side = round(short * max(a, b) / min(a, b) / 2) * 2
    return (long_side, short) if a >= b else (short, long_side)


def text_overlay(text: str, kind: str, position: str, size: tuple[int, int]) -> tuple[Any, int, int]:
    """A title (large, with a soft shadow) or a text label, cropped, and where it goes."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    w, h = size
    cjk = any("\u4e00" <= ch <= "\u9fff" for ch in text)
    font_size = max(18, int(min(w, h) * (0.11 if kind == "title" else 0.055)))
    font = ImageFont.truetype(CJK_FONT if cjk else LATIN_FONT, font_size)
    probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    left, top, right, bottom = probe.textbbox((0, 0), text, font=font, stroke_width=3)
    if right - left > w * 0.88 and len(text) > 12:  # a long title is wrapped over two lines
        text = _two_lines(text, cjk)
        left, top, right, bottom = probe.multiline_textbbox(
            (0, 0), text, font=font, stroke_width=3, align="center"
        )
    if right - left > w * 0.88:  # still wider than the frame (a portrait video): made smaller
        font_size = max(12, int(font_size * w * 0.88 / (right - left)))
        font = ImageFont.truetype(CJK_FONT if cjk else LATIN_FONT, font_size)
        left, top, right, bottom = probe.multiline_textbbox(
            (0, 0), text, font=font, stroke_width=3, align="center"
        )
    pad = font_size // 3
    img = Image.new("RGBA", (int(right - left + 4 * pad), int(bottom - top + 4 * pad)), (0, 0, 0, 0))
    shadow = Image.new("RGBA", img.size, (0, 0, 0, 0))
    ImageDraw.Draw(shadow).multiline_text(
        (2 * pad - left + 4, 2 * pad - top + 4), text, font=font, fill=(0, 0, 0, 170), align="center"
    )
    img.alpha_composite(shadow.filter(ImageFilter.GaussianBlur(pad / 2)))
    ImageDraw.Draw(img).multiline_text(
        (2 * pad - left, 2 * pad - top),
        text,
        font=font,
        fill=(255, 255, 255, 255),
        stroke_width=2,
        stroke_fill=(0, 0, 0, 200),
        align="center",
    )
    margin_x, margin_y = int(w * 0.05), int(h * 0.06)
    xs = {"left": margin_x, "center": (w - img.width) // 2, "right": w - img.width - margin_x}
    ys = {"top": margin_y, "center": (h - img.height) // 2, "bottom": h - img.height - int(h * 0.2)}
    vertical, _, horizontal = position.partition("-")
    if position in ("top", "bottom", "center"):
        vertical, horizontal = position, "center"
    return img, max(0, xs.get(horizontal, xs["center"])), max(0, ys.get(vertical, ys["top"]))


def _two_lines(text: str, cjk: bool) -> str:
    """A title split into two lines of about equal length: at the space nearest the middle,
    or for Chinese at the middle character (after a punctuation mark if one is near)."""
    middle = len(text) // 2
    if not cjk and " " in text.strip():
        spaces = [i for i, ch in enumerate(text) if ch == " "]
        cut = min(spaces, key=lambda i: abs(i - middle))
        return text[:cut].rstrip() + "\n" + text[cut + 1 :].lstrip()
    marks = [i + 1 for i, ch in enumerate(text) if ch in "，、：；！？,:;!? " and abs(i + 1 - middle) <= 3]
    cut = min(marks, key=lambda i: abs(i - middle)) if marks else middle
    return text[:cut].rstrip() + "\n" + text[cut:].lstrip()


def caption_image(text: str, size: tuple[int, int], scale: float = 1.0) -> Any:
    """A transparent overlay of the frame's size with the caption in a band at the bottom."""
    from PIL import Image, ImageDraw, ImageFont

    w, h = size
    img = Image.new("RGBA", size, (0, 0, 0, 0))
    if not text.strip():
        return img
    cjk = any("\u4e00" <= ch <= "\u9fff" for ch in text)
    font_size = max(16, int(min(w, h) * 0.045 * scale))
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


def _ease(speed: float, duration: float) -> str:
    """The shot's progress (0..1) as an ffmpeg expression of t: half linear, half smoothstep,
    so the camera eases without ever standing still."""
    p = f"clip(t*{speed:.4f}/{duration:.4f},0,1)"
    return f"(0.5*{p}+0.5*{p}*{p}*(3-2*{p}))"


def camera_offsets(camera: str, margin: tuple[int, int], speed: float, duration: float) -> tuple[str, str]:
    """The camera's offset from centre (pixels, x and y) over time, by camera move."""
    mx, my = margin
    e = _ease(speed, duration)
    return {
        "pan": (f"{mx}*(2*{e}-1)", "0"),
        "drift": (f"{mx * 0.5}*(2*{e}-1)", "0"),
        "track": (f"{-mx}*(2*{e}-1)", f"{my * 0.1}*sin(t*{speed:.4f}*6)"),
        "crane_up": ("0", f"{my}*(1-2*{e})"),
    }.get(camera, ("0", "0"))


PULSE = 0.05
"""How far a beat's camera pulse pushes in (5%), decaying over PULSE_DECAY seconds."""
PULSE_DECAY = 0.12
FLASH = 0.22
"""How much a cut on a strong beat brightens its first frame, decaying over FLASH_DECAY s."""
FLASH_DECAY = 0.07


def pulse_expr(pulses: list[int], fps: int) -> str:
    """The camera pulses as an expression of the output frame `on`: a jump at each pulse frame
    decaying exponentially."""
    decay = max(1.0, PULSE_DECAY * fps)
    return "+".join(f"if(gte(on,{f}),exp(-(on-{f})/{decay:.2f}),0)" for f in pulses)


def zoom_filter(
    camera: str,
    size: tuple[int, int],
    fps: int,
    frames: int,
    speed: float,
    subject: tuple[float, float],
    pulses: list[int] | None = None,
) -> str | None:
    """A zoompan for push-ins (towards the subject), the aerial pull-out and the camera pulses
    on strong beats, else None."""
    p = f"clip(on*{speed:.4f}/{max(1, frames - 1)},0,1)"
    e = f"(0.5*{p}+0.5*{p}*{p}*(3-2*{p}))"
    if camera == "push_in":
        z = f"1+0.16*{e}"
    elif camera == "crane_up":
        z = f"1.14-0.14*{e}"
    elif pulses:
        z = "1"
    else:
        return None
    if pulses:
        z = f"({z})*(1+{PULSE}*min(1,{pulse_expr(pulses, fps)}))"
    fx, fy = subject
    return (
        f"zoompan=z='{z}':x='clip({fx}*iw-iw/zoom/2,0,iw-iw/zoom)':y='clip({fy}*ih-ih/zoom/2,0,ih-ih/zoom)'"
        f":d=1:s={size[0]}x{size[1]}:fps={fps}"
    )


def grade_filter(grade: Grade) -> str:
    """ffmpeg filters for a shot's grading: eq (brightness, contrast, saturation) and a chroma
    shift for temperature (warm = more red, less blue), both per-pixel lookups that cost little."""
    b = float(grade.get("brightness", 0.0))
    c = float(grade.get("contrast", 1.0))
    s = float(grade.get("saturation", 1.0))
    t = float(grade.get("temperature", 0.0))
    parts = []
    if abs(b) > 1e-6 or abs(c - 1) > 1e-6 or abs(s - 1) > 1e-6:
        parts.append(f"eq=brightness={b:.3f}:contrast={c:.3f}:saturation={s:.3f}")
    if abs(t) > 1e-6:
        shift = 20 * t
        parts.append(f"lutyuv=u='clip(val-{shift:.2f},16,240)':v='clip(val+{shift:.2f},16,240)'")
    return ",".join(parts) or "null"


def look_filter(look: dict[str, Any], size: tuple[int, int]) -> list[str]:
    """The spatial part of a mood's look: vignette and letterbox bars (landscape only)."""
    w, h = size
    out = []
    if look.get("vignette"):
        out.append("vignette=angle=PI/5")
    ratio = float(look.get("letterbox", 0) or 0)
    if ratio and w > h and w / ratio < h:
        bar = int((h - w / ratio) / 2)
        out.append(
            f"drawbox=x=0:y=0:w=iw:h={bar}:color=black:t=fill,drawbox=x=0:y=ih-{bar}:w=iw:h={bar}:color=black:t=fill"
        )
    return out


def _sprite_xy(s: scenes.Sprite, margin: tuple[int, int], ox: str, oy: str, speed: float) -> tuple[str, str]:
    mx, my = margin
    T = f"(t*{speed:.4f})"
    tl = f"mod({T},{s.loop:.4f})" if s.loop else T
    x = f"{s.x:.1f}+{s.vx:.3f}*{T}"
    if s.wrap:  # across the frame, then in again from the left edge
        left = mx - s.frames[0].width
        x = f"{left:.1f}+mod({s.x - left:.1f}+{s.vx:.3f}*{T},{s.wrap:.1f})"
    if s.sway:
        x += f"+{s.sway:.2f}*sin({T}*1.3)"
    y = f"{s.y:.1f}+{s.vy:.3f}*{tl}"
    if s.gravity:
        fall = f"max(0,{tl}-{s.hold:.3f})"
        y += f"+{s.gravity:.3f}*{fall}*{fall}"
    if s.bob:
        y += f"-{s.bob:.2f}*abs(sin(PI*{T}/{s.period:.3f}))"
    if s.depth > 0:
        x += f"-({mx}+{s.depth}*({ox}))"
        y += f"-({my}+{s.depth}*({oy}))"
    return x, y


MAX_STRETCH = 2.0  # slower than half speed, generated motion looks like a slideshow


def clip_timing(count: int, native_fps: int, duration: float) -> tuple[float, float]:
    """How a generated clip of `count` frames at the model's `native_fps` fills a shot of
    `duration` seconds: the time stretch (1 = its own pace; at most MAX_STRETCH slower) and
    the seconds held on its last frame (under the shot's camera move) after it ends. A clip
    longer than the shot plays at its own pace and is cut at the shot's end."""
    natural = count / max(1, native_fps)
    if natural >= duration:
        return 1.0, 0.0
    stretch = min(MAX_STRETCH, duration / natural)
    return stretch, max(0.0, duration - natural * stretch)


def _generated(folder: Path | None) -> tuple[list[Any], dict[str, Any]] | None:
    """Frames generated earlier for the same request, kept in `folder`, or None."""
    if folder is None or not (folder / "info.json").exists():
        return None
    from PIL import Image

    frames = []
    for path in sorted(folder.glob("*.png")):
        with Image.open(path) as img:
            frames.append(img.convert("RGB"))
    return frames, {**json.loads((folder / "info.json").read_text()), "notes": [], "reused": True}


def _keep(folder: Path | None, frames: list[Any], info: dict[str, Any]) -> None:
    """Keep generated frames for the next render of the same request (written, then renamed)."""
    if folder is None:
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{os.getpid()}-", dir=folder.parent))
    for k, frame in enumerate(frames):
        frame.save(tmp / f"{k:04d}.png", compress_level=1)
    (tmp / "info.json").write_text(json.dumps(info))
    try:
        tmp.rename(folder)
    except OSError:  # another render kept the same frames first
        shutil.rmtree(tmp, ignore_errors=True)


def _generate(
    spec: ShotSpec, image: Any, on_progress: Any, cache: Path | None = None
) -> tuple[Any, list[Any], dict[str, Any]]:
    """The diffusion backend's result for a spec: a keyframe to animate (t2i) or the frames
    themselves (t2v; i2v from the uploaded image or from a t2i keyframe). Results are kept in
    `cache` by the generation request alone (model, kind, prompt, seed, steps, size, frames,
    picture), so a grading, caption or timing edit never generates again. On failure, the best
    still there is (the upload or the keyframe) or none, with the reason as `fallback`."""
    from tools import diffusion
    from tools.assets import content_key

    gen = spec["diffusion"]
    kind, notes = gen["kind"], []
    folder = cache / content_key({**gen, "image": spec.get("image")}) if cache else None
    kept = _generated(folder)
    if kept:
        return (kept[0][0], [], kept[1]) if kind in ("t2i", "s2i") else (None, kept[0], kept[1])

    def run(kind: str, model: str, start: Any = None) -> list[Any]:
        out, more = diffusion.generate(
            kind,
            model,
            gen["prompt"],
            gen["negative"],
            (int(gen.get("width", spec["width"])), int(gen.get("height", spec["height"]))),
            int(gen["seed"]),
            int(gen["steps"]),
            int(gen.get("frames", 1)),
            image=start,
            on_step=on_progress,
        )
        notes.extend(more)
        return out

    info: dict[str, Any] = {"backend": "diffusion", "model": gen["model"], "kind": kind, "notes": notes}
    drawn = spec.get("sketch") and image is not None  # a sketch: the control picture of its keyframe
    still, source = (None, "sketch") if drawn else (image, "image")
    try:
        if kind in ("t2i", "s2i"):
            frames = run(kind, gen["model"], _control(image, spec) if kind == "s2i" else None)[:1]
            _keep(folder, frames, info)
            return frames[0], [], info
        if kind == "i2v" and still is None:  # a keyframe first, then set in motion
            first = gen.get("keyframe_kind", "t2i")
            still = run(first, gen["keyframe"], _control(image, spec) if first == "s2i" else None)[0]
            source = "keyframe"
            info["keyframe"] = gen["keyframe"]
        frames = run(kind, gen["model"], still)
        info["fps"] = diffusion.native_fps(kind, gen["model"])
        _keep(folder, frames, info)
        return None, frames, info
    except diffusion.DiffusionError as err:
        if drawn and still is None:  # the sketch stays the drawn element of the animatic
            return (
                image,
                [],
                {"backend": "sketch", "fallback": err.code, "model": gen["model"], "notes": notes},
            )
        backend = source if still is not None else "animatic"
        return still, [], {"backend": backend, "fallback": err.code, "model": gen["model"], "notes": notes}


def _control(image: Any, spec: ShotSpec) -> Any:
    """A sketch's control picture at the generation size."""
    from tools.sketch import control_image

    gen = spec["diffusion"]
    return control_image(
        image, (int(gen.get("width", spec["width"])), int(gen.get("height", spec["height"])))
    )


class _FilterGraph:
    """An ffmpeg filter graph being built: its inputs (pictures saved in `folder`) and chains."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.inputs: list[str] = []
        self.chains: list[str] = []
        self.streams = 0

    def picture(self, img: Any, name: str) -> str:
        """Add a still as an input; its stream label."""
        path = self.folder / f"{name}.png"
        img.save(path, compress_level=1)
        self.inputs.extend(["-i", str(path)])
        self.streams += 1
        return f"{self.streams - 1}:v"

    def sequence(self, frames: list[Any], fps: int) -> str:
        """Add numbered frames as one input at `fps`; its stream label."""
        for k, img in enumerate(frames):
            img.save(self.folder / f"gen{k:04d}.png")
        self.inputs.extend(["-framerate", str(fps), "-i", str(self.folder / "gen%04d.png")])
        self.streams += 1
        return f"{self.streams - 1}:v"

    def chain(self, text: str) -> None:
        """Add one chain (labelled inputs, filters, labelled output)."""
        self.chains.append(text)


def _generated_background(
    graph: _FilterGraph, made: list[Any], native: int, size: tuple[int, int], fps: int, duration: float
) -> float:
    """A generated clip fitted to the frame and stretched to the shot's length, as [b0]; the
    seconds it holds its last frame."""
    w, h = size
    stretch, held = clip_timing(len(made), native, duration)
    src = graph.sequence(made, native)
    graph.chain(
        f"[{src}]scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},"
        f"setpts=PTS*{stretch:.5f},fps={fps},tpad=stop_mode=clone:stop=-1,format=yuv420p[b0]"
    )
    return held


def _sky_background(
    graph: _FilterGraph, comp: scenes.Composition, size: tuple[int, int], fps: int, offsets: tuple[str, str]
) -> None:
    """The composition's sky looped and cropped to the frame, moving a fifth of the camera, as [b0]."""
    (w, h), (mx, my), (ox, oy) = size, comp.margin, offsets
    sky = graph.picture(comp.sky, "sky")
    graph.chain(
        f"[{sky}]loop=loop=-1:size=1:start=0,setpts=N/{fps}/TB,"
        f"crop=w={w}:h={h}:x='{mx}+0.2*({ox})':y='{my}+0.2*({oy})',format=yuv420p[b0]"
    )


def _pad(sprite: scenes.Sprite) -> tuple[int, int]:
    """How far a rotating sprite's square box reaches past its picture on the left and top."""
    if not (sprite.spin or sprite.rock):
        return 0, 0
    w, h = sprite.frames[0].size
    side = _rotated_side(w, h)
    return (side - w) // 2, (side - h) // 2


def _rotated_side(w: int, h: int) -> int:
    return int(math.ceil(math.hypot(w, h) / 2) * 2)


def _transformed(graph: _FilterGraph, sprite: scenes.Sprite, i: int, speed: float, fps: int) -> str:
    """A sprite that turns, rocks, grows or squashes: its picture looped as a stream and
    scaled (inside its own box, standing on its base) and rotated per frame; its label."""
    src = graph.picture(sprite.frames[0], f"sprite{i}")
    w, h = sprite.frames[0].size
    T = f"(t*{speed:.4f})"
    wave = f"sin(2*PI*{T}/{sprite.period:.4f})"
    filters = [f"loop=loop=-1:size=1:start=0,setpts=N/{fps}/TB,format=rgba"]
    if sprite.grow or sprite.squash:
        sx = sy = "1"
        if sprite.grow:
            sx = sy = f"(0.25+0.75*min(1,{T}/{sprite.grow:.4f}))"
        if sprite.squash:
            sy = f"{sy}*(1-{sprite.squash:.4f}*(0.5+0.5*{wave}))"
            sx = f"{sx}*(1-{sprite.squash * 0.3:.4f}*(0.5-0.5*{wave}))"
        filters.append(
            f"scale=w='max(2,trunc({w}*{sx}))':h='max(2,trunc({h}*{sy}))':eval=frame,"
            f"pad=w={w}:h={h}:x='(ow-iw)/2':y='oh-ih':color=black@0:eval=frame"
        )
    if sprite.spin or sprite.rock:
        angle = f"{sprite.spin:.4f}*{T}" if sprite.spin else f"{sprite.rock:.4f}*{wave}"
        side = _rotated_side(w, h)
        filters.append(f"rotate=a='{angle}':c=none:ow={side}:oh={side}")
    graph.chain(f"[{src}]{','.join(filters)}[t{i}]")
    return f"t{i}"


def _windows(levels: str, level: str, fps: int) -> str:
    """An ffmpeg enable expression true on the frames where `levels` (a digit per frame)
    shows `level`: one between() per run of them; '' when it never does."""
    runs, start = [], None
    for f, digit in enumerate([*levels, ""]):
        if digit == level and start is None:
            start = f
        elif digit != level and start is not None:
            end = "1e9" if f == len(levels) else f"{(f - 0.5) / fps:.4f}"  # the last run holds
            runs.append(f"between(t,{(start - 0.5) / fps:.4f},{end})")
            start = None
    return "+".join(runs)


def _parallax(
    graph: _FilterGraph, comp: scenes.Composition, offsets: tuple[str, str], speed: float, fps: int = 24
) -> str:
    """The layers, then the sprites' drawings (each shown in its turn), over [b0]; the last label."""
    (mx, my), (ox, oy) = comp.margin, offsets
    base, n = "b0", 0
    for i, layer in enumerate(comp.layers):
        src = graph.picture(layer.image, f"layer{i}")
        n += 1
        x = f"{layer.x}-({mx}+{layer.depth}*({ox}))"
        y = f"{layer.y}-({my}+{layer.depth}*({oy}))"
        graph.chain(f"[{base}][{src}]overlay=x='{x}':y='{y}':format=yuv420[b{n}]")
        base = f"b{n}"
    for i, sprite in enumerate(comp.sprites):
        x, y = _sprite_xy(sprite, comp.margin, ox, oy, speed)
        if sprite.spin or sprite.rock or sprite.grow or sprite.squash:
            n += 1
            graph.chain(
                f"[{base}][{_transformed(graph, sprite, i, speed, fps)}]overlay=x='{x}-{_pad(sprite)[0]}':y='{y}-{_pad(sprite)[1]}':format=yuv420[b{n}]"
            )
            base = f"b{n}"
            continue
        if sprite.talk:  # a recorded voice: the picture of each frame's mouth opening
            for k, frame in enumerate(sprite.frames):
                windows = _windows(sprite.talk, str(k), fps)
                if not windows:
                    continue
                src = graph.picture(frame, f"sprite{i}_talk{k}")
                n += 1
                graph.chain(f"[{base}][{src}]overlay=x='{x}':y='{y}':format=yuv420:enable='{windows}'[b{n}]")
                base = f"b{n}"
            continue
        drawn_on = sprite.reveal if sprite.intro else 0.0
        for k, frame in enumerate(sprite.intro):  # drawn on: each picture once, in turn
            src = graph.picture(frame, f"sprite{i}_intro{k}")
            n += 1
            slot = drawn_on / len(sprite.intro)
            enable = f":enable='between(t,{k * slot:.4f},{(k + 1) * slot - 1e-4:.4f})'"
            graph.chain(f"[{base}][{src}]overlay=x='{x}':y='{y}':format=yuv420{enable}[b{n}]")
            base = f"b{n}"
        count = len(sprite.frames)
        for k, frame in enumerate(sprite.frames):
            src = graph.picture(frame, f"sprite{i}_{k}")
            n += 1
            enable = f":enable='gte(t,{drawn_on:.4f})'" if drawn_on else ""
            if count > 1:
                slot = sprite.period / count
                cycle = f"between(mod(t*{speed:.4f},{sprite.period:.4f}),{k * slot:.4f},{(k + 1) * slot - 1e-4:.4f})"
                enable = f":enable='{cycle}*gte(t,{drawn_on:.4f})'" if drawn_on else f":enable='{cycle}'"
            graph.chain(f"[{base}][{src}]overlay=x='{x}':y='{y}':format=yuv420{enable}[b{n}]")
            base = f"b{n}"
    return base


def _texts(graph: _FilterGraph, spec: ShotSpec, base: str, size: tuple[int, int], head: float) -> str:
    """The shot's titles and text labels, each between its times; the last label."""
    for i, item in enumerate(spec.get("overlays") or []):
        label, x, y = text_overlay(item["text"], item.get("kind", "text"), item.get("position", "top"), size)
        src = graph.picture(label, f"overlay{i}")
        a0, a1 = head + float(item["start"]), head + float(item["end"])
        graph.chain(
            f"[{base}][{src}]overlay=x={x}:y={y}:format=yuv420:enable='between(t,{a0:.3f},{a1:.3f})'[o{i}]"
        )
        base = f"o{i}"
    return base


def _caption(graph: _FilterGraph, spec: ShotSpec, base: str, size: tuple[int, int]) -> str:
    """The caption band, shown for its cue (or the whole shot); the last label."""
    text = spec.get("caption", "") if spec.get("captions", True) else ""
    caption = caption_image(text, size, float(spec.get("caption_scale", 1.0)))
    box = caption.getbbox()
    if not box:
        return base
    src = graph.picture(caption.crop(box), "caption")
    cue = spec.get("caption_cue") or [0.0, 0.0]
    enable = f":enable='between(t,{cue[0]:.3f},{cue[1]:.3f})'" if cue[1] > cue[0] else ""
    graph.chain(f"[{base}][{src}]overlay=x={box[0]}:y={box[1]}:format=yuv420{enable}[c]")
    return "c"


def _fades(spec: ShotSpec, duration: float) -> list[str]:
    """The shot's fade in from and fade out to black."""
    fades = []
    fade_in, fade_out = float(spec.get("fade_in", 0.0)), float(spec.get("fade_out", 0.0))
    if fade_in > 0:
        fades.append(f"fade=t=in:st=0:d={fade_in:.3f}")
    if fade_out > 0:
        fades.append(f"fade=t=out:st={max(0.0, duration - fade_out):.3f}:d={fade_out:.3f}")
    return fades


def _encode(graph: _FilterGraph, frames: int, fps: int, out_path: Path) -> None:
    """Run the graph's output [v] through libx264 for exactly `frames` frames."""
    threads = 2
    with _slots:
        run_ffmpeg(
            [
                *graph.inputs,
                "-filter_complex",
                ";".join(graph.chains),
                "-filter_complex_threads",
                str(threads),
                "-map",
                "[v]",
                "-frames:v",
                str(frames),
                "-r",
                str(fps),
                *ENCODER,
                "-pix_fmt",
                "yuv420p",
                "-threads",
                str(threads),
                "-movflags",
                "+faststart",
                str(out_path),
            ]
        )


def render_clip(
    spec: ShotSpec,
    out_path: Path,
    image_path: str | Path | None = None,
    on_progress: Any = None,
    generated: Path | None = None,
) -> dict[str, Any]:
    """Render one shot spec to an H.264 MP4 (video only) of exactly head+frames+tail frames;
    returns which backend made it (and any fallback). `generated` is a folder that keeps
    diffusion results between renders."""
    size, fps = (int(spec["width"]), int(spec["height"])), int(spec["fps"])
    head, tail = int(spec.get("head", 0)), int(spec.get("tail", 0))
    frames = int(spec["frames"]) + head + tail
    duration = frames / fps
    image = load_image(image_path) if image_path else None
    info: dict[str, Any] = {"backend": "image" if image is not None else "animatic"}
    made: list[Any] = []
    sketched = bool(spec.get("sketch"))
    if spec.get("diffusion"):
        image, made, info = _generate(spec, image, on_progress, generated)
        # a keyframe drawn on the sketch is the shot's picture; only a failed model gives the
        # sketch back (backend 'sketch'), to be drawn as the element of the animatic
        sketched = sketched and info.get("backend") == "sketch"
    seed, shot_type = int(spec.get("seed", 0)), spec.get("shot_type", "medium")
    drawing = image if sketched else None  # a sketch is an element of the scene, not its picture
    comp = scenes.compose(
        spec["description"],
        spec.get("mood", DEFAULT_MOOD),
        size,
        seed,
        shot_type,
        None if drawing is not None else image,
        bool(spec.get("motes")),
        drawing,
        str(spec.get("talk") or ""),
    )
    if any(sprite.talk for sprite in comp.sprites):
        info["talking"] = True
    if drawing is not None:
        info["backend"] = "sketch"
        for sprite in comp.sprites:  # drawn on over the first part of the shot proper
            if sprite.intro:
                sprite.reveal = head / fps + min(1.5, 0.35 * int(spec["frames"]) / fps)
    camera = spec.get("camera", "drift")
    # The camera move spans the shot whatever its playback speed; the things moving in it
    # (particles, birds, walkers) run at the shot's speed.
    offsets = camera_offsets(camera, comp.margin, 1.0, duration)
    with tempfile.TemporaryDirectory(prefix=procs.temp_prefix("clip")) as tmp:
        graph = _FilterGraph(Path(tmp))
        if made:
            held = _generated_background(graph, made, int(info.get("fps") or 8), size, fps, duration)
            comp.layers, comp.sprites = [], []
            # the shot's push-in or crane stays; a clip held on its last frame gets a push-in,
            # so the shot never freezes
            camera = camera if camera in ("push_in", "crane_up") else "push_in" if held else "static"
        else:
            _sky_background(graph, comp, size, fps, offsets)
        base = _parallax(graph, comp, offsets, float(spec.get("speed", 1.0)), fps)
        zoom = zoom_filter(camera, size, fps, frames, 1.0, comp.subject, spec.get("pulses"))
        post = [*([zoom] if zoom else []), grade_filter(spec.get("grade", {})), *look_filter(comp.look, size)]
        if spec.get("flash") is not None:  # the cut lands on a strong beat: a flash on it
            at = int(spec["flash"]) / fps
            post.append(
                f"eq=brightness='{FLASH}*exp(-(t-{at:.4f})/{FLASH_DECAY})*gte(t,{at:.4f})':eval=frame"
            )
        graph.chain(f"[{base}]{','.join(post)}[g]")
        base = _caption(graph, spec, _texts(graph, spec, "g", size, head / fps), size)
        graph.chain(f"[{base}]{','.join([*_fades(spec, duration), 'format=yuv420p'])}[v]")
        _encode(graph, frames, fps, out_path)
    return info


class ImageError(RequestError):
    """A user image that cannot be used; `code` names the reason for the reply."""


def load_image(path: str | Path) -> Any:
    """Open a user's image after checking it is one (by content) and not too large."""
    from PIL import Image, UnidentifiedImageError

    p = Path(path)
    if p.exists() and not p.is_file():  # /dev/zero, a folder, a pipe: never read
        raise ImageError("image_not_file", path=str(path))
    if not p.is_file():
        raise ImageError("image_missing", path=str(path))
    try:
        with Image.open(p) as probe:
            width, height = probe.size
            if width * height > MAX_IMAGE_PIXELS:
                raise ImageError("image_too_large", pixels=width * height, limit=MAX_IMAGE_PIXELS)
            probe.verify()
        with Image.open(p) as img:
            img.load()
            return img.convert("RGB")
    except ImageError:
        raise
    except Image.DecompressionBombError as exc:  # Pillow refuses to even open it
        found = re.search(r"\((\d+) pixels\)", str(exc))
        pixels = int(found.group(1)) if found else MAX_IMAGE_PIXELS + 1
        raise ImageError("image_too_large", pixels=pixels, limit=MAX_IMAGE_PIXELS) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageError("image_invalid", path=str(path), reason=type(exc).__name__) from exc


def boundaries(script: Script, settings: Settings) -> list[str]:
    """The transition at each boundary between shots: the project default, or the one set for
    that boundary (settings['transitions'][str(n)] is the boundary after shot n)."""
    default = settings.get("transition", "cut")
    per = settings.get("transitions") or {}
    return [str(per.get(str(i), default)) for i in range(1, len(script.get("shots", [])))]


def assemble(paths: list[Path], boundaries: list[str], fps: int, out_path: Path) -> None:
    """Join clips in order. Cuts and fades (already inside the clips) join by stream copy; a
    dissolve, wipe or slide crossfades the clips' handles with xfade, which re-encodes."""
    if all(b in ("cut", "fade") for b in boundaries):
        concat_clips(paths, out_path)
        return
    from tools.ffmpeg import probe

    lengths = [probe(p).duration for p in paths]
    chains, prev, elapsed = [], "0:v", lengths[0]
    overlap = crossfade_seconds(fps)
    for i, kind in enumerate(boundaries, start=1):
        label = f"x{i}"
        if kind in XFADE:
            elapsed -= overlap
            chains.append(
                f"[{prev}][{i}:v]xfade=transition={XFADE[kind]}:duration={overlap:.6f}:offset={elapsed:.6f}[{label}]"
            )
        else:
            chains.append(f"[{prev}][{i}:v]concat=n=2:v=1:a=0[{label}]")
        elapsed += lengths[i]
        prev = label
    args: list[str] = []
    for p in paths:
        args += ["-i", str(p)]
    run_ffmpeg(
        [
            *args,
            "-filter_complex",
            ";".join(chains) + f";[{prev}]format=yuv420p,fps={fps}[v]",
            "-map",
            "[v]",
            *ENCODER,
            "-movflags",
            "+faststart",
            str(out_path),
        ]
    )


def concat_clips(paths: list[Path], out_path: Path) -> None:
    """Join clips of identical encoding settings without re-encoding."""
    with tempfile.NamedTemporaryFile(
        "w", prefix=procs.temp_prefix("list"), suffix=".txt", delete=False, encoding="utf-8"
    ) as fh:
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
