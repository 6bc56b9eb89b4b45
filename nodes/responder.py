"""The responder: the reply in the user's language, with what changed and the next choices.

It only picks what to say; the sentences are filled in from the catalogues by tools/replies.py."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from graph.state import ProjectState, last_user_text
from tools import catalog, replies
from tools.edits import describe


def _language(state: ProjectState) -> str:
    lang = state.get("language")
    return lang if lang in catalog.LANGUAGES else "en"


def _fixed(state: ProjectState) -> list[dict[str, Any]]:
    return (state.get("gate") or {}).get("fixed") or []


def _render_text(state: ProjectState, lang: str) -> str:
    render, plan = state.get("render") or {}, state.get("plan") or []
    return replies.render_reply(render, state.get("review"), _fixed(state), plan, state.get("version"), lang)


def _script_text(state: ProjectState, lang: str) -> str:
    change = state["outcome"].get("change", {})
    text = replies.script_reply(
        state["script"] or {}, change, state.get("version"), state.get("review"), lang
    )
    if state["outcome"].get("rerender"):  # a revision of a rendered project renders at once
        return text + "\n\n" + _render_text(state, lang)
    return text + "\n\n" + replies.ask_after_script(change, lang)


def _edit_text(state: ProjectState, lang: str) -> str:
    outcome = state["outcome"]
    what = describe(outcome["op"], outcome, outcome, lang)
    text = replies.edit_reply(outcome, what, state.get("version"), lang)
    return text + "\n" + _render_text(state, lang) if outcome.get("rerender") else text


def compose_reply(state: ProjectState) -> str:
    """The reply text for this turn's intent and outcome."""
    lang = _language(state)
    intent = state.get("intent") or {}
    slots = intent.get("slots", {})
    outcome = state.get("outcome") or {}
    kind = outcome.get("kind")
    error = slots.get("error") or outcome.get("error")
    if error:
        text = replies.error_reply(error, slots, outcome, lang)
    elif intent.get("intent") == "help":
        text = replies.help_reply(lang)
    elif intent.get("intent") == "unclear":
        text = replies.unclear_reply(slots, lang)
    elif kind == "script":
        text = _script_text(state, lang)
    elif kind == "edit":
        text = _edit_text(state, lang)
    elif kind == "export":
        text = replies.export_reply(outcome, lang)
    elif kind == "history":
        text = replies.history_reply(outcome["versions"], lang)
    elif kind == "compare":
        text = replies.compare_reply(outcome, lang)
    elif kind in ("undo", "redo", "restore"):
        text = replies.version_change_reply(outcome, lang)
    elif kind == "review":
        text = replies.review_reply(state.get("review") or {}, _fixed(state), state.get("version"), lang)
    else:
        text = _render_text(state, lang)
    return text + replies.notes_text(state.get("notes") or [], lang)


def responder(state: ProjectState) -> dict[str, Any]:
    """Write the reply and the buttons under it, and add the reply to the conversation."""
    text = compose_reply(state)
    intent = state.get("intent") or {}
    choices = replies.choices(
        _language(state),
        state.get("status"),
        intent.get("intent"),
        intent.get("slots", {}).get("error"),
        state.get("outcome") or {},
    )
    if intent.get("slots", {}).get("clarify"):
        choices = replies.reading_choices(
            intent["slots"].get("readings") or [], last_user_text(state), _language(state)
        )
    return {"reply": text, "messages": [AIMessage(content=text)], "choices": choices}
