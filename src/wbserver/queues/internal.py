"""internal://: no bucket notifications; the server looks at the store itself.

Hints (a key the client reported uploaded, in file_stream's `uploaded`) wait in this process's
memory; the consumer checks the store for each. Nothing is lost if the process stops: the
periodic reconciliation finds what hints missed.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque

from wbserver.backends import QUEUES, BackendEnv
from wbserver.errors import ConfigError
from wbserver.ports import ObjectCreated, QueueMessage

MAX_PENDING = 100_000


class InternalQueue:
    name = "internal://"
    # the consumer may wait this long on an empty queue: a hint or close() ends the wait at once
    idle_wait_seconds = 60.0

    def __init__(self) -> None:
        self._pending: deque[str] = deque(maxlen=MAX_PENDING)
        self._ready = threading.Condition()
        self._ids = itertools.count(1)
        self._closed = False

    def notify(self, keys: list[str]) -> None:
        with self._ready:
            self._pending.extend(keys)
            self._ready.notify_all()

    def receive(self, *, max_messages: int, wait_seconds: float) -> list[QueueMessage]:
        with self._ready:
            if not self._pending and not self._closed:
                self._ready.wait(timeout=wait_seconds)
            keys = [self._pending.popleft() for _ in range(min(max_messages,
                                                                len(self._pending)))]
        return [QueueMessage(id=str(next(self._ids)),
                             events=[ObjectCreated(bucket="", name=key, key=key)])
                for key in keys]

    def ack(self, message: QueueMessage) -> None:
        pass  # taken off the queue when received

    def check(self) -> None:
        pass

    def close(self) -> None:
        """Ends a consumer's wait (the server stops, or BUCKET_QUEUE changed)."""
        with self._ready:
            self._closed = True
            self._ready.notify_all()


@QUEUES.register("internal")
def open_internal(uri: str, env: BackendEnv) -> InternalQueue:
    if uri.rstrip("/") not in ("internal:", "internal:/"):
        raise ConfigError("the internal queue takes no name: internal://")
    return InternalQueue()
