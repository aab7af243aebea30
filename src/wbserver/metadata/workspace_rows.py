"""Saved workspace layouts (one JSON document per user and project) and the bulk history
reads a workspace panel makes (one key over many runs, or a stream of many runs, in one
query)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, bindparam, select, update

from wbserver.domain.models import HistoryChunk, HistorySegment
from wbserver.metadata import tables as t

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
