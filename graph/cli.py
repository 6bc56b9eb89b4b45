"""`cinechat`: one chat turn, the router's decision, versions, replay, an interactive chat and
the web UI, all through the compiled graph."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from graph import build_graph, classify, open_checkpointer
from graph.context import (
    ENVIRONMENT,
    ROOT,
    Context,
    checkpoints_location,
    home_of,
    parse_location,
    setup_logging,
)
from graph.presentation import contact_sheet_of
from graph.progress import progress_text
from graph.state import user_message
from graph.turns import Busy, Turn, TurnFailed
from tools import catalog
from tools.assets import AssetStore
from tools.procs import sweep_stale, tied
from tools.text import detect_language


def _graph(db: str | None) -> Any:
    return build_graph(open_checkpointer(db))


def _context(db: str | None) -> Context:
    if db and not os.environ.get("CINECHAT_DATA"):
        return Context(data_dir=str(home_of(db) / "media"))
    return Context()


def _config(thread: str, checkpoint: str | None = None) -> dict[str, Any]:
    conf: dict[str, Any] = {"thread_id": thread}
    if checkpoint:
        conf["checkpoint_id"] = checkpoint
    return {"configurable": conf}


def _progress(event: dict[str, Any], lang: str) -> None:
    sys.stderr.write(f"\r\033[K{progress_text(event, lang)}")
    sys.stderr.flush()


def _event(mode: str, chunk: Any) -> None:
    """One JSON line on stderr per progress event and per finished node (`say --events`)."""
    if mode == "custom" and isinstance(chunk, dict):
        line = {"event": "progress", **chunk}
    elif mode == "updates" and isinstance(chunk, dict):
        line = {"event": "node", "nodes": [n for n in chunk if not n.startswith("__")]}
    else:
        return
    sys.stderr.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
    sys.stderr.flush()


EXIT_REFUSED = 3
"""The exit status of `cinechat say` when the request was refused (bad input, nothing changed);
`--json` then carries `error: {code, message}`. 2 is a usage error, 1 a failure."""


def error_of(values: dict[str, Any]) -> dict[str, str] | None:
    """The refusal of a turn: its registered code and the reply that explains it, or None."""
    intent = values.get("intent") or {}
    code = (intent.get("slots") or {}).get("error") or (values.get("outcome") or {}).get("error")
    return {"code": str(code), "message": values.get("reply", "")} if code else None


def _on_disk(store: AssetStore, outcome: dict[str, Any] | None) -> dict[str, Any] | None:
    """A turn's outcome with the files it names as whole paths on this machine (the state
    records store keys; the terminal is on the server)."""
    if not outcome:
        return outcome
    shown = dict(outcome)
    for name in ("path", "srt"):
        if shown.get(name):
            shown[name] = str(store.local(shown[name]))
    if isinstance(shown.get("image"), dict) and shown["image"].get("path"):
        shown["image"] = {**shown["image"], "path": str(store.local(shown["image"]["path"]))}
    if shown.get("storyboard"):
        shown["storyboard"] = str(store.local(shown["storyboard"]))
    return shown


def shot_source(shot: dict[str, Any]) -> str:
    """What a shot's picture comes from: 'sketch' (a user's drawing animated in it), 'image' (a
    user's picture) or 'text' (its description)."""
    image = shot.get("image") or {}
    return "sketch" if image.get("kind") == "sketch" else "image" if image else "text"


def summary(thread: str, values: dict[str, Any], context: Context | None = None) -> dict[str, Any]:
    """The JSON view of a thread's state after a turn, with whole paths to its files."""
    store = AssetStore((context or Context()).data_dir)
    script = values.get("script")
    render = values.get("render") or {}
    intent = values.get("intent") or {}
    return {
        "error": error_of(values),
        "thread_id": thread,
        "intent": intent.get("intent"),
        "confidence": intent.get("confidence"),
        "reply": values.get("reply", ""),
        "status": values.get("status", "empty"),
        "version": values.get("version"),
        "script": None
        if not script
        else {
            "title": script["title"],
            "duration": round(sum(s["duration"] for s in script["shots"]), 3),
            "mood": script.get("mood"),
            "shots": [
                {
                    "id": s["id"],
                    "shot_type": s["shot_type"],
                    "description": s["description"],
                    "duration": s["duration"],
                    "narration": s["narration"],
                    "drawn": s.get("drawn", []),
                    "undrawn": s.get("undrawn", []),
                    "source": shot_source(s),
                }
                for s in script["shots"]
            ],
        },
        "video": None
        if not render.get("path")
        else {
            "path": str(store.local(render["path"])),
            "duration": render.get("duration"),
            "width": render.get("width"),
            "height": render.get("height"),
            "rendered": render.get("rendered"),
            "cached": render.get("cached"),
        },
        "review": values.get("review"),
        "outcome": _on_disk(store, values.get("outcome")),
        "choices": values.get("choices") or [],
    }


def run_turn(
    graph: Any,
    thread: str,
    text: str,
    context: Context,
    show_progress: bool,
    images: list[str] | None = None,
    music: list[str] | None = None,
    wait: bool = True,
    events: bool = False,
    sketches: list[str] | None = None,
    narration: list[str] | None = None,
) -> dict[str, Any]:
    """Send one message through the graph as one turn (graph/turns.py: one at a time per
    thread, an interrupted turn recovered first), streaming progress to stderr. A failure is
    reported with its log reference, and the summary is of the project as it was before."""
    message = user_message(text, images=images, audio=music, sketches=sketches, narration=narration)
    lang = detect_language(text, default="zh")
    turn = Turn(graph, thread, message, context, wait=wait)
    failure: dict[str, str] | None = None
    try:
        for mode, chunk in turn.stream():
            if events:
                _event(mode, chunk)
            elif mode == "custom" and show_progress and isinstance(chunk, dict):
                _progress(chunk, lang)
    except Busy:
        failure = {"code": "busy", "message": catalog.text(lang, "ui.busy_refused")}
    except TurnFailed as err:
        failure = {
            "code": "failed",
            "ref": err.ref,
            "message": catalog.text(lang, "ui.turn_failed_ref", ref=err.ref),
        }
    if show_progress:
        sys.stderr.write("\n")
    result = summary(thread, turn.values(), context)
    if failure is not None:
        return {
            **result,
            "error": failure,
            "reply": failure["message"],
            "choices": [],
            "failed": failure["code"],
        }
    if turn.recovery is not None:
        notice = turn.recovery.notice(lang)
        result = {**result, "recovery": turn.recovery.as_dict(), "reply": notice + "\n\n" + result["reply"]}
    return result


def reply_text(result: dict[str, Any]) -> str:
    """A turn's reply as the terminal shows it: the text (with the whole path of each file it
    names: the terminal is on the server), then its buttons and what each sends."""
    choices = result.get("choices") or []
    buttons = [f"  [{c['label']}]" + ("" if c["send"] == c["label"] else f" → {c['send']}") for c in choices]
    reply = str(result["reply"])
    files = [(result.get("video") or {}).get("path"), (result.get("outcome") or {}).get("path")]
    files.append(((result.get("outcome") or {}).get("image") or {}).get("path"))
    for path in filter(None, files):
        name = Path(str(path)).name
        whole = str(path).replace("\\", "\\\\")  # a replacement string: backslashes doubled
        reply = re.sub(rf"(?<![/\w.]){re.escape(name)}", whole, reply)
    return "\n".join([reply, *buttons])


def progress_wanted(args: argparse.Namespace) -> bool:
    """Progress goes to stderr only when it is a terminal and --quiet is not given."""
    return not getattr(args, "quiet", False) and sys.stderr.isatty()


def cmd_say(args: argparse.Namespace) -> int:
    """Run one chat turn (`-` reads the message from stdin; --voice, a recording of it)."""
    text = sys.stdin.read().strip() if args.text == "-" else (args.text or "")
    graph = _graph(args.db)
    heard = None
    if args.voice:  # the recording's words are the message, handled exactly as if typed
        from graph.voice import hear

        lang = graph.get_state(_config(args.thread)).values.get("language") or _context(args.db).language
        said, refusal, code = hear(args.voice, lang)
        if said is None:
            out = {"error": code, "thread_id": args.thread, "reply": refusal, "transcript": None}
            print(json.dumps(out, ensure_ascii=False, indent=2) if args.json else refusal)
            return EXIT_REFUSED
        heard = said.text
        text = f"{said.text} {text}".strip()
        if not args.json:
            print(f"🎙 {said.text}", file=sys.stderr)
    elif not text and not args.narration:
        print("say what? give the message, - for stdin, or --voice FILE", file=sys.stderr)
        return 2
    result = run_turn(
        graph,
        args.thread,
        text,
        _context(args.db),
        progress_wanted(args),
        args.image,
        args.music,
        wait=not args.no_wait,
        events=args.events,
        sketches=args.sketch,
        narration=args.narration,
    )
    if heard is not None:
        result["transcript"] = heard
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else reply_text(result))
    if result.get("failed") == "failed":
        return 1
    return EXIT_REFUSED if result["error"] else 0


