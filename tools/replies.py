"""The replies, formatted from plain values: what a turn did (codes and numbers from the tools
and nodes) filled into the catalogues' sentences (tools/data/text/<lang>/replies.json,
errors.json, review.json) and the buttons under a reply (ui.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tools import catalog
from tools import review as review_text
from tools.edits import help_lines
from tools.lexicon import mood_label, shot_label
from tools.project import Choice, PlanItem, Problem, Render, Review, Script


class _Lenient(dict[str, Any]):
    """Format values where a missing field reads '?', so a reply never fails on a missing detail."""

    def __missing__(self, key: str) -> str:
        return "?"


def file_name(path: str | None) -> str:
    """A stored file as a reply names it: its name only, never where it lies on the server
    (the CLI, on the same machine, puts the whole path back)."""
    from pathlib import PurePath

    return PurePath(path).name if path else ""


def fill(lang: str, key: str, /, **params: Any) -> str:
    """The catalogue text `key` ('domain.name') in `lang`, filled in with `params`."""
    return str(catalog.raw(lang, key)).format_map(_Lenient(params))


def _say(lang: str, name: str, /, **params: Any) -> str:
    return fill(lang, f"replies.{name}", **params)


def shot_lines(script: Script, lang: str, new_id: str | None = None) -> str:
    """The script's shots, one numbered line each, the new one marked."""
    return "\n".join(
        _say(
            lang,
            "shots_line",
            n=i + 1,
            label=shot_label(s["shot_type"], lang),
            desc=s["description"],
            dur=s["duration"],
        )
        + (_say(lang, "new") if s["id"] == new_id else "")
        for i, s in enumerate(script["shots"])
    )


def score_name(score: str, lang: str) -> str:
    """The name of a script score ('pacing', 'story_flow', ...)."""
    key = f"replies.score_{score}"
    return fill(lang, key) if catalog.has(lang, key) else score


def quality(review: Review, lang: str) -> str:
    """The script's scores in one line, and how the last change moved them."""
    sc = review["scores"]
    lines = [
        _say(
            lang,
            "quality",
            overall=review["overall"],
            flow=review["story_flow"],
            cont=sc["continuity"]["score"],
            pace=sc["pacing"]["score"],
        )
    ]
    delta = {k: v for k, v in (review.get("delta") or {}).items() if abs(v) >= 0.05}
    if delta:
        items = ", ".join(f"{score_name(k, lang)} {v:+.1f}" for k, v in delta.items())
        lines.append(_say(lang, "improve", items=items))
    return "\n".join(lines)


def change_text(change: dict[str, Any], script: Script, lang: str) -> str:
    """What a script revision did, in one line."""
    op, total = change.get("op"), sum(s["duration"] for s in script["shots"])
    if op == "swap":
        return _say(lang, "swap", a=change["positions"][0], b=change["positions"][1])
    if op == "move":
        return _say(lang, "move", a=change["from"], b=change["to"])
    if op == "total_duration":
        return _say(lang, "total_duration", a=change["from"], b=change["to"])
    if op == "tone":
        return _say(
            lang,
            "tone",
            a=mood_label(str(change.get("from") or "warm"), lang),
            b=mood_label(str(change["to"]), lang),
        )
    pos = change.get("position") or ", ".join(map(str, change.get("positions", [])))
    if op in ("ending", "add_element", "subject", "retopic"):
        extra = {k: change.get(k, "") for k in ("desc", "what", "a", "b", "topic", "n")}
        return _say(lang, str(op), pos=pos, **extra)
    return _say(lang, str(op), pos=pos, total=total, sec=change.get("seconds", 0))


def version_note(change: dict[str, Any], script: Script, lang: str) -> str:
    """A version's note in the user's language: the new project's title or what a revision did."""
    if change.get("op") == "create":
        return _say(lang, "note_create", title=script["title"])
    return change_text(change, script, lang).removeprefix("🔄").strip()


