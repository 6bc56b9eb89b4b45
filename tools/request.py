"""Reading a request for a new video: what it is about (the subject, what it does and where),
its genre, its style and its platform. The vocabularies are data (tools/data/requests.json);
the phrases around them are the language's own ways of asking for a video.

    "Make a 20 second romantic video about a couple walking on the beach at sunset"
      -> subject 'couple', action 'walking', place 'the beach at sunset', genre story, style romantic
    "一只猫在雨夜找家"  -> subject 猫, place 雨夜, action 找家
    "I need a 15 second TikTok ad for our new running shoes, energetic"
      -> subject 'new running shoes', genre ad, style cheerful, aspect 9:16"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from tools import lexicon

DURATION = (
    r"\b(?:(?:around|about|roughly|under|max|at most|maybe|~)\s*)?"
    r"(?:\d+(?:\.\d+)?\s*(?:-|\s)?(?:seconds?|secs?|s|minutes?|mins?|min)"
    r"|(?:a|an|one|two|three|half a|a half)\s+(?:seconds?|minutes?|mins?|min))\b(?:\s*(?:long|or so|max|tops))?"
)
ZH_DURATION = r"(?:大概|大约|差不多)?[\d零一二两三四五六七八九十百半]+(?:个)?\s*(?:秒钟?|分钟|分半?钟?|s)(?:左右|以内|上下|之内)?"
VIDEO_EN = (
    r"(?:video|clip|film|short|ad|advert|commercial|promo|teaser|story|vlog|reel|tiktok|movie|animation|"
    r"montage|piece|spot|trailer|explainer|greeting|card|recipe|tutorial|intro|introduction|overview|profile|"
    r"showcase|recap|highlights?|something|one)s?"
)
VIDEO_ZH = (
    r"(?:短|小|微)?(?:视频|片子|短片|影片|小片|vlog|广告片?|宣传片|故事|动画|mv|MV|贺卡|教程|纪录片|片)"
)
EN_DETERMINER = r"^(?:a|an|the|my|our|your|his|her|their|this|that|some|a little|a short|little)\s+"
EN_PLACE_PREP = r"\b(on|in|at|by|under|through|across|along|near|inside|around|over|beside|into|among)\b"
NOT_VERBS = set(
    "morning evening building spring king ring thing something nothing ceiling wedding painting "
    "opening clothing pudding string wing ceiling darling sibling sterling swing sing bring everything "
    "anything evening awning lightning".split()
)
ZH_MEASURE = r"^(?:一|两|几)?(?:只|个|位|群|对|家|条|辆|台|把|座|棵|朵|名|匹|头|支|款|杯|份|场|段)"
TIME_WORDS = {
    "sunset",
    "sunrise",
    "dawn",
    "dusk",
    "night",
    "morning",
    "evening",
    "noon",
    "autumn",
    "fall",
    "spring",
    "summer",
    "winter",
}


@dataclass
class Request:
    """What a creation request asks for; empty strings where it does not say."""

    topic: str
    subject: str
    action: str = ""
    place: str = ""
    genre: str = "story"
    style: str | None = None
    aspect: str | None = None
    name: str = ""
    occasion: str = ""
    subjects: list[str] = field(default_factory=list)


@cache
def vocabulary() -> dict[str, Any]:
    """The styles, genres and platforms with their words."""
    return lexicon.load("requests")


def _found(words: list[str], text: str) -> str | None:
    """The first of `words` in the text (English by word boundary, Chinese anywhere)."""
    low = text.lower()
    for w in sorted(words, key=len, reverse=True):
        hit = re.search(rf"(?<![a-z]){re.escape(w)}(?![a-z])", low) if w.isascii() else w in text
        if hit:
            return w
    return None


def style_of(text: str) -> str | None:
    """The style a request names (one of the style keys), or None."""
    hits = []
    for key, info in vocabulary()["styles"].items():
        word = _found(info["words"], text)
        if word:
            hits.append((text.lower().find(word.lower()), key))
    return min(hits)[1] if hits else None


def genre_of(text: str) -> tuple[str, str]:
    """The genre a request names and the word that named it ('story' and '' by default)."""
    best: tuple[int, str, str] | None = None
    for key, words in vocabulary()["genres"].items():
        word = _found(words, text)
        if word and (best is None or len(word) > len(best[2])):
            best = (0, key, word)
    return (best[1], best[2]) if best else ("story", "")


def aspect_of(text: str) -> str | None:
    """The aspect a platform or format word implies (抖音/TikTok/Reels: 9:16)."""
    for aspect, words in vocabulary()["platforms"].items():
        if _found(words, text):
            return str(aspect)
    return None


def _qualifier(part: str) -> bool:
    """Whether a comma-separated part only qualifies the video (a style, a length, a platform)."""
    rest = part.lower()
    for info in vocabulary()["styles"].values():
        for w in info["words"]:
            rest = rest.replace(w.lower(), " ")
    for words in vocabulary()["platforms"].values():
        for w in words:
            rest = rest.replace(w.lower(), " ")
    rest = re.sub(DURATION, " ", rest)
    rest = re.sub(ZH_DURATION, " ", rest)
    rest = re.sub(
        r"\b(style|mood|vibe|feel|tone|please|and|very|really|super|a bit|kind of|for|in|with|make it|keep it|"
        r"something|long|short|video|clip|version)\b|风格|一点|一些|要|的|感觉|就行|就好|吧|啊|呀|点|调性|氛围|视频|竖屏|横屏",
        " ",
        rest,
    )
    return not re.search(r"[a-z\u4e00-\u9fff]{2,}", rest)


PLATFORM_TAIL = r"\s+(?:for|on)\s+(?:my\s+|our\s+)?(?:instagram|tiktok|youtube|reels?|shorts|facebook|twitter|x|stories?)(?:\s+(?:story|stories|reel|post|shorts?))?\b"
EN_PRE_NOUN = r"^(?:(?:an?|the|my|our)\s+)?([a-z][\w' -]*?)\s+(?:ad|advert|commercial|promo|teaser|tutorial|explainer|trailer|video|clip|montage|reel)s?\b"
EN_LEADS = r"^(?:hey|hi|ok|so|please|pls|i|we|can|could|would|make|create|need|want|do|give|let|generate|produce|new|a short|short)\b"


def _en_head(parts: list[str]) -> str:
    """The part of a request that names its topic: the first that is more than a genre word."""
    for part in parts:
        bare = re.sub(
            rf"\b(?:{VIDEO_EN}|horror|funny|sad|romantic|simple|short|quick|little)\b", " ", part, flags=re.I
        )
        if re.search(r"[a-z]{3,}", bare.lower()):
            return part
    return parts[0]


def extra_subjects(text: str, lang: str) -> list[str]:
    """Further things a request lists to be seen ('roses and candles', '雪山、湖泊、草原')."""
    if lang == "zh":
        parts = [p for p in re.split(r"[，,。]", text) if "、" in p or "和" in p]
        items = [x for p in parts for x in re.split(r"[、和与]", p)]
        return [re.sub(ZH_MEASURE, "", x).strip() for x in items if 1 <= len(x.strip()) <= 6]
    out: list[str] = []
    said = re.search(
        r"\b(?:with|featuring|full of)\s+((?:[a-z]+ ?){1,3}(?:(?:,|\band\b|&) ?(?:[a-z]+ ?){1,3})+)\s*$",
        re.split(r"[,;]", text)[0],
        re.I,
    )
    if said:  # 'a Diwali greeting for my family with lamps and fireworks'
        out += [x.strip() for x in re.split(r",|\band\b|&", said.group(1)) if x.strip()]
    for part in re.split(r"[,;]", text)[1:]:
        part = part.strip()
        if _qualifier(part) or re.search(r"\b(?:style|vibe|seconds?|sec|vertical|square)\b", part, re.I):
            continue
        out += [
            re.sub(EN_DETERMINER, "", x.strip(), flags=re.I)
            for x in re.split(r"\band\b|&", part)
            if x.strip()
        ]
    return [x for x in out if 2 < len(x) < 40 and not re.fullmatch(r"\w+ing", x)][:4]


def _en_topic(text: str) -> str:
    lead = re.match(
        r"^\s*[\w\s'-]{0,30}?\b(?:video|clip|film|reel|short|animation|tiktok)\s*:\s*(.+)$", text, re.I
    )
    if lead:  # "make a 15 second video: a giraffe walking through the desert"
        text = lead.group(1)
    parts = [p.strip() for p in re.split(r"[,;!?]|\s[-–—]\s|\.\s", text) if p.strip()]
    parts = [p for p in parts if not _qualifier(p)] or parts
    head = _en_head(parts)
    head = re.sub(rf"\b{DURATION}", " ", head, flags=re.I)
    head = re.sub(r"\s+", " ", re.sub(PLATFORM_TAIL, "", head, flags=re.I))
    for pattern in (
        r"^(?:what|why|how|where|who) (?:is|are|do|does|did|was|were) (.+?)\??$",
        r"\bday in (?:the|my|a) life (?:of|as) (?:an? |the )?(.+)$",
        r"^(?:a |an |the )?(?:short |simple |quick )?(?:explainer |video )?(?:on |about )?(?:how|why) (?:do |does |did |can )?(?:the )?([a-z]+)\b",
    ):
        m = re.search(pattern, head.strip(), re.I)
        if m:
            return m.group(1).strip(" ?.")
    pre = re.match(EN_PRE_NOUN, head.strip(), re.I)
    styles = [w for info in vocabulary()["styles"].values() for w in info["words"] if w.isascii()]
    said = re.sub(
        rf"\b(?:{'|'.join(map(re.escape, vocabulary()['genres']['recipe'] + vocabulary()['genres']['ad'] + styles))}|product|item|simple|short|quick|new|little|nature|doc|company|business|brand|intro|introduction|overview|profile|showcase|recap)\b",
        "",
        pre.group(1) if pre else "",
        flags=re.I,
    )
    about = re.search(r"\b(?:about|featuring|starring|showing)\b", head, re.I)
    if (
        pre
        and re.search(r"[a-z]{3,}", said.lower())  # a word of its own, not an article left over
        and not about
        and not re.match(EN_LEADS, pre.group(1), re.I)
        and len(pre.group(1).split()) <= 5
    ):
        return pre.group(1)
    m = re.search(
        r"\b(?:about|featuring|starring|showing|celebrating|introducing|on the topic of|where)\s+(.+)$",
        head,
        re.I,
    )
    if not m:
        m = re.search(rf"\b{VIDEO_EN}\s+(?:of|for|on|to|with)\s+(.+)$", head, re.I)
    if m:
        topic = m.group(1)
    else:
        topic = re.sub(
            rf"^.*?\b(?:make|create|generate|produce|do|build|shoot|want|need|like|give me|put together)\b\s+"
            rf"(?:(?:me|us)\s+)?(?:a|an|some|one)?\s*(?:[\w-]+\s+){{0,3}}?{VIDEO_EN}\b\s*",
            "",
            head,
            flags=re.I,
        )
        topic = re.sub(r"^(?:new project|project|idea|topic)\s*:?\s*", "", topic, flags=re.I)
    topic = re.sub(rf"\s+(?:{VIDEO_EN})$", "", topic.strip(" ."), flags=re.I)
    return re.sub(r"\s+", " ", topic).strip(" .")


NOUN_GENRES = {"ad", "company", "recipe", "explainer", "greeting", "vlog"}
"""Genres whose topic is a thing (a product, a dish, a place): '-ing' words there name it."""


def _en_parts(topic: str, genre: str = "story") -> tuple[str, str, str]:
    """Subject, action and place of an English topic phrase."""
    trip = re.match(
        r"^(?:my |our |a |the )?(?:trip|journey|visit|holiday|vacation|weekend|day) (?:to|in) (.+)$",
        topic,
        re.I,
    )
    if trip:
        return trip.group(1), "", trip.group(1)
    if genre in NOUN_GENRES:
        subject = re.sub(EN_DETERMINER, "", topic, flags=re.I)
        return re.sub(r"^(?:new\s+)?(?:product|item)s?\s+", "", subject, flags=re.I).strip(), "", ""
    m = re.match(
        r"^(?:the\s+)?(?:history|story|science|making|secrets?|art|life|world|rise|future) of\s+(.+)$",
        topic,
        re.I,
    )
    words = (m.group(1) if m else topic).split()
    parts: dict[str, list[str]] = {"subject": [], "action": [], "place": []}
    state = "subject"
    for w in words:
        low = w.lower().strip(".,")
        if state == "subject" and (
            (low.endswith("ing") and len(low) > 4 and low not in NOT_VERBS) or low in ("who", "that", "which")
        ):
            state = "action"
        if state != "place" and re.fullmatch(EN_PLACE_PREP, low) and (state == "action" or parts["subject"]):
            state = "place"
            continue
        parts[state].append(w)
    subj = re.sub(EN_DETERMINER, "", " ".join(parts["subject"]), flags=re.I).strip()
    subj = re.sub(r"^(?:a|an|the)\s+", "", subj, flags=re.I)
    act = re.sub(r"^(?:who|that|which)\s+(?:is\s+|are\s+)?", "", " ".join(parts["action"]), flags=re.I)
    return subj, act, " ".join(parts["place"])


ZH_GENRE_WORDS = r"推广|宣传|介绍|展示|种草|带货|广告|促销|记录|分享"
"""Words that say what kind of video, not what it is about ('做个推广视频')."""


def _zh_topic(text: str) -> str:
    body = re.sub(ZH_DURATION, "", text)
    head = re.match(r"^([^，,。：:]{2,12}?)\s*(?:——|--|：|:)", body)
    if head:
        making = (
            r"(?:我想|我要|想要|帮我|请)?(?:做|整|来|搞|弄|生成|创建|制作|拍)?(?:一个|一段|一条|个|段|条)?的?"
        )
        if not re.fullmatch(rf"{making}(?:{ZH_GENRE_WORDS}|{VIDEO_ZH})*", head.group(1).strip()):
            return head.group(1).strip()
        rest = body[head.end() :].strip()  # '做一个视频：一只长颈鹿在沙漠里走': the topic follows the colon
        return re.split(r"[，,。！!？?]", rest)[0] or head.group(1).strip()
    patterns = [
        rf"关于(.+?)的(?:\s*(?:[\w\u4e00-\u9fff]{{0,6}}))?{VIDEO_ZH}",
        r"关于(.+?)(?:[，,。！!？?]|$)",
        rf"(?:介绍|宣传|推广|展示|记录|讲讲|讲述|讲解|讲|(?<![航俯跟偷抓])拍拍?|种草)(?:一下)?([^，,。！!？?].*?)(?:的{VIDEO_ZH})?(?:[，,。！!？?]|$)",
        rf"(?:做|整|来|搞|弄|生成|创建|制作|拍)(?:一个|一段|一条|一部|个|段|条|部)?(.+?)的?{VIDEO_ZH}",
        r"(?:给|为)(.+?)(?:做|整|来|搞|弄|拍)",
    ]
    for pattern in patterns:
        m = re.search(pattern, body)
        genre_only = re.sub(rf"{ZH_GENRE_WORDS}|的|{VIDEO_ZH}", "", m.group(1)) == "" if m else False
        if (
            m
            and re.sub(rf"^的?{VIDEO_ZH}$", "", m.group(1).strip())
            and not _qualifier(m.group(1))
            and not genre_only
        ):
            # not just the video word ('宣传视频') or a platform and a length ('15秒的抖音广告')
            topic = m.group(1)
            break
    else:
        topic = re.split(r"[，,。！!？?]", body)[0]
    topic = re.sub(
        r"^(?:我想|我要|想要|帮我|请|麻烦|能不能|可以)?(?:做|整|来|搞|弄|生成|创建|制作|拍)?(?:一个|一段|一条|个|段|条)?",
        "",
        topic,
    )
    parts = [p for p in re.split(r"[，,、]", topic) if p.strip() and not _qualifier(p)]
    topic = parts[0] if parts else topic
    for info in vocabulary()["styles"].values():  # "温馨的春天" -> 春天
        for w in info["words"]:
            if not w.isascii():
                topic = re.sub(rf"^{re.escape(w)}(?:风格?)?的?", "", topic)
    topic = re.sub(rf"的?{VIDEO_ZH}$", "", topic.strip(" 的"))
    tails = [w for info in vocabulary()["styles"].values() for w in info["words"]]
    tails += [w for words in vocabulary()["genres"].values() for w in words]
    for w in sorted(
        (w for w in tails if not w.isascii()), key=len, reverse=True
    ):  # "女排夺冠的热血" -> 女排夺冠
        topic = re.sub(rf"的?{re.escape(w)}(?:风格?|感)?的?$", "", topic)
    topic = topic.strip(" 的")
    clauses = [c.strip() for c in re.split(r"[，,。！!？?；;]", body) if c.strip()]
    if not topic and len(clauses) > 1 and not _qualifier(clauses[1]):
        return _zh_topic(clauses[1])  # '一段美食短片，厨师做一碗拉面': the genre first, the topic after
    return topic


ZH_LIFE_WORDS = {
    "一天",
    "日常",
    "生活",
    "故事",
    "世界",
    "旅程",
    "冒险",
    "回忆",
    "时光",
    "一生",
    "童年",
    "周末",
}
"""What a topic's '…的一天' names around its subject (a day in the life of X is about X)."""
ZH_PLACE_END = r"(上|里|中|边|下|前|旁|附近|外|内)"
ZH_VERBS = "找晒放跑走看吃玩等学飞游唱跳画坐躺睡追爬骑喝做写读拍听逛买卖种钓打踢弹拉哭笑聊抱送挑搬修洗煮烤"


