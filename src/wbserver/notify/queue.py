"""Publishing run events to NOTIFICATIONS_QUEUE (the outbox's 'queue' channel)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wbserver.domain.models import OutboxItem
from wbserver.errors import ConfigError
from wbserver.ports import Delivery

CONFIG_RETRY_SECONDS = 300.0


def queue_sender(open_publisher: Callable[[str], Any]) -> Callable[[OutboxItem], Delivery]:
    """Send an outbox item's event (already JSON) to the queue its target names. A queue
    that cannot be reached is retried with backoff; the event waits in the outbox."""
    publishers: dict[str, Any] = {}

    def send(item: OutboxItem) -> Delivery:
        try:
            publisher = publishers.get(item.target)
            if publisher is None:
                publisher = publishers[item.target] = open_publisher(item.target)
            publisher.publish(item.payload)
        except ConfigError as exc:
            return Delivery("retry", retry_after=CONFIG_RETRY_SECONDS, detail=exc.message)
        except Exception as exc:  # the provider's SDK: an outage, throttling, a bad credential
            publishers.pop(item.target, None)
            return Delivery("retry", detail=f"the notifications queue could not be reached: {exc}")
        return Delivery("sent")

    return send
