"""An open vocabulary of things to draw: the Fluent Emoji Flat artwork (MIT licence, the npm
package @iconify-json/fluent-emoji-flat, vendored as its tarball in tools/data/icons), named in
English and Chinese through the Unicode CLDR names the `emoji` package ships, plus our own
synonyms (tools/data/drawing.json). Each icon is rasterised once per size with CairoSVG and
kept in a cache folder.

This module knows icons and their names only: what a description asks to draw is read in
tools/drawing.py."""

from __future__ import annotations

import io
import json
import os
import tarfile
import tempfile
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from tools import lexicon

ICON_SET = Path(__file__).parent / "data" / "icons" / "iconify-json-fluent-emoji-flat-1.2.6.tgz"
SET_NAME = "Fluent Emoji Flat (Microsoft, MIT licence)"
CREDIT = "Icons: Fluent Emoji by Microsoft, MIT licence"
TONES = ("-light", "-medium-light", "-medium", "-medium-dark", "-dark")
SKIP_CATEGORIES = ("Flags", "Symbols")
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _library() -> tuple[dict[str, Any], dict[str, str], dict[str, str], int]:
    """The icon bodies, the characters they draw (codepoints -> name), each name's category
    and the artwork's view box size."""
    with tarfile.open(ICON_SET) as tar:

        def read(name: str) -> Any:
            member = tar.extractfile(f"package/{name}")
            assert member is not None
            return json.load(member)

        icons, chars, meta = read("icons.json"), read("chars.json"), read("metadata.json")
    category = {name: cat for cat, names in meta["categories"].items() for name in names}
    return icons["icons"], chars, category, int(icons.get("width", 32))


def _drawable(name: str, category: str | None) -> bool:
    """Whether an icon can stand for a thing in a shot: no skin-tone variants, flags, symbols,
    faces, clock faces or the words data/drawing.json leaves out."""
    data = lexicon.load("drawing")
    if category is None or category in SKIP_CATEGORIES or name.endswith(TONES):
        return False
    if category == "Smileys & Emotion" and ("face" in name or name.endswith("-cat")):
        return False
    return not any(part in name for part in data["icons"]["leave_out"])


def _phrase(name: str) -> str:
    """A CLDR name as a phrase: ':birthday_cake:' -> 'birthday cake'."""
    return name.strip(":").replace("_", " ").strip()


@lru_cache(maxsize=2)
def names(lang: str) -> dict[str, str]:
    """The names of drawable icons in a language (English lower case, Chinese as written) ->
    icon name; our synonyms (data/drawing.json) added over the CLDR names."""
    import emoji

    if lang == "zh":
        with _lock:
            emoji.config.load_language("zh")
    icons, chars, category, _ = _library()
    out: dict[str, str] = {}
    for codes, name in chars.items():
        if name not in icons or not _drawable(name, category.get(name)):
            continue
        char = "".join(chr(int(c, 16)) for c in codes.split("-"))
        entry = emoji.EMOJI_DATA.get(char) or emoji.EMOJI_DATA.get(char + "\ufe0f") or {}
        if lang == "en":
            found = [_phrase(entry["en"])] if entry.get("en") else []
            found += [_phrase(a) for a in entry.get("alias", [])]
            found.append(name.replace("-", " "))
        else:
            found = [_phrase(entry["zh"])] if entry.get("zh") else []
        for phrase in found:
            out.setdefault(phrase if lang == "zh" else phrase.lower(), name)
    for phrase, name in lexicon.load("drawing")["icons"]["synonyms"][lang].items():
        if name in icons:
            out[phrase] = name
    for phrase in lexicon.load("drawing")["icons"]["not_names"][lang]:
        out.pop(phrase, None)
    return out


def category(name: str) -> str | None:
    """The icon's CLDR category ('Animals & Nature', 'Travel & Places', ...)."""
    return _library()[2].get(name)


def exists(name: str) -> bool:
    """Whether the set has an icon by this name."""
    return name in _library()[0]


def svg(name: str, size: int) -> str:
    """The icon as an SVG document of `size` x `size` pixels."""
    icons, _, _, box = _library()
    icon = icons[name]
    w, h = icon.get("width", box), icon.get("height", box)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" '
        f'width="{size}" height="{size}">{icon["body"]}</svg>'
    )


def cache_dir() -> Path:
    """Where rasterised icons are kept: $CINECHAT_ICON_CACHE, else the user cache folder."""
    env = os.environ.get("CINECHAT_ICON_CACHE")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("cinechat")) / "icons"


def raster(name: str, size: int) -> Any:
    """The icon as an RGBA Pillow image of `size` x `size`, trimmed to its artwork's box;
    rasterised once with CairoSVG and kept in the cache folder (written, then renamed)."""
    from PIL import Image

    size = max(8, int(size))
    path = cache_dir() / f"{name}-{size}.png"
    if not path.exists():
        import cairosvg

        png = cairosvg.svg2png(bytestring=svg(name, size).encode())
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".tmp-{os.getpid()}-", suffix=".png", dir=path.parent)
        with os.fdopen(fd, "wb") as out:
            out.write(png)
        os.replace(tmp, path)
        img = Image.open(io.BytesIO(png)).convert("RGBA")
    else:
        img = Image.open(path).convert("RGBA")
    box = img.getbbox()
    return img.crop(box) if box else img
