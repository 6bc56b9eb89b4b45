"""cinechat benchmark: medians of several runs of the seed project on this machine.

Measures, each from a fresh media store so nothing comes from an earlier run's cache:
- the script turn (router + offline writer), wall time of the graph call;
- the 30 s seed project at 1080p24 rendered from scratch with audio (wall), per-node times,
  and the peak resident memory of the whole process tree (cinechat plus its ffmpeg/espeak
  children, sampled every 20 ms from /proc);
- a one-shot grading edit (re-render one clip, re-assemble, re-mux) against the full render;
- exports to GIF and WebM;
- history and undo turns on a thread of 10 turns and on one of 200 script revisions
  (median and p95 of repeated turns), and the database size after the 200 turns.

Writes bench/results.json and the table between the bench markers in README.md.
Run with `make bench` (or `python bench/run.py --runs 3`); `--only history` measures only the
history and undo turns and updates those figures in the results."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from graph import Context, build_graph, open_checkpointer  # noqa: E402
from graph.state import user_message  # noqa: E402
from tools.renderer import X264_CRF, X264_PRESET  # noqa: E402

SEED = "我想创建一个关于春天的30秒短视频，风格要温馨治愈"
# Script revisions that alternate, so each turn makes a new version without a render.
REVISIONS = ("加一个小狗在草地上奔跑的镜头", "删除最后一个镜头")
VERSION_REPEATS = 20


class TreeMemory:
    """Peak summed RSS of this process and all its descendants, sampled from /proc."""

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _children(self, pid: int) -> list[int]:
        out: list[int] = []
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as fh:
                    out += [int(c) for c in fh.read().split()]
        except OSError:
            pass
        return out

    def _rss(self, pid: int) -> int:
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            todo, total = [os.getpid()], 0
            while todo:
                pid = todo.pop()
                total += self._rss(pid)
                todo += self._children(pid)
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def timed_turn(graph: Any, thread: str, text: str, context: Context) -> tuple[float, dict[str, float], Any]:
    """Wall time of one turn, and each node's time (from update arrival times)."""
    config = {"configurable": {"thread_id": thread}}
    nodes: dict[str, float] = {}
    t0 = last = time.perf_counter()
    for chunk in graph.stream(
        {"messages": [user_message(text)]}, config, context=context, stream_mode="updates"
    ):
        now = time.perf_counter()
        for name in chunk:
            nodes[name] = nodes.get(name, 0.0) + (now - last)
        last = now
    return time.perf_counter() - t0, nodes, graph.get_state(config).values


def one_run(workdir: Path) -> dict[str, Any]:
    graph = build_graph(open_checkpointer(workdir / "bench.sqlite"))
    context = Context(data_dir=str(workdir / "media"), use_llm=False)
    script_s, _, _ = timed_turn(graph, "b", SEED, context)
    with TreeMemory() as mem:
        render_s, nodes, values = timed_turn(graph, "b", "继续生成", context)
    render = values["render"]
    assert render["rendered"] == 4 and render["cached"] == 0, render
    edits = []
    for text in ("第二个镜头调亮一点", "第二个镜头再亮一点", "第二个镜头再亮一点"):
        edit_s, edit_nodes, values = timed_turn(graph, "b", text, context)
        assert values["render"]["rendered"] == 1, values["render"]
        edits.append((edit_s, edit_nodes))
    gif_s, _, v1 = timed_turn(graph, "b", "导出成GIF", context)
    webm_s, _, v2 = timed_turn(graph, "b", "export as webm", context)
    return {
        "script_turn_s": script_s,
        "full_render_s": render_s,
        "full_render_nodes": nodes,
        "peak_rss_mb": mem.peak / 2**20,
        "edit_s": statistics.median(e[0] for e in edits),
        "edit_nodes": edits[0][1],
        "gif_s": gif_s,
        "gif_mb": v1["outcome"]["bytes"] / 2**20,
        "webm_s": webm_s,
        "video": {k: render[k] for k in ("duration", "width", "height")},
    }