def cmd_classify(args: argparse.Namespace) -> int:
    """Print the router's decision for a message, changing nothing."""
    graph = _graph(args.db)
    values = graph.get_state(_config(args.thread)).values
    out = classify(args.text, values, _context(args.db))
    print(json.dumps(out, ensure_ascii=False, indent=2) if args.json else out["intent"])
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    """List the thread's checkpoints, newest first."""
    graph = _graph(args.db)
    rows = []
    for snap in graph.get_state_history(_config(args.thread)):
        msgs = snap.values.get("messages") or []
        last = msgs[-1].content if msgs else ""
        rows.append(
            {
                "checkpoint_id": snap.config["configurable"]["checkpoint_id"],
                "step": snap.metadata.get("step") if snap.metadata else None,
                "next": list(snap.next),
                "version": snap.values.get("version"),
                "last_message": str(last)[:60],
            }
        )
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for r in rows:
            print(
                f"{r['checkpoint_id']}  step={r['step']!s:>3}  {r['version'] or '-':6} "
                f"next={','.join(r['next']) or '-':15} {r['last_message']}"
            )
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    """Re-run the graph from a checkpoint (a fork; the old branch stays in history)."""
    graph = _graph(args.db)
    thread = args.thread
    config = _config(thread, args.checkpoint)
    if graph.checkpointer.get_tuple(config) is None:
        print(f"checkpoint {args.checkpoint} not found in thread {thread}", file=sys.stderr)
        return 2
    for _ in graph.stream(None, config, context=_context(args.db), stream_mode="updates"):
        pass
    result = summary(thread, graph.get_state(_config(thread)).values, _context(args.db))
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else result["reply"])
    return 0


