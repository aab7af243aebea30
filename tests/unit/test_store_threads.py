"""Store work of requests: one worker thread at a time on SQLite, the shared pool otherwise."""

from __future__ import annotations

import asyncio
import threading
import time

from wbserver.api.store_threads import StoreThreads, store_threads_for


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