def rerender_note(models: list[str], lang: str) -> str:
    """The note of a version that is the same project rendered again (with other models)."""
    return _say(lang, "note_rerender", models=f" ({', '.join(models)})" if models else "")


def script_reply(
    script: Script, change: dict[str, Any], version: str | None, review: Review | None, lang: str
) -> str:
    """A new or revised script with its shots and quality (without what to do next)."""
    if change.get("op") == "create":
        head = _say(lang, "create") + " "
        head += _say(
            lang,
            "script_done",
            version=version,
            title=script["title"],
            mood=mood_label(script.get("mood", "warm"), lang),
            total=script["duration"],
            synopsis=script["synopsis"],
            shots=shot_lines(script, lang),
        )
    else:
        head = _say(
            lang,
            "script_revised",
            version=version,
            change=change_text(change, script, lang),
            shots=shot_lines(script, lang, change.get("shot_id")),
        )
    return "\n\n".join([head, quality(review, lang)] if review else [head])


def ask_after_script(change: dict[str, Any], lang: str) -> str:
    """What the user can say next about a script that is not rendered yet."""
    return _say(lang, "ask_generate" if change.get("op") == "create" else "ask_after_revision")


def _backend_lines(backends: list[dict[str, Any]], lang: str) -> list[str]:
    made: dict[tuple[str, str], list[str]] = {}
    for b in backends:
        if b.get("backend") == "diffusion":
            how = "how_keyframe" if b.get("keyframe") else "how_" + str(b.get("kind"))
            desc = _say(lang, how, keyframe=Path(str(b.get("keyframe"))).name)
            desc += _say(lang, "reused") if b.get("reused") else ""
            made.setdefault((Path(str(b.get("model"))).name, desc), []).append(str(b["shot"]))
    lines = [
        _say(
            lang,
            "generated" if len(numbers) == 1 else "generated_many",
            shots=_say(lang, "list_sep").join(numbers),
            model=model,
            how=desc,
        )
        for (model, desc), numbers in made.items()
    ]
    for b in backends:
        if b.get("fallback"):
            which = "fallback" if b.get("backend") == "animatic" else "fallback_still"
            lines.append(_say(lang, which, shot=b["shot"], why=b["fallback"]))
        if "oom_retry" in (b.get("notes") or []):
            lines.append(_say(lang, "oom_retry", shot=b["shot"]))
    return lines


def _overflow_line(render: Render, plan: list[PlanItem], lang: str) -> list[str]:
    over = [n for n in render.get("narration") or [] if n.get("overflow", 0) > 0]
    if not over:
        return []
    numbers = {p["shot_id"]: i + 1 for i, p in enumerate(plan)}
    nums = [numbers.get(n["shot_id"], 0) for n in over]
    need = max(1.0, round(over[0]["spoken"] + 0.5))
    return [_say(lang, "overflow", shots=",".join(map(str, nums)), first=nums[0], need=need)]


def render_reply(
    render: Render,
    review: Review | None,
    fixed: list[dict[str, Any]],
    plan: list[PlanItem],
    version: str | None,
    lang: str,
) -> str:
    """A finished render: where the video is, how it was made, what the gate fixed and found."""
    lines = [
        _say(
            lang,
            "rendered",
            version=version,
            path=file_name(render.get("path")),
            dur=render.get("duration", 0),
            w=render.get("width"),
            h=render.get("height"),
            r=render.get("rendered", 0),
            c=render.get("cached", 0),
        )
    ]
    lines += _backend_lines(render.get("backends") or [], lang)
    lines += gate_lines(fixed, lang)
    problems = (review or {}).get("problems") or []
    if problems:
        lines += [_say(lang, "problems"), *problem_lines(problems, lang)]
    lines += _overflow_line(render, plan, lang)
    return "\n".join(lines) + "\n\n" + _say(lang, "ask_after_render")