def cmd_sheet(args: argparse.Namespace) -> int:
    """Write a contact sheet (one frame per shot) of the thread's current render."""
    graph = _graph(args.db)
    store = AssetStore(_context(args.db).data_dir)
    sheet = contact_sheet_of(graph.get_state(_config(args.thread)).values, args.out, args.width, store)
    if sheet is None:
        print("no render in this thread yet", file=sys.stderr)
        return 2
    print(sheet)
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    """An interactive chat: a prompt and replies rendered as terminal markdown (rich) on a
    terminal; plain lines in and out when piped."""
    from rich.console import Console
    from rich.markdown import Markdown

    graph = _graph(args.db)
    context = _context(args.db)
    tty = sys.stdin.isatty() and sys.stdout.isatty()
    console = Console(highlight=False, soft_wrap=not tty)
    if tty:
        console.print("cinechat — type a message, Ctrl-D to quit.", style="bold")
    while True:
        try:
            line = console.input("[bold cyan]› [/]") if tty else sys.stdin.readline()
        except (EOFError, KeyboardInterrupt):
            break
        if not tty and not line:
            break
        if not line.strip():
            continue
        result = run_turn(graph, args.thread, line.strip(), context, progress_wanted(args))
        if tty:
            console.print(Markdown(reply_text(result)))
        else:
            print(reply_text(result), flush=True)
    return 0


