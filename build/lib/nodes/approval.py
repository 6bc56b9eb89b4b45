"""The approval agent: a written script waits here for the user's answer, as a LangGraph
`interrupt` (human in the loop). Any answer resumes it, not only a yes: the message goes to the
router like any other, so "go ahead" renders, "make shot 2 longer" revises and "undo" undoes."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage
from langgraph.types import interrupt

from graph.state import ProjectState


def as_message(answer: Any) -> BaseMessage:
    """The user's answer as a message: a message as it is, a dict's content and attachments,
    or any other value as its text."""
    if isinstance(answer, BaseMessage):
        return answer
    if isinstance(answer, dict):
        kwargs = answer.get("additional_kwargs") or {}
        return HumanMessage(content=str(answer.get("content", "")), additional_kwargs=kwargs)
    return HumanMessage(content="" if answer is None else str(answer))


def approval(state: ProjectState) -> dict[str, Any]:
    """Wait for the user's answer to the script, then pass it on as the next message."""
    answer = interrupt(
        {
            "status": state.get("status"),
            "version": state.get("version"),
            "reply": state.get("reply", ""),
            "choices": state.get("choices") or [],
        }
    )
    return {"messages": [as_message(answer)]}
