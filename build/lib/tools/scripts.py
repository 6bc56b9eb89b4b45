"""The offline script writer: stories from theme, mood and duration, and revisions that keep
the total duration (as in the seed dialogue, v1.0 -> v1.1)."""

from __future__ import annotations

import copy
import re

from tools import lexicon
from tools.errors import RequestError
from tools.project import DEFAULT_MOOD, NEUTRAL_GRADE, Script, Shot

MIN_TOTAL, MAX_TOTAL = 5.0, 180.0
MIN_SHOT, MAX_SHOTS = 1.0, 8
DEFAULT_TOTAL = 30.0
TYPE_WEIGHT = {"close-up": 3.0, "medium": 5.0, "wide": 5.0, "long": 5.0, "aerial": 6.0, "tracking": 5.0}


class ScriptError(RequestError):
    """A revision that cannot be applied; `code` names the reason for the reply."""


def allocate(weights: list[float], total: float) -> list[float]:
    """Split `total` seconds by `weights` into 0.1 s steps that sum to `total` exactly."""
    tenths = round(total * 10)
    wsum = sum(weights) or 1.0
    raw = [w / wsum * tenths for w in weights]
    base = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - base[i], reverse=True)
    for i in order[: tenths - sum(base)]:
        base[i] += 1
    return [b / 10 for b in base]


def total_of(shots: list[Shot]) -> float:
    """Sum of shot durations, rounded to the 0.1 s grid."""
    return round(sum(float(s["duration"]) for s in shots), 1)


def pick_story(text: str) -> str:
    """The story template whose keywords the request mentions most (generic if none)."""
    stories = lexicon.load("stories")
    low = text.lower()
    scores = {k: sum(1 for w in v["keys"] if w.lower() in low) for k, v in stories.items()}
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] > 0 else "generic"


def extract_theme(text: str, lang: str) -> str:
    """The theme phrase of a request ('关于春天的30秒短视频' -> 春天, 'about a rainy night' -> ...)."""
    patterns = [
        r"关于(.+?)的",
        r"介绍(.+?)的",
        r"主题(?:是|为)?[:：]?\s*([^，,。]+)",
        r"(?:about|of|featuring|on)\s+(?:a |an |the )?(.+?)(?:,|\.|$| in \d| with | for )",
    ]
    for pat in patterns:
        m = re.search(pat, text, flags=re.I)
        if m:
            theme = re.sub(r"\d+\s*(?:秒|seconds?\b|s\b)", "", m.group(1)).strip(" ，,。.")
            if theme:
                return theme[:40]
    return "生活" if lang == "zh" else "everyday life"


def _fill(template: str, theme: str) -> str:
    return template.replace("{theme}", theme)


def make_shot(shot_id: int, shot_type: str, description: str, narration: str, duration: float) -> Shot:
    """A shot record with the neutral grading the editor changes later."""
    return {
        "id": f"s{shot_id}",
        "shot_type": shot_type,
        "description": description,
        "camera": lexicon.camera_for(shot_type),
        "narration": narration,
        "duration": duration,
        "grade": NEUTRAL_GRADE.copy(),
    }


def validate_total(total: float) -> None:
    """Raise for a target duration this tool does not make."""
    if not MIN_TOTAL <= total <= MAX_TOTAL:
        raise ScriptError("bad_duration", value=total, low=MIN_TOTAL, high=MAX_TOTAL)


def write_script(request: str, lang: str, total: float = DEFAULT_TOTAL, mood: str | None = None) -> Script:
    """Write a titled story of 3-8 shots for a request; shot durations sum to `total`."""
    validate_total(total)
    key = pick_story(request)
    story = lexicon.load("stories")[key]
    theme = extract_theme(request, lang)
    count = max(3, min(MAX_SHOTS, round(total / 7.5), len(story["shots"])))
    count = min(count, len(story["shots"]))
    last = len(story["shots"]) - 1
    # Opening and closing shots carry the structure, so they win ties within a rank.
    chosen = sorted(range(last + 1), key=lambda i: (story["shots"][i]["rank"], i not in (0, last), i))
    keep = sorted(chosen[:count])
    picked = [story["shots"][i] for i in keep]
    durations = allocate([float(s["weight"]) for s in picked], total)
    shots = [
        make_shot(i + 1, s["type"], _fill(s["desc"][lang], theme), _fill(s["narr"][lang], theme), d)
        for i, (s, d) in enumerate(zip(picked, durations, strict=True))
    ]
    return {
        "title": _fill(story["title"][lang], theme),
        "theme": theme,
        "story": key,
        "synopsis": _fill(story["synopsis"][lang], theme),
        "mood": mood or lexicon.detect_mood(request) or DEFAULT_MOOD,
        "language": lang,
        "duration": total,
        "shots": shots,
        "next_id": len(shots) + 1,
    }


