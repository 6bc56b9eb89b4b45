"""Revisions of a script's content in free words, beyond one shot's rewrite:

- a stronger ending ("结尾太平淡了，换个更有冲击力的结局", "can the girl wave goodbye at the end?"):
  the last shot rewritten, with what the user asked it to show or the genre's own strong close
  (tools/data/endings.json);
- a character or an element added to the shots where it fits ("让一只小猫也出现在画面里", "put
  some birds flying over the city shot"): the shots keep what they show and gain it;
- a new subject for the same project ("把小女孩换成一个老奶奶", "make the dog a cat in every shot",
  "这个视频改成讲下雪的冬天吧"): the old subject replaced in every shot, or the script written again
  about the new topic at the same length and in the same style.

Each reader returns what the message asks for, or None when it asks for something else, so the
router can tell these from a new shot or a one-shot rewrite. Lengths never change here."""

from __future__ import annotations

import copy
import re

from tools import lexicon
from tools.grammar import avoided, fill_subject, fitting
from tools.project import Script
from tools.request import style_of
from tools.scripts import ScriptError, new_shot_from_text
from tools.text import detect_language
from tools.writing import write_offline

ENDING = (
    r"结尾|结局|收尾|片尾(?!字幕)|落幕|谢幕|最后(?:的|那)?(?:部分|那段|一段|时刻|一幕|一下|那一下|画面|个画面)|收得|"
    r"最后(?:让|是|来个|来一个|能)|结束(?:时|的时候)|"
    r"\bends? (?:it |the video |things )?(?:on|with)\b|\bfinish(?:es)? (?:it |things )?(?:on|with)\b|"
    r"\bending\b|\bfinale\b|\bthe end\b|\bfinal (?:moment|scene|beat|shot|bit|image)\b|\bclose on\b|\bclosing\b|"
    r"\bwrap(?:s|ping)?[- ]?up\b|\bthe (?:close|finish|finsh)\b|\bway it (?:closes|ends|finishes)\b"
)
SHOT_WORD = r"镜头|画面|场景|分镜|\bshots?\b|\bscenes?\b|\bclips?\b"
ZH_JUDGE = (
    r"冲击|震撼|有力|力量|精彩|感人|煽情|难忘|记得住|印象|好看|平淡|没感觉|没啥感觉|高潮|燃|惊喜|意外|余味|回味|"
    r"虎头蛇尾|草草|仓促|突然|一点|些|更|的|有|力|让人|人|得|个|一些|点|收|好|很|太|感觉"
)
EN_JUDGE = (
    r"impact|impactful|stronger|strong|powerful|punch|punchy|memorable|better|bigger|epic|exciting|moving|"
    r"emotional|satisfying|flat|weak|dull|boring|abrupt|more|less|bit|something|one|it|a|an|the|please"
)


def _latin(text: str) -> bool:
    """Whether a message is written in a Latin script (no Chinese), dashes and quotes aside."""
    return detect_language(text) != "zh"


def _plain(text: str) -> str:
    return text.strip(" ，,。.！!？?~～")


def _judgement_only(content: str) -> bool:
    """Whether a phrase only judges ('更有冲击力的', 'more memorable') instead of naming what to show."""
    if _latin(content):
        rest = re.sub(rf"\b(?:{EN_JUDGE})\b", " ", content.lower())
        return not re.search(r"[a-z]{3,}", rest)
    rest, previous = content, None
    while rest != previous:  # '更有冲击力': each judging word off, until none is left
        previous, rest = rest, re.sub(ZH_JUDGE, "", rest)
    return len(rest.strip(" ，,。！？吧呢啊")) < 2


