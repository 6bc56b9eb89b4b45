"""The video generator: each shot rendered to a clip (cached by its key) in parallel, then the
clips joined in order."""

from __future__ import annotations

import threading
import time
from typing import Any

from langgraph.config import get_stream_writer
from langgraph.runtime import Runtime

from graph.context import Context
from graph.state import ProjectState, ShotTask, version_bump
from tools.assets import AssetStore, content_key
from tools.renderer import assemble, boundaries, render_clip

_progress_lock = threading.Lock()
_progress: dict[str, dict[str, float]] = {}


def _tick(run: str, total: int) -> tuple[float, float]:
    """Count one finished shot of a run; returns (percent, eta seconds)."""
    with _progress_lock:
        rec = _progress.setdefault(run, {"done": 0, "t0": time.monotonic()})
        rec["done"] += 1
        done, elapsed = rec["done"], time.monotonic() - rec["t0"]
        if done >= total:
            _progress.pop(run, None)
    return 100.0 * done / total, elapsed / done * (total - done)


def render_shot(task: ShotTask, runtime: Runtime[Context]) -> dict[str, Any]:
    """Render one planned shot unless its clip is already in the store."""
    store = AssetStore((runtime.context or Context()).data_dir)
    item = task["spec"]
    key = item["key"]
    cached = store.has("clips", key, "mp4")
    started = time.monotonic()
    info: dict[str, Any] = {"backend": "cache"}
    writer = get_stream_writer()

    def step(done: int, total: int) -> None:
        writer(
            {
                "stage": "diffusion",
                "percent": round(100 * done / total),
                "shot": task["index"] + 1,
                "of": task["total"],
                "node": "render_shot",
            }
        )

    if not cached:
        tmp = store.tmp_path("clips", key, "mp4")
        kept = store.root / "generated"  # diffusion frames, reused by edits that only grade
        info = render_clip(item["spec"], tmp, item.get("image_path"), step, kept)
        if info.get("fallback"):
            # an animatic stand-in is not what the spec asked for: not cached under its key
            path = store.path("fallback", key, "mp4")
            tmp.replace(path)
        else:
            store.commit(tmp, "clips", key, "mp4", shot=item["shot_id"])
    percent, eta = _tick(task["run"], task["total"])
    writer(
        {
            "stage": "render",
            "percent": round(percent, 1),
            "eta": round(eta, 1),
            "node": "render_shot",
            "shot": task["index"] + 1,
            "of": task["total"],
            "cached": cached,
        }
    )
    return {
        "shot_results": {
            item["shot_id"]: {
                "key": key,
                "path": str(store.path("fallback" if info.get("fallback") else "clips", key, "mp4")),
                "cached": cached,
                "backend": info,
                "seconds": round(time.monotonic() - started, 3),
            }
        }
    }


def video_generator(state: ProjectState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Join the rendered clips in script order into the picture track."""
    store = AssetStore((runtime.context or Context()).data_dir)
    plan = state.get("plan") or []
    results = state.get("shot_results") or {}
    clips = [results[item["shot_id"]] for item in plan]
    cuts = boundaries(state.get("script") or {}, state.get("settings") or {})
    ids = [c["key"] + (":fallback" if (c.get("backend") or {}).get("fallback") else "") for c in clips]
    key = content_key({"clips": ids, "boundaries": cuts})
    if not store.has("video", key, "mp4"):
        tmp = store.tmp_path("video", key, "mp4")
        fps = int(plan[0]["spec"]["fps"]) if plan else 24
        assemble([c["path"] for c in clips], cuts, fps, tmp)
        store.commit(tmp, "video", key, "mp4")
    get_stream_writer()({"stage": "assemble", "percent": 100, "node": "video_generator"})
    before = state.get("render") or {}
    gate_round = ((state.get("outcome") or {}).get("gate") or {}).get("round")
    rendered = sum(1 for c in clips if not c["cached"])
    if gate_round:  # a gate re-render adds to the turn's count
        rendered += int(before.get("rendered", 0))
    # in a gate round the clips of the turn's first render come from the cache: keep what made them
    made = {b["shot"]: b for b in before.get("backends") or []} if gate_round else {}
    backends = []
    for i, c in enumerate(clips):
        info = c.get("backend") or {}
        if info.get("backend") == "cache" and i + 1 in made:
            backends.append(made[i + 1])
        elif info:
            backends.append({"shot": i + 1, **info})
    update: dict[str, Any] = {}
    if (
        (state.get("intent") or {}).get("intent") == "generate"
        and before.get("picture_key")
        and before["picture_key"] != key
        and not gate_round
    ):  # rendered again with another picture (a model or a setting changed): a new version
        models = sorted({str(b.get("model")).rstrip("/").split("/")[-1] for b in backends if b.get("model")})
        update = version_bump(state, "re-render" + (f" ({', '.join(models)})" if models else ""))
    return {
        **update,
        "render": {
            "backends": backends,
            "picture": str(store.path("video", key, "mp4")),
            "picture_key": key,
            "clips": [c["key"] for c in clips],
            "rendered": rendered,
            "cached": max(0, len(clips) - rendered),
        },
    }
