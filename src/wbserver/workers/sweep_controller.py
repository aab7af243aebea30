"""The sweep controller's background pass (Hyperband early termination), every interval.

Each pass is idempotent (domain/sweep_controller.py) and runs in the process holding the
job's lease in the database (workers/leases.py), so once across server processes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool

from wbserver.config import Settings
from wbserver.domain.sweep_controller import controller_step
from wbserver.ports import MetadataStore
from wbserver.workers.leases import SWEEP_CONTROLLER, AlwaysHeld, JobGate

log = logging.getLogger("wbserver.sweep_controller")


async def sweep_controller(store: MetadataStore, settings: Callable[[], Settings],
                           gate: JobGate | None = None) -> None:
    """One pass per interval, in the process holding the job's lease (`gate`); a pass is
    idempotent, so a lease handed over mid-pass does no harm."""
    gate = gate or AlwaysHeld()
    while True:
        await gate.wait_for(SWEEP_CONTROLLER)
        try:
            report = await run_in_threadpool(controller_step, store)
            if report.stopped_runs:
                log.info("sweep controller: %d run(s) stopped early over %d sweep(s) in "
                         "%.3f s", report.stopped_runs, report.sweeps, report.seconds)
        except Exception:  # keep the loop alive; the next pass retries
            log.exception("sweep controller pass failed")
        await asyncio.sleep(settings().sweep_check_interval)
