"""The asset store on an S3-compatible object store (CINECHAT_MEDIA=s3://…), against moto's S3
server started on 127.0.0.1: files go up under their store keys, come back into an empty
local cache on demand, and reach the browser by presigned links; the project state records
keys, so a project made on one machine is exported and compared on another; a database that
recorded absolute paths still opens."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph import Context, build_graph, open_checkpointer
from tests.helpers import absolute_paths, turn
from tools.assets import AssetStore

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "cinechat-test", "AWS_SECRET_ACCESS_KEY": "cinechat-test-secret"}


@contextlib.contextmanager
def moto_s3(folder: Path) -> Iterator[str]:
    """moto's S3 server as its own process on a free loopback port; its endpoint URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    log = folder / "moto.log"
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(endpoint + "/", timeout=1)
            break
        except urllib.error.HTTPError:
            break  # it answers
        except (urllib.error.URLError, ConnectionError):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.2)
    try:
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(10)


def media_url(endpoint: str, bucket: str | None = None) -> str:
    """A CINECHAT_MEDIA setting for a fresh bucket (and prefix) on the endpoint."""
    return f"s3://{bucket or 'cinechat-' + uuid.uuid4().hex[:10]}/media?endpoint_url={endpoint}"


def objects(location: str) -> dict[str, int]:
    """The bucket's objects under the setting's prefix, read with a client of our own: key → size."""
    import boto3

    from tools.media import S3Location

    where = S3Location.parse(location)
    client = boto3.client(
        "s3",
        endpoint_url=where.endpoint_url,
        region_name=where.region,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    listed = client.list_objects_v2(Bucket=where.bucket, Prefix=where.prefix + "/")
    return {o["Key"].split("/", 1)[1]: o["Size"] for o in listed.get("Contents", [])}


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_s3(tmp_path_factory.mktemp("moto")) as url:
        yield url


@pytest.fixture
def s3(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """CINECHAT_MEDIA on a bucket of this test's own."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    location = media_url(endpoint)
    monkeypatch.setenv("CINECHAT_MEDIA", location)
    return location


def test_files_go_up_come_back_and_are_linked(s3: str, tmp_path: Path) -> None:
    here = AssetStore(tmp_path / "machine-a")
    tmp = here.tmp_path("renders", "abc", "mp4")
    tmp.write_bytes(b"picture and sound" * 1000)
    here.commit(tmp, "renders", "abc", "mp4")
    assert objects(s3) == {"renders/abc.mp4": 17000}
    there = AssetStore(tmp_path / "machine-b")  # another machine: an empty cache
    assert not (there.root / "renders" / "abc.mp4").exists()
    assert there.has("renders", "abc", "mp4")  # fetched into the cache
    assert there.local("renders/abc.mp4").read_bytes() == b"picture and sound" * 1000
    link = there.url("renders/abc.mp4")
    assert link and link.startswith(s3.split("endpoint_url=")[1]) and "X-Amz-Signature" in link
    with urllib.request.urlopen(link) as reply:  # what the browser does with the link
        assert reply.read() == b"picture and sound" * 1000
    assert not there.has("renders", "nothing", "mp4")
    assert not there.exists("renders/nothing.mp4") and not there.exists(None)
    for bad in ("../outside.mp4", "renders/../../x", "/"):
        with pytest.raises(ValueError):
            there.local(bad)


def test_a_recorded_absolute_path_opens_from_the_object_store(s3: str, tmp_path: Path) -> None:
    first = AssetStore(tmp_path / "old-home")
    tmp = first.tmp_path("renders", "old", "mp4")
    tmp.write_bytes(b"v1.0")
    recorded = str(first.commit(tmp, "renders", "old", "mp4"))  # what databases before keys hold
    shutil.rmtree(tmp_path / "old-home")
    moved = AssetStore(tmp_path / "new-home")
    assert moved.local(recorded).read_bytes() == b"v1.0"
    assert moved.local(recorded).is_relative_to(moved.root)


def test_without_an_object_store_nothing_is_remote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CINECHAT_MEDIA", raising=False)
    store = AssetStore(tmp_path / "m")
    assert store.remote is None and store.url("renders/x.mp4") is None
    tmp = store.tmp_path("video", "k", "mp4")
    tmp.write_bytes(b"x")
    store.commit(tmp, "video", "k", "mp4")
    assert store.local("video/k.mp4") == store.root / "video" / "k.mp4"


@pytest.mark.slow
def test_a_project_made_on_one_machine_is_exported_on_another(s3: str, tmp_path: Path) -> None:
    """Rendered with one local cache, which is then lost; another machine, with an empty cache
    and the same settings, compares two versions and exports a GIF from the object store, and
    an entry that still records an absolute path opens too."""
    graph = build_graph(open_checkpointer(tmp_path / "history.sqlite"))
    config = {"configurable": {"thread_id": "m"}}
    first = Context(data_dir=str(tmp_path / "cache-a"), use_llm=False, resolution="360p")
    turn(graph, "m", "Make a 6 second video about a lighthouse in the fog", first)
    turn(graph, "m", "go ahead", first)
    turn(graph, "m", "make shot 1 brighter", first)
    raw = dict(graph.get_state(config).values)
    assert raw["version"] == "v1.1" and raw["render"]["path"].startswith("renders/")
    assert absolute_paths(raw) == []  # keys, never paths
    stored = objects(s3)
    assert raw["render"]["path"] in stored and raw["render"]["srt"] in stored
    assert all(clip in {k.split("/")[1].split(".")[0] for k in stored} for clip in raw["render"]["clips"])
    shutil.rmtree(tmp_path / "cache-a")

    second = Context(data_dir=str(tmp_path / "cache-b"), use_llm=False, resolution="360p")
    compared = turn(graph, "m", "compare v1.0 and v1.1", second)
    assert compared["outcome"]["kind"] == "compare" and Path(compared["outcome"]["image"]["path"]).is_file()
    exported = turn(graph, "m", "export as gif", second)
    assert exported["outcome"]["kind"] == "export", exported["reply"]
    gif = Path(exported["outcome"]["path"])
    assert gif.suffix == ".gif" and gif.stat().st_size > 1000
    assert f"exports/{gif.name}" in objects(s3)
    raw = dict(graph.get_state(config).values)
    assert absolute_paths(raw) == []

    # an entry written before keys: the render recorded by its absolute path on a lost machine
    render = {**raw["render"], "path": str(tmp_path / "gone" / raw["render"]["path"])}
    graph.update_state(config, {"render": render})
    third = Context(data_dir=str(tmp_path / "cache-c"), use_llm=False, resolution="360p")
    again = turn(graph, "m", "export as mp4", third)
    assert again["outcome"]["kind"] == "export", again["reply"]
    assert Path(again["outcome"]["path"]).stat().st_size > 10_000


def test_media_push_moves_an_embedded_folder_into_the_object_store(s3: str, tmp_path: Path) -> None:
    """An embedded home's media, uploaded by `cinechat media push`, open on a machine with an
    empty cache from the absolute paths its old database recorded; a second push uploads
    nothing."""
    import os

    home = tmp_path / "embedded"
    local = AssetStore(home, media="")  # the embedded store, before the switch
    recorded = []
    for kind, key in (("renders", "r1"), ("voice", "v1"), ("clips", "c1")):
        tmp = local.tmp_path(kind, key, "bin")
        tmp.write_bytes(f"{kind}-{key}".encode())
        recorded.append(str(local.commit(tmp, kind, key, "bin")))
    (home / "clips" / ".c2.123.bin").write_bytes(b"partial")  # a write that never finished
    env = {**os.environ, "CINECHAT_HOME": str(tmp_path / "state")}

    def push() -> str:
        done = subprocess.run(
            [sys.executable, "-m", "graph.cli", "media", "push", "--from", str(home)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "uploaded 3 files, 0 were there already" in push()
    assert sorted(objects(s3)) == ["clips/c1.bin", "renders/r1.bin", "voice/v1.bin"]
    assert "uploaded 0 files, 3 were there already" in push()
    shutil.rmtree(home)
    elsewhere = AssetStore(tmp_path / "cache")
    assert [elsewhere.local(p).read_bytes() for p in recorded] == [b"renders-r1", b"voice-v1", b"clips-c1"]


def _files(store: AssetStore, keys: set[str]) -> set[str]:
    return {k for k in keys if (store.root / k).exists()}


@pytest.mark.slow
def test_deleting_a_project_deletes_the_media_no_other_project_uses(s3: str, tmp_path: Path) -> None:
    """Three projects, two of them the same (their clips and render are one set of files):
    deleting the different one removes its own files, here and in the bucket, and none the
    others name; deleting one of the twins removes nothing the other still shows."""
    from graph.media_gc import release, thread_media

    graph = build_graph(open_checkpointer(tmp_path / "history.sqlite"))
    ctx = Context(data_dir=str(tmp_path / "cache"), use_llm=False, resolution="360p")
    store = AssetStore(ctx.data_dir)
    for thread, words in (
        ("a", "Make a 6 second video about a lighthouse in the fog"),
        ("b", "Make a 6 second video about a lighthouse in the fog"),
        ("c", "Make a 6 second video about a red kite over green hills"),
    ):
        turn(graph, thread, words, ctx)
        turn(graph, thread, "go ahead", ctx)
    saver = graph.checkpointer
    media = {t: thread_media(saver, t) for t in "abc"}
    assert media["a"] == media["b"]  # the twins name the same files
    renders = {t: graph.get_state({"configurable": {"thread_id": t}}).values["render"]["path"] for t in "abc"}
    assert renders["a"] == renders["b"] != renders["c"] and renders["c"] in media["c"]
    assert len(_files(store, media["c"])) >= 8  # clips, voice lines, mix, master, render, subtitles…

    kept = _files(store, media["a"])
    saver.delete_thread("c")
    deleted = set(release(saver, media["c"], store, {"c"}))
    assert renders["c"] in deleted and not deleted & media["a"]
    assert deleted == media["c"] - media["a"]
    assert _files(store, deleted) == set() and not set(objects(s3)) & deleted  # here and in the bucket
    assert _files(store, media["a"]) == kept  # none of the twins' files went
    assert (store.root / renders["a"]).is_file()

    saver.delete_thread("a")
    assert release(saver, media["a"], store, {"a"}) == []  # all still b's
    again = turn(graph, "b", "export as mp4", ctx)
    assert again["outcome"]["kind"] == "export", again["reply"]
