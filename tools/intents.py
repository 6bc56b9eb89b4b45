"""The offline intent analyser: bilingual patterns and the lexicon turn a message into an
intent with slots (which shots, which operation, how much, which versions) and a confidence."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from tools import classifier, lexicon
from tools.request import read_request, style_of
from tools.retell import ENDING, element_request, ending_request, subject_request
from tools.text import (
    EN_NUMBERS,
    EN_ORDINALS,
    NUM,
    detect_language,
    numbers_to_digits,
    parse_duration_seconds,
    parse_percent,
    parse_versions,
    to_number,
)

INTENTS = (
    "create",
    "revise_script",
    "set_duration",
    "generate",
    "edit_visual",
    "edit_audio",
    "review",
    "undo",
    "redo",
    "restore",
    "history",
    "compare",
    "export",
    "help",
    "unclear",
)
CONFIDENCE_THRESHOLD = 0.45
"""Below this calibrated probability the router asks (the two best readings as buttons)."""
MAX_MESSAGE = 2000


@dataclass
class Analysis:
    """The router's decision: an intent from INTENTS, its slots and how sure it is."""

    intent: str
    confidence: float
    slots: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain-data form for state and JSON."""
        return {"intent": self.intent, "confidence": round(self.confidence, 2), "slots": self.slots}


def _has(pattern: str, text: str) -> bool:
    return re.search(pattern, text, flags=re.I) is not None


# Ordered: the first family whose pattern matches decides; confidence is the rule's own.
VERSION_RULES: list[tuple[str, str, float]] = [
    ("undo", r"^\s*(撤销|撤回|回退|undo|取消(上一步|刚才)|上一步)|撤销|撤回|\bundo\b|回到上一[个版步]", 0.95),
    ("redo", r"重做|恢复撤销|\bredo\b", 0.95),
    ("compare", r"对比|比较|区别|差异|不同|\bcompare\b|\bdiff\b|difference", 0.9),
    (
        "restore",
        r"(回到|恢复到?|还原到?|切换到|退回到?|go back to|restore|revert( back)? to|roll ?back to|switch (back )?to|return to)\s*(版本)?\s*v?\d",
        0.95,
    ),
    (
        "history",
        r"(有哪些|所有|全部|历史|之前的|列出)\s*版本|版本(历史|列表|记录)|\bhistory\b|(list|show)( me)?( all)?( the)? versions|what versions|which versions|versions\s*\?",
        0.9,
    ),
]
EDIT_AUDIO = {
    "music": r"音乐|配乐|背景乐|曲子|钢琴曲|\bmusic\b|soundtrack|\bsong\b|\bbgm\b",
    "narration": r"旁白|配音|解说|男声|女声|朗读|narrat|voice ?over|\bvoice\b|speak|说得?(快|慢)",
    "volume": r"音量|大声|小声|\bvolume\b|louder|quieter|\bmute\b|turn (it |the )?\w* ?(up|down)",
    "effects": r"音效|鸟叫|鸟鸣|海浪声|雨声|sound effects?|\bsfx\b|birdsong|ambien",
}
BEAT_CUT = (
    r"卡点|踩点|踩着?(音乐的?|歌的?)?(节拍|节奏|鼓点|拍子)|"
    r"(跟|随|按|照|合|顺)着?(照)?(音乐|歌曲?|背景音乐|bgm)?的?(节拍|节奏|鼓点|拍子)\s*(来|去)?(剪|切|转|换)|"
    r"(剪辑|切换|切点|转场|镜头切换|换镜头?)的?(点|时机)?\s*(要|都)?(对准|对上|对齐|卡在|卡到|落在|踩在|踩到|跟上|合上)\s*(音乐的?)?(节拍|鼓点|拍子|重拍|节奏)|"
    r"\bcut(s|ting)?\s+(it\s+|them\s+|the\s+(shots|video|clips|scenes)\s+|everything\s+)?(to|on)\s+(the\s+)?(beats?|music|rhythm|drums?|song)\b|"
    r"\bbeat[- ]?(sync(ed)?|cut(s|ting)?|match(ed|ing)?|drop edit)\b|"
    r"\bsync(hroni[sz]e)?\s+(up\s+)?(the\s+)?(cuts|edits|shots|transitions|video|clips|scenes|it|everything)\s+(up\s+)?(to|with)\s+(the\s+)?(beats?|music|rhythm|song)\b|"
    r"\b(cuts?|edits?|transitions?|shot changes?)\s+(should\s+|to\s+|that\s+)?(land|fall|hit|happen|be|line up)\s+(right\s+)?(on|with)\s+(the\s+)?beats?\b|"
    r"\bon\s+(the\s+)?beat\b|\bto\s+the\s+beat\b"
)
"""Words asking for the cuts between shots on the music's beat ('卡点', 'cut to the beat')."""
MUSIC_VIDEO = (
    r"\bmusic[- ]video\s+(mode|style|edit|cut|feel)|\bmv\s*(mode|style|edit|cut)\b|(mv|MV)\s*(模式|风格|式|效果|那种)|音乐视频(模式|风格)|"
    r"(每个|每一?个?)?镜头.{0,6}(一|两|二|几|整|四|1|2)?个?小节|按(照)?小节|整小节|小节线|"
    r"\b(whole|full|one|two|four|each|every|per|entire)\s+(bar|measure)s?\b|\bbars?\s+of\s+the\s+(song|music|track)\b|\b(bar|measure)[- ]length\b"
)
"""Words asking for a music-video cut: every shot lasts whole bars of the song."""


CUT_WORDS = (
    r"\bcut\w*|\bedits?\b|\bedit points?|transitions?|scene changes?|shot changes?|\bswitch(es|ing)?\b|clip changes?|"
    r"\b(the\s+)?(shots|scenes|clips)\b|\bthem\b|剪辑点?|切点|切换点?|转场|切镜头?|换镜头?|镜头切换|换画面|切画面"
)
BEAT_WORDS = (
    r"\bbeats?\b|\bbeat grid|\brhythm|\bdrums?\b|drum hits?|\bkicks?\b|\bsnare|bass drop|\bdownbeats?|\btempo grid|"
    r"节拍|节奏点|鼓点|拍子|拍点|重音|重拍|(音乐|歌|bgm|BGM)的?节奏"
)
ALIGN_WORDS = (
    r"\bmatch\w*|\balign\w*|\bsync\w*|\bline\w* (them |it |everything )?up|\btim(e|ed|ing)\b|\bfall\b|\bland\b|\bhit\b|"
    r"\block\w*|\bsnap\w*|\bfollow\w*|\bon\s+(the|teh|da)?\s*beat|对齐|对上|对准|同步|跟着|跟上|跟随|随着|卡在?|踩在?|合上|落在|配合|按照?"
)
NOT_A_CUT = (
    r"音量|大声|小声|太吵|太响|换一?首|换个|选一?首|删掉|去掉|拖沓|太快|太慢|快一点|慢一点|"
    r"\bvolume\b|\bloud|\bquiet|\bsofter\b|\bremove\b|\bdelete\b|\bmute\b|\b(pick|choose|another|different|new) (song|track|music)|"
    r"\b(faster|slower|upbeat) (song|track|music)|\bbpm\b\s*\?|\bwhat\b"
)
"""A cut to the beat told in the words' parts: something that cuts, the beat, and lining them up
('time the scene changes to the drum hits', '切换点和音乐节拍同步一下'); not a change of the music."""


def beat_request(text: str) -> str | None:
    """'bars' for a music-video cut, 'beats' for a cut to the beat, None for neither."""
    if _has(MUSIC_VIDEO, text):
        return "bars"
    if _has(BEAT_CUT, text) or _has(r"卡.{0,6}(音乐|歌|bgm|鼓)的?(点|拍)", text):
        return "beats"
    parts = _has(CUT_WORDS, text) and _has(BEAT_WORDS, text) and _has(ALIGN_WORDS, text)
    return "beats" if parts and not _has(NOT_A_CUT, text) else None