def p95(samples: list[float]) -> float:
    """The 95th percentile of the samples (inclusive method, so it lies within them)."""
    return statistics.quantiles(samples, n=20, method="inclusive")[-1]


def version_turns(workdir: Path, turns: int, server: str | None = None) -> dict[str, float]:
    """History and undo turns (each undo then redone) on a thread of `turns` script turns:
    median and p95 seconds of VERSION_REPEATS each, and the database size before them. With
    `server` (a PostgreSQL address) the history is there, and the figures' names end in _pg."""
    db = workdir / f"versions-{turns}.sqlite"
    graph = build_graph(open_checkpointer(server or db))
    context = Context(data_dir=str(workdir / "media"), use_llm=False)
    timed_turn(graph, "v", SEED, context)
    for i in range(turns - 1):
        _, _, values = timed_turn(graph, "v", REVISIONS[i % 2], context)
        assert values["outcome"].get("kind") == "script", values["outcome"]
    if server:
        import psycopg

        with psycopg.connect(server) as pg:
            size_mb = int(pg.execute("select pg_database_size(current_database())").fetchone()[0]) / 2**20  # type: ignore[index]
    else:
        with sqlite3.connect(db) as conn:  # move the write-ahead log into the file before sizing it
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size_mb = db.stat().st_size / 2**20
    history, undo = [], []
    for _ in range(VERSION_REPEATS):
        history_s, _, values = timed_turn(graph, "v", "有哪些版本？", context)
        assert len(values["outcome"]["versions"]) == turns, values["outcome"]
        undo_s, _, values = timed_turn(graph, "v", "撤销", context)
        assert values["outcome"].get("kind") == "undo", values["outcome"]
        timed_turn(graph, "v", "重做", context)  # back to the newest version for the next round
        history.append(history_s)
        undo.append(undo_s)
    end = "_pg" if server else ""
    return {
        f"history_{turns}{end}_s": statistics.median(history),
        f"history_{turns}{end}_p95_s": p95(history),
        f"undo_{turns}{end}_s": statistics.median(undo),
        f"undo_{turns}{end}_p95_s": p95(undo),
        f"db_{turns}{end}_mb": size_mb,
    }


