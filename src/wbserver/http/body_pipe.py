"""A request body handed from the event loop to a worker thread as it arrives.

`await stream_body(request, consume)` runs `consume(chunks)` in a worker thread, where
`chunks` yields the body's chunks as the loop receives them: a big upload is written to its
store while it arrives, once, instead of being spooled to a temporary file first and copied
again. The loop hands chunks over in batches (BATCH_BYTES, one thread wake-up each) and holds
at most DEPTH batches the thread has not taken yet, so memory stays flat whatever the size
and a slow disk slows the client down (the HTTP server stops reading the socket) instead of
filling memory.

When the body does not arrive whole (the client goes away, a body limit is passed), the
thread's `chunks` raise BodyAborted, so `consume` never completes a partial write; the
receiving error is raised. When `consume` fails first (disk full, refused bytes), the
loop stops reading and its error is raised.
"""

from __future__ import annotations

import asyncio
import queue
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

T = TypeVar("T")

BATCH_BYTES = 1024 * 1024
DEPTH = 4
_END = object()
_ABORTED = object()


class BodyAborted(Exception):
    """The body stopped before its end (the receiving side says why)."""


class BodyPipe:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._items: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._credit = asyncio.Semaphore(DEPTH)
        self._batch: list[bytes] = []
        self._batched = 0
        self.consumer_done = False

    # the event loop's side ---------------------------------------------------------------

    async def put(self, chunk: bytes) -> bool:
        """Queue `chunk`; False once the consumer has stopped (take no more)."""
        self._batch.append(chunk)
        self._batched += len(chunk)
        if self._batched >= BATCH_BYTES:
            return await self._flush()
        return not self.consumer_done

    async def close(self) -> None:
        await self._flush()
        self._items.put(_END)

    def abort(self) -> None:
        self._items.put(_ABORTED)

    async def _flush(self) -> bool:
        if self._batch:
            await self._credit.acquire()
            self._items.put(self._batch)
            self._batch, self._batched = [], 0
        return not self.consumer_done

    # the worker thread's side ------------------------------------------------------------

    def chunks(self) -> Iterator[bytes]:
        while True:
            item = self._items.get()
            if item is _END:
                return
            if item is _ABORTED:
                raise BodyAborted("the request body did not arrive whole")
            self._loop.call_soon_threadsafe(self._credit.release)
            yield from item

    def consume(self, consume: Callable[[Iterator[bytes]], T]) -> T:
        try:
            return consume(self.chunks())
        finally:
            self._loop.call_soon_threadsafe(self._stopped)

    def _stopped(self) -> None:
        self.consumer_done = True
        for _ in range(DEPTH):  # wakes a put() waiting for room
            self._credit.release()


async def stream_body(request: Request, consume: Callable[[Iterator[bytes]], T]) -> T:
    pipe = BodyPipe(asyncio.get_running_loop())
    consumer = asyncio.ensure_future(run_in_threadpool(pipe.consume, consume))
    consumer.add_done_callback(_retrieved)
    try:
        async for chunk in request.stream():
            if chunk and not await pipe.put(chunk):
                break
        else:
            await pipe.close()
    except asyncio.CancelledError:
        pipe.abort()  # the thread cleans up by itself
        raise
    except BaseException:
        pipe.abort()
        try:
            await consumer
        except BodyAborted:
            pass
        except Exception:  # noqa: BLE001, S110 - the receiving error is the one to report
            pass
        raise
    return await consumer


def _retrieved(future: asyncio.Future[Any]) -> None:
    """Marks a consumer's error as seen when nobody awaits it (a cancelled request)."""
    if not future.cancelled():
        future.exception()