def delete_user_data(name: str, db: str | None = None) -> dict[str, int]:
    """Everything of a user (graph.accounts.delete_user_data), on the history `db` names."""
    from graph.accounts import delete_user_data as delete_everything
    from graph.chat_store import users_location

    return delete_everything(users_location(), name, db, _context(db).data_dir)


def cmd_users(args: argparse.Namespace) -> int:
    """Add (or reset) a chat user, or delete one with all their data."""
    import getpass

    from graph import accounts
    from graph.chat_store import UserError, users_location
    from tools import users

    if args.action == "list":
        for name, role in users.all_users(users_location(home_of(args.db))):
            print(f"{name}\t{role}")
        return 0
    if not args.name:
        print(f"cinechat users {args.action} needs a NAME", file=sys.stderr)
        return 2
    if args.action == "role":
        try:
            if not args.role or not accounts.change_role(
                users_location(home_of(args.db)), args.name, args.role
            ):
                print(
                    f"no user {args.name}" if args.role else "give the role: --role admin|creator|viewer",
                    file=sys.stderr,
                )
                return 2
        except UserError as err:
            print(f"cannot change {args.name}: {err}", file=sys.stderr)
            return 2
        print(f"{args.name} is now {args.role}")
        return 0
    if args.action == "delete":
        try:
            done = delete_user_data(args.name, args.db)
        except UserError as err:
            print(f"cannot delete {args.name}: {err}", file=sys.stderr)
            return 2
        print(
            f"deleted {args.name}: {done['projects']} projects with every version, {done['media_deleted']} media files"
            f" no other project uses, {done['chats']} chats, login {'removed' if done['login'] else 'not found'}"
        )
        return 0
    state = home_of(args.db)
    password = (
        args.password or os.environ.get("CINECHAT_PASSWORD") or getpass.getpass(f"password for {args.name}: ")
    )
    try:
        accounts.save_user(users_location(state), args.name, password, args.role)
    except UserError as err:
        print(f"cannot add {args.name}: {err}", file=sys.stderr)
        return 2
    print(f"user {args.name} saved")
    return 0


def cmd_share(args: argparse.Namespace) -> int:
    """Share a project read-only with a user, or end the share. Audited."""
    from graph.chat_store import users_location
    from graph.migrate import has_thread
    from tools import audit, users
    from tools.users import UserError

    where = users_location(home_of(args.db))
    if args.revoke:
        ended = users.unshare(where, args.thread, args.user)
        if ended:
            audit.record(where, "unshare", user=args.user, thread=args.thread, address="cli")
        print(f"{args.thread} {'is no longer' if ended else 'was not'} shared with {args.user}")
        return 0 if ended else 2
    saver = open_checkpointer(args.db)
    try:
        known = has_thread(saver, args.thread)
    finally:
        close = getattr(getattr(saver, "conn", None), "close", None)
        if callable(close):
            close()
    if not known:
        print(f"no project {args.thread}", file=sys.stderr)
        return 2
    try:
        users.share(where, args.thread, args.thread.split(":", 1)[0], args.user)
    except UserError as err:
        print(f"cannot share: {err}", file=sys.stderr)
        return 2
    audit.record(
        where,
        "share",
        user=args.thread.split(":", 1)[0],
        thread=args.thread,
        address="cli",
        detail={"with": args.user},
    )
    print(f"{args.thread} shared with {args.user} (read-only)")
    return 0