def ending_request(message: str) -> str | None:
    """What a message asks of the ending: '' for a stronger close in the genre's way, the content
    it should show, or None when it is not about the ending."""
    if not re.search(ENDING, message, flags=re.I):
        return None
    zh = [
        r"(?:比如|例如|譬如|像是)(.+?)(?:，?具体|，?你看着办|吧|[，,。！？!?]|$)",
        r"(?:结尾|结局|最后|收尾|落幕|谢幕|结束时|结束的时候)(?:的镜头|的画面|那里|的时候|那一下)?[^，,。？?]{0,6}?"
        r"(?:改成|换成|变成|改为|应该是|可以是|能不能是|就是|是|就|用|来个|来一个|来一段|放|拍|让|落在)(.+?)(?:的画面|的镜头)?(?:吧|呢|好了|[，,。！？!?]|$)",
        r"让(.+?)(?:在结尾|在最后|在片尾|结尾时|最后)",
        r"(?:换|来)(?:个|一个)(.+?)(?:的)?(?:结尾|结局)",
    ]
    en = [
        r"\b(?:such as|e\.g\.|for example)\s+(.+?)(?:[.?!]|$)",
        r"\b(?:can|could|let|have|make)\s+(?:it\s+)?(?:close|end|finish)\s+(?:on|with)\s+(.+?)(?:[.?!]|$)",
        r"\b(?:it|things|the video|the story)\s+(?:ends?|finish(?:es)?|close[sd]?|wraps? up)\s+(?:on|with)\s+(.+?)(?:[.?!]|$)",
        r"(?:^|[:;,]\s*)(?:please\s+|pls\s+|just\s+|maybe\s+)?(?:close|end|finish|wrap up)\s+(?:it\s+|the video\s+|things\s+)?(?:on|with)\s+(.+?)(?:[.?!]|$)",
        r"\b(?:can|could|let|have|make)\s+(.+?)\s+(?:at|in|by)\s+the\s+(?:very\s+)?end\b",
        r"\b(?:end|ending|close|finish|finale)\s+(?:should\s+)?(?:on|with|show|be)\s+(.+?)(?:[.?!]|$)",
        r"\b(?:ending|finale|final moment|final scene)\b[^.?!]*?[—–-]\s*(?:maybe|like|how about)?\s*(.+?)(?:[.?!]|$)",
        r"\b(?:maybe|how about|like)\s+(.+?)(?:\s+at the end)?(?:[.?!]|$)",
        r"\bat the end,?\s+(.+?)(?:[.?!]|$)",
    ]
    for pattern in zh if not _latin(message) else en:
        m = re.search(pattern, message, flags=re.I)
        if m:
            content = _plain(re.sub(r"^(?:maybe|perhaps|like)\s+", "", m.group(1), flags=re.I))
            if content and not _judgement_only(content) and not re.search(ENDING, content, flags=re.I):
                return content
    return ""


PARTICLES = {
    "to",
    "at",
    "in",
    "on",
    "by",
    "with",
    "and",
    "the",
    "a",
    "an",
    "up",
    "out",
    "off",
    "away",
    "goodbye",
}


def _ing(verb: str) -> str:
    """A verb's -ing form by the spelling rules (wave -> waving, hug -> hugging, cry -> crying)."""
    if verb.endswith("ie"):
        return verb[:-2] + "ying"
    if verb.endswith("e") and not verb.endswith(("ee", "ye", "oe")):
        return verb[:-1] + "ing"
    if re.fullmatch(r"[^aeiou]*[aeiou][bdgmnprt]", verb) and len(verb) <= 4:
        return verb + verb[-1] + "ing"
    return verb + "ing"


def _gerund(content: str) -> str:
    """'the girl wave goodbye' (as said after 'can') -> 'the girl waving goodbye': the bare verb
    after a character the lexicon knows, as a description reads."""
    if not _latin(content):
        return content
    words = content.split()
    for i, w in enumerate(words[:-1]):
        nxt = words[i + 1].lower()
        if lexicon.characters_in(w) and nxt.isalpha() and nxt not in PARTICLES:
            if not nxt.endswith(("s", "ed", "ing")) and not lexicon.characters_in(nxt):
                words[i + 1] = _ing(nxt)
            break
    return " ".join(words)


def _subject_of(script: Script, lang: str) -> str:
    """Who or what a script is about: its subjects, else the first character its shots show,
    else its title."""
    text = " ".join(s["description"] for s in script["shots"])
    for subject in script.get("subjects") or []:
        if subject.lower() in text.lower():
            return str(subject)
    cast = lexicon.characters_in(text)
    if cast:
        return lexicon.character_name(cast[0], lang)
    return str(script.get("title") or ("这个故事" if lang == "zh" else "our story"))


