"""One chat turn as every face runs it (the CLI, the terminal chat, the Chainlit app): one turn
at a time per project, across processes, and a turn interrupted by a crash finished or rolled
back before the next message.

- **One at a time.** A turn holds a file lock beside the checkpoint database, one per thread
  (`filelock`: `flock(2)` on Linux, released by the kernel when its process dies, so a killed
  turn never leaves the project locked). The state a turn starts from is read after the lock
  is taken, never before: a second message waits and then applies to the first one's result.
- **Every step saved.** Turns run with `durability="sync"`: each step's checkpoint is written
  before the next step starts (LangGraph's default writes them in the background, and a kill
  could lose the steps still queued), so a killed turn always leaves where it was.
- **Interrupted turns.** A turn that was killed leaves its thread's newest checkpoint with
  nodes still to run and no error recorded. The next message first resumes it from that
  checkpoint (LangGraph re-runs only the tasks whose writes were not saved: the shots already
  rendered are kept, and the renderer's content-addressed clips are reused). If the new
  message repeats the interrupted one's words, it is that turn's answer and is not applied a
  second time. If resuming fails, or the interrupted turn had failed with an error, the new
  message runs from the last checkpoint where a turn ended: the unfinished branch stays in
  history, and the project is what it was before it.
- **Failures.** An exception inside a turn is logged with its traceback under a short
  reference id; the face shows the id and the project is left as the last turn ended.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filelock import AsyncFileLock, FileLock, Timeout

from graph.state import turn_input, waiting_for_answer

log = logging.getLogger("cinechat.turns")

LOCK_POLL = 0.1


class Busy(Exception):
    """The project is in the middle of another turn and the caller chose not to wait."""


class TurnFailed(Exception):
    """A turn raised inside the graph; `ref` names its traceback in the log."""

    def __init__(self, ref: str, error: BaseException) -> None:
        super().__init__(f"turn failed ({ref}): {type(error).__name__}: {error}")
        self.ref = ref
        self.error = error


@dataclass
class Recovery:
    """What the turn did about an interrupted previous turn."""

    kind: str
    """'resumed' (finished from its checkpoint), 'rolled_back' (it could not be finished and
    was abandoned) or 'failed' (it had stopped on an error, already reported); after the last
    two the project is the one the last finished turn left."""
    words: str
    """The interrupted turn's message."""
    repeated: bool
    """The new message repeated those words, so it was not applied again."""
    version: str | None = None
    """The project's version after the recovery."""

    def notice(self, lang: str) -> str:
        """The line that tells the user, in their language, what happened to that turn."""
        from tools import catalog

        key = "recovered_repeated" if self.kind == "resumed" and self.repeated else f"recovered_{self.kind}"
        return catalog.text(lang, f"ui.{key}", words=self.words, version=self.version or "-")

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the CLI's JSON."""
        return {"kind": self.kind, "words": self.words, "repeated": self.repeated, "version": self.version}


def lock_dir(checkpointer: Any) -> Path | None:
    """Where the turn locks of a checkpoint database live (beside its file, set by
    `open_checkpointer`), or None for a saver without a file (in memory, or a server's)."""
    found = getattr(checkpointer, "lock_dir", None)
    return Path(found) if found else None


def lock_file(checkpointer: Any, thread: str) -> Path:
    """The lock file of one thread (hashed, so any thread id is a safe file name); a saver
    without a file gets one under the system's temporary directory, per process."""
    import os
    import tempfile

    folder = lock_dir(checkpointer) or Path(tempfile.gettempdir()) / f"cinechat-locks-{os.getpid()}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / (hashlib.sha256(thread.encode()).hexdigest()[:32] + ".lock")


def turn_lock(checkpointer: Any, thread: str) -> Any:
    """The lock one turn on `thread` holds: an advisory lock in the PostgreSQL history
    (graph/postgres.py) when there is one, else the thread's lock file."""
    url = getattr(checkpointer, "lock_url", None)
    if url:
        from graph.postgres import AdvisoryLock

        return AdvisoryLock(url, thread, poll_interval=LOCK_POLL)
    return FileLock(lock_file(checkpointer, thread), poll_interval=LOCK_POLL)