PG_ADMIN = os.environ.get("CINECHAT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def versions_pg_bench() -> dict[str, float]:
    """The 200-turn version figures with the history in PostgreSQL (a database made for the
    run on the local server, dropped afterwards)."""
    import uuid

    import psycopg

    name = f"cinechat_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with tempfile.TemporaryDirectory(prefix="cinechat-bench-") as tmp:
            figures = version_turns(Path(tmp), 200, PG_ADMIN.rsplit("/", 1)[0] + f"/{name}")
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print("versions on PostgreSQL: " + " ".join(f"{k} {v:.3f}" for k, v in figures.items()), file=sys.stderr)
    return {k: round(v, 3) for k, v in figures.items()}


def versions_bench() -> dict[str, float]:
    """The version figures at 10 and at 200 turns."""
    with tempfile.TemporaryDirectory(prefix="cinechat-bench-") as tmp:
        figures = version_turns(Path(tmp), 10) | version_turns(Path(tmp), 200)
    print("versions: " + " ".join(f"{k} {v:.3f}" for k, v in figures.items()), file=sys.stderr)
    return {k: round(v, 3) for k, v in figures.items()}


def router_bench() -> dict[str, float]:
    """The router: loading the classifiers (time and memory, in a fresh process), one
    message classified (p95 over the held-out dev messages), and a simple turn (classify and
    reply, no render) through the compiled graph, p95."""
    # resident memory now (VmRSS), not the peak: the imports before the load peak higher
    probe = (
        "import time, graph; from tools import classifier; "
        "rss = lambda: int(next(l for l in open('/proc/self/status') if l.startswith('VmRSS')).split()[1]); "
        "r0 = rss(); t = time.perf_counter(); "
        "[classifier.load(n) for n in ('intent', 'operation', 'direction')]; "
        "print(time.perf_counter() - t, (rss() - r0) / 1024)"
    )
    loads = [
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
        for _ in range(3)
    ]
    load_s = statistics.median(float(p.stdout.split()[0]) for p in loads)
    load_mb = statistics.median(float(p.stdout.split()[1]) for p in loads)
    from nodes.intent_router import decide

    texts = [
        json.loads(line)["text"]
        for line in (ROOT / "tests/data/heldout/intents/dev.jsonl").read_text().splitlines()
    ]
    context = Context(use_llm=False)
    decide("warm up", {}, context)
    samples = []
    for text in texts:
        t = time.perf_counter()
        decide(text, {}, context)
        samples.append(time.perf_counter() - t)
    with tempfile.TemporaryDirectory(prefix="cinechat-bench-") as tmp:
        graph = build_graph(open_checkpointer(Path(tmp) / "router.sqlite"))
        ctx = Context(data_dir=str(Path(tmp) / "media"), use_llm=False)
        timed_turn(graph, "r", "Make a 20 second video about a lighthouse keeper", ctx)
        turns = [
            timed_turn(graph, "r", text, ctx)[0]
            for text in ["有哪些版本？", "help", "thanks!", "what can you do?"] * 5
        ]
    figures = {
        "router_load_s": load_s,
        "router_load_mb": load_mb,
        "classify_median_s": statistics.median(samples),
        "classify_p95_s": p95(samples),
        "simple_turn_p95_s": p95(turns),
    }
    print("router: " + " ".join(f"{k} {v:.4f}" for k, v in figures.items()), file=sys.stderr)
    return {k: round(v, 4) for k, v in figures.items()}


def median_of(runs: list[dict[str, Any]], key: str) -> float:
    return round(statistics.median(r[key] for r in runs), 3)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    first = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.split("\n")[0]
    ffmpeg = " ".join(first.split()[:3])
    return f"{os.cpu_count()} cores, {cpu}; Python {platform.python_version()}; {ffmpeg}"


ROWS = [
    ("script_turn_s", "Script turn (router + offline writer), in-process", "s", "< 1 s"),
    (
        "full_render_s",
        "30 s seed project, 1080p24, from scratch, with audio and review",
        "s",
        "≤ 15 s (ceiling 30 s)",
    ),
    ("render_nodes_s", "  of which picture (4 clips + assembly)", "s", ""),
    ("audio_s", "  of which audio (narration, music, effects, mix, two-pass loudness, mux)", "s", "≤ 3 s"),
    ("review_s", "  of which media review (signalstats/black/freeze per clip, ebur128, voice)", "s", "≤ 3 s"),
    ("edit_s", "One shot's grading changed: re-render, re-assemble, re-mux, review", "s", "≤ 3 s"),
    ("edit_audio_s", "  of which audio (all cached: only the stream-copy mux)", "s", "no audio work"),
    ("edit_speedup", "  speed-up against the full render", "x", ""),
    ("peak_rss_mb", "Peak resident memory of the render (process tree)", "MB", "≤ 1536 MB"),
    ("gif_s", "Export GIF (palette, 480 px wide)", "s", ""),
    ("gif_mb", "  GIF size", "MB", "< 10 MB"),
    ("webm_s", "Export WebM (VP9)", "s", ""),
    ("history_10_s", "History turn, thread of 10 turns", "s", ""),
    ("history_200_s", "History turn, thread of 200 turns", "s", ""),
    ("history_200_p95_s", "  p95", "s", "< 0.3 s"),
    ("undo_10_s", "Undo turn, thread of 10 turns", "s", ""),
    ("undo_200_s", "Undo turn, thread of 200 turns", "s", ""),
    ("undo_200_p95_s", "  p95", "s", "< 0.3 s"),
    ("db_200_mb", "Checkpoint database after 200 script turns", "MB", ""),
    ("history_200_pg_s", "History turn, thread of 200 turns, history in PostgreSQL", "s", ""),
    ("history_200_pg_p95_s", "  p95", "s", "< 0.3 s"),
    ("undo_200_pg_s", "Undo turn, thread of 200 turns, history in PostgreSQL", "s", ""),
    ("undo_200_pg_p95_s", "  p95", "s", "< 0.3 s"),
    ("db_200_pg_mb", "PostgreSQL database after 200 script turns", "MB", ""),
    ("router_load_s", "Router classifiers loaded (fresh process)", "s", "< 0.3 s"),
    ("router_load_mb", "  memory they add", "MB", "< 100 MB"),
    ("classify_median_s", "One message classified (held-out dev messages), in-process", "s", ""),
    ("classify_p95_s", "  p95", "s", "< 0.02 s"),
    (
        "encode_baseline_s",
        "ffmpeg's own encode of a 30 s 1080p24 Ken Burns (one still, crop pan, same encoder)",
        "s",
        "",
    ),
    ("icon_picture_s", "30 s 1080p24 picture, 4 shots of 3+ icon subjects each (clips + join)", "s", ""),
    ("icon_clips_s", "  of which the four clips", "s", ""),
    ("icon_ratio", "  against the encode above (same run)", "x", "≤ 1.5 x (aim 1.0 x)"),
    (
        "recover_full_render_s",
        "30 s seed project rendered by `cinechat say` (1080p24, fresh process)",
        "s",
        "",
    ),
    ("recover_left_s", "  killed with SIGKILL after 2 of its 4 shots: the work that was left", "s", ""),
    (
        "recover_s",
        "  the next message finishing it (fresh process, rendered shots reused)",
        "s",
        "≤ the work left",
    ),
    ("recover_startup_s", "  a fresh process answering a simple turn, for scale", "s", ""),
    ("backup_200_s", "Online backup of a 200-turn project (every database)", "s", ""),
    ("backup_200_mb", "  backup size", "MB", ""),
    ("beats_s", "Beat analysis of a 3-minute song (beats, downbeats, tempo), warm", "s", "< 2 s"),
    (
        "beats_cold_s",
        "  the same in a fresh process (numba's code from its cache; the first run after an install compiles it, ~20 s)",
        "s",
        "",
    ),
    ("sketch_clean_s", "Sketch cleaned and its element drawn (reveal and boil pictures)", "s", "< 2 s"),
    ("sketch_shot_s", "  its 4 s 1080p24 shot rendered (drawn on, boiling, flying)", "s", ""),
    ("voiceover_s", "Recorded narration analysed (speech found, mouth openings per frame)", "s", ""),
    ("voiceover_length_s", "  length of that recording", "s", ""),
    (
        "simple_turn_p95_s",
        "Simple turn (classify and reply, no render) through the graph, p95",
        "s",
        "< 0.1 s",
    ),
]


def write_readme(results: dict[str, Any]) -> None:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    if start not in text:
        return
    lines = [
        start,
        f"Measured by `make bench` on {results['date']}: {results['machine']}. "
        f"Medians of {results['runs']} runs; encoder libx264 `-preset {X264_PRESET} -crf {X264_CRF}`.",
        "",
        "| What | Median | Target |",
        "|---|---:|---|",
    ]
    for key, label, unit, target in ROWS:
        value = results["medians"].get(key)
        if value is not None:
            lines.append(f"| {label} | {value:g} {unit} | {target} |")
    lines.append(end)
    head, rest = text.split(start, 1)
    tail = rest.split(end, 1)[1]
    readme.write_text(head + "\n".join(lines) + tail, encoding="utf-8")


def render_bench(count: int) -> dict[str, Any]:
    """Medians of `count` runs of the seed project, and the runs."""
    runs = []
    for i in range(count):
        with tempfile.TemporaryDirectory(prefix="cinechat-bench-") as tmp:
            run = one_run(Path(tmp))
        nodes = run["full_render_nodes"]
        run["render_nodes_s"] = sum(v for k, v in nodes.items() if k in ("render_shot", "video_generator"))
        # narration is spoken in the storyboard (captions share its timing); the rest in audio
        run["audio_s"] = nodes.get("storyboard", 0.0) + nodes.get("audio", 0.0)
        run["review_s"] = nodes.get("reviewer", 0.0)
        edit = run["edit_nodes"]
        run["edit_audio_s"] = edit.get("storyboard", 0.0) + edit.get("audio", 0.0)
        run["edit_speedup"] = run["full_render_s"] / run["edit_s"]
        runs.append(run)
        print(
            f"run {i + 1}: full {run['full_render_s']:.2f}s edit {run['edit_s']:.2f}s audio {run['audio_s']:.2f}s "
            f"rss {run['peak_rss_mb']:.0f}MB",
            file=sys.stderr,
        )
    keys = [key for key, *_ in ROWS if key in runs[0]]
    return {"medians": {key: median_of(runs, key) for key in keys}, "all_runs": runs}


ICON_SHOTS = [
    ("wide", "a giraffe, an elephant and a zebra walk across the savanna under a rainbow"),
    ("medium", "a chef, a robot and an astronaut share a birthday cake in the kitchen"),
    ("close-up", "a red bus, a taxi and a bicycle drive past the castle"),
    ("medium", "a dragon flies over a volcano while three balloons float by the tent"),
]


def encode_baseline(workdir: Path, seconds: float = 30.0) -> float:
    """ffmpeg's own encode of a 30 s 1080p24 Ken Burns with the renderer's encoder settings:
    one animatic still (the seed's park, drawn with the camera margin) decoded once, looped and
    panned by a moving crop, the cheapest camera move there is. The floor a render is compared
    with (a zoompan takes longer, so this is the stricter floor)."""
    from tools.scene import compose, flatten

    still = workdir / "still.png"
    flatten(compose("老人坐在公园的长椅上喂鸽子", "warm", (2112, 1188), 1, "medium")).save(still)
    frames = int(seconds * 24)
    t0 = time.perf_counter()
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-y", "-i", str(still), "-vf",
            f"loop=loop=-1:size=1:start=0,setpts=N/24/TB,crop=1920:1080:'192*t/{seconds}':'108*t/{seconds}',format=yuv420p",
            "-frames:v", str(frames), "-r", "24", "-c:v", "libx264", "-preset", X264_PRESET, "-crf", str(X264_CRF),
            "-threads", "2", str(workdir / "kb.mp4"),
        ],
        check=True,
    )  # fmt: skip
    return time.perf_counter() - t0