def _sqlite_home(db: str | None, what: str) -> Path | None:
    """The SQLite history file `backup`/`restore` work on, or None (said) for a server's."""
    place = parse_location(db) if db else checkpoints_location()
    if isinstance(place, str):
        print(
            f"cannot {what}: the version history is in PostgreSQL; back it up with pg_dump"
            " (cinechat backup copies a SQLite home)",
            file=sys.stderr,
        )
        return None
    return place.resolve()


def cmd_backup(args: argparse.Namespace) -> int:
    """Back up every database (online, while the app runs) and the media manifest."""
    from tools.backup import BackupError, backup

    source = _sqlite_home(args.db, "back up")
    if source is None:
        return 2
    try:
        made = backup(source, Path(args.dest), media=args.media)
    except BackupError as err:
        print(f"cannot back up: {err}", file=sys.stderr)
        return 2
    files = made["media"]["files"]
    print(
        f"backed up {', '.join([made['checkpoints'], *made['databases']])} and {len(files)} media files"
        f" ({'copied' if made['media']['copied'] else 'listed'}) to {args.dest} in {made['seconds']}s"
    )
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    """Copy version histories from one checkpoint store to another (SQLite into PostgreSQL)."""
    from graph.migrate import migrate

    if str(parse_location(args.source)) == str(parse_location(args.target)):
        print("cannot migrate: the source and the target are the same store", file=sys.stderr)
        return 2
    source, target = open_checkpointer(args.source), open_checkpointer(args.target)
    try:
        moved = migrate(source, target, args.thread or None)
    finally:
        for saver in (source, target):
            getattr(saver, "close", lambda: None)()
    if args.json:
        print(json.dumps(moved))
    else:
        print(
            f"copied {len(moved['threads'])} threads ({moved['checkpoints']} checkpoints,"
            f" {moved['writes']} pending writes) in {moved['seconds']}s"
        )
        if moved["skipped"]:
            print(
                f"skipped {len(moved['skipped'])} threads the target already has: {', '.join(moved['skipped'])}"
            )
        print(
            "media stay where they are: point CINECHAT_DATA at the old media folder, copy it,"
            " or upload it to an object store with `cinechat media push`"
        )
    return 0


def cmd_media(args: argparse.Namespace) -> int:
    """Upload a local media folder into the object store CINECHAT_MEDIA names."""
    from tools.media import backend

    if backend() is None:
        print("CINECHAT_MEDIA names no object store (s3://bucket?endpoint_url=…)", file=sys.stderr)
        return 2
    folder = Path(args.source or _context(getattr(args, "db", None)).data_dir)
    if not folder.is_dir():
        print(f"no media folder at {folder}", file=sys.stderr)
        return 2
    done = AssetStore(folder).push()
    print(f"uploaded {done['uploaded']} files, {done['present']} were there already")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Restore a backup into this home (which must have no databases yet)."""
    from tools.backup import BackupError, restore

    target = _sqlite_home(args.db, "restore")
    if target is None:
        return 2
    try:
        done = restore(Path(args.src), target)
    except BackupError as err:
        print(f"cannot restore: {err}", file=sys.stderr)
        return 2
    print(f"restored {', '.join([done['checkpoints'], *done['databases']])} into {home_of(args.db)}")
    if done["missing"]:
        print(f"{len(done['missing'])} media files are not in the backup; their clips re-render when needed")
    return 0


def chainlit_app_file() -> str:
    """The Chainlit app module's file: in the checkout, or where the wheel installed it."""
    import importlib.util

    spec = importlib.util.find_spec("chainlit_app")
    return str(spec.origin) if spec and spec.origin else str(ROOT / "chainlit_app.py")


def chainlit_command(host: str, port: int) -> list[str]:
    """The command that serves the chat app (run from the repository root)."""
    return [
        sys.executable,
        "-m",
        "chainlit",
        "run",
        str(Path(chainlit_app_file())),
        "--headless",
        "--host",
        host,
        "--port",
        str(port),
    ]