def aturn_lock(checkpointer: Any, thread: str) -> Any:
    """`turn_lock` for the event loop."""
    url = getattr(checkpointer, "lock_url", None)
    if url:
        from graph.postgres import AsyncAdvisoryLock

        return AsyncAdvisoryLock(url, thread, poll_interval=LOCK_POLL)
    return AsyncFileLock(lock_file(checkpointer, thread), poll_interval=LOCK_POLL)


def unfinished(snapshot: Any) -> bool:
    """Whether a checkpoint is in the middle of a turn: nodes still to run, or a step whose
    tasks all saved their writes but whose own checkpoint was never written (the process died
    between the two; LangGraph then lists the step's tasks, with their writes, and no `next`)."""
    return bool(getattr(snapshot, "next", ())) or bool(getattr(snapshot, "tasks", ()))


def interrupted(snapshot: Any) -> bool:
    """Whether a thread's newest checkpoint is in the middle of a turn and no question waits
    for the user's answer."""
    return unfinished(snapshot) and not waiting_for_answer(snapshot)


def failed(snapshot: Any) -> bool:
    """Whether the unfinished turn stopped on an error a node raised (not a crash)."""
    return any(getattr(t, "error", None) for t in getattr(snapshot, "tasks", ()) or ())


def settled(graph: Any, config: dict[str, Any]) -> Any:
    """The newest snapshot of a thread where a turn ended (nothing to run, or waiting for an
    answer), or the thread's first state if none did."""
    last = None
    for snap in graph.get_state_history(config):
        last = snap
        if not unfinished(snap) or waiting_for_answer(snap):
            return graph.get_state(snap.config)
    return last


async def asettled(graph: Any, config: dict[str, Any]) -> Any:
    """`settled` through the async interface (the web app's saver)."""
    last = None
    async for snap in graph.aget_state_history(config):
        last = snap
        if not unfinished(snap) or waiting_for_answer(snap):
            return await graph.aget_state(snap.config)
    return last


def words_of(message: Any) -> tuple[str, tuple[str, ...]]:
    """A message's text and attachments: what makes two messages the same request."""
    content = getattr(message, "content", "")
    attached = (getattr(message, "additional_kwargs", None) or {}).get("attachments") or []
    return str(content).strip(), tuple(sorted(str(a.get("path")) for a in attached))