EDIT_VISUAL = {
    "subtitles": r"字幕|subtitle|captions?",
    "title": r"标题|片头|片名|title card|\btitle\b|text overlay|\boverlay\b|文字|(add|put) (the )?(text|words)",
    "transition": r"转场|淡入|淡出|溶解|叠化|擦除|transition|fade|dissolve|crossfade|\bwipe\b|\bslide\b",
    "aspect": r"(?<!\d)\d{1,2}\s*[:：]\s*\d{1,2}(?!\d)|\d+\s*比\s*\d+|竖屏|横屏|方形|正方形|竖版|横版|9\s*[:：]\s*16|16\s*[:：]\s*9|1\s*[:：]\s*1|vertical|portrait|landscape|square|aspect",
    "look": r"黑白|复古|电影感|胶片|柔和|black[- ]and[- ]white|\bb&w\b|vintage|cinematic look|sepia|film look|\bsoft look",
    "brightness": r"太?暗|调?亮|亮度|明亮|bright|dark|dim\b|exposure",
    "contrast": r"对比度|反差|contrast",
    "saturation": r"饱和|鲜艳|色彩浓|灰蒙蒙|saturat|vivid|colou?rful|washed out|muted",
    "temperature": r"暖色|冷色|色温|暖一|冷一|偏暖|偏冷|暖些|冷些|warmer|cooler|colou?r temperature|\bwarm\b|\bcool\b",
    "speed": r"太快|太慢|慢一点|快一点|放慢|加速|减速|速度|慢动作|slow (it )?down|speed (it )?up|too (fast|slow)|slow[- ]motion|playback speed|\bfaster\b|\bslower\b",
    "resolution": r"(?<![\da-z])\d{3,4}p(?![a-z])|(?<![\da-z])[2-9]k(?![a-z])|分辨率|resolution|帧率|\bfps\b|frame rate",
}
CREATE = (
    r"(创建|生成|制作|做|拍|来|写|创作|设计)(一个|一段|一部|一条|个|段|部|条)?[^，,。]{0,30}?"
    r"(视频|短片|广告|影片|片子|vlog|短视频|动画|宣传片|mv)"
    r"|(make|create|produce|generate|shoot|build|do)\b(?! it)(?! shot)[^.,]{0,30}?\b(video|clip|film|movie|ad|advert|short|vlog|reel|animation|commercial)s?\b"
    r"|^\s*(a |an )?(\d+|\w+)[- ]second (video|clip|film)|video about"
)
REVISE = (
    r"(多一个|多加|多来|别要|换个|加|添加|增加|插入|补充?|删|去掉|移除|拿掉|不要|交换|调换|对调|互换|换一下|移到|挪到|放到|改成|改为|换成|重写|修改剧情|剧情|故事|太突然|节奏|顺序)"
    r"|\b(add|insert|remove|delete|drop|cut out|swap|switch|exchange|move|rewrite|reorder|replace|change the (story|plot)|put|push|nudge|bump|shift|tack on|append)\b|too (abrupt|sudden)|story"
    r"|\bchange (shot|scene|clip) \d+ (to|into) |(shot|scene) \d+ should show"
)
SHOT_WORD = r"(镜头|幕|场景?|分镜|画面|shots?|scenes?|clips?)"
DURATION = (
    r"时长|长度|秒|分钟|小时|seconds?|\bsecs?\b|minutes?|\bmins?\b|hours?|longer|shorter|duration|length"
)
REVIEW = r"质量|评审|评价|评分|打分|怎么样|如何|好不好|满意吗|点评|\breview\b|\bscore\b|\brate\b|how (good|is it|does it look)|feedback|critique|quality"
GENERATE = (
    r"^\s*(好的?|可以|行|没问题|ok(ay)?|yes|yep|great|perfect|looks good|sounds good|nice)?[!！,，。.\s]*"
    r"(继续|开始|生成|渲染|制作|出片|开拍|go( ahead)?|proceed|continue|render|generate|start|make it|do it|let'?s go)"
    r"|continue|go ahead|render it|render the video|generate (it|the video)|make the video|start rendering|looks good|sounds good"
)
# Render the current project again (after a model or setting change): not a new project.
RERENDER = (
    r"重新(生成|渲染|制作|出片|合成)|再(生成|渲染|制作)一(次|遍|下)|re-?render|re-?generate|re-?make the video"
    r"|(render|generate|make) (it |the video |everything |all )?(again|once more|from scratch)"
)
HELP = r"你能做什么|能做什么|你会什么|怎么用|如何使用|帮助|使用说明|^\s*help\b|what can you do|how does (this|it) work|how do i use|commands|^\s*\?\s*$"
EXPORT = r"导出|下载|保存为|另存|\bexport\b|download|save (it )?as|\bgif\b|\bwebm\b|\bmp4\b"

NEW_PROJECT = (
    r"^\s*(new (project|video)|start (a )?new (project|video)|another (video|one)( about)?|"
    r"新项目|新建|新的视频|再做一个|另做一个|重新做一个|换个主题)"
)
NARRATION_OFF = (
    r"(去掉|删掉|删除|不要|关掉|关闭|取消|拿掉)\s*(所有的?|全部的?)?\s*(镜头的?)?\s*(旁白|配音|解说|朗读)"
    r"|(旁白|配音|解说)\s*(去掉|删掉|不要了?|关掉|拿掉)|(all|every)\s+(shot|scene)s?\s+without\s+narration"
    r"|\b(remove|delete|drop|cut|mute|turn off|get rid of|no)\s+(the\s+|all\s+(the\s+)?)?(narration|voice ?over|narrator)"
)
REWRITE = (
    r"(内容|画面|镜头|那个)\s*(?:改一下，?)?(改成|换成|改为|搞成|弄成|整成|变成)|改成[:：]|换成[:：]"
    r"|(?:镜头|shot|scene)\s*\d+\s*(?:→|->|=>)"
    r"|\b(?:change|turn|swap)\s+(?:the\s+)?(?:[\w-]+\s+){0,3}(?:shot|scene|clip|one)\s*\d*\s+(?:to|into|for)\s+(?:a|an|the|some)\b"
    r"|\bchange\s+(shot|scene|clip)\s*\d+\s+(to|into)\s+(a|an|the|some)\b|(shot|scene)\s*\d+\s+should\s+show"
    r"|\bin\s+(shot|scene)\s*\d+,?\s+(change|replace)\b|\bmake\s+(shot|scene)\s*\d+\s+(show|about)\b"
)
SMALL = r"一点|一些|稍微|稍稍|有点|略|a bit|a little|slightly|somewhat|a touch"
LARGE = r"很多|大幅|非常|特别|太多|多一些|a lot|much|way|really|very|significantly|heavily"


def _ordinal_shots(text: str, count: int) -> list[int]:
    """Shot positions (1-based) named in the text: 第二个镜头, 镜头3, shot 2, second shot, last."""
    found: list[int] = []
    low = text.lower()

    def add(n: float | None) -> None:
        if n is not None and int(n) == n and int(n) not in found:
            found.append(int(n))

    for m in re.finditer(rf"倒数\s*第\s*({NUM})", low):  # 倒数第二个: counted from the end
        n = to_number(m.group(1))
        add(count - n + 1 if n and count and 1 <= n <= count else None)
    if count >= 2 and re.search(
        r"\b(?:second[- ]to[- ]last|second[- ]last|penultimate|next[- ]to[- ]last)\b", low
    ):
        add(float(count - 1))
    for m in re.finditer(rf"(?<!倒数)第\s*({NUM})\s*(?:个|号)?\s*(?:和|与|、|跟|到|-|至)?", low):
        tail = low[m.end() : m.end() + 12]
        if re.match(rf"\s*(?:个|号)?\s*{SHOT_WORD}|\s*(?:和|与|、|跟)", tail) or re.search(SHOT_WORD, tail):
            add(to_number(m.group(1)))
        elif re.search(r"个\s*(?:和|与|、|跟|到|-|至)?$", m.group(0)) and not re.match(
            r"\s*(?:版本?|秒|分钟|字|句|音|颜色|词|人|问题|选项|方案)", tail
        ):
            add(to_number(m.group(1)))  # 第二个 alone: in a project the numbered things are its shots
    for m in re.finditer(rf"(?:镜头|分镜|场景)\s*({NUM})", low):
        add(to_number(m.group(1)))
    for m in re.finditer(rf"({NUM})\s*号镜头", low):
        add(to_number(m.group(1)))
    for m in re.finditer(r"(?:\b(?:shots?|scenes?|clips?)\s*#?|镜头|分镜|场景|第)\s*(?:-|−|负)\s*(\d+)", low):
        add(-float(m.group(1)))  # 'shot -1', '镜头-1': a number no script has, refused as such
    for m in re.finditer(r"\b(?:shots?|scenes?|clips?)\s*#?\s*(\d+)((?:\s*(?:,|and|&|to|-)\s*\d+)*)", low):
        add(float(m.group(1)))
        for extra in re.findall(r"\d+", m.group(2)):
            add(float(extra))
    for m in re.finditer(r"\b(?:shot|scene|clip)\s+(\w+)\b(?!\s*(?:seconds?|secs?|minutes?|s\b))", low):
        if m.group(1) in EN_NUMBERS and 1 <= EN_NUMBERS[m.group(1)] <= 20:  # 'shot three'
            add(float(EN_NUMBERS[m.group(1)]))
    for word, n in EN_ORDINALS.items():
        if re.search(rf"\b{word}\b(?:\s+(?:and|&)\s+\w+)?\s*(?:shot|scene|clip|one)", low) or re.search(
            rf"\b{word}\s+(?:and|&)\s+(?:the\s+)?\w+\s+(?:shots|scenes)", low
        ):
            add(float(n))
    if re.search(
        r"\b(last|final|closing|ending)\s+(shot|scene|clip|one)|最后(一个|一幕|的)?(镜头|幕|场景|画面)?|结尾(的|那个|那)?\s*(镜头|幕|画面|场景)",
        low,
    ):
        add(float(count) if count else None)
    if (
        re.search(
            r"\b(opening|first)\s+(shot|scene|one)|(开头|开始|开场|一开始)(的|那个)?(镜头|画面|场景)|第一个镜头",
            low,
        )
        and 1 not in found
    ):
        add(1.0)
    return found


def _typed_shots(text: str, shots: list[dict[str, Any]]) -> list[int]:
    """Shots referred to by type ('the aerial shot', '俯拍镜头')."""
    stype = lexicon.find_shot_type(text)
    named = re.search(SHOT_WORD + r"|\bone\b", text, flags=re.I) or (  # '把航拍删掉': the type is the noun
        re.search(r"航拍|特写|远景|近景|全景|空镜|俯拍|close-?ups?\b|aerials?\b", text, flags=re.I)
        and re.search(r"删|去掉|拿掉|不要|\bremove\b|\bdelete\b|\bdrop\b|\bcut\b", text, flags=re.I)
    )
    if not stype or not named:
        return []
    return [i + 1 for i, s in enumerate(shots) if s.get("shot_type") == stype]


