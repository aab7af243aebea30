"""The BUCKET_QUEUE consumer loop: backoff while the queue is away, then back to work;
unreadable messages are dropped, a failing database leaves the message for redelivery."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from typing import Any

from wbserver.ports import ObjectCreated, QueueMessage
from wbserver.workers import bucket_events as worker


class FlakyQueue:
    name = "fake://queue"

    def __init__(self, failures: int, messages: list[QueueMessage]) -> None:
        self.failures, self.messages, self.acked = failures, messages, []

    def receive(self, *, max_messages: int, wait_seconds: float) -> list[QueueMessage]:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("queue endpoint refused the connection")
        out, self.messages = self.messages, []
        return out

    def ack(self, message: QueueMessage) -> None:
        self.acked.append(message.id)


class Blobs:
    name = "s3://b"

    def key_for(self, bucket: str, name: str) -> str | None:
        return name if bucket == "b" else None


def test_backoff_then_handle_then_drop_unreadable(monkeypatch) -> None:
    handled: list[str] = []
    monkeypatch.setattr(worker, "object_created",
                        lambda store, blobs, *, key, size, md5_hex: handled.append(key) or "recorded")
    queue = FlakyQueue(3, [QueueMessage(id="1", events=[ObjectCreated(bucket="b", name="runs/1/a")]),
                           QueueMessage(id="2", events=[], problem="not JSON"),
                           QueueMessage(id="3", events=[ObjectCreated(bucket="x", name="y")])])
    sleeps: list[float] = []
    real_sleep = asyncio.sleep

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if not queue.messages and queue.acked:
            raise asyncio.CancelledError
        await real_sleep(0)

    monkeypatch.setattr(worker.asyncio, "sleep", fake_sleep)

    async def run() -> None:
        try:
            await worker.bucket_events(store=None, blobs=Blobs(),  # type: ignore[arg-type]
                                       queue=lambda: queue)
        except asyncio.CancelledError:
            pass
    asyncio.run(run())
    assert sleeps[:3] == [1.0, 2.0, 4.0]  # exponential backoff while the queue is away
    assert handled == ["runs/1/a"] and queue.acked == ["1", "2", "3"]


def test_a_failing_database_leaves_the_message(monkeypatch) -> None:
    def boom(*_a: Any, **_k: Any) -> str:
        raise OSError("database is away")
    monkeypatch.setattr(worker, "object_created", boom)
    queue = FlakyQueue(0, [])
    message = QueueMessage(id="1", events=[ObjectCreated(bucket="b", name="runs/1/a")])
    try:
        worker.handle_message(None, Blobs(), queue, message)  # type: ignore[arg-type]
    except OSError:
        pass
    assert queue.acked == []  # redelivered after the visibility timeout


class WaitingQueue:
    """A queue whose receive waits (as SQS long polling or the internal queue do)."""
    name = "fake://waiting"

    def __init__(self) -> None:
        import threading

        self.release = threading.Event()

    def receive(self, *, max_messages: int, wait_seconds: float) -> list[QueueMessage]:
        self.release.wait(timeout=10)
        return []

    def ack(self, message: QueueMessage) -> None:
        pass


def test_a_waiting_receive_leaves_the_shared_worker_threads_to_requests():
    import anyio.to_thread
    from starlette.concurrency import run_in_threadpool

    queue = WaitingQueue()

    async def scenario() -> int:
        anyio.to_thread.current_default_thread_limiter().total_tokens = 1
        task = asyncio.create_task(worker.bucket_events(store=None, blobs=Blobs(),  # type: ignore[arg-type]
                                                        queue=lambda: queue))
        await asyncio.sleep(0.2)  # the consumer is waiting in receive now
        try:
            return await asyncio.wait_for(run_in_threadpool(lambda: 42), timeout=5)
        finally:
            queue.release.set()
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    assert asyncio.run(scenario()) == 42


def test_the_internal_queue_waits_long_but_a_hint_or_close_ends_the_wait() -> None:
    import threading
    import time

    from wbserver.queues.internal import InternalQueue

    queue = InternalQueue()
    assert queue.idle_wait_seconds >= 30  # an idle server wakes rarely

    def after(seconds: float, action: Any) -> None:
        threading.Timer(seconds, action).start()

    started = time.monotonic()
    after(0.1, lambda: queue.notify(["runs/1/output.log"]))
    got = queue.receive(max_messages=10, wait_seconds=queue.idle_wait_seconds)
    assert [m.events[0].key for m in got] == ["runs/1/output.log"]
    assert time.monotonic() - started < 5

    started = time.monotonic()
    after(0.1, queue.close)  # the server stops, or BUCKET_QUEUE changed
    assert queue.receive(max_messages=10, wait_seconds=queue.idle_wait_seconds) == []
    assert time.monotonic() - started < 5
    assert queue.receive(max_messages=10, wait_seconds=queue.idle_wait_seconds) == []  # closed


class LongPollQueue:
    """A cloud queue's receive: a long poll that closing the queue does not cut short."""

    name = "fake://long-poll"

    def __init__(self) -> None:
        self.polling = threading.Event()

    def receive(self, *, max_messages: int, wait_seconds: float) -> list[QueueMessage]:
        self.polling.set()
        time.sleep(5.0)
        return []

    def close(self) -> None:
        pass


def test_a_stopping_server_does_not_wait_for_a_long_poll() -> None:
    """Cancelled, the consumer ends at once, and leaves no thread the process would wait
    for at exit (the interpreter joins every non-daemon thread)."""
    queue = LongPollQueue()
    before = set(threading.enumerate())

    async def run() -> float:
        task = asyncio.create_task(worker.bucket_events(
            store=None, blobs=Blobs(), queue=lambda: queue))  # type: ignore[arg-type]
        while not queue.polling.is_set():
            await asyncio.sleep(0.01)
        started = time.monotonic()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return time.monotonic() - started

    assert asyncio.run(run()) < 1.0
    held = [t for t in set(threading.enumerate()) - before if t.is_alive() and not t.daemon]
    assert held == [], f"the process would wait for {held} at exit"
