"""Marks runs crashed when their heartbeat goes stale (a killed client sends nothing)."""

from __future__ import annotations

import asyncio
import logging

from starlette.concurrency import run_in_threadpool

from wbserver.domain.runs import mark_crashed_runs
from wbserver.ports import MetadataStore

log = logging.getLogger("wbserver.crash_detector")


async def crash_detector(store: MetadataStore, *, timeout: float, interval: float) -> None:
    """One UPDATE per interval; it is atomic, so several processes may run it side by side."""
    while True:
        try:
            count = await run_in_threadpool(mark_crashed_runs, store, timeout_seconds=timeout)
            if count:
                log.info("marked %d run(s) crashed: no heartbeat for %.0f s", count, timeout)
        except Exception:  # keep the loop alive; the next pass retries
            log.exception("crash detection pass failed")
        await asyncio.sleep(interval)
