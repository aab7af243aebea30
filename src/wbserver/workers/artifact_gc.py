"""Runs the artifact garbage collector every WBSERVER_ARTIFACT_GC_INTERVAL seconds (0: off),
and deletes the versions past their TTL every EXPIRY_CHECK seconds whether it is on or not
(a TTL is the user's request to delete; a collection then frees the bytes).

The settings are read on every pass, so turning it on or off needs no restart. It runs in the
process holding the job's lease; a pass would be safe next to others anyway: rows are
forgotten in one transaction that re-checks them, and deleting a version twice is harmless."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool

from wbserver.config import Settings
from wbserver.domain.artifact_gc import collect_garbage, expire_versions
from wbserver.ports import BlobStore, MetadataStore
from wbserver.workers.leases import ARTIFACT_GC, AlwaysHeld, JobGate

log = logging.getLogger("wbserver.artifact_gc")
EXPIRY_CHECK = 60.0


async def artifact_gc(store: MetadataStore, blobs: BlobStore,
                      settings: Callable[[], Settings], gate: JobGate | None = None) -> None:
    gate = gate or AlwaysHeld()
    last_pass: float | None = None
    while True:
        await gate.wait_for(ARTIFACT_GC)
        interval = settings().artifact_gc_interval
        due = interval > 0 and (last_pass is None or time.monotonic() - last_pass >= interval)
        try:
            if due:
                last_pass = time.monotonic()
                await _collect(store, blobs, settings().artifact_gc_grace)
            else:
                expired = await run_in_threadpool(expire_versions, store)
                if expired:
                    log.info("%d artifact version(s) past their TTL deleted", len(expired))
        except Exception:  # keep the loop alive; the next pass retries
            log.exception("artifact GC pass failed")
        await asyncio.sleep(min(interval, EXPIRY_CHECK) if interval > 0 else EXPIRY_CHECK)


async def _collect(store: MetadataStore, blobs: BlobStore, grace: float) -> None:
    report = await run_in_threadpool(collect_garbage, store, blobs, grace_seconds=grace,
                                     dry_run=False)
    if report.blobs or report.manifests or report.expired:
        log.info("artifact GC freed %d file(s), %d bytes, %d manifest(s); %d version(s) past "
                 "their TTL deleted", len(report.blobs), report.bytes, len(report.manifests),
                 len(report.expired))
