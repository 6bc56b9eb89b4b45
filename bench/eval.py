"""`make eval`: the router measured on held-out messages (tests/data/heldout) and the corpus's
dev split: per-intent precision and recall, the confusion matrix, slot accuracy, and how
accuracy rises with the confidence the router acts on.

    python bench/eval.py [--split test|dev|corpus-dev] [--json OUT]

The `test` split was written by someone who never saw the code and is never tuned on: report
its figures as they come out."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graph.context import Context  # noqa: E402
from nodes.intent_router import decide  # noqa: E402
from tools.intents import CONFIDENCE_THRESHOLD, INTENTS, SAMPLE_SCRIPT  # noqa: E402
from tools.train_intents import corpus  # noqa: E402

HELD = ROOT / "tests" / "data" / "heldout"


def project(state: str) -> dict[str, Any]:
    """A project in the state a message arrives in (the sample four-shot script)."""
    if state == "empty":
        return {}
    shots = [
        {**s, "id": f"s{i}", "duration": 5.0, "narration": ""} for i, s in enumerate(SAMPLE_SCRIPT["shots"])
    ]
    script = {"title": "t", "synopsis": "", "mood": "warm", "target_duration": 20.0, "shots": shots}
    out: dict[str, Any] = {"script": script, "status": "awaiting_approval", "version": "v1.0"}
    if state == "rendered":
        out.update(status="rendered", render={"path": "/tmp/video.mp4"})
    return out


def rows(split: str) -> list[dict[str, Any]]:
    """The labelled messages of a split."""
    if split == "corpus-dev":
        return [r for r in corpus() if r["split"] == "dev"]
    if split in ("test2", "dev2"):  # the second set, written later by another helper
        path = HELD / "intents2" / f"{split[:-1]}.jsonl"
    else:
        path = HELD / "intents" / f"{split}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _shots_right(label: Any, got: list[Any]) -> bool:
    want = [4 if s == "last" else s for s in label]
    return sorted(want) == sorted(int(g) for g in got)


def slot_checks(row: dict[str, Any], slots: dict[str, Any]) -> dict[str, bool]:
    """Each labelled slot of a row, right or wrong in the router's slots."""
    out: dict[str, bool] = {}
    if "shots" in row:
        out["shots"] = _shots_right(row["shots"], slots.get("shots") or slots.get("bad_shots") or [])
    if "duration" in row and row["duration"] is not None:
        got = slots.get("duration")
        out["duration"] = got is not None and abs(float(got) - float(row["duration"])) < 0.51
    if "direction" in row and isinstance(slots.get("amount"), (int, float)):
        out["direction"] = (slots["amount"] > 0) == (row["direction"] == "up")
    if "format" in row:
        out["format"] = slots.get("format") == row["format"]
    return out


def evaluate(split: str) -> dict[str, Any]:
    """Intent and slot figures of one split."""
    context = Context(use_llm=False)
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    slots_right: Counter[str] = Counter()
    slots_all: Counter[str] = Counter()
    by_confidence: list[tuple[float, bool]] = []
    misses = []
    for row in rows(split):
        analysis, _ = decide(row["text"], project(row["state"]), context)  # type: ignore[arg-type]
        got = analysis.intent
        if analysis.slots.get("clarify"):  # asked instead of acting: what it would have done
            got = analysis.slots.get("reading", got)
        confusion[row["intent"]][got] += 1
        by_confidence.append((analysis.confidence, got == row["intent"]))
        if got != row["intent"]:
            misses.append({"text": row["text"], "state": row["state"], "want": row["intent"], "got": got})
        elif got == row["intent"]:
            for name, ok in slot_checks(row, analysis.slots).items():
                slots_all[name] += 1
                slots_right[name] += ok
    total = sum(sum(c.values()) for c in confusion.values())
    right = sum(confusion[i][i] for i in confusion)
    per_intent = {}
    for intent in INTENTS:
        tp = confusion[intent][intent]
        predicted = sum(confusion[w][intent] for w in confusion)
        actual = sum(confusion[intent].values())
        per_intent[intent] = {
            "precision": round(tp / predicted, 3) if predicted else None,
            "recall": round(tp / actual, 3) if actual else None,
            "n": actual,
        }
    thresholds = {}
    for t in sorted({0.0, 0.4, CONFIDENCE_THRESHOLD, 0.5, 0.6, 0.7, 0.8}):
        kept = [ok for c, ok in by_confidence if c >= t]
        thresholds[str(t)] = {
            "kept": round(len(kept) / total, 3),
            "accuracy": round(sum(kept) / len(kept), 3) if kept else None,
        }
    return {
        "split": split,
        "messages": total,
        "intent_accuracy": round(right / total, 3),
        "slot_accuracy": round(sum(slots_right.values()) / max(1, sum(slots_all.values())), 3),
        "slots": {k: f"{slots_right[k]}/{slots_all[k]}" for k in sorted(slots_all)},
        "per_intent": per_intent,
        "confidence": thresholds,
        "confusion": {w: dict(c) for w, c in confusion.items()},
        "misses": misses,
    }


