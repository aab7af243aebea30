"""Runs the artifact garbage collector every WBSERVER_ARTIFACT_GC_INTERVAL seconds (0: off).

The settings are read on every pass, so turning it on or off needs no restart. It runs in the
process holding the job's lease; a pass would be safe next to others anyway: rows are
forgotten in one transaction that re-checks them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool

from wbserver.config import Settings
from wbserver.domain.artifact_gc import collect_garbage
from wbserver.ports import BlobStore, MetadataStore
from wbserver.workers.leases import ARTIFACT_GC, AlwaysHeld, JobGate

log = logging.getLogger("wbserver.artifact_gc")
IDLE_CHECK = 60.0


async def artifact_gc(store: MetadataStore, blobs: BlobStore,
                      settings: Callable[[], Settings], gate: JobGate | None = None) -> None:
    gate = gate or AlwaysHeld()
    while True:
        current = settings()
        if current.artifact_gc_interval > 0 and not gate.holds(ARTIFACT_GC):
            await gate.wait_for(ARTIFACT_GC)
            continue
        if current.artifact_gc_interval > 0:
            try:
                report = await run_in_threadpool(
                    collect_garbage, store, blobs, grace_seconds=current.artifact_gc_grace,
                    dry_run=False)
                if report.blobs or report.manifests:
                    log.info("artifact GC freed %d file(s), %d bytes, %d manifest(s)",
                             len(report.blobs), report.bytes, len(report.manifests))
            except Exception:  # keep the loop alive; the next pass retries
                log.exception("artifact GC pass failed")
        await asyncio.sleep(current.artifact_gc_interval or IDLE_CHECK)