def last_words(values: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    """The newest user message of a state, as `words_of`."""
    from langchain_core.messages import HumanMessage

    for msg in reversed(values.get("messages") or []):
        if isinstance(msg, HumanMessage):
            return words_of(msg)
    return "", ()


def _reference() -> str:
    return secrets.token_hex(3)


@dataclass
class Turn:
    """One user message on one thread. Iterate `stream()` (or `astream()`) for the graph's
    chunks; afterwards `recovery` says what was done about an interrupted turn, `config` is the
    thread's config, and `values()` is the thread's state as this turn left it."""

    graph: Any
    thread: str
    message: Any
    context: Any = None
    stream_mode: Any = field(default_factory=lambda: ["custom", "updates"])
    wait: bool = True
    recovery: Recovery | None = None

    @property
    def config(self) -> dict[str, Any]:
        """The thread's config (its newest checkpoint)."""
        return {"configurable": {"thread_id": self.thread}}

    def values(self) -> dict[str, Any]:
        """The state the turn left: the newest checkpoint, or, if that is in the middle of a
        turn (this one failed), the last one where a turn ended."""
        snap = self.graph.get_state(self.config)
        if interrupted(snap):
            snap = settled(self.graph, self.config)
        return dict(snap.values) if snap is not None else {}

    async def avalues(self) -> dict[str, Any]:
        """`values` through the async interface."""
        snap = await self.graph.aget_state(self.config)
        if interrupted(snap):
            snap = await asettled(self.graph, self.config)
        return dict(snap.values) if snap is not None else {}

    # -- planning, shared by the sync and async drivers -------------------------------------

    def _plan(self, snapshot: Any) -> tuple[bool, Recovery | None]:
        """Whether to resume first, and the recovery record if the thread was interrupted."""
        if not interrupted(snapshot):
            return False, None
        words = last_words(snapshot.values)
        repeated = words == words_of(self.message)
        kind = "failed" if failed(snapshot) else "resumed"
        return kind == "resumed", Recovery(kind=kind, words=words[0], repeated=repeated)

    def _start(
        self, snapshot: Any, recovery: Recovery | None, base: Any = None
    ) -> tuple[Any, dict[str, Any]] | None:
        """The input and config of the new message's run, or None when the message repeated
        a resumed turn (already answered). `base` is the settled snapshot, when the thread is
        still in the middle of a turn."""
        if recovery is not None and recovery.kind == "resumed" and recovery.repeated:
            return None
        config = self.config
        if interrupted(snapshot):  # not resumed: start from where the last turn ended
            if base is not None and base.config["configurable"].get("checkpoint_id"):
                snapshot = base
                config = {"configurable": {**config["configurable"], **base.config["configurable"]}}
        return turn_input(snapshot, self.message), config

    def _failure(self, error: BaseException) -> TurnFailed:
        ref = _reference()
        log.error("turn failed [%s] thread=%s", ref, self.thread, exc_info=error)
        return TurnFailed(ref, error)

    # -- drivers ----------------------------------------------------------------------------

    def stream(self) -> Iterator[tuple[str, Any]]:
        """Run the turn under the thread's lock, yielding (mode, chunk) from the graph."""
        lock = turn_lock(self.graph.checkpointer, self.thread)
        try:
            lock.acquire(timeout=-1 if self.wait else 0)
        except Timeout as busy:
            raise Busy(self.thread) from busy
        try:
            snapshot = self.graph.get_state(self.config)
            resume, recovery = self._plan(snapshot)
            if resume:
                try:
                    yield from self._run(None, self.config)
                except TurnFailed:
                    assert recovery is not None
                    recovery.kind = "rolled_back"
                snapshot = self.graph.get_state(self.config)
            base = settled(self.graph, self.config) if interrupted(snapshot) else None
            start = self._start(snapshot, recovery, base)
            if start is not None:
                yield from self._run(*start)
            if recovery is not None:
                recovery.version = self.values().get("version")
            self.recovery = recovery
        finally:
            lock.release()

    def _run(self, data: Any, config: dict[str, Any]) -> Iterator[tuple[str, Any]]:
        try:
            yield from self.graph.stream(
                data, config, context=self.context, stream_mode=self.stream_mode, durability="sync"
            )
        except Exception as exc:
            raise self._failure(exc) from exc

    async def astream(self) -> AsyncIterator[tuple[str, Any]]:
        """The async driver (the Chainlit app): the same turn with `astream`."""
        lock = aturn_lock(self.graph.checkpointer, self.thread)
        try:
            await lock.acquire(timeout=-1 if self.wait else 0)
        except Timeout as busy:
            raise Busy(self.thread) from busy
        try:
            snapshot = await self.graph.aget_state(self.config)
            resume, recovery = self._plan(snapshot)
            if resume:
                try:
                    async for chunk in self._arun(None, self.config):
                        yield chunk
                except TurnFailed:
                    assert recovery is not None
                    recovery.kind = "rolled_back"
                snapshot = await self.graph.aget_state(self.config)
            base = await asettled(self.graph, self.config) if interrupted(snapshot) else None
            start = self._start(snapshot, recovery, base)
            if start is not None:
                async for chunk in self._arun(*start):
                    yield chunk
            if recovery is not None:
                recovery.version = (await self.avalues()).get("version")
            self.recovery = recovery
        finally:
            with contextlib.suppress(Exception):
                await lock.release()

    async def _arun(self, data: Any, config: dict[str, Any]) -> AsyncIterator[tuple[str, Any]]:
        try:
            async for chunk in self.graph.astream(
                data, config, context=self.context, stream_mode=self.stream_mode, durability="sync"
            ):
                yield chunk
        except Exception as exc:
            raise self._failure(exc) from exc
