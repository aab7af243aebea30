"""Saved workspace layouts (one JSON document per user and project) and the bulk history
reads a workspace panel makes (one key over many runs, or a stream of many runs, in one
query)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, bindparam, func, or_, select, update

from wbserver.domain.models import HistoryChunk, HistorySegment, Run
from wbserver.metadata import tables as t
from wbserver.metadata.run_rows import rows_to_runs, run_select

_w, _s, _c = t.workspace_layouts.c, t.history_segments.c, t.history_chunks.c
_LAYOUT = select(_w.layout).where(_w.user_id == bindparam("user_id"),
                                  _w.project_id == bindparam("project_id"))
_MANY = (select(_s.run_id, _s.key, _s.start_line, _s.end_line, _s.point_count, _s.min_step,
                _s.max_step, _s.data)
         .where(_s.run_id.in_(bindparam("run_ids", expanding=True)), _s.key == bindparam("key"))
         .order_by(_s.run_id, _s.start_line))
_CHUNKS = (select(_c.run_id, _c.start_line, _c.end_line, _c.min_step, _c.max_step, _c.data)
           .where(_c.run_id.in_(bindparam("run_ids", expanding=True)),
                  _c.stream == bindparam("stream"))
           .order_by(_c.run_id, _c.start_line))


_r = t.runs.c
_SEARCHED = (_r.display_name, _r.name, _r.group_name, _r.job_type, _r.tags)


def _runs_where(project_id: int, words: list[str], state: str) -> Any:
    """The project's runs in STATE (any if empty) whose name, display name, group, job type
    or tags hold every word (case folded; `%` and `_` in a word are themselves)."""
    where = [_r.project_id == project_id]
    if state:
        where.append(_r.state == state)
    for word in words:
        escaped = word.lower().replace("!", "!!").replace("%", "!%").replace("_", "!_")
        where.append(or_(*[func.lower(func.coalesce(c, "")).like(f"%{escaped}%", escape="!")
                           for c in _SEARCHED]))
    return and_(*where)


class WorkspaceRows:
    if TYPE_CHECKING:  # SqlStore's (store.py)
        def _read(self) -> AbstractContextManager[Connection]: ...
        def _write(self) -> AbstractContextManager[Connection]: ...

    def workspace_layout(self, user_id: int, project_id: int) -> str | None:
        with self._read() as conn:
            return conn.execute(_LAYOUT, {"user_id": user_id, "project_id": project_id}
                                ).scalar_one_or_none()

    def save_workspace_layout(self, user_id: int, project_id: int, layout: str,
                              now: datetime) -> None:
        """Insert or replace (a retried save writes the same document again)."""
        with self._write() as conn:
            changed = conn.execute(update(t.workspace_layouts).where(
                _w.user_id == user_id, _w.project_id == project_id).values(
                layout=layout, updated_at=now)).rowcount
            if not changed:
                conn.execute(t.workspace_layouts.insert().values(
                    user_id=user_id, project_id=project_id, layout=layout, updated_at=now))

    def workspace_runs_page(self, project_id: int, *, words: list[str], state: str,
                            offset: int, limit: int) -> tuple[list[Run], int]:
        """A page of the project's runs, newest first (by id), searched and filtered as the
        workspace's list does, and how many match in all."""
        where = _runs_where(project_id, words, state)
        page = select(_r.id).where(where)
        if words:  # a search scans the rows anyway: the page and the count in one pass
            page = page.add_columns(func.count().over().label("total"))
        ids = page.order_by(_r.id.desc()).offset(offset).limit(limit).subquery("page")
        query = run_select().join(ids, ids.c.id == _r.id).order_by(_r.id.desc())
        with self._read() as conn:
            rows = conn.execute(query.add_columns(ids.c.total) if words else query).all()
            # else a count on the index alone, and a page that stops at its last run
            total = int(rows[0].total) if words and rows else int(conn.execute(
                select(func.count()).select_from(t.runs).where(where)).scalar_one())
        return rows_to_runs(rows), total

    def read_segments_of_runs(self, run_ids: list[int],
                              key: str) -> dict[int, list[HistorySegment]]:
        """Each run's segments of `key`, in line order, in one query."""
        out: dict[int, list[HistorySegment]] = {run_id: [] for run_id in run_ids}
        if not run_ids:
            return out
        with self._read() as conn:
            for r in conn.execute(_MANY, {"run_ids": run_ids, "key": key}):
                out[r.run_id].append(HistorySegment(
                    key=r.key, start_line=r.start_line, end_line=r.end_line,
                    point_count=r.point_count, min_step=r.min_step, max_step=r.max_step,
                    data=bytes(r.data)))
        return out

    def read_chunks_of_runs(self, run_ids: list[int],
                            stream: str) -> dict[int, list[HistoryChunk]]:
        """Each run's chunks of `stream` ("events": system metrics), in line order, in one
        query."""
        out: dict[int, list[HistoryChunk]] = {run_id: [] for run_id in run_ids}
        if not run_ids:
            return out
        with self._read() as conn:
            for r in conn.execute(_CHUNKS, {"run_ids": run_ids, "stream": stream}):
                out[r.run_id].append(HistoryChunk(
                    start_line=r.start_line, end_line=r.end_line, min_step=r.min_step,
                    max_step=r.max_step, data=bytes(r.data)))
        return out
