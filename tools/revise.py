"""Reading a revision request against a script: what to insert and where, which shots to
delete, swap, move or rewrite, and new lengths. Returns the new script and what changed."""

from __future__ import annotations

import re
from typing import Any

from tools import lexicon
from tools.project import Script, Shot
from tools.scripts import (
    ScriptError,
    delete_shots,
    insert_shot,
    move_shot,
    new_shot_from_text,
    rewrite_shot,
    set_shot_duration,
    set_total,
    swap_shots,
    total_of,
)

ZH_ADD = (
    r"(?:加|添加|增加|插入|补充?|再来)(?:上)?(?:一个|一段|一组|个|段)?(.+?)的?(?:镜头|画面|场景|分镜|一幕)"
)
EN_ADD = (
    r"\b(?:add|insert|include|put in)\s+(?:a|an|one|another)?\s*(?:new\s+)?"
    r"(close-up|wide shot|long shot|aerial shot|medium shot|tracking shot|shot|scene|clip)"
    r"\s+(?:of|showing|where|with|in which)?\s*(.+?)(?=\s+(?:before|after|at the|between)\b|[.?!]|$)"
)
ZH_REWRITE = r"(?:改成|改为|换成|重写成?|变成)(.+?)(?:[。！？!?]|$)"
EN_REWRITE = r"(?:to show|to|into|should show|show|with)\s+(.+?)(?:\s+instead)?(?:[.?!]|$)"


def _shots_matching(clause: str, script: Script) -> int | None:
    """The first shot (0-based) a clause points at, by character or shared words."""
    cast = lexicon.characters_in(" ".join(s["description"] for s in script["shots"]))
    named = lexicon.characters_in(clause)
    found = None if named else lexicon.resolve_pronoun(clause, cast)
    if found:
        named = [found[1]]
    words = {w for w in re.findall(r"[a-z]{4,}", clause.lower())} | {
        clause[i : i + 2]
        for i in range(len(clause) - 1)
        if re.match(r"[\u4e00-\u9fff]{2}", clause[i : i + 2])
    }
    best, best_score = None, 0
    for i, shot in enumerate(script["shots"]):
        here = lexicon.characters_in(shot["description"])
        score = 3 * len(set(named) & set(here))
        desc = shot["description"].lower()
        score += sum(1 for w in words if w in desc)
        if score > best_score:
            best, best_score = i, score
    return best


def _insert_position(message: str, script: Script, new: Shot) -> int:
    count = len(script["shots"])
    low = message.lower()
    if re.search(r"开头|最前|\b(at the (start|beginning)|first)\b", low):
        return 0
    if re.search(r"结尾|最后|末尾|\bat the end\b|\blast\b", low):
        return count
    m = re.search(r"\b(before|after)\b(.+)$", low) or re.search(r"(之前|前面|之后|后面|以后)", message)
    if m and m.group(1) in ("before", "after"):
        target = _shots_matching(m.group(2), script)
        if target is not None:
            return target if m.group(1) == "before" else target + 1
    for who in lexicon.characters_in(new["description"]):
        for i, shot in enumerate(script["shots"]):
            if who in lexicon.characters_in(shot["description"]):
                return i  # introduce the character before the shot where it first acts
    return max(0, count - 1)


def _insert(message: str, script: Script, slots: dict[str, Any]) -> tuple[Script, dict[str, Any]]:
    m = re.search(ZH_ADD, message)
    content, stype = None, None
    if m:
        content = re.sub(r"^(能|可以|请|再)?(一个|一段|一组|个|段)?(新的?)?", "", m.group(1))
    else:
        m2 = re.search(EN_ADD, message, flags=re.I)
        if m2:
            stype = lexicon.find_shot_type(m2.group(1))
            content = m2.group(2)
    if not content:
        raise ScriptError("what_to_add")
    shot = new_shot_from_text(script, content, stype)
    refs = slots.get("shots") or []
    pos = _insert_position(message, script, shot)
    if re.search(r"\b(after|之后|后面)\b", message) and refs and not re.search(r"\b(before)\b", message):
        pos = int(refs[0])
    new = insert_shot(script, pos, shot)
    return new, {"op": "insert", "position": pos + 1, "shot_id": shot["id"]}


def revise(script: Script, message: str, slots: dict[str, Any]) -> tuple[Script, dict[str, Any]]:
    """Apply the revision a message asks for; raises ScriptError when it cannot."""
    op = slots.get("operation")
    refs = [int(n) - 1 for n in slots.get("shots") or []]
    work: Script = {**script}
    if op == "insert":
        return _insert(message, work, slots)
    if op == "delete":
        if not refs:
            raise ScriptError("which_shot")
        return delete_shots(work, refs), {"op": "delete", "positions": [r + 1 for r in refs]}
    if op == "swap":
        if len(refs) != 2:
            raise ScriptError("which_two_shots")
        return swap_shots(work, refs[0], refs[1]), {"op": "swap", "positions": [r + 1 for r in refs]}
    if op == "move":
        if not refs:
            raise ScriptError("which_shot")
        low = message.lower()
        if re.search(r"开头|最前|first|start|beginning", low):
            dst = 0
        elif re.search(r"最后|结尾|末尾|last|end", low) or len(refs) < 2:
            dst = len(script["shots"]) - 1
        else:
            dst = refs[1] if re.search(r"after|之后|后面", low) else max(0, refs[1] - 1)
        return move_shot(work, refs[0], dst), {"op": "move", "from": refs[0] + 1, "to": dst + 1}
    if op == "rewrite":
        if not refs:
            raise ScriptError("which_shot")
        m = re.search(ZH_REWRITE, message) or re.search(EN_REWRITE, message, flags=re.I)
        if not m:
            raise ScriptError("what_to_show")
        return rewrite_shot(work, refs[0], m.group(1)), {"op": "rewrite", "positions": [refs[0] + 1]}
    raise ScriptError("what_to_change")


def change_duration(script: Script, slots: dict[str, Any]) -> tuple[Script, dict[str, Any]]:
    """A new total length, or a new length for one shot (the total holds)."""
    refs = [int(n) - 1 for n in slots.get("shots") or []]
    before = total_of(script["shots"])
    if refs:
        shot = script["shots"][refs[0]]
        if slots.get("delta") is not None:
            seconds = float(shot["duration"]) + float(slots["delta"])
        elif slots.get("duration") is not None:
            seconds = float(slots["duration"])
        elif slots.get("scale"):  # "shorter", "太长了": a quarter off, or on
            seconds = round(float(shot["duration"]) * float(slots["scale"]), 1)
        else:
            raise ScriptError("how_long")
        new = set_shot_duration(script, refs[0], seconds)
        return new, {"op": "shot_duration", "positions": [refs[0] + 1], "seconds": seconds, "total": before}
    target = slots.get("duration")
    if target is None and slots.get("scale"):
        target = round(before * float(slots["scale"]))
    if target is None:
        raise ScriptError("how_long")
    new = set_total(script, float(target))
    return new, {"op": "total_duration", "from": before, "to": float(target)}