def edit_reply(outcome: dict[str, Any], what: str, version: str | None, lang: str) -> str:
    """What an edit changed (`what`: the edit in words, with its direction and new value)."""
    o = outcome
    if o.get("unchanged"):
        return _say(lang, "edit_unchanged", what=what)
    if o.get("clamped"):
        what += _say(lang, "clamped")
    if o.get("picked"):
        what += "\n" + _say(lang, "picked", shot=o["picked"])
    if o.get("moved"):
        items = ", ".join(_say(lang, "moved_item", shot=m[0], a=m[1], b=m[2]) for m in o["moved"])
        what += "\n" + _say(lang, "moved", items=items)
    return _say(lang, "edit_done" if o.get("rerender") else "edit_planned", version=version, what=what)


def note_text(stored: str, lang: str) -> str:
    """A version note as the history shows it: notes written by earlier releases as operation
    names ('insert', 'create: 春日公园', 're-render (sd)') in words of the user's language."""
    if stored.startswith("create: "):
        return _say(lang, "note_create", title=stored.removeprefix("create: "))
    name, _, rest = stored.partition(" (")
    if catalog.has(lang, f"replies.legacy_{name}"):
        return _say(lang, f"legacy_{name}") + (f" ({rest}" if rest else "")
    return stored


def history_reply(versions: list[dict[str, Any]], lang: str) -> str:
    """The version list, the current one marked."""
    rows = [
        _say(
            lang,
            "history_row",
            version=r["version"],
            note=note_text(r["note"], lang),
            cur=_say(lang, "current") if r["current"] else "",
            rendered=_say(lang, "has_video") if r["rendered"] else "",
        )
        for r in versions
    ]
    return "\n".join([_say(lang, "history_head"), *rows])


def field_name(field: str, lang: str) -> str:
    """The name of a shot field ('grade', 'duration', ...) as a comparison lists it."""
    key = f"replies.field_{field}"
    return fill(lang, key) if catalog.has(lang, key) else field


def compare_reply(outcome: dict[str, Any], lang: str) -> str:
    """What differs between two versions, with the before/after image when there is one."""
    d = outcome["diff"]
    rows = [
        _say(lang, "cmp_added", pos=a["position"], desc=a["description"], dur=a["duration"])
        for a in d["added"]
    ]
    rows += [_say(lang, "cmp_removed", pos=r["position"], desc=r["description"]) for r in d["removed"]]
    rows += [
        _say(
            lang,
            "cmp_changed",
            pos=c["to"],
            desc=c["description"],
            fields=", ".join(field_name(f, lang) for f in c["fields"] or ["position"]),
        )
        for c in d["changed"]
    ]
    rows += [_say(lang, "cmp_settings", k=k, a=v[0], b=v[1]) for k, v in d["settings"].items()]
    if abs(d["duration"][0] - d["duration"][1]) > 0.05:
        rows.append(_say(lang, "cmp_total", a=d["duration"][0], b=d["duration"][1]))
    if outcome.get("image"):
        rows.append(
            _say(lang, "cmp_image", path=file_name(outcome["image"]["path"]), shot=outcome["image"]["shot"])
        )
    head = _say(lang, "compare_head", a=outcome["a"], b=outcome["b"])
    return "\n".join([head, *(rows or [_say(lang, "cmp_none")])])


def version_change_reply(outcome: dict[str, Any], lang: str) -> str:
    """An undo, redo or restore: from which version to which, and the video of the new one."""
    text = _say(lang, outcome["kind"], a=outcome["from"], b=outcome["to"])
    return text + (_say(lang, "video_at", path=file_name(outcome["path"])) if outcome.get("path") else "")


def _reason(value: Any, lang: str) -> str:
    return str(value.get(lang) or value.get("en")) if isinstance(value, dict) else str(value)


def problem_line(problem: Problem, lang: str) -> str:
    """One problem as a list line: what was found, and what the user can say about it."""
    stored: dict[str, Any] = dict(problem)
    if "values" in stored:
        found, say = review_text.problem_text(lang, problem), review_text.problem_say(lang, problem)
    else:  # a review stored before problems were codes carries its own words
        found = _reason(stored.get("detail", stored["code"]), lang)
        say = (stored.get("suggestion") or {}).get(lang)
    return f"- {found}" + (_say(lang, "say", text=say) if say else "")


