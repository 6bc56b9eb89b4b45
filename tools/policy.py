"""The offline content policy: a bilingual lexicon kept as data (tools/data/policy.json), with
categories (sexual content involving minors, graphic violence, hate, self-harm, illegal
goods), matched on normalised text. A request is checked before any work, and so is every text
that would reach the screen or the narration (titles, captions, narration, uploaded file
names). Built for precision: a history of a war, a cooking video that "kills time", a
documentary about the opioid crisis pass; the rules match phrases and ordered word pairs, not
single alarming words."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

from tools import lexicon

CATEGORIES = ("minors_sexual", "graphic_violence", "hate", "self_harm", "illegal_goods")
_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})
_INVISIBLE = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]")


@dataclass(frozen=True)
class Violation:
    """The category a text falls under and the words that placed it there."""

    category: str
    matched: str


def normalise(text: str) -> str:
    """NFKC, lower case, no invisible characters, no spaces or marks between Chinese
    characters ("自 杀 方 法"), runs of spaces and punctuation between words made one space."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).lower()
    text = re.sub(rf"(?<=[{_CJK}])[\s\W_]+(?=[{_CJK}])", "", text)
    return re.sub(r"[\s_\-*.·]+", " ", text).strip()


def _pattern(term: str) -> str:
    """A term as a regex: English words whole (spaces or hyphens between them), Chinese as written."""
    words = [re.escape(w) for w in re.split(r"[\s-]+", term.strip()) if w]
    body = r"[\s-]+".join(words)
    if re.search(rf"[{_CJK}]", term):
        return body
    return rf"(?<![a-z]){body}(?![a-z])"


@cache
def _rules() -> dict[str, dict[str, Any]]:
    """The compiled lexicon."""
    data = lexicon.load("policy")["categories"]
    rules: dict[str, dict[str, Any]] = {}
    for name in CATEGORIES:
        spec = data[name]
        rule: dict[str, Any] = {"unless": [re.compile(_pattern(t)) for t in spec.get("unless", [])]}
        if spec.get("phrases"):
            rule["phrases"] = re.compile("|".join(_pattern(t) for t in spec["phrases"]))
        for kind in ("pairs", "together"):
            if spec.get(kind):
                first, second = spec[kind]
                rule[kind] = (
                    re.compile("|".join(_pattern(t) for t in sorted(first, key=len, reverse=True))),
                    re.compile("|".join(_pattern(t) for t in sorted(second, key=len, reverse=True))),
                )
        rule["window"] = int(spec.get("window", 24))
        rules[name] = rule
    return rules


def _match(rule: dict[str, Any], text: str) -> str | None:
    if "phrases" in rule and (found := rule["phrases"].search(text)):
        return str(found.group(0))
    if "together" in rule:
        first, second = rule["together"]
        a, b = first.search(text), second.search(text)
        if a and b:
            return f"{a.group(0)} + {b.group(0)}"
    if "pairs" in rule:
        first, second = rule["pairs"]
        for a in first.finditer(text):
            b = second.search(text, a.end(), a.end() + rule["window"] + 40)
            if b and b.start() - a.end() <= rule["window"]:
                return f"{a.group(0)} … {b.group(0)}"
    return None


def check(text: str) -> Violation | None:
    """The first category `text` falls under, or None when it may be made."""
    if not text or not text.strip():
        return None
    plain = normalise(text)
    for variant in dict.fromkeys([plain, plain.translate(_LEET)]):  # "k1ll 4ll" reads as "kill all"
        for name, rule in _rules().items():
            found = _match(rule, variant)
            if found and not any(u.search(variant) for u in rule["unless"]):
                return Violation(name, found)
    return None


def check_all(texts: list[str]) -> Violation | None:
    """The first violation among several texts (a script's title, captions and narration)."""
    for text in texts:
        found = check(text)
        if found:
            return found
    return None