def icon_render(workdir: Path) -> dict[str, float]:
    """The picture of a 30 s 1080p24 project whose four shots each draw three or more icon
    subjects: the four clips (two at a time, as the graph's fan-out runs them) and the join."""
    from concurrent.futures import ThreadPoolExecutor

    from tools import drawing
    from tools.renderer import RENDERER_VERSION, concat_clips, render_clip

    specs = [
        {
            "renderer": RENDERER_VERSION, "description": d, "shot_type": kind, "camera": "drift", "mood": "warm",
            "width": 1920, "height": 1080, "fps": 24, "frames": 180, "seed": i + 1, "caption": "", "captions": False,
        }
        for i, (kind, d) in enumerate(ICON_SHOTS)
    ]  # fmt: skip
    assert all(len(drawing.resolve(s["description"]).sprites) >= 3 for s in specs)
    clips = [workdir / f"clip{i}.mp4" for i in range(len(specs))]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda job: render_clip(*job), zip(specs, clips, strict=True)))
    clips_s = time.perf_counter() - t0
    concat_clips(clips, workdir / "joined.mp4")
    return {"icon_picture_s": time.perf_counter() - t0, "icon_clips_s": clips_s}


def icon_bench(count: int) -> dict[str, float]:
    """Medians over `count` runs of the icon project's picture and of the encode baseline,
    measured side by side in the same run, and their ratio."""
    runs = []
    for _ in range(count):
        with tempfile.TemporaryDirectory(prefix="cinechat-icons-") as tmp:
            encode = encode_baseline(Path(tmp))
            picture = icon_render(Path(tmp))
        runs.append(
            {"encode_baseline_s": encode, **picture, "icon_ratio": picture["icon_picture_s"] / encode}
        )
        print(f"icons: picture {picture['icon_picture_s']:.2f}s encode {encode:.2f}s", file=sys.stderr)
    return {key: median_of(runs, key) for key in runs[0]}


