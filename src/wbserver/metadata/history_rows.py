"""Reading history chunks, per-key segments and console lines; recording alerts."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, bindparam, func, or_, select

from wbserver.domain.models import HistoryChunk, HistoryRollup, HistorySegment
from wbserver.metadata import tables as t
from wbserver.metadata.inserted import inserted_id

# read on every chart and history request: built once
_s, _r = t.history_segments.c, t.history_rollups.c
_SEGMENT = select(_s.key, _s.start_line, _s.end_line, _s.point_count, _s.min_step,
                  _s.max_step, _s.data)
_SEGMENTS = (_SEGMENT.where(_s.run_id == bindparam("run_id"), _s.key == bindparam("key"))
             .order_by(_s.start_line))
_SEGMENTS_OF_KEYS = (_SEGMENT.where(_s.run_id == bindparam("run_id"),
                                   _s.key.in_(bindparam("keys", expanding=True)))
                     .order_by(_s.start_line))
_SEGMENTS_AT = (_SEGMENT.where(_s.run_id == bindparam("run_id"),
                       _s.key.in_(bindparam("keys", expanding=True)),
                       _s.start_line == bindparam("start_line")))
_ROLLUPS = (select(_r.start_line, _r.end_line, _r.raw_count, _r.finite_count, _r.monotonic,
                   _r.point_count, _r.data)
            .where(_r.run_id == bindparam("run_id"), _r.key == bindparam("key"))
            .order_by(_r.start_line))


def _segment(row: Any) -> HistorySegment:
    return HistorySegment(key=row.key, start_line=row.start_line, end_line=row.end_line,
                          point_count=row.point_count, min_step=row.min_step,
                          max_step=row.max_step, data=bytes(row.data))


class HistoryRows:
    if TYPE_CHECKING:  # SqlStore's (store.py)
        def _read(self) -> AbstractContextManager[Connection]: ...
        def _write(self) -> AbstractContextManager[Connection]: ...

    def read_chunks(self, run_id: int, stream: str, *, min_step: int | None = None,
                    max_step: int | None = None) -> list[HistoryChunk]:
        c = t.history_chunks.c
        query = select(c.start_line, c.end_line, c.min_step, c.max_step, c.data).where(
            c.run_id == run_id, c.stream == stream)
        if min_step is not None:
            query = query.where(or_(c.max_step.is_(None), c.max_step >= min_step))
        if max_step is not None:
            query = query.where(or_(c.min_step.is_(None), c.min_step <= max_step))
        with self._read() as conn:
            rows = conn.execute(query.order_by(c.start_line)).all()
        return [HistoryChunk(start_line=r.start_line, end_line=r.end_line, min_step=r.min_step,
                             max_step=r.max_step, data=bytes(r.data)) for r in rows]

    def read_tail_chunks(self, run_id: int, stream: str, count: int) -> list[HistoryChunk]:
        """The newest chunks holding the stream's last `count` lines, oldest first."""
        c = t.history_chunks.c
        chunks: list[HistoryChunk] = []
        query = (select(c.start_line, c.end_line, c.min_step, c.max_step, c.data)
                 .where(c.run_id == run_id, c.stream == stream).order_by(c.start_line.desc()))
        held = 0
        with self._read() as conn:
            for r in conn.execute(query):
                if held >= count:
                    break
                chunks.append(HistoryChunk(start_line=r.start_line, end_line=r.end_line,
                                           min_step=r.min_step, max_step=r.max_step,
                                           data=bytes(r.data)))
                held += r.end_line - r.start_line
        return chunks[::-1]

    def read_segments(self, run_id: int, key: str) -> list[HistorySegment]:
        with self._read() as conn:
            rows = conn.execute(_SEGMENTS, {"run_id": run_id, "key": key}).all()
        return [_segment(r) for r in rows]

    def read_segments_of_keys(self, run_id: int,
                              keys: list[str]) -> dict[str, list[HistorySegment]]:
        """Each key's segments in line order ([] for a key without any), in one query."""
        out: dict[str, list[HistorySegment]] = {key: [] for key in keys}
        with self._read() as conn:
            rows = conn.execute(_SEGMENTS_OF_KEYS, {"run_id": run_id, "keys": list(out)}).all()
        for row in rows:
            held = out.get(row.key)  # (MySQL's PAD SPACE compares "a " equal to "a")
            if held is not None:
                held.append(_segment(row))
        return out

    def read_segments_at(self, run_id: int, keys: list[str],
                         start_line: int) -> list[HistorySegment]:
        """The segments of these keys that begin at `start_line` (one request's columns)."""
        with self._read() as conn:
            rows = conn.execute(_SEGMENTS_AT, {"run_id": run_id, "keys": keys,
                                               "start_line": start_line}).all()
        return [_segment(r) for r in rows]

    def read_rollups(self, run_id: int, key: str) -> list[HistoryRollup]:
        with self._read() as conn:
            rows = conn.execute(_ROLLUPS, {"run_id": run_id, "key": key}).all()
        return [HistoryRollup(key=key, start_line=r.start_line, end_line=r.end_line,
                              raw_count=r.raw_count, finite_count=r.finite_count,
                              monotonic=bool(r.monotonic), point_count=r.point_count,
                              data=bytes(r.data)) for r in rows]

    def count_segment_points(self, run_id: int, key: str) -> int:
        c = t.history_segments.c
        with self._read() as conn:
            return int(conn.execute(select(func.coalesce(func.sum(c.point_count), 0)).where(
                c.run_id == run_id, c.key == key)).scalar_one())

    def read_log_lines(self, run_id: int, *, start: int = 0,
                       limit: int | None = None) -> list[tuple[int, str]]:
        c = t.log_lines.c
        query = (select(c.line_no, c.content).where(c.run_id == run_id, c.line_no >= start)
                 .order_by(c.line_no))
        if limit is not None:
            query = query.limit(limit)
        with self._read() as conn:
            return [(r.line_no, r.content) for r in conn.execute(query)]

    def add_alert(self, *, run_id: int, title: str, text: str, severity: str,
                  wait_duration_ms: int | None, now: datetime,
                  suppress_within_ms: int | None) -> int | None:
        """Record an alert; its id, or None (recorded as suppressed) when the same title
        was raised on the same run within the wait duration."""
        c = t.alerts.c
        with self._write() as conn:
            suppressed = False
            if suppress_within_ms:
                since = now - timedelta(milliseconds=suppress_within_ms)
                recent = conn.execute(select(c.id).where(and_(
                    c.run_id == run_id, c.title == title, c.suppressed.is_(False),
                    c.created_at > since)).limit(1)).first()
                suppressed = recent is not None
            alert_id = inserted_id(conn.execute(t.alerts.insert().values(
                run_id=run_id, title=title, text=text, severity=severity,
                wait_duration_ms=wait_duration_ms, suppressed=suppressed,
                created_at=now)))
        return None if suppressed else int(alert_id)

    def list_alerts(self, run_id: int) -> list[dict[str, Any]]:
        c = t.alerts.c
        with self._read() as conn:
            rows = conn.execute(select(t.alerts).where(c.run_id == run_id).order_by(c.id)).all()
        return [dict(r._mapping) for r in rows]