def rewrite_ending(script: Script, content: str) -> Script:
    """The last shot rewritten for a stronger close: showing `content` when the user said what,
    else the genre's own strong ending; the narration closes on the subject. Its length stays."""
    new = copy.deepcopy(script)
    if not new["shots"]:
        raise ScriptError("which_shot")
    lang = str(new.get("language") or "zh")
    endings = lexicon.load("endings")
    options = endings.get(str(new.get("genre") or "story")) or endings["story"]
    last = new["shots"][-1]
    subject = _subject_of(new, lang)
    seed = len(subject) + len(new["shots"])
    avoid = avoided(str(new.get("mood") or ""))
    clear = fitting(options, avoid, lambda o: " ".join(o[lang]))
    choice = clear[seed % len(clear)]
    if content:
        fresh = new_shot_from_text(new, _gerund(content), lexicon.find_shot_type(content))
        description = fresh["description"]
    else:
        lines = [fill_subject(t, subject, lang) for t in choice[lang]]
        lines = fitting(lines, avoid)
        description = next((d for d in lines if d != last["description"]), lines[0])
        last["shot_type"], last["camera"] = choice["type"], lexicon.camera_for(choice["type"])
    narrations = [fill_subject(t, subject, lang) for t in choice[f"narr_{lang}"]]
    last["description"] = description
    last["narration"] = next((n for n in narrations if n != last["narration"]), narrations[0])
    return new


ZH_MEASURE = r"^(?:再|也|都)?(?:加|添|放|弄|来|多|整|搞)?(?:上|进|入)?\s*(?:一|两|几|好几|一些|些|点|个)?(?:只|个|位|群|对|条|辆|朵|棵|片|串|个儿)?"
ZH_PUT = r"(?:多|加|添|放(?![到在])|弄|来|有|整|搞|安排)"
ZH_ELEMENT = [
    r"让(?:画面|镜头|场景)(?:里|中)?(?:多|有)(.+?)(?:吧|呢|[，,。！？!?]|$)",
    r"让(.+?)(?:也|都)?(?:出现|入镜|出镜|进入画面|在画面)",
    r"让(.+?)(?:也|都)(?:来|去|在|进|跟着)",
    rf"(?:镜头|画面|场景|背景|那段|那里|这里|那儿|那块|那边)(?:里|中|上)?(?:也|再|都)?{ZH_PUT}(?:上|点|些)?(.+?)(?:飞过去|飞一飞|吧|呢|好了|[，,。！？!?]|$)",
    r"(?:旁边|周围|身边|上空|天上|背景里|空中|四周)(?:再)?(?:多|加|添|弄|来|飞|整)(?:上|点|些)?(.+?)(?:飞一飞|吧|呢|好了|[，,。！？!?]|$)",
    r"(?:加|添|放)(?:上|个|一个|一只|几只|一些|点)?(.+?)(?:到|进|在)(?:.{0,8}?)(?:镜头|画面|场景)(?:里|中)",
    r"(?:每个|所有|全部)(?:镜头|画面)(?:里)?(?:都)?(?:加上?|有|放)(.+?)(?:吧|[，,。！？!?]|$)",
    r"给(?:故事|视频|片子|画面|整个片子)(?:里)?(?:加|添|安排)(?:个|一个|点|些|上)?(.+?)(?:吧|[，,。！？!?]|$)",
]
EN_ELEMENT = [
    r"\b(?:have|let|make)\s+(.+?)\s+(?:also\s+)?(?:appear|show up|pop up|be seen|be there)\b",
    r"^(.+?)\s+should\s+(?:also\s+)?(?:appear|be|show up)\s+(?:in|on)\b",
    r"\b(?:i'?d (?:like|love) to see|i want to see|let'?s see|we need)\s+(.+?)\s+(?:in there|in it|in the (?:video|story|shots?)|too|as well|also)\b",
    r"\b(?:add|put|place|include|throw in|bring in|stick|drop in|sneak in|sneak|slip|get|work|have)\s+(.+?)\s+"
    r"(?:in|into|to|inside|around|near|next to|beside|behind|in front of|among|on|over|above|flying over|somewhere|walking through)\b",
    r"\b(?:add|put|include|throw in|bring in)\s+(.+?)\s+(?:somewhere|where it (?:fits|makes sense)|in the background)",
]
EN_NOT_ELEMENT = r"^(?:an?\s+|another\s+|one\s+more\s+|a\s+new\s+)?(?:\w+\s+){0,2}(?:shot|scene|clip|close-?up|cutaway|title)s?\b"


