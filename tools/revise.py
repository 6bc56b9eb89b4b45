"""Reading a revision request against a script: what to insert and where, which shots to
delete, swap, move or rewrite, and new lengths. Returns the new script and what changed."""

from __future__ import annotations

import copy
import re
from typing import Any

from tools import lexicon
from tools.grammar import fill_subject
from tools.placement import Place, insert_index, move_index, moved_shot, place_of
from tools.project import Script, Shot
from tools.retell import (
    add_element,
    change_subject,
    element_request,
    ending_request,
    replaced_subject,
    retopic,
    rewrite_ending,
    subject_request,
)
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
from tools.text import detect_language

SHOT_NOUN_ZH = r"镜头|画面|场景|分镜|一幕|特写|空镜|远景|近景|全景|中景|航拍|俯拍|片头字幕|片头|片尾|字幕|镜"
ZH_ADD = (
    r"(?:添加|增加|插入|补充|加入|加上|插上|插|加|补|来|塞|放)(?:上|进|入)?\s*(?:一个|一段|一组|一幕|一条|个|段|条)?"
    rf"\s*(.+?)(?:的)?\s*({SHOT_NOUN_ZH})?\s*(?=[，,。.！!？?；;]|$)"
)
EN_SHOT_NOUN = (
    r"close-up|close up|closeup|wide shot|long shot|aerial shot|aerial|drone shot|medium shot|tracking shot|"
    r"establishing shot|overhead shot|shot|scene|clip|cutaway"
)
EN_PLACE = (
    r"(?=\s+(?:at|to) the (?:very\s+)?(?:start|beginning|end|front)\b|\s+(?:as|in) the \w+ (?:shot|scene|position|slot)\b"
    r"|\s+(?:at|in|into) (?:position|slot) \d|\s*,?\s*(?:please|thanks)\b|[.?!]|$)"
)
EN_ANCHOR = r"\s+(?:right\s+|just\s+|immediately\s+|directly\s+)?(?:before|after|between|ahead of|following|in front of)\s+"
EN_ADD = (
    r"\b(?:add|adding|insert|insret|inserting|include|put in|put|place|stick in|stick|slip in|throw in|drop in|tack on|append|squeeze in|"
    r"i'?d (?:love|like)|i want|give me|we need|need|start (?:the video |it |things )?(?:off )?with|"
    r"open (?:the video |it )?with|end (?:the video |it )?with|close (?:the video |it )?(?:with|on))\s+"
    r"(?:a|an|one|another|some)?\s*(?:new\s+|quick\s+|short\s+|brief\s+|final\s+|closing\s+|last\s+|opening\s+|first\s+|extra\s+)?"
    rf"(?:({EN_SHOT_NOUN})\s+)?(?:of|showing|where|with|in which|that shows|:)?\s*(.+?){EN_PLACE}"
)


def new_shot_request(message: str, script: Script | None = None) -> tuple[str, str | None, str]:
    """What a new shot is to show, its type if named, and the rest of the message (where the
    place is said): '在第二个镜头后面加一个蝴蝶停在花上的特写' -> ('蝴蝶停在花上', close-up, '在第二个镜头后面')."""
    colon = re.search(r"(?:shot|scene|镜头|画面)[^:：]*[:：]\s*(.+)$", message, flags=re.I)
    if colon:
        return colon.group(1).strip(" 。."), None, message[: colon.start(1)]
    m = re.search(EN_ADD, message, flags=re.I)
    if m and m.group(2):
        stype = lexicon.find_shot_type(m.group(1)) if m.group(1) else None
        content, end = m.group(2), m.end(2)
        lead = re.match(
            r"^\s*(?:right\s+|just\s+)?(?:after|before|following)\s+(?:shot|scene)\s*#?\d+\s+(?:with|showing|of|where)?\s*",
            content,
            flags=re.I,
        )
        if lead and content[lead.end() :].strip():  # the place first, then what it shows
            return content[lead.end() :], stype, message[: m.start(2)] + content[: lead.end()]
        for hit in re.finditer(EN_ANCHOR, content, flags=re.I):
            # 'after shot 1' is a place; 'after school' is what the shot shows
            if script is not None and place_of(content[hit.start() :], len(script["shots"]), dict(script)):
                content, end = content[: hit.start()], m.start(2) + hit.start()
                break
        return content, stype, message[: m.start(2)] + message[end:]
    for m in re.finditer(ZH_ADD, message):
        content = re.sub(r"^(能|可以|请|再)?(一个|一段|一组|个|段)?(新的?)?", "", m.group(1)).strip()
        if content and not re.fullmatch(rf"[\s\W]*|(?:新的?)?(?:{SHOT_NOUN_ZH})+", content):
            noun = m.group(2) or ""
            stype = lexicon.find_shot_type(noun) if noun else None
            return content, stype, message[: m.start(1)] + message[m.end() :]
    return _clause_content(message)


