"""Security issue #18, item 10: a NOTIFICATIONS_QUEUE outbox row names the setting, and the
sender reads the setting's value (with its credentials) only when it delivers."""

from __future__ import annotations

from datetime import datetime

from wbserver.domain.models import OutboxItem
from wbserver.notify.queue import queue_sender

QUEUE_TARGET = "NOTIFICATIONS_QUEUE"  # what a queue row names (docs/notifications.md)


class Publisher:
    def __init__(self, uri: str, log: list[tuple[str, str]]) -> None:
        self.uri, self.log, self.closed = uri, log, False

    def publish(self, body: str) -> None:
        self.log.append((self.uri, body))

    def close(self) -> None:
        self.closed = True


def item(n: int, target: str = QUEUE_TARGET) -> OutboxItem:
    return OutboxItem(id=n, channel="queue", target=target, payload=f'{{"n": {n}}}',
                      attempts=0, created_at=datetime(2026, 12, 1))


def test_the_queue_is_the_one_the_setting_names_when_the_event_is_sent() -> None:
    setting = {"uri": "sqs://AK:SECRET@127.0.0.1:4566/one"}
    published: list[tuple[str, str]] = []
    opened: list[Publisher] = []

    def open_publisher(uri: str) -> Publisher:
        opened.append(Publisher(uri, published))
        return opened[-1]

    send = queue_sender(lambda: setting["uri"], open_publisher)
    assert send(item(1)).outcome == "sent"
    assert send(item(2)).outcome == "sent"
    assert len(opened) == 1  # one client per queue, reused
    setting["uri"] = "sqs://AK:SECRET@127.0.0.1:4566/two"  # changed on /system-admin
    assert send(item(3)).outcome == "sent"
    assert published == [("sqs://AK:SECRET@127.0.0.1:4566/one", '{"n": 1}'),
                         ("sqs://AK:SECRET@127.0.0.1:4566/one", '{"n": 2}'),
                         ("sqs://AK:SECRET@127.0.0.1:4566/two", '{"n": 3}')]
    assert opened[0].closed and not opened[1].closed
    setting["uri"] = ""  # turned off: what waits is not published anywhere
    off = send(item(4))
    assert off.outcome == "revoked" and "NOTIFICATIONS_QUEUE is no longer set" in off.detail
    assert len(published) == 3


def test_a_row_that_names_no_known_destination_is_not_sent_anywhere() -> None:
    published: list[tuple[str, str]] = []
    send = queue_sender(lambda: "sqs://q", lambda uri: Publisher(uri, published))
    refused = send(item(1, target="sqs://AK:SECRET@elsewhere/q"))
    assert refused.outcome == "revoked" and published == []
    assert "SECRET" not in refused.detail