def _described_shots(text: str, shots: list[dict[str, Any]]) -> list[int]:
    """Shots referred to by what they show ('the park shots', '公园的镜头'): the named word,
    widened to its group in the scenes lexicon (park ~ 公园, grass, bench ...)."""
    low = text.lower()
    keys: list[str] = []
    for m in re.finditer(
        r"\b(?:the|all|in the|on the|for the|both)\s+([a-z]+(?: [a-z]+)?)\s+(?:shots|scenes|clips|shot|scene)\b",
        low,
    ):
        keys.append(m.group(1).split()[-1])
    for m in re.finditer(r"([\u4e00-\u9fff]{1,5})的(?:镜头|画面|场景)", text):
        word = m.group(1)
        keys += [word[i:] for i in range(len(word) - 1)]
    if not keys:
        return []
    scenes = lexicon.load("scenes")
    found: list[int] = []
    for key in keys:
        words = {key}
        for table in ("settings", "elements", "people"):
            for group in scenes[table].values():
                if key in [w.lower() for w in group]:
                    words.update(w.lower() for w in group)
        hits = [
            i + 1 for i, s in enumerate(shots) if any(w in s.get("description", "").lower() for w in words)
        ]
        found += [h for h in hits if h not in found]
        if found:
            break
    return sorted(found)


REFERENCE_STOP = set(
    "the a an this that these those shot shots scene scenes clip clips one ones with and of in on at to "
    "for from by move put place make can could you please want would like should come go right just "
    "after before behind between ahead following first last thing see video there where which "
    "is are be it its them then so".split()
)


CONTENT_TABLES = ("settings", "elements", "people", "weather", "time_of_day", "particles")


@cache
def _content_index() -> dict[str, frozenset[str]]:
    """Each word of the scenes lexicon's groups for what a shot shows (lower-cased), with the
    words of every group it is in: built once, read on every message."""
    scenes = lexicon.load("scenes")
    index: dict[str, frozenset[str]] = {}
    for table in CONTENT_TABLES:
        for group in scenes[table].values():
            words = frozenset(w.lower() for w in group)
            for w in words:
                index[w] = index.get(w, frozenset()) | words
    return index


def _group_words(word: str) -> set[str]:
    """A word with the words of its groups in the scenes lexicon (park ~ 公园, grass, bench)."""
    return {word, *_content_index().get(word, ())}


def _mentions(word: str, description: str) -> bool:
    """Whether a shot description mentions a word (English by word start, Chinese anywhere)."""
    if word.isascii():
        return re.search(rf"\b{re.escape(word)}", description) is not None
    return word in description


def shots_by_content(fragment: str, shots: list[dict[str, Any]]) -> list[int]:
    """The shot a fragment describes by what it shows or its type ('the park', 'the one with the
    girl', '花的那个', '航拍', 'the city shot'): the best-scoring shot, or none on a tie."""
    low = fragment.lower()
    words = [w.rstrip("s") if len(w) > 4 else w for w in re.findall(r"[a-z][a-z'-]{2,}", low)]
    words = [w for w in words if w not in REFERENCE_STOP]
    cjk = {w for w in _content_index() if not w.isascii() and w in fragment}
    cjk |= {
        m
        for m in re.findall(r"[\u4e00-\u9fff]{2}", fragment)
        if m not in ("镜头", "那个", "这个", "一个", "画面")
    }
    stype = lexicon.find_shot_type(fragment)
    cast = set(lexicon.characters_in(fragment))  # 'the old man' ~ 老人, across languages
    scores = []
    for shot in shots:
        desc = str(shot.get("description", "")).lower()
        score_cast = 2 * len(cast & set(lexicon.characters_in(str(shot.get("description", "")))))
        score = sum(1 for w in words if any(_mentions(x, desc) for x in _group_words(w)))
        score += sum(1 for w in cjk if any(_mentions(x, desc) for x in _group_words(w)))
        score += 2 * (stype is not None and shot.get("shot_type") == stype) + score_cast
        scores.append(score)
    best = max(scores, default=0)
    if best == 0 or scores.count(best) > 1:
        return []
    return [scores.index(best) + 1]


REWRITE_VERB = (
    r"改成|改为|换成|替换成|变成|重写成?|\bto show\b|\bshould show\b|\binstead\b|\binto\b|\bwith\b|\bto\b"
)
PAIR = r"和|与|跟|同|、|\band\b|\bwith\b|&|\bvs\.?\b"


def _end_shot(fragment: str, count: int) -> list[int]:
    """The first or the last shot, named by its place ('开头', '结尾', 'the opening', 'the end')."""
    if re.search(r"开头|开场|最前|片头|\b(?:opening|first|start|beginning)\b", fragment, flags=re.I):
        return [1]
    if re.search(r"结尾|最后|末尾|片尾|\b(?:last|final|closing|end|ending)\b", fragment, flags=re.I):
        return [count]
    return []


def content_shots(text: str, op: str, shots: list[dict[str, Any]]) -> list[int]:
    """The shots a revision names by what they show or their type, when no number names them:
    the shot to delete or rewrite ('把航拍删掉', 'lose the flowers'), the two to swap ('swap the
    park and the city')."""
    if op == "delete":
        return shots_by_content(text, shots)
    if op == "rewrite":
        head = re.split(REWRITE_VERB, text, maxsplit=1, flags=re.I)[0]
        return shots_by_content(head, shots)
    if op == "swap":
        count = len(shots)
        if count >= 2 and re.search(r"\b(?:last|final) two\b|最后两个|后两个|最后那两个", text, flags=re.I):
            return [count - 1, count]
        if count >= 2 and re.search(r"\bfirst two\b|前两个|头两个", text, flags=re.I):
            return [1, 2]
        parts = re.split(PAIR, text, maxsplit=1, flags=re.I)
        if len(parts) == 2:
            found = [
                _ordinal_shots(p, len(shots)) or shots_by_content(p, shots) or _end_shot(p, len(shots))
                for p in parts
            ]
            pair = [f[0] for f in found if len(f) == 1]
            if len(pair) == 2 and pair[0] != pair[1]:
                return pair
    return []


def referenced_shots(text: str, script: dict[str, Any] | None) -> list[int]:
    """The shots a message names: by number or ordinal, by type, or by what they show."""
    shots = list(script.get("shots", [])) if script else []
    return _ordinal_shots(text, len(shots)) or _typed_shots(text, shots) or _described_shots(text, shots)


def _amount(text: str, default: float = 0.15) -> tuple[float, str]:
    """How much: an explicit percentage, or a small/large step."""
    pct = parse_percent(text)
    if pct is not None:
        return abs(pct), "explicit"
    if _has(LARGE, text):
        return 0.3, "large"
    if _has(SMALL, text):
        return 0.1, "small"
    return default, "default"


def _direction(op: str, text: str) -> int:
    """+1 for more (brighter, warmer, faster, louder), -1 for less, as the words say; +1 when
    they do not say (the direction model may still turn it, see `_directed`)."""
    said = direction(op, text)
    return 1 if said is None else said


POSITIONS = [
    ("top-left", r"左上|top[- ]left|upper left"),
    ("top-right", r"右上|top[- ]right|upper right"),
    ("bottom-left", r"左下|bottom[- ]left|lower left"),
    ("bottom-right", r"右下|bottom[- ]right|lower right"),
    ("top", r"顶部|上方|上面|顶端|\btop\b|upper"),
    ("bottom", r"底部|下方|下面|底端|\bbottom\b|lower"),
    ("center", r"中间|中央|居中|正中|cent(er|re)|middle"),
]


def _overlay_slots(text: str) -> dict[str, Any]:
    """A title card or a text overlay: its text, position and time (shot-relative seconds)."""
    if _has(r"去掉|删除|删掉|不要|取消|remove|delete|clear|\bno (title|text)", text):
        return {"remove": True}
    quoted = re.search(r"[\"“「『《'‘]([^\"”」』》'’]{1,40})[\"”」』》'’]", text) or re.search(
        r"[:：]\s*(.{1,40}?)\s*$", text
    )
    kind = "title" if _has(r"标题|片头|片名|\btitle\b", text) else "text"
    out: dict[str, Any] = {"text": quoted.group(1).strip() if quoted else None, "kind": kind}
    out["position"] = next((k for k, p in POSITIONS if _has(p, text)), "center" if kind == "title" else "top")
    span = re.search(
        r"(\d+(?:\.\d+)?)\s*(?:秒|s)?\s*(?:到|至|-|to)\s*(\d+(?:\.\d+)?)\s*(?:秒|s|seconds?)",
        text,
        flags=re.I,
    )
    first = re.search(
        r"前\s*(\d+(?:\.\d+)?)\s*秒|first\s+(\d+(?:\.\d+)?)\s*s(?:ec(?:ond)?s?)?", text, flags=re.I
    )
    if span:
        out["start"], out["end"] = float(span.group(1)), float(span.group(2))
    elif first:
        out["start"], out["end"] = 0.0, float(first.group(1) or first.group(2))
    elif kind == "title":
        out["start"], out["end"] = 0.0, 3.0
    return out


def aspect_of(text: str) -> str | None:
    """The frame shape a message names, directly or by platform or screen (tools/data/formats.json)."""
    low = text.lower()
    for aspect, words in lexicon.load("formats")["aspects"]:
        if any(w in low for w in words):
            return str(aspect)
    return None


