"""Versions read from the checkpointer: the history of labels, undo/redo/restore (which write
the old values as a new checkpoint; history is never rewritten) and comparison."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.config import get_config
from langgraph.pregel import Pregel

from graph.state import ProjectState

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
            for f in ("description", "duration", "grade", "speed", "narration", "shot_type")
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


def make_versions_node(get_graph: Callable[[], Pregel]) -> Callable[[ProjectState], dict[str, Any]]:
    """The `versions` node, reading history through the compiled graph it belongs to."""

    def versions(state: ProjectState) -> dict[str, Any]:
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
            diff = diff_versions(table[pair[0]]["values"], table[pair[1]]["values"])
            return {"outcome": {"kind": "compare", "a": pair[0], "b": pair[1], "diff": diff}}
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