def cmd_ui(args: argparse.Namespace) -> int:
    """Start the Chainlit app (login secret made if absent; a first user if there is none)."""
    from graph import chat_store

    password = chat_store.prepare()
    if password:
        print(
            f"created the first user: admin / {password}  (add more with: cinechat users add NAME)",
            flush=True,
        )
    root = chat_store.app_root()
    env = {**os.environ, "CINECHAT_STATE": str(chat_store.STATE_DIR), "CHAINLIT_APP_ROOT": str(root)}
    if bool(args.tls_cert) != bool(args.tls_key):
        print("--tls-cert and --tls-key go together", file=sys.stderr)
        return 2
    if args.tls_cert and args.workers <= 1:  # uvicorn serves TLS; the app marks its cookie Secure, sends HSTS
        env |= {
            "CHAINLIT_SSL_CERT": str(Path(args.tls_cert).resolve()),
            "CHAINLIT_SSL_KEY": str(Path(args.tls_key).resolve()),
        }
    if args.workers <= 1:  # the server goes when this process goes (a supervisor's SIGTERM)
        return subprocess.call(tied(chainlit_command(args.host, args.port)), cwd=str(root), env=env)
    from graph.cluster import Cluster, tls_bundle

    place = chat_store.STATE_DIR / "cluster"
    cluster = Cluster(args.host, args.port, args.workers, place, chainlit_command, env, str(root))
    if args.tls_cert:  # HAProxy terminates TLS; the workers behind it mark the cookie Secure
        try:
            cluster.tls = tls_bundle(Path(args.tls_cert), Path(args.tls_key), place / "tls.pem")
        except OSError as err:
            print(f"cannot read the certificate: {err}", file=sys.stderr)
            return 2
        env["CINECHAT_BEHIND_TLS"] = "1"
    try:
        cluster.start()
    except (RuntimeError, FileNotFoundError) as err:
        print(f"cannot start the cluster: {err}", file=sys.stderr)
        return 1
    scheme = "https" if args.tls_cert else "http"
    print(
        f"serving on {scheme}://{args.host}:{args.port} ({args.workers} workers behind HAProxy)", flush=True
    )
    return cluster.supervise()