def _zh_parts(topic: str) -> tuple[str, str, str]:
    """Subject, action and place of a Chinese topic phrase ('小女孩在公园里放风筝')."""
    trip = re.match(
        r"^(?:我|我们|我和.{1,4}?)?(?:去|到|在)(.{2,12}?)(?:旅行|旅游|游玩|度假|玩|的旅程|之旅)", topic
    )
    if trip:  # '我去云南大理旅行': the place is what is shown
        return trip.group(1), "", trip.group(1)
    subject, place, action = topic, "", ""
    m = re.match(r"^(.{1,12}?)(?:正)?在(.+)$", topic)
    if m and m.group(1).split("的")[-1]:  # '一只被遗弃的小狗在雨里等主人': the dog, in the rain
        subject, rest = m.group(1).split("的")[-1], m.group(2)
        near = re.match(rf"^(.{{1,6}}?){ZH_PLACE_END}(.+)$", rest)
        if near:
            place, action = near.group(1) + near.group(2), near.group(3)
        else:
            verb = next((i for i, ch in enumerate(rest) if ch in ZH_VERBS and i >= 1), None)
            place, action = (rest[:verb], rest[verb:]) if verb else (rest, "")
    else:
        m = re.match(rf"^(.{{1,8}}?)(?:正在|学习|学会|学|去|想要|想)([{ZH_VERBS}].*)$", topic)
        if m and "的" not in m.group(1):
            subject, action = m.group(1), topic[len(m.group(1)) :]
    if "的" in subject:  # 我们公司的新款电动汽车 -> 新款电动汽车; 退休老奶奶的一天 -> 退休老奶奶
        head, _, last = subject.rpartition("的")
        if any(w in last for w in vocabulary()["scenery"]["zh"]) and head:
            place = place or head  # 长城上的日出: the sunrise, on the Great Wall
        subject = head if last in ZH_LIFE_WORDS and head else (last or subject)
    subject = re.sub(ZH_MEASURE, "", subject) or subject
    return subject.strip(), action.strip(), place.strip()