def _create_slots(text: str) -> dict[str, Any]:
    """A new project's slots: its length, mood and frame shape as asked."""
    return {
        "duration": parse_duration_seconds(text),
        "mood": lexicon.detect_mood(text),
        "aspect": aspect_of(text),
    }


def _export_slots(text: str) -> dict[str, Any]:
    """An export's file format and the frame shape asked for."""
    fmt = "gif" if _has(r"gif|动图", text) else "webm" if _has(r"webm", text) else "mp4"
    return {"format": fmt, "aspect": aspect_of(text)}


def _visual_slots(text: str, op: str) -> dict[str, Any]:
    slots: dict[str, Any] = {"operation": op}
    if op == "title":
        slots.update(_overlay_slots(text))
        return slots
    if op in ("brightness", "contrast", "saturation", "temperature", "speed"):
        amount, size = _amount(text)
        slots.update(amount=_direction(op, text) * amount, size=size)
    elif op == "aspect":
        ratio = re.search(r"(?<!\d)(\d{1,2})\s*[:：比]\s*(\d{1,2})(?!\d)", text)
        if ratio and f"{ratio.group(1)}:{ratio.group(2)}" not in ("16:9", "9:16", "1:1"):
            slots["error"] = "bad_format"
            slots["value"] = f"{ratio.group(1)}:{ratio.group(2)}"
        else:
            slots["aspect"] = aspect_of(text) or "16:9"
    elif op == "transition":
        kinds = [
            ("dissolve", r"溶解|叠化|dissolve|crossfade"),
            ("wipe", r"擦除|wipe"),
            ("slide", r"滑动|slide"),
            ("cut", r"硬切|直接切|\bcut\b|no transition"),
            ("fade", r"淡入|淡出|fade"),
        ]
        slots["transition"] = next((k for k, p in kinds if _has(p, text)), "fade")
    elif op == "look":
        looks = [
            ("bw", r"黑白|black[- ]and[- ]white|b&w"),
            ("vintage", r"复古|胶片|vintage|sepia|film"),
            ("cinematic", r"电影感|cinematic"),
            ("soft", r"柔和|soft"),
        ]
        slots["look"] = next((k for k, p in looks if _has(p, text)), "soft")
    elif op == "resolution":
        for res in ("720p", "1080p", "2160p"):
            if res in text.lower():
                slots["resolution"] = res
        if _has(r"(?<![\da-z])4k(?![a-z])", text):
            slots["resolution"] = "2160p"
        other = re.search(r"(?<![\da-z])(\d{3,4}p|[2-9]k)(?![a-z])", text, flags=re.I)
        if other and other.group(1).lower() not in ("720p", "1080p", "2160p", "4k"):
            slots["error"] = "bad_format"
            slots["value"] = other.group(1)
        m = re.search(r"(\d+)\s*(?:fps|帧)", text, flags=re.I)
        if m:
            slots["fps"] = int(m.group(1))
    elif op == "subtitles":
        if _has(r"大一|大点|放大|更大|bigger|larger|increase", text):
            slots["scale"] = 1.25
        elif _has(r"小一|小点|缩小|更小|smaller|decrease", text):
            slots["scale"] = 0.8
        else:
            slots["enabled"] = not _has(
                r"关掉|关闭|去掉|不要|隐藏|off|remove|hide|disable|no subtitles", text
            )
    return slots


def _instrument(text: str) -> str | None:
    low = text.lower()
    for name, words in lexicon.load("music")["instrument_words"].items():
        if any(w in low for w in words):
            return str(name)
    return None


def _effect_names(text: str) -> list[str]:
    low = text.lower()
    table = {
        "birdsong": ["鸟叫", "鸟鸣", "鸟声", "birdsong", "bird song", "birds", "chirp"],
        "wind": ["风声", "wind"],
        "rain": ["雨声", "rain"],
        "waves": ["海浪", "浪声", "waves", "surf"],
        "city": ["城市声", "车声", "traffic", "city"],
        "footsteps": ["脚步", "footstep", "steps"],
        "drops": ["水滴", "滴水", "drops", "drip"],
        "wings": ["翅膀", "扑翅", "wings", "flapping"],
    }
    return [name for name, words in table.items() if any(w in low for w in words)]


def _audio_slots(text: str, op: str) -> dict[str, Any]:
    slots: dict[str, Any] = {"operation": op}
    if op == "music":
        if _has(
            r"关掉|关闭|去掉|不要(背景)?音乐|静音|no music|music off|remove the music|mute the music|turn off",
            text,
        ):
            slots["operation"] = "music_off"
        elif _has(
            r"大声|小声|音量|调(低|高|小|大)|声音.{0,3}(小|大|低|高|轻|响)|(弄|开|放|搞)(小|大|轻)"
            r"|louder|quieter|volume|turn (it |the music )?(up|down)|lower|softer",
            text,
        ):
            slots["operation"] = "volume"
            slots.update(_volume(text))
        else:
            slots.update(mood=lexicon.detect_mood(text), instrument=_instrument(text))
            if _has(r"节奏快|快一点的|更快|faster|upbeat|more tempo|speed up", text):
                slots["tempo"] = 1.2
            elif _has(r"节奏慢|慢一点的|更慢|slower|calmer tempo|slow down", text):
                slots["tempo"] = 0.85
            if _has(
                r"这首|这个文件|我的(歌|音乐)|上传|this (song|track|file)|my (own )?(song|music|track)", text
            ):
                slots["upload"] = True
    elif op == "volume":
        slots.update(_volume(text))
        slots["target"] = volume_target(text)
    elif op == "narration":
        if _has(
            r"不要旁白|去掉旁白|删掉旁白|删除旁白|没有旁白|no narration|remove the narration|without narration|mute the narration",
            text,
        ):
            slots["text"] = ""
            return slots
        named = (
            re.search(r"(?:换成|改成|用)\s*(.{1,20}?)的?(?:声音|嗓音)", text)
            or re.search(r"voice of\s+([\w .'-]{2,30}?)\s*$", text, flags=re.I)
            or re.search(
                r"(?:use|switch to|sound like)\s+(?!a |an |the )([\w .'-]{2,30}?)(?:'s)?\s+voice",
                text,
                flags=re.I,
            )
        )
        said = re.search(
            r"(?:旁白|配音|解说)(?:改成|换成|改为|写成)[：:\s]*[\"“「]?(.+?)[\"”」]?\s*$", text
        ) or re.search(
            r"narration(?: of (?:shot|scene) \d+| for (?:shot|scene) \d+)? (?:to|say|says|read|reads)[:\s]+[\"“']?(.+?)[\"”']?\s*$",
            text,
            flags=re.I,
        )
        if _has(r"女声|女的|女性|女生|\bfemale\b|\bwom[ae]n\b|\bwom[ae]n's\b|\bgirl|\blady", text):
            slots["voice"] = "female"
        elif _has(r"男声|男的|男性|男生|\bmale\b|(?<!wo)\bman\b|(?<!wo)\bmen\b|\bguy\b", text):
            slots["voice"] = "male"
        elif named:
            slots["error"] = "unknown_voice"
            slots["name"] = named.group(1).strip()
            return slots
        elif said:
            slots["text"] = said.group(1).strip()
            return slots
        if _has(r"慢一|慢点|说慢|slower|speak slow|slow(er)? down", text):
            slots["rate"] = -0.15
        elif _has(r"快一|快点|说快|faster|speed up", text):
            slots["rate"] = 0.15
        elif direction("volume", text) is not None:  # "narration louder", "can't hear the voiceover"
            return {**slots, "operation": "volume", **_volume(text), "target": "narration"}
    elif op == "effects":
        slots["enabled"] = not _has(r"关掉|关闭|去掉|删掉|不要|\boff\b|remove|\bno\b|without|mute", text)
        slots["effects"] = _effect_names(text)
    return slots


def _volume(text: str) -> dict[str, Any]:
    """A volume change; an explicit percentage below -100% or above +300% is impossible."""
    pct = parse_percent(text)
    if pct is not None and (pct < -1.0 or pct > 3.0):
        return {"error": "bad_volume", "value": f"{pct * 100:+.0f}%"}
    amount, size = _amount(text, 0.25)
    if pct is not None and pct < 0:  # "-20%" is already a direction
        return {"amount": pct, "size": size}
    return {"amount": _direction("volume", text) * amount, "size": size}