CARRIER = (
    rf"(?:加|添|插|补|多|来)\S{{0,4}}?(?:{SHOT_NOUN_ZH})|新镜头|\b(?:add|insert|tack on|append|put|could there be|there be|i want|i'd like)\b"
    r".*\b(?:shot|scene|clip|one)\b|\b(?:a|an|another)\s+(?:new\s+)?(?:\w+\s+)?(?:shot|scene|clip)\b"
)


def _clause_content(message: str) -> tuple[str, str | None, str]:
    """The new shot's content said in a clause of its own, after the clause that asks for a shot
    ('最前面加一个镜头，小女孩推开窗户伸懒腰', 'Could there be a new third shot? A man jogging')."""
    clauses = [c.strip() for c in re.split(r"[，,：:；;。！!？?]|\.\s|\s[—–-]\s", message) if c.strip()]
    if len(clauses) < 2 or not any(re.search(CARRIER, c, flags=re.I) for c in clauses):
        return "", None, message
    for clause in clauses:
        if re.search(CARRIER, clause, flags=re.I):
            continue
        if len(re.findall(r"[\u4e00-\u9fff]|[A-Za-z]{3,}", clause)) >= 2:
            content = re.sub(
                r"^(?:内容是|画面是|拍|就是|showing|show|of|with)\s*", "", clause, flags=re.I
            ).strip(" .")
            return content, None, message.replace(clause, " ")
    return "", None, message


ZH_REWRITE = r"(?:改成|改为|换成|重写成?|变成|搞成|弄成|整成|(?<![别不])拍|→|->|=>)(?!一下)\s*(.+?)(?:吧|呢|[。！？!?]|$)"
EN_REWRITE = (
    r"\bswap\b.+?\bfor\s+(.+?)(?:\s+instead)?(?:[.?!]|$)"
    r"|\b(?:put|show|use|have|want)\s+(.+?)\s+instead\b"
    r"|(?:to show|to|into|should show|show|with)\s+(.+?)(?:\s+instead)?(?:[.?!]|$)"
)


ZH_NEW_CONTENT = [
    r"(?:不要|别要|别拍|不拍|不想要)[^，,。]*?[，,]\s*(?:要|拍|换成|改成|来个|来一个|整个|整一个|给我|换个)?(.+?)(?:吧|呢|[。！？!?]|$)",
    r"(?:换个|换一个|来个|来一个|整个|整一个|搞个|弄个|给我搞成|搞成|弄成|整成)(.+?)(?:吧|呢|[，,。！？!?]|$)",
]
EN_NEW_CONTENT = [
    r"\b(?:trade|swap|switch|exchange)\b.+?\bfor\s+(.+?)(?:\s+instead)?(?:[.?!]|$)",
    r"\b(?:rather than|instead of)\s+[^,]+,\s*(?:could it be|can it be|make it|show|use|put|have|let'?s have|go with)?\s*(.+?)(?:\s+instead)?(?:[.?!]|$)",
    r"\b(?:give me|show me|let'?s have|let'?s do|go with|have it be|it be|could it be|can it be|be of|make it)\s+(.+?)(?:\s+instead)?(?:,?\s+(?:not|rather than|instead of)\b.*)?(?:[.?!]|$)",
]


def rewrite_content(message: str) -> str | None:
    """What a rewritten shot is to show, as the message says it: after 改成/换成/搞成/来个, after
    'not X anymore, Y', 'trade X for Y', 'rather than X, Y', 'give me Y', 'change it to Y'."""
    zh = ZH_NEW_CONTENT + [ZH_REWRITE]
    en = EN_NEW_CONTENT + [EN_REWRITE]
    for pattern in zh if detect_language(message) == "zh" else en:
        m = re.search(pattern, message, flags=re.I)
        if m:
            content = next((g for g in m.groups() if g), "")
            content = re.sub(r"(?:的那种|那种|的画面|的镜头|的感觉)$", "", content.strip(" ，,。.！!？?"))
            if content:
                return content
    return None


def _insert_position(message: str, script: Script, new: Shot) -> int:
    """Where a new shot goes: the place the message names; else before the shot where a
    character it shows first acts; else at the end."""
    count = len(script["shots"])
    place = place_of(message, count, dict(script))
    if place:
        return insert_index(place, count)
    for who in lexicon.characters_in(new["description"]):
        for i, shot in enumerate(script["shots"]):
            if who in lexicon.characters_in(shot["description"]):
                return i  # introduce the character before the shot where it first acts
    return count


def given_place(slots: dict[str, Any]) -> Place | None:
    """The place an LLM decision names (its `place` and `anchor`), if any."""
    relation = slots.get("place")
    if not relation:
        return None
    anchor = slots.get("anchor")
    return Place(relation, int(anchor) if anchor else (1 if relation in ("later", "earlier") else 0))


def _insert(message: str, script: Script, slots: dict[str, Any]) -> tuple[Script, dict[str, Any]]:
    if slots.get("content"):  # the LLM said what the shot shows
        content, stype, rest = str(slots["content"]), None, message
    else:
        content, stype, rest = new_shot_request(message, script)
    if not content:
        raise ScriptError("what_to_add")
    shot = new_shot_from_text(script, content, stype)
    place = given_place(slots)
    pos = insert_index(place, len(script["shots"])) if place else _insert_position(rest, script, shot)
    new = insert_shot(script, pos, shot)
    return new, {"op": "insert", "position": pos + 1, "shot_id": shot["id"]}