def _say(db: Path, text: str, *extra: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    cmd = [sys.executable, "-m", "graph.cli", "say", "--db", str(db), "--thread", "b", "--json", *extra, text]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)


def _turn_s(db: Path, text: str) -> float:
    t0 = time.perf_counter()
    proc = _say(db, text, "--quiet")
    out, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err
    return time.perf_counter() - t0


def recovery_run(workdir: Path) -> dict[str, float]:
    """The seed project rendered whole by `cinechat say`, and the same render (fresh media)
    killed with SIGKILL once half its shots are done and finished by the next message: the
    recovery's time against the work that was left, with a fresh process's start-up for scale."""
    full_db, cut_db = workdir / "full" / "c.sqlite", workdir / "cut" / "c.sqlite"
    for db in (full_db, cut_db):
        _turn_s(db, SEED)
    full = _turn_s(full_db, "继续生成")
    t0 = time.perf_counter()
    proc, done = _say(cut_db, "继续生成", "--events"), 0
    assert proc.stderr is not None
    for line in proc.stderr:
        done += '"stage": "render"' in line
        if done >= 2:  # two of the four shots rendered, two running
            break
    killed_at = time.perf_counter() - t0
    proc.kill()
    proc.wait()
    recovery = _turn_s(cut_db, "继续生成")
    startup = _turn_s(cut_db, "有哪些版本？")  # a fresh process answering a simple turn
    return {
        "recover_full_render_s": full,
        "recover_killed_at_s": killed_at,
        "recover_left_s": max(0.0, full - killed_at),
        "recover_s": recovery,
        "recover_startup_s": startup,
    }