def score_reason(criterion: str, score: dict[str, Any], lang: str) -> str:
    """Why a script score is what it is."""
    if "values" in score:
        return review_text.score_reason(lang, criterion, score["values"])
    return _reason(score["reason"], lang)  # stored before reasons were values


def problem_lines(problems: list[Problem], lang: str) -> list[str]:
    """One line per problem."""
    return [problem_line(p, lang) for p in problems]


def gate_lines(fixed: list[dict[str, Any]], lang: str) -> list[str]:
    """One line per defect the quality gate fixed on its own."""
    return [
        _say(
            lang,
            f"fixed_{f['code']}" + ("_motes" if f.get("value") == "motes" else ""),
            shot=f.get("shot"),
            value=f.get("value"),
        )
        for f in fixed
    ]


def review_reply(review: Review, fixed: list[dict[str, Any]], version: str | None, lang: str) -> str:
    """The quality report: scores with reasons, measurements, fixes, problems and critique."""
    rows = [_say(lang, "review_head", version=version, overall=review.get("overall"))]
    rows += [
        _say(lang, "review_row", name=score_name(k, lang), score=v["score"], reason=score_reason(k, v, lang))
        for k, v in review.get("scores", {}).items()
    ]
    measured = review.get("measured")
    if measured:
        rows.append(_say(lang, "measured", lufs=measured["loudness"], tp=measured["true_peak"]))
    probs = review.get("problems") or []
    rows += gate_lines(fixed, lang)
    if probs:
        rows.append(_say(lang, "problems"))
        rows += problem_lines(probs, lang)
    elif measured:
        rows.append(_say(lang, "no_problems"))
    if review.get("critique"):
        rows.append(_say(lang, "critique", text=review["critique"]))
    return "\n".join(rows)


def export_reply(outcome: dict[str, Any], lang: str) -> str:
    """Where an export went and how large it is."""
    return _say(
        lang,
        "export",
        fmt=outcome["format"].upper(),
        path=file_name(outcome["path"]),
        mb=outcome["bytes"] / 1e6,
    )


def error_reply(code: str, slots: dict[str, Any], outcome: dict[str, Any], lang: str) -> str:
    """The reply to an error code (tools.errors.CODES) with the router's slots and the acting
    node's details; a code without a reply reads as 'unclear' rather than a bare code."""
    details = {**slots, **outcome}
    if "bad_shots" in details:
        details["bad"] = ", ".join(map(str, details["bad_shots"]))
    if "wanted" in details:
        details["wanted"] = ", ".join(details["wanted"])
        details["available"] = ", ".join(details["available"])
    if code == "bad_duration":
        details.setdefault("value", slots.get("duration"))
    key = f"errors.{code}"
    return fill(lang, key, **details) if catalog.has(lang, key) else _say(lang, "unclear")


def notes_text(notes: list[str], lang: str) -> str:
    """The turn's provider fallbacks ('llm_fallback:<why>', 'tts_fallback:<why>',
    'moderation_fallback:<why>'), one
    paragraph each, or ''."""
    text = ""
    for kind in ("llm_fallback", "tts_fallback", "moderation_fallback"):
        why = [n.split(":", 1)[1] for n in notes if n.startswith(kind + ":")]
        if "CircuitOpen" in why:  # skipped after repeated failures, not tried this time
            text += "\n\n" + _say(lang, f"{kind}_paused")
        elif why:
            text += "\n\n" + _say(lang, kind, why=", ".join(why))
    for note in notes:  # 'note:<code>|<json params>': a remark with its values
        if note.startswith("note:"):
            code, _, raw = note[5:].partition("|")
            params = json.loads(raw) if raw else {}
            text += "\n\n" + _say(lang, f"note_{code}", **params)
    return text


