"""Where a shot goes: the place a revision names, read from the words around a shot reference.

"after shot 1", "在第一个镜头后面", "move 3 to position 2", "把第三个镜头移到第二个", "before the
last shot", "在最后一个镜头前面", "between shots 2 and 3", "at the start", "移到最后". A place is
one of: before or after a shot, a position in the list, the start or the end. Inserting and
moving turn it into an index; they do not guess from anything else in the message."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from tools.intents import referenced_shots, shots_by_content
from tools.text import EN_ORDINALS, NUM, to_number

Relation = Literal["before", "after", "position", "start", "end", "later", "earlier"]


@dataclass(frozen=True)
class Place:
    """A place in the shot list: `shot` is 1-based (the anchor shot, or the position), or the
    number of places a shot moves for `later` and `earlier`."""

    relation: Relation
    shot: int = 0


EN_BEFORE = r"\b(before|ahead of|in front of|preceding|prior to)\s+"
EN_AFTER = r"\b(after|following|behind|right after|just after)\s+"
ZH_BEFORE = r"(之前|前面|前边|前头|以前|前)"
ZH_AFTER = r"(之后|后面|后边|后头|以后|后)"
ZH_CUT = r"[在到于把将，,。；;、]|放到|移到|挪到|插到|调到"  # what comes before the anchor phrase
EN_STOP = r"[,.;!?]|\s(?:and|then|but|so|please)\s|$"
ORDINALS = "|".join(sorted(EN_ORDINALS, key=len, reverse=True))
EN_START = r"\b(?:start|begin|kick off|open) (?:the video |the film |it |things )?(?:off )?with\b|\b(?:at|to|in) the (?:very )?(?:start|beginning|front|top)\b|\bto the front\b|\bopen(?:s|ing)? with\b|\bas the (?:first|opening) (?:shot|scene|one)\b"
EN_END = r"\b(?:end|finish|close|wrap up) (?:the video |the film |it |things )?(?:off )?(?:with|on)\b|\b(?:at|to|in) the (?:very )?end\b|\bto the back\b|\bclose (?:with|on)\b|\bend (?:with|on)\b|\bas the (?:last|final|closing) (?:shot|scene|one)\b|\b(?:be|go|goes|come|comes) last\b"
ZH_START = r"开头|最前|片头|一开始|最开始|开场"
ZH_END = r"结尾|最后面|末尾|片尾|最后边|最后(?!一个|一幕|个|的|那)"
EN_POSITION = (
    rf"\b(?:to|into|at|in)\s+(?:the\s+)?(?:position|slot|place|spot|number|no\.?)\s*#?\s*(?P<n>\d+|{NUM})\b"
    rf"|\b(?:to|into|at|in)\s+(?:the\s+)?(?P<o>{ORDINALS})\s+(?:position|place|slot|spot)\b"
    r"|^\W*(?:new shot\W*)?(?:position|slot|spot)\s*#?\s*(?P<p>\d+)\b"
    rf"|\b(?:a|the)\s+new\s+(?P<o3>{ORDINALS})\s+(?:shot|scene|one)\b"
    rf"|\b(?:to be|becomes?|make it|as)\s+(?:the\s+)?(?:shot\s*#?\s*(?P<s>\d+)|(?P<o2>{ORDINALS})\s+(?:shot|scene|one))\b"
)
EN_MOVE_TO = r"\b(?:move|put|shift|place)\b.*?\bto\s+#?(?P<n>\d+)\b(?!\s*(?:s|sec|seconds?)\b)"
ZH_POSITION = (
    rf"(?:移到|挪到|放到|调到|换到|放在|移至|排到|改到|插到|提前到|提到|推到|变成|作为|当)\s*第\s*(?P<n>{NUM})\s*(?:个|位|号)?\s*(?:的)?\s*"
    r"(?:位置|位|镜头|幕|个)?"
)


def _shot_in(fragment: str, count: int, script: dict[str, Any] | None) -> int | None:
    """The one shot a short fragment names: by number or ordinal ('shot 3', '第一个镜头', 'the
    last one', 'the opening'), by type or by what it shows ('the park', '航拍', '花的那个')."""
    shots = list(script.get("shots", [])) if script else []
    found = referenced_shots(fragment, script) if script else []
    low = fragment.lower()
    if not found and re.search(r"最后|结尾|末尾|\b(last|final|closing|ending)\b", low):
        found = [count]
    if not found and re.search(r"开头|开场|最前|\b(opening|first|start)\b", low):
        found = [1]
    if not found:
        found = shots_by_content(fragment, shots)
    return found[0] if len(found) == 1 and 1 <= found[0] <= count else None


def _anchored(text: str, count: int, script: dict[str, Any] | None) -> Place | None:
    """Before or after a shot the words name, in either language; between two shots is after
    the first of them."""
    low = text.lower()
    m = re.search(
        rf"\bbetween\s+(?:shots?\s*)?#?(\d+)\s*(?:and|&)\s*#?(\d+)|(?:第\s*)?({NUM})\s*(?:个)?\s*(?:镜头)?\s*(?:和|与|跟)\s*第?\s*({NUM})\s*(?:个)?\s*(?:镜头)?\s*(?:之间|中间)",
        low,
    )
    if m:
        pair = [to_number(g) for g in m.groups() if g]
        if len(pair) == 2 and all(p is not None for p in pair):
            return Place("after", int(min(p for p in pair if p is not None)))
    m = re.search(r"\bbetween\s+(.+?)\s+(?:and|&)\s+(.+?)(?:[,.;!?]|$)", low) or re.search(
        r"([^在到，,。]+?)(?:和|与|跟)([^，,。]+?)(?:之间|中间)", text
    )
    if m:
        pair = [_shot_in(g, count, script) for g in m.groups()]
        if pair[0] and pair[1] and pair[0] != pair[1]:
            return Place("after", int(min(pair[0], pair[1])))
    hits = sorted(
        [(h.start(), "before", h, "en") for h in re.finditer(EN_BEFORE, low)]
        + [(h.start(), "after", h, "en") for h in re.finditer(EN_AFTER, low)]
        + [(h.start(), "before", h, "zh") for h in re.finditer(ZH_BEFORE, text)]
        + [(h.start(), "after", h, "zh") for h in re.finditer(ZH_AFTER, text)],
        key=lambda hit: hit[0],
    )
    for _, relation, hit, language in hits:
        if language == "en":
            fragment = re.split(EN_STOP, low[hit.end() :], maxsplit=1)[0]
        else:
            fragment = re.split(ZH_CUT, text[: hit.start()])[-1]
            if len(hit.group(0)) == 1 and not re.search(r"镜头|幕|场景|分镜|画面|个", fragment):
                continue  # a lone 前/后 not after a shot word is not a place ("前进", "后来")
        shot = _shot_in(fragment, count, script)
        if shot:
            return Place(relation, shot)  # type: ignore[arg-type]
    return None


def _position(text: str, count: int) -> Place | None:
    """A position in the list: 'to position 2', 'as the third shot', '移到第二个'."""
    low = text.lower()
    m = re.search(EN_POSITION, low) or re.search(ZH_POSITION, text) or re.search(EN_MOVE_TO, low)
    if not m:
        return None
    groups = {k: v for k, v in m.groupdict().items() if v}
    word = groups.get("o") or groups.get("o2") or groups.get("o3")
    n = (
        EN_ORDINALS.get(word)
        if word
        else to_number(groups.get("n") or groups.get("s") or groups.get("p") or "")
    )
    if n is None or int(n) != n or not 1 <= int(n) <= max(count, 1) + 1:
        return None
    return Place("position", int(n))


ZH_STEP = rf"往(前|后)(?:挪|移|放|调|排)?\s*({NUM})?\s*(?:个|位)?(?:位置|位)?(?!到)|(?:提前|前移)(?!到)({NUM})?\s*(?:个|位)?|(?:后移|推后|延后)(?!到)({NUM})?\s*(?:个|位)?"
EN_STEP = (
    r"\b(?:by\s+)?(one|two|three|a|\d+)\s+(?:place|position|spot|slot)s?\s+(earlier|later|back|forward|up|down|sooner)\b"
    r"|\b(earlier|later|back|forward)\s+(?:by\s+)?(one|two|\d+)\b"
)


def _step(text: str) -> Place | None:
    """A move by so many places: '往后挪一个位置', 'one place earlier'."""
    m = re.search(ZH_STEP, text)
    if m:
        later = m.group(1) == "后" or m.group(4) is not None or "后" in m.group(0)
        n = to_number(m.group(2) or m.group(3) or m.group(4) or "一") or 1
        return Place("later" if later else "earlier", int(n))
    m = re.search(EN_STEP, text.lower())
    if m:
        word = m.group(1) or m.group(4)
        n = 1 if word in ("a", "one") else to_number(word) or 1
        way = m.group(2) or m.group(3)
        return Place("later" if way in ("later", "back", "down") else "earlier", int(n))
    return None


def place_of(text: str, count: int, script: dict[str, Any] | None = None) -> Place | None:
    """The place a message names for a shot, or None when it names none."""
    found = _step(text) or _anchored(text, count, script) or _position(text, count)
    if found:
        return found
    low = text.lower()
    if re.match(r"^\s*first\b", low):  # the destination of 'put the dog one first'
        return Place("start")
    if re.match(r"^\s*last\b", low) or re.search(r"\b(?:a|one) (?:final|closing|last) (?:shot|scene)\b", low):
        return Place("end")
    if re.search(EN_START, low) or re.search(ZH_START, text):
        return Place("start")
    if re.search(EN_END, low) or re.search(ZH_END, text):
        return Place("end")
    return None


def insert_index(place: Place, count: int) -> int:
    """Where a new shot goes in a list of `count` shots (0-based); a step is not a place for a
    new shot, so it goes at the end."""
    index = {
        "later": count,
        "earlier": count,
        "start": 0,
        "end": count,
        "before": place.shot - 1,
        "after": place.shot,
        "position": place.shot - 1,
    }[place.relation]
    return max(0, min(index, count))


def move_index(place: Place, src: int, count: int) -> int:
    """Where shot `src` (0-based) lands (0-based, in the list without it)."""
    if place.relation == "start":
        return 0
    if place.relation == "end":
        return count - 1
    if place.relation == "position":
        return max(0, min(place.shot - 1, count - 1))
    if place.relation in ("later", "earlier"):
        step = place.shot if place.relation == "later" else -place.shot
        return max(0, min(src + step, count - 1))
    anchor = place.shot - 1
    anchor = anchor - 1 if anchor > src else anchor  # the anchor's index once the shot is out
    return max(0, min(anchor + (place.relation == "after"), count - 1))


ZH_MOVE_VERB = (
    r"放到|移到|挪到|调到|换到|放在|移至|排到|插到|挪去|放去|搬到|提到|提前|往前|往后|前移|后移|推后|延后|"
    r"作为|当作|变成|放|挪|移"
)
EN_DEST = (
    r"\b(?:right\s+|just\s+|immediately\s+|directly\s+)?(?:before|after|behind|ahead of|in front of|following|preceding|between)\b"
    r"|\bto (?:the )?(?:very )?(?:start|beginning|front|top|end|back|position|slot|place|spot|number|\d)"
    r"|\b(?:to|into|in) (?:the )?(?:first|second|third|fourth|fifth|last) (?:position|place|slot|spot)\b"
    r"|\bto be\b|\bat the (?:very )?(?:start|beginning|end|front)\b"
    r"|\b(?:one|two|three|a|\d+) (?:place|position|spot|slot)s?\b|\b(?:up|down|earlier|later|back|forward) (?:by|one|a)\b"
    r"|\b(?:go|goes|come|comes|be) (?:first|last)\b|\bfirst\b|\blast thing\b|\bto the back\b"
)


def split_move(text: str) -> tuple[str, str]:
    """A move's two parts: the words naming the shot that moves, and the words naming where it
    goes ('把开头那个 | 放到最后', 'put the city shot | right after the park')."""
    zh = re.search(ZH_MOVE_VERB, text)
    en = re.search(EN_DEST, text.lower())
    m = zh if zh and (not en or zh.start() < en.start()) else en
    if not m:
        return text, ""
    subject = re.sub(r"^(?:请|帮我|麻烦|能不能|可以)?\s*(?:把|将)", "", text[: m.start()].strip())
    return subject, text[m.start() :]


def moved_shot(text: str, script: dict[str, Any]) -> tuple[int, Place] | None:
    """The shot a move names (0-based) and where it goes, or None when either is missing."""
    count = len(script["shots"])
    subject, destination = split_move(text)
    place = place_of(destination, count, script) if destination else None
    shot = _shot_in(subject, count, script) if subject else None
    if place is None or shot is None:
        return None
    return shot - 1, place
