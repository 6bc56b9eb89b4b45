"""Language detection and number/ordinal parsing for Chinese and English messages."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u4e00-\u9fff]")

ZH_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "俩": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
ZH_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}

EN_NUMBERS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "half": 0.5,
    "a": 1,
    "an": 1,
}
EN_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
}

ZH_NUM = r"[零〇一二两俩三四五六七八九十百千万\d\.]+"
EN_NUM_WORD = "|".join(sorted((k for k in EN_NUMBERS if len(k) > 2), key=len, reverse=True))
NUM = rf"(?:\d+(?:\.\d+)?|{ZH_NUM}|(?:{EN_NUM_WORD})(?:[- ](?:{EN_NUM_WORD}))?)"


def detect_language(text: str, default: str = "en") -> str:
    """'zh' when the text holds Chinese characters, else 'en' (or `default` for no letters)."""
    if _CJK.search(text):
        return "zh"
    if re.search(r"[A-Za-z]", text):
        return "en"
    return default


def zh_to_number(token: str) -> float | None:
    """Parse a Chinese numeral such as 三十, 四十五, 一百二十, 两, 3.5 (digits pass through)."""
    token = token.strip()
    if not token:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", token):
        return float(token)
    if not all(ch in ZH_DIGITS or ch in ZH_UNITS for ch in token):
        return None
    total, section, digit = 0, 0, 0
    for ch in token:
        if ch in ZH_DIGITS:
            digit = ZH_DIGITS[ch]
        else:
            unit = ZH_UNITS[ch]
            if unit == 10000:
                total += (section + digit) * unit
                section, digit = 0, 0
            else:
                section += (digit or 1) * unit
                digit = 0
    return float(total + section + digit)


def en_to_number(token: str) -> float | None:
    """Parse 'forty-five', 'two', '3', 'twenty five'."""
    token = token.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", token):
        return float(token)
    parts = re.split(r"[- ]+", token)
    if not parts or not all(p in EN_NUMBERS for p in parts):
        return None
    return float(sum(EN_NUMBERS[p] for p in parts))


def to_number(token: str) -> float | None:
    """Parse any numeral this module knows (digits, Chinese, English words)."""
    return zh_to_number(token) if _CJK.search(token) else en_to_number(token)


_EN_SMALL = {w: n for w, n in EN_NUMBERS.items() if n < 20}
_EN_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}


_HALVES = "|".join(w for w, n in EN_NUMBERS.items() if 0 < n < 20)
_EN_RUN = re.compile(
    r"\b(?:(?:"
    + "|".join(sorted([*EN_NUMBERS, *_EN_TENS, "hundred", "a"], key=len, reverse=True))
    + r")(?:[\s-]+(?:and[\s-]+)?|$))+(?:and a half\b)?",
    flags=re.I,
)


def _en_run_value(m: re.Match[str]) -> str:
    """A run of English number words as digits ('a hundred and twenty' -> '120')."""
    tokens = re.findall(r"[a-z]+", m.group(0).lower())
    current, half = 0.0, False
    for i, tok in enumerate(tokens):
        if tok == "half" and i > 0 and tokens[i - 1] == "a":
            half = True
        elif tok == "a" and i + 1 < len(tokens) and tokens[i + 1] == "hundred":
            current = max(current, 1)
        elif tok in ("a", "an") and i + 1 < len(tokens) and tokens[i + 1] not in ("half", "and"):
            continue  # an article before a number ('a ten second video'), not one more
        elif tok == "hundred":
            current = max(current, 1) * 100
        elif tok in _EN_TENS:
            current += _EN_TENS[tok]
        elif tok in _EN_SMALL:
            current += _EN_SMALL[tok]
    total = current + (0.5 if half else 0)
    if total == 0 and not any(t in _EN_SMALL for t in tokens):
        return m.group(0)
    tail = " " if m.group(0).endswith((" ", "-")) else ""
    return f"{total:g}{tail}"


def _en_numbers_to_digits(text: str) -> str:
    """English number words as digits: 'a hundred and twenty' -> 120, 'one and a half' ->
    1.5, 'a minute and a half' -> 1.5 minute, 'half a minute' -> 0.5 minute."""
    t = re.sub(r"\b(a|an|one)\s+(minute|hour)\s+and\s+a\s+half\b", r"1.5 \2", text)
    t = re.sub(rf"\b({_HALVES}|\d+)\s+and\s+a\s+half\b", lambda m: f"{to_number(m.group(1)) or 0:g}.5", t)
    t = re.sub(r"\bhalf\s+an?\s+(minute|hour)\b", r"0.5 \1", t)
    t = re.sub(r"\b(an?)\s+(minute|hour|second)\b", r"1 \2", t)
    return _EN_RUN.sub(_en_run_value, t)


def _zh_numbers_to_digits(text: str) -> str:
    """Chinese numerals as digits through cn2an ('一百二十秒' -> '120秒', '一分半' -> '1分半')."""
    if not _CJK.search(text):
        return text
    import warnings

    import cn2an

    with warnings.catch_warnings():  # cn2an warns about the numerals it leaves as they are
        warnings.simplefilter("ignore")
        try:
            return str(cn2an.transform(text, "cn2an"))
        except (ValueError, KeyError, IndexError):
            return text


def numbers_to_digits(text: str) -> str:
    """The text in lower case with its numbers, English words and Chinese numerals, as digits."""
    return _zh_numbers_to_digits(_en_numbers_to_digits(text.lower()))


ASPECT_RATIOS = {"9:16", "16:9", "21:9", "16:10"}  # m:ss look-alikes that are frame shapes


def parse_duration_seconds(text: str) -> float | None:
    """A length said in the text, in seconds: '30秒', '1分30秒', '一分半', '十秒左右', '1:30',
    '90s', '2 min', 'a minute and a half', 'one hundred twenty seconds', '20-30秒' (the
    middle), '3小时'; a sign ('-5 seconds', '负5秒') is kept so a negative length can be
    refused."""
    t = numbers_to_digits(text)
    num = r"(\d+(?:\.\d+)?)"
    m = re.search(rf"(?:^|[\s(（到为成至])(?:-|−|负|minus\s+)\s*{num}\s*(?:秒|s\b|sec|分|min)", t)
    if m:
        return -float(m.group(1))
    m = re.search(rf"{num}\s*(?:个)?\s*(?:小时|hours?|hrs?\b)", t)
    if m:
        return float(m.group(1)) * 3600
    m = re.search(
        rf"{num}\s*(?:分钟|分|minutes?|mins?\b|m\b)\s*(?:and\s*)?(半|{num}\s*(?:秒钟|秒|s\b|secs?\b|seconds?\b)?)?",
        t,
    )
    if m and not re.match(r"\s*(?:之|比)", t[m.end() :]):
        rest = m.group(2)
        extra = 30.0 if rest == "半" else float(m.group(3)) if m.group(3) else 0.0
        return float(m.group(1)) * 60 + extra
    if "半分钟" in t or "half a minute" in t:
        return 30.0
    m = re.search(r"(?<![\d:])(\d{1,2}):([0-5]\d)(?![\d:])", t)
    if m and f"{m.group(1)}:{m.group(2)}" not in ASPECT_RATIOS:
        return int(m.group(1)) * 60 + int(m.group(2))
    m = re.search(rf"{num}\s*(?:-|~|到|至|to)\s*{num}\s*(?:秒钟|秒|s\b|secs?\b|seconds?\b)", t)
    if m:
        return (float(m.group(1)) + float(m.group(2))) / 2
    m = re.search(rf"{num}\s*(?:秒钟|秒|s\b|secs?\b|seconds?\b|-second)", t)
    if m:
        return float(m.group(1))
    return None


def parse_percent(text: str) -> float | None:
    """An explicit percentage such as '+20%', '20%', '百分之二十' as a fraction (0.2)."""
    m = re.search(r"([+-]?\d+(?:\.\d+)?)\s*%", text)
    if m:
        return float(m.group(1)) / 100
    m = re.search(rf"百分之({ZH_NUM})", text)
    if m and (n := zh_to_number(m.group(1))) is not None:
        return n / 100
    return None


def parse_versions(text: str) -> list[str]:
    """Version labels mentioned in the text, normalised to 'vX.Y' ('v1', '1.2版' -> v1.0, v1.2)."""
    found = []
    for m in re.finditer(
        r"(?<![A-Za-z0-9.])v?(\d+)(?:\.(\d+))?(?![\d.]*\s*(?:%|秒|s\b|sec|分|个|x\b))", text, flags=re.I
    ):
        whole = m.group(0)
        if not whole.lower().startswith("v") and m.group(2) is None:
            continue  # a bare integer is a number, not a version
        found.append(f"v{int(m.group(1))}.{int(m.group(2) or 0)}")
    return found
