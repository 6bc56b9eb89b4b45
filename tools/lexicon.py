"""The bilingual lexicon (data in tools/data/*.json): shot types, moods, characters, stories."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"


@cache
def load(name: str) -> dict[str, Any]:
    """Load one data file of the lexicon by stem ('lexicon', 'stories', 'scenes', 'directions')."""
    with open(DATA / f"{name}.json", encoding="utf-8") as fh:
        return dict(json.load(fh))


def shot_types() -> dict[str, Any]:
    """Canonical shot types with labels, trigger words, camera move and duration norms."""
    return dict(load("lexicon")["shot_types"])


def shot_label(shot_type: str, lang: str) -> str:
    """The label of a shot type in a language ('close-up' -> 特写 / Close-up)."""
    info = shot_types().get(shot_type)
    return str(info[lang]) if info else shot_type


def camera_for(shot_type: str) -> str:
    """The default camera move of a shot type."""
    info = shot_types().get(shot_type)
    return str(info["camera"]) if info else "drift"


def find_shot_type(text: str) -> str | None:
    """The shot type a phrase names ('远远走来' -> long, 'aerial' -> aerial), if any."""
    low = text.lower()
    best: tuple[int, str] | None = None
    for key, info in shot_types().items():
        for word in info["words"]:
            pos = low.find(word.lower())
            if pos >= 0 and (best is None or pos < best[0]):
                best = (pos, key)
    return best[1] if best else None


def detect_mood(text: str) -> str | None:
    """The mood a request names (温馨治愈 -> warm, cinematic -> cinematic), if any."""
    low = text.lower()
    for key, info in load("lexicon")["moods"].items():
        if any(w.lower() in low for w in info["words"]):
            return str(key)
    return None


def mood_label(mood: str, lang: str) -> str:
    """A mood's (or a style's) name in a language."""
    info = load("lexicon")["moods"].get(mood) or load("requests")["styles"].get(mood)
    return str(info[lang]) if info else mood


def base_mood(mood: str) -> str:
    """The music and picture mood a style is made with (romantic -> warm, cyberpunk -> moody)."""
    if mood in load("lexicon")["moods"]:
        return mood
    style = load("requests")["styles"].get(mood)
    return str(style["base"]) if style else "warm"


def characters_in(text: str) -> list[str]:
    """Character keys named in a text, in lexicon order (most specific words first)."""
    low = f" {text.lower()} "
    found = []
    claimed: list[str] = []
    for key, info in load("lexicon")["characters"].items():
        for word in info["words"]:
            w = word.lower()
            if w in low and not any(w in c for c in claimed):
                found.append(key)
                claimed.append(w)
                break
    return found


def character_name(key: str, lang: str) -> str:
    """A character's name in a language."""
    return str(load("lexicon")["characters"][key][lang])


def character_for_pronoun(pronoun: str, candidates: list[str]) -> str | None:
    """The first candidate character a pronoun (她, her, it) can stand for."""
    chars = load("lexicon")["characters"]
    for key in candidates:
        if pronoun.lower() in [p.lower() for p in chars[key]["pronouns"]]:
            return key
    return None


PRONOUNS = ("them", "her", "him", "she", "he", "it", "她", "他", "它")


def resolve_pronoun(text: str, cast: list[str]) -> tuple[str, str] | None:
    """The first pronoun in `text` that one of `cast` can stand for, as (regex, character)."""
    for pron in PRONOUNS:
        pat = rf"\b{pron}\b" if pron.isascii() else pron
        if re.search(pat, text, flags=re.I):
            who = character_for_pronoun(pron, cast)
            if who:
                return pat, who
    return None


def approach_words() -> list[str]:
    """Words that introduce a character entering the scene."""
    return list(load("lexicon")["approach_words"])
