"""Prompt texts, one file per agent, loaded by name."""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def load(name: str) -> str:
    """The prompt text of an agent (prompts/<name>.md)."""
    return (Path(__file__).parent / f"{name}.md").read_text(encoding="utf-8")