def placement(split: str) -> dict[str, Any]:
    """Shot-list changes (insert, move, delete, swap) carried out on the four-shot script: right
    when the resulting order is the one the message asks for (tests/data/heldout/placement)."""
    from tools.revise import revise
    from tools.scripts import ScriptError

    path = HELD / "placement" / f"{split}.jsonl"
    cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    start = project("script")
    ids = [s["id"] for s in start["script"]["shots"]]
    right, misses = 0, []
    for case in cases:
        analysis, _ = decide(case["text"], start, Context(use_llm=False))
        try:
            new, _ = revise(start["script"], case["text"], analysis.slots)
            order: list[Any] = [ids.index(s["id"]) + 1 if s["id"] in ids else "NEW" for s in new["shots"]]
        except (ScriptError, KeyError, ValueError) as err:
            order = [f"error: {err}"]
        ok = analysis.intent == "revise_script" and order == case["order"]
        right += ok
        if not ok:
            misses.append(
                {"text": case["text"], "want": case["order"], "got": order, "intent": analysis.intent}
            )
    return {
        "split": f"placement-{split}",
        "cases": len(cases),
        "accuracy": right / max(1, len(cases)),
        "misses": misses,
    }


ZH_SHOTS = [
    ("wide", "晨光中的公园"),
    ("close-up", "花朵绽放"),
    ("medium", "小女孩牵着狗散步"),
    ("aerial", "俯瞰城市"),
]


def _project_in(lang: str) -> dict[str, Any]:
    """The rendered four-shot project in a language (the sample script, its words in Chinese for zh)."""
    start = project("rendered")
    script = start["script"]
    script["language"] = lang
    if lang == "zh":
        for shot, (kind, desc) in zip(script["shots"], ZH_SHOTS, strict=True):
            shot.update(shot_type=kind, description=desc)
    return start


def _has_word(word: str, text: str) -> bool:
    return word.lower() in text.lower()


