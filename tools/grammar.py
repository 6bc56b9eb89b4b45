"""The offline writer for any topic: a genre's story grammar (tools/data/genres.json, beats with
roles, shot types, weights and phrasings in both languages) filled with what the request asked
for (tools/request.py). The number of shots follows the length and the style's pacing; the
lengths sum to the total through the allocator."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any, TypeVar

from tools import lexicon
from tools.project import Script
from tools.request import TIME_WORDS, Request
from tools.scripts import MAX_SHOTS, allocate, make_shot

T = TypeVar("T")

TOLD = {"story", "kids", "vlog", "music_video"}
"""Genres whose last line carries the style's feeling (an ad, a greeting, a recipe or a view end on their own)."""
SECONDS_PER_SHOT = 6.5
"""A shot's length at the neutral pace; a style's pace scales it."""
FALLBACK = {
    "en": {"occasion": "special day", "name": "everyone"},
    "zh": {"occasion": "特别的日子", "name": "大家"},
}
ZH_TIMES = {
    "夜晚",
    "夜里",
    "晚上",
    "深夜",
    "午夜",
    "清晨",
    "早上",
    "早晨",
    "黄昏",
    "傍晚",
    "日落",
    "日出",
    "夜",
    "凌晨",
}
"""Chinese times of day a request may give as where ('在夜里'): shown as the time of the place."""
GENRE_FALLBACK = {  # what a beat shows when the request does not say: (action, place) per language
    "story": {"en": ("taking the first step", "the world of {the}"), "zh": ("迈出第一步", "{subject}的世界")},
    "ad": {"en": ("in action", "the city streets"), "zh": ("被人们使用", "城市街头")},
    "company": {"en": ("at work", "the company's workshop"), "zh": ("接受测试", "公司的工作室")},
    "greeting": {"en": ("blowing out the candles", "home"), "zh": ("吹蜡烛", "温暖的家里")},
    "recipe": {"en": ("being prepared", "the kitchen"), "zh": ("被精心制作", "厨房")},
    "explainer": {"en": ("at work", "the world of {the}"), "zh": ("发挥作用", "{subject}的世界")},
    "vlog": {"en": ("exploring", "the destination"), "zh": ("四处探索", "目的地")},
    "kids": {
        "en": ("setting off on an adventure", "a little town by the forest"),
        "zh": ("出发去冒险", "森林边的小镇"),
    },
    "music_video": {"en": ("moving to the beat", "the city at night"), "zh": ("随着节奏律动", "夜晚的城市")},
}


def _pick(options: list[str], seed: str, used: set[str], avoid: tuple[str, ...] = ()) -> str:
    """A phrasing chosen by the subject (so topics differ), never one already used, and none
    with a word the style avoids ('bold, bright' in a calm video) while another is left."""
    start = int(hashlib.sha1(seed.encode()).hexdigest(), 16) % len(options)
    ordered = options[start:] + options[:start]
    clear = fitting(ordered, avoid)
    return next((o for o in clear if o not in used), clear[0])


def fitting(options: list[T], avoid: tuple[str, ...], text: Callable[[T], str] = str) -> list[T]:
    """The options whose words the style does not avoid (`text` gives an option's words); all
    of them when none is clear."""
    return [o for o in options if not any(w in text(o).lower() for w in avoid)] or options


def avoided(style: str) -> tuple[str, ...]:
    """The words a style's phrasings leave out (tools/data/requests.json, `avoid`)."""
    return tuple(w.lower() for w in (lexicon.load("requests")["styles"].get(style) or {}).get("avoid", []))


def _words(req: Request, lang: str) -> dict[str, str]:
    """The placeholders' fillings, with grammatical fallbacks when the request did not say."""
    subject = req.subject or ("这个主题" if lang == "zh" else "our story")
    proper = subject[:1].isupper() or not subject.isascii()
    the = subject if proper or subject.lower().startswith(("the ", "my ", "our ")) else f"the {subject}"
    action, place = GENRE_FALLBACK.get(req.genre, GENRE_FALLBACK["story"])[lang]
    if req.genre == "greeting" and req.occasion and not re.search(r"生日|birthday", req.occasion, flags=re.I):
        action = (
            "和大家一起欢庆" if lang == "zh" else "celebrating with everyone"
        )  # candles are for birthdays
    place = place.replace("{the}", the).replace("{subject}", subject)
    if req.place and req.place.lower().removeprefix("the ") in TIME_WORDS | ZH_TIMES:
        # 'a lighthouse keeper at night': a time, not a place to show: the genre's place, at that time
        place = f"{req.place}的{place}" if lang == "zh" else f"{place} at {req.place}"
    elif req.place:  # '雪地里' shown as 雪地: the phrasings put their own 里/上 after a place
        place = re.sub(r"(?<=..)[里上中]$", "", req.place) if lang == "zh" else req.place
    return {
        "subject": subject,
        "the_subject": the,
        "The_subject": the[:1].upper() + the[1:],
        "action": req.action or action,
        "place": place,
        "occasion": (req.occasion.title() if lang == "en" and req.occasion.islower() else req.occasion)
        or FALLBACK[lang]["occasion"],
        "name": req.name or FALLBACK[lang]["name"],
    }


