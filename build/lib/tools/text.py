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


def parse_duration_seconds(text: str) -> float | None:
    """Find a duration in the text: '30秒', '1分钟', '一分半', '45 seconds', '2 min', '3小时';
    a sign ('-5 seconds', '负5秒') is kept so a negative length can be refused."""
    t = text.lower()
    m = re.search(r"(?:^|[\s(（到为成至])(?:-|−|负|minus\s+)\s*(\d+(?:\.\d+)?)\s*(?:秒|s\b|sec|分|min)", t)
    if m:
        return -float(m.group(1))
    m = re.search(rf"({NUM})\s*(?:个)?\s*(?:小时|hours?|hrs?)", t)
    if m and (n := to_number(m.group(1))) is not None:
        return n * 3600
    m = re.search(rf"({NUM})\s*分(?:钟)?半", t)
    if m and (n := to_number(m.group(1))) is not None:
        return n * 60 + 30
    m = re.search(rf"({NUM})\s*(?:分钟|分|minutes?|mins?)(?![a-z])", t)
    if m and (n := to_number(m.group(1))) is not None:
        return n * 60
    if "半分钟" in t or "half a minute" in t:
        return 30.0
    m = re.search(rf"({NUM})\s*(?:秒钟|秒|s\b|secs?\b|seconds?\b|-second)", t)
    if m and (n := to_number(m.group(1))) is not None:
        return n
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
