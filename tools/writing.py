"""A new project's script from a request: the length and mood it asks for, and a script built
from an LLM's draft fitted to that length (the offline writer is tools/scripts.py)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from tools import lexicon
from tools.grammar import write_grammar
from tools.lexicon import detect_mood
from tools.project import DEFAULT_MOOD, Script
from tools.request import Request, read_request, style_of
from tools.scripts import DEFAULT_TOTAL, allocate, make_shot, pick_story, validate_total, write_script


def requested_length_and_mood(request: str, slots: dict[str, Any]) -> tuple[float, str]:
    """The total seconds and the style of a new project: the router's slots, else what the
    request's words say, else the defaults."""
    total = float(slots.get("duration") or DEFAULT_TOTAL)
    return total, style_of(request) or slots.get("mood") or detect_mood(request) or DEFAULT_MOOD


def _template_topic(req: Request, story: str) -> bool:
    """Whether the request is about what a story template shows (spring, the sea, a rainy city,
    a café, winter) rather than a subject of its own that the template would drop."""
    if story == "generic" or req.genre not in ("story", "scenery"):
        return False
    keys = {k.lower() for k in lexicon.load("stories")[story]["keys"]}
    subject = re.sub(r"^(?:the|a|an)\s+", "", req.subject.lower())
    return not subject or subject in keys or subject.rstrip("s") in keys


def required_subjects(request: str, lang: str) -> list[str]:
    """The things a new script must show: the request's subjects, unless it is about a story
    template's own topic (spring, the sea), which is shown by its elements."""
    req = read_request(request, lang)
    return [] if _template_topic(req, pick_story(request)) else list(req.subjects)


def write_offline(request: str, lang: str, total: float, mood: str) -> Script:
    """The offline writer: a story template when the request is about its topic, else the
    genre's grammar filled with the request's subject, action and place."""
    validate_total(total)
    req = read_request(request, lang)
    story = pick_story(request)
    if _template_topic(req, story):
        script = write_script(request, lang, total, mood)
        script["genre"], script["subjects"] = "story", []  # the template shows its topic by its elements
        return script
    return write_grammar(req, lang, total, mood)


def script_from_draft(
    title: str,
    synopsis: str,
    drafts: Sequence[tuple[str, str, str, float]],
    lang: str,
    total: float,
    mood: str,
) -> Script:
    """A script from drafted shots (type, description, narration, seconds), their lengths
    scaled to sum to `total` exactly."""
    durations = allocate([seconds for *_, seconds in drafts], total)
    shots = [
        make_shot(i + 1, shot_type, description, narration, seconds)
        for i, ((shot_type, description, narration, _), seconds) in enumerate(
            zip(drafts, durations, strict=True)
        )
    ]
    return {
        "title": title,
        "theme": title,
        "story": "llm",
        "synopsis": synopsis,
        "mood": mood,
        "language": lang,
        "duration": total,
        "shots": shots,  # type: ignore[typeddict-item]
        "next_id": len(shots) + 1,
    }
