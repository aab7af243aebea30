"""Delivers the outbox: Slack messages (and queue events), with leases so that several server
processes never send the same item at once, retries with backoff, and Retry-After honoured.

The process that records an event wakes its own loop at once (`Wakeup`), and wakes again when
a retry it scheduled falls due; a slow poll (every 30 s) picks up what other processes left:
items whose process stopped before sending them, their retries, leases that ran out."""

from __future__ import annotations

import heapq
import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta

from starlette.concurrency import run_in_threadpool

from wbserver.domain.clock import utcnow
from wbserver.domain.models import OutboxItem
from wbserver.ports import Delivery, MetadataStore
from wbserver.wakeup import Wakeup

log = logging.getLogger("wbserver.outbox")
LEASE_SECONDS = 120.0
POLL_SECONDS = 30.0
MAX_BACKOFF = 600.0
KEEP_DAYS = 30  # sent and given-up items are kept this long (the admin's delivery log), then pruned
PRUNE_EVERY = timedelta(hours=1)
Sender = Callable[[OutboxItem], Delivery]


def backoff(attempts: int) -> float:
    return min(2.0 ** attempts, MAX_BACKOFF)


class OutboxWorker:
    """`senders` maps a channel ('slack', 'queue') to the function that delivers an item."""

    def __init__(self, store: MetadataStore, senders: dict[str, Sender]) -> None:
        self.store = store
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self.senders = senders
        self._retries: list[datetime] = []  # when the retries this worker scheduled fall due
        self._next_prune = utcnow()

    def seconds_to_next_retry(self, now: datetime) -> float | None:
        """How long until the earliest retry this worker scheduled (None: none pending)."""
        return max(0.0, (self._retries[0] - now).total_seconds()) if self._retries else None

    def run_once(self) -> int:
        """Deliver what is due; returns how many items were handled."""
        now = utcnow()
        while self._retries and self._retries[0] <= now:  # due: this pass claims them
            heapq.heappop(self._retries)
        if now >= self._next_prune:
            self._next_prune = now + PRUNE_EVERY
            pruned = self.store.prune_outbox(before=now - timedelta(days=KEEP_DAYS))
            if pruned:
                log.info("pruned %d delivered outbox items older than %d days", pruned, KEEP_DAYS)
        items = self.store.claim_outbox(owner=self.owner, now=now,
                                        lease_seconds=LEASE_SECONDS)
        for item in items:
            sender = self.senders.get(item.channel)
            if sender is None:
                self._retry(item, timedelta(minutes=5),
                            f"no sender for channel {item.channel!r}")
                continue
            try:
                delivery = sender(item)
            except Exception as exc:  # a bug or an outage: try again later
                log.exception("sending outbox item %s failed", item.id)
                delivery = Delivery("retry", detail=str(exc))
            self._record(item, delivery)
        return len(items)

    def _record(self, item: OutboxItem, delivery: Delivery) -> None:
        now = utcnow()
        if delivery.outcome == "sent":
            self.store.outbox_sent(item.id, now=now)
        elif delivery.outcome == "revoked":
            self.store.outbox_failed(item.id, now=now, error=delivery.detail)
        else:
            wait = delivery.retry_after if delivery.retry_after is not None else backoff(item.attempts)
            self._retry(item, timedelta(seconds=wait), delivery.detail)

    def _retry(self, item: OutboxItem, wait: timedelta, error: str) -> None:
        due = utcnow() + wait
        self.store.outbox_retry(item.id, next_attempt_at=due, error=error)
        heapq.heappush(self._retries, due)


async def outbox_loop(worker: OutboxWorker, wakeup: Wakeup | None = None, *,
                      interval: float = POLL_SECONDS) -> None:
    wakeup = wakeup or Wakeup()
    wakeup.bind()
    while True:
        try:
            handled = await run_in_threadpool(worker.run_once)
        except Exception:
            log.exception("outbox pass failed")
            handled = 0
        if not handled:
            retry_in = worker.seconds_to_next_retry(utcnow())
            await wakeup.wait(interval if retry_in is None else min(interval, retry_in + 0.01))