def _greeting(text: str, lang: str) -> tuple[str, str]:
    """The person a greeting is for and the occasion, as said."""
    occasion = _found(vocabulary()["occasions"], text) or ""
    if lang == "zh":
        m = re.search(
            r"(?:给|祝|为)(?:我的?)?([\u4e00-\u9fff]{1,6}?)(?:的|过|做|送|庆祝|说)", text
        ) or re.search(
            r"^(?:我|我们)的?(爸爸?|妈妈?|爷爷|奶奶|外婆|外公|姥姥|老公|老婆|女朋友|男朋友|老师|闺蜜|儿子|女儿)",
            text,
        )
    else:
        relation = (
            r"mom|mum|dad|grandma|grandpa|wife|husband|sister|brother|friend|boss|son|daughter|girlfriend|boyfriend|teacher|"
            r"customers|clients|team|staff|friends|family|fans|students|colleagues|partners|followers"
        )
        m = re.search(
            rf"\bfor (?:my |our )?(?:{relation}|best friend|little \w+)\s+([A-Z][a-z]+)\b", text
        ) or re.search(rf"\bfor (?:my |our )?([A-Z][a-z]+(?: (?:and|&) [A-Z][a-z]+)?|{relation})\b", text)
    return (m.group(1) if m else ""), occasion


