"""A new project's script from a request: the length and mood it asks for, and a script built
from an LLM's draft fitted to that length (the offline writer is tools/scripts.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tools.lexicon import detect_mood
from tools.project import DEFAULT_MOOD, Script
from tools.scripts import DEFAULT_TOTAL, allocate, make_shot


def requested_length_and_mood(request: str, slots: dict[str, Any]) -> tuple[float, str]:
    """The total seconds and the mood of a new project: the router's slots, else what the
    request's words say, else the defaults."""
    total = float(slots.get("duration") or DEFAULT_TOTAL)
    return total, slots.get("mood") or detect_mood(request) or DEFAULT_MOOD


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
