"""Run reads for the web pages: the newest runs across several projects."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from wbserver.domain.models import Run
from wbserver.metadata import tables as t
from wbserver.metadata.run_rows import row_to_run, run_select


class RunBrowseRows:
    if TYPE_CHECKING:  # SqlStore's (store.py)
        def _read(self) -> AbstractContextManager[Connection]: ...

    def recent_runs(self, project_ids: list[int], *, limit: int = 20) -> list[Run]:
        """The newest runs (by creation) of these projects."""
        if not project_ids:
            return []
        query = (run_select().where(t.runs.c.project_id.in_(project_ids))
                 .order_by(t.runs.c.created_at.desc(), t.runs.c.id.desc()).limit(limit))
        with self._read() as conn:
            return [row_to_run(r) for r in conn.execute(query)]