def _revise_slots(text: str, shots: list[int], script: dict[str, Any] | None = None) -> dict[str, Any]:
    slots: dict[str, Any] = {"shots": shots}
    from tools.placement import moved_shot, place_of  # placement reads shot references from this module

    element = element_request(text)
    subject = subject_request(text, script) if script and not shots else None  # type: ignore[arg-type]

    adds = _has(
        r"加|添|插入|补|\badd\b|\binsert\b|\bappend\b|\btack on\b|\bwe need\b|多一个",
        text,
    )
    shot_noun = (
        r"(?:镜头|画面|片段)(?![里中上])|\b(?:a|an|another|one|new)\s+(?:[\w-]+\s+){0,2}(?:shot|scene|clip)\b"
    )
    adds_shot = (adds or _has(r"\bend (?:it |the video )?with\b", text)) and _has(shot_noun, text)
    # a new thing put at a place ('add a kid on a swing between shot 1 and 2', '在结尾加一个…') is a shot
    wants = _has(r"\bi want\b|\bi'?d like\b|\bwe need\b|想要|来个|来一个|来段|来一段|再来|放一个", text)
    place = place_of(text, len(script.get("shots", [])), script) if script and (adds or wants) else None
    if place is not None and (adds or place.relation in ("before", "after", "position")):
        adds_shot = not _has(
            r"\b(?:come|comes|go|goes|be|move)\b", text
        )  # 'I'd like the city to come after the park' moves
    new_shot = _has(NEW_SHOT, text) and not _has(r"改成|改为|换成|变成|\binstead\b|\breplace\b", text)
    no_new_shot = _has(
        r"(?:don'?t|do not|no need to|without)\s+(?:make|add|create|making|adding)?\s*(?:a\s+)?(?:new|extra|another)\s+(?:shot|scene)"
        r"|(?:别|不要|不用|无需|不必)(?:新增|新加|加|多加|新建|另加)(?:一个|个)?(?:新)?镜头",
        text,
    )
    if no_new_shot:  # 'put a little robot somewhere, don't make a new shot for it': into the shots there are
        new_shot = adds_shot = False
    moves = (
        bool(script)
        and not adds
        and _has(
            r"\b(?:come|comes|go|goes|be|move|moved|put|place|shift|appear|play|plays)\b\s+(?:\w+\s+)?(?:at|to|first|last|before|after|right)\b"
            r"|放到|移到|挪到|调到|放在|提前到|挪去|放去|搬到",
            text,
        )
    )
    if moves and not new_shot:
        moves = moved_shot(text, script) is not None  # type: ignore[arg-type]
    slots["by_words"] = bool(
        moves or new_shot or adds_shot
    )  # the words alone said it: the model does not override
    if subject is not None and not new_shot:
        old, new = subject
        slots.update(operation="subject", old=old, content=new)
    elif _has(r"交换|调换|对调|互换|换一下|换个位置|换位置|换下位置|\bswap\b|\bswitch\b|exchange", text):
        slots["operation"] = "swap"
    elif _has(r"删|去掉|移除|拿掉|不要|别要|\bremove\b|\bdelete\b|\bdrop\b|cut out", text) and not _has(
        r"改成|改为|换成|变成|拍|[，,]\s*(?:要|来|换|改|整|给我)", text
    ):
        slots["operation"] = "delete"
    elif new_shot or adds_shot:
        slots["operation"] = "insert"
    elif (
        moves
        or (
            _has(
                r"移到|挪到|放到|\bmove\b|\b(?:push|nudge|bump|shift)\b|\bput\b.*\b(first|last|start|end|beginning|before|after)\b",
                text,
            )
            and element is None
        )
        or (
            shots
            and _has(
                r"[放挪移](?:在|去)?(?:最后|最前|开头|结尾|前面|后面)|\b(?:to|at) the (?:very )?(?:end|start|beginning|front)\b",
                text,
            )
            and not _has(r"加|添|插|\badd\b|\binsert\b", text)
        )
    ):
        slots["operation"] = "move"
    elif shots and _has(NEW_CONTENT, text):
        slots["operation"] = "rewrite"  # a named shot given new content
    elif ending_request(text) is not None and not adds_shot:
        slots["operation"] = "ending"
    elif element is not None and not adds_shot:
        slots["operation"] = "add_element"
        slots["shots"] = shots or _element_shots(text, element[0], script)
    elif _has(r"加|添加|增加|插入|补|\badd\b|\binsert\b", text):
        slots["operation"] = "insert"
    elif _has(r"改成|改为|换成|重写|\brewrite\b|\breplace\b|change .* to|should show|instead", text):
        slots["operation"] = "rewrite"
    else:
        slots["operation"] = "unspecified"
    return slots


NEW_SHOT = (
    r"\b(?:a|an|another|one more)\s+(?:new\s+|final\s+|closing\s+|opening\s+|extra\s+|\w+\s+)?(?:shot|scene|clip|close-?up|closeup|cutaway)\b(?!\s*\d)"
    r"|\bas (?:the|a|its own)\s+(?:(?:first|last|opening|closing|final|new|second|third)\s+)?(?:shot|scene)\b"
    r"|新镜头|新的镜头|(?:加|插|补|多|添)(?:一|个|一个|上一个)?(?:镜头|画面|分镜)(?![里中上])"
)
"""Words that ask for a new shot ('add a close-up of …', '片头想多一个镜头')."""
NEW_CONTENT = (
    r"改成|改为|换成|变成|搞成|弄成|整成|换个|换一个|来个|来一个|整个|整一个|→|->|=>|"
    r"\binstead\b|\brather than\b|\breplace\b|\btrade\b|\bgive me\b|\bbe of\b|\bchange\b.*\b(?:to|into)\b"
)
"""Words that give a named shot new content ('公园那段换个海边', 'trade the park for a beach')."""
CONTENT_NOT = (
    r"音乐|配乐|背景乐|bgm|music|song|歌|颜色|色调|色温|\bcolou?r|temperature|亮度|调亮|调暗|太亮|太暗|变亮|变暗|"
    r"brighter|darker|字幕|subtitle|caption|voice|声音|旁白|配音|narrat|volume|音量|滤镜|filter|黑白|竖屏|横屏|导出|export|"
    r"black and white|black-and-white|b&w|sepia|vintage look|slow[- ]?mo|speed|faster|slower|louder|quieter|vertical|square|"
    r"\d+\s*(?:s|sec|seconds?|秒)\b|秒|速度|加速|减速|慢放|快放|转场|transition|fade|wipe|dissolve|"
    r"文字|标题|\btext\b|\btitle\b|logo|水印|watermark|贴纸|sticker"
)
"""Words of the edits: a message with them is not read as a content revision."""
SAME_PROJECT = (
    r"\bsame (?:video|project|one|clip)\b|\bthis (?:video|project|clip) instead\b|\bkeep (?:the|this) (?:video|project)\b|"
    r"\bnot a new (?:one|video|project)\b|\bdon'?t (?:start|make) a new\b|别新建|不要新建|不用新建|不新建|别重新建|"
    r"还是这个(?:片子|视频|项目)|就在这个(?:片子|视频|项目)|同一个(?:片子|视频|项目)"
)
"""Words that keep a new topic in this project ('same video', '别新建')."""
CONTENT_REVISIONS = {"ending", "add_element", "subject", "tone"}
"""Revisions read from the words alone (tools/retell.py): the operation model does not name them."""


def _rewrite_slots(text: str, shots: list[int], script: dict[str, Any] | None) -> dict[str, Any]:
    """A rewrite ('改成', 'replace'), or the content revision it is ('把小女孩换成老奶奶' is the subject)."""
    slots = _revise_slots(text, shots, script)
    if slots["operation"] not in CONTENT_REVISIONS:
        slots["operation"] = "rewrite"
    return slots


def rules(text: str, script: dict[str, Any] | None = None) -> Analysis:
    """The high-precision pattern reading of a message against the project's script: one
    feature of the trained classifier, and the source of the slots when they agree."""
    raw = text or ""
    msg = raw.strip()
    if not msg:
        return Analysis("unclear", 1.0, {"error": "empty"})
    if len(msg) > MAX_MESSAGE:
        return Analysis("unclear", 1.0, {"error": "too_long", "limit": MAX_MESSAGE, "length": len(msg)})
    shots = list(script.get("shots", [])) if script else []
    versions = parse_versions(msg)

    for intent, pattern, conf in VERSION_RULES:
        if _has(pattern, msg):
            if (
                intent == "compare"
                and not versions
                and not _has(r"版本|version|v\d|之前|上一|previous|last", msg)
            ):
                continue
            slots: dict[str, Any] = {"versions": versions}
            if intent == "restore" and not versions:
                continue
            return Analysis(intent, conf, slots)
    if _has(HELP, msg):
        return Analysis("help", 0.9)
    if _has(EXPORT, msg) and not _has(CREATE, msg):
        return Analysis("export", 0.9, _export_slots(msg))

    referenced = _ordinal_shots(msg, len(shots)) or _typed_shots(msg, shots) or _described_shots(msg, shots)
    duration = parse_duration_seconds(msg)
    visual = {k for k, p in EDIT_VISUAL.items() if _has(p, msg)}
    audio = any(_has(p, msg) for p in EDIT_AUDIO.values())
    edit_words = bool(visual - {"resolution"}) or audio
    fresh = _has(r"新的|另一个|再做一个|重新做|关于|主题|new video|another|about|theme", msg)
    if script and _has(RERENDER, msg) and not fresh and not edit_words and not referenced:
        return Analysis("generate", 0.85, {"again": True})
    if _has(CREATE, msg) and not (referenced and script) and not (script and edit_words and not fresh):
        return Analysis("create", 0.9, _create_slots(msg))

    edits_named = bool(visual - {"resolution", "image"}) or audio  # '画面' alone is no edit
    if script and duration is None and not _has(CONTENT_NOT, msg) and not edits_named:
        content = _revise_slots(msg, referenced, script)
        if content["operation"] in CONTENT_REVISIONS:  # a stronger ending, an element, a new subject
            return Analysis("revise_script", 0.85, content)
        if content["operation"] in ("rewrite", "move", "swap", "insert") and (
            referenced or content.get("shots") or content.get("by_words")
        ):
            return Analysis("revise_script", 0.85, content)  # 'shot 3 pls change to an old man …
    if (
        script
        and _has(REWRITE, msg)
        and not _has(r"标题|字幕|旁白|配音|解说|台词|\btitle\b|subtitle|caption|narrat|voice", msg)
        and parse_duration_seconds(msg) is None  # "第1个镜头改为10秒" is a length
    ):
        return Analysis("revise_script", 0.9, _rewrite_slots(msg, referenced, script))
    if (
        _has(EDIT_VISUAL["title"], msg)
        and not _has(EDIT_VISUAL["subtitles"], msg)
        and not _has(NEW_SHOT, msg)  # '片头想多一个镜头：…' is a shot
    ):
        return Analysis("edit_visual", 0.85, {"shots": referenced, **_visual_slots(msg, "title")})
    if _has(NARRATION_OFF, msg):
        return Analysis("edit_audio", 0.9, {"shots": referenced, "operation": "narration", "text": ""})
    for op, pattern in EDIT_AUDIO.items():
        if _has(pattern, msg):
            return Analysis("edit_audio", 0.85, {"shots": referenced, **_audio_slots(msg, op)})
    if (
        _has(DURATION, msg)
        and (duration is not None or _has(r"调整时长|改时长|change the (length|duration)", msg))
        and not _has(r"速度|太快|太慢|speed|too fast|too slow", msg)
    ):
        slots = {"shots": referenced, "duration": duration}
        rel = re.search(
            rf"({NUM})\s*(?:秒|seconds?|secs?)\s*(shorter|longer)|(缩短|减少|延长|增加|加长)\s*({NUM})\s*秒",
            msg,
            flags=re.I,
        )
        if rel and referenced and duration is not None:
            shorter = _has(r"shorter|缩短|减少", rel.group(0))
            slots["delta"] = -duration if shorter else duration
            slots.pop("duration")
        return Analysis("set_duration", 0.85, slots)
    for op, pattern in EDIT_VISUAL.items():
        if _has(pattern, msg):
            if op == "title" and _has(REVISE, msg) and (referenced or _has(NEW_SHOT, msg)):
                continue
            return Analysis("edit_visual", 0.85, {"shots": referenced, **_visual_slots(msg, op)})
    if _has(REVISE, msg) and not referenced and shots:
        # '花那个不要了'; 'switch the flowers with the city'
        referenced = shots_by_content(msg, shots) or content_shots(msg, "swap", shots)
    if _has(REVISE, msg) and (
        _has(SHOT_WORD, msg) or referenced or _has(r"剧情|故事|太突然|story|plot|abrupt|sudden", msg)
    ):
        return Analysis("revise_script", 0.85, _revise_slots(msg, referenced, script))
    if _has(REVIEW, msg):
        return Analysis("review", 0.85)
    if _has(GENERATE, msg):
        return Analysis("generate", 0.9)
    if _has(r"调整时长|改变?时长|change (the )?(duration|length)", msg):
        return Analysis("set_duration", 0.7, {"shots": referenced, "duration": None})
    return Analysis("unclear", 0.2, {"reason": "no_pattern"})


