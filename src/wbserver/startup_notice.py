"""Say what the server is waiting for when an outside system is slow to answer.

A cloud SDK pointed at an unreachable endpoint (or looking for credentials on a metadata
server that is not there) retries quietly for 90 to 120 s. `slow_notice` logs, after
SLOW_NOTICE seconds, what is being tried, and once more when it ends."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

log = logging.getLogger("wbserver.setup")
SLOW_NOTICE = 3.0


@contextlib.contextmanager
def slow_notice(what: str, *, after: float = SLOW_NOTICE) -> Iterator[None]:
    started = time.monotonic()
    said = threading.Event()

    def say() -> None:
        said.set()
        log.warning("wbserver: still %s after %.0f s; the SDK retries for up to about 2 "
                    "minutes before it gives up (check the endpoint, the network and the "
                    "credentials)", what, after)

    timer = threading.Timer(after, say)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        if said.is_set():
            log.warning("wbserver: %s took %.0f s", what, time.monotonic() - started)


def endpoint_of(store: Any) -> str:
    """' at <endpoint>' for the stores that know theirs, else ''."""
    for attribute in ("endpoint_url", "endpoint", "account_url"):
        value = getattr(store, attribute, None)
        if isinstance(value, str) and value:
            return f" at {value}"
    default = getattr(store, "default_endpoint", None)
    return f" at {default}" if isinstance(default, str) else ""
