"""The project state kept in every checkpoint, and the structured LLM outputs.

State values are plain JSON-like data (dicts, lists, strings), so every checkpoint can be read
back by any process without registering custom types with the serializer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, cast

from langchain_core.messages import AnyMessage, HumanMessage
from langgraph.channels.delta import DeltaChannel
from langgraph.config import get_config
from langgraph.graph.message import Messages, add_messages
from pydantic import BaseModel, Field, create_model
from typing_extensions import TypedDict

from tools import lexicon
from tools.edits import OPERATIONS, Param, decision_params
from tools.exporter import FORMATS
from tools.placement import Relation
from tools.project import (
    Choice,
    Gate,
    PlanItem,
    Render,
    Review,
    Script,
    Settings,
    ShotResult,
    VersionEntry,
)
from tools.scripts import MAX_SHOTS


def merge_results(
    left: dict[str, ShotResult] | None, right: dict[str, ShotResult] | None
) -> dict[str, ShotResult]:
    """Per-shot render results: merged as shots finish; an explicit None starts a new render."""
    if right is None:
        return {}
    return {**(left or {}), **right}


# The router reads the newest user message; the whole chat lives in the faces' own history.
MESSAGES_KEPT = 4


def recent_messages(left: Messages, right: Messages) -> list[AnyMessage]:
    """The newest few messages of the conversation, merged as `add_messages` does."""
    return cast(list[AnyMessage], add_messages(left, right))[-MESSAGES_KEPT:]


def merge_index(
    index: dict[str, VersionEntry], updates: Sequence[dict[str, VersionEntry]]
) -> dict[str, VersionEntry]:
    """The version index with each update's entries added or replaced, oldest update first."""
    merged = dict(index)
    for update in updates:
        merged.update(update)
    return merged


def add_notes(left: list[str] | None, right: list[str] | None) -> list[str]:
    """Remarks for the reply gathered over a turn; an explicit None starts the turn's list."""
    if right is None:
        return []
    return [*(left or []), *right]


class ProjectState(TypedDict, total=False):
    """Everything a project is at one checkpoint; a version is a checkpoint with a label."""

    messages: Annotated[list[AnyMessage], recent_messages]
    """The newest user and assistant turns of the conversation (a bounded window)."""
    language: str
    """'zh' or 'en': the language of the latest user message, used for the reply."""
    intent: dict[str, Any]
    """The router's decision for this turn: intent, confidence, slots, error."""
    settings: Settings
    """Output settings: aspect, resolution, fps, voice, music, captions, transition."""
    script: Script | None
    """Title, synopsis, mood, target duration and the shots."""
    plan: list[PlanItem]
    """Per-shot render specs of the latest render, with their clip keys."""
    shot_results: Annotated[dict[str, ShotResult], merge_results]
    """Clip results by shot id as the fan-out finishes them."""
    render: Render | None
    """The rendered video of this version: path, probe, clip counts."""
    review: Review | None
    """Computed scores, problems and suggestions of the latest review."""
    status: str
    """'empty', 'awaiting_approval' (script written, not rendered) or 'rendered'."""
    version: str
    """The version label of the project in this state, e.g. 'v1.1'."""
    version_note: str
    """One line on what made this version."""
    version_counter: dict[str, int]
    """Highest minor number handed out per major number, so labels never repeat."""
    undo_stack: list[str]
    """Labels to step back to with undo (pointers into the checkpoint history)."""
    redo_stack: list[str]
    """Labels to step forward to with redo."""
    version_index: Annotated[dict[str, VersionEntry], DeltaChannel(merge_index, snapshot_frequency=20)]
    """Every label this thread has had: its checkpoint, parent, note and time. Checkpoints
    store only the entries a step changed, with the whole index every 20 changes."""
    outcome: dict[str, Any]
    """What this turn's acting node did, for the responder (reset every turn)."""
    gate: Gate
    """The quality gate's rounds in this turn (reset every turn)."""
    run: str
    """The id of this turn's render, for per-shot progress (empty when nothing renders)."""
    notes: Annotated[list[str], add_notes]
    """Remarks for the reply, such as a provider fallback (reset every turn by the router)."""
    reply: str
    """The assistant's reply of this turn."""
    choices: list[Choice]
    """The buttons under the reply: a label and the words each sends."""


