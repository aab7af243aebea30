"""The sweep controller's background pass (Hyperband early termination), every interval.

Each pass is idempotent (domain/sweep_controller.py): several server processes may run it at
once; a DB lease making it run once across processes can wrap `controller_step` unchanged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool

from wbserver.config import Settings
from wbserver.domain.sweep_controller import controller_step
from wbserver.ports import MetadataStore

log = logging.getLogger("wbserver.sweep_controller")


async def sweep_controller(store: MetadataStore, settings: Callable[[], Settings]) -> None:
    while True:
        try:
            report = await run_in_threadpool(controller_step, store)
            if report.stopped_runs:
                log.info("sweep controller: %d run(s) stopped early over %d sweep(s) in "
                         "%.3f s", report.stopped_runs, report.sweeps, report.seconds)
        except Exception:  # keep the loop alive; the next pass retries
            log.exception("sweep controller pass failed")
        await asyncio.sleep(settings().sweep_check_interval)
