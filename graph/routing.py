"""Pure routing functions for the conditional edges."""

from __future__ import annotations

from typing import Literal

from langgraph.types import Send

from graph.state import ProjectState

AfterRouter = Literal["script_writer", "storyboard", "editor", "reviewer", "versions", "responder"]
ROUTES: dict[str, AfterRouter] = {
    "create": "script_writer",
    "revise_script": "script_writer",
    "set_duration": "script_writer",
    "generate": "storyboard",
    "edit_visual": "editor",
    "edit_audio": "editor",
    "export": "editor",
    "review": "reviewer",
    "undo": "versions",
    "redo": "versions",
    "restore": "versions",
    "history": "versions",
    "compare": "versions",
}


def route_intent(state: ProjectState) -> AfterRouter:
    """The agent for the message: errors, help and unclear go straight to the responder."""
    intent = state.get("intent") or {}
    if intent.get("slots", {}).get("error"):
        return "responder"
    return ROUTES.get(intent.get("intent", "unclear"), "responder")


def route_after_script(state: ProjectState) -> Literal["storyboard", "reviewer", "responder"]:
    """A written script is reviewed (a revision of a rendered project is rendered first); a
    refused revision is answered."""
    outcome = state.get("outcome") or {}
    if outcome.get("error"):
        return "responder"
    return "storyboard" if outcome.get("rerender") else "reviewer"


def route_after_edit(state: ProjectState) -> Literal["storyboard", "responder"]:
    """An edit of a rendered project re-renders; otherwise the plan waits for approval."""
    outcome = state.get("outcome") or {}
    return "storyboard" if outcome.get("rerender") and not outcome.get("error") else "responder"


def route_after_versions(state: ProjectState) -> Literal["editor", "script_writer", "responder"]:
    """An undo that makes the last edit again on another shot ('not that one, the other one')
    goes on to the agent of that edit; everything else to the reply."""
    intent = (state.get("intent") or {}).get("intent")
    if (state.get("outcome") or {}).get("kind") != "undo" or intent not in (
        "edit_visual",
        "edit_audio",
        "set_duration",
    ):
        return "responder"
    return "script_writer" if intent == "set_duration" else "editor"


def route_after_review(state: ProjectState) -> Literal["storyboard", "responder"]:
    """Back to the storyboard while the gate has fixes to render, else to the reply."""
    return "storyboard" if (state.get("gate") or {}).get("pending") else "responder"


def route_after_reply(state: ProjectState) -> Literal["approval", "__end__"]:
    """A script that waits for approval waits at the approval interrupt; else the turn ends."""
    return "approval" if state.get("status") == "awaiting_approval" else "__end__"


def fan_out(state: ProjectState) -> list[Send]:
    """One `render_shot` task per planned shot, run in parallel."""
    plan = state.get("plan") or []
    run = state.get("run", "")
    return [
        Send("render_shot", {"spec": item, "index": i, "total": len(plan), "run": run})
        for i, item in enumerate(plan)
    ]