def _revised_right(case: dict[str, Any], before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Whether a revised script does what a held-out free-word revision asks (tests/data/heldout/revise)."""
    old, new = before["shots"], after["shots"]
    kind = case["kind"]
    if kind == "tone":
        return after.get("mood") == case["style"] and [s["description"] for s in old] == [
            s["description"] for s in new
        ]
    if kind == "subject":
        text = " ".join(s["description"] for s in new)
        return all(_has_word(w, text) for w in case["must_show"]) and not any(
            _has_word(w, text) for w in case["must_not_show"]
        )
    if len(new) != len(old):
        return False
    if kind == "ending":
        where = [len(new)]
    elif case["shots"]:
        where = [int(p) for p in case["shots"]]
    else:
        where = [
            i + 1
            for i, (a, b) in enumerate(zip(old, new, strict=True))
            if a["description"] != b["description"]
        ]
    if not where or any(old[p - 1]["description"] == new[p - 1]["description"] for p in where):
        return False
    text = " ".join(new[p - 1]["description"] for p in where)
    untouched = all(
        a["description"] == b["description"]
        for i, (a, b) in enumerate(zip(old, new, strict=True))
        if i + 1 not in where
    )
    kept = kind != "add_element" or all(old[p - 1]["description"] in new[p - 1]["description"] for p in where)
    return (
        untouched
        and kept
        and all(_has_word(w, text) for w in case["must_show"])
        and not any(_has_word(w, text) for w in case["must_not_show"])
    )


def revisions(split: str) -> dict[str, Any]:
    """Free-worded content revisions (a shot replaced, a stronger ending, an element added, a new
    subject, a change of tone) carried out on the rendered four-shot project."""
    from tools.revise import revise
    from tools.scripts import ScriptError

    path = HELD / "revise" / f"{split}.jsonl"
    cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    right, misses, kinds = 0, [], Counter()
    per_kind: Counter[str] = Counter()
    for case in cases:
        start = _project_in(case["lang"])
        analysis, _ = decide(case["text"], start, Context(use_llm=False))
        got: Any
        try:
            new, _ = revise(start["script"], case["text"], analysis.slots)
            ok = analysis.intent == "revise_script" and _revised_right(case, start["script"], new)
            got = [s["description"] for s in new["shots"]]
        except (ScriptError, KeyError, ValueError) as err:
            ok, got = False, f"error: {err}"
        kinds[case["kind"]] += 1
        per_kind[case["kind"]] += ok
        right += ok
        if not ok:
            op = analysis.slots.get("operation")
            misses.append(
                {"text": case["text"], "kind": case["kind"], "got": got, "reading": f"{analysis.intent}/{op}"}
            )
    return {
        "split": f"revise-{split}",
        "cases": len(cases),
        "accuracy": right / max(1, len(cases)),
        "per_kind": {k: f"{per_kind[k]}/{n}" for k, n in kinds.items()},
        "misses": misses,
    }


def _shown(subject: str, text: str) -> bool:
    """Whether shot descriptions show a labelled subject: an English content word of it, or the
    Chinese phrase or one of its two-character pieces."""
    low = text.lower()
    if subject.isascii():
        words = [w.rstrip("s") for w in subject.lower().split() if len(w) > 2]
        return any(w in low for w in words)
    pieces = {subject} | {subject[i : i + 2] for i in range(len(subject) - 1)}
    return any(p in text for p in pieces)


def creation(split: str) -> dict[str, Any]:
    """New projects written offline for held-out creation requests (tests/data/heldout/create):
    how many of the subjects they name the shots show, exact lengths, the platform's aspect."""
    from tools.intents import analyse
    from tools.request import aspect_of
    from tools.writing import requested_length_and_mood, write_offline

    path = HELD / "create" / f"{split}.jsonl"
    cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    from tools.scripts import ScriptError

    subjects = shown = exact = aspects = aspect_right = refused = 0
    misses = []
    for case in cases:
        reading = analyse(case["text"], None, "empty")
        total, mood = requested_length_and_mood(case["text"], reading.slots)
        try:
            script = write_offline(case["text"], case["lang"], total, mood)
        except ScriptError:  # a length the writer does not make: the router refuses it, and says so
            refused += 1
            continue
        described = " ".join(s["description"] for s in script["shots"])
        hits = [x for x in case["subjects"] if _shown(x, described)]
        subjects, shown = subjects + len(case["subjects"]), shown + len(hits)
        if case.get("duration"):
            exact += abs(sum(s["duration"] for s in script["shots"]) - float(case["duration"])) < 0.05
        if case.get("aspect"):
            aspects += 1
            aspect_right += (reading.slots.get("aspect") or aspect_of(case["text"])) == case["aspect"]
        if len(hits) < len(case["subjects"]):
            misses.append(
                {
                    "text": case["text"],
                    "missing": [x for x in case["subjects"] if x not in hits],
                    "shots": described[:160],
                }
            )
    with_length = sum(1 for c in cases if c.get("duration"))
    return {
        "split": f"create-{split}",
        "cases": len(cases),
        "subjects_shown": shown / max(1, subjects),
        "lengths_exact": exact / max(1, with_length),
        "aspect_right": aspect_right / max(1, aspects),
        "refused_lengths": refused,
        "misses": misses,
    }


def beat_cuts(split: str) -> dict[str, Any]:
    """Requests to cut to the beat (or in whole bars) told from other talk of music and rhythm
    (tests/data/heldout/beatcut), read by the router against a rendered project."""
    path = HELD / "beatcut" / f"{split}.jsonl"
    cases = (
        [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
    )
    found = hits = modes = false = 0
    misses = []
    for case in cases:
        reading, _ = decide(case["text"], project("rendered"), Context(use_llm=False))  # type: ignore[arg-type]
        got = reading.slots.get("mode") if reading.slots.get("operation") == "beat_cut" else None
        if case["label"] == "beat_cut":
            found += 1
            hits += got is not None
            modes += got == case.get("mode")
        elif got:
            false += 1
        if (got is None) == (case["label"] == "beat_cut") or (got and got != case.get("mode")):
            misses.append({"text": case["text"], "want": case.get("mode") or "other", "got": got or "other"})
    others = len(cases) - found
    return {
        "split": f"beatcut-{split}",
        "cases": len(cases),
        "recall": hits / found if found else None,
        "mode_right": modes / found if found else None,
        "false_positives": false,
        "others": others,
        "misses": misses,
    }


def _pictures(folder: Path) -> tuple[str, str]:
    """A pencil drawing (tests/test_sketch.pencil_bird) and a photo-like picture, as files."""
    import numpy as np
    from PIL import Image

    from tests.test_sketch import pencil_bird

    drawing = pencil_bird(folder / "drawing.jpg")
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:600, 0:800]
    photo = np.stack(
        [120 + 80 * np.sin(xx / 90), 140 + 60 * np.cos(yy / 70), 90 + 40 * np.sin((xx + yy) / 50)], -1
    )
    Image.fromarray(np.clip(photo + rng.normal(0, 12, photo.shape), 0, 255).astype("uint8")).save(
        folder / "photo.jpg"
    )
    return str(drawing), str(folder / "photo.jpg")


def sketches(split: str) -> dict[str, Any]:
    """Drawings sent with words (tests/data/heldout/sketch): with the pencil drawing attached,
    to a four-shot project: for a shot ('sketch_shot': that shot, its element the drawing), for
    a new shot or video ('sketch_new'); and words about drawing that send none ('other', with a
    photo attached): it must stay a picture, not be traced as a sketch."""
    import tempfile

    path = HELD / "sketch" / f"{split}.jsonl"
    cases = (
        [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
    )
    right = {"sketch_shot": 0, "sketch_new": 0, "other": 0}
    count = dict.fromkeys(right, 0)
    misses = []
    with tempfile.TemporaryDirectory(prefix="cinechat-eval-sketch-") as tmp:
        drawing, photo = _pictures(Path(tmp))
        for case in cases:
            label = case["label"]
            count[label] += 1
            picture = photo if label == "other" else drawing
            reading, _ = decide(case["text"], project("rendered"), Context(use_llm=False), [picture])  # type: ignore[arg-type]
            slots = reading.slots
            if label == "sketch_shot":
                want = 4 if case["shot"] == -1 else case["shot"]
                got = f"{slots.get('operation')} {slots.get('shots')} sketch={bool(slots.get('sketch'))} {slots.get('error', '')}"
                ok = (
                    slots.get("operation") == "image"
                    and slots.get("shots") == [want]
                    and bool(slots.get("sketch"))
                )
            elif label == "sketch_new":
                new = reading.intent == "create" or slots.get("operation") == "insert"
                got = f"{reading.intent} {slots.get('operation')} sketch={bool(slots.get('sketch'))}"
                ok = new and bool(slots.get("sketch"))
            else:
                got = f"{reading.intent} {slots.get('operation')} sketch={bool(slots.get('sketch'))}"
                ok = not slots.get("sketch")
            right[label] += ok
            if not ok:
                misses.append({"text": case["text"], "want": label, "got": got})
    return {
        "split": f"sketch-{split}",
        "cases": len(cases),
        **{f"{k}_right": (right[k] / count[k] if count[k] else None) for k in right},
        "counts": count,
        "misses": misses,
    }


def show(result: dict[str, Any], misses: bool) -> None:
    """Print a split's figures."""
    print(f"\n== {result['split']}: {result['messages']} messages")
    print(
        f"intent accuracy {result['intent_accuracy']:.3f}   slot accuracy {result['slot_accuracy']:.3f} {result['slots']}"
    )
    print(f"{'intent':14} {'prec':>6} {'recall':>6} {'n':>4}")
    for intent, m in result["per_intent"].items():
        if m["n"]:
            print(f"{intent:14} {m['precision'] or 0:6.2f} {m['recall'] or 0:6.2f} {m['n']:4}")
    print(
        "acting at confidence >= t: "
        + "  ".join(f"{t}: {v['kept']:.0%} kept, {v['accuracy']}" for t, v in result["confidence"].items())
    )
    names = [
        i
        for i in INTENTS
        if any(result["confusion"].get(i, {}).values()) or any(i in c for c in result["confusion"].values())
    ]
    short = [n[:6] for n in names]
    print("confusion (rows: wanted, columns: got)\n" + " " * 14 + " ".join(f"{s:>6}" for s in short))
    for w in names:
        row = result["confusion"].get(w, {})
        print(f"{w:14}" + " ".join(f"{row.get(g, 0) or '.':>6}" for g in names))
    if misses:
        for m in result["misses"]:
            print(f"  [{m['state']}] {m['want']} -> {m['got']}: {m['text']}")


def main() -> int:
    """Evaluate and print; optionally write JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", action="append", choices=["test", "dev", "test2", "dev2", "corpus-dev"])
    parser.add_argument("--misses", action="store_true", help="list the wrong readings (dev splits only)")
    parser.add_argument("--json")
    args = parser.parse_args()
    second = ["test2", "dev2"] if (HELD / "intents2" / "test.jsonl").exists() else []
    results = [evaluate(s) for s in args.split or ["test", "dev", *second, "corpus-dev"]]
    for r in results:
        show(r, args.misses and r["split"] not in ("test", "test2"))
    shot_splits = [s for s in args.split or ["test", "dev"] if s in ("test", "dev")]
    if "dev" in shot_splits:  # the second dev sets (written later, by another helper) are tuned on too
        shot_splits.append("dev2")
    for split in shot_splits:
        if split == "dev2":
            for extra in (placement("dev2"), revisions("dev2")):
                results.append(extra)
                print(f"== {extra['split']}: {extra['cases']} cases, right {extra['accuracy']:.3f}")
            continue
        placed = placement(split)
        results.append(placed)
        print(
            f"\n== {placed['split']}: {placed['cases']} shot-list changes, order right {placed['accuracy']:.3f}"
        )
        if args.misses and split != "test":
            for m in placed["misses"]:
                print(f"  {m['want']} -> {m['got']} ({m['intent']}): {m['text']}")
        revised = revisions(split)
        results.append(revised)
        print(
            f"== {revised['split']}: {revised['cases']} free-word revisions, right {revised['accuracy']:.3f} {revised['per_kind']}"
        )
        if args.misses and split != "test":
            for m in revised["misses"]:
                print(f"  [{m['kind']}] {m['reading']}: {m['text']}\n      -> {m['got']}")
        made = creation(split)
        results.append(made)
        print(
            f"== {made['split']}: {made['cases']} requests, subjects shown {made['subjects_shown']:.3f}, "
            f"lengths exact {made['lengths_exact']:.3f}, aspect right {made['aspect_right']:.3f}, "
            f"refused for their length {made['refused_lengths']}"
        )
        if args.misses and split != "test":
            for m in made["misses"]:
                print(f"  missing {m['missing']}: {m['text']}  || {m['shots']}")
    for split in args.split or ["test", "dev"]:
        beat = beat_cuts(split)
        if not beat["cases"]:
            continue
        results.append(beat)
        print(
            f"== {beat['split']}: {beat['cases']} messages, cut-to-the-beat requests found {beat['recall']:.3f}, "
            f"mode right {beat['mode_right']:.3f}, false readings {beat['false_positives']}/{beat['others']}"
        )
        if args.misses and split != "test":
            for m in beat["misses"]:
                print(f"  {m['want']} -> {m['got']}: {m['text']}")
        drawn = sketches(split)
        if drawn["cases"]:
            results.append(drawn)
            print(
                f"== {drawn['split']}: {drawn['cases']} messages with a picture {drawn['counts']}, right: "
                f"for a shot {drawn['sketch_shot_right']:.3f}, new shot or video {drawn['sketch_new_right']:.3f}, "
                f"not a sketch {drawn['other_right']:.3f}"
            )
            if args.misses and split != "test":
                for m in drawn["misses"]:
                    print(f"  {m['want']} -> {m['got']}: {m['text']}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