def cmd_audit(args: argparse.Namespace) -> int:
    """Print the audit log (oldest first), of one user and/or since a date."""
    from datetime import datetime

    from graph.chat_store import audit_location
    from tools import audit

    since = None
    if args.since:
        try:
            since = datetime.fromisoformat(args.since).timestamp()
        except ValueError:
            print(
                f"--since wants a date or time such as 2026-12-01 or 2026-12-01T08:00, not {args.since!r}",
                file=sys.stderr,
            )
            return 2
    rows = audit.entries(audit_location(), user=args.user, since=since)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for row in rows:
        when = datetime.fromtimestamp(row["at"]).strftime("%Y-%m-%d %H:%M:%S")
        where = " ".join(str(row[k]) for k in ("thread", "version") if row[k])
        print(
            f"{when}  {row['user'] or '-':<12} {row['address'] or '-':<15} {row['action']:<13} {row['outcome']:<8} {where} {row['detail']}".rstrip()
        )
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Start Celery render workers (CINECHAT_RENDER=celery): one per queue asked for; the gpu
    queue's runs one job at a time."""
    import subprocess

    from tools import jobs, procs

    kinds = [k.strip() for k in args.queues.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in jobs.QUEUES]
    if unknown or not kinds:
        print(f"unknown queue {', '.join(unknown) or '(none)'}: use cpu, gpu or cpu,gpu", file=sys.stderr)
        return 2
    setup_logging(home_of(None) / "logs")
    if len(kinds) == 1:
        jobs.app.worker_main(jobs.worker_argv(kinds[0], args.concurrency))
        return 0
    # one worker process per queue, each dying with this one
    cmd = [sys.executable, "-m", "graph.cli", "worker"]
    extra = ["--concurrency", str(args.concurrency)] if args.concurrency else []
    children = [subprocess.Popen(procs.tied([*cmd, "--queues", kind, *extra])) for kind in kinds]
    try:
        return max(child.wait() for child in children)
    except KeyboardInterrupt:
        for child in children:
            child.terminate()
        return max(child.wait() for child in children)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def package_version() -> str:
    """The installed cinechat's version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cinechat")
    except PackageNotFoundError:
        return "unknown"


def environment_help() -> str:
    """The environment variables, for --help (the README's settings table lists the same)."""
    rows = "\n".join(f"  {name:<28} {meaning}" for name, meaning in ENVIRONMENT)
    return f"exit status: 0 done, {EXIT_REFUSED} refused (nothing changed), 2 usage error, 1 failure\n\nenvironment:\n{rows}"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `cinechat` command."""
    parser = argparse.ArgumentParser(
        prog="cinechat",
        description="Make and edit short videos by chat.",
        epilog=environment_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"cinechat {package_version()}")
    sub = parser.add_subparsers(dest="cmd", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--db", help="checkpoint database (default checkpoints/cinechat.sqlite)")
        p.add_argument("--thread", default="main", help="conversation/project id")
        p.add_argument("--json", action="store_true", help="print JSON")

    p = say_parser = sub.add_parser("say", help="run one chat turn")
    common(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--no-wait",
        action="store_true",
        help="if another turn on this thread is running, refuse (exit 3) instead of waiting for it",
    )
    p.add_argument(
        "--events",
        action="store_true",
        help="progress as JSON lines on stderr (each event, each finished node)",
    )
    p.add_argument("--image", action="append", help="an image to animate as a shot (the shot the text names)")
    p.add_argument("--music", action="append", help="an audio file (WAV/MP3/M4A/OGG) to use as the music bed")
    p.add_argument(
        "--sketch",
        action="append",
        help="a drawing (a photo or scan of a sketch) animated in the shot the text names",
    )
    p.add_argument(
        "--narration",
        action="append",
        help="a recording of the narration (WAV/MP3/M4A/OGG) spoken in place of the synthesised voice",
    )
    p.add_argument(
        "--voice", help="a recording of the message (WAV/MP3/M4A/OGG), transcribed by CINECHAT_STT_BASE_URL"
    )
    p.add_argument("text", nargs="?", default="", help="the message; - reads it from stdin")
    p.set_defaults(func=cmd_say)
    p = sub.add_parser("classify", help="show the router's decision, changing nothing")
    common(p)
    p.add_argument("text")
    p.set_defaults(func=cmd_classify)
    p = sub.add_parser("history", help="list the thread's checkpoints")
    common(p)
    p.set_defaults(func=cmd_history)
    p = sub.add_parser("replay", help="re-run the graph from a checkpoint")
    common(p)
    p.add_argument("--checkpoint", required=True)
    p.set_defaults(func=cmd_replay)
    p = sub.add_parser("sheet", help="contact sheet of the current render, one frame per shot")
    common(p)
    p.add_argument("--out", default="contact-sheet.png")
    p.add_argument("--width", type=int, default=480, help="width of each frame")
    p.set_defaults(func=cmd_sheet)
    p = sub.add_parser("chat", help="interactive chat in the terminal")
    common(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_chat)
    p = sub.add_parser(
        "users",
        help="chat users: cinechat users add NAME [--password P] [--role R] | role NAME --role R | delete NAME | list",
    )
    p.add_argument("action", choices=["add", "delete", "role", "list"])
    p.add_argument("name", nargs="?")
    p.add_argument("--password", help="default: CINECHAT_PASSWORD or a prompt")
    p.add_argument("--role", choices=["admin", "creator", "viewer"], help="a new user's role (creator)")
    p.add_argument("--db", help="checkpoint database; users live beside it")
    p.set_defaults(func=cmd_users)
    p = sub.add_parser("share", help="let USER watch and export a project, read-only (their /shared page)")
    p.add_argument("thread", help="the project's thread id (owner:chat id, as `cinechat history` shows)")
    p.add_argument("user")
    p.add_argument("--revoke", action="store_true", help="end the share")
    p.add_argument("--db", help="checkpoint database; users live beside it")
    p.set_defaults(func=cmd_share)
    p = sub.add_parser(
        "backup", help="copy every database and the media manifest to DEST, while the app runs"
    )
    p.add_argument("dest")
    p.add_argument("--media", action="store_true", help="copy the media files too")
    p.add_argument("--db", help="checkpoint database; the home is its folder")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="restore a backup into a home that has no databases yet")
    p.add_argument("src")
    p.add_argument("--db", help="checkpoint database to restore to; the home is its folder")
    p.set_defaults(func=cmd_restore)
    p = sub.add_parser(
        "migrate",
        help="copy version histories between stores: cinechat migrate SRC DST (sqlite path or postgresql://)",
    )
    p.add_argument("source", help="the store to copy from: a SQLite file or a postgresql:// address")
    p.add_argument("target", help="the store to copy into (its tables are made if missing)")
    p.add_argument("--thread", action="append", help="only this thread (repeatable; default all)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_migrate)
    p = sub.add_parser(
        "media", help="the media store: `cinechat media push` uploads a local folder to CINECHAT_MEDIA"
    )
    p.add_argument("action", choices=["push"])
    p.add_argument("--from", dest="source", help="the local media folder (CINECHAT_DATA)")
    p.set_defaults(func=cmd_media)
    p = sub.add_parser("ui", help="start the Chainlit web app")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="chat processes behind HAProxy, pinned per browser by a cookie (default 1: no balancer)",
    )
    p.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM; with --tls-key)")
    p.add_argument("--tls-key", help="the certificate's private key (PEM)")
    p.set_defaults(func=cmd_ui)
    p = sub.add_parser("audit", help="the audit log: logins, turns, renders, exports, restores, deletions")
    p.add_argument("--user", help="only this user's entries")
    p.add_argument("--since", help="only entries since this date or time (2026-12-01, 2026-12-01T08:00)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_audit)
    p = sub.add_parser("worker", help="start Celery render workers (CINECHAT_RENDER=celery)")
    p.add_argument("--queues", default="cpu", help="cpu, gpu or cpu,gpu (default cpu)")
    p.add_argument("--concurrency", type=int, help="cpu renders at once (default: one per core)")
    p.set_defaults(func=cmd_worker)
    args = parser.parse_args(message_last(say_parser, list(sys.argv[1:] if argv is None else argv)))
    if args.cmd not in ("users", "ui", "backup", "restore", "migrate", "worker", "audit", "media", "share"):
        setup_logging(home_of(args.db) / "logs" if getattr(args, "db", None) else None)
        sweep_stale(Path(_context(getattr(args, "db", None)).data_dir))
    try:
        return int(args.func(args))
    except BrokenPipeError:  # `cinechat say … | head`: the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


def message_last(say: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """`cinechat say` argv with the message after `--`, so a message may start with '-'
    ("-1 second shorter"): the options (and their values) first, then the words."""
    if not argv or argv[0] != "say" or "--" in argv:
        return argv
    takes = {o: a.nargs != 0 for a in say._actions for o in a.option_strings}
    options, words, i = [], [], 1
    while i < len(argv):
        token = argv[i]
        name = token.split("=", 1)[0]
        if name in takes:
            options.append(token)
            if takes[name] and "=" not in token and i + 1 < len(argv):
                options.append(argv[i + 1])
                i += 1
        else:
            words.append(token)
        i += 1
    if len(words) != 1 or not words[0].startswith("-") or words[0] == "-":
        return argv
    return ["say", *options, "--", *words]


if __name__ == "__main__":
    raise SystemExit(main())
