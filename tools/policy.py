"""The offline content policy: a bilingual lexicon kept as data (tools/data/policy.json), with
categories (sexual content involving minors, graphic violence, hate, self-harm, illegal
goods), matched on normalised text. A request is checked before any work, and so is every text
that would reach the screen or the narration (titles, captions, narration, uploaded file
names). Built for precision: a history of a war, a cooking video that "kills time", a
documentary about the opioid crisis pass; the rules match phrases and ordered word pairs, not
single alarming words."""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

from tools import lexicon, providers

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


# --- a configured moderation endpoint (an upgrade: the lexicon above always runs first) ------

PROVIDER_CATEGORIES = {
    "sexual/minors": "minors_sexual",
    "violence/graphic": "graphic_violence",
    "hate": "hate",
    "hate/threatening": "hate",
    "self-harm": "self_harm",
    "self-harm/intent": "self_harm",
    "self-harm/instructions": "self_harm",
    "illicit": "illegal_goods",
    "illicit/violent": "illegal_goods",
}
"""The endpoint's categories that refuse a request, as ours. Its others (violence without
'graphic', harassment, adult sexual content) do not: a war history or a crime drama is made."""


def moderation_endpoint() -> tuple[str | None, str]:
    """The moderation endpoint and key (CINECHAT_MODERATION_BASE_URL / _API_KEY, else OpenAI's)."""
    return providers.endpoint("MODERATION")


def moderation_configured() -> bool:
    """Whether texts also go to an OpenAI-compatible /moderations endpoint (CINECHAT_MODERATION:
    `off`, `openai`, or `auto` as tools/providers.enabled says)."""
    return providers.enabled("MODERATION")


def _provider_check(texts: list[str]) -> Violation | None:
    from openai import OpenAI

    base_url, key = moderation_endpoint()
    timeout = float(os.environ.get("CINECHAT_MODERATION_TIMEOUT", "10"))
    client = OpenAI(base_url=base_url, api_key=key or "not-needed", timeout=timeout, max_retries=0)
    answer = client.moderations.create(
        model=os.environ.get("CINECHAT_MODERATION_MODEL", "omni-moderation-latest"), input=texts
    )
    for result in answer.results:
        flagged = result.model_dump(by_alias=True).get("categories") or {}
        for name, ours in PROVIDER_CATEGORIES.items():
            if flagged.get(name):
                return Violation(ours, f"moderation:{name}")
    return None


def review(texts: list[str], ask_provider: bool = True) -> tuple[Violation | None, list[str]]:
    """The policy's verdict on texts that are about to be made into a video, and notes: the
    offline lexicon first; then, when configured, the moderation endpoint, through its
    circuit breaker. When the endpoint fails, the lexicon's verdict stands and a note
    ('moderation_fallback:<why>') says so. `ask_provider` False: the lexicon only (a message
    that makes nothing, such as undo or history, costs no call)."""
    texts = [t for t in texts if t and t.strip()]
    found = check_all(texts)
    if found or not texts or not ask_provider or not moderation_configured():
        return found, []
    from tools.breaker import breaker

    try:
        return breaker("moderation").call(_provider_check, texts), []
    except Exception as exc:  # unreachable, refused, paused: the offline check has run
        return None, [f"moderation_fallback:{type(exc).__name__}"]
