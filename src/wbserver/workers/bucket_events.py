"""The BUCKET_QUEUE consumer and the periodic reconciliation of files no event announced.

Each runs in the server process holding its lease (workers/leases.py); internal:// hints live
in the memory of the process that heard them, so its consumer runs in every process. Handling
is idempotent, so a redelivery, a duplicate event, or a file recorded already when its client
reported it uploaded (domain/bucket_events.py `uploads_reported`) are harmless. A message is
acknowledged once handled, or when it cannot be read at all (it is logged and dropped); when
the metadata store fails, it is left for redelivery. An unreachable queue is retried with exponential backoff up to a minute.
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
from wbserver.domain.bucket_events import (
    MISSING,
    object_created,
    reconcile_run_files,
    uploads_reported,
)
from wbserver.errors import InvalidInput
from wbserver.ports import EventQueue, MetadataStore, QueueMessage, RoutedBlobStore
from wbserver.workers.leases import BUCKET_QUEUE, BUCKET_RECONCILE, AlwaysHeld, JobGate

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
                        queue: Callable[[], EventQueue], gate: JobGate | None = None) -> None:
    # threads of their own: a receive waits up to WAIT_SECONDS (or the queue's own idle wait),
    # and must not hold one of the shared pool's threads that requests need
    own = anyio.CapacityLimiter(1)
    gate = gate or AlwaysHeld()
    backoff = 0.0
    while True:
        current = queue()
        if getattr(current, "notify", None) is None and not gate.holds(BUCKET_QUEUE):
            await gate.wait_for(BUCKET_QUEUE)
            continue  # BUCKET_QUEUE may have changed meanwhile
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
                     settings: Callable[[], Settings], gate: JobGate | None = None) -> None:
    """Every WBSERVER_BUCKET_RECONCILE_INTERVAL seconds (0: off), look in the bucket for run
    files handed an upload URL a while ago that no event recorded."""
    gate = gate or AlwaysHeld()
    while True:
        interval = settings().bucket_reconcile_interval
        if interval > 0 and not gate.holds(BUCKET_RECONCILE):
            await gate.wait_for(BUCKET_RECONCILE)
            continue
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


def record_reported_uploads(store: MetadataStore, blobs: RoutedBlobStore,
                            hint: Callable[[list[str]], None], keys: list[str]) -> None:
    """What file_stream's `uploaded` list sets off (in the request's thread): each reported
    key whose bytes went to the bucket directly is recorded now if a HEAD finds it; the rest
    are hinted to the queue (internal:// looks for them) and left to the bucket's event and
    the reconciliation. A failure here never fails the client's request."""
    remote = [key for key in keys if not blobs.serves_bytes(key)]
    left = []
    for key in dict.fromkeys(remote):
        try:
            if uploads_reported(store, blobs, keys=[key])[key] == MISSING:
                left.append(key)
        except Exception as exc:  # noqa: BLE001 - the event or the reconciliation records it
            log.warning("could not record reported upload %s yet: %s", key, exc)
            left.append(key)
    if left:
        hint(left)