class ProjectInput(TypedDict):
    """What a turn takes: the user's message (text, with attachments in additional_kwargs)."""

    messages: Annotated[list[AnyMessage], recent_messages]


class ShotTask(TypedDict):
    """What the per-shot fan-out sends to `render_shot`."""

    spec: PlanItem
    index: int
    total: int
    run: str


def version_bump(state: ProjectState, note: str, new_project: bool = False) -> dict[str, Any]:
    """The state update that gives the project a new version label (v1.0 -> v1.1; a new
    project in the same thread starts the next major number), entered in the version index."""
    counter = dict(state.get("version_counter") or {})
    current = state.get("version") or ""
    if new_project or not current:
        major = max((int(k) for k in counter), default=0) + 1
        minor = 0
    else:
        major = int(current[1:].split(".")[0])
        minor = counter.get(str(major), 0) + 1
    counter[str(major)] = minor
    label = f"v{major}.{minor}"
    undo = list(state.get("undo_stack") or []) + ([current] if current else [])
    update: dict[str, Any] = {
        "version": label,
        "version_note": note,
        "version_counter": counter,
        "undo_stack": undo,
        "redo_stack": [],
    }
    index = state.get("version_index") or {}
    # a thread from before the index (a label but no entries) gets it from one full scan on
    # first use (graph/versions.py); until then that scan finds its labels
    if index or not current:
        entry: VersionEntry = {
            "checkpoint_id": None,  # published when its turn completes (see publish_version)
            "parent": current or None,
            "note": note,
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "order": len(index),
            "rendered": False,
        }
        update["version_index"] = {label: entry}
    return update


def publish_version(state: ProjectState) -> dict[str, Any]:
    """At the start of a turn, the index update that points the current label at the
    checkpoint this turn starts from: it holds the label's values as the last turn ended."""
    index, current = state.get("version_index"), state.get("version")
    start = get_config()["configurable"].get("checkpoint_map", {}).get("")
    if not index or not current or not start:  # no label yet, or a thread not yet migrated
        return {}
    entry: VersionEntry = {
        **index[current],
        "checkpoint_id": start,
        "rendered": bool((state.get("render") or {}).get("path")),
    }
    return {"version_index": {current: entry}}


IntentName = Literal[
    "create",
    "revise_script",
    "set_duration",
    "generate",
    "edit_visual",
    "edit_audio",
    "review",
    "undo",
    "redo",
    "restore",
    "history",
    "compare",
    "export",
    "help",
    "unclear",
]


Revision = Literal["insert", "delete", "swap", "move", "rewrite", "tone", "ending", "add_element", "subject"]
"""The script writer's changes (tools/revise.py): shot-list changes, a new style, a stronger ending,
an element added to the shots, a new subject or topic for the same project."""
STYLES: tuple[str, ...] = tuple(lexicon.load("requests")["styles"])
"""The style keys a script's mood can take (tools/data/requests.json)."""


class DecisionCore(BaseModel):
    """What every answer of the LLM router holds; `IntentDecision` adds the edit operation and
    its parameters from the registry of edit operations."""

    intent: IntentName = Field(description="the user's intent")
    confidence: float = Field(ge=0, le=1, description="how sure, 0..1")
    shots: list[int] = Field(default_factory=list, description="1-based shot numbers named")
    revision: Revision | None = Field(default=None, description="for revise_script: how the shots change")
    content: str | None = Field(
        default=None,
        max_length=300,
        description="for insert and rewrite: what the new or rewritten shot shows; for ending: what the "
        "last shot shows (empty for a stronger close of the genre's own); for add_element: the character or "
        "element to add; for subject: the new subject; in the user's language",
    )
    old: str | None = Field(
        default=None,
        max_length=100,
        description="for subject: the character or thing it replaces, as the shots say it",
    )
    topic: str | None = Field(
        default=None,
        max_length=200,
        description="for subject: a new topic when the whole script is written again",
    )
    style: _one_of(STYLES) | None = Field(default=None, description="for tone: the story's new style")  # type: ignore[valid-type]
    place: Relation | None = Field(
        default=None,
        description="for insert and move: where the shot goes (before/after the anchor shot, at "
        "position anchor, at the start or end, or anchor places later/earlier)",
    )
    anchor: int | None = Field(
        default=None, ge=1, le=MAX_SHOTS + 1, description="for place: the shot, the position or the places"
    )
    duration: float | None = Field(default=None, description="seconds, if a duration is named")
    versions: list[str] = Field(default_factory=list, description="version labels like v1.0")


