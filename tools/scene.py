"""Scene composition for the animatic: a shot description read through the scenes lexicon
(tools/data/scenes.json) into a Scene, drawn as parallax layers and moving sprites.

Everything is drawn once per clip with Pillow at output size (plus a margin for the camera);
the motion itself (camera, parallax, particles, flapping, walking) is done by ffmpeg overlays
whose positions are expressions of time, so no Python runs per frame."""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from tools import drawing, icons, lexicon

Color = tuple[int, int, int]


@dataclass
class Scene:
    """What a shot description names, in lexicon terms."""

    time: str | None = None
    weather: list[str] = field(default_factory=list)
    setting: str | None = None
    elements: set[str] = field(default_factory=set)
    people: list[tuple[str, str]] = field(default_factory=list)  # (kind, stand/sit/walk/run)
    particles: str | None = None
    birds: str | None = None  # "fly" or "ground"
    subject: str | None = None
    world: dict[str, Any] | None = None  # a setting of data/drawing.json's worlds
    talker: int | None = None  # which of `people` talks with a recorded voice (a sprite, not drawn still)

    def plain(self) -> bool:
        """Whether the ground is bare (sand, snow, the moon, the sea floor): no path, no grass."""
        return bool(self.world and self.world.get("plain"))

    def known(self) -> bool:
        """Whether the description named anything the lexicon knows."""
        return bool(self.setting or self.elements or self.people or self.time or self.weather)


@dataclass
class Sprite:
    """A moving RGBA element: frames alternate every `period`/len(frames) seconds; position in
    canvas pixels moves by (vx, vy) px/s, optionally looping every `loop` seconds, with a bob."""

    frames: list[Any]
    x: float
    y: float
    vx: float = 0.0
    vy: float = 0.0
    gravity: float = 0.0
    loop: float = 0.0
    depth: float = 1.0
    period: float = 0.5
    bob: float = 0.0
    sway: float = 0.0
    hold: float = 0.0
    spin: float = 0.0  # radians per second
    rock: float = 0.0  # radians either way, once a period
    grow: float = 0.0  # seconds to grow from a quarter of its size to all of it
    squash: float = 0.0  # how much it squashes (fraction of its height), once a period
    wrap: float = 0.0  # a path across the frame: after this many pixels it comes in again
    word: str = ""  # the description's words it draws (icons)
    action: str | None = None
    intro: list[Any] = field(default_factory=list)  # pictures shown once, in turn, before `frames`
    reveal: float = 0.0  # the seconds `intro` lasts (the renderer sets it from the shot's length)
    talk: str = ""  # which of `frames` shows at each clip frame, one digit each (a recorded voice)


@dataclass
class Layer:
    """A static RGBA layer cropped to its content, placed at (x, y) on the canvas."""

    image: Any
    x: int
    y: int
    depth: float


@dataclass
class Composition:
    """The drawn shot: an opaque sky canvas, static layers, sprites, the camera margin and the
    subject's position (fractions of the frame) for push-ins."""

    sky: Any
    layers: list[Layer]
    sprites: list[Sprite]
    margin: tuple[int, int]
    subject: tuple[float, float]
    look: dict[str, Any]


def _mentions(word: str, low: str) -> bool:
    return _pos(word, low) < 1 << 30


def _first(table: dict[str, list[str]], low: str) -> list[str]:
    """Keys of `table` whose words occur in `low`, in the order the text mentions them."""
    hits: list[tuple[int, str]] = []
    for key, words in table.items():
        positions = [_pos(w, low) for w in words if _mentions(w, low)]
        if positions:
            hits.append((min(positions), key))
    return [k for _, k in sorted(hits)]


def _pos(word: str, low: str) -> int:
    """Where a lexicon word first occurs (drawing.lexicon_pattern: whole English words)."""
    m = re.search(drawing.lexicon_pattern(word), low)
    return m.start() if m else 1 << 30


def read_scene(description: str, claimed: list[tuple[int, int]] | None = None) -> Scene:
    """Read a description (Chinese or English) into a Scene through the scenes lexicon; the
    `claimed` spans (what icons draw) are left out."""
    data = lexicon.load("scenes")
    low = description.lower()
    for a, b in claimed or []:
        low = low[:a] + " " * (b - a) + low[b:]
    masked = low
    for phrase in data["masks"]:  # 浪花 (spray) or 雪花 (snowflake) are not flowers
        masked = masked.replace(phrase, " ")
    times = _first(data["time_of_day"], low)
    settings = _first(data["settings"], low)
    elements = set(_first(data["elements"], masked))
    kinds = _first(data["people"], low)
    actions = _first(data["actions"], low)
    people: list[tuple[str, str]] = []
    for i, kind in enumerate(kinds):
        action = actions[0] if actions and i == 0 else "stand"
        if action == "stand" and "sit" in actions:
            action = "sit"
        people.append((kind, action))
    particles = _first(data["particles"], masked) or (["snow"] if "雪花" in low else [])
    weather = _first(data["weather"], low)
    birds = None
    if "birds" in elements:
        flying = any(_mentions(w, low) for w in data["flight"])
        birds = "fly" if flying or not people else "ground"
    subject = next((s for s in data["subjects"] if s in elements), None)
    return Scene(
        time=times[0] if times else None,
        weather=weather,
        setting=settings[0] if settings else ("park" if elements & {"flower", "tree", "bench"} else None),
        elements=elements,
        people=people,
        particles=particles[0] if particles else None,
        birds=birds,
        subject=subject,
    )


def _mix(a: Color, b: Color, t: float) -> Color:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def _c(v: list[int]) -> Color:
    return (int(v[0]), int(v[1]), int(v[2]))


def apply_look(img: Any, look: dict[str, Any]) -> Any:
    """The mood's look baked into an image's colours (alpha kept): tint, lift, contrast,
    saturation and a teal-orange split; per-pixel only, so it applies to every layer alike."""
    arr = np.asarray(img.convert("RGBA"), dtype=np.float32)
    rgb = arr[..., :3]
    rgb = rgb * np.asarray(look.get("tint", [1.0, 1.0, 1.0]), dtype=np.float32)
    lift = float(look.get("lift", 0))
    rgb = lift + rgb * (255.0 - lift) / 255.0
    rgb = (rgb - 128.0) * float(look.get("contrast", 1.0)) + 128.0
    luma = rgb @ np.asarray([0.299, 0.587, 0.114], dtype=np.float32)
    rgb = luma[..., None] + (rgb - luma[..., None]) * float(look.get("saturation", 1.0))
    k = float(look.get("teal_orange", 0.0))
    if k:
        lum = np.clip(luma / 255.0, 0, 1)[..., None]
        rgb = rgb + 60 * k * (lum * np.asarray([1.0, 0.35, -0.8]) + (1 - lum) * np.asarray([-0.7, 0.1, 0.5]))
    arr[..., :3] = np.clip(rgb, 0, 255)
    return Image.fromarray(arr.astype(np.uint8), "RGBA")


