"""The worker threads that run requests' store work (GraphQL and file_stream).

On SQLite one thread does it all: SQLite takes one writer at a time, and Python runs one
thread at a time, so more threads only add handovers. Each SQLite call lets go of the
interpreter lock, which then passes to the next waiting thread and back, thousands of times
a minute under 8 clients; with one thread the same load costs about a fifth less CPU
(docs/performance.md). MySQL/MariaDB keeps the shared pool: there a thread mostly waits on
the network, and several waits overlap.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar
from weakref import WeakKeyDictionary

import anyio.to_thread
from anyio import CapacityLimiter

T = TypeVar("T")


class StoreThreads:
    """`await run(func)`: func in a worker thread, at most `threads` at once (None: the
    shared pool's limit)."""

    def __init__(self, threads: int | None) -> None:
        self.threads = threads
        # a limiter belongs to one event loop (tests run several)
        self._limiters: WeakKeyDictionary[asyncio.AbstractEventLoop, CapacityLimiter] = \
            WeakKeyDictionary()

    async def run(self, func: Callable[[], T]) -> T:
        if self.threads is None:
            return await anyio.to_thread.run_sync(func)
        loop = asyncio.get_running_loop()
        limiter = self._limiters.get(loop)
        if limiter is None:
            limiter = self._limiters[loop] = CapacityLimiter(self.threads)
        return await anyio.to_thread.run_sync(func, limiter=limiter)


def store_threads_for(dialect: str) -> StoreThreads:
    return StoreThreads(1 if dialect == "sqlite" else None)