def _one_of(choices: tuple[str, ...]) -> Any:
    """The Literal type of the choices, for a generated schema."""
    return Literal.__getitem__(choices)


def _decision_field(param: Param) -> tuple[Any, Any]:
    """An operation's parameter as an optional field of the decision, with its type and bounds."""
    kinds: dict[str, Any] = {"number": float, "integer": int, "text": str, "flag": bool}
    if param.type == "choice":
        kind = _one_of(param.choices)
    elif param.type == "choices":
        kind = list.__class_getitem__(_one_of(param.choices))
    else:
        kind = kinds[param.type]
    unit = f" ({param.unit})" if param.unit else ""
    return kind | None, Field(default=None, ge=param.low, le=param.high, description=param.description + unit)


DECISION_FIELDS: dict[str, Any] = {
    "operation": (
        _one_of(tuple(OPERATIONS)) | None,
        Field(default=None, description="for edit_visual and edit_audio: the edit operation"),
    ),
    "format": (_one_of(FORMATS) | None, Field(default=None, description="for export: the file format")),
    **{name: _decision_field(param) for name, param in decision_params().items()},
}
"""The decision's fields made from the registry: the operation names and their parameters."""
IntentDecision = create_model(
    "IntentDecision",
    __base__=DecisionCore,
    __doc__="The LLM router's structured answer; the operation and its parameters come from the registry.",
    **DECISION_FIELDS,
)


class ShotDraft(BaseModel):
    """One shot as the LLM writes it."""

    shot_type: Literal["close-up", "medium", "wide", "long", "aerial", "tracking"]
    description: str
    narration: str
    duration: float = Field(gt=0)


class ScriptDraft(BaseModel):
    """A script as the LLM writes it; durations are normalised to the target afterwards."""

    title: str
    synopsis: str
    shots: list[ShotDraft] = Field(min_length=3, max_length=8)


def user_message(
    text: str,
    images: list[str] | None = None,
    audio: list[str] | None = None,
    sketches: list[str] | None = None,
    narration: list[str] | None = None,
) -> Any:
    """A user turn for the graph: the text, with any attached files as paths in
    additional_kwargs['attachments'] (kind 'image', 'audio', 'sketch': a drawing to animate
    as an element of a shot, or 'narration': a recording to narrate with)."""
    from langchain_core.messages import HumanMessage

    attachments = [{"kind": "image", "path": str(p)} for p in images or []]
    attachments += [{"kind": "audio", "path": str(p)} for p in audio or []]
    attachments += [{"kind": "sketch", "path": str(p)} for p in sketches or []]
    attachments += [{"kind": "narration", "path": str(p)} for p in narration or []]
    return HumanMessage(content=text, additional_kwargs={"attachments": attachments} if attachments else {})


def waiting_for_answer(snapshot: Any) -> bool:
    """Whether a thread's state snapshot waits at the approval interrupt for the user's answer."""
    return any(getattr(t, "interrupts", ()) for t in getattr(snapshot, "tasks", ()) or ())


def turn_input(snapshot: Any, message: Any) -> Any:
    """What to send for the user's next message: the answer that resumes a script waiting for
    approval (`Command(resume=...)`), or a new input."""
    from langgraph.types import Command

    if waiting_for_answer(snapshot):
        return Command(resume=message)
    return {"messages": [message]}


def last_user_text(state: ProjectState) -> str:
    """The text of the newest user message."""
    for msg in reversed(state.get("messages") or []):
        if isinstance(msg, HumanMessage):
            return msg.content if isinstance(msg.content, str) else str(msg.content)
    return ""


def last_user_attachments(state: ProjectState, kind: str) -> list[str]:
    """Paths of the files of a kind attached to the newest user message."""
    for msg in reversed(state.get("messages") or []):
        if isinstance(msg, HumanMessage):
            found = (msg.additional_kwargs or {}).get("attachments") or []
            return [str(a["path"]) for a in found if a.get("kind") == kind]
    return []
