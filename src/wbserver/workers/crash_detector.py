"""Marks runs crashed when their heartbeat goes stale (a killed client sends nothing)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool

from wbserver.config import Settings
from wbserver.domain.models import Run
from wbserver.domain.runs import mark_crashed_runs
from wbserver.ports import BlobStore, MetadataStore
from wbserver.workers.leases import CRASH_DETECTOR, AlwaysHeld, JobGate

log = logging.getLogger("wbserver.crash_detector")


async def crash_detector(store: MetadataStore, blobs: BlobStore,
                         settings: Callable[[], Settings],
                         on_crash: Callable[[Run], None] | None = None,
                         gate: JobGate | None = None) -> None:
    """One UPDATE per interval, in the process holding the job's lease (`gate`). The timeout
    and interval are read on every pass, so changes apply without a restart."""
    gate = gate or AlwaysHeld()
    while True:
        await gate.wait_for(CRASH_DETECTOR)
        timeout, interval = settings().heartbeat_timeout, settings().crash_check_interval
        try:
            count = await run_in_threadpool(mark_crashed_runs, store, blobs,
                                            timeout_seconds=timeout, on_crash=on_crash)
            if count:
                log.info("marked %d run(s) crashed: no heartbeat for %.0f s", count, timeout)
        except Exception:  # keep the loop alive; the next pass retries
            log.exception("crash detection pass failed")
        await asyncio.sleep(interval)
