"""Worker leases (issue 23): one holder per job, renewed; taken over once expired; given up on
a graceful stop. On SQLite, MariaDB and PostgreSQL in one process, and with two real processes
on MariaDB and PostgreSQL:
the holder killed, the other takes the job within the lease time, and the job never runs in
both at once (every pass writes its interval to a counter table)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.mariadb import fresh_database
from tests.postgres import fresh_database as fresh_postgres
from tests.unit.lease_probe import now_sql
from wbserver.config.database_urls import mysql_url, postgres_url
from wbserver.metadata.engine import make_engine, upgrade_database
from wbserver.metadata.store import SqlStore

PROBE = Path(__file__).with_name("lease_probe.py")
T0 = datetime(2026, 1, 1, 12, 0, 0)


@contextmanager
def server_database(kind: str) -> Iterator[str]:
    """A fresh database on the MariaDB or PostgreSQL server, as a SQLAlchemy URL."""
    if kind == "postgres":
        with fresh_postgres() as uri:
            yield postgres_url(uri)
    else:
        with fresh_database() as uri:
            yield mysql_url(uri)


@contextmanager
def migrated_store(url: str) -> Iterator[SqlStore]:
    """A store on URL's database, migrated to head."""
    engine = make_engine(url)
    upgrade_database(engine)
    made = SqlStore(engine)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture(params=["sqlite", "mariadb", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    if request.param == "sqlite":
        with migrated_store(f"sqlite:///{tmp_path / 'db.sqlite'}") as made:
            yield made
        return
    with server_database(request.param) as url, migrated_store(url) as made:
        yield made


def test_one_holder_renewed_taken_over_when_expired(store: SqlStore) -> None:
    jobs = ["crash-detector", "bucket-queue"]
    assert store.take_leases(jobs, owner="a", now=T0, seconds=30) == set(jobs)
    assert store.take_leases(jobs, owner="b", now=T0 + timedelta(seconds=1), seconds=30) == set()
    # a renews: its expiry moves, the time it took the lease stays
    later = T0 + timedelta(seconds=20)
    assert store.take_leases(jobs, owner="a", now=later, seconds=30) == set(jobs)
    assert store.take_leases(jobs, owner="b", now=T0 + timedelta(seconds=49),
                             seconds=30) == set()
    rows = {job: (owner, acquired, expires) for job, owner, acquired, expires in store.leases()}
    assert rows["bucket-queue"] == ("a", T0, later + timedelta(seconds=30))
    # a stops renewing: once expired, b takes both; a's next renewal finds them gone
    taken = T0 + timedelta(seconds=51)
    assert store.take_leases(jobs, owner="b", now=taken, seconds=30) == set(jobs)
    assert store.take_leases(jobs, owner="a", now=taken, seconds=30) == set()
    rows = {job: (owner, acquired) for job, owner, acquired, _ in store.leases()}
    assert rows == {"bucket-queue": ("b", taken), "crash-detector": ("b", taken)}
    # a graceful stop gives them up: the next process takes them at once
    store.release_leases(owner="b")
    assert store.take_leases(["bucket-queue"], owner="c", now=taken, seconds=30) == {
        "bucket-queue"}


def test_the_install_id_is_made_once(store: SqlStore) -> None:
    first = store.install_id()
    assert len(first) == 32 and int(first, 16) >= 0
    assert store.install_id() == first


def _probe_rows(url: str) -> list[tuple[str, datetime, datetime | None]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(  # type: ignore[misc]
                "SELECT owner, started_at, ended_at FROM lease_probe ORDER BY id"))]
    finally:
        engine.dispose()


def _db_now(url: str) -> datetime:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            found: datetime = conn.execute(text(
                f"SELECT {now_sql(engine.dialect.name)}")).scalar_one()
            return found
    finally:
        engine.dispose()


def _start(uri: str, owner: str, seconds: float) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, str(PROBE), uri, owner, str(seconds)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)


@pytest.mark.parametrize("kind", ["mariadb", "postgres"])
def test_two_processes_one_job_the_holder_killed(kind: str) -> None:
    seconds = 3.0
    with server_database(kind) as database:
        engine = make_engine(database)
        upgrade_database(engine)
        with engine.begin() as conn:
            conn.execute(text(
                "CREATE TABLE lease_probe (id SERIAL PRIMARY KEY, owner VARCHAR(32), "
                "started_at TIMESTAMP(6), ended_at TIMESTAMP(6))" if kind == "postgres" else
                "CREATE TABLE lease_probe (id BIGINT AUTO_INCREMENT PRIMARY KEY, "
                "owner VARCHAR(32), started_at DATETIME(6), ended_at DATETIME(6))"))
        engine.dispose()
        procs = {"one": _start(database, "one", seconds)}
        time.sleep(1.5)
        procs["two"] = _start(database, "two", seconds)
        try:
            time.sleep(3.0)  # both alive: only "one" runs the job
            assert {owner for owner, _, _ in _probe_rows(database)} == {"one"}
            os.killpg(procs["one"].pid, signal.SIGKILL)
            procs["one"].wait(timeout=10)
            killed_at = _db_now(database)
            deadline = time.monotonic() + seconds + seconds / 3 + 5
            while time.monotonic() < deadline:
                if any(owner == "two" for owner, _, _ in _probe_rows(database)):
                    break
                time.sleep(0.2)
            time.sleep(1.0)
            assert procs["two"].poll() is None, procs["two"].stderr.read().decode()  # type: ignore[union-attr]
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=10)
        rows = _probe_rows(database)
        taken = [started for owner, started, _ in rows if owner == "two"]
        assert taken, f"the other process never took the job over: {rows}"
        takeover = (taken[0] - killed_at).total_seconds()
        # the lease runs out at most `seconds` after the holder's last renewal, and the other
        # process looks every third of that
        assert takeover <= seconds + seconds / 3 + 1.0, f"took {takeover:.1f} s"
        # never both at once: passes do not overlap (the killed one's open pass ends at its kill)
        intervals = sorted((started, ended or killed_at, owner) for owner, started, ended in rows)
        for (_, end, owner), (start, _, next_owner) in zip(intervals, intervals[1:]):
            assert start >= end, f"{owner} and {next_owner} ran the job at once: {intervals}"


def test_a_restarted_server_need_not_wait_for_its_dead_predecessor(store: SqlStore) -> None:
    """A process of this host that no longer runs (a crash, then a restart): its leases are
    free at once. One of another host, or one still running here, is waited for."""
    import socket

    from wbserver.domain.clock import utcnow
    from wbserver.workers.leases import Leases

    host = socket.gethostname()
    dead, alive, elsewhere = f"{host}:999999999:aa", f"{host}:{os.getpid()}:bb", "far:1:cc"
    now = utcnow()
    store.take_leases(["a"], owner=dead, now=now, seconds=300)
    store.take_leases(["b"], owner=alive, now=now, seconds=300)
    store.take_leases(["c"], owner=elsewhere, now=now, seconds=300)
    leases = Leases(store, seconds=30, jobs=("a", "b", "c"))
    assert leases.renew() == {"a"}
    assert leases.holds("a") and not leases.holds("b") and not leases.holds("c")
