"""Versions read through the version index in the state: the history of labels, undo/redo/
restore (which write the old values as a new checkpoint; history is never rewritten) and
comparison, each reading only the checkpoints it names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.config import get_config
from langgraph.constants import CONFIG_KEY_CHECKPOINTER
from langgraph.pregel import Pregel
from langgraph.runtime import Runtime
from langgraph.types import Overwrite

from graph.context import Context, run_context
from graph.state import ProjectState
from tools.assets import AssetStore, content_key
from tools.project import VersionEntry
from tools.replies import note
from tools.sheet import before_after

RESTORED = ("script", "settings", "render", "review", "status", "version", "version_note", "plan")

Values = Callable[[str], dict[str, Any]]


def thread_config(thread_id: str, checkpointer: Any = None) -> RunnableConfig:
    """The config that reads `thread_id` through `checkpointer` (the run's own, which under
    `langgraph dev` or a server is not the one the graph was compiled with) or the graph's."""
    conf: dict[str, Any] = {"thread_id": thread_id}
    if checkpointer is not None:
        conf[CONFIG_KEY_CHECKPOINTER] = checkpointer
    return {"configurable": conf}


def _turn_end(snap: Any) -> bool:
    """Whether a snapshot is where a turn ended: nothing left to run, or waiting for the
    user's answer to a script (the approval interrupt)."""
    return not snap.next or tuple(snap.next) == ("approval",)


def scan_index(graph: Pregel, base: RunnableConfig | str) -> dict[str, VersionEntry]:
    """The version index rebuilt from every end-of-turn checkpoint of the thread: each label's
    latest checkpoint, with its first note, parent and time (how an older thread gets one)."""
    config = thread_config(base) if isinstance(base, str) else base
    snaps = [s for s in graph.get_state_history(config) if _turn_end(s)]
    index: dict[str, VersionEntry] = {}
    for snap in reversed(snaps):  # oldest first
        label = snap.values.get("version")
        if not label:
            continue
        if label not in index:  # the turn that made a label pushed its parent on the undo stack
            index[label] = {
                "parent": (snap.values.get("undo_stack") or [None])[-1],
                "note": snap.values.get("version_note", ""),
                "time": snap.created_at or "",
                "order": len(index),
            }
        index[label]["checkpoint_id"] = snap.config["configurable"]["checkpoint_id"]
        index[label]["rendered"] = bool((snap.values.get("render") or {}).get("path"))
    return index


def version_values(graph: Pregel, base: RunnableConfig | str, entry: VersionEntry) -> dict[str, Any]:
    """A version's project values, read from the one checkpoint its index entry names."""
    config = thread_config(base) if isinstance(base, str) else base
    config = {"configurable": {**config["configurable"], "checkpoint_id": entry["checkpoint_id"]}}
    snapshot = graph.get_state(config)
    if snapshot.created_at is None:  # an unknown id reads as an empty state, which must not be restored
        thread_id = config["configurable"]["thread_id"]
        raise LookupError(f"checkpoint {entry['checkpoint_id']} of thread {thread_id} is missing")
    return {k: snapshot.values.get(k) for k in RESTORED}


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
    store = AssetStore(data_dir)
    if not (store.exists(ra.get("path")) and store.exists(rb.get("path"))):
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
    # named by what it shows, so two projects' "v1.0 against v1.1" never overwrite each other
    key = content_key([ra["path"], rb["path"], spans, pair], salt="compare-1")
    if not store.has("compare", key, "png"):
        tmp = store.tmp_path("compare", key, "png")
        before_after(
            (store.local(ra["path"]), spans[0], pair[0]), (store.local(rb["path"]), spans[1], pair[1]), tmp
        )
        store.commit(tmp, "compare", key, "png", shot=position)
    return {"path": store.ref("compare", key, "png"), "shot": position}


def _reader(
    graph: Pregel, base: RunnableConfig, published: dict[str, VersionEntry], state: ProjectState
) -> Values:
    """Reads a published label's values from the checkpoint its entry names; the current
    label's from the state, as its checkpoint is this turn's first and may still be saving."""
    current = {k: state.get(k) for k in RESTORED}

    def read(label: str) -> dict[str, Any]:
        if label == state.get("version"):
            return current
        entry = published.get(label) or scan_index(graph, base).get(label)
        if not entry or not entry.get("checkpoint_id"):  # a label whose turn never completed
            raise LookupError(label)
        return version_values(graph, base, entry)

    return read


def _history(state: ProjectState, published: dict[str, VersionEntry]) -> dict[str, Any]:
    """Every published label, oldest first, with its note and whether it has a video."""
    current = state.get("version", "")
    rows = [
        {
            "version": k,
            "note": e.get("note", ""),
            "rendered": bool(e.get("rendered")),
            "current": k == current,
        }
        for k, e in sorted(published.items(), key=lambda kv: kv[1].get("order", 0))
    ]
    return {"outcome": {"kind": "history", "versions": rows}}


