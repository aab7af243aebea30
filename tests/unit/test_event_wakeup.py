"""A run event wakes the outbox only when it recorded something to deliver."""

from __future__ import annotations

from types import SimpleNamespace

from wbserver.api import events


class CountingWakeup:
    def __init__(self) -> None:
        self.sets = 0

    def set(self) -> None:
        self.sets += 1


def test_the_outbox_is_woken_only_for_recorded_items(monkeypatch):
    recorded = []
    monkeypatch.setattr(events, "enqueue_run_event", lambda *_a, **_k: recorded.pop(0))
    wakeup = CountingWakeup()
    services = SimpleNamespace(store=None, settings=SimpleNamespace(notifications_queue=""),
                               outbox_wakeup=wakeup)
    emit = events.emitter(services, "http://wb.example")  # type: ignore[arg-type]
    recorded[:] = [0, 2, 0]
    for _ in range(3):
        emit("run_finished", SimpleNamespace(id=1))
    assert wakeup.sets == 1


def test_a_failure_to_record_never_reaches_the_client(monkeypatch):
    def boom(*_a, **_k):
        raise OSError("database is away")

    monkeypatch.setattr(events, "enqueue_run_event", boom)
    wakeup = CountingWakeup()
    services = SimpleNamespace(store=None, settings=SimpleNamespace(notifications_queue=""),
                               outbox_wakeup=wakeup)
    events.emitter(services, "")("run_created", SimpleNamespace(id=1))  # type: ignore[arg-type]
    assert wakeup.sets == 0
