"""The video generator: each shot rendered to a clip (cached by its key) in parallel, then the
clips joined in order."""

from __future__ import annotations

import time
from typing import Any

from langgraph.config import get_stream_writer
from langgraph.runtime import Runtime

from graph.context import Context, run_context
from graph.state import ProjectState, ShotTask, version_bump
from tools import load
from tools.assets import AssetStore
from tools.plan import RunProgress, model_names, picture_key, shot_backends
from tools.project import Render, ShotResult
from tools.renderer import assemble, boundaries, render_clip
from tools.replies import rerender_note

_progress = RunProgress()


def render_shot(task: ShotTask, runtime: Runtime[Context]) -> dict[str, Any]:
    """Render one planned shot unless its clip is already in the store."""
    store = AssetStore(run_context(runtime.context).data_dir)
    item, writer = task["spec"], get_stream_writer()
    key, started = item["key"], time.monotonic()
    cached = store.has("clips", key, "mp4")
    shot = {"shot": task["index"] + 1, "of": task["total"], "node": "render_shot"}
    info: dict[str, Any] = {"backend": "cache"}
    if not cached:
        tmp = store.tmp_path("clips", key, "mp4")
        kept = store.root / "generated"  # diffusion frames, reused by edits that only grade

        def step(done: int, total: int) -> None:
            writer({"stage": "diffusion", "percent": round(100 * done / total), **shot})

        if run_context(runtime.context).render == "celery":  # a render worker makes and stores it
            from tools import jobs

            info = jobs.render(item["spec"], item.get("image_path"), store.root, key, item["shot_id"], step)
        else:
            with load.rendering():  # the backlog that degrades new renders under load
                image = store.local(picture) if (picture := item.get("image_path")) else None
                info = render_clip(item["spec"], tmp, image, step, kept)
            if info.get("fallback"):
                # an animatic stand-in is not what the spec asked for: not cached under its key
                store.commit(tmp, "fallback", key, "mp4", shot=item["shot_id"])
            else:
                store.commit(tmp, "clips", key, "mp4", shot=item["shot_id"])
    percent, eta = _progress.tick(task["run"], task["total"])
    writer({"stage": "render", "percent": round(percent, 1), "eta": round(eta, 1), "cached": cached, **shot})
    result: ShotResult = {
        "key": key,
        "path": store.ref("fallback" if info.get("fallback") else "clips", key, "mp4"),
        "cached": cached,
        "backend": info,
        "seconds": round(time.monotonic() - started, 3),
    }
    return {"shot_results": {item["shot_id"]: result}}


def video_generator(state: ProjectState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Join the rendered clips in script order into the picture track."""
    store = AssetStore(run_context(runtime.context).data_dir)
    plan = state.get("plan") or []
    results = state.get("shot_results") or {}
    clips = [results[item["shot_id"]] for item in plan]
    cuts = boundaries(state.get("script") or {}, state.get("settings") or {})
    key = picture_key(clips, cuts)
    if not store.has("video", key, "mp4"):
        tmp = store.tmp_path("video", key, "mp4")
        assemble(
            [store.local(c["path"]) for c in clips], cuts, int(plan[0]["spec"]["fps"]) if plan else 24, tmp
        )
        store.commit(tmp, "video", key, "mp4")
    get_stream_writer()({"stage": "assemble", "percent": 100, "node": "video_generator"})
    before = state.get("render") or {}
    gate_round = (state.get("gate") or {}).get("round")
    rendered = sum(1 for c in clips if not c["cached"])
    # a gate round re-renders within the turn: its counts and backends add to the first render's
    made_before = (before.get("backends") or []) if gate_round else []
    rendered += int(before.get("rendered", 0)) if gate_round else 0
    backends = shot_backends(clips, made_before)
    update: dict[str, Any] = {}
    if (
        (state.get("intent") or {}).get("intent") == "generate"
        and before.get("picture_key") not in (None, "", key)
        and not gate_round
    ):  # rendered again with another picture (a model or a setting changed): a new version
        models = model_names(backends)
        update = version_bump(state, rerender_note(models, state.get("language", "zh")))
    render: Render = {
        "backends": backends,
        "picture": store.ref("video", key, "mp4"),
        "picture_key": key,
        "clips": [c["key"] for c in clips],
        "rendered": rendered,
        "cached": max(0, len(clips) - rendered),
    }
    return {**update, "render": render}
