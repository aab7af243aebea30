"""An event loop's wait that any thread (or a signal handler) can cut short."""

from __future__ import annotations

import asyncio
import threading


class Wakeup:
    """`await wait(timeout)` in any event loop; `set()` from anywhere ends every wait.

    Each loop that waits gets an event of its own: an asyncio.Event belongs to one loop, and
    an app whose lifespan runs twice at once (two test clients) waits in two loops.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[asyncio.AbstractEventLoop, asyncio.Event] = {}

    def bind(self) -> asyncio.Event:
        """The running loop's event (made on first use)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            for old in [old for old in self._events if old.is_closed()]:
                del self._events[old]
            return self._events.setdefault(loop, asyncio.Event())

    def set(self) -> None:
        with self._lock:
            waiting = list(self._events.items())
        for loop, event in waiting:
            if not loop.is_closed():
                try:
                    loop.call_soon_threadsafe(event.set)
                except RuntimeError:  # closed between the check and the call
                    pass

    async def wait(self, timeout: float) -> None:
        event = self.bind()
        try:  # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
            async with asyncio.timeout(timeout):
                await event.wait()
        except TimeoutError:
            pass
        event.clear()