def rebalance(shots: list[Shot], total: float, fixed: set[int] | None = None) -> None:
    """Scale the shots not in `fixed` (indices) so that all shots sum to `total`, in place."""
    fixed = fixed or set()
    fixed_sum = sum(float(shots[i]["duration"]) for i in fixed)
    free = [i for i in range(len(shots)) if i not in fixed]
    room = round(total - fixed_sum, 1)
    if not free:
        if abs(room) > 0.05:
            raise ScriptError("cannot_keep_total", total=total)
        return
    if room < MIN_SHOT * len(free):
        raise ScriptError("too_short_for_shots", total=total, shots=len(shots))
    weights = {i: float(shots[i]["duration"]) for i in free}
    floored: set[int] = set()
    while True:  # shots that would fall under MIN_SHOT get MIN_SHOT; the rest share the room
        rest = [i for i in free if i not in floored]
        new = allocate([weights[i] for i in rest], round(room - MIN_SHOT * len(floored), 1))
        short = [i for i, d in zip(rest, new, strict=True) if d < MIN_SHOT]
        if not short:
            break
        floored.update(short)
    for i in floored:
        shots[i]["duration"] = MIN_SHOT
    for i, d in zip(rest, new, strict=True):
        shots[i]["duration"] = d


def _lang_of(script: Script) -> str:
    return str(script.get("language", "zh"))


def new_shot_from_text(script: Script, content: str, shot_type: str | None) -> Shot:
    """A shot from a phrase such as '她远远走来' / 'her walking in from afar', pronouns resolved
    to the script's characters."""
    lang = _lang_of(script)
    text = content.strip(" ，,。.")
    cast = lexicon.characters_in(" ".join(s["description"] for s in script["shots"]))
    named = lexicon.characters_in(text)
    found = None if named else lexicon.resolve_pronoun(text, cast)
    if found:
        pat, who = found
        text = re.sub(pat, lexicon.character_name(who, lang), text, count=1, flags=re.I)
    stype = shot_type or lexicon.find_shot_type(text) or "medium"
    narration = text + ("。" if lang == "zh" else ".")
    if lang != "zh":
        narration = narration[:1].upper() + narration[1:]
    sid = int(script.get("next_id", len(script["shots"]) + 1))
    script["next_id"] = sid + 1
    return make_shot(sid, stype, text, narration, TYPE_WEIGHT.get(stype, 5.0))


def insert_shot(script: Script, position: int, shot: Shot) -> Script:
    """Insert a shot at `position` (0-based) keeping the total; returns the new script."""
    new = copy.deepcopy(script)
    if len(new["shots"]) >= MAX_SHOTS:
        raise ScriptError("too_many_shots", limit=MAX_SHOTS)
    total = total_of(new["shots"])
    share = min(float(shot["duration"]), total / (len(new["shots"]) + 1))
    shot = {**shot, "duration": round(max(MIN_SHOT, share), 1)}
    position = max(0, min(position, len(new["shots"])))
    new["shots"].insert(position, shot)
    new["next_id"] = max(int(new.get("next_id", 0)), int(shot["id"][1:]) + 1)
    rebalance(new["shots"], total, fixed={position})
    return new


def delete_shots(script: Script, indices: list[int]) -> Script:
    """Remove shots (0-based indices) keeping the total."""
    new = copy.deepcopy(script)
    total = total_of(new["shots"])
    if len(set(indices)) >= len(new["shots"]):
        raise ScriptError("cannot_delete_all")
    new["shots"] = [s for i, s in enumerate(new["shots"]) if i not in set(indices)]
    rebalance(new["shots"], total)
    return new


def swap_shots(script: Script, a: int, b: int) -> Script:
    """Swap two shots (0-based)."""
    new = copy.deepcopy(script)
    new["shots"][a], new["shots"][b] = new["shots"][b], new["shots"][a]
    return new


def move_shot(script: Script, src: int, dst: int) -> Script:
    """Move a shot from `src` to position `dst` (0-based, after removal)."""
    new = copy.deepcopy(script)
    shot = new["shots"].pop(src)
    new["shots"].insert(max(0, min(dst, len(new["shots"]))), shot)
    return new


def rewrite_shot(script: Script, index: int, content: str) -> Script:
    """Replace a shot's content (description and narration), keeping its duration and grade."""
    new = copy.deepcopy(script)
    fresh = new_shot_from_text(new, content, lexicon.find_shot_type(content))
    old = new["shots"][index]
    old["description"], old["narration"] = fresh["description"], fresh["narration"]
    if lexicon.find_shot_type(content):
        old["shot_type"], old["camera"] = fresh["shot_type"], fresh["camera"]
    return new


def set_total(script: Script, total: float) -> Script:
    """Change the target duration; every shot scales by the same factor."""
    validate_total(total)
    new = copy.deepcopy(script)
    if total < MIN_SHOT * len(new["shots"]):
        raise ScriptError("too_short_for_shots", total=total, shots=len(new["shots"]))
    new["duration"] = total
    rebalance(new["shots"], total)
    return new


def set_shot_duration(script: Script, index: int, seconds: float) -> Script:
    """Give one shot a new length; the others absorb the difference so the total holds."""
    new = copy.deepcopy(script)
    total = total_of(new["shots"])
    others = len(new["shots"]) - 1
    if seconds < MIN_SHOT or (others and total - seconds < MIN_SHOT * others):
        raise ScriptError(
            "bad_shot_duration", value=seconds, low=MIN_SHOT, high=round(total - MIN_SHOT * others, 1)
        )
    new["shots"][index]["duration"] = round(seconds, 1)
    rebalance(new["shots"], total, fixed={index})
    return new
