"""The BUCKET_QUEUE consumer and the periodic reconciliation of files no event announced.

Every server process runs both. The queue hands each message to one consumer at a time
(visibility timeout / ack deadline) and handling is idempotent, so several processes, a
redelivery or a duplicate event are harmless. A message is acknowledged once handled, or when
it cannot be read at all (it is logged and dropped); when the metadata store fails, it is left
for redelivery. An unreachable queue is retried with exponential backoff up to a minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from starlette.concurrency import run_in_threadpool

from wbserver.config import Settings
from wbserver.domain.bucket_events import object_created, reconcile_run_files
from wbserver.errors import InvalidInput
from wbserver.ports import EventQueue, MetadataStore, QueueMessage, RoutedBlobStore

log = logging.getLogger("wbserver.bucket_events")
T = TypeVar("T")
WAIT_SECONDS = 5.0  # a queue may ask for longer (internal://: `idle_wait_seconds`)
MAX_BACKOFF = 60.0
RECONCILE_MIN_AGE = 60.0
RECONCILE_MAX_AGE = 7 * 24 * 3600.0


def handle_message(store: MetadataStore, blobs: RoutedBlobStore, queue: EventQueue,
                   message: QueueMessage) -> list[str]:
    """Handle one message and acknowledge it; returns what happened to each event."""
    if message.problem:
        log.warning("dropping unreadable message %s from %s: %s", message.id, queue.name,
                    message.problem)
        queue.ack(message)
        return []
    outcomes = []
    for event in message.events:
        key = event.key if event.key is not None else blobs.key_for(event.bucket, event.name)
        if key is None:
            outcomes.append("not this store")
            continue
        try:
            outcomes.append(object_created(store, blobs, key=key, size=event.size,
                                           md5_hex=event.md5_hex))
        except InvalidInput as exc:  # e.g. bytes that do not match their content key
            log.warning("refused %s: %s", key, exc.message)
            outcomes.append("refused")
    queue.ack(message)
    return outcomes


async def abandoned_on_cancel(receive: Callable[[], T]) -> T:
    """`receive()` in a thread of its own, which a cancelled wait leaves behind: a receive may
    wait for messages several seconds (a long poll that closing the queue cannot always cut
    short), and a stopping server must not wait for it, nor the process for its thread. What
    an abandoned receive takes is never acknowledged, so the queue delivers it again."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if done.done():
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result)

    def run() -> None:
        result: Any = None
        error: BaseException | None = None
        try:
            result = receive()
        except BaseException as exc:
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits any more
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name="BUCKET_QUEUE receive", daemon=True).start()
    return await done


async def bucket_events(store: MetadataStore, blobs: RoutedBlobStore,
                        queue: Callable[[], EventQueue]) -> None:
    # threads of their own: a receive waits up to WAIT_SECONDS (or the queue's own idle wait),
    # and must not hold one of the shared pool's threads that requests need
    own = anyio.CapacityLimiter(1)
    backoff = 0.0
    while True:
        current = queue()
        started = time.monotonic()
        try:
            messages = await abandoned_on_cancel(
                partial(current.receive, max_messages=10,
                        wait_seconds=getattr(current, "idle_wait_seconds", WAIT_SECONDS)))
            for message in messages:
                await anyio.to_thread.run_sync(handle_message, store, blobs, current, message,
                                               limiter=own)
        except Exception as exc:  # the queue or the database is away: back off, then retry
            backoff = min(MAX_BACKOFF, max(1.0, backoff * 2))
            log.warning("BUCKET_QUEUE %s: %s; retrying in %.0f s", current.name,
                        str(exc).splitlines()[0] if str(exc) else type(exc).__name__, backoff)
            await asyncio.sleep(backoff)
            continue
        backoff = 0.0
        if not messages and time.monotonic() - started < 0.5:
            await asyncio.sleep(1.0)  # a queue that answers at once when empty


async def reconciler(store: MetadataStore, blobs: RoutedBlobStore,
                     settings: Callable[[], Settings]) -> None:
    """Every WBSERVER_BUCKET_RECONCILE_INTERVAL seconds (0: off), look in the bucket for run
    files handed an upload URL a while ago that no event recorded."""
    while True:
        interval = settings().bucket_reconcile_interval
        if interval > 0:
            try:
                found = await run_in_threadpool(
                    reconcile_run_files, store, blobs,
                    min_age=min(RECONCILE_MIN_AGE, interval), max_age=RECONCILE_MAX_AGE)
                if found:
                    log.info("reconciliation found %d file(s) no event announced", found)
            except Exception:
                log.exception("bucket reconciliation failed; the next pass retries")
        await asyncio.sleep(interval or 60.0)