def element_request(message: str) -> tuple[str, str] | None:
    """A character or element to add to the shots ('让画面里多几只鸽子' -> 鸽子) and the words
    after it that may say where; None when the message adds a shot or asks for something else."""
    patterns = EN_ELEMENT if _latin(message) else ZH_ELEMENT
    for pattern in patterns:
        m = re.search(pattern, message, flags=re.I)
        if not m:
            continue
        element = _plain(m.group(1))
        if _latin(message):
            element = re.sub(r"^(?:also|too|just|maybe)\s+", "", element, flags=re.I)
            vague = r"(?:(?:some|any|every)(?:thing|one|body)|stuff|things?|it|this|that|them|more|one)"
            if re.match(EN_NOT_ELEMENT, element, flags=re.I) or re.search(
                rf"(?:^|\b){vague}$", element, flags=re.I
            ):
                continue
        else:
            element = re.sub(r"^(?:画面|镜头|场景)(?:里|中)?", "", element)
            element = re.sub(ZH_MEASURE, "", element).strip()
            if not element or re.search(
                r"镜头|片段|分镜|^(?:最后|最前|开头|结尾|前面|后面|中间|第|到|在)|^(?:东西|点东西|什么|啥|些什么|这个|那个)$",
                element,
            ):
                continue
        if element and len(element) <= 60:
            return element, message[m.end(1) :]
    return None


FITS = {"wide", "medium", "tracking", "establishing", "full"}
"""Shot types that show a scene, where an added character or element fits."""


