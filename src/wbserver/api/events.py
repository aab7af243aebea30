"""Run events from request handlers into the outbox (domain/notifications.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from wbserver.domain.clock import utcnow
from wbserver.domain.models import Run
from wbserver.domain.notifications import AlertInfo, enqueue_run_event
from wbserver.http.context import Services

log = logging.getLogger("wbserver.events")
Emit = Callable[..., None]


def emitter(services: Services, base_url: str) -> Emit:
    """A function that records an event; a failure to record never fails the client's
    request (the run data it carried is already stored)."""

    def emit(kind: str, run: Run, alert: AlertInfo | None = None) -> None:
        try:
            recorded = enqueue_run_event(
                services.store, kind=kind, run=run, now=utcnow(), base_url=base_url,
                to_queue=bool(getattr(services.settings, "notifications_queue", "")), alert=alert)
            if recorded:  # nothing to deliver: let the outbox sleep
                services.outbox_wakeup.set()
        except Exception:
            log.exception("could not record the %s event of run %s", kind, run.id)

    return emit
