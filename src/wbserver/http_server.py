"""uvicorn's server, ticking once a second instead of ten times.

uvicorn wakes every 0.1 s to refresh its Date header (once a second) and to see whether it
should stop. On an idle server that costs about 2 ms of CPU a second, which the benchmark
sees as server CPU. Here the loop ticks once a second, and a signal to stop wakes it at once.
"""

from __future__ import annotations

from types import FrameType

import uvicorn

from wbserver.wakeup import Wakeup

TICK_SECONDS = 1.0
_TICKS_PER_SECOND = 10  # uvicorn's on_tick counts tenths of a second


class Server(uvicorn.Server):
    _wake: Wakeup | None = None

    async def main_loop(self) -> None:
        self._wake = Wakeup()
        self._wake.bind()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + _TICKS_PER_SECOND) % 864000
            await self._wake.wait(TICK_SECONDS)
            should_exit = await self.on_tick(counter)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        if self._wake is not None:
            self._wake.set()


def serve(app: object, **config: object) -> None:
    """`uvicorn.run(app, **config)` with this server."""
    Server(uvicorn.Config(app, **config)).run()  # type: ignore[arg-type]
