"""Where requests' store work runs (GraphQL, file_stream, small uploads).

On SQLite one thread does it all: SQLite takes one writer at a time, and Python runs one
thread at a time, so more threads only add handovers. Each SQLite call lets go of the
interpreter lock, which then passes to the next waiting thread and back, thousands of times
a minute under 8 clients; with one thread the same load costs about a fifth less CPU
(docs/performance.md). MySQL/MariaDB keeps the shared pool: there a thread mostly waits on
the network, and several waits overlap.

Short work runs on the event loop itself on SQLite: a request whose cost is bounded by a
small body, or a GraphQL document of keyed lookups and writes only
(api/graphql/short_documents.py). Handing it to a thread and back costs about 0.1 ms of CPU
on a small VM (two thread wake-ups), as much as the work of a small request, and SQLite
would serialise the work anyway. Anything that may scan (runs tables, history reads, big
bodies) still goes to the store thread, so the loop keeps answering while it runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import TypeVar
from weakref import WeakKeyDictionary

import anyio.to_thread
from anyio import CapacityLimiter

T = TypeVar("T")

# a body up to this size is short work (a file_stream request of ~10,000 history rows)
SHORT_BODY_BYTES = 2 * 1024 * 1024


class StoreThreads:
    """`await run(func)`: func in a worker thread, at most `threads` at once (None: the
    shared pool's limit); `run(func, short=True)` runs it on the loop when `inline_short`."""

    def __init__(self, threads: int | None, *, inline_short: bool = False) -> None:
        self.threads = threads
        self.inline_short = inline_short
        # a limiter belongs to one event loop (tests run several)
        self._limiters: WeakKeyDictionary[asyncio.AbstractEventLoop, CapacityLimiter] = \
            WeakKeyDictionary()

    async def run(self, func: Callable[[], T], *, short: bool = False) -> T:
        if short and self.inline_short:
            return func()
        if self.threads is None:
            return await anyio.to_thread.run_sync(func)
        loop = asyncio.get_running_loop()
        limiter = self._limiters.get(loop)
        if limiter is None:
            limiter = self._limiters[loop] = CapacityLimiter(self.threads)
        return await anyio.to_thread.run_sync(func, limiter=limiter)


def store_threads_for(dialect: str) -> StoreThreads:
    sqlite = dialect == "sqlite"
    return StoreThreads(1 if sqlite else None, inline_short=sqlite)


def short_body(headers: Mapping[str, str]) -> bool:
    """Whether a request's declared body is small enough to be short work (a body sent
    without Content-Length, or compressed, is not)."""
    declared = headers.get("content-length", "")
    return (declared.isdigit() and int(declared) <= SHORT_BODY_BYTES
            and not headers.get("content-encoding"))
