"""An event loop's wait that any thread (or a signal handler) can cut short."""

from __future__ import annotations

import asyncio


class Wakeup:
    """`await wait(timeout)` in the loop that called `bind()`; `set()` from anywhere ends it."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None

    def bind(self) -> None:
        """Called in the event loop that waits."""
        self._loop, self._event = asyncio.get_running_loop(), asyncio.Event()

    def set(self) -> None:
        loop, event = self._loop, self._event
        if loop is not None and event is not None and not loop.is_closed():
            loop.call_soon_threadsafe(event.set)

    async def wait(self, timeout: float) -> None:
        if self._event is None:
            self.bind()
        assert self._event is not None
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
        except TimeoutError:
            pass
        self._event.clear()