def change_tone(script: Script, style: str) -> Script:
    """The script in another style: its mood, and a closing line with the style's feeling; the
    shots and their lengths stay."""
    if style not in lexicon.load("requests")["styles"]:
        raise ScriptError("which_style")
    if style == script.get("mood"):  # already so: said, and no version is made
        raise ScriptError(
            "same_style", style_name=lexicon.mood_label(style, str(script.get("language") or "zh"))
        )
    new = copy.deepcopy(script)
    new["mood"] = style
    tones = lexicon.load("requests")["tones"].get(style)
    if tones and new["shots"]:
        lang = str(new.get("language") or "zh")
        subject = (new.get("subjects") or [new.get("title", "")])[0]
        new["shots"][-1]["narration"] = fill_subject(
            tones[lang][len(subject) % len(tones[lang])], subject, lang
        )
    return new


def revise(script: Script, message: str, slots: dict[str, Any]) -> tuple[Script, dict[str, Any]]:
    """Apply the revision a message asks for; raises ScriptError when it cannot."""
    op = slots.get("operation")
    refs = [int(n) - 1 for n in slots.get("shots") or []]
    work: Script = {**script}
    if op == "insert":
        return _insert(message, work, slots)
    if op == "tone":
        return change_tone(work, str(slots.get("style") or "")), {
            "op": "tone",
            "from": script.get("mood"),
            "to": slots.get("style"),
        }
    if op in ("ending", "add_element", "subject"):
        return _retell(str(op), work, message, slots, refs)
    if op == "delete":
        if not refs:
            raise ScriptError("which_shot")
        return delete_shots(work, refs), {"op": "delete", "positions": [r + 1 for r in refs]}
    if op == "swap":
        if len(refs) != 2:
            raise ScriptError("which_two_shots")
        return swap_shots(work, refs[0], refs[1]), {"op": "swap", "positions": [r + 1 for r in refs]}
    if op == "move":
        count = len(script["shots"])
        place = given_place(slots)
        found = (refs[0], place) if place and refs else moved_shot(message, dict(script))
        if found is None:  # the shot as the router read it, the place anywhere in the message
            place = place_of(message, count, dict(script))
            anchor = place.shot - 1 if place and place.relation in ("before", "after") else None
            moved = next((r for r in refs if r != anchor), None)
            if place is None:
                raise ScriptError("where_to_move")
            if moved is None:
                raise ScriptError("which_shot")
            found = (moved, place)
        moved, place = found
        dst = move_index(place, moved, count)
        return move_shot(work, moved, dst), {"op": "move", "from": moved + 1, "to": dst + 1}
    if op == "rewrite":
        if not refs:
            raise ScriptError("which_shot")
        content = slots.get("content") or rewrite_content(message)
        if not content:
            raise ScriptError("what_to_show")
        return rewrite_shot(work, refs[0], str(content)), {"op": "rewrite", "positions": [refs[0] + 1]}
    raise ScriptError("what_to_change")


def _retell(
    op: str, script: Script, message: str, slots: dict[str, Any], refs: list[int]
) -> tuple[Script, dict[str, Any]]:
    """A content revision (tools/retell.py): a stronger ending, an element added, a new subject."""
    if op == "ending":
        content = str(slots.get("content") or ending_request(message) or "")
        new = rewrite_ending(script, content)
        return new, {
            "op": "ending",
            "positions": [len(new["shots"])],
            "desc": new["shots"][-1]["description"],
        }
    if op == "add_element":
        said = element_request(message)
        element = str(slots.get("content") or (said[0] if said else ""))
        if not element:
            raise ScriptError("what_to_add")
        new, changed = add_element(script, element, [r + 1 for r in refs])
        return new, {"op": "add_element", "positions": changed, "what": element}
    return _new_subject(script, message, slots)


def _new_subject(script: Script, message: str, slots: dict[str, Any]) -> tuple[Script, dict[str, Any]]:
    """This project about another subject: the old one replaced in every shot, or the script
    written again about a new topic at the same length and in the same style."""
    if slots.get("topic"):
        old, new = "", "topic:" + str(slots["topic"])
    elif slots.get("content"):
        old, new = str(slots.get("old") or ""), str(slots["content"])
    else:
        found = subject_request(message, script)
        if found is None:
            raise ScriptError("what_subject")
        old, new = found
    if new.startswith("topic:"):
        topic = new.removeprefix("topic:")
        fresh = retopic(script, topic)
        return fresh, {"op": "retopic", "topic": topic, "n": len(fresh["shots"])}
    changed_script, changed = change_subject(script, old, new)
    lang = str(script.get("language") or "zh")
    said = old or replaced_subject(script, lang)
    return changed_script, {"op": "subject", "positions": changed, "a": said, "b": new}


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