def reliability_bench(count: int) -> dict[str, float]:
    """Recovering an interrupted 30 s render, and the online backup of a 200-turn project."""
    from tools.backup import backup

    runs = []
    for _ in range(count):
        with tempfile.TemporaryDirectory(prefix="cinechat-recover-") as tmp:
            runs.append(recovery_run(Path(tmp)))
        print(f"recovery: {runs[-1]}", file=sys.stderr)
    out = {key: median_of(runs, key) for key in runs[0]}
    with tempfile.TemporaryDirectory(prefix="cinechat-backup-") as tmp:
        work = Path(tmp)
        version_turns(work, 200)  # a thread of 200 script turns
        times = []
        for k in range(count):
            t0 = time.perf_counter()
            made = backup(work / "versions-200.sqlite", work / f"copy-{k}")
            times.append(time.perf_counter() - t0)
        out["backup_200_s"] = statistics.median(times)
        out["backup_200_mb"] = (
            sum(f.stat().st_size for f in (work / "copy-0").rglob("*") if f.is_file()) / 2**20
        )
        assert made["checkpoints"] == "versions-200.sqlite"
    return out


def _cold_beats(song: Path) -> float:
    """Beat analysis of `song` in a fresh process (librosa's numba JIT compiles on first use)."""
    code = (
        "import time, sys; t = time.perf_counter(); from tools.beats import analyse; "
        "analyse(sys.argv[1]); print(time.perf_counter() - t)"
    )
    done = subprocess.run([sys.executable, "-c", code, str(song)], capture_output=True, text=True, cwd=ROOT)
    return float(done.stdout.strip().splitlines()[-1])