def _compare(state: ProjectState, wanted: list[str], values: Values, data_dir: str) -> dict[str, Any]:
    """The difference between two versions (named, or one named and the current, or the
    current and the one before it)."""
    current = state.get("version", "")
    undo = state.get("undo_stack") or []
    pair = (
        wanted
        if len(wanted) >= 2
        else ([wanted[0], current] if wanted else ([undo[-1], current] if undo else []))
    )
    if len(pair) < 2:
        return {"outcome": {"error": "nothing_to_compare"}}
    va, vb = values(pair[0]), values(pair[1])
    diff = diff_versions(va, vb)
    image = _before_after(va, vb, diff, pair, data_dir)
    return {"outcome": {"kind": "compare", "a": pair[0], "b": pair[1], "diff": diff, "image": image}}


def _move(state: ProjectState, name: str, wanted: list[str], values: Values) -> dict[str, Any]:
    """Undo, redo or restore: the target version's values written as the new state."""
    current = state.get("version", "")
    undo, redo = list(state.get("undo_stack") or []), list(state.get("redo_stack") or [])
    steps = max(1, int((state.get("intent") or {}).get("slots", {}).get("count") or 1))
    if name == "undo":
        if not undo:
            return {"outcome": {"error": "nothing_to_undo"}}
        target = current
        for _ in range(min(steps, len(undo))):  # "undo the last two changes": two steps back
            redo.append(target)
            target = undo.pop()
    elif name == "redo":
        if not redo:
            return {"outcome": {"error": "nothing_to_redo"}}
        target = current
        for _ in range(min(steps, len(redo))):
            undo.append(target)
            target = redo.pop()
    else:
        target = wanted[0]
        if target == current:
            return {"outcome": {"error": "already_current", "version": target}}
        undo.append(current)
        redo = []
    restored = values(target)
    render = restored.get("render") or {}
    return {
        **restored,
        "undo_stack": undo,
        "redo_stack": redo,
        "outcome": {"kind": name, "from": current, "to": target, "path": render.get("path"), "steps": steps},
    }


def make_versions_node(
    get_graph: Callable[[], Pregel],
) -> Callable[[ProjectState, Runtime[Context]], dict[str, Any]]:
    """The `versions` node, reading the checkpoints its index names through the compiled graph
    and the run's checkpointer (the CLI's, Chainlit's, or a LangGraph server's)."""

    def versions(state: ProjectState, runtime: Runtime[Context]) -> dict[str, Any]:
        """List, undo, redo, restore or compare versions of this thread."""
        intent = state["intent"]
        name, wanted = intent["intent"], intent["slots"].get("versions", [])
        conf = get_config()["configurable"]
        graph, base = get_graph(), thread_config(conf["thread_id"], conf.get(CONFIG_KEY_CHECKPOINTER))
        index = state.get("version_index") or {}
        migrated: dict[str, Any] = {}
        if state.get("version") and not index:  # a thread from before the index: one full scan
            index = scan_index(graph, base)
            # written whole, so the checkpoint keeps a snapshot later reads start from
            migrated = {"version_index": Overwrite(index)}
        published = {k: e for k, e in index.items() if e.get("checkpoint_id")}
        unknown = [v for v in wanted if v not in published]
        if not published:
            update: dict[str, Any] = {"outcome": {"error": "no_versions"}}
        elif name == "history":
            update = _history(state, published)
        elif unknown:
            available = sorted(published, key=lambda k: published[k].get("order", 0))
            update = {"outcome": {"error": "unknown_version", "wanted": unknown, "available": available}}
        else:
            values = _reader(graph, base, published, state)
            try:
                if name == "compare":
                    update = _compare(state, wanted, values, run_context(runtime.context).data_dir)
                else:
                    update = _move(state, name, wanted, values)
            except LookupError as missing:  # never a KeyError: the label is reported unavailable
                available = sorted(published, key=lambda k: published[k].get("order", 0))
                update = {
                    "outcome": {
                        "error": "unknown_version",
                        "wanted": [str(missing.args[0])],
                        "available": available,
                    }
                }
            then = intent["slots"].get("then")
            if then and not update["outcome"].get("error"):  # 'not that one': the edit again, elsewhere
                update["intent"] = then
                shot = intent["slots"].get("wrong")
                update["notes"] = [
                    note(
                        "other_shot",
                        undone=update["outcome"]["from"],
                        wrong=shot,
                        shots=then["slots"]["shots"][0],
                    )
                ]
        return {**migrated, **update}

    return versions
