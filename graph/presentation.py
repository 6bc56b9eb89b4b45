"""What the faces show of a turn, as plain data: a one-line summary per node step, the media of
the new state (paths the graph put there), the starters, the chat settings and model pickers,
the run settings a chat's choices make, and the contact sheet of a render. The words come from
the 'ui' catalogue (tools/data/text/<lang>/ui.json)."""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path
from typing import Any, Literal

from typing_extensions import TypedDict

from graph.context import Context, served_models
from tools import catalog, diffusion
from tools.assets import AssetStore
from tools.lexicon import shot_label
from tools.sheet import contact_sheet

SHOWS_VIDEO = {
    "generate",
    "edit_visual",
    "edit_audio",
    "undo",
    "redo",
    "restore",
    "revise_script",
    "set_duration",
}
"""The intents whose new render is shown as a video."""
STARTERS = [("zh", "spring"), ("zh", "rain"), ("en", "seaside"), ("en", "winter")]
"""The example prompts offered in an empty chat: two in Chinese, two in English."""
MODEL_KINDS = ("t2i", "t2v", "i2v")
NO_MODEL = "none"
"""A model picker's value for 'no model: the animatic renderer'."""


class Media(TypedDict, total=False):
    """A file to show under a reply: how to show it, its name, where it lies on this machine,
    and, with an object store, the link the browser loads it from instead."""

    kind: Literal["image", "video", "audio", "file"]
    name: str
    path: str
    url: str
    key: str


class Picker(TypedDict, total=False):
    """A chat setting: a select (values, or items label -> value) or a switch."""

    id: str
    label: str
    kind: Literal["select", "switch"]
    values: list[str]
    items: dict[str, str]
    initial: Any


def bilingual(key: str) -> str:
    """A face text in both languages, for what shows before the chat has a language."""
    return f"{catalog.text('en', key)} / {catalog.text('zh', key)}"


def starters() -> list[tuple[str, str]]:
    """The example prompts: (label, message)."""
    return [
        (catalog.text(lang, f"ui.starter_{name}_label"), catalog.text(lang, f"ui.starter_{name}"))
        for lang, name in STARTERS
    ]


def model_pickers(base: Context) -> list[Picker]:
    """A picker per kind of diffusion model found in the models folder (CINECHAT_MODELS_DIR,
    default models/) or the hub cache, plus the configured one; none when there is no model.
    Only model_index.json files are read: nothing is loaded until a shot is rendered."""
    offered = served_models(base)
    pickers: list[Picker] = []
    for kind in MODEL_KINDS:
        current = getattr(base, f"{kind}_model")
        options = offered[kind]
        if not options:
            continue
        items = {bilingual("ui.model_none"): NO_MODEL}
        for path in options:
            name = diffusion.label_of(path)
            items[name if name not in items else f"{name} ({path})"] = path
        label = bilingual(f"ui.setting_{kind}_model")
        pickers.append(
            {
                "id": f"{kind}_model",
                "label": label,
                "kind": "select",
                "items": items,
                "initial": current or NO_MODEL,
            }
        )
    return pickers


def chat_settings(base: Context) -> list[Picker]:
    """The chat settings: format, language and voice of new projects, the LLM switch, and the
    diffusion models; their ids are Context's field names."""
    choices = {
        "resolution": ["720p", "1080p", "2160p"],
        "aspect": ["16:9", "9:16", "1:1"],
        "language": ["zh", "en"],
        "voice": ["female", "male"],
    }
    pickers: list[Picker] = [
        {"id": name, "label": bilingual(f"ui.setting_{name}"), "kind": "select", "values": values}
        for name, values in choices.items()
    ]
    pickers.append({"id": "use_llm", "label": bilingual("ui.setting_use_llm"), "kind": "switch"})
    for picker in pickers:
        picker["initial"] = getattr(base, picker["id"])
    return pickers + model_pickers(base)