def add_element(script: Script, element: str, positions: list[int]) -> tuple[Script, list[int]]:
    """`element` added to the shots at `positions` (1-based), or to every shot that shows a scene
    when none is named; the shots keep what they show. Returns the script and the shots changed."""
    new = copy.deepcopy(script)
    lang = str(new.get("language") or "zh")
    shots = new["shots"]
    chosen = [p for p in positions if 1 <= p <= len(shots)]
    if not chosen:
        chosen = [i + 1 for i, s in enumerate(shots) if s["shot_type"] in FITS] or [1 + len(shots) // 2]
    changed = []
    for p in chosen:
        shot = shots[p - 1]
        if element.lower() in shot["description"].lower():
            continue
        joint = f"，画面里还有{element}" if lang == "zh" else f", with {element}"
        shot["description"] = shot["description"].rstrip("。. ") + joint
        changed.append(p)
    if not changed:
        raise ScriptError("already_there", what=element)
    return new, changed


ZH_SUBJECT = [
    r"(?:主角|主人公|主人翁|角色|那个人)(?:换成|改成|变成|改为)(?:了)?(?P<new>.+?)(?:吧|呢|好了|[，,。！？!?]|$)",
    r"(?:^|把|将|让)(?P<old>[^，,。第把]{1,10}?)(?:都|全都|全部|统统)?(?:换成|改成|变成|改为|替换成)(?P<new>[^，,。]+?)(?:吧|呢|好了|[，,。！？!?]|$)",
    r"不(?:想|要)(?:讲|拍)(?P<old>[^，,。]{1,10}?)了?[，,]\s*(?:改成|换成)?(?:讲|拍)(?P<new>[^，,。]+?)(?:吧|呢|[，,。！？!?]|$)",
    r"从(?P<old>[^，,。]{1,8}?)(?:挪到|改到|换到|变成|改成|换成)(?P<new>[^，,。]+?)(?:吧|呢|[，,。！？!?]|$)",
]
ZH_TOPIC = [
    r"(?:改成|换成|变成|改为|改)(?:讲|关于|拍|说)(?P<new>.+?)(?:的(?:视频|片子|故事|短片|内容))?(?:吧|呢|[，,。！？!?]|$)",
    r"(?:主题|内容|题材)(?:换成|改成|改为|变成)(?:讲)?(?P<new>.+?)(?:的(?:视频|片子|故事|短片|内容))?(?:吧|呢|[，,。！？!?]|$)",
]
EN_END = r"(?:\s+(?:everywhere|throughout|in every shot|in all (?:the )?shots|in each shot|instead|please|too))*\s*(?:[,.;!?]|$)"
EN_SUBJECT = [
    r"\b(?:main character|protagonist|hero|lead|star)\b[^.?!]*?\b(?:be|to|into|is)\s+(?:an?\s+|the\s+)?(?P<new>[a-z][\w' -]+?)(?:\s+instead)?\s*(?:[.?!]|$)",
    r"\bwhat if (?:the\s+)?[a-z]+\s+(?:is|was|were)\s+(?:an?\s+)?(?P<new>[a-z][\w' -]*?)\s+(?:and not|not|instead of|rather than)\s+(?:an?\s+|the\s+)?(?P<old>[a-z][\w' -]*?)\s*(?:[,.?!]|$)",
    r"\b(?:about|be set (?:in|at|on)|set (?:it|this|the whole thing|everything|the (?:video|story)) (?:in|at|on)|happen (?:at|in|on)|take place (?:at|in|on))"
    r"\s+(?:an?\s+|the\s+)?(?P<new>[a-z][\w' -]+?),?\s+(?:and not|not|rather than|instead of)\s+(?:an?\s+|the\s+)?(?P<old>[a-z][\w' -]+?)"
    r"(?:\s*[,.;!?]|\s+(?:can|could|so|and|but|keep)\b|$)",
    r"\b(?:make|turn|change|replace|swap|switch)\s+(?:the\s+|her\s+|his\s+)?(?P<old>[a-z][\w' -]*?)\s+(?:out\s+)?(?:to|into|with|for|a|an)\s+(?:an?\s+|the\s+|some\s+)?(?P<new>[a-z][\w' -]*?)"
    + EN_END,
]
EN_TOPIC = [
    r"\b(?:make|turn)\s+(?:it|this|the video|this video|the whole thing)\s+(?:about|into)\s+(?:an?\s+|the\s+)?(?P<new>.+?)(?:\s+instead(?:\s+of\s+.+?)?)?(?:,|\s+same\b|\s+but\b|[.?!]|$)",
    r"\b(?:be|is)\s+about\s+(?:an?\s+|the\s+)?(?P<new>.+?)\s+instead\b",
]
NOT_SUBJECTS = r"^(?:it|this|that|them|one|something|anything)$"


def _in_shots(word: str, script: Script) -> bool:
    text = " ".join(f"{s['description']} {s.get('narration', '')}" for s in script["shots"])
    same_cast = bool(
        set(lexicon.characters_in(word)) & set(lexicon.characters_in(text))
    )  # little girl ~ girl
    if word.isascii():
        stem = word.lower().rstrip("s") if len(word) > 3 else word.lower()
        return re.search(rf"(?<![a-z]){re.escape(stem)}", text.lower()) is not None or same_cast
    return word in text or same_cast


def subject_request(message: str, script: Script) -> tuple[str, str] | None:
    """A new subject for this project: (old, new) where the old one is in the shots ('' for the
    main character), or ('', topic) with `topic` starting with 'topic:' for a new topic; None
    when the message asks for something else."""
    ascii_text = _latin(message)
    for pattern in EN_SUBJECT if ascii_text else ZH_SUBJECT:
        m = re.search(pattern, message, flags=re.I)
        if not m:
            continue
        new = _plain(re.sub(ZH_MEASURE, "", m.group("new")) if not ascii_text else m.group("new"))
        old = _plain(m.groupdict().get("old") or "")
        if (
            re.search(
                SHOT_WORD + r"|第|那个|\bone\b|\bit\b|whole thing|everything|整个|全部", old, flags=re.I
            )
            or not new
        ):
            continue  # a shot named: a one-shot rewrite, not the subject
        if ascii_text:  # "a puppy's first big day, not a girl's walk": the puppy, the girl
            old, new = re.sub(r"'s\b.*$", "", old), re.sub(r"'s\b.*$", "", new)
        if re.search(NOT_SUBJECTS, new, flags=re.I) or style_of(new):
            continue  # 'turn it into something tense': a tone
        if old and not _in_shots(old, script):
            if re.search(r"rather than|instead of|and not|\bnot\b|从|不想|不要", m.group(0)):
                return "", "topic:" + new  # 'set it in winter rather than spring': the topic changes
            continue
        if old and _in_shots(new, script):
            continue  # 'switch the flowers with the city': two shots swapped, not a new subject
        if (
            not old
            and "main" not in m.group(0).lower()
            and "主" not in m.group(0)
            and "角色" not in m.group(0)
        ):
            continue
        return old, new
    for pattern in EN_TOPIC if ascii_text else ZH_TOPIC:
        m = re.search(pattern, message, flags=re.I)
        if m and _plain(m.group("new")) and not style_of(m.group("new")):
            return "", "topic:" + _plain(m.group("new"))
    return None


def _replace_words(text: str, old: list[str], new: str) -> tuple[str, bool]:
    out, hit = text, False
    for word in sorted(old, key=len, reverse=True):
        if not word:
            continue
        # latin words by letter boundaries: \b does not part 'fox' from the Chinese after it
        pattern = rf"(?<![A-Za-z]){re.escape(word)}s?(?![A-Za-z])" if word.isascii() else re.escape(word)
        out, n = re.subn(pattern, new, out, flags=re.I)
        hit = hit or n > 0
    return out, hit


def replaced_subject(script: Script, lang: str) -> str:
    """What `change_subject` replaces when no old subject is named: the first character the
    shots show, else the script's first subject."""
    cast = lexicon.characters_in(" ".join(s["description"] for s in script["shots"]))
    if cast:
        return lexicon.character_name(cast[0], lang)
    return str((script.get("subjects") or [""])[0])


def change_subject(script: Script, old: str, new: str) -> tuple[Script, list[int]]:
    """`old` (or the script's main character, when '') replaced by `new` in every shot's
    description and narration; returns the script and the shots changed."""
    work = copy.deepcopy(script)
    lang = str(work.get("language") or "zh")
    text = " ".join(s["description"] for s in work["shots"])
    keys = lexicon.characters_in(old) if old else lexicon.characters_in(text)[:1]
    words = [old] if old else []
    phrase = next((str(s) for s in work.get("subjects") or [] if old and old.lower() in str(s).lower()), "")
    if (
        phrase and phrase.lower() in text.lower()
    ):  # 'the shoes' of 'the new running shoes': the whole name goes
        words.append(phrase)
    chars = lexicon.load("lexicon")["characters"]
    for key in keys:
        words += [w for w in chars[key]["words"] if not w.isascii() or lang != "zh"]
    if not old and not keys and work.get("subjects"):
        words.append(str(work["subjects"][0]))
    if lang != "zh":
        words = [w for w in words if w.isascii()]
        new = re.sub(r"^(?:an?|the)\s+", "", new, flags=re.I)
    changed = []
    for i, shot in enumerate(work["shots"]):
        desc, hit = _replace_words(shot["description"], words, new)
        narr, hit2 = _replace_words(shot["narration"], words, new)
        if hit or hit2:
            shot["description"], shot["narration"] = _articles(desc), _articles(narr)
            changed.append(i + 1)
    if not changed:
        raise ScriptError("not_in_shots", what=old or _subject_of(script, lang))
    if work.get("subjects"):
        work["subjects"] = [new if s == old or not old else s for s in work["subjects"]][:1] + list(
            work["subjects"][1:]
        )
    return work, changed


def _articles(text: str) -> str:
    """'a old woman' -> 'an old woman' after a replacement."""
    text = re.sub(r"\b([Aa]) (?=[aeiouAEIOU])", r"\1n ", text)
    return re.sub(r"\b([Aa])n (?=[^aeiouAEIOU\W])", r"\1 ", text)


def retopic(script: Script, topic: str) -> Script:
    """The same project written again about `topic`: same length, style and language; the
    shots are new (a version of this project, not a new project)."""
    lang = str(script.get("language") or "zh")
    total = float(sum(float(s["duration"]) for s in script["shots"]))
    fresh = write_offline(topic, lang, total, str(script.get("mood") or "warm"))
    start = int(script.get("next_id", len(script["shots"]) + 1))
    for i, shot in enumerate(fresh["shots"]):
        shot["id"] = f"s{start + i}"
    fresh["next_id"] = start + len(fresh["shots"])
    return fresh
