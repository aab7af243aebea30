"""The outbox loop sleeps between polls; a recorded item wakes it at once, and a retry it
scheduled wakes it when due."""

import asyncio
import threading
import time
from datetime import datetime

from wbserver.domain.clock import utcnow
from wbserver.domain.models import OutboxItem
from wbserver.ports import Delivery
from wbserver.workers.outbox import OutboxWorker, Wakeup, outbox_loop


class CountingWorker:
    def __init__(self) -> None:
        self.passes = 0

    def run_once(self) -> int:
        self.passes += 1
        return 0

    def seconds_to_next_retry(self, _now: object) -> float | None:
        return None


def test_a_wakeup_from_another_thread_starts_a_pass_before_the_poll_interval():
    async def scenario() -> int:
        worker, wakeup = CountingWorker(), Wakeup()
        task = asyncio.create_task(outbox_loop(worker, wakeup, interval=3600))
        while worker.passes < 1:
            await asyncio.sleep(0.01)
        threading.Thread(target=wakeup.set).start()
        for _ in range(500):  # well before the hour the poll would take
            if worker.passes >= 2:
                break
            await asyncio.sleep(0.01)
        task.cancel()
        return worker.passes

    assert asyncio.run(scenario()) == 2


def test_a_wakeup_before_the_loop_runs_is_harmless():
    Wakeup().set()


class OneItemStore:
    """The outbox of one item, as the store keeps it: due, leased, retried or sent."""

    def __init__(self) -> None:
        self.item = OutboxItem(id=1, channel="slack", target="t", payload="{}", attempts=0,
                               created_at=utcnow())
        self.due: datetime | None = utcnow()
        self.sent_at: datetime | None = None

    def claim_outbox(self, *, owner: str, now: datetime, lease_seconds: float) -> list[OutboxItem]:
        if self.sent_at is None and self.due is not None and self.due <= now:
            self.due = None  # leased
            return [self.item]
        return []

    def outbox_retry(self, item_id: int, *, next_attempt_at: datetime, error: str) -> None:
        self.due = next_attempt_at

    def outbox_sent(self, item_id: int, *, now: datetime) -> None:
        self.sent_at = now

    def prune_outbox(self, *, before: datetime) -> int:
        return 0


def test_a_retry_this_process_scheduled_runs_when_due_not_at_the_next_poll():
    answers = [Delivery("retry", retry_after=0.3, detail="429"), Delivery("sent")]
    store = OneItemStore()
    worker = OutboxWorker(store, senders={"slack": lambda _item: answers.pop(0)})  # type: ignore[arg-type]

    async def scenario() -> float:
        started = time.monotonic()
        task = asyncio.create_task(outbox_loop(worker, Wakeup(), interval=3600))
        while store.sent_at is None and time.monotonic() - started < 10:
            await asyncio.sleep(0.02)
        task.cancel()
        return time.monotonic() - started

    took = asyncio.run(scenario())
    assert store.sent_at is not None and answers == []
    assert 0.25 < took < 5  # after the Retry-After, long before the hour-long poll
    assert worker.seconds_to_next_retry(utcnow()) is None  # nothing left scheduled


def test_two_event_loops_wait_on_one_wakeup_and_both_wake():
    """An app whose lifespan runs twice at once (a second test client) waits in two loops;
    an event of the other loop would raise 'bound to a different event loop'."""
    wakeup, woke, errors = Wakeup(), [], []
    ready = threading.Barrier(3)

    def waiter() -> None:
        async def scenario() -> None:
            wakeup.bind()
            ready.wait(5)
            started = time.monotonic()
            await wakeup.wait(30)
            woke.append(time.monotonic() - started)
        try:
            asyncio.run(scenario())
        except Exception as exc:  # a wrong loop's event raises here
            errors.append(exc)

    threads = [threading.Thread(target=waiter) for _ in range(2)]
    for thread in threads:
        thread.start()
    ready.wait(5)
    time.sleep(0.1)  # both are inside wait()
    wakeup.set()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert len(woke) == 2 and max(woke) < 10
