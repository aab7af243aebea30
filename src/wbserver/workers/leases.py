"""Leases in the database: each background job runs in one server process at a time.

Every process runs one `Leases.keep()` task. Every third of the lease time it takes or renews,
in one transaction, the lease of each job it runs (a row: job, owner, expiry). A job's loop
runs a pass only while `holds(job)` is true. The holder keeps renewing; when its process dies,
its rows expire and another process takes them at its next renewal: within the lease time and
one renewal more (40 s with the default 30 s). A graceful stop gives the leases up at once.

No consensus of our own: the database's row lock and primary key decide. A holder trusts its
lease until the time its last renewal *started* plus the lease time, less a margin for clock
skew, so it stops running passes before another process may take over; hosts' clocks must
agree to well within that margin (NTP).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from typing import Protocol

from starlette.concurrency import run_in_threadpool

from wbserver.domain.clock import utcnow
from wbserver.ports import MetadataStore

log = logging.getLogger("wbserver.leases")

CRASH_DETECTOR = "crash-detector"
BUCKET_QUEUE = "bucket-queue"
BUCKET_RECONCILE = "bucket-reconcile"
ARTIFACT_GC = "artifact-gc"
SWEEP_CONTROLLER = "sweep-controller"
JOBS = (CRASH_DETECTOR, BUCKET_QUEUE, BUCKET_RECONCILE, ARTIFACT_GC, SWEEP_CONTROLLER)
SKEW_MARGIN = 0.1  # of the lease time: a holder stops trusting its lease this much early


class JobGate(Protocol):
    def holds(self, job: str) -> bool: ...
    async def wait_for(self, job: str) -> None: ...


def process_owner() -> str:
    """host:pid:random, unique to this process even when a pid is reused."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(3)}"


def gone_here(owner: str, *, me: str) -> bool:
    """Whether `owner` was a process of this host (same host name) that no longer runs: a
    server restarted after a crash need not wait for its old leases to expire."""
    host, _, rest = owner.rpartition(":")[0].rpartition(":")
    mine = me.rpartition(":")[0].rpartition(":")[0]
    if host != mine or not rest.isdigit() or owner == me:
        return False
    try:
        os.kill(int(rest), 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, another user's
        return False
    return False


class Leases:
    def __init__(self, store: MetadataStore, *, seconds: float,
                 jobs: tuple[str, ...] = JOBS, owner: str | None = None) -> None:
        self.store = store
        self.seconds = seconds
        self.jobs = list(jobs)
        self.owner = owner or process_owner()
        self._trusted_until: dict[str, float] = {}  # job -> time.monotonic() deadline
        self._changed = asyncio.Event()
        self._first = True

    @property
    def renew_every(self) -> float:
        return self.seconds / 3

    def holds(self, job: str) -> bool:
        return time.monotonic() < self._trusted_until.get(job, 0.0)

    def renew(self) -> set[str]:
        """Take or renew the leases (blocking: call from a thread); returns those held."""
        started = time.monotonic()
        if self._first:
            self._first = False
            self._expire_dead_here()
        try:
            held = self.store.take_leases(self.jobs, owner=self.owner, now=utcnow(),
                                          seconds=self.seconds)
        except Exception as exc:  # the database is away: trust what we hold until it runs out
            log.warning("could not renew the worker leases: %s", str(exc).splitlines()[0]
                        if str(exc) else type(exc).__name__)
            return {job for job in self.jobs if self.holds(job)}
        trusted = started + self.seconds * (1 - SKEW_MARGIN)
        for job in self.jobs:
            was = self.holds(job)
            if job in held:
                self._trusted_until[job] = trusted
            else:
                self._trusted_until.pop(job, None)
            if was != (job in held):
                log.info("%s %s", "took" if job in held else "lost", job)
        return held

    def _expire_dead_here(self) -> None:
        try:
            for owner in {owner for _job, owner, _at, _until in self.store.leases()}:
                if gone_here(owner, me=self.owner):
                    log.info("the leases of %s, a process of this host that no longer runs, "
                             "are free", owner)
                    self.store.expire_leases(owner=owner, now=utcnow())
        except Exception as exc:  # the leases expire anyway
            log.warning("could not look at the worker leases: %s", exc)

    async def keep(self) -> None:
        """Renew for as long as the server runs (a task of its own)."""
        while True:
            await run_in_threadpool(self.renew)
            self._changed.set()
            self._changed = asyncio.Event()
            await asyncio.sleep(self.renew_every)

    async def wait_for(self, job: str) -> None:
        """Return once this process holds `job`."""
        while not self.holds(job):
            changed = self._changed
            try:  # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
                async with asyncio.timeout(self.renew_every):
                    await changed.wait()
            except TimeoutError:
                pass

    def release(self) -> None:
        """Give every lease up (a graceful stop), so that another process takes them at once."""
        self._trusted_until.clear()
        try:
            self.store.release_leases(owner=self.owner)
        except Exception:  # the rows expire anyway
            log.warning("could not give up the worker leases; they expire in %.0f s",
                        self.seconds)


class AlwaysHeld:
    """Leases for a process that runs every job itself (tests, single-process tools)."""

    def holds(self, job: str) -> bool:
        return True

    async def wait_for(self, job: str) -> None:
        return None
