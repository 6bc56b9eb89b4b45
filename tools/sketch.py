"""A user's sketch as an animated element of a shot (offline).

Cleaning: the paper and its shadows go by dividing the picture by an estimate of the paper
(a grey closing, which removes thin dark lines, then smoothing), the ink is what stays well
under the paper's level (an Otsu threshold on the flattened picture), small gaps in the lines
close (a binary closing) and specks go (small connected components). The drawing is cropped to
its lines.

Filling: the regions the lines close (the background regions that touch the crop's border are
left empty) are filled flat with the shot's palette, like the animatic's own drawings.

Animating: a draw-on reveal (each stroke appears left to right, strokes in reading order, the
fills fading in behind them), then a gentle line boil (three slightly displaced versions of the
lines, cycled on threes as in hand-drawn animation). The shot's scene moves it (tools/scene.py:
the sketch takes the place and the motion of the thing the description names)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from tools.errors import RequestError

WORK_SIDE = 900
"""The longest side the cleaning works at (pixels)."""
MIN_INK = 0.0015
MAX_INK = 0.45
INK = (43, 38, 45)
REVEAL_FRAMES = 10
BOIL_FRAMES = 3


class SketchError(RequestError):
    """A sketch that cannot be used: blank, or not a line drawing."""


@dataclass
class Sketch:
    """A cleaned drawing: its ink (True where a line is) and its closed regions (0: none)."""

    ink: np.ndarray
    regions: np.ndarray
    count: int

    @property
    def size(self) -> tuple[int, int]:
        """Width and height in pixels."""
        return int(self.ink.shape[1]), int(self.ink.shape[0])


def _otsu(values: np.ndarray) -> float:
    hist, edges = np.histogram(values, bins=128, range=(0.0, 1.2))
    centers = (edges[:-1] + edges[1:]) / 2
    weight = np.cumsum(hist)
    total = weight[-1]
    mean = np.cumsum(hist * centers)
    between = (mean[-1] * weight - mean * total) ** 2 / np.maximum(weight * (total - weight), 1)
    return float(centers[int(np.argmax(between))])


def ink_of(image: Any) -> np.ndarray:
    """The lines of a drawing (a photo of paper, a scan, a line drawing) as a boolean mask."""
    from scipy import ndimage

    img = image.convert("L")
    scale = min(1.0, WORK_SIDE / max(img.size))
    if scale < 1.0:
        img = img.resize(
            (max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.Resampling.LANCZOS
        )
    grey = np.asarray(img, dtype=np.float32) / 255.0
    side = max(5, int(max(grey.shape) * 0.03) | 1)
    paper = ndimage.gaussian_filter(ndimage.grey_closing(grey, size=(side, side)), side / 3)
    flat = np.clip(grey / np.maximum(paper, 0.05), 0.0, 1.2)
    if float(flat.std()) < 0.01:
        return np.zeros(flat.shape, dtype=bool)
    cut = min(0.85, max(0.5, _otsu(flat)))
    ink = flat < cut
    ink = ndimage.binary_closing(ink, structure=np.ones((3, 3)), iterations=1)
    labels, n = ndimage.label(ink, structure=np.ones((3, 3)))
    if n:
        sizes = ndimage.sum(ink, labels, range(1, n + 1))
        keep = np.zeros(n + 1, dtype=bool)
        keep[1:] = sizes >= max(12, ink.size * 0.00004)
        ink = keep[labels]
    return np.asarray(ink, dtype=bool)


def clean(image: Any) -> Sketch:
    """The drawing's lines, cropped, and its closed regions; SketchError for a blank page or a
    picture that is not a line drawing (a photo, a filled page)."""
    from scipy import ndimage

    ink = ink_of(image)
    share = float(ink.mean()) if ink.size else 0.0
    if share < MIN_INK:
        raise SketchError("sketch_blank")
    if share > MAX_INK:
        raise SketchError("sketch_unreadable")
    ys, xs = np.nonzero(ink)
    pad = max(4, int(max(ink.shape) * 0.02))
    y0, y1 = max(0, ys.min() - pad), min(ink.shape[0], ys.max() + pad + 1)
    x0, x1 = max(0, xs.min() - pad), min(ink.shape[1], xs.max() + pad + 1)
    ink = ink[y0:y1, x0:x1]
    labels, n = ndimage.label(~ink)
    border = set(np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])).tolist())
    sizes = ndimage.sum(np.ones_like(labels), labels, range(n + 1))
    regions = np.zeros(labels.shape, dtype=np.int32)
    count = 0
    for label in range(1, n + 1):
        if label in border or sizes[label] < ink.size * 0.002:
            continue
        count += 1
        regions[labels == label] = count
    return Sketch(ink, regions, count)


def control_image(image: Any, size: tuple[int, int]) -> Any:
    """The drawing as a ControlNet (scribble, line art) or T2I-Adapter takes it: its cleaned
    lines white on black, thickened a little, centred on a canvas of `size` with a margin."""
    from PIL import Image

    lines = clean(image).ink
    picture = Image.fromarray(
        (_thickened(lines, max(1, round(max(lines.shape) / 300))) * 255).astype(np.uint8)
    )
    w, h = size
    picture.thumbnail((int(w * 0.9), int(h * 0.9)))
    canvas = Image.new("L", (w, h), 0)
    canvas.paste(picture, ((w - picture.width) // 2, (h - picture.height) // 2))
    return canvas.convert("RGB")


def looks_like_sketch(image: Any) -> bool:
    """Whether a picture is a line drawing rather than a photo: mostly paper (flat, pale, with
    little colour) with thin dark lines."""
    small = image.convert("RGB").resize((160, max(1, round(160 * image.height / max(1, image.width)))))
    rgb = np.asarray(small, dtype=np.float32) / 255.0
    saturation = float((rgb.max(axis=2) - rgb.min(axis=2)).mean())
    ink = ink_of(image)
    share = float(ink.mean()) if ink.size else 0.0
    return saturation < 0.12 and MIN_INK <= share <= 0.25


def _palette_colours(palette: dict[str, Any]) -> list[tuple[int, int, int]]:
    colours = [palette.get("accent"), palette.get("ground"), *(palette.get("sky") or [])]
    return [tuple(int(c) for c in colour) for colour in colours if colour]  # type: ignore[misc]


def _boiled(ink: np.ndarray, seed: int, amount: float) -> np.ndarray:
    """The lines displaced by a smooth random field of about `amount` pixels."""
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    h, w = ink.shape
    sigma = max(4.0, max(h, w) / 18)
    dy = ndimage.gaussian_filter(rng.standard_normal((h, w)), sigma)
    dx = ndimage.gaussian_filter(rng.standard_normal((h, w)), sigma)
    norm = max(float(np.abs(dy).max()), float(np.abs(dx).max()), 1e-6)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    coords = [yy + dy / norm * amount, xx + dx / norm * amount]
    return ndimage.map_coordinates(ink.astype(np.float32), coords, order=1, mode="constant") > 0.5


def frames(
    sketch: Sketch, palette: dict[str, Any], height: int, seed: int = 0
) -> tuple[list[Any], list[Any]]:
    """The element's pictures at `height` pixels: the reveal (drawn on, then filled) and the
    boil cycle, as RGBA images."""
    w, h = sketch.size
    scale = height / h
    size = (max(2, round(w * scale)), max(2, round(height)))
    ink = (
        np.asarray(Image.fromarray(sketch.ink.astype(np.uint8) * 255).resize(size, Image.Resampling.BILINEAR))
        > 96
    )
    ink = _thickened(ink, max(1, round(height / 160)))
    regions = np.asarray(
        Image.fromarray(sketch.regions.astype(np.int32)).resize(size, Image.Resampling.NEAREST)
    )
    colours = _palette_colours(palette) or [(230, 200, 160)]
    fill = np.zeros((size[1], size[0], 4), dtype=np.uint8)
    for k in range(1, sketch.count + 1):
        fill[regions == k] = (*colours[(k - 1) % len(colours)], 255)
    order = _stroke_order(ink)

    def picture(lines: np.ndarray, fill_alpha: float) -> Any:
        out = fill.copy()
        out[..., 3] = (out[..., 3].astype(np.float32) * fill_alpha).astype(np.uint8)
        out[lines] = (*INK, 255)
        return Image.fromarray(out, "RGBA")

    reveal = []
    for k in range(1, REVEAL_FRAMES + 1):
        part = k / REVEAL_FRAMES
        drawn = ink & (order <= part * 1.25)  # the lines first; the fills fade in over the last frames
        reveal.append(picture(drawn, max(0.0, (part - 0.6) / 0.4)))
    amount = max(0.8, height / 220)
    boil = [
        picture(ink if i == 0 else _thickened(_boiled(ink, seed + i, amount), 0), 1.0)
        for i in range(BOIL_FRAMES)
    ]
    return reveal, boil


def _thickened(mask: np.ndarray, by: int) -> np.ndarray:
    from scipy import ndimage

    return ndimage.binary_dilation(mask, iterations=by) if by > 0 else mask


def _stroke_order(ink: np.ndarray) -> np.ndarray:
    """When each line pixel is drawn, 0..1: strokes (connected lines) in reading order, each
    from its left end to its right."""
    from scipy import ndimage

    labels, n = ndimage.label(ink, structure=np.ones((3, 3)))
    order = np.ones(ink.shape, dtype=np.float32)
    if not n:
        return order
    boxes = ndimage.find_objects(labels)
    ranked = sorted(
        range(n), key=lambda i: (boxes[i][0].start // max(1, ink.shape[0] // 3), boxes[i][1].start)
    )
    weights = np.asarray(ndimage.sum(ink, labels, range(1, n + 1)), dtype=np.float64)
    total, start = float(weights.sum()) or 1.0, 0.0
    for i in ranked:
        box = boxes[i]
        share = float(weights[i]) / total
        xs = np.arange(box[1].start, box[1].stop, dtype=np.float32)
        along = (xs - box[1].start) / max(1, box[1].stop - box[1].start - 1)
        part = labels[box] == i + 1
        local = np.broadcast_to(along[None, :], part.shape)
        order[box][part] = start + share * local[part]
        start += share
    return order
