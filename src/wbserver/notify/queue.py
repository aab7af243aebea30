"""Publishing run events to NOTIFICATIONS_QUEUE (the outbox's 'queue' channel)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wbserver.domain.models import OutboxItem
from wbserver.domain.notifications import QUEUE_TARGET
from wbserver.errors import ConfigError
from wbserver.ports import Delivery

CONFIG_RETRY_SECONDS = 300.0


def queue_sender(current_uri: Callable[[], str],
                 open_publisher: Callable[[str], Any]) -> Callable[[OutboxItem], Delivery]:
    """Send an outbox item's event (already JSON) to the queue NOTIFICATIONS_QUEUE names at
    delivery time (the row holds only the setting's name, never the URI's credentials). A
    queue that cannot be reached is retried with backoff; the event waits in the outbox. When
    the setting was turned off, waiting events are marked failed."""
    publishers: dict[str, Any] = {}

    def send(item: OutboxItem) -> Delivery:
        if item.target != QUEUE_TARGET:
            return Delivery("revoked", detail="the item names no known queue destination")
        uri = current_uri()
        if not uri:
            return Delivery("revoked", detail="NOTIFICATIONS_QUEUE is no longer set; the "
                                              "event was not published")
        try:
            publisher = publishers.get(uri)
            if publisher is None:
                for old in publishers.values():  # a changed setting: the old client goes
                    getattr(old, "close", lambda: None)()
                publishers.clear()
                publisher = publishers[uri] = open_publisher(uri)
            publisher.publish(item.payload)
        except ConfigError as exc:
            return Delivery("retry", retry_after=CONFIG_RETRY_SECONDS, detail=exc.message)
        except Exception as exc:  # the provider's SDK: an outage, throttling, a bad credential
            publishers.pop(uri, None)
            return Delivery("retry", detail=f"the notifications queue could not be reached: {exc}")
        return Delivery("sent")

    return send