def _bloom(img: Any, amount: float) -> Any:
    """A soft glow of the bright parts (screen blend of a blurred highlight pass)."""
    if amount <= 0:
        return img
    base = np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0
    small = img.convert("RGB").resize((max(1, img.width // 8), max(1, img.height // 8)))
    bright = np.asarray(small, dtype=np.float32) / 255.0
    bright = np.clip((bright - 0.6) / 0.4, 0, 1)
    glow_img = Image.fromarray((bright * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(6))
    glow = np.asarray(glow_img.resize(img.size, Image.Resampling.BILINEAR), dtype=np.float32) / 255.0
    out = 1 - (1 - base) * (1 - glow * amount)
    return Image.fromarray((np.clip(out, 0, 1) * 255).astype(np.uint8), "RGB")


class _Painter:
    """Drawing helpers in frame fractions mapped onto the canvas (frame plus margins)."""

    def __init__(self, frame: tuple[int, int], margin: tuple[int, int], rng: random.Random) -> None:
        self.w, self.h = frame
        self.mx, self.my = margin
        self.size = (self.w + 2 * self.mx, self.h + 2 * self.my)
        self.u = min(self.w, self.h)  # unit for object sizes, so 9:16 and 16:9 keep proportions
        self.rng = rng

    def X(self, f: float) -> float:  # noqa: N802 - frame fraction to canvas x
        return self.mx + f * self.w

    def Y(self, f: float) -> float:  # noqa: N802
        return self.my + f * self.h

    def layer(self) -> tuple[Any, Any]:
        img = Image.new("RGBA", self.size, (0, 0, 0, 0))
        return img, ImageDraw.Draw(img, "RGBA")


def _portrait(p: _Painter) -> bool:
    return p.h > p.w * 1.2


def _horizon(scene: Scene, p: _Painter, shot_type: str) -> float:
    base = {"close-up": 0.74, "aerial": 0.4, "long": 0.56, "wide": 0.6}.get(shot_type, 0.62)
    if _portrait(p):
        base += 0.04
    return p.Y(base)


def _sky(scene: Scene, palette: dict[str, Any], p: _Painter, horizon: float) -> Any:
    data = lexicon.load("scenes")
    top, bottom = (_c(c) for c in (data["skies"][scene.time] if scene.time else palette["sky"]))
    if scene.world and scene.world.get("sky"):
        top, bottom = (_c(c) for c in scene.world["sky"])
    if "cloudy" in scene.weather or "rain" in scene.weather:
        top, bottom = _mix(top, (120, 125, 135), 0.55), _mix(bottom, (160, 165, 170), 0.55)
    img = Image.new("RGB", p.size, top)
    draw = ImageDraw.Draw(img, "RGBA")
    span = max(1.0, horizon)
    for y in range(p.size[1]):
        draw.line([(0, y), (p.size[0], y)], fill=_mix(top, bottom, min(1.0, y / span)))
    night = scene.time == "night" or bool(scene.world and scene.world.get("stars"))
    if night:
        for _ in range(160):
            x, y = p.rng.randrange(p.size[0]), p.rng.randrange(max(1, int(horizon)))
            r = p.rng.choice((1, 1, 2))
            draw.ellipse([x - r, y - r, x + r, y + r], fill=(255, 255, 230, p.rng.randrange(120, 255)))
    sun = not scene.world or scene.world.get("sun", True)
    if scene.setting not in ("room", "cafe") and "rain" not in scene.weather and sun:
        moon = night or "moon" in scene.elements
        body = (238, 238, 215) if moon else (255, 238, 160)
        rr0 = p.u * (0.05 if moon else 0.065)
        cx = p.X(0.78 if not _portrait(p) else 0.7)
        cy = horizon * (0.3 if scene.time not in ("sunset", "dawn") else 0.75)
        for k in range(8, 1, -1):
            rr = rr0 * (1 + k * 0.35)
            draw.ellipse([cx - rr, cy - rr, cx + rr, cy + rr], fill=(*body, 14))
        draw.ellipse([cx - rr0, cy - rr0, cx + rr0, cy + rr0], fill=body)
    if "fog" in scene.weather:
        draw.rectangle([0, horizon - p.u * 0.25, p.size[0], p.size[1]], fill=(235, 235, 240, 90))
    return img


def _clouds(scene: Scene, p: _Painter, horizon: float) -> Sprite | None:
    if scene.setting in ("room", "cafe") or scene.time == "night":
        return None
    if scene.world and not scene.world.get("sun", True):  # space, the moon, the sea floor
        return None
    img, draw = p.layer()
    grey = "cloudy" in scene.weather or "rain" in scene.weather
    col = (200, 200, 210, 220) if grey else (255, 255, 255, 200)
    for _ in range(p.rng.randint(3, 5) + (4 if grey else 0)):
        x, y = p.rng.uniform(0, p.size[0]), p.rng.uniform(p.my, max(p.my + 1, horizon * 0.55))
        cw = p.u * p.rng.uniform(0.12, 0.22)
        for j in range(5):
            ox, oy = (j - 2) * cw * 0.32, -abs(j - 2) * cw * 0.07
            draw.ellipse(
                [x + ox - cw * 0.3, y + oy - cw * 0.2, x + ox + cw * 0.3, y + oy + cw * 0.2], fill=col
            )
    img = img.filter(ImageFilter.GaussianBlur(max(1, p.u // 180)))
    return _crop_sprite(img, depth=0.3, vx=p.u * 0.012)


def _crop_sprite(img: Any, depth: float, **motion: Any) -> Sprite | None:
    box = img.getbbox()
    if not box:
        return None
    return Sprite([img.crop(box)], box[0], box[1], depth=depth, **motion)


def _crop_layer(img: Any, depth: float) -> Layer | None:
    box = img.getbbox()
    if not box:
        return None
    return Layer(img.crop(box), box[0], box[1], depth)


def _tree(draw: Any, x: float, base: float, height: float, crown: Color, rng: random.Random) -> None:
    trunk = height * 0.06
    draw.rectangle([x - trunk, base - height * 0.55, x + trunk, base], fill=(105, 78, 58))
    for _ in range(5):
        cx = x + rng.uniform(-0.18, 0.18) * height
        cy = base - height * rng.uniform(0.62, 0.85)
        r = height * rng.uniform(0.18, 0.26)
        shade = _mix(crown, (255, 255, 255), rng.uniform(0, 0.15))
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(*shade, 240))


def _interior(draw: Any, scene: Scene, palette: dict[str, Any], p: _Painter, horizon: float) -> None:
    """A room's or cafe's back wall with a window onto the sky, and the floor."""
    W, H = p.size
    wall = _mix(_c(palette["sky"][1]), (150, 105, 75), 0.45 if scene.setting == "cafe" else 0.3)
    draw.rectangle([0, 0, W, H], fill=(*wall, 255))
    wx0, wx1 = p.X(0.08 if not _portrait(p) else 0.15), p.X(0.48 if not _portrait(p) else 0.85)
    wy0, wy1 = p.Y(0.1), p.Y(0.5)
    draw.rectangle([wx0, wy0, wx1, wy1], fill=(0, 0, 0, 0))  # the window shows the sky layer
    frame = max(6, int(p.u * 0.015))
    draw.rectangle([wx0, wy0, wx1, wy1], outline=(95, 65, 45, 255), width=frame)
    draw.line([((wx0 + wx1) / 2, wy0), ((wx0 + wx1) / 2, wy1)], fill=(95, 65, 45, 255), width=frame)
    if scene.setting == "cafe":
        _cafe_fittings(draw, p)
    draw.rectangle([0, horizon, W, H], fill=(150, 100, 65, 255))


def _cafe_fittings(draw: Any, p: _Painter) -> None:
    """A cafe's pendant lamps and a shelf of jars."""
    for i in range(3):
        lx = p.X(0.55 + 0.15 * i)
        draw.line([(lx, 0), (lx, p.Y(0.18))], fill=(60, 50, 40, 255), width=3)
        draw.pieslice(
            [lx - p.u * 0.04, p.Y(0.16), lx + p.u * 0.04, p.Y(0.24)], 180, 360, fill=(240, 200, 110)
        )
        draw.ellipse([lx - 8, p.Y(0.2) - 4, lx + 8, p.Y(0.2) + 8], fill=(255, 240, 180, 255))
    shelf_y = p.Y(0.32)
    draw.rectangle([p.X(0.55), shelf_y, p.X(0.98), shelf_y + p.u * 0.02], fill=(110, 75, 50))
    for i in range(6):
        jx = p.X(0.57 + i * 0.065)
        draw.rectangle([jx, shelf_y - p.u * 0.06, jx + p.u * 0.035, shelf_y], fill=(180, 130, 90))


def _mountains(draw: Any, scene: Scene, p: _Painter, horizon: float) -> None:
    """Two ridges of mountains on the horizon, the nearer one darker."""
    W = p.size[0]
    for k, shade in enumerate(((120, 140, 170), (90, 115, 120))):
        pts: list[tuple[float, float]] = [(0.0, horizon)]
        x = 0.0
        while x < W:
            x += p.rng.uniform(0.12, 0.25) * p.u
            pts.append((x, horizon - p.rng.uniform(0.12, 0.32) * p.u * (1.3 - 0.4 * k)))
        pts += [(W, horizon), (W, horizon + 2)]
        col = _mix(shade, (30, 30, 60), 0.6) if scene.time == "night" else shade
        draw.polygon(pts, fill=(*col, 255))


def _skyline(draw: Any, scene: Scene, p: _Painter, horizon: float) -> None:
    """A street's buildings with lit windows, and neon signs at night."""
    rng, W = p.rng, p.size[0]
    night = scene.time == "night"
    base = (55, 58, 80) if night else (150, 150, 168)
    x = -p.u * 0.05
    while x < W:
        bw = p.u * rng.uniform(0.12, 0.22)
        bh = p.u * rng.uniform(0.25, 0.6)
        shade = _mix(base, (20, 20, 30), rng.uniform(0, 0.3))
        draw.rectangle([x, horizon - bh, x + bw, horizon], fill=(*shade, 255))
        step = p.u * 0.045
        wy = horizon - bh + step * 0.6
        while wy < horizon - step:
            wx = x + step * 0.4
            while wx < x + bw - step * 0.6:
                lit = rng.random() < (0.55 if night else 0.15)
                win = (255, 214, 120) if lit else _mix(shade, (0, 0, 0), 0.35)
                draw.rectangle([wx, wy, wx + step * 0.45, wy + step * 0.55], fill=(*win, 255))
                wx += step
            wy += step
        x += bw + p.u * rng.uniform(0, 0.02)
    if night:
        for _ in range(5):
            nx, ny = rng.uniform(0, W), horizon - p.u * rng.uniform(0.05, 0.2)
            neon = rng.choice([(255, 60, 160), (60, 220, 255), (255, 200, 60)])
            draw.rectangle([nx, ny, nx + p.u * 0.09, ny + p.u * 0.03], outline=(*neon, 255), width=4)


def _tree_line(draw: Any, scene: Scene, palette: dict[str, Any], p: _Painter, horizon: float) -> None:
    """Trees along the horizon: a few in a park, many in a forest, in blossom among flowers."""
    crown = (60, 110, 70) if scene.setting == "forest" else (110, 160, 95)
    if "flower" in scene.elements and scene.setting == "park":
        crown = _c(palette["accent"])
    count = 14 if scene.setting == "forest" else 6
    for _ in range(count):
        _tree(
            draw,
            p.rng.uniform(0, p.size[0]),
            horizon + p.u * 0.01,
            p.u * p.rng.uniform(0.18, 0.3),
            crown,
            p.rng,
        )


def _bokeh(draw: Any, palette: dict[str, Any], p: _Painter) -> None:
    """Soft discs of the palette's accent: an abstract composed frame for an unknown scene."""
    W, H = p.size
    accent = _c(palette["accent"])
    for _ in range(18):
        r = p.u * p.rng.uniform(0.04, 0.12)
        x, y = p.rng.uniform(0, W), p.rng.uniform(0, H)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=(*_mix(accent, (255, 255, 255), 0.4), 70))


def _far(scene: Scene, palette: dict[str, Any], p: _Painter, horizon: float) -> Any:
    """Far layer: the horizon's content (mountains, skyline, sea, tree line, room walls)."""
    img, draw = p.layer()
    setting = scene.setting
    if setting in ("room", "cafe"):
        _interior(draw, scene, palette, p, horizon)
        return img
    # a forest draws the mountains' chance too (and ignores it): later random numbers follow it
    if setting == "mountains" or (
        setting in (None, "forest") and p.rng.random() < 0.5 and setting != "forest" and not scene.world
    ):
        _mountains(draw, scene, p, horizon)
    if setting == "street":
        _skyline(draw, scene, p, horizon)
    if setting == "beach":
        sea = (20, 40, 85) if scene.time == "night" else (40, 115, 175)
        if scene.time == "sunset":
            sea = (190, 110, 80)
        draw.rectangle([0, horizon, *p.size], fill=(*sea, 255))
    if (setting in ("park", "forest") or (setting is None and scene.known())) and not scene.plain():
        _tree_line(draw, scene, palette, p, horizon)
    if setting is None and not scene.known() and not scene.world:
        _bokeh(draw, palette, p)
    return img


def _sand(draw: Any, scene: Scene, p: _Painter, close: bool) -> None:
    """The beach: sand up to a sloping waterline."""
    W, H = p.size
    sand = (225, 200, 150) if scene.time != "night" else (90, 85, 90)
    shore = p.Y(0.82 if not close else 0.86)
    draw.polygon([(0, shore), (W, shore - p.u * 0.03), (W, H), (0, H)], fill=(*sand, 255))


def _street(draw: Any, scene: Scene, p: _Painter, horizon: float) -> None:
    """The street: road, kerb, lamp posts, and in the rain puddles mirroring the lights."""
    W, H = p.size
    road = (45, 45, 55) if scene.time == "night" else (110, 110, 118)
    draw.rectangle([0, horizon, W, H], fill=(*road, 255))
    draw.rectangle([0, horizon, W, horizon + p.u * 0.04], fill=(*_mix(road, (200, 200, 200), 0.3), 255))
    for i in range(-1, 8):
        lx = p.X(i * 0.18)
        draw.line([(lx, horizon), (lx, horizon - p.u * 0.28)], fill=(50, 50, 55, 255), width=5)
        glow = (255, 220, 140)
        draw.ellipse([lx - 10, horizon - p.u * 0.3, lx + 10, horizon - p.u * 0.27], fill=(*glow, 255))
    if "rain" in scene.weather:
        for _ in range(6):
            px, py = p.rng.uniform(0, W), p.rng.uniform(horizon + p.u * 0.1, H)
            pw = p.u * p.rng.uniform(0.1, 0.25)
            col = p.rng.choice([(255, 80, 170), (80, 220, 255), (255, 210, 90)])
            draw.ellipse([px, py, px + pw, py + pw * 0.18], fill=(*col, 110))


def _tabletop(draw: Any, scene: Scene, p: _Painter, close: bool) -> None:
    """Indoors: a table across the frame, in a cafe or when a table or cup is named."""
    if scene.setting == "cafe" or "table" in scene.elements or "cup" in scene.elements:
        top = p.Y(0.72 if not close else 0.6)
        draw.rectangle([p.X(-0.05), top, p.X(1.05), top + p.u * 0.05], fill=(125, 85, 55, 255))
        draw.rectangle([p.X(-0.05), top + p.u * 0.05, p.X(1.05), p.size[1]], fill=(95, 62, 40, 255))


def _grass(
    draw: Any, scene: Scene, palette: dict[str, Any], p: _Painter, horizon: float, close: bool
) -> None:
    """Open ground: grass (or snow) darkening towards the camera, a park's path, blades of grass."""
    W, H = p.size
    ground = _c(scene.world["ground"]) if scene.world and scene.world.get("ground") else _c(palette["ground"])
    snow = "snow" in scene.weather or scene.plain()
    top_col = (240, 242, 250) if "snow" in scene.weather else ground
    draw.rectangle([0, horizon, W, H], fill=(*top_col, 255))
    for y in range(int(horizon), H, 4):
        shade = _mix(top_col, _mix(top_col, (30, 60, 30), 0.35), (y - horizon) / max(1, H - horizon))
        draw.line([(0, y), (W, y)], fill=(*shade, 255))
    if scene.setting == "park" and not close and not scene.plain():
        cx = p.X(0.5)
        draw.polygon(
            [
                (cx - p.u * 0.02, horizon),
                (cx + p.u * 0.02, horizon),
                (cx + p.u * 0.45, H),
                (cx - p.u * 0.25, H),
            ],
            fill=(*_mix(top_col, (230, 215, 180), 0.6), 255),
        )
    if not snow:
        for _ in range(260):
            gx, gy = p.rng.uniform(0, W), p.rng.uniform(horizon, H)
            draw.line(
                [(gx, gy), (gx + p.rng.uniform(-4, 4), gy - p.u * p.rng.uniform(0.006, 0.016))],
                fill=(*_mix(ground, (40, 90, 40), 0.4), 255),
                width=2,
            )


def _ground(
    draw: Any, scene: Scene, palette: dict[str, Any], p: _Painter, horizon: float, close: bool
) -> None:
    """The ground the setting stands on (none for a description the lexicon does not know)."""
    if scene.setting == "beach":
        _sand(draw, scene, p, close)
    elif scene.setting == "street":
        _street(draw, scene, p, horizon)
    elif scene.setting in ("room", "cafe"):
        _tabletop(draw, scene, p, close)
    elif scene.setting is not None or scene.known():
        _grass(draw, scene, palette, p, horizon, close)


def _flower_bed(draw: Any, palette: dict[str, Any], p: _Painter, horizon: float) -> None:
    """Flowers scattered over the ground, larger towards the camera."""
    W, H = p.size
    accent = _c(palette["accent"])
    for _ in range(60):
        fx, fy = p.rng.uniform(0, W), p.rng.uniform(horizon + p.u * 0.02, H)
        r = p.u * 0.008 * (1 + (fy - horizon) / max(1, H - horizon))
        _flower(draw, fx, fy, r, _mix(accent, (255, 255, 255), p.rng.uniform(0, 0.3)))


def _close_flower(draw: Any, palette: dict[str, Any], p: _Painter) -> None:
    """One flower on its stem filling a close-up."""
    cx, cy = p.X(0.5), p.Y(0.5)
    draw.line(
        [(cx, cy), (cx + p.u * 0.05, p.size[1])], fill=(70, 130, 60, 255), width=max(6, int(p.u * 0.02))
    )
    _flower(draw, cx, cy, p.u * 0.12, _c(palette["accent"]))


def _cup(draw: Any, p: _Painter, close: bool) -> None:
    """A cup of coffee with latte art: the subject of a close-up, else on the table."""
    r = p.u * (0.16 if close else 0.045)
    cx, cy = p.X(0.5 if close else 0.62), p.Y(0.62 if close else 0.7)
    draw.rounded_rectangle([cx - r, cy - r * 0.3, cx + r, cy + r * 0.9], radius=r * 0.3, fill=(246, 244, 238))
    draw.arc(
        [cx + r * 0.7, cy - r * 0.05, cx + r * 1.4, cy + r * 0.6],
        -90,
        90,
        fill=(246, 244, 238),
        width=max(3, int(r * 0.15)),
    )
    draw.ellipse([cx - r, cy - r * 0.5, cx + r, cy - r * 0.1], fill=(150, 98, 58))
    draw.ellipse([cx - r * 0.35, cy - r * 0.4, cx + r * 0.35, cy - r * 0.2], fill=(245, 228, 205))
    draw.ellipse([cx - r * 0.15, cy - r * 0.36, cx + r * 0.15, cy - r * 0.26], fill=(150, 98, 58))


def _still_people(
    draw: Any,
    scene: Scene,
    palette: dict[str, Any],
    p: _Painter,
    shot_type: str,
    bench: tuple[float, float],
) -> None:
    """The people who stand or sit (on the bench when there is one), under their umbrellas;
    the one who talks (`_talker`) is a sprite instead."""
    for i, (kind, action) in enumerate(scene.people):
        if action in ("walk", "run"):
            continue
        fx, ground, pose, scale = _still_place(scene, i, p, shot_type, bench)
        if i != scene.talker:
            _person(draw, fx, ground, scale, kind, palette, pose)
        if "umbrella" in scene.elements:
            _umbrella(draw, fx, p.Y(0.9) - scale * 1.05, scale)


def _still_place(
    scene: Scene, i: int, p: _Painter, shot_type: str, bench: tuple[float, float]
) -> tuple[float, float, str, float]:
    """Where still person `i` stands or sits: x, ground, pose and height."""
    kind, action = scene.people[i]
    scale = _person_scale(kind, p, shot_type)
    if action == "sit" and "bench" in scene.elements:
        return bench[0] + bench[1] * 0.45, p.Y(0.8), "sit", scale
    fx = p.X(0.3 + 0.22 * i if not _portrait(p) else 0.4 + 0.2 * i)
    return fx, p.Y(0.9 if shot_type != "aerial" else 0.75), action, scale


def _talker(scene: Scene, palette: dict[str, Any], p: _Painter, shot_type: str, talk: str) -> Sprite | None:
    """The first still person as a sprite that talks with a recorded voice: one drawing per
    mouth opening (tools/voiceover.LEVELS), the mouth wider and the near arm higher as the
    voice is louder, shown frame by frame as `talk` says (a digit per clip frame)."""
    from tools.voiceover import LEVELS

    still = [i for i, (_, action) in enumerate(scene.people) if action not in ("walk", "run")]
    if not still or not talk:
        return None
    scene.talker = still[0]
    kind = scene.people[scene.talker][0]
    fx, ground, pose, scale = _still_place(
        scene, scene.talker, p, shot_type, _bench_place(scene, p, shot_type)
    )
    w, h = int(scale * 1.0) + 4, int(scale * 1.1) + 4
    frames = []
    for level in range(LEVELS):
        img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
        _person(ImageDraw.Draw(img, "RGBA"), w / 2, h - 2, scale, kind, palette, pose, say=level)
        frames.append(img)
    return Sprite(frames, fx - w / 2, ground - (h - 2), word=kind, talk=talk)


def _near(scene: Scene, palette: dict[str, Any], p: _Painter, horizon: float, shot_type: str) -> Any:
    """Near layer: ground, path, bench, flowers, cups and the people who do not move."""
    img, draw = p.layer()
    close = shot_type == "close-up"
    _ground(draw, scene, palette, p, horizon, close)
    if "tree" in scene.elements and scene.setting not in ("room", "cafe"):
        crown = _c(palette["accent"]) if "flower" in scene.elements else (90, 150, 80)
        for fx in (0.08, 0.9) if not _portrait(p) else (0.05,):
            _tree(draw, p.X(fx), horizon + p.u * 0.12, p.u * 0.55, crown, p.rng)
    bench = _bench_place(scene, p, shot_type)
    if "bench" in scene.elements:
        _bench(draw, bench[0], p.Y(0.8), bench[1])
    if "flower" in scene.elements and not close:
        _flower_bed(draw, palette, p, horizon)
    if close and (scene.subject == "flower" or (scene.subject == "drop" and "flower" in scene.elements)):
        _close_flower(draw, palette, p)
    if scene.subject == "cup" or ("cup" in scene.elements and scene.setting in ("cafe", "room")):
        _cup(draw, p, close)
    if not any(a in ("walk", "run") for _, a in scene.people):  # a walking pet is a sprite
        for kind in ("cat", "dog"):
            if kind in scene.elements:
                _animal(draw, p.X(0.35), p.Y(0.86), p.u * (0.3 if close else 0.1), kind)
    _still_people(draw, scene, palette, p, shot_type, bench)
    return img


def _bench(draw: Any, x: float, ground: float, scale: float) -> None:
    """A park bench sized for a person `scale` tall: seat at a quarter of their height."""
    wood, iron = (135, 92, 60, 255), (70, 60, 50, 255)
    bw, seat = scale * 0.85, ground - scale * 0.24
    draw.rectangle([x, seat - scale * 0.3, x + bw, seat - scale * 0.25], fill=wood)
    draw.rectangle([x, seat - scale * 0.2, x + bw, seat - scale * 0.15], fill=wood)
    draw.rectangle([x - 4, seat - scale * 0.03, x + bw + 4, seat + scale * 0.02], fill=wood)
    for lx in (x + scale * 0.04, x + bw - scale * 0.07):
        draw.rectangle([lx, seat - scale * 0.3, lx + scale * 0.03, ground], fill=iron)


def _flower(draw: Any, x: float, y: float, r: float, col: Color) -> None:
    for k in range(5):
        a = k * 2 * math.pi / 5
        px, py = x + math.cos(a) * r, y + math.sin(a) * r
        draw.ellipse([px - r * 0.75, py - r * 0.75, px + r * 0.75, py + r * 0.75], fill=(*col, 235))
    draw.ellipse([x - r * 0.45, y - r * 0.45, x + r * 0.45, y + r * 0.45], fill=(255, 210, 80, 255))


def _person_scale(kind: str, p: _Painter, shot_type: str) -> float:
    base = {"close-up": 0.7, "aerial": 0.14, "long": 0.2, "wide": 0.3}.get(shot_type, 0.42)
    return p.u * base * (0.68 if kind == "child" else 1.0)


def _person(
    draw: Any,
    x: float,
    ground: float,
    height: float,
    kind: str,
    palette: dict[str, Any],
    pose: str,
    phase: int = 0,
    say: int = -1,
) -> None:
    """A stylised figure standing on `ground` at x: head, body, arms, legs by pose. `say` >= 0
    gives it a face that talks: eyes, and a mouth open `say` steps, the near arm raised as much."""
    skin, hair = (242, 206, 176), {"old": (215, 215, 215), "child": (80, 50, 30)}.get(kind, (50, 38, 30))
    cloth = {"child": (235, 90, 110), "old": (110, 120, 150)}.get(kind, _c(palette["accent"]))
    lw = max(3, int(height * 0.05))
    head = height * 0.1
    hip = ground - height * 0.45
    if pose == "sit":
        hip = ground - height * 0.26
        draw.line([(x, hip), (x - height * 0.2, hip)], fill=(60, 55, 70), width=lw)
        draw.line([(x - height * 0.2, hip), (x - height * 0.22, ground)], fill=(60, 55, 70), width=lw)
    else:
        swing = {"walk": 0.14, "run": 0.24}.get(pose, 0.04) * (1 if phase == 0 else -1)
        for s in (swing, -swing):
            draw.line([(x, hip), (x + s * height, ground)], fill=(60, 55, 70), width=lw)
    shoulder = hip - height * 0.33
    if kind == "child":
        draw.polygon(
            [
                (x - height * 0.1, shoulder),
                (x + height * 0.1, shoulder),
                (x + height * 0.16, hip + height * 0.05),
                (x - height * 0.16, hip + height * 0.05),
            ],
            fill=cloth,
        )
    else:
        draw.rounded_rectangle(
            [x - height * 0.1, shoulder, x + height * 0.1, hip + height * 0.02],
            radius=height * 0.04,
            fill=cloth,
        )
    arm = {"run": 0.2, "walk": 0.12}.get(pose, 0.05) * (1 if phase == 0 else -1)
    for s in (arm, -arm):
        lift = max(0, say) * 0.06 if s >= 0 else 0.0  # a talking figure gestures with its near hand
        draw.line(
            [
                (x, shoulder + height * 0.03),
                (
                    x + s * height + (height * (0.04 + lift) if s >= 0 else -height * 0.04),
                    shoulder + height * (0.28 - lift * 1.6),
                ),
            ],
            fill=cloth,
            width=lw,
        )
    draw.ellipse([x - head, shoulder - head * 2.05, x + head, shoulder - head * 0.05], fill=skin)
    draw.chord(
        [x - head * 1.05, shoulder - head * 2.15, x + head * 1.05, shoulder - head * 0.7], 180, 360, fill=hair
    )
    if kind == "child":
        draw.ellipse(
            [x + head * 0.8, shoulder - head * 1.7, x + head * 1.4, shoulder - head * 1.1], fill=hair
        )
    if say >= 0:
        cy, eye = shoulder - head * 1.05, max(1.0, head * 0.12)
        for ex in (x - head * 0.38, x + head * 0.38):
            draw.ellipse([ex - eye, cy - eye, ex + eye, cy + eye], fill=(40, 30, 30))
        mw, mh = head * (0.55 - 0.05 * say), max(1.0, head * (0.06 + 0.16 * say))
        my = cy + head * 0.42
        draw.ellipse([x - mw / 2, my - mh * 0.3, x + mw / 2, my + mh * 0.7], fill=(120, 40, 50))


def _umbrella(draw: Any, x: float, top: float, height: float) -> None:
    r = height * 0.32
    draw.pieslice([x - r, top - r * 0.6, x + r, top + r * 0.6], 180, 360, fill=(60, 70, 150))
    draw.line([(x, top), (x, top + height * 0.35)], fill=(40, 40, 40), width=3)


def _animal(draw: Any, x: float, ground: float, size: float, kind: str, phase: int = 0) -> None:
    col = (230, 150, 70) if kind == "cat" else (160, 110, 70)
    body_h = size * 0.35
    draw.ellipse(
        [x - size * 0.45, ground - size * 0.55, x + size * 0.35, ground - size * 0.55 + body_h], fill=col
    )
    hx, hy = x + size * 0.4, ground - size * 0.62
    draw.ellipse([hx - size * 0.16, hy - size * 0.15, hx + size * 0.16, hy + size * 0.15], fill=col)
    ear = size * 0.1
    if kind == "cat":
        draw.polygon([(hx - ear, hy - ear * 0.6), (hx - ear * 0.3, hy - ear * 2), (hx, hy - ear)], fill=col)
        draw.polygon([(hx + ear, hy - ear * 0.6), (hx + ear * 0.3, hy - ear * 2), (hx, hy - ear)], fill=col)
    else:
        draw.ellipse([hx - ear * 1.6, hy - ear, hx - ear * 0.6, hy + ear * 1.2], fill=(110, 70, 40))
    swing = size * 0.1 * (1 if phase == 0 else -1)
    for lx in (x - size * 0.3, x + size * 0.2):
        draw.line([(lx, ground - size * 0.3), (lx + swing, ground)], fill=col, width=max(3, int(size * 0.06)))
    draw.line(
        [(x - size * 0.45, ground - size * 0.45), (x - size * 0.7, ground - size * 0.75)],
        fill=col,
        width=max(3, int(size * 0.05)),
    )


def _bird_ground(draw: Any, x: float, y: float, s: float, pecking: bool = False) -> None:
    """A pigeon on the ground, head up or down (pecking)."""
    draw.ellipse([x - s, y - s * 0.5, x + s * 0.6, y + s * 0.3], fill=(140, 140, 155))
    hx, hy = (x + s * 0.75, y - s * 0.05) if pecking else (x + s * 0.6, y - s * 0.5)
    draw.ellipse([hx - s * 0.25, hy - s * 0.25, hx + s * 0.25, hy + s * 0.25], fill=(120, 125, 140))
    beak = [(hx + s * 0.25, hy - s * 0.05), (hx + s * 0.45, hy + s * 0.05), (hx + s * 0.25, hy + s * 0.1)]
    draw.polygon(beak, fill=(230, 170, 60))


def _flock(p: _Painter, count: int, scale: float, night: bool, phase: int, seed: int) -> Any:
    rng = random.Random(seed)
    span = p.u * 0.5
    img = Image.new("RGBA", (int(span * 1.6), int(span)), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img, "RGBA")
    col = (230, 230, 240, 255) if night else (70, 70, 85, 255)
    for _ in range(count):
        bx, by = rng.uniform(0.1, 0.9) * img.width, rng.uniform(0.15, 0.85) * img.height
        s = p.u * scale * rng.uniform(0.7, 1.2)
        lift = -0.55 if phase == 0 else 0.35
        draw.line(
            [(bx - s, by + s * lift), (bx, by), (bx + s, by + s * lift)],
            fill=col,
            width=max(3, int(s * 0.22)),
        )
        draw.ellipse([bx - s * 0.18, by - s * 0.1, bx + s * 0.18, by + s * 0.16], fill=col)
    return img


def _particles(kind: str, p: _Painter, palette: dict[str, Any], seed: int) -> Sprite:
    """A tile twice the frame's height whose halves match, scrolled down forever."""
    rng = random.Random(seed)
    w, h = p.w, p.h
    half = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(half, "RGBA")
    accent = _c(palette["accent"])
    count = {"rain": 260, "snow": 140, "petals": 40, "leaves": 30, "dust": 60, "motes": 120}[kind]
    for _ in range(count):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        if kind == "rain":
            ln = p.u * rng.uniform(0.03, 0.06)
            draw.line([(x, y), (x - ln * 0.2, y + ln)], fill=(210, 220, 240, 120), width=2)
        elif kind == "snow":
            r = p.u * rng.uniform(0.003, 0.008)
            draw.ellipse([x - r, y - r, x + r, y + r], fill=(255, 255, 255, 230))
        elif kind == "petals":
            r = p.u * rng.uniform(0.006, 0.012)
            col = _mix(accent, (255, 235, 240), rng.uniform(0.2, 0.6))
            draw.ellipse([x - r, y - r * 0.55, x + r, y + r * 0.55], fill=(*col, 230))
        elif kind == "leaves":
            r = p.u * rng.uniform(0.008, 0.014)
            col = rng.choice([(210, 120, 40), (190, 70, 40), (220, 170, 60)])
            draw.ellipse([x - r, y - r * 0.5, x + r, y + r * 0.5], fill=(*col, 240))
        elif kind == "motes":  # the reviewer's fix: big enough to see drift in a draft-size frame
            r = p.u * rng.uniform(0.006, 0.012)
            draw.ellipse([x - r, y - r, x + r, y + r], fill=(255, 245, 220, 170))
        else:
            r = p.u * rng.uniform(0.002, 0.005)
            draw.ellipse([x - r, y - r, x + r, y + r], fill=(255, 245, 220, 120))
    tile = Image.new("RGBA", (w, 2 * h), (0, 0, 0, 0))
    tile.paste(half, (0, 0))
    tile.paste(half, (0, h))
    speed = {"rain": 2.2, "snow": 0.12, "petals": 0.1, "leaves": 0.13, "dust": 0.03, "motes": 0.08}[kind] * h
    # x is in frame coordinates (depth 0 = no parallax); y loops over one tile height.
    return Sprite(
        [tile], 0, -h, vy=speed, loop=h / speed, depth=0.0, sway=p.u * (0.02 if kind != "rain" else 0)
    )


def _bench_place(scene: Scene, p: _Painter, shot_type: str) -> tuple[float, float]:
    """Where the bench stands (canvas x) and the height of the person it is sized for."""
    sitter = next((kind for kind, action in scene.people if action == "sit"), "adult")
    return p.X(0.55 if not _portrait(p) else 0.3), _person_scale(sitter, p, shot_type)


def _flying_birds(scene: Scene, p: _Painter, shot_type: str, seed: int) -> Sprite | None:
    """A flock crossing the sky, flapping (two drawings)."""
    if scene.birds != "fly":
        return None
    aerial = shot_type == "aerial"
    night = scene.time == "night"
    frames = [_flock(p, 16 if aerial else 8, 0.03 if aerial else 0.045, night, k, seed) for k in (0, 1)]
    y0 = p.Y(0.55 if aerial else 0.35)
    return Sprite(
        frames, p.X(0.1), y0, vx=p.u * 0.05, vy=-p.u * (0.06 if aerial else 0.02), depth=0.8, period=0.36
    )


def _walker_frame(
    scene: Scene, palette: dict[str, Any], kind: str, action: str, scale: float, phase: int
) -> Any:
    """One stride of a walking or running person, under an umbrella when the scene has one."""
    img = Image.new("RGBA", (int(scale * 0.8), int(scale * 1.05)), (0, 0, 0, 0))
    _person(ImageDraw.Draw(img, "RGBA"), img.width / 2, img.height - 2, scale, kind, palette, action, phase)
    if "umbrella" in scene.elements:
        tall = Image.new("RGBA", (img.width, int(img.height * 1.25)), (0, 0, 0, 0))
        tall.alpha_composite(img, (0, tall.height - img.height))
        _umbrella(ImageDraw.Draw(tall, "RGBA"), tall.width / 2, tall.height - scale * 1.02, scale)
        img = tall
    return img


def _walkers(scene: Scene, palette: dict[str, Any], p: _Painter, shot_type: str) -> list[Sprite]:
    """The people who walk or run across the frame."""
    sprites = []
    for kind, action in scene.people:
        if action not in ("walk", "run"):
            continue
        scale = _person_scale(kind, p, shot_type)
        frames = [_walker_frame(scene, palette, kind, action, scale, phase) for phase in (0, 1)]
        fast = action == "run"
        start = p.X(0.05 if fast else 0.15)
        ground = p.Y(0.86 if shot_type != "aerial" else 0.74)
        sprites.append(
            Sprite(
                frames,
                start - scale * 0.4,
                ground - frames[0].height,
                vx=p.u * (0.09 if fast else 0.04),
                depth=1.0,
                period=0.36 if fast else 0.6,
                bob=scale * (0.03 if fast else 0.015),
            )
        )
    return sprites


def _walking_animals(scene: Scene, p: _Painter) -> list[Sprite]:
    """A cat or dog trotting along with the people who walk (the one at rest is in the near layer)."""
    if not any(a in ("walk", "run") for _, a in scene.people):
        return []
    sprites = []
    for kind in ("cat", "dog"):
        if kind not in scene.elements:
            continue
        size = p.u * 0.12
        frames = []
        for phase in (0, 1):
            img = Image.new("RGBA", (int(size * 1.3), int(size * 0.9)), (0, 0, 0, 0))
            _animal(ImageDraw.Draw(img, "RGBA"), img.width * 0.5, img.height - 2, size, kind, phase)
            frames.append(img)
        sprites.append(
            Sprite(
                frames, p.X(0.0), p.Y(0.86) - size * 0.9, vx=p.u * 0.1, depth=1.0, period=0.3, bob=size * 0.05
            )
        )
    return sprites


def _falling_drop(scene: Scene, p: _Painter, shot_type: str) -> Sprite | None:
    """A drop of water that hangs, then falls, again and again."""
    if "drop" not in scene.elements:
        return None
    close = shot_type == "close-up"
    r = p.u * (0.032 if close else 0.008)
    img = Image.new("RGBA", (int(r * 2.4), int(r * 3.4)), (0, 0, 0, 0))
    d = ImageDraw.Draw(img, "RGBA")
    cx = img.width / 2
    d.ellipse(
        [cx - r, img.height - 2 * r - 1, cx + r, img.height - 1],
        fill=(205, 232, 255, 230),
        outline=(255, 255, 255, 255),
        width=2,
    )
    d.polygon(
        [(cx - r * 0.75, img.height - r * 1.6), (cx + r * 0.75, img.height - r * 1.6), (cx, 1)],
        fill=(205, 232, 255, 230),
    )
    top = p.Y(0.5) + (p.u * 0.15 if close else 0)
    return Sprite([img], p.X(0.5) + p.u * 0.06 - cx, top, gravity=p.u * 0.5, loop=2.2, hold=0.8, depth=1.0)


def _alternating(drawings: list[Any], depth: float, period: float, **motion: float) -> Sprite | None:
    """Full-canvas drawings shown in turn, all cropped to the first one's content."""
    sprite = _crop_sprite(drawings[0], depth=depth, **motion)
    if sprite:
        box = drawings[0].getbbox() or (0, 0, 1, 1)
        sprite.frames = [g.crop(box) for g in drawings]
        sprite.period = period
    return sprite


def _ground_birds(scene: Scene, p: _Painter, shot_type: str) -> Sprite | None:
    """Pigeons pecking around the bench, in turns."""
    if scene.birds != "ground":
        return None
    bench_x, bench_scale = _bench_place(scene, p, shot_type)
    rng = p.rng
    spots = [(bench_x + bench_scale * rng.uniform(-0.6, 1.2), p.Y(rng.uniform(0.8, 0.86))) for _ in range(9)]
    pecks = []
    for phase in (0, 1):
        img, d = p.layer()
        for k, (bx, by) in enumerate(spots):
            _bird_ground(d, bx, by, p.u * 0.035, pecking=(k + phase) % 2 == 0)
        pecks.append(img)
    return _alternating(pecks, depth=1.0, period=0.7)


def _surf(scene: Scene, p: _Painter, shot_type: str) -> Sprite | None:
    """Foam washing up the sand and back along the waterline."""
    img, d = p.layer()
    shore = p.Y(0.82 if shot_type != "close-up" else 0.86)
    W, slope, band = p.size[0], p.u * 0.03, p.u * 0.03
    foam = (250, 250, 245, 170) if scene.time != "night" else (170, 175, 190, 150)
    d.polygon([(0, shore - band), (W, shore - slope - band), (W, shore - slope), (0, shore)], fill=foam)
    step = p.u * 0.07
    for k in range(int(W / step) + 2):
        x = k * step
        y = shore - slope * x / W
        d.ellipse([x - step * 0.6, y - band * 0.5, x + step * 0.6, y + band * 0.45], fill=foam)
    surf = _crop_sprite(img, depth=1.0, bob=p.u * 0.035)
    if surf:
        surf.period = 3.2
    return surf


def _glints(p: _Painter, horizon: float, seed: int) -> Sprite | None:
    """Sunlight glinting on the sea, flickering between two drawings."""
    glints = []
    for phase in (0, 1):
        img, d = p.layer()
        grng = random.Random(seed + phase)
        for _ in range(50):
            gx, gy = grng.uniform(0, p.size[0]), grng.uniform(horizon + 4, p.Y(0.8))
            gl = p.u * grng.uniform(0.02, 0.05)
            d.line([(gx, gy), (gx + gl, gy)], fill=(255, 255, 240, 170), width=2)
        glints.append(img)
    return _alternating(glints, depth=0.55, period=0.8, sway=p.u * 0.01)


def _tint(img: Any, colour: str) -> Any:
    """An icon recoloured towards a colour word: its coloured pixels take the colour's hue (and,
    for white, black and grey, its lightness), its outlines and greys stay."""
    rgb = lexicon.load("drawing")["colours"][colour]["rgb"]
    arr = np.asarray(img.convert("RGBA")).astype(np.float32)
    colourful = (arr[..., :3].max(axis=2) - arr[..., :3].min(axis=2)) > 40
    light = arr[..., :3].mean(axis=2, keepdims=True) / 255.0
    target = np.array(rgb, dtype=np.float32) / 255.0
    shade = np.clip(target * (0.45 + 0.9 * light), 0, 1) * 255
    arr[..., :3] = np.where(colourful[..., None], shade, arr[..., :3])
    return Image.fromarray(arr.astype(np.uint8), "RGBA")


def _icon_image(thing: drawing.Thing, height: float) -> Any:
    """The thing's icon at a height (several copies side by side when the words count them)."""
    icon = icons.raster(str(thing.icon), int(height * 1.05))
    if thing.colour:
        icon = _tint(icon, thing.colour)
    count = min(thing.count, 5)
    if count == 1:
        return _even(icon)
    small = icon.resize(
        (max(2, int(icon.width * 0.7)), max(2, int(icon.height * 0.7))), Image.Resampling.LANCZOS
    )
    step = int(small.width * 0.8)
    group = Image.new("RGBA", (small.width + step * (count - 1), int(small.height * 1.15)), (0, 0, 0, 0))
    for k in range(count):
        group.alpha_composite(small, (k * step, int(small.height * 0.15) * (k % 2)))
    return _even(group)


def _even(img: Any) -> Any:
    """The picture on a transparent box of even width and height (ffmpeg's scale and pad
    filters round odd sizes)."""
    w, h = img.width + img.width % 2, img.height + img.height % 2
    if (w, h) == img.size:
        return img
    box = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    box.alpha_composite(img, (0, h - img.height))
    return box


def _icon_sprites(
    things: drawing.Drawing, p: _Painter, shot_type: str, horizon: float, seed: int
) -> list[Sprite]:
    """The description's things that icons draw, sized by the shot (large in a close-up, small
    in a long shot; the first named is the largest), placed by what they are (buildings on the
    horizon behind, the sky's things above, the rest on the ground) and moved by their action."""
    place = lexicon.load("drawing")["placement"]
    rng = random.Random(seed * 7 + 3)
    ground_slots = [0.5, 0.24, 0.76, 0.36, 0.64]
    out: list[Sprite] = []
    actors = 0
    seen: set[str] = set()
    for k, thing in enumerate(things.sprites[:6]):
        name, action = str(thing.icon), thing.action
        if name in seen:  # named twice, drawn once
            continue
        seen.add(name)
        back = name in place["backdrop"] and action is None
        sky = name in place["sky"] or action in ("fly", "float") and name not in place["backdrop"]
        table = place["backdrop_size"] if back else place["size"]
        scale = float(table.get(shot_type, table["medium"])) * (1.0 if k == 0 else 0.62)
        if sky and not back:
            scale *= 0.75
        img = _icon_image(thing, p.u * scale)
        moving = action in ("walk", "run", "drive", "fly", "swim")
        if moving:
            img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)  # the artwork faces left; it goes right
        if back:
            x = p.X(0.72 if k % 2 == 0 else 0.28) - img.width / 2
            y = horizon - img.height * 0.92
            out.append(Sprite([img], x, y, depth=0.6, word=thing.word, action=action))
            continue
        slot = ground_slots[actors % len(ground_slots)]
        actors += 1
        if sky:
            x = p.X(slot) - img.width / 2
            y = p.Y(0.1 + 0.08 * (actors % 2))
        else:
            bottom = p.Y(0.95 if shot_type == "close-up" else 0.9 if shot_type != "aerial" else 0.8)
            x, y = p.X(slot) - img.width / 2, bottom - img.height
        sprite = Sprite([img], x, y, depth=0.9, word=thing.word, action=action, period=2.4, bob=p.u * 0.006)
        _act(sprite, action, p, img, rng, icons.category(name) == "People & Body")
        out.append(sprite)
    return out


def _product_shot(description: str) -> bool:
    """Whether a description shows a product as in an ad: revealed, on a podium, in the spotlight."""
    words = lexicon.load("drawing")["product_words"]
    low = description.lower()
    return any(w in low for w in words["en"]) or any(w in description for w in words["zh"])


def _staged(sprites: list[Sprite], p: _Painter) -> list[Sprite]:
    """The product layout: the first icon centred on a podium, under a light sweeping across."""
    main = next((s for s in sprites if s.word), None)
    if main is None:
        return sprites
    img = main.frames[0]
    main.vx, main.wrap, main.bob, main.period = 0.0, 0.0, p.u * 0.008, 3.0
    main.x = p.X(0.5) - img.width / 2
    top = p.Y(0.9) - p.u * 0.08
    main.y = top - img.height + p.u * 0.02
    w = max(img.width * 1.3, p.u * 0.3)
    podium = Image.new("RGBA", (int(w), int(p.u * 0.12)), (0, 0, 0, 0))
    d = ImageDraw.Draw(podium, "RGBA")
    d.rectangle([0, podium.height * 0.3, w, podium.height], fill=(235, 232, 240, 255))
    d.ellipse([0, 0, w, podium.height * 0.6], fill=(250, 250, 255, 255))
    d.ellipse([0, podium.height * 0.75, w, podium.height * 1.2], fill=(200, 196, 210, 255))
    base = Sprite([podium], p.X(0.5) - w / 2, top - podium.height * 0.3, depth=0.9)
    band = Image.new("RGBA", (int(p.u * 0.18), int(p.size[1])), (0, 0, 0, 0))
    bd = ImageDraw.Draw(band, "RGBA")
    for i in range(band.width):  # soft edges
        a = int(70 * math.sin(math.pi * i / max(1, band.width - 1)))
        bd.line([(i, 0), (i, band.height)], fill=(255, 255, 255, a))
    band = band.rotate(-18, expand=True, resample=Image.Resampling.BICUBIC)
    sweep = Sprite([band], p.X(-0.2), -p.my, vx=p.u * 0.45, wrap=p.w + band.width * 2, depth=0.0)
    rest = [s for s in sprites if s is not main]
    return [*rest, base, main, sweep]


def _act(
    s: Sprite, action: str | None, p: _Painter, img: Any, rng: random.Random, person: bool = False
) -> None:
    """A sprite's motion for an action: a path, a bob or squash, a rotation, a scale over time."""
    u, h = p.u, img.height
    if action in ("walk", "run", "drive"):
        speed = {"walk": 0.12, "run": 0.25, "drive": 0.3}[action]
        s.x, s.vx, s.wrap = p.X(0.06), u * speed, p.w + img.width
        s.period, s.bob = {"walk": (0.6, h * 0.025), "run": (0.36, h * 0.07), "drive": (0.3, h * 0.008)}[
            action
        ]
    elif action == "fly":
        s.x, s.vx, s.period, s.bob, s.wrap = p.X(0.04), u * 0.3, 0.9, h * 0.08, p.w + img.width
    elif action == "swim":
        s.y = p.Y(0.45) - h / 2
        s.x, s.vx, s.period, s.bob, s.sway = p.X(0.1), u * 0.1, 1.6, h * 0.05, u * 0.02
        s.wrap = p.w + img.width
    elif action == "jump":
        s.period, s.bob = 0.8, h * 0.45
    elif action == "fall":
        s.y, s.gravity, s.loop, s.hold = p.Y(-0.05) - h, u * 0.35, 2.6, 0.2
    elif action == "spin" and person:  # a person twirls, and never turns upside down
        s.rock, s.period = 0.35, 1.0
    elif action == "spin":
        s.spin = 2.4 * (1 if rng.random() < 0.5 else -1)
    elif action == "float":
        s.period, s.bob, s.sway = 3.2, u * 0.04, u * 0.03
    elif action == "grow":
        s.grow, s.bob = 2.2, 0.0
    elif action == "pour":
        s.rock, s.period = 0.45, 3.0
    elif action == "wave":
        s.rock, s.period = 0.18, 0.9
    elif action == "eat":
        s.squash, s.period = 0.1, 0.5
    elif action == "sit":
        s.period, s.bob = 3.0, h * 0.01


def _subject(scene: Scene, shot_type: str) -> tuple[float, float]:
    """Where the shot's subject is (frame fractions), which a push-in moves towards."""
    if (scene.subject in ("cup", "flower") and shot_type == "close-up") or "drop" in scene.elements:
        return (0.5, 0.55)
    if any(action in ("walk", "run") for _, action in scene.people):
        return (0.4, 0.75)
    return (0.5, 0.5)


def compose(
    description: str,
    mood: str,
    frame: tuple[int, int],
    seed: int,
    shot_type: str = "medium",
    image: Any = None,
    motes: bool = False,
    sketch: Any = None,
    talk: str = "",
) -> Composition:
    """Compose a shot: read the description and draw its layers and sprites for `frame`;
    `motes` adds drifting motes (the reviewer's fix for a shot that stands still); `sketch`, a
    user's drawing (tools/sketch.py), takes the place and the motion of the thing the
    description names, drawn on and boiling; `talk`, the mouth openings of a recorded voice
    per clip frame, makes the first person who stands still talk (else a drawn face)."""
    data = lexicon.load("scenes")
    w, h = frame
    margin = (round(w * 0.06 / 2) * 2, round(h * 0.06 / 2) * 2)
    p = _Painter(frame, margin, random.Random(seed))
    mood = lexicon.base_mood(mood)
    palette = data["palettes"].get(mood, data["palettes"]["warm"])
    look = dict(data["looks"].get(mood, data["looks"]["warm"]))
    things = drawing.resolve(description)
    scene = read_scene(description, drawing.claimed(description))
    place = drawing.world(description)
    if place:  # a world of data/drawing.json stands on one of the painter's settings
        scene.world = lexicon.load("drawing")["worlds"][place[0]]
        scene.setting = scene.world["painter"]
    if scene.setting is None and things.sprites and not scene.world:  # somewhere for the things to stand
        first = icons.category(str(things.sprites[0].icon)) or ""
        scene.setting = lexicon.load("drawing")["placement"]["setting_for_category"].get(first)
        if _product_shot(description):  # a product stands in a studio
            scene.setting = "room"
    if image is not None:
        fitted = _cover(image.convert("RGB"), p.size)
        drifting = [_particles("motes", p, palette, seed + 11)] if motes else []  # a flat picture still moves
        return Composition(apply_look(fitted, look).convert("RGB"), [], drifting, margin, (0.5, 0.5), look)
    horizon = _horizon(scene, p, shot_type)
    speaker = _talker(scene, palette, p, shot_type, talk)  # before the near layer: not drawn there
    sky = _bloom(
        apply_look(_sky(scene, palette, p, horizon), look).convert("RGB"), float(look.get("bloom", 0))
    )
    layers = [
        _crop_layer(_far(scene, palette, p, horizon), 0.55),
        _crop_layer(_near(scene, palette, p, horizon, shot_type), 1.0),
    ]
    for layer in layers:  # the look after cropping: only the pixels that are there
        if layer:
            layer.image = apply_look(layer.image, look)
    # drawn in this order: the painter's random numbers are drawn in it too
    sprites = [
        _clouds(scene, p, horizon),
        _flying_birds(scene, p, shot_type, seed),
        *_walkers(scene, palette, p, shot_type),
        *_walking_animals(scene, p),
        _falling_drop(scene, p, shot_type),
        _ground_birds(scene, p, shot_type),
    ]
    if scene.setting == "beach":
        sprites += [_surf(scene, p, shot_type), _glints(p, horizon, seed)]
    if place and scene.world:  # the world's own dressing, behind what the description names
        drawn = {t.icon for t in things.sprites}
        for prop in scene.world.get("props", []):
            if prop not in drawn:
                things.things.append(drawing.Thing(place[1], 10**6, 10**6, prop))
    sprites += _icon_sprites(things, p, shot_type, horizon, seed)
    if things.sprites and _product_shot(description):
        sprites = [*_staged([s for s in sprites if s], p)]
    particle = scene.particles or (
        "dust" if not (scene.known() or things.sprites) or scene.setting in ("room", "cafe") else None
    )
    if particle:
        sprites.append(_particles(particle, p, palette, seed + 7))
    if motes:
        sprites.append(_particles("motes", p, palette, seed + 11))
    if sketch is not None:
        sprites = list(_with_sketch([s for s in sprites if s], sketch, palette, p, seed, description))
    comp = Composition(
        sky=sky,
        layers=[layer for layer in layers if layer],
        sprites=[s for s in [*sprites, speaker] if s],
        margin=margin,
        subject=_subject(scene, shot_type),
        look=look,
    )
    if talk and speaker is None:  # no one stands there: a drawn face talks, if there is one
        talking(comp, talk)
    return comp


FLYING = r"\bfl(y|ies|ying|ew)\b|\bsoar\w*|\bglid\w*|飞|翱翔|盘旋"


def _with_sketch(
    sprites: list[Sprite],
    drawing_: Any,
    palette: dict[str, Any],
    p: _Painter,
    seed: int,
    description: str = "",
) -> list[Sprite]:
    """The sprites with the user's sketch in the place of the first thing the description names
    (its position, size and motion: a sketched bird flies as the bird would), or standing in
    the middle of the ground when it names nothing the painter draws."""
    from tools import sketch as sketches

    cleaned = sketches.clean(drawing_)
    named = next((i for i, s in enumerate(sprites) if s.word), None)
    frame_h = p.size[1]
    if named is not None:
        old = sprites[named]
        h = min(frame_h * 0.6, max(old.frames[0].height * 1.4, frame_h * 0.26))
    else:
        h = frame_h * 0.42
    intro, boil = sketches.frames(cleaned, palette, round(h), seed)
    w = boil[0].width
    if named is not None:
        old = sprites[named]
        x = old.x + old.frames[0].width / 2 - w / 2
        y = old.y + old.frames[0].height - boil[0].height
        moved = Sprite(
            boil,
            x,
            max(0.0, y),
            old.vx,
            old.vy,
            old.gravity,
            old.loop,
            old.depth,
            0.375,
            old.bob,
            old.sway,
            wrap=old.wrap,
            word=old.word,
            action=old.action,
            intro=intro,
        )
        return [*sprites[:named], moved, *sprites[named + 1 :]]
    if re.search(FLYING, description, flags=re.I):  # it flies: across the sky, bobbing
        x, y = p.X(0.3) - w / 2, p.Y(0.18)
        fly = Sprite(
            boil, x, y, vx=p.u * 0.06, depth=0.9, period=0.375, bob=p.u * 0.02, intro=intro, word="sketch"
        )
        return [*sprites, fly]
    x, y = p.X(0.5) - w / 2, p.Y(0.88) - boil[0].height
    return [
        *sprites,
        Sprite(boil, x, y, depth=0.9, period=0.375, bob=p.u * 0.006, intro=intro, word="sketch"),
    ]


def _cover(img: Any, size: tuple[int, int]) -> Any:
    """Scale and centre-crop an image to fill `size`."""
    w, h = size
    scale = max(w / img.width, h / img.height)
    resized = img.resize(
        (max(w, round(img.width * scale)), max(h, round(img.height * scale))), Image.Resampling.LANCZOS
    )
    x, y = (resized.width - w) // 2, (resized.height - h) // 2
    return resized.crop((x, y, x + w, y + h))


def flatten(comp: Composition) -> Any:
    """One still of the composition at t=0 with the camera centred (for storyboards/tests)."""
    canvas = comp.sky.convert("RGBA")
    for layer in comp.layers:
        canvas.alpha_composite(layer.image, (layer.x, layer.y))
    mx, my = comp.margin
    for s in comp.sprites:
        x = int(s.x + (mx if s.depth == 0 else 0))
        y = int(s.y + (my if s.depth == 0 else 0))
        if -s.frames[0].width < x < canvas.width and -s.frames[0].height < y < canvas.height:
            canvas.alpha_composite(s.frames[0], (max(0, x), max(0, y)), (max(0, -x), max(0, -y)))
    return canvas.crop((mx, my, canvas.width - mx, canvas.height - my)).convert("RGB")


def _mouth(picture: Any) -> tuple[int, int, int, int, Color] | None:
    """The mouth of a drawn face (an emoji's dark red or magenta shape with face above and
    below it): its box (x0, y0, x1, y1) and colour, or None when the picture has no face."""
    from scipy import ndimage

    rgba = np.asarray(picture.convert("RGBA")).astype(int)
    r, g, a = rgba[..., 0], rgba[..., 1], rgba[..., 3]
    h, w = a.shape
    found, count = ndimage.label((a > 200) & (r > 120) & (g < 60) & (r - g > 90))
    if not count:
        return None
    sizes = ndimage.sum(np.ones_like(a), found, range(1, count + 1))
    for j in np.argsort(sizes)[::-1]:
        if sizes[j] < 0.002 * w * h or sizes[j] > 0.2 * w * h:
            continue
        ys, xs = np.nonzero(found == j + 1)
        x0, x1, y0, y1 = int(xs.min()), int(xs.max()) + 1, int(ys.min()), int(ys.max()) + 1
        cx = (x0 + x1) // 2
        above, below = rgba[max(0, y0 - 3), cx], rgba[min(h - 1, y1 + 2), cx]
        if y1 < 0.97 * h and x1 - x0 >= y1 - y0 and above[3] > 200 and above[1] > 110 and below[3] > 200:
            colour = rgba[ys, xs, :3].min(axis=0)
            return x0, y0, x1, y1, (int(colour[0]), int(colour[1]), int(colour[2]))
    return None


def talking(comp: Composition, levels: str) -> Sprite | None:
    """Give a recorded voice to the shot's first figure with a face (else its first drawn
    thing): one picture per mouth opening in `levels` ('0' closed … '3' wide, one digit per
    clip frame), the mouth opened and the figure lifted a little with the voice, shown frame by
    frame as the levels say. Returns the sprite, or None when the shot draws nothing to talk."""
    from tools.voiceover import LEVELS

    drawn = [s for s in comp.sprites if s.word and s.frames and not s.intro]
    faces = [(s, m) for s in drawn if (m := _mouth(s.frames[0])) is not None]
    if not (faces or drawn):
        return None
    sprite, mouth = faces[0] if faces else (drawn[0], None)
    base = sprite.frames[0].convert("RGBA")
    w, h = base.size
    lift = max(1, round(0.02 * h))
    pad = lift * (LEVELS - 1)
    pictures = []
    for level in range(LEVELS):
        face = base.copy()
        if mouth and level:
            x0, y0, x1, y1, colour = mouth
            mw, mh = x1 - x0, max(2, y1 - y0)
            cx, top = (x0 + x1) / 2, y0 + mh * 0.2
            open_w, open_h = mw * (0.8 - 0.08 * level), mh * (0.7 + 0.75 * level)
            pen = ImageDraw.Draw(face)
            pen.ellipse((cx - open_w / 2, top, cx + open_w / 2, top + open_h), fill=(*colour, 255))
            if level >= 2:  # the tongue shows in a wide-open mouth
                tongue = (min(255, colour[0] + 80), min(255, colour[1] + 60), min(255, colour[2] + 70), 255)
                pen.ellipse(
                    (cx - open_w / 3, top + open_h * 0.55, cx + open_w / 3, top + open_h * 0.95), fill=tongue
                )
        canvas = Image.new("RGBA", (w, h + pad), (0, 0, 0, 0))
        canvas.alpha_composite(face, (0, pad - lift * level))
        pictures.append(canvas)
    sprite.frames = pictures
    sprite.y -= pad
    sprite.talk = levels
    sprite.bob = sprite.rock = sprite.spin = sprite.squash = sprite.grow = 0.0
    return sprite
