"""What /readyz and /metrics read: a database ping, the outbox backlog, uploads not landed."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, select

from wbserver.metadata import tables as t

UPLOAD_WINDOW = timedelta(days=7)  # older unlanded files are given up on (the reconciler's age)


class GaugeRows:
    if TYPE_CHECKING:  # SqlStore's (store.py)
        def _read(self) -> AbstractContextManager[Connection]: ...

    def ping(self) -> None:
        """Read a table through a pooled connection (not the cached fast reads): raises when
        the database cannot be read."""
        with self._read() as conn:
            conn.execute(select(t.server_marks.c.name).limit(1)).all()

    def outbox_depth(self) -> int:
        c = t.outbox.c
        with self._read() as conn:
            return int(conn.execute(select(func.count()).select_from(t.outbox).where(
                c.sent_at.is_(None), c.failed_at.is_(None))).scalar_one())

    def upload_backlog(self, *, now: datetime) -> tuple[int, float]:
        """(run files handed an upload URL within the window and not landed, age in seconds
        of the oldest of them)."""
        c = t.run_files.c
        with self._read() as conn:
            count, oldest = conn.execute(select(func.count(), func.min(c.created_at)).where(
                c.size_bytes.is_(None), c.created_at > now - UPLOAD_WINDOW)).one()
        if not count or oldest is None:
            return 0, 0.0
        if oldest.tzinfo is None and now.tzinfo is not None:
            oldest = oldest.replace(tzinfo=now.tzinfo)
        return int(count), max(0.0, (now - oldest).total_seconds())