def undrawn_notes(
    script: Script, before: Script | None, lang: str, models: dict[str, str] | None = None
) -> list[str]:
    """The remark that names what the animatic cannot draw ("画不出：灯塔（镜头 2）"): the
    things a shot's description names that neither the painter nor an icon draws, and that
    the same shot did not already fail to draw before this turn. With a diffusion model
    configured, it says that model paints the whole description."""
    old = {s.get("id"): set(s.get("undrawn") or []) for s in (before or {}).get("shots", [])}
    items = []
    for n, shot in enumerate(script.get("shots", []), 1):
        new = [w for w in shot.get("undrawn") or [] if w not in old.get(shot.get("id"), set())]
        if new:
            items.append(_say(lang, "undrawn_item", words=_say(lang, "list_sep").join(new), shot=n))
    if not items:
        return []
    model = (models or {}).get("t2i") or (models or {}).get("t2v")
    hint = _say(lang, "undrawn_model", model=model) if model else _say(lang, "undrawn_hint")
    return [note("undrawn", items=_say(lang, "list_sep").join(items), hint=hint)]


def note(code: str, **params: Any) -> str:
    """A remark for the reply, as the notes list carries it."""
    return f"note:{code}|{json.dumps(params, ensure_ascii=False)}" if params else f"note:{code}"


def help_reply(lang: str) -> str:
    """What can be asked, with examples: making and revising the script and the versions, and
    between them the edit operations, one line per group from the edit registry."""
    edits = [_say(lang, "help_item", line=line) for line in help_lines(lang)]
    head = [
        _say(lang, "help_head"),
        _say(lang, "help_create"),
        _say(lang, "help_revise"),
        _say(lang, "help_render"),
    ]
    return "\n".join([*head, *edits, _say(lang, "help_versions"), _say(lang, "help_export")])


def choices(
    lang: str, status: str | None, intent: str | None, router_error: str | None, outcome: dict[str, Any]
) -> list[Choice]:
    """The buttons under a reply: restore buttons under the history, the next steps after a
    script or a render; none after a router error on a rendered project or elsewhere."""
    if outcome.get("kind") == "history":
        restore = catalog.raw(lang, "ui.choice_restore")
        return [
            {
                "label": restore["label"].format(version=r["version"]),
                "send": restore["send"].format(version=r["version"]),
            }
            for r in outcome["versions"]
            if not r["current"]
        ]
    if status == "awaiting_approval" and intent in ("create", "revise_script", "set_duration"):
        return [
            {"label": c["label"], "send": c["send"]} for c in catalog.raw(lang, "ui.choices_after_script")
        ]
    if status == "rendered" and not router_error:
        return [
            {"label": c["label"], "send": c["send"]} for c in catalog.raw(lang, "ui.choices_after_render")
        ]
    return []


def reading(intent: str, lang: str) -> str:
    """What an intent does, in a few words ("render the video now")."""
    names = catalog.raw(lang, "ui.readings")
    return str(names.get(intent, intent))


def unclear_reply(slots: dict[str, Any], lang: str) -> str:
    """The reply when the router is not sure: the two best readings as a question, a
    friendly word to small talk, or the general question."""
    readings = [r for r in slots.get("readings") or [] if r != "unclear"]
    if slots.get("clarify") and len(readings) >= 2:
        return _say(lang, "clarify", a=reading(readings[0], lang), b=reading(readings[1], lang))
    if slots.get("clarify") and readings:
        return _say(lang, "clarify_one", a=reading(readings[0], lang))
    if slots.get("small_talk"):
        return _say(lang, "small_talk")
    return _say(lang, "unclear")


def reading_choices(readings: list[str], text: str, lang: str) -> list[Choice]:
    """A button per reading: it sends the same words as an exact command (`/generate ...`),
    which the router takes as said."""
    return [{"label": reading(r, lang), "send": f"/{r} {text}".strip()} for r in readings if r != "unclear"]
