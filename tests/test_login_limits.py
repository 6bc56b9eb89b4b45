"""Login limits kept where every process of the app sees them: the same rules over the users
database (SQLite or PostgreSQL) as in memory, shared between limiters (the workers of a
cluster), and counted exactly under concurrent failures."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.websec import LoginLimiter, MemoryCounts
from tests.test_scaled import new_database
from tools import users


class DatabaseCounts:
    """The app's store (graph.chat_store.LoginCounts) over a given users database."""

    def __init__(self, db: Path | str) -> None:
        self.db = db

    def get(self, keys: list[str]) -> dict[str, tuple[int, float]]:
        return users.login_failures(self.db, keys)

    def add(self, keys: list[str], now: float, window: float) -> None:
        users.add_login_failure(self.db, keys, now, window)

    def clear(self, key: str) -> None:
        users.clear_login_failures(self.db, key)


def lock_out(limiter: LoginLimiter, name: str, address: str, now: float, times: int) -> None:
    for i in range(times):
        limiter.failed(name, address, now + i * 0.001)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_two_workers_share_one_count(tmp_path: Path, engine: str) -> None:
    def check(db: Path | str) -> None:
        one, two = LoginLimiter(DatabaseCounts(db)), LoginLimiter(DatabaseCounts(db))
        now = 1_000_000.0
        lock_out(one, "Erin", "10.0.0.7", now, 3)
        lock_out(two, "erin", "10.0.0.8", now + 1, 3)  # the same name, another worker and address
        assert one.retry_after("erin", "10.0.0.9", now + 1.01) > 0  # 6 failures: over the 5 free
        assert two.retry_after("ERIN", None, now + 1.01) == one.retry_after("erin", None, now + 1.01)
        assert one.retry_after("frank", "10.0.0.9", now + 1.01) == 0  # another name is free
        two.succeeded("erin")  # a right password on one worker clears the name on both
        assert one.retry_after("erin", "10.0.0.9", now + 1.01) == 0
        # one address trying many names: locked after ADDRESS_FREE, on every worker
        for i in range(LoginLimiter.ADDRESS_FREE + 1):
            (one if i % 2 else two).failed(f"user{i}", "10.0.0.66", now + 2 + i * 0.001)
        assert one.retry_after("anyone", "10.0.0.66", now + 2.1) > 0
        assert two.retry_after("anyone", "10.0.0.65", now + 2.1) == 0
        # an hour later it is all forgotten, and the old rows are gone
        one.failed("gina", "10.0.0.1", now + LoginLimiter.WINDOW + 10)
        assert two.retry_after("anyone", "10.0.0.66", now + LoginLimiter.WINDOW + 10) == 0
        assert set(users.login_failures(db, ["addr:10.0.0.66", "user:gina"])) == {"user:gina"}

    if engine == "sqlite":
        check(tmp_path / "users.sqlite")
    else:
        with new_database() as url:
            check(url)


def test_concurrent_failures_are_each_counted(tmp_path: Path) -> None:
    db = tmp_path / "users.sqlite"
    limiters = [LoginLimiter(DatabaseCounts(db)) for _ in range(4)]

    def flood(limiter: LoginLimiter) -> None:
        for i in range(10):
            limiter.failed("hana", None, 5_000.0 + i * 0.01)

    threads = [threading.Thread(target=flood, args=(limiter,)) for limiter in limiters]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert users.login_failures(db, ["user:hana"])["user:hana"][0] == 40  # none lost to a race


EVENTS = st.lists(
    st.tuples(
        st.sampled_from(["fail", "ok", "ask"]),
        st.sampled_from(["ann", "Ann", "bob"]),
        st.sampled_from(["10.1.1.1", "10.1.1.2", None]),
        st.sampled_from([0.0, 0.5, 3.0, 40.0, 1000.0, 4000.0]),  # seconds since the event before
    ),
    max_size=40,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=EVENTS)
def test_the_database_counts_follow_the_same_rules_as_memory(tmp_path: Path, events: list) -> None:
    db = tmp_path / f"users-{abs(hash(str(events)))}.sqlite"
    memory, stored = LoginLimiter(MemoryCounts()), LoginLimiter(DatabaseCounts(db))
    now = 10_000.0
    for what, name, address, later in events:
        now += later
        for limiter in (memory, stored):
            if what == "fail":
                limiter.failed(name, address, now)
            elif what == "ok":
                limiter.succeeded(name)
        assert stored.retry_after(name, address, now) == pytest.approx(memory.retry_after(name, address, now))
