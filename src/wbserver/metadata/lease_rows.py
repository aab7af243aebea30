"""Worker leases (which process runs each background job) and the install id."""

from __future__ import annotations

import uuid
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection, case, delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from wbserver.domain.clock import utcnow
from wbserver.metadata import tables as t

INSTALL_MARK = "install:"


class LeaseRows:
    if TYPE_CHECKING:  # SqlStore's (store.py)
        def _read(self) -> AbstractContextManager[Connection]: ...
        def _write(self) -> AbstractContextManager[Connection]: ...

    def take_leases(self, jobs: list[str], *, owner: str, now: datetime,
                    seconds: float) -> set[str]:
        """Take or renew each job's lease for `owner` until now + seconds, where it is free,
        expired or already ours; returns the jobs `owner` holds now. One transaction."""
        c = t.worker_leases.c
        expires = now + timedelta(seconds=seconds)
        held: set[str] = set()
        with self._write() as conn:
            for job in jobs:
                # acquired_at first: MySQL evaluates SET clauses in order, with the new owner
                renewed = conn.execute(update(t.worker_leases).where(
                    c.job == job, or_(c.owner == owner, c.expires_at < now)).ordered_values(
                    (c.acquired_at, case((c.owner == owner, c.acquired_at), else_=now)),
                    (c.owner, owner), (c.expires_at, expires))).rowcount
                if renewed:
                    held.add(job)
                    continue
                if conn.execute(select(c.job).where(c.job == job)).first() is not None:
                    continue  # held by another process, not expired
                try:
                    with conn.begin_nested():
                        conn.execute(t.worker_leases.insert().values(
                            job=job, owner=owner, expires_at=expires, acquired_at=now))
                    held.add(job)
                except IntegrityError:
                    pass  # another process inserted it first
        return held

    def release_leases(self, *, owner: str) -> None:
        """Give up every lease `owner` holds (a graceful stop): others take them at once."""
        with self._write() as conn:
            conn.execute(delete(t.worker_leases).where(t.worker_leases.c.owner == owner))

    def expire_leases(self, *, owner: str, now: datetime) -> None:
        """Let `owner`'s leases expire now (its process is known to be gone)."""
        with self._write() as conn:
            conn.execute(update(t.worker_leases).where(
                t.worker_leases.c.owner == owner, t.worker_leases.c.expires_at > now).values(
                expires_at=now))

    def leases(self) -> list[tuple[str, str, datetime, datetime]]:
        """(job, owner, acquired_at, expires_at) of every lease row."""
        c = t.worker_leases.c
        with self._read() as conn:
            return [(r.job, r.owner, r.acquired_at, r.expires_at) for r in conn.execute(
                select(c.job, c.owner, c.acquired_at, c.expires_at).order_by(c.job))]

    def install_id(self) -> str:
        """This install's id, made once (a `server_marks` row); the same in every process."""
        c = t.server_marks.c
        mine = c.name.like(INSTALL_MARK + "%")
        with self._read() as conn:
            found = conn.execute(select(c.name).where(mine).order_by(
                c.created_at, c.name).limit(1)).scalar()
        if found is None:
            with self._write() as conn:
                conn.execute(t.server_marks.insert().values(
                    name=INSTALL_MARK + uuid.uuid4().hex, created_at=utcnow()))
            with self._read() as conn:  # two processes racing both read the earliest
                found = conn.execute(select(c.name).where(mine).order_by(
                    c.created_at, c.name).limit(1)).scalar_one()
        return str(found)[len(INSTALL_MARK):]