def fill_subject(template: str, subject: str, lang: str) -> str:
    """A template filled with a subject alone (a closing line for a project's new style)."""
    return _fill(template, _words(Request(topic=subject, subject=subject), lang))


def _fill(template: str, words: dict[str, str]) -> str:
    out = template
    for key, value in words.items():
        out = out.replace("{" + key + "}", value)
    return out


def _beats(beats: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """The `count` beats a video of this length keeps: by rank, the first and last winning ties."""
    last = len(beats) - 1
    order = sorted(range(len(beats)), key=lambda i: (beats[i]["rank"], i not in (0, last), i))
    return [beats[i] for i in sorted(order[:count])]


def title_of(req: Request, lang: str) -> str:
    """The project's title: what it is about, as the user said it."""
    if lang == "zh":
        head = req.subject + (f"在{req.place}" if req.place and req.action else "") + req.action
        return head or req.topic or "新作品"
    text = re.sub(r"^(?:a|an|the|my|our)\s+", "", req.topic or req.subject, flags=re.I) or "A New Story"
    small = {"a", "an", "the", "of", "in", "on", "at", "to", "and", "for", "with"}
    return " ".join(w if (w in small and i) else w[:1].upper() + w[1:] for i, w in enumerate(text.split()))


def time_of(req: Request) -> str | None:
    """The time of day a request names (night, evening), whose light the phrasings must follow."""
    said = f"{req.topic} {req.place}".lower()
    for key, info in lexicon.load("requests")["times"].items():
        if key.startswith("_"):
            continue
        if any(
            (re.search(rf"\b{re.escape(w)}\b", said) if w.isascii() else w in said) for w in info["words"]
        ):
            return key
    return None


def _in_light(text: str, time: str | None, lang: str) -> str:
    """A phrasing with its light changed to the request's time of day ('Morning light' at night
    becomes 'Moonlight')."""
    if not time:
        return text
    for old, new in lexicon.load("requests")["times"][time][lang].items():
        text = text.replace(old, new)
    return text


def write_grammar(req: Request, lang: str, total: float, style: str) -> Script:
    """A script for the request from its genre's grammar, `total` seconds long."""
    grammars = lexicon.load("genres")
    grammar = grammars.get(req.genre) or grammars["story"]
    beats = grammar["beats"] if isinstance(grammar, dict) else grammar
    pace = float((lexicon.load("requests")["styles"].get(style) or {}).get("pace", 1.0))
    count = max(3, min(MAX_SHOTS, len(beats), round(total / (SECONDS_PER_SHOT * pace))))
    kept = {"action", "climax"} if req.action else set()  # what the user asked to see is always kept:
    kept |= {"establish"} if req.place else set()  # what the subject does, and where
    beats = [{**b, "rank": 0} if b["role"] in kept else b for b in beats]
    chosen = _beats(beats, count)
    words = _words(req, lang)
    time = time_of(req)
    avoid = avoided(style)
    used: set[str] = set()
    drafts = []
    joint = re.search(r"和|与|跟| and ", req.subject)  # '小男孩' of '小男孩和爷爷' is shown with it
    others = [x for x in req.subjects if x != req.subject and not (joint and x in req.subject)]
    slots = [i for i, b in enumerate(chosen) if b["role"] not in ("title_card", "call_to_action", "hook")]
    extra = {slots[k % len(slots)]: x for k, x in enumerate(others)} if slots else {}
    for i, beat in enumerate(chosen):
        seed = f"{req.subject}|{beat['role']}|{i}"
        desc = _in_light(_fill(_pick(beat["desc"][lang], seed, used, avoid), words), time, lang)
        if i in extra:  # the other things the request lists, each in a shot of its own
            desc += f"，还有{extra[i]}" if lang == "zh" else f", with {extra[i]}"
        narr = _fill(_pick(beat["narr"][lang], seed + "n", used), words)
        used.update({desc, narr})
        drafts.append((beat["type"], desc, narr, float(beat["weight"])))
    tones = lexicon.load("requests")["tones"].get(style)
    if tones and req.genre in TOLD and drafts:  # the ending says the style's feeling
        kind, desc, _, weight = drafts[-1]
        drafts[-1] = (kind, desc, _fill(_pick(tones[lang], req.subject + "|end", used), words), weight)
    durations = allocate([w for *_, w in drafts], total)
    shots = [
        make_shot(i + 1, t, d, n, s)
        for i, ((t, d, n, _), s) in enumerate(zip(drafts, durations, strict=True))
    ]
    card = grammar.get("card")
    if card and shots:  # an ad closes on its call to action, as a title over the last shot
        last = shots[-1]
        end = round(max(0.8, float(last["duration"]) - 0.3), 2)
        last["overlays"] = [
            {
                "text": card[lang].format(subject=req.subject),
                "kind": "title",
                "position": "top",
                "start": 0.3,
                "end": end,
            }
        ]
    return {
        "title": title_of(req, lang),
        "theme": req.topic,
        "story": f"genre:{req.genre}",
        "genre": req.genre,
        "subjects": list(req.subjects),
        "synopsis": ("" if lang == "zh" else " ").join(s["narration"] for s in shots),
        "mood": style,
        "language": lang,
        "duration": total,
        "shots": shots,
        "next_id": len(shots) + 1,
    }
