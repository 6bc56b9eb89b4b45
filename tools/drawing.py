"""What a shot description asks the animatic to draw, and what it cannot.

A description is read in its own language: English words through their lemmas
(lemminflect), Chinese through jieba's segmentation and parts of speech, so a name is matched
as a word or phrase, never inside another word (马上 is no horse, "watch the sunset" is no
wristwatch). Each thing found is drawn either by the painter of tools/scene.py (its scenes
lexicon: settings, weather, people, trees, birds...) or as an icon (tools/icons.py), with the
action, colour and count the words give it. The nouns left over that name something visible
are `undrawn`: the reply, the shot record and the reviewer say so."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, cast

from tools import icons, lexicon
from tools.project import Script, Shot

CLAUSE = re.compile(
    r"[,.;:!?，。；：！？、]|\band\b|\bwhile\b|\bas\b|\bthen\b|\bwhere\b|\bwhich\b|\bwho\b|然后|同时|一边"
)
DETERMINERS = {
    "a", "an", "the", "this", "that", "these", "those", "my", "your", "his", "her", "our", "their",
    "its", "one", "two", "three", "four", "five", "some", "several", "many", "few", "every", "each",
    "little", "big", "small", "tiny", "huge", "giant", "old", "new", "young", "baby", "cute", "single",
}  # fmt: skip
STOPWORDS = {
    "it", "its", "they", "them", "he", "she", "we", "you", "i", "me", "us", "him", "who", "what",
    "there", "here", "this", "that", "is", "are", "was", "be", "been", "am", "do", "does", "did",
    "with", "from", "into", "onto", "over", "under", "above", "below", "near", "by", "for", "of",
    "in", "on", "at", "to", "up", "down", "out", "off", "through", "across", "around", "behind",
    "between", "beside", "toward", "towards", "against", "along", "a", "an", "the", "and", "or",
    "but", "so", "very", "just", "then", "now", "slowly", "quickly", "gently", "all", "more", "most",
    "their", "theirs", "ours", "mine", "yours", "hers", "while", "when", "until", "after", "before",
    "during", "because", "if", "than", "like", "each", "other",
}  # fmt: skip
ZH_MEASURES = "只个辆架艘条头匹棵朵座位名块片张杯碗盘把台部顶双对群串颗"
ZH_NOUN_FLAGS = ("n", "nz", "ns", "ng", "nt")
ZH_VERB_TAILS = "过来去着了起向进出上下到在入回"
ZH_COMPLEMENTS = (
    "下来",
    "下去",
    "上来",
    "上去",
    "过来",
    "过去",
    "起来",
    "出来",
    "进来",
    "回来",
    "进去",
    "出去",
)
ABSTRACT_EN = ("ness", "ity", "ism", "hood", "dom", "gia")
ABSTRACT_ZH = ("声", "节", "气", "感", "味")
ANIMATE_KINDS = ("Animals & Nature", "People & Body", "Smileys & Emotion")
_jieba_lock = threading.Lock()


@dataclass
class Thing:
    """One thing a description names: its words and where they are, what draws it (an icon
    name, or 'animatic:<lexicon key>' for the painter), and what the words say of it."""

    word: str
    start: int
    end: int
    draws: str
    action: str | None = None
    colour: str | None = None
    count: int = 1

    @property
    def icon(self) -> str | None:
        """The icon that draws it, or None when the painter does."""
        return None if self.draws.startswith("animatic:") else self.draws


@dataclass
class Drawing:
    """A description's things to draw and the visible things it names that cannot be drawn."""

    things: list[Thing] = field(default_factory=list)
    undrawn: list[str] = field(default_factory=list)
    unpainted: list[tuple[int, int]] = field(default_factory=list)  # lexicon words that are verbs here

    @property
    def sprites(self) -> list[Thing]:
        """The things drawn as icons (the painter draws the rest)."""
        return [t for t in self.things if t.icon]

    def record(self) -> dict[str, Any]:
        """What a shot records: each thing drawn with the words it stands for, and the nouns
        that could not be drawn."""
        drawn = []
        for t in self.things:
            item: dict[str, Any] = {"word": t.word, "as": t.draws}
            item.update({k: v for k, v in (("action", t.action), ("colour", t.colour)) if v})
            if t.count > 1:
                item["count"] = t.count
            drawn.append(item)
        return {"drawn": drawn, "undrawn": list(self.undrawn)}


