"""Delivers the outbox: Slack messages (and queue events), with leases so that several server
processes never send the same item at once, retries with backoff, and Retry-After honoured.

The process that records an event wakes its own loop at once (`Wakeup`); a slower poll picks up
items recorded by other processes, retries that fall due and leases that ran out."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import timedelta

from starlette.concurrency import run_in_threadpool

from wbserver.domain.clock import utcnow
from wbserver.domain.models import OutboxItem
from wbserver.ports import Delivery, MetadataStore
from wbserver.wakeup import Wakeup

log = logging.getLogger("wbserver.outbox")
LEASE_SECONDS = 120.0
POLL_SECONDS = 5.0
MAX_BACKOFF = 600.0
Sender = Callable[[OutboxItem], Delivery]


def backoff(attempts: int) -> float:
    return min(2.0 ** attempts, MAX_BACKOFF)


class OutboxWorker:
    """`senders` maps a channel ('slack', 'queue') to the function that delivers an item."""

    def __init__(self, store: MetadataStore, senders: dict[str, Sender]) -> None:
        self.store = store
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self.senders = senders

    def run_once(self) -> int:
        """Deliver what is due; returns how many items were handled."""
        items = self.store.claim_outbox(owner=self.owner, now=utcnow(),
                                        lease_seconds=LEASE_SECONDS)
        for item in items:
            sender = self.senders.get(item.channel)
            if sender is None:
                self.store.outbox_retry(item.id, next_attempt_at=utcnow() + timedelta(minutes=5),
                                        error=f"no sender for channel {item.channel!r}")
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
            self.store.outbox_retry(item.id, next_attempt_at=now + timedelta(seconds=wait),
                                    error=delivery.detail)


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
            await wakeup.wait(interval)