# A stand-in project for reading corpus messages at state script/rendered while training
# (at run time the project's own script is used).
SAMPLE_SCRIPT: dict[str, Any] = {
    "shots": [
        {"shot_type": "wide", "description": "a park in the morning light"},
        {"shot_type": "close-up", "description": "flowers opening"},
        {"shot_type": "medium", "description": "a girl walking with a dog"},
        {"shot_type": "aerial", "description": "the city from above"},
    ]
}


def rule_features(text: str, state: str, previous: str | None = None) -> tuple[str, ...]:
    """The intent model's extra features of a corpus message: the pattern reading against the
    sample project (none when the state is empty), and the last intent."""
    reading = rules(text, SAMPLE_SCRIPT if state != "empty" else None)
    return classifier.intent_extra(reading.intent, reading.slots.get("operation"), previous)


def operation_of(text: str, state: str, intent: str) -> tuple[str, float]:
    """The operation model's reading of an edit or a revision, and its probability."""
    return classifier.load("operation").ranked(classifier.operation_features(text, state, intent))[0]


# The operations the classifier names, as the slot builders above know them.
AUDIO_OPS = {
    "music": "music",
    "music_off": "music",
    "volume": "volume",
    "voice": "narration",
    "voice_rate": "narration",
    "narration_text": "narration",
    "narration_off": "narration",
    "effects": "effects",
}
REVISIONS = {"insert", "delete", "swap", "move", "rewrite"}
OPERATED = ("edit_visual", "edit_audio", "revise_script")
"""The intents whose operation the operation model reads."""
EXPENSIVE = {"generate": 0.7, "restore": 0.7, "create": 0.75}
"""Actions that cost a render or replace the project, and the confidence they need."""


def _edit_slots(intent: str, op: str, text: str, shots: list[int]) -> dict[str, Any]:
    """The slots of an edit whose operation the classifier chose."""
    if intent == "edit_visual":
        base = "resolution" if op == "fps" else op
        return {"shots": shots, **_visual_slots(text, base)}
    slots = {"shots": shots, **_audio_slots(text, AUDIO_OPS.get(op, "music"))}
    if op == "music_off":
        slots = {"shots": shots, "operation": "music_off"}
    elif op == "narration_off":
        slots = {"shots": shots, "operation": "narration", "text": ""}
    elif op == "volume":
        slots.setdefault("target", volume_target(text))
    return slots


def _model_revision(
    slots: dict[str, Any], op: str, text: str, script: dict[str, Any] | None
) -> dict[str, Any]:
    """The slots of a revision whose kind the operation model chose: a tone's style, and where
    an element goes (what it is, the ending's content and the new subject are read when applied)."""
    if slots.get("operation") == "rewrite" and op in CONTENT_REVISIONS | {"delete", "insert"}:
        return slots  # a named shot with new content: the words said which shot and what it shows
    if slots.get("by_words") and slots.get("operation") in ("insert", "move"):
        return slots  # a shot put at a place the words name
    if (
        op in ("subject", "ending")
        and style_of(text)
        and not (
            subject_request(text, script) if script and op == "subject" else ending_request(text)  # type: ignore[arg-type]
        )
    ):
        op = "tone"  # 'I'd love a cyberpunk vibe: …': a style named, nothing else read
    slots = {**slots, "operation": op}
    if op == "tone":
        slots["style"] = style_of(text)
    if op == "add_element" and script and not slots.get("shots"):
        said = element_request(text)
        slots["shots"] = _element_shots(text, said[0] if said else "", script)
    return slots


def _element_shots(text: str, element: str, script: dict[str, Any] | None) -> list[int]:
    """The shot an added element goes to, named by the words around it ('put a cat in the park shot')."""
    around = text.replace(element, " ") if element else text
    return shots_by_content(around, list(script.get("shots", []))) if script else []


def slots_for(intent: str, text: str, script: dict[str, Any] | None, op: str | None) -> dict[str, Any]:
    """The slots of a message for an intent the classifier chose (the pattern reading had
    another), from the same slot builders."""
    shots = referenced_shots(text, script)
    if intent == "create":
        return _create_slots(text)
    if intent == "set_duration":
        return {"shots": shots, "duration": parse_duration_seconds(text)}
    if intent in ("undo", "redo", "restore", "history", "compare"):
        return {"versions": parse_versions(text)}
    if intent == "export":
        return _export_slots(text)
    if intent == "revise_script":
        slots = _revise_slots(text, shots, script)
        if op in REVISIONS | CONTENT_REVISIONS and slots["operation"] not in CONTENT_REVISIONS:
            slots = _model_revision(slots, str(op), text, script)
        return slots
    if intent in ("edit_visual", "edit_audio") and op:
        return _edit_slots(intent, op, text, shots)
    if intent == "generate" and script and _has(RERENDER, text):
        return {"again": True}
    return {}


SMALL_TALK = (
    r"^\s*(hi|hello|hey|thanks?( you)?|thx|ty|ok(ay)?|cool|nice|lol|haha+|great|good|bye|"
    r"你好|您好|嗨|哈+|谢谢|多谢|好的?|嗯+|哦+|拜拜|再见|👍|😂|😊)[\s!！.。~～?？]*$"
)


def _commanded(intent: str, text: str, script: dict[str, Any] | None, state: str) -> Analysis:
    """An exact command (`/generate`, `/edit_visual make it brighter`): the intent as named, the
    slots read from the rest of the words."""
    reading = rules(text, script) if text else Analysis("unclear", 0.0)
    if reading.intent == intent:
        return Analysis(intent, 1.0, {**reading.slots, "command": True})
    op = operation_of(text, state, intent)[0] if intent in OPERATED and text else None
    slots = slots_for(intent, text, script, op)
    if intent == "revise_script" and reading.intent == "create" and script:
        # "change this one" to the question a new topic asks: this project, about that topic
        topic = read_request(text, detect_language(text)).topic
        slots = {"shots": [], "operation": "subject", "topic": topic} if topic else slots
    return Analysis(intent, 1.0, {**slots, "command": True})


VERSION_INTENTS = {"undo", "redo", "restore", "history", "compare", "export"}
NEEDS_PROJECT = {"revise_script", "set_duration", "generate", "edit_visual", "edit_audio", "review"}
GRADED = {"brightness", "contrast", "saturation", "temperature", "speed", "volume"}


def _directed(slots: dict[str, Any], text: str, state: str) -> dict[str, Any]:
    """The sign of a graded change from the direction model when it is sure and the patterns
    read the other way ("不要太冷冰冰" is warmer, "can't hear the voiceover" is louder)."""
    op, amount = slots.get("operation"), slots.get("amount")
    if op not in GRADED or not isinstance(amount, (int, float)) or slots.get("size") == "explicit":
        return slots
    if direction(str(op), text) is not None:  # the words said which way
        return slots
    (way, p), *_ = classifier.load("direction").ranked(classifier.direction_features(text, state, str(op)))
    if p >= 0.75 and way in ("up", "down") and (amount > 0) != (way == "up"):
        return {**slots, "amount": -amount, "direction_model": round(p, 2)}
    return slots