def turn_context(chosen: dict[str, Any], base: Context | None = None) -> Context:
    """The run settings of a turn: the defaults with the chat settings that name a field of
    Context over them (a model picker's 'none' is no model)."""
    base = base or Context()
    changes = {}
    for field in fields(Context):
        if field.name in chosen:
            value = chosen[field.name]
            value = "" if value in (None, NO_MODEL) else value
            changes[field.name] = type(getattr(base, field.name))(value)
    return replace(base, **changes)


def step_summary(node: str, update: Any) -> str:
    """One line on what a node's step did, for its trace."""
    if not isinstance(update, dict):
        return ""
    if node == "intent_router":
        intent = update.get("intent") or {}
        return f"{intent.get('intent')} ({intent.get('confidence')}) {intent.get('slots', {})}"
    if node == "render_shot":
        (shot_id, result), *_ = (update.get("shot_results") or {"?": {}}).items()
        return f"{shot_id}: {'cache' if result.get('cached') else 'rendered'} in {result.get('seconds', 0)}s"
    if node == "reviewer":
        review = update.get("review") or {}
        return f"overall {review.get('overall')} · problems {len(review.get('problems') or [])}"
    if node == "audio":
        render = update.get("render") or {}
        return f"{render.get('duration')}s · music {render.get('music')} · {len(render.get('narration') or [])} lines"
    if node == "responder":
        return str(update.get("reply", ""))[:200]
    return ", ".join(sorted(update.keys()))


def media(values: dict[str, Any], before: dict[str, Any], store: AssetStore) -> list[Media]:
    """The files to show under a turn's reply: the storyboard of a new script; a new render's
    video, its sound alone and its subtitles; an export; a before/after picture. The state
    names them by store key; each is given as a local file, or as a presigned link when the
    store is an object store (nothing copied through the chat server)."""
    _exists = store.exists
    intent = (values.get("intent") or {}).get("intent")
    outcome = values.get("outcome") or {}
    render = values.get("render") or {}
    version = values.get("version")
    shown: list[Media] = []
    if outcome.get("kind") == "script" and _exists(outcome.get("storyboard")):
        shown.append({"kind": "image", "name": "storyboard.png", "path": outcome["storyboard"]})
    new_render = render.get("path") and render.get("path") != (before.get("render") or {}).get("path")
    if intent in SHOWS_VIDEO and new_render and _exists(render["path"]):
        shown.append({"kind": "video", "name": f"{version}.mp4", "path": render["path"]})
        if _exists(render.get("master")):  # narration and music, to listen to alone
            shown.append({"kind": "audio", "name": f"{version}-audio.m4a", "path": render["master"]})
        if _exists(render.get("srt")):
            shown.append({"kind": "file", "name": f"{version}.srt", "path": render["srt"]})
    if outcome.get("kind") == "export" and _exists(outcome.get("path")):
        shown.append({"kind": "file", "name": Path(outcome["path"]).name, "path": outcome["path"]})
    if outcome.get("kind") == "compare" and outcome.get("image"):
        shown.append({"kind": "image", "name": "before-after.png", "path": outcome["image"]["path"]})
    for item in shown:
        link = store.url(item["path"])
        if link:
            item["url"], item["key"] = link, store.key(item["path"])
        else:
            item["path"] = str(store.local(item["path"]))
    return shown


def contact_sheet_of(values: dict[str, Any], out: str | Path, width: int, store: AssetStore) -> Path | None:
    """A contact sheet of a state's render (one labelled frame per shot), or None before one."""
    render, plan, script = values.get("render") or {}, values.get("plan") or [], values.get("script") or {}
    if not render.get("path") or not plan:
        return None
    lang = values.get("language", "zh")
    shots = {s["id"]: s for s in script.get("shots", [])}
    spans = [
        {
            "start": p["start"],
            "end": p["end"],
            "label": f"{i + 1}. {shot_label(shots[p['shot_id']]['shot_type'], lang)}: "
            f"{shots[p['shot_id']]['description']}",
        }
        for i, p in enumerate(plan)
    ]
    return contact_sheet(store.local(render["path"]), spans, out, width)
