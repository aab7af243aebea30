"""Store work of requests: one worker thread at a time on SQLite, the shared pool otherwise."""

from __future__ import annotations

import asyncio
import threading
import time

from wbserver.http.store_threads import (
    SHORT_BODY_BYTES,
    StoreThreads,
    short_body,
    store_threads_for,
)


def _most_at_once(threads: StoreThreads, calls: int) -> tuple[int, set[int]]:
    lock = threading.Lock()
    running, peak, idents = 0, 0, set()

    def work() -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
            idents.add(threading.get_ident())
        time.sleep(0.05)
        with lock:
            running -= 1
        return 7

    async def scenario() -> list[int]:
        return await asyncio.gather(*[threads.run(work) for _ in range(calls)])

    assert asyncio.run(scenario()) == [7] * calls
    return peak, idents


def test_sqlite_runs_store_work_one_request_at_a_time():
    threads = store_threads_for("sqlite")
    assert threads.threads == 1
    peak, _idents = _most_at_once(threads, 6)
    assert peak == 1
    assert _most_at_once(threads, 3)[0] == 1  # a second event loop gets a limiter of its own


def test_other_databases_overlap_in_the_shared_pool():
    threads = store_threads_for("mysql")
    assert threads.threads is None
    peak, idents = _most_at_once(threads, 6)
    assert peak > 1 and len(idents) > 1


def test_errors_reach_the_caller():
    def boom() -> None:
        raise ValueError("bad")

    async def scenario() -> str:
        try:
            await StoreThreads(1).run(boom)
        except ValueError as exc:
            return str(exc)
        return "no error"

    assert asyncio.run(scenario()) == "bad"


def _thread_of(threads: StoreThreads, *, short: bool) -> bool:
    """Whether the work ran on the event loop's own thread."""
    async def scenario() -> bool:
        loop_thread = threading.get_ident()
        return await threads.run(lambda: threading.get_ident() == loop_thread, short=short)

    return asyncio.run(scenario())


def test_short_work_runs_on_the_loop_on_sqlite_only():
    assert _thread_of(store_threads_for("sqlite"), short=True)
    assert not _thread_of(store_threads_for("sqlite"), short=False)
    assert not _thread_of(store_threads_for("mysql"), short=True)


def test_short_bodies_are_small_declared_and_not_compressed():
    assert short_body({"content-length": "1157460"})  # a file_stream of ~3,600 history rows
    assert short_body({"content-length": str(SHORT_BODY_BYTES)})
    assert not short_body({"content-length": str(SHORT_BODY_BYTES + 1)})
    assert not short_body({})  # chunked: size unknown
    assert not short_body({"content-length": "100", "content-encoding": "gzip"})
    assert not short_body({"content-length": "-1"})
