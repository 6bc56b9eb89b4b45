"""Versions read from the checkpointer: the history of labels, undo/redo/restore (which write
the old values as a new checkpoint; history is never rewritten) and comparison."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.config import get_config
from langgraph.pregel import Pregel
from langgraph.runtime import Runtime

from graph.context import Context
from graph.state import ProjectState
from tools.sheet import before_after

RESTORED = ("script", "settings", "render", "review", "status", "version", "version_note", "plan")


def version_table(graph: Pregel, thread_id: str) -> dict[str, dict[str, Any]]:
    """Each label's latest values at the end of a turn, its first note and order, oldest first."""
    config: RunnableConfig = {"configurable": {"thread_id": thread_id}}
    snaps = [s for s in graph.get_state_history(config) if not s.next]
    table: dict[str, dict[str, Any]] = {}
    for snap in reversed(snaps):  # oldest first
        label = snap.values.get("version")
        if not label:
            continue
        entry = table.setdefault(label, {"note": snap.values.get("version_note", ""), "order": len(table)})
        entry["values"] = {k: snap.values.get(k) for k in RESTORED}
        entry["checkpoint_id"] = snap.config["configurable"]["checkpoint_id"]
    return table


def diff_versions(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """What changed from values `a` to values `b`: shots added, removed, changed; settings."""
    sa = {s["id"]: (i, s) for i, s in enumerate((a.get("script") or {}).get("shots", []))}
    sb = {s["id"]: (i, s) for i, s in enumerate((b.get("script") or {}).get("shots", []))}
    changed = []
    for sid in sa.keys() & sb.keys():
        (ia, x), (ib, y) = sa[sid], sb[sid]
        fields = [
            f
            for f in (
                "description",
                "duration",
                "grade",
                "speed",
                "narration",
                "shot_type",
                "overlays",
                "effects",
                "image",
            )
            if x.get(f) != y.get(f)
        ]
        if fields or ia != ib:
            changed.append(
                {
                    "id": sid,
                    "from": ia + 1,
                    "to": ib + 1,
                    "fields": fields,
                    "duration": [x["duration"], y["duration"]],
                    "description": y["description"],
                }
            )
    settings_a, settings_b = a.get("settings") or {}, b.get("settings") or {}
    return {
        "added": [
            {
                "position": sb[s][0] + 1,
                "description": sb[s][1]["description"],
                "duration": sb[s][1]["duration"],
            }
            for s in sb.keys() - sa.keys()
        ],
        "removed": [
            {"position": sa[s][0] + 1, "description": sa[s][1]["description"]} for s in sa.keys() - sb.keys()
        ],
        "changed": sorted(changed, key=lambda c: c["to"]),
        "settings": {
            k: [settings_a.get(k), settings_b.get(k)]
            for k in settings_a.keys() | settings_b.keys()
            if settings_a.get(k) != settings_b.get(k)
        },
        "duration": [sum(s["duration"] for _, s in sa.values()), sum(s["duration"] for _, s in sb.values())],
    }


VISUAL_FIELDS = {"description", "grade", "speed", "overlays", "image", "shot_type", "duration"}
VISUAL_SETTINGS = {"aspect", "resolution", "fps", "transition", "transitions", "captions", "caption_scale"}


def _before_after(
    va: dict[str, Any], vb: dict[str, Any], diff: dict[str, Any], pair: list[str], data_dir: str
) -> dict[str, Any] | None:
    """For a visual change between two rendered versions, the affected shot's middle frame in
    each, side by side (a PNG under the media folder)."""
    ra, rb = va.get("render") or {}, vb.get("render") or {}
    if not (ra.get("path") and rb.get("path") and Path(ra["path"]).exists() and Path(rb["path"]).exists()):
        return None
    changed = [c for c in diff["changed"] if set(c["fields"]) & VISUAL_FIELDS]
    if not changed and not set(diff["settings"]) & VISUAL_SETTINGS:
        return None
    sid = changed[0]["id"] if changed else None
    spans = []
    for values in (va, vb):
        plan = values.get("plan") or []
        item = next((p for p in plan if p["shot_id"] == sid), plan[0] if plan else None)
        if item is None:
            return None
        spans.append((item["start"] + item["end"]) / 2)
    position = changed[0]["to"] if changed else 1
    out = Path(data_dir).resolve() / "compare" / f"{pair[0]}-{pair[1]}-shot{position}.png"
    before_after((ra["path"], spans[0], pair[0]), (rb["path"], spans[1], pair[1]), out)
    return {"path": str(out), "shot": position}


def make_versions_node(
    get_graph: Callable[[], Pregel],
) -> Callable[[ProjectState, Runtime[Context]], dict[str, Any]]:
    """The `versions` node, reading history through the compiled graph it belongs to."""

    def versions(state: ProjectState, runtime: Runtime[Context]) -> dict[str, Any]:
        """List, undo, redo, restore or compare versions of this thread."""
        intent = state["intent"]
        name, wanted = intent["intent"], intent["slots"].get("versions", [])
        thread_id = get_config()["configurable"]["thread_id"]
        table = version_table(get_graph(), thread_id)
        current = state.get("version", "")
        if not table:
            return {"outcome": {"error": "no_versions"}}
        if name == "history":
            rows = [
                {
                    "version": k,
                    "note": v["note"],
                    "rendered": bool((v["values"].get("render") or {}).get("path")),
                    "current": k == current,
                }
                for k, v in sorted(table.items(), key=lambda kv: kv[1]["order"])
            ]
            return {"outcome": {"kind": "history", "versions": rows}}
        unknown = [v for v in wanted if v not in table]
        if unknown:
            return {
                "outcome": {
                    "error": "unknown_version",
                    "wanted": unknown,
                    "available": sorted(table, key=lambda k: table[k]["order"]),
                }
            }
        if name == "compare":
            undo = state.get("undo_stack") or []
            pair = (
                wanted
                if len(wanted) >= 2
                else ([wanted[0], current] if wanted else ([undo[-1], current] if undo else []))
            )
            if len(pair) < 2:
                return {"outcome": {"error": "nothing_to_compare"}}
            va, vb = table[pair[0]]["values"], table[pair[1]]["values"]
            diff = diff_versions(va, vb)
            image = _before_after(va, vb, diff, pair, (runtime.context or Context()).data_dir)
            return {"outcome": {"kind": "compare", "a": pair[0], "b": pair[1], "diff": diff, "image": image}}
        undo, redo = list(state.get("undo_stack") or []), list(state.get("redo_stack") or [])
        if name == "undo":
            if not undo:
                return {"outcome": {"error": "nothing_to_undo"}}
            target = undo.pop()
            redo.append(current)
        elif name == "redo":
            if not redo:
                return {"outcome": {"error": "nothing_to_redo"}}
            target = redo.pop()
            undo.append(current)
        else:
            target = wanted[0]
            if target == current:
                return {"outcome": {"error": "already_current", "version": target}}
            undo.append(current)
            redo = []
        values = table[target]["values"]
        render = values.get("render") or {}
        return {
            **values,
            "undo_stack": undo,
            "redo_stack": redo,
            "outcome": {"kind": name, "from": current, "to": target, "path": render.get("path")},
        }

    return versions