def _data() -> dict[str, Any]:
    return lexicon.load("drawing")


def _is_zh(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# --- the painter's words (the scenes lexicon), found the way tools/scene.py reads them ----------


def lexicon_pattern(word: str) -> str:
    """The pattern of a lexicon word: an English word whole or plural ('cat' is not in 'catch',
    'light' not in 'lighthouse'), a Chinese word as written."""
    return rf"\b{re.escape(word.lower())}(?:s|es)?\b" if word.isascii() else re.escape(word)


def _painted(
    text: str, zh_tokens: list[tuple[str, str, int, int]], rejected: list[tuple[int, int]] | None = None
) -> list[Thing]:
    """Spans of the scenes lexicon's words (settings, elements, people, particles, weather);
    the words that are verbs here ("waves at the camera") go to `rejected`. `zh_tokens` are
    jieba's words of a Chinese text (empty for English)."""
    data = lexicon.load("scenes")
    low = text.lower()
    for phrase in data["masks"]:
        low = low.replace(phrase, " " * len(phrase))
    found: list[Thing] = []
    tokens = _tokens_en(text)
    worlds = {k: v["en"] + v["zh"] for k, v in _data()["worlds"].items() if not k.startswith("_")}
    tables = [
        worlds,
        *(data[t] for t in ("settings", "elements", "people", "particles", "weather", "time_of_day")),
    ]
    for table in tables:
        for key, words in table.items():
            for word in sorted(words, key=len, reverse=True):
                pattern = lexicon_pattern(word)
                for m in re.finditer(pattern, low):
                    at = next((i for i, t in enumerate(tokens) if t.start == m.start()), None)
                    if word.isascii() and " " not in word and at is not None:
                        if _ambiguous(word) and not _as_noun(tokens, at):
                            if rejected is not None:
                                rejected.append((m.start(), m.end()))
                            continue  # "waves at the camera" is no sea
                    if not word.isascii() and not _zh_word_fits(zh_tokens, m.start(), m.end()):
                        if rejected is not None:
                            rejected.append((m.start(), m.end()))
                        continue  # 灯 in 灯塔 is no lamp
                    found.append(Thing(text[m.start() : m.end()], m.start(), m.end(), f"animatic:{key}"))
    found.sort(key=lambda t: (t.start, -(t.end - t.start)))
    out: list[Thing] = []
    for t in found:  # the longest word at each place, no overlaps
        if not any(t.start < o.end and o.start < t.end for o in out):
            out.append(t)
    if rejected is not None:  # a word left out inside one that was taken stays the painter's
        rejected[:] = [r for r in rejected if not any(o.start <= r[0] and r[1] <= o.end for o in out)]
    return out


def _zh_word_fits(tokens: list[tuple[str, str, int, int]], start: int, end: int) -> bool:
    """Whether a Chinese lexicon word found at start:end is a word of the sentence: a whole
    word of jieba's, a longer piece of one, or a one-character head at a word's end (樱花,
    大树), never the front of another word (灯塔, 月饼) nor a piece of a name (上海)."""
    for word, flag, a, b in tokens:
        if a <= start and end <= b:
            if (a, b) == (start, end) or end - start >= 2:
                return True
            if (
                start == a
                and b - end == 1
                and word[-1] in _data()["zh_locatives"] + _data()["zh_noun_suffixes"]
            ):
                return True  # 桌上, 树下
            return end == b and not flag.startswith(("ns", "nr"))
    return True  # across jieba's words: the lexicon's own phrase


# --- English --------------------------------------------------------------------------------


@dataclass
class _Token:
    text: str
    start: int
    end: int

    @property
    def low(self) -> str:
        return self.text.lower()


def _tokens_en(text: str) -> list[_Token]:
    return [_Token(m.group(), m.start(), m.end()) for m in re.finditer(r"[A-Za-z][A-Za-z'\-]*|\d+", text)]


@lru_cache(maxsize=8192)
def _lemmas(word: str) -> dict[str, tuple[str, ...]]:
    import lemminflect

    return dict(lemminflect.getAllLemmas(word))


def _noun_lemma(word: str) -> str:
    found = _lemmas(word.lower()).get("NOUN")
    return found[0] if found else word.lower()


def _verb_lemma(word: str) -> str | None:
    found = _lemmas(word.lower()).get("VERB")
    return found[0] if found else None


def _is_noun(word: str) -> bool:
    return "NOUN" in _lemmas(word.lower()) or "PROPN" in _lemmas(word.lower())


def _ambiguous(word: str) -> bool:
    """A word that is a verb as often as a noun (watch, ring, fly, drop: data/drawing.json)."""
    low = word.lower()
    return low in _data()["ambiguous_en"] or _noun_lemma(low) in _data()["ambiguous_en"]


def _as_noun(tokens: list[_Token], i: int) -> bool:
    """Whether tokens[i], a word that can also be a verb, is a noun here: after a determiner,
    a number, a colour or an adjective, or as a modifier before another noun; never after
    'to' or a pronoun."""
    prev = tokens[i - 1].low if i else ""
    if prev in DETERMINERS or prev.isdigit() or prev in _colour_words("en") or prev.endswith("'s"):
        return True
    participle = prev.endswith(("ing", "ed")) or (prev.endswith("y") and "ADJ" in _lemmas(prev))
    if i > 1 and tokens[i - 2].low in DETERMINERS and participle:
        return True  # the crashing waves, a rocky shore
    if prev in ("to", "will", "can", "they", "we", "i", "you", "he", "she", "people", "who"):
        return False
    return i > 0 and "ADJ" in _lemmas(prev) and "VERB" not in _lemmas(prev)


def _icons_en(text: str, tokens: list[_Token]) -> list[Thing]:
    index = icons.names("en")
    out: list[Thing] = []
    i = 0
    while i < len(tokens):
        hit = None
        for n in (4, 3, 2, 1):
            if i + n > len(tokens):
                continue
            words = [t.low for t in tokens[i : i + n]]
            for phrase in (" ".join(words), " ".join([*words[:-1], _noun_lemma(words[-1])])):
                if phrase in index and (n > 1 or not _ambiguous(words[0]) or _as_noun(tokens, i)):
                    hit = (n, index[phrase])
                    break
            if hit:
                break
        if hit:
            n, name = hit
            first, last = tokens[i], tokens[i + n - 1]
            out.append(Thing(text[first.start : last.end], first.start, last.end, name))
            i += n
        else:
            i += 1
    return out


def _undrawn_en(text: str, tokens: list[_Token], covered: list[Thing]) -> list[str]:
    invisible = set(_data()["invisible"]["en"])
    measures = set(_data()["measure_words_en"])
    actions = {w for words in _action_words("en").values() for w in words}
    label = re.match(r"^\s*(?:[A-Za-z'\-]+\s*){1,3}:", text)  # "Travel vlog:", "Ad copy:"
    quoted = [m.span() for m in re.finditer(r"[\"“‘][^\"”’]*[\"”’]", text)]  # words written on a card
    out: list[str] = []
    for i, tok in enumerate(tokens):
        if any(t.start <= tok.start < t.end for t in covered) or tok.low in STOPWORDS or tok.low.isdigit():
            continue
        if label and tok.end <= label.end() or any(a <= tok.start < b for a, b in quoted):
            continue
        if tok.low.endswith("ing") and _verb_lemma(tok.low) and not _as_noun(tokens, i):
            continue  # "Lena blowing out the candles": a verb, not a thing
        nxt_word = tokens[i + 1].low if i + 1 < len(tokens) else ""
        if nxt_word == "of" and _noun_lemma(tok.low) in measures:
            continue  # a stack of letters: the letters are the thing
        prev_tok = tokens[i - 1] if i else None
        after_noun = prev_tok is not None and _is_noun(prev_tok.low) and prev_tok.low not in STOPWORDS
        if after_noun and prev_tok is not None and tok.low.endswith("s") and _verb_lemma(tok.low):
            if prev_tok.low not in DETERMINERS and (not prev_tok.low.endswith("s") or tok.low.endswith("es")):
                continue  # "a rocket lifts off", "lightning strikes": a verb
        lemma = _noun_lemma(tok.low)
        if lemma in invisible or tok.low in invisible or tok.low in _colour_words("en"):
            continue
        if len(lemma) > 6 and lemma.endswith(ABSTRACT_EN):
            continue  # happiness, curiosity, nostalgia, childhood: nothing to see
        after_stop = i > 0 and text[tokens[i - 1].end : tok.start].strip() in ("", ",")
        place = i > 0 and tokens[i - 1].low in ("on", "to", "from", "over", "in", "at", "across", "into")
        proper = tok.text[0].isupper() and after_stop and "NOUN" not in _lemmas(tok.low)
        if proper and not place:
            continue  # a name (Lena) is someone the painter draws as a person, or no one to see
        if not (proper or _is_noun(tok.low)):
            continue
        if (
            not proper
            and (_ambiguous(tok.low) or _verb_lemma(tok.low) in actions)
            and not _as_noun(tokens, i)
        ):
            continue
        if "ADJ" in _lemmas(tok.low) and not proper:
            continue
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        joined = nxt is not None and text[tok.end : nxt.start].strip() in ("", "-")
        modifier = nxt is not None and _is_noun(nxt.low) and "ADJ" not in _lemmas(nxt.low)
        if joined and modifier and nxt is not None and not _ambiguous(nxt.low):
            continue  # a modifier of the next noun ("birthday" in "birthday cake")
        if lemma not in out:
            out.append(lemma if not proper else tok.text)
    return out


# --- Chinese --------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _jieba() -> Any:
    """jieba's part-of-speech tokenizer, with the icon names and lexicon words as words of
    their own so they are never split."""
    import logging

    import jieba
    import jieba.posseg

    with _jieba_lock:
        jieba.setLogLevel(logging.WARNING)
        tok = jieba.posseg.POSTokenizer(jieba.Tokenizer())
        for name in icons.names("zh"):
            if len(name) > 1:
                tok.tokenizer.add_word(name, 2000, "n")
        for words in _action_words("zh").values():
            for w in words:
                if len(w) > 1:
                    tok.tokenizer.add_word(w, 2000, "v")
        tok.tokenizer.initialize()
    return tok


def _tokens_zh(text: str) -> list[tuple[str, str, int, int]]:
    """(word, part of speech, start, end) for each of jieba's words."""
    out, pos = [], 0
    tokenizer = _jieba()
    with _jieba_lock:
        pairs = list(tokenizer.cut(text))
    for pair in pairs:
        word, flag = pair.word, pair.flag
        start = text.find(word, pos)
        start = pos if start < 0 else start
        out.append((word, flag, start, start + len(word)))
        pos = start + len(word)
    return out


def _icons_zh(text: str, tokens: list[tuple[str, str, int, int]]) -> list[Thing]:
    index = icons.names("zh")
    out: list[Thing] = []
    i = 0
    while i < len(tokens):
        hit = None
        for n in (3, 2, 1):  # words jieba split that a name joins (生日 + 蛋糕)
            if i + n > len(tokens):
                continue
            word = "".join(t[0] for t in tokens[i : i + n])
            if word in index:
                hit = (n, word, tokens[i][2], index[word])
                break
        if hit is None:
            word, flag, start, _ = tokens[i]
            if flag.startswith("n") or flag in ("x", "eng"):  # a compound's head is its end: 小熊猫
                modifiers = _data()["zh_modifiers"]
                for k in range(1, len(word)):
                    head = len(word) - k >= 2 or word[k - 1] in modifiers or word[k:] in _data()["zh_heads"]
                    if word[k:] in index and head:
                        hit = (1, word[k:], start + k, index[word[k:]])
                        break
        if hit:
            n, word, start, name = hit
            out.append(Thing(word, start, start + len(word), name))
            i += n
        else:
            i += 1
    return out


def _undrawn_zh(tokens: list[tuple[str, str, int, int]], covered: list[Thing]) -> list[str]:
    invisible = set(_data()["invisible"]["zh"])
    colours = _colour_words("zh")
    out: list[str] = []
    for word, flag, start, end in tokens:
        if flag not in ZH_NOUN_FLAGS or "着" in word:
            continue
        if any(t.start < end and start < t.end for t in covered) or word in invisible or word in colours:
            continue
        if word.endswith(ABSTRACT_ZH):
            continue  # 鼓声, 清明时节, 香气: a sound, a season, a smell
        if len(word) < 2 or word not in out:
            if len(word) >= 2:
                out.append(word)
    return out


# --- actions, colours, counts ---------------------------------------------------------------


def _action_words(lang: str) -> dict[str, list[str]]:
    return {k: v[lang] for k, v in _data()["actions"].items()}


def _colour_words(lang: str) -> dict[str, str]:
    return {w: key for key, c in _data()["colours"].items() for w in c[lang]}


def _verbs_en(tokens: list[_Token], covered: list[Thing]) -> list[tuple[int, str]]:
    """(position, action) for each action verb: a word whose verb lemma is an action's word
    (two-word verbs too: 'take off'), not a word of a thing, not a noun after a determiner."""
    table = _action_words("en")
    out = []
    for i, tok in enumerate(tokens):
        if any(t.start <= tok.start < t.end for t in covered):
            continue
        lemma = _verb_lemma(tok.low)
        if lemma is None or (
            "NOUN" in _lemmas(tok.low) and _as_noun(tokens, i) and not tok.low.endswith("ing")
        ):
            continue
        pair = f"{lemma} {tokens[i + 1].low}" if i + 1 < len(tokens) else ""
        for action, words in table.items():
            if pair in words or lemma in words:
                out.append((tok.start, action))
                break
    return out


def _verbs_zh(tokens: list[tuple[str, str, int, int]], covered: list[Thing]) -> list[tuple[int, str]]:
    table = _action_words("zh")
    out = []
    for word, flag, start, _ in tokens:
        if any(t.start <= start < t.end for t in covered):
            continue
        locatives = _data()["zh_locatives"]
        for action, words in table.items():
            exact = word in words
            stem = next(
                (word[: -len(c)] for c in ZH_COMPLEMENTS if word.endswith(c) and len(word) > len(c)), None
            )
            tail = (
                flag.startswith("v") and len(word) >= 2 and word[:-1] in words and word[-1] in ZH_VERB_TAILS
            )
            tail = tail or (flag.startswith("v") and stem in words)
            placed = len(word) == 2 and word[0] in locatives and word[1] in words  # 池塘里游 -> 里游
            if exact and (flag.startswith(("v", "n", "x")) or len(word) > 1) or tail or placed:
                out.append((start, action))
                break
    return out


def _clause_of(text: str, pos: int) -> tuple[int, int]:
    """The span of the clause around a position (between punctuation or 'and')."""
    starts = [0] + [m.end() for m in CLAUSE.finditer(text) if m.end() <= pos]
    ends = [m.start() for m in CLAUSE.finditer(text) if m.start() >= pos] + [len(text)]
    return max(starts), min(ends)


def _assign_actions(text: str, things: list[Thing], verbs: list[tuple[int, str]]) -> None:
    """Give each verb to the thing it is said of: the nearest before it in its clause, else the
    nearest after it; a thing keeps its first action."""
    animate = {"walk", "run", "eat", "wave", "sit", "jump", "swim"}
    for pos, action in verbs:
        lo, hi = _clause_of(text, pos)
        before = [t for t in things if lo <= t.start and t.end <= pos]
        after = [t for t in things if pos <= t.start and t.end <= hi]
        if not before and not after:  # the clause goes on with the last one named (树懒……，慢慢掉了下来)
            before = [t for t in things if t.end <= pos][-1:]
        order = [*reversed(before), *after]
        if action in animate:  # who walks or eats: a creature or a person before a thing
            order.sort(key=lambda t: icons.category(str(t.icon)) not in ANIMATE_KINDS)
        for t in order[:1]:
            if t.action is None:
                t.action = action
    defaults = {icon: action for action, names in _data()["default_actions"].items() for icon in names}
    for t in things[:1]:  # the main subject does what such things do when no verb says
        if t.action is None and t.icon in defaults:
            t.action = defaults[t.icon]


def _modifiers(text: str, things: list[Thing], zh: bool) -> None:
    """The colour and count the words just before a thing give it ('three red balloons',
    '两只白色的鸭子')."""
    colours = _colour_words("zh" if zh else "en")
    numbers = _data()["numbers"]["zh" if zh else "en"]
    for t in things:
        before = text[max(0, t.start - (8 if zh else 24)) : t.start]
        if not zh:
            words = re.findall(r"[a-z]+|\d+", before.lower())[-3:]
            for w in words:
                if w in colours:
                    t.colour = colours[w]
            tail = " ".join(words)
            for phrase, n in numbers.items():
                if re.search(rf"\b{phrase}$|\b{phrase} \w+$", tail):
                    t.count = n
            digits = [int(w) for w in words if w.isdigit()]
            if digits and 1 < digits[-1] <= 9:
                t.count = digits[-1]
        else:
            for word in sorted(colours, key=len, reverse=True):
                if word in before[-4:]:
                    t.colour = colours[word]
                    break
            m = re.search(
                rf"([两二俩三四五几]|一群|一些|许多|很多|成群)[{ZH_MEASURES}]?[^，。,]{{0,4}}$", before
            )
            if m:
                t.count = numbers.get(m.group(1), 1)


# --- the resolver ---------------------------------------------------------------------------


@lru_cache(maxsize=2048)
def _resolve(description: str) -> Drawing:
    zh = _is_zh(description)
    rejected: list[tuple[int, int]] = []
    zh_tokens = _tokens_zh(description) if zh else []
    painted = _painted(description, zh_tokens, rejected)
    if zh:
        found = _icons_zh(description, zh_tokens)
    else:
        masked = description
        for phrase in _data()["masks_en"]:  # the camera looked into is no camera in the picture
            masked = re.sub(re.escape(phrase), lambda m: " " * len(m.group()), masked, flags=re.I)
        en_tokens = _tokens_en(masked)
        found = _icons_en(masked, en_tokens)
    things: list[Thing] = []
    over = {f"animatic:{key}" for key in _data()["icons_over_painter"]}
    for t in found:  # an icon whose name is longer than the painter's word there wins it
        overlap = [p for p in painted if p.start < t.end and t.start < p.end]
        if all((t.end - t.start) > (p.end - p.start) or p.draws in over for p in overlap):
            things.append(t)
            painted = [p for p in painted if p not in overlap]
    things = sorted([*things, *painted], key=lambda t: t.start)
    if zh:
        undrawn = _undrawn_zh(zh_tokens, things)
        verbs = _verbs_zh(zh_tokens, things)
    else:
        undrawn = _undrawn_en(description, en_tokens, things)
        verbs = _verbs_en(en_tokens, things)
    _assign_actions(description, [t for t in things if t.icon], verbs)
    _modifiers(description, [t for t in things if t.icon], zh)
    return Drawing(things, undrawn, rejected)


def resolve(description: str) -> Drawing:
    """What a description asks to draw: each thing with what draws it and the action, colour
    and count its words give it, and the visible things it names that nothing can draw."""
    d = _resolve(description)
    return Drawing([Thing(**vars(t)) for t in d.things], list(d.undrawn), list(d.unpainted))


def record(description: str) -> dict[str, Any]:
    """The `drawn` and `undrawn` lists a shot records for its description."""
    return resolve(description).record()


def annotate(script: Script, before: Script | None = None) -> Script:
    """The script with each shot's `drawn` and `undrawn` recorded for its description. A shot
    whose description is as it was in `before` keeps that version's record (an edit of the
    music or the grading reads no description again)."""
    old = {s.get("id"): s for s in (before or {}).get("shots", [])}
    shots = []
    for shot in script.get("shots", []):
        prev = old.get(shot.get("id"))
        same = prev is not None and prev.get("description") == shot.get("description") and "drawn" in prev
        rec = {"drawn": prev["drawn"], "undrawn": prev.get("undrawn", [])} if same and prev else None
        shots.append(cast(Shot, {**shot, **(rec or record(shot.get("description", "")))}))
    return cast(Script, {**script, "shots": shots})


def world(description: str) -> tuple[str, str] | None:
    """The setting beyond the painter's own that a description names (desert, space, stage...),
    with the words that name it, or None."""
    worlds = _data()["worlds"]
    for t in _resolve(description).things:
        key = t.draws.split(":", 1)[1] if t.draws.startswith("animatic:") else ""
        if key in worlds:
            return key, t.word
    return None


def claimed(description: str) -> list[tuple[int, int]]:
    """The spans of the description the painter leaves alone: what icons draw, and its words
    that are verbs here."""
    d = _resolve(description)
    return [(t.start, t.end) for t in d.sprites] + list(d.unpainted)