def _scenery(subject: str, place: str, lang: str) -> bool:
    """Whether the subject is a place or a view (海边日落, 城市夜景, the night sky, Kyoto in autumn)
    rather than someone or something that acts."""
    if not subject or lexicon.characters_in(subject):
        return False
    words = vocabulary()["scenery"][lang]
    if lang == "zh":
        return any(w in subject for w in words)
    low = subject.lower()
    if any(re.search(rf"\b{re.escape(w)}\b", low) for w in words):
        return True
    return subject[:1].isupper() and place.lower() in TIME_WORDS


def read_request(text: str, lang: str) -> Request:
    """Everything a creation request says about the video it wants."""
    genre, genre_word = genre_of(text)
    if lang == "zh":
        topic = _zh_topic(text)
        subject, action, place = _zh_parts(topic)
    else:
        topic = _en_topic(text)
        subject, action, place = _en_parts(topic, genre)
        if genre_word and subject.lower().startswith(genre_word):
            subject = subject[len(genre_word) :].strip()
    extra: list[str] = []
    if lang == "zh":
        owner = re.match(r"^([\u4e00-\u9fff]{1,4})的", topic)
        if owner and owner.group(1) != subject and lexicon.characters_in(owner.group(1)):
            extra.append(owner.group(1))  # 外婆的手擀面: grandma is seen too
        if not place:
            where = re.search(rf"在([\u4e00-\u9fff]{{1,6}}?){ZH_PLACE_END}", text.replace(topic, ""))
            place = where.group(1) + where.group(2) if where else ""  # '新能源车广告，在公路上飞驰'
    if genre == "story" and not action and _scenery(subject, place, lang):
        genre = "scenery"  # a place or a view is the subject: shown, not told as a character's story
        if place and place.lower() not in TIME_WORDS:  # 'autumn in the mountains': the view is both
            subject = f"{place}的{subject}" if lang == "zh" else f"{subject} in {place}"
    name, occasion = _greeting(text, lang) if genre == "greeting" else ("", "")
    if name:
        subject = name
    subject = subject[:60].strip()
    return Request(
        topic=topic,
        subject=subject,
        action=action[:60],
        place=place[:60],
        genre=genre,
        style=style_of(text),
        aspect=aspect_of(text),
        name=name,
        occasion=occasion,
        subjects=list(
            dict.fromkeys(
                ([subject] if subject else [])
                + [x for x in extra + extra_subjects(text, lang) if x != subject]
            )
        ),
    )