def _op_disagrees(intent: str, reading: Analysis, text: str, state: str) -> bool:
    """Whether the operation model is sure of another edit than the patterns read ("把旁白去掉，
    只留音乐" is the narration off, not the music)."""
    if intent not in OPERATED or reading.slots.get("error"):
        return False
    op, p = operation_of(text, state, intent)
    said = reading.slots.get("operation")
    if intent == "revise_script" and said in CONTENT_REVISIONS:
        return False
    if intent == "revise_script":
        return said != op and (said == "unspecified" or p >= 0.8)
    same = said == op or AUDIO_OPS.get(op) == said or (op == "fps" and said == "resolution")
    if op == "narration_off" and said == "narration":
        same = reading.slots.get("text") == ""
    if op in ("volume", "music_off") and said == "music":
        same = False
    slots = reading.slots
    empty_music = said == "music" and not any(slots.get(k) for k in ("mood", "instrument", "tempo", "upload"))
    empty_voice = said == "narration" and not any(k in slots for k in ("voice", "rate", "text", "name"))
    return not same and p >= (0.5 if empty_music or empty_voice else 0.8)


def analyse(
    text: str, script: dict[str, Any] | None = None, state: str | None = None, previous: str | None = None
) -> Analysis:
    """The intent of a message in its context (the project's script and state) by the trained
    classifier, its slots, the runner-up reading, and a calibrated confidence."""
    reading = _analyse(text, script, state, previous)
    reading.slots.pop("by_words", None)  # how the words were read, not a slot
    return reading


def _analyse(
    text: str, script: dict[str, Any] | None = None, state: str | None = None, previous: str | None = None
) -> Analysis:
    """The reading before its bookkeeping is taken off."""
    msg = (text or "").strip()
    if not msg:
        return Analysis("unclear", 1.0, {"error": "empty"})
    if len(msg) > MAX_MESSAGE:
        return Analysis("unclear", 1.0, {"error": "too_long", "limit": MAX_MESSAGE, "length": len(msg)})
    state = state or ("script" if script else "empty")
    command = re.match(r"^/([a-z_]+)\s*(.*)$", msg, flags=re.S)
    if command and command.group(1) in INTENTS:  # an exact command (the buttons of a question)
        return _commanded(command.group(1), command.group(2).strip(), script, state)
    new_video = _has(CREATE, msg) and _has(r"关于|讲|\babout\b|\bnew\b|\banother\b|新的|另一个", msg)
    beat = beat_request(msg) if script and not new_video else None  # not 'make a music video about…'
    if beat:  # a precise family the trained models were not given: the words decide
        return Analysis("edit_audio", 0.9, {"shots": [], "operation": "beat_cut", "mode": beat})
    reading = rules(msg, script)
    extra = classifier.intent_extra(reading.intent, reading.slots.get("operation"), previous)
    ranked = classifier.load("intent").ranked(classifier.features(msg, state, extra))
    intent, p = ranked[0]
    if reading.slots.get("error") and reading.intent in (ranked[0][0], ranked[1][0]):
        # the patterns found what is wrong with a request they read ("21:9", "+500%"): say so
        intent, p = reading.intent, max(p, dict(ranked)[reading.intent], CONFIDENCE_THRESHOLD)
    if intent == reading.intent and not _op_disagrees(intent, reading, msg, state):
        slots = dict(reading.slots)
    else:
        op = operation_of(msg, state, intent)[0] if intent in OPERATED else None
        slots = slots_for(intent, msg, script, op)
    slots = _directed(slots, msg, state)
    named = slots.get("shots") or []
    swap_pair = slots.get("operation") == "swap" and len(named) != 2
    if intent == "revise_script" and script and (not named or swap_pair):
        found = content_shots(msg, str(slots.get("operation")), list(script.get("shots", [])))
        slots["shots"] = found or named
    slots["alternative"] = ranked[1][0]
    if intent in ("undo", "redo"):
        slots["count"] = steps_of(msg)
    if (
        intent == "set_duration"
        and slots.get("delta") is None
        and (delta := relative_seconds(msg)) is not None
    ):
        slots.pop("duration", None)
        slots["delta"] = delta
    if intent == "set_duration" and slots.get("duration") is None and slots.get("delta") is None:
        slots["scale"] = length_scale(msg)
    if intent == "create" and script and _has(SAME_PROJECT, msg) and not _has(NEW_PROJECT, msg):
        asked = subject_request(msg, script)  # type: ignore[arg-type]
        if asked:  # 'make it about X instead, same video', '改成讲冬天，别新建': this project, about X
            was, becomes = asked
            topic = (
                {"topic": becomes.removeprefix("topic:")}
                if becomes.startswith("topic:")
                else {"old": was, "content": becomes}
            )
            return Analysis("revise_script", max(p, 0.8), {"shots": [], "operation": "subject", **topic})
    if intent == "create" and _has(NEW_PROJECT, msg):  # said outright: not a weak reading
        p = max(p, 0.9)
        slots["new_project"] = True
    if state == "empty" and intent in NEEDS_PROJECT | VERSION_INTENTS:
        # no project: a reading that needs one is a new project when that is the runner-up
        # ("重新生成视频"); else it stands, and the router says there is no script yet
        if slots["alternative"] == "create":
            return Analysis("create", max(p, CONFIDENCE_THRESHOLD), slots_for("create", msg, None, None))
        return Analysis(intent, 1.0, slots)
    tone = _tone_change(msg, state, intent, p)
    if tone:
        return tone
    if (
        reading.intent == "revise_script"
        and reading.slots.get("operation") in CONTENT_REVISIONS
        and (intent == "revise_script" or p < 0.6 or _no_sound(intent, slots))
    ):  # the words name a content revision, and the classifier agrees or has no sure reading against it
        alternative = intent if intent != "revise_script" else slots["alternative"]
        return Analysis("revise_script", max(p, 0.7), {**reading.slots, "alternative": alternative})
    if intent == "unclear" and _has(SMALL_TALK, msg):
        slots["small_talk"] = True
    return Analysis(intent, p, slots)


def _no_sound(intent: str, slots: dict[str, Any]) -> bool:
    """An effects edit that names no sound ('add some falling snowflakes in the background' is
    something to see, not to hear)."""
    if intent != "edit_audio":
        return False
    if slots.get("operation") == "effects":
        return not slots.get("effects")
    said = ("mood", "instrument", "tempo", "upload", "volume", "amount")
    return slots.get("operation") == "music" and not any(slots.get(k) for k in said)


TONE_NOT = r"音乐|配乐|背景乐|bgm|music|song|歌|颜色|色调|色温|画面|color|colour|temperature|light|亮|暗|字幕|subtitle|voice|声音|旁白|narrat"


def _tone_change(msg: str, state: str, intent: str, p: float) -> Analysis | None:
    """'Make it funnier', '更煽情一点', 'make it more romantic': a change of the project's style
    (its music and closing line follow; the shots stay), when the classifier has no sure
    reading of its own and the words name a style and nothing the edits already change."""
    if (
        state == "empty"
        or len(msg) > 120
        or _has(TONE_NOT, msg)
        or _has(ENDING, msg)  # '结尾来个更震撼的': the ending rewritten, not the style
        or (intent not in ("unclear", "generate") and p >= 0.6)
    ):
        return None
    style = style_of(msg)
    if not style or not _has(
        r"\bmake it\b|\bturn it into\b|\bmore\b|\bless\b|\bstyle\b|\btone\b|\bmood\b|\bvibe\b|\bfeel\b|\blike an?\b|er\b|"
        r"更|再|一点|一些|些|风格|感觉|调性|氛围|味道|调调|那种|基调|调子|气氛|\bvibes?\b",
        msg,
    ):
        return None
    return Analysis("revise_script", 0.8, {"operation": "tone", "style": style, "shots": []})


_COMPLAINT_BEFORE = r"(太|过于|过|有点儿?|有些|好|很|挺|真|超|特别|too|so|very|really|kind of|kinda|a bit too|overly|way too)\s*$"
_COMPLAINT_AFTER = r"^\s*(了|得很|得不行|死了)"
_NEGATED_BEFORE = r"(不要太?|别太?|别那么|不要那么|没那么|不那么|not so|not too|not as|less|not that)\s*$"
_NOT_ENOUGH = r"(不够|不太)\s*$"
_WISH_BEFORE = (
    r"(更|再|调|变|弄|搞|调得|make it|make them|more|a bit|a little|slightly|much|turn (it |the \w+ )?)\s*$"
)
_STATEMENT_BEFORE = (
    r"(it'?s|is|are|looks?|feels?|seems?|sounds?|画面|有点)\s*(a bit |a little |kind of |kinda )?$"
)


