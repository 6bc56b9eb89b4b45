"""The user-facing words, as data: one catalogue folder per language under tools/data/text/,
one JSON file per domain (replies, errors, ops, review, progress, ui). Code names a text by
'domain.key' and fills it in; nothing user-facing is written in code."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

TEXT_DIR = Path(__file__).resolve().parent / "data" / "text"
LANGUAGES = ("zh", "en")


@cache
def _domain(lang: str, domain: str) -> dict[str, Any]:
    path = TEXT_DIR / lang / f"{domain}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _lang(lang: str) -> str:
    return lang if lang in LANGUAGES else "en"


def has(lang: str, key: str) -> bool:
    """Whether the catalogue of `lang` holds the text `key` ('domain.name')."""
    domain, _, name = key.partition(".")
    return name in _domain(_lang(lang), domain)


def raw(lang: str, key: str) -> Any:
    """The catalogue entry `key` as stored (a string, or a list/dict for structured entries)."""
    domain, _, name = key.partition(".")
    return _domain(_lang(lang), domain)[name]


def text(lang: str, key: str, **params: Any) -> str:
    """The text `key` in `lang`, filled in with `params` (str.format fields)."""
    return str(raw(lang, key)).format(**params)


def keys(lang: str, domain: str) -> set[str]:
    """Every key of one domain's catalogue in `lang`, as 'domain.name'."""
    return {f"{domain}.{name}" for name in _domain(_lang(lang), domain)}
