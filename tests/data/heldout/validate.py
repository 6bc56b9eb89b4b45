"""Validate the held-out data files and print counts.  Usage: python tests/data/heldout/validate.py"""

import collections
import json
import pathlib
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent
INTENTS = {
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
}
OPERATIONS = {
    "brightness",
    "contrast",
    "saturation",
    "temperature",
    "look",
    "speed",
    "aspect",
    "resolution",
    "fps",
    "transition",
    "subtitles",
    "title",
    "image",
    "music",
    "music_off",
    "volume",
    "voice",
    "voice_rate",
    "narration_text",
    "narration_off",
    "effects",
}
VISUAL_OPS = {
    "brightness",
    "contrast",
    "saturation",
    "temperature",
    "look",
    "speed",
    "aspect",
    "resolution",
    "fps",
    "transition",
    "subtitles",
    "title",
    "image",
}
AUDIO_OPS = OPERATIONS - VISUAL_OPS
GENRES = {"ad", "story", "tutorial", "explainer", "vlog", "trailer", "documentary", "music video", "greeting"}
ASPECTS = {"9:16", "1:1", "16:9"}
VERSION_WORDS = {"first", "second", "previous", "current"}
errors = []


def err(where, msg):
    errors.append(f"{where}: {msg}")


def load(name, split):
    rows = []
    path = HERE / name / f"{split}.jsonl"
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            rows.append((f"{name}/{split}:{n}", json.loads(line)))
        except json.JSONDecodeError as e:
            err(f"{name}/{split}:{n}", f"bad JSON {e}")
    return rows


def check_shots(w, v):
    if v is None:
        return
    if not isinstance(v, list) or not v or not all((isinstance(s, int) and s >= 1) or s == "last" for s in v):
        err(w, f"bad shots {v!r}")


def check_version(w, v):
    vs = v if isinstance(v, list) else [v]
    for x in vs:
        if not (isinstance(x, str) and (re.fullmatch(r"v\d+\.\d+", x) or x in VERSION_WORDS)):
            err(w, f"bad version {x!r}")


def check_lang(w, r):
    if r.get("lang") not in ("zh", "en"):
        err(w, "bad lang")
    text = r.get("text", "")
    cjk = len(re.findall(r"[\u4e00-\u9fff]", text))
    latin_words = len(re.findall(r"[A-Za-z]+", text))
    # zh: the message is mainly Chinese (English words may be mixed in); en: mainly English
    if (r.get("lang") == "zh" and cjk == 0) or (r.get("lang") == "en" and cjk > latin_words):
        err(w, f"lang {r.get('lang')} vs text {text!r}")


def check_intent(w, r):
    allowed = {
        "text",
        "lang",
        "state",
        "intent",
        "shots",
        "version",
        "duration",
        "operation",
        "direction",
        "target",
        "format",
        "aspect",
        "value",
    }
    if set(r) - allowed:
        err(w, f"unknown fields {set(r) - allowed}")
    check_lang(w, r)
    if r.get("state") not in ("empty", "script", "rendered"):
        err(w, "bad state")
    it = r.get("intent")
    if it not in INTENTS:
        err(w, f"bad intent {it}")
    check_shots(w, r.get("shots"))
    if "version" in r:
        check_version(w, r["version"])
        if it == "compare" and not (isinstance(r["version"], list) and len(r["version"]) == 2):
            err(w, "compare wants two versions")
    if "duration" in r and not (isinstance(r["duration"], (int, float)) and r["duration"] > 0):
        err(w, "bad duration")
    if "operation" in r:
        if it == "edit_visual" and r["operation"] not in VISUAL_OPS:
            err(w, "visual intent with audio op")
        if it == "edit_audio" and r["operation"] not in AUDIO_OPS:
            err(w, "audio intent with visual op")
    if it in ("edit_visual", "edit_audio") and "operation" not in r:
        err(w, "edit without operation")
    if r.get("direction") not in (None, "up", "down"):
        err(w, "bad direction")
    if r.get("target") not in (None, "music", "narration", "all"):
        err(w, "bad target")
    if (r.get("operation") == "volume") != ("target" in r):
        err(w, "target iff volume")
    if r.get("format") not in (None, "mp4", "gif", "webm"):
        err(w, "bad format")
    if r.get("aspect") not in (None, *ASPECTS):
        err(w, "bad aspect")


