"""`make eval` (drawing): the open-vocabulary animatic's resolver on held-out shot descriptions
(tests/data/heldout/drawing, written by someone who never saw the code).

For each visible thing a line names (its word in the text, a plain English noun for what it
is, and its action if the text gives one):
- drawn right: a drawn thing covers its word and depicts it (the icon the English noun names,
  or the painter's lexicon entry whose words hold it);
- reported: a thing not drawn is listed in `undrawn`;
- action right: among the things drawn as icons whose text gives an action, the action read;
- false alarms: words labelled invisible that `undrawn` lists.

    python bench/eval_drawing.py [--split dev|test] [--misses]

Report the test split's figures as they come out; tune on dev only."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools import drawing, icons, lexicon  # noqa: E402

HELD = ROOT / "tests" / "data" / "heldout" / "drawing"


def _depicts(thing: drawing.Thing, what: str) -> bool:
    """Whether a drawn thing stands for the labelled noun."""
    what = what.lower().strip()
    lemma = drawing._noun_lemma(what.split()[-1]) if what else what
    phrase = " ".join([*what.split()[:-1], lemma])
    if thing.icon:
        names = icons.names("en")
        if names.get(what) == thing.icon or names.get(phrase) == thing.icon:
            return True
        return lemma.replace(" ", "-") in thing.icon.split("-") or what.replace(" ", "-") == thing.icon
    key = thing.draws.split(":", 1)[1]
    scenes = lexicon.load("scenes")
    tables = ("settings", "elements", "people", "particles", "weather", "time_of_day")
    words = [w.lower() for t in tables for w in scenes[t].get(key, [])]
    return what in words or lemma in words or key == lemma


def evaluate(split: str) -> dict[str, Any]:
    """The split's figures and its misses."""
    path = HELD / f"{split}.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    things = right = drawn_any = reported = not_drawn = acts = acts_right = invisible = alarms = 0
    misses: list[dict[str, Any]] = []
    for row in rows:
        d = drawing.resolve(row["text"])
        for label in row["things"]:
            things += 1
            at = row["text"].find(label["word"])
            span = (at, at + len(label["word"]))
            cover = [t for t in d.things if t.start < span[1] and span[0] < t.end]
            ok = any(_depicts(t, label["what"]) for t in cover)
            right += ok
            drawn_any += bool(cover)
            if not cover:
                not_drawn += 1
                said = any(label["word"] in u or u in label["word"] for u in d.undrawn)
                reported += said
            if label.get("act") and cover and cover[0].icon:
                acts += 1
                acts_right += cover[0].action == label["act"]
                if cover[0].action != label["act"]:
                    misses.append(
                        {
                            "kind": "act",
                            "text": row["text"],
                            "word": label["word"],
                            "want": label["act"],
                            "got": cover[0].action,
                        }
                    )
            if not ok:
                misses.append(
                    {
                        "kind": "thing",
                        "text": row["text"],
                        "word": label["word"],
                        "what": label["what"],
                        "got": [t.draws for t in cover],
                        "undrawn": d.undrawn,
                    }
                )
        for word in row.get("invisible") or []:
            invisible += 1
            if any(word in u or u in word for u in d.undrawn):
                alarms += 1
                misses.append({"kind": "alarm", "text": row["text"], "word": word})
    return {
        "split": f"drawing-{split}",
        "lines": len(rows),
        "things": things,
        "drawn_right": right / max(1, things),
        "drawn_any": drawn_any / max(1, things),
        "undrawn_reported": reported / max(1, not_drawn),
        "not_drawn": not_drawn,
        "action_right": acts_right / max(1, acts),
        "actions": acts,
        "invisible_alarms": alarms / max(1, invisible),
        "misses": misses,
    }


def show(r: dict[str, Any]) -> None:
    """Print a split's figures."""
    print(
        f"== {r['split']}: {r['lines']} lines, {r['things']} things: drawn right {r['drawn_right']:.3f} "
        f"(drawn at all {r['drawn_any']:.3f}); of the {r['not_drawn']} not drawn, reported {r['undrawn_reported']:.3f}; "
        f"actions right {r['action_right']:.3f} of {r['actions']}; invisible words called undrawn {r['invisible_alarms']:.3f}"
    )


def main() -> int:
    """Evaluate and print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", action="append", choices=["test", "dev"])
    parser.add_argument("--misses", action="store_true", help="list the misses (dev only)")
    parser.add_argument("--json")
    args = parser.parse_args()
    results = []
    for split in args.split or ["test", "dev"]:
        r = evaluate(split)
        show(r)
        if args.misses and split == "dev":
            for m in r["misses"]:
                print("  ", json.dumps(m, ensure_ascii=False))
        results.append({k: v for k, v in r.items() if k != "misses"})
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