def multimodal_bench(count: int) -> dict[str, float]:
    """The other ways in (issue 20): beat analysis of a 3-minute song (the composed bed, one
    with a steady beat), cold and warm; a sketch cleaned and its element drawn (reveal and
    boil pictures), then its 4 s 1080p24 shot rendered; a 30 s recorded narration analysed
    (speech found, mouth openings per frame)."""
    from tests.test_sketch import pencil_bird
    from tools import lexicon, sketch, voiceover
    from tools.beats import analyse
    from tools.music import compose
    from tools.plan import build_plan
    from tools.renderer import render_clip

    with tempfile.TemporaryDirectory(prefix="cinechat-bench-mm-") as tmp:
        work = Path(tmp)
        song = work / "song.wav"
        compose("energetic", 180.0, song)
        cold = _cold_beats(song)
        warm = []
        for _ in range(count):
            t = time.perf_counter()
            analyse(song)
            warm.append(time.perf_counter() - t)
        drawing = Image.open(pencil_bird(work / "bird.jpg")).convert("RGB")
        palette = lexicon.load("scenes")["palettes"]["warm"]
        cleaning, shot = [], []
        script: dict[str, Any] = {
            "language": "en",
            "mood": "warm",
            "shots": [
                {
                    "id": "s1",
                    "description": "a bird flying over the sea",
                    "shot_type": "wide",
                    "duration": 4.0,
                    "narration": "",
                    "image": {"key": "bird", "path": str(work / "bird.jpg"), "kind": "sketch"},
                }
            ],
        }
        item = build_plan(script, {"aspect": "16:9", "resolution": "1080p", "fps": 24})[0]  # type: ignore[arg-type]
        for k in range(count):
            t = time.perf_counter()
            sketch.frames(sketch.clean(drawing), palette, 300, k)
            cleaning.append(time.perf_counter() - t)
            t = time.perf_counter()
            render_clip(item["spec"], work / f"sketch{k}.mp4", work / "bird.jpg")
            shot.append(time.perf_counter() - t)
        voice = work / "voice.wav"
        text = "The sea is calm today. A bird flies over the water, and the light is soft. " * 3
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "130", "-w", str(voice), "--", text], check=True)
        analysed = []
        for _ in range(count):
            t = time.perf_counter()
            recording = voiceover.load(voice)
            voiceover.mouth_levels(recording.samples, 24)
            analysed.append(time.perf_counter() - t)
        spoken = voiceover.load(voice).seconds
    return {
        "beats_cold_s": round(cold, 3),
        "beats_s": round(statistics.median(warm), 3),
        "sketch_clean_s": round(statistics.median(cleaning), 3),
        "sketch_shot_s": round(statistics.median(shot), 3),
        "voiceover_s": round(statistics.median(analysed), 3),
        "voiceover_length_s": round(spoken, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-readme", action="store_true")
    parser.add_argument(
        "--only",
        choices=["history", "history-pg", "router", "icons", "reliability", "multimodal"],
        help="measure only this part, keeping the other figures",
    )
    args = parser.parse_args()
    out = ROOT / "bench" / "results.json"
    if args.only:  # the other figures, with the date and machine of their run, stay as they were
        results = json.loads(out.read_text(encoding="utf-8"))
    else:
        render = render_bench(args.runs)
        results = {
            "date": time.strftime("%Y-%m-%d"),
            "machine": machine(),
            "runs": args.runs,
            "encoder": {"codec": "libx264", "preset": X264_PRESET, "crf": X264_CRF},
            "medians": render["medians"],
            "all_runs": render["all_runs"],
        }
    if args.only in (None, "history"):
        results["medians"] = {**results["medians"], **versions_bench()}
    if args.only in (None, "history-pg"):
        results["medians"] = {**results["medians"], **versions_pg_bench()}
    if args.only in (None, "router"):
        results["medians"] = {**results["medians"], **router_bench()}
    if args.only in (None, "icons"):
        results["medians"] = {**results["medians"], **icon_bench(args.runs)}
    if args.only in (None, "reliability"):
        results["medians"] = {**results["medians"], **reliability_bench(args.runs)}
    if args.only in (None, "multimodal"):
        results["medians"] = {**results["medians"], **multimodal_bench(args.runs)}
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    if not args.no_readme:
        write_readme(results)
    print(json.dumps(results["medians"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