def direction(op: str, text: str) -> int | None:
    """+1 (more) or -1 (less) of a graded property as the message asks, read from its words
    (tools/data/directions.json): a wish for an end, a complaint about one (the other end),
    a negation or "not enough"; None when no word of the property is there."""
    table = lexicon.load("directions").get(op)
    if not table:
        return None
    low = text.lower()
    found: list[tuple[int, int, str, bool]] = []  # position, -length, end, fault
    for end in ("up", "down"):
        for kind in ("faults", "words"):
            for word in table[end][kind]:
                for m in re.finditer(re.escape(word), low):
                    found.append((m.start(), -len(word), end, kind == "faults"))
    if not found:
        return None
    start, minus_len, end, fault = sorted(found)[0]
    word = low[start : start - minus_len]
    before, after = low[max(0, start - 12) : start], low[start - minus_len :]
    own = 1 if end == "up" else -1
    if re.search(_NOT_ENOUGH, before) or (re.match(r"\s*enough", after) and re.search(r"not\s*$", before)):
        return own  # 不够亮, not bright enough
    if fault or re.search(_NEGATED_BEFORE, before) or re.search(_COMPLAINT_BEFORE, before):
        return -own  # 太暗, too loud, 不要太冷, 吵
    if re.search(_STATEMENT_BEFORE, before) and not re.search(r"[a-z]er$", word):
        return -own  # it's dark, feels a bit cold
    if re.search(r"for no reason|没必要|莫名其妙|为什么这么|why is it so", low):
        return -own
    if re.search(r"[a-z]er$", word) or re.search(_WISH_BEFORE, before):
        return own  # darker, 调低, 再暖一点, make it warm
    if re.match(r"\s*(一点|一些|些|点)", after):
        return own
    if re.match(_COMPLAINT_AFTER, after):
        return -own  # 暗了
    return own


def steps_of(text: str) -> int:
    """How many steps an undo or redo asks for: "undo the last two changes", "撤销两步" (1
    unless a number of changes or steps is said; at most 10)."""
    m = re.search(
        rf"({NUM})\s*(?:个|次|步|下)?\s*(?:改动|修改|操作|步|次|changes?|steps?|edits?|times|versions?)",
        text.lower(),
    )
    n = to_number(m.group(1)) if m else None
    return int(min(10, max(1, n))) if n else 1


SECOND = re.compile(
    r"\s*(?:[,，;；.。]\s*)?(?:然后|并且|同时|顺便|再把|之后再|and then|, then|and also|also)\s*"
    r"|\s+and\s+(?=(?:add|remove|make|change|put|turn|swap|move|delete|drop|insert|export|undo|use|set)\b)",
    flags=re.I,
)


def split_requests(text: str) -> tuple[str, str] | None:
    """A message that asks two things ("drop the last shot and add a closing shot of the sea",
    "把音乐调低，然后加上字幕") as its first request and the rest, or None."""
    parts = SECOND.split(text, maxsplit=1)
    if len(parts) == 2 and len(parts[0].strip()) >= 3 and len(parts[1].strip()) >= 3:
        return parts[0].strip(), parts[1].strip()
    return None


SAME = (
    r"^\s*(and\s+|also\s+|now\s+)?(do\s+)?(the\s+)?same\s+(thing\s+)?(for|to|with|on)\b|^\s*(same|ditto)\s+for\b"
    r"|(也|同样|一样)(这样|照这样|处理|弄|来一下)?|和刚才一样|跟刚才一样|照着刚才|照这个"
)
MORE = r"^\s*(a\s+(bit|little|touch)\s+|much\s+|even\s+|some\s+)?more\s*[!.]*\s*$|^\s*再来(一)?点|^\s*再(多)?一点点?\s*$|^\s*还要\s*$|^\s*更多\s*$|^\s*keep going\s*$"
LESS = r"^\s*(a\s+(bit|little|touch)\s+)?less\s*[!.]*\s*$|^\s*(少|回)一点点?\s*$|^\s*过了|^\s*too much\s*$|^\s*太过了"
THIS_SHOT = r"\b(it|this one|that one|this shot|that shot)\b|这个镜头|那个镜头|这一个|它"
REPEATABLE = {"edit_visual", "edit_audio", "set_duration"}


OTHER = (
    r"\bnot (?:that|this) one\b|\bthe other (?:one|shot)\b|\bwrong shot\b|\bnot (?:that|this) shot\b|\bi meant (?:shot|the)\b"
    r"|不是这个|不是那个|不是这一个|另一个|另外一个|另外那个|弄错(?:了)?镜头|改错(?:了)?镜头|我说的是第"
)


def _other_shot(
    intent: str, prev: dict[str, Any], wrong: int, named: list[int], script: dict[str, Any] | None
) -> Analysis:
    """'Not that one, the other one': the last edit undone and made on the shot meant instead:
    the shot the message names, else the other of two shots; else which shot is asked."""
    count = len(script.get("shots", [])) if script else 0
    others = [n for n in named if n != wrong] or ([n for n in (1, 2) if n != wrong] if count == 2 else [])
    if len(others) != 1:
        return Analysis(intent, 1.0, {"error": "which_other_shot", "shot": wrong})
    then = {"intent": intent, "confidence": 0.9, "slots": {**prev, "shots": others, "follow_up": "other"}}
    return Analysis("undo", 0.9, {"count": 1, "then": then, "wrong": wrong})


def follow_up(
    text: str, analysis: Analysis, previous: dict[str, Any] | None, script: dict[str, Any] | None
) -> Analysis:
    """A message read against the turn before: "do the same for shot 4", "和刚才一样", "more",
    "less" repeat the last edit (on the shots now named); "make it shorter" right after talking
    about shot 3 is about shot 3. Anything else is returned as it came."""
    prev_intent = (previous or {}).get("intent")
    prev = dict((previous or {}).get("slots") or {})
    if (
        prev_intent not in REPEATABLE
        or prev.get("error")
        or not (prev.get("operation") or prev_intent == "set_duration")
    ):
        return analysis
    for key in ("alternative", "clarify", "reading", "readings", "bad_shots", "count"):
        prev.pop(key, None)
    named = referenced_shots(text, script)
    one = prev.get("shots") or []
    if _has(OTHER, text) and len(one) == 1 and len(text) < 60:
        return _other_shot(prev_intent, prev, one[0], named, script)
    if _has(SAME, text) and (named or len(text) < 40):
        return Analysis(
            prev_intent, 0.9, {**prev, "shots": named or prev.get("shots", []), "follow_up": "same"}
        )
    amount = prev.get("amount")
    if isinstance(amount, (int, float)) and _has(MORE, text):
        return Analysis(prev_intent, 0.9, {**prev, "follow_up": "more"})
    if isinstance(amount, (int, float)) and _has(LESS, text):
        return Analysis(
            prev_intent, 0.9, {**prev, "amount": -amount / 2, "size": "small", "follow_up": "less"}
        )
    if (
        analysis.intent == "set_duration"
        and not analysis.slots.get("shots")
        and len(one) == 1
        and _has(THIS_SHOT, text)
    ):
        return Analysis(
            analysis.intent, analysis.confidence, {**analysis.slots, "shots": one, "follow_up": "shot"}
        )
    return analysis


SHORTER = r"shorter|短一?点|短些|缩短|太长|拖|drags?|dragging|too long|tighten|trim|cut it down|快点结束"
LONGER = r"longer|长一?点|长些|延长|加长|太短|一闪而过|too (short|quick)|flashes by|linger|多给"


def length_scale(text: str) -> float | None:
    """A length change said without a number: a quarter shorter or longer, or None."""
    if _has(SHORTER, text):
        return 0.75
    if _has(LONGER, text):
        return 1.25
    return None


def volume_target(text: str) -> str:
    """Whose volume: the music or the narration, whichever the message names first ("the
    music is drowning the voice" is the music; "can't hear the voiceover" the narration)."""
    low = text.lower()
    music = re.search(r"音乐|配乐|背景乐|bgm|music|song|soundtrack", low)
    voice = re.search(r"旁白|配音|解说|人声|说话|narrat|voice|speech|narrator", low)
    if voice and (not music or voice.start() < music.start()):
        return "narration"
    return "music"


def relative_seconds(text: str) -> float | None:
    """A length change by so many seconds: "two more seconds", "再加2秒", "多给两秒",
    "3 seconds shorter", "短1秒", "cut 2 seconds"; None when the length is not relative."""
    t = numbers_to_digits(text)
    num = r"(\d+(?:\.\d+)?)"
    more = [
        rf"{num}\s*more\s*sec",
        rf"(?:再|多)(?:加|给|延长|拉长|长)?\s*{num}\s*秒",
        rf"{num}\s*(?:秒|seconds?|secs?)\s*longer",
        rf"(?:add|extend (?:it )?by|lengthen (?:it )?by)\s*{num}\s*(?:秒|seconds?|secs?|s\b)",
        rf"(?:延长|加长|增加)\s*{num}\s*秒",
        rf"(?:longer|extend(?:ed)?|lengthen(?:ed)?|increase[d]?)\s*(?:it\s*)?by\s*{num}",
        rf"^\s*\+\s*{num}\s*(?:秒|seconds?|secs?|s\b)",
    ]
    less = [
        rf"{num}\s*(?:秒|seconds?|secs?)\s*(?:shorter|less|fewer)",
        rf"(?:短|少|缩短|减少|砍掉?|剪掉?)\s*{num}\s*秒",
        rf"(?:cut|trim|shave|take)\s*(?:off\s*)?{num}\s*(?:秒|seconds?|secs?|s\b)(?:\s*off)?",
        rf"(?:shorter|shorten(?:ed)?|reduce[d]?|trim(?:med)?|cut)\s*(?:it\s*)?by\s*{num}",
        rf"^\s*[-−]\s*{num}\s*(?:秒|seconds?|secs?|s\b)",  # '-1 second for shot 2', said first
    ]
    for pattern in more:
        if m := re.search(pattern, t):
            return float(m.group(1))
    for pattern in less:
        if m := re.search(pattern, t):
            return -float(m.group(1))
    return None
