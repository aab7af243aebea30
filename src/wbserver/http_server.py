"""uvicorn's server, without its ten wakeups a second, ending with exit code 0 on SIGTERM.

uvicorn wakes every 0.1 s to refresh its Date header (once a second) and to see whether it
should stop. Each wakeup of an idle process costs CPU (about 1 ms a second in all on a small
VM), which the benchmark sees as server CPU. Here the Date header is made when a request
asks for the headers (at most once a second), a signal to stop wakes the loop at once, and
the loop itself ticks only once a minute.

SIGTERM (what service managers and Kubernetes send) stops the server gracefully: it stops
accepting connections, lets in-flight requests finish (up to `timeout_graceful_shutdown`),
stops the background workers, and returns. uvicorn would then raise SIGTERM again to die of
it (exit status -15, which service managers report as a failure); here a graceful stop is
the whole answer, so the process ends with 0. SIGINT keeps uvicorn's behaviour.
"""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Iterator
from email.utils import formatdate
from types import FrameType

import uvicorn
from uvicorn.server import ServerState

from wbserver.wakeup import Wakeup

TICK_SECONDS = 60.0
_TICKS_PER_SECOND = 10  # uvicorn's on_tick counts tenths of a second


class LazyDateState(ServerState):
    """`default_headers` with a Date header as of the request that reads it: uvicorn reads
    them once a request, and assigns them (with a Date of its own) on each tick."""

    def __init__(self, *, dated: bool = True) -> None:
        self._static: list[tuple[bytes, bytes]] = []
        self._second = -1
        self._headers: list[tuple[bytes, bytes]] = []
        self.dated = dated
        super().__init__()

    @property
    def default_headers(self) -> list[tuple[bytes, bytes]]:
        now = time.time()
        if int(now) != self._second:
            self._second = int(now)
            date = [(b"date", formatdate(now, usegmt=True).encode())] if self.dated else []
            self._headers = date + self._static
        return self._headers

    @default_headers.setter
    def default_headers(self, headers: list[tuple[bytes, bytes]]) -> None:
        self._static = [(name, value) for name, value in headers if name != b"date"]
        self._second = -1


class Server(uvicorn.Server):
    _wake: Wakeup | None = None

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.server_state = LazyDateState(dated=config.date_header)

    async def main_loop(self) -> None:
        self._wake = Wakeup()
        self._wake.bind()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + _TICKS_PER_SECOND) % 864000
            await self._wake.wait(TICK_SECONDS)
            should_exit = await self.on_tick(counter)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        with super().capture_signals():
            yield
            self._captured_signals = [s for s in self._captured_signals if s != signal.SIGTERM]

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        if self._wake is not None:
            self._wake.set()


def serve(app: object, **config: object) -> None:
    """`uvicorn.run(app, **config)` with this server."""
    Server(uvicorn.Config(app, **config)).run()  # type: ignore[arg-type]