def check_edit(w, r):
    if set(r) != {"text", "lang", "operation", "shots", "direction", "value", "target"}:
        err(w, f"fields {sorted(r)}")
    check_lang(w, r)
    if r["operation"] not in OPERATIONS:
        err(w, f"bad operation {r['operation']}")
    check_shots(w, r["shots"])
    if r["direction"] not in (None, "up", "down"):
        err(w, "bad direction")
    if (r["operation"] == "volume") != (r["target"] in ("music", "narration", "all")):
        err(w, "target iff volume")
    if r["operation"] == "volume" and r["direction"] is None:
        err(w, "volume without direction")


def check_create(w, r):
    if set(r) != {"text", "lang", "subjects", "duration", "mood", "genre", "aspect"}:
        err(w, f"fields {sorted(r)}")
    check_lang(w, r)
    s = r["subjects"]
    if not (isinstance(s, list) and 1 <= len(s) <= 4 and all(isinstance(x, str) and x for x in s)):
        err(w, "bad subjects")
    if r["duration"] is not None and not (isinstance(r["duration"], (int, float)) and r["duration"] > 0):
        err(w, "bad duration")
    if r["mood"] is not None and not isinstance(r["mood"], str):
        err(w, "bad mood")
    if r["genre"] not in (None, *GENRES):
        err(w, f"bad genre {r['genre']}")
    if r["aspect"] not in (None, "9:16", "1:1"):
        err(w, "bad aspect")


def main():
    seen = {}
    report = {}
    for name, check, _key in (
        ("intents", check_intent, "intent"),
        ("edits", check_edit, "operation"),
        ("create", check_create, None),
    ):
        for split in ("test", "dev"):
            rows = load(name, split)
            for w, r in rows:
                check(w, r)
                k = (r.get("text", "").strip().lower(), r.get("state"))
                if k in seen:
                    err(w, f"duplicate of {seen[k]}")
                seen[k] = w
            report[(name, split)] = rows
    for name, key in (("intents", "intent"), ("edits", "operation"), ("create", "genre")):
        print(f"== {name}")
        tot = {s: len(report[(name, s)]) for s in ("test", "dev")}
        langs = {s: collections.Counter(r["lang"] for _, r in report[(name, s)]) for s in ("test", "dev")}
        print(
            f"  total test={tot['test']} dev={tot['dev']}  test langs={dict(langs['test'])} dev langs={dict(langs['dev'])}"
        )
        cnt = collections.Counter()
        for s in ("test", "dev"):
            for _, r in report[(name, s)]:
                cnt[(r.get(key) or "-", s, r["lang"])] += 1
        for lab in sorted({k[0] for k in cnt}):
            t = cnt[(lab, "test", "zh")] + cnt[(lab, "test", "en")]
            d = cnt[(lab, "dev", "zh")] + cnt[(lab, "dev", "en")]
            print(
                f"  {lab:15s} test={t:3d} (zh {cnt[(lab, 'test', 'zh')]}, en {cnt[(lab, 'test', 'en')]})  dev={d:3d}"
            )
            if name == "intents" and t < 12:
                err(name, f"intent {lab} has only {t} test messages")
    states = collections.Counter(r["state"] for s in ("test", "dev") for _, r in report[("intents", s)])
    print("  intents states:", dict(states))
    if errors:
        print("\nERRORS:")
        print("\n".join(errors))
        sys.exit(1)
    print("\nall files valid")


if __name__ == "__main__":
    main()
