"""Run rows: lookup, upsert and the file_stream write, each write in one transaction."""

from __future__ import annotations

import dataclasses
import functools
import json
import operator
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import orjson
from sqlalchemy import Connection, Row, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from wbserver.domain.clock import utcnow
from wbserver.domain.models import RUNNING, Run, RunKey, StreamWrite
from wbserver.errors import NotFound
from wbserver.metadata import tables as t
from wbserver.metadata.inserted import inserted_id
from wbserver.metadata.project_key_rows import forget_run_keys, sync_project_keys
from wbserver.metadata.run_values_rows import sync_run_values
from wbserver.ports import RunMutation, StreamMutation

DEADLOCK_RETRIES = 5
T = TypeVar("T")
_RUN_DEFAULTS: dict[str, Any] = {
    "state": RUNNING, "tags": "[]", "config": "{}", "summary": "{}", "history_keys": "{}",
    "last_step": -1, "history_line_count": 0, "events_line_count": 0, "log_line_count": 0,
    "preempting": False, "stop_requested": False,
}


def run_select() -> Any:
    return (
        select(t.runs, t.projects.c.name.label("project_name"),
               t.entities.c.name.label("entity_name"), t.users.c.username.label("username"))
        .join(t.projects, t.projects.c.id == t.runs.c.project_id)
        .join(t.entities, t.entities.c.id == t.projects.c.entity_id)
        .outerjoin(t.users, t.users.c.id == t.runs.c.user_id)
    )


def locked_run_select() -> Any:
    """run_select()'s columns, for a locking read of runs rows only: the names come from
    scalar subqueries, which a locking read does not lock. run_select()'s joins under FOR
    UPDATE lock the joined project, entity and user rows too on MySQL/MariaDB (no FOR UPDATE
    OF there): with the project row, every file_stream write of a project waited on the
    others (PostgreSQL's FOR UPDATE OF runs never did)."""
    r = t.runs.c
    project = (select(t.projects.c.name).where(t.projects.c.id == r.project_id)
               .scalar_subquery())
    entity = (select(t.entities.c.name)
              .join(t.projects, t.projects.c.entity_id == t.entities.c.id)
              .where(t.projects.c.id == r.project_id).scalar_subquery())
    user = select(t.users.c.username).where(t.users.c.id == r.user_id).scalar_subquery()
    return select(t.runs, project.label("project_name"), entity.label("entity_name"),
                  user.label("username")).with_for_update(of=t.runs)


# Hot statements are built once: building an expression costs more than running it on SQLite.
_RUN_BY_KEY = run_select().where(t.entities.c.name == bindparam("entity"),
                                 t.projects.c.name == bindparam("project"),
                                 t.runs.c.name == bindparam("name"))
_RUN_BY_ID = run_select().where(t.runs.c.id == bindparam("run_id"))
# On MySQL/MariaDB these lock the run's project row too (see locked_run_select), even when
# the run does not exist yet: that orders a project's run upserts, which otherwise deadlock
# (each insert's foreign-key check share-locks the project row, then each updates it).
_RUN_BY_ID_LOCKED = _RUN_BY_ID.with_for_update(of=t.runs)
_RUN_IN_PROJECT = run_select().where(t.runs.c.project_id == bindparam("project_id"),
                                     t.runs.c.name == bindparam("name"))
_RUNS_NAMED = run_select().where(t.runs.c.project_id == bindparam("project_id"),
                                 t.runs.c.name.in_(bindparam("names", expanding=True)))
_RUN_IN_PROJECT_LOCKED = _RUN_IN_PROJECT.with_for_update(of=t.runs)
# a file_stream write locks its run's row only: the live runs of a project write at once
_STREAM_RUN_LOCKED = locked_run_select().where(t.runs.c.project_id == bindparam("project_id"),
                                               t.runs.c.name == bindparam("name"))
# what a file_stream request writes, built once (a statement built per request cost more
# than its execution: the cache key is made again for each new statement object)
_INSERT_CHUNKS = t.history_chunks.insert()
_INSERT_SEGMENTS = t.history_segments.insert()
_INSERT_ROLLUPS = t.history_rollups.insert()
_INSERT_LOG_LINES = t.log_lines.insert()
_DELETE_LOG_LINES = delete(t.log_lines).where(
    t.log_lines.c.run_id == bindparam("run_id"),
    t.log_lines.c.line_no.in_(bindparam("numbers", expanding=True)))
_DELETED_RUN = select(t.deleted_runs.c.project_id).where(
    t.deleted_runs.c.run_id == bindparam("run_id"))
# the SET columns are the parameters it is executed with (besides run_id_)
_UPDATE_RUN = update(t.runs).where(t.runs.c.id == bindparam("run_id_"))
_MARK_UPLOADED = (update(t.run_files)
                  .where(t.run_files.c.run_id == bindparam("file_run_id"),
                         t.run_files.c.name.in_(bindparam("names", expanding=True)))
                  .values(uploaded=True, updated_at=bindparam("now")))
# projects.updated_at: every run created or deleted in the project changes it (the mark its
# kept run count is checked against, run_search_rows.project_run_count)
TOUCH_PROJECT = (update(t.projects).where(t.projects.c.id == bindparam("project_id"))
                 .values(updated_at=bindparam("now")))


def row_to_run(row: Row[Any]) -> Run:
    """The Run of a row with the runs columns and project_name, entity_name, username (as
    run_select() reads them): its values picked by position (a Row's attribute costs about
    0.7 µs, 35 of them most of a page of 1,000 runs), tags parsed."""
    return _to_run(_run_values(row._fields)(row))


def rows_to_runs(rows: Iterable[Row[Any]]) -> list[Run]:
    """row_to_run of rows of one result (their column names read once)."""
    runs: list[Run] = []
    pick = None
    for row in rows:
        pick = pick or _run_values(row._fields)
        runs.append(_to_run(pick(row)))
    return runs


def run_from_values(values: dict[str, Any]) -> Run:
    """The Run of its values by field name (tags as stored, JSON text)."""
    return _to_run(tuple(values[name] for name in _RUN_NAMES))


def _to_run(picked: tuple[Any, ...]) -> Run:
    values = list(picked)
    values[_TAGS] = orjson.loads(values[_TAGS] or "[]")
    return Run(*values)


_RUN_NAMES = tuple(f.name for f in dataclasses.fields(Run))
_TAGS = _RUN_NAMES.index("tags")


@functools.lru_cache(maxsize=64)
def _run_values(fields: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The Run's values, in its fields' order, from a row of these column names."""
    position = {name: i for i, name in enumerate(fields)}
    return operator.itemgetter(*[position[name] for name in _RUN_NAMES])


_RUN_FIELDS = frozenset(f.name for f in dataclasses.fields(Run))


def _encode(fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    if "tags" in out:
        out["tags"] = json.dumps(list(out["tags"]))
    return out


def retried(call: Callable[[], T]) -> T:
    """CALL, again when the database picked its transaction as a deadlock victim.
    1213 deadlock, 1205 lock wait timeout; 1305 "savepoint does not exist" is the same
    deadlock seen from inside a savepoint (the server already rolled the whole transaction
    back); PostgreSQL's 40P01 deadlock_detected, 40001 serialization_failure, 55P03
    lock_not_available. Retrying the whole transaction is safe."""
    for attempt in range(DEADLOCK_RETRIES):
        try:
            return call()
        except OperationalError as exc:
            code = getattr(exc.orig, "args", (None,))[0]
            state = getattr(exc.orig, "sqlstate", None)
            if ((code not in (1213, 1205, 1305) and state not in ("40P01", "40001", "55P03"))
                    or attempt == DEADLOCK_RETRIES - 1):
                raise
            time.sleep(0.02 * (attempt + 1))
    raise AssertionError("unreachable")


class RunRows:
    engine: Any

    if TYPE_CHECKING:  # SqlStore's (store.py)
        def _read(self) -> AbstractContextManager[Connection]: ...
        def _write(self) -> AbstractContextManager[Connection]: ...
        def _first(self, statement: Any, params: dict[str, Any]) -> Any: ...
        def _get_or_create_project(self, conn: Connection, *, entity_id: int, name: str,
                                   user_id: int, visibility: str = "private") -> int: ...

    def get_run(self, key: RunKey) -> Run | None:
        row = self._first(_RUN_BY_KEY, {"entity": key.entity, "project": key.project,
                                        "name": key.name})
        return row_to_run(row) if row else None

    def get_run_by_id(self, run_id: int) -> Run | None:
        row = self._first(_RUN_BY_ID, {"run_id": run_id})
        return row_to_run(row) if row else None

    def list_runs(self, project_id: int) -> list[Run]:
        query = run_select().where(t.runs.c.project_id == project_id).order_by(t.runs.c.id)
        with self._read() as conn:
            return [row_to_run(r) for r in conn.execute(query)]

    def iter_project_runs(self, project_id: int) -> Iterator[Run]:
        yield from self.list_runs(project_id)

    def _run_by_id(self, conn: Connection, run_id: int, *, lock: bool = False) -> Run | None:
        query = _RUN_BY_ID_LOCKED if lock else _RUN_BY_ID
        row = conn.execute(query, {"run_id": run_id}).first()
        return row_to_run(row) if row else None

    def upsert_run(self, *, entity_id: int, project: str, run_id: int | None, name: str | None,
                   user_id: int, mutation: RunMutation,
                   new_project_visibility: str = "private") -> tuple[Run, bool]:
        """Create or update a run; retried when the database picks it as a deadlock victim
        (concurrent creations in one project lock index gaps)."""
        return retried(lambda: self._upsert_run(
            entity_id=entity_id, project=project, run_id=run_id, name=name, user_id=user_id,
            mutation=mutation, new_project_visibility=new_project_visibility))

    def _upsert_run(self, *, entity_id: int, project: str, run_id: int | None,
                    name: str | None, user_id: int, mutation: RunMutation,
                    new_project_visibility: str) -> tuple[Run, bool]:
        with self._write() as conn:
            if run_id is not None:
                current = self._run_by_id(conn, run_id, lock=True)
                if current is None:
                    raise NotFound(f"run with storage id {run_id} not found")
                project_id = current.project_id
            else:
                project_id = self._get_or_create_project(conn, entity_id=entity_id,
                                                         name=project, user_id=user_id,
                                                         visibility=new_project_visibility)
                current = self._run_in_project(conn, project_id, name or "", lock=True)
            inserted = False
            if current is None:
                fields = mutation(None)
                now = utcnow()
                values = {**_RUN_DEFAULTS, "created_at": now, "updated_at": now,
                          "heartbeat_at": now, **_encode(fields), "project_id": project_id,
                          "user_id": user_id}
                if self.engine.dialect.name == "sqlite":
                    values["id"] = self._next_run_id(conn)
                try:
                    with conn.begin_nested():
                        new_id = inserted_id(conn.execute(t.runs.insert().values(**values)))
                        sync_run_values(conn, run_id=new_id, project_id=project_id, fields=values,
                                        fresh=True)
                        sync_project_keys(conn, project_id=project_id, before=None,
                                          fields=values)
                    inserted = True
                except IntegrityError:  # created concurrently: treat as an update
                    current = self._run_in_project(conn, project_id, values["name"], lock=True)
                    if current is None:
                        raise
            updated: Run | None = None
            if not inserted:
                assert current is not None
                fields = mutation(current)
                new_id = current.id
                if fields:
                    conn.execute(_UPDATE_RUN, {"run_id_": current.id, **_encode(fields)})
                    sync_run_values(conn, run_id=current.id, project_id=project_id, fields=fields)
                    sync_project_keys(conn, project_id=project_id, before=current,
                                      fields=fields)
                if fields.keys() <= _RUN_FIELDS:  # the locked row as updated, not read back
                    updated = dataclasses.replace(current, **fields)
            conn.execute(TOUCH_PROJECT, {"project_id": project_id, "now": utcnow()})
            run = updated or self._run_by_id(conn, new_id)
        assert run is not None
        return run, inserted

    @staticmethod
    def _next_run_id(conn: Connection) -> int:
        """SQLite gives a new row the highest id + 1, so the id of the newest run again once
        it was deleted: a new run's id is above every run's and every deleted run's. (Writers
        are serialized by BEGIN IMMEDIATE; MySQL/MariaDB's AUTO_INCREMENT never goes back.)"""
        live = conn.execute(select(func.max(t.runs.c.id))).scalar() or 0
        gone = conn.execute(select(func.max(t.deleted_runs.c.run_id))).scalar() or 0
        return max(int(live), int(gone)) + 1

    def _run_in_project(self, conn: Connection, project_id: int, name: str, *,
                        lock: bool) -> Run | None:
        query = _RUN_IN_PROJECT_LOCKED if lock else _RUN_IN_PROJECT
        row = conn.execute(query, {"project_id": project_id, "name": name}).first()
        return row_to_run(row) if row else None

    def update_run(self, run_id: int, mutation: RunMutation) -> Run:
        with self._write() as conn:
            current = self._run_by_id(conn, run_id, lock=True)
            if current is None:
                raise NotFound(f"run with storage id {run_id} not found")
            fields = mutation(current)
            if fields:
                conn.execute(_UPDATE_RUN, {"run_id_": run_id, **_encode(fields)})
                sync_run_values(conn, run_id=run_id, project_id=current.project_id, fields=fields)
                sync_project_keys(conn, project_id=current.project_id, before=current,
                                  fields=fields)
            run = self._run_by_id(conn, run_id)
        assert run is not None
        return run

    def delete_run(self, run_id: int) -> None:
        """The run and every row of it (history, values, console, files, alerts, artifact
        uses) in one transaction; artifacts it logged stay, no longer naming their maker.
        Its id and project are recorded (deleted_run_project); a run already gone is left.
        Retried as a deadlock victim: it locks the run, then the project's key index and
        row, while a write of the run locks them the other way round."""
        retried(lambda: self._delete_run(run_id))

    def _delete_run(self, run_id: int) -> None:
        with self._write() as conn:
            current = self._run_by_id(conn, run_id, lock=True)
            if current is None:
                return
            conn.execute(t.deleted_runs.insert().values(
                run_id=run_id, project_id=current.project_id, deleted_at=utcnow()))
            forget_run_keys(conn, current)
            for table in (t.history_chunks, t.history_segments, t.history_rollups,
                          t.run_values, t.log_lines, t.run_files, t.alerts, t.artifact_usages,
                          t.artifact_outputs):
                conn.execute(delete(table).where(table.c.run_id == run_id))
            conn.execute(update(t.artifacts).where(t.artifacts.c.created_by_run_id == run_id)
                         .values(created_by_run_id=None))
            conn.execute(delete(t.runs).where(t.runs.c.id == run_id))
            # the project's mark of a change in its runs (project_run_count)
            conn.execute(TOUCH_PROJECT, {"project_id": current.project_id, "now": utcnow()})

    def runs_named(self, project_id: int, names: list[str]) -> list[Run]:
        """The project's runs among NAMES (names of no run are left out), 500 a query."""
        out: list[Run] = []
        with self._read() as conn:
            for start in range(0, len(names), 500):
                out.extend(row_to_run(r) for r in conn.execute(_RUNS_NAMED, {
                    "project_id": project_id, "names": names[start:start + 500]}))
        return out

    def deleted_run_project(self, run_id: int) -> int | None:
        """The project of the deleted run with storage id RUN_ID (None: no such deletion)."""
        row = self._first(_DELETED_RUN, {"run_id": run_id})
        return int(row.project_id) if row else None

    def apply_stream(self, *, project_id: int, name: str,
                     mutation: StreamMutation) -> Run | None:
        """The run is found and locked in one statement, inside the write: no read of it
        before (a round trip on MySQL/MariaDB and PostgreSQL). Retried as a deadlock victim
        (two runs' first requests may add the same new keys to the project's key index)."""
        return retried(lambda: self._apply_stream(project_id, name, mutation))

    def _apply_stream(self, project_id: int, name: str,
                      mutation: StreamMutation) -> Run | None:
        with self._write() as conn:
            row = conn.execute(_STREAM_RUN_LOCKED, {"project_id": project_id,
                                                    "name": name}).first()
            if row is None:
                return None
            current = row_to_run(row)
            run_id = current.id
            write = mutation(current)
            self._insert_stream_rows(conn, current, write)
            if not write.run_fields:
                return current
            conn.execute(_UPDATE_RUN, {"run_id_": run_id, **_encode(write.run_fields)})
            sync_run_values(conn, run_id=run_id, project_id=current.project_id,
                            fields=write.run_fields)
            sync_project_keys(conn, project_id=current.project_id, before=current,
                              fields=write.run_fields)
            if write.run_fields.keys() <= _RUN_FIELDS:
                # the locked row as just updated, without reading it back (its config,
                # summary and keys are the largest values of the row)
                return dataclasses.replace(current, **write.run_fields)
            run = self._run_by_id(conn, run_id)
        assert run is not None
        return run

    def _insert_stream_rows(self, conn: Connection, current: Run, write: StreamWrite) -> None:
        """One statement a table (history and events chunks share theirs)."""
        run_id = current.id
        chunks = [{"run_id": run_id, "stream": stream, "start_line": c.start_line,
                   "end_line": c.end_line, "min_step": c.min_step, "max_step": c.max_step,
                   "data": c.data}
                  for stream, found in (("history", write.history_chunks),
                                        ("events", write.events_chunks)) for c in found]
        if chunks:
            conn.execute(_INSERT_CHUNKS, chunks)
        if write.segments:
            conn.execute(_INSERT_SEGMENTS, [
                {"run_id": run_id, "key": s.key, "start_line": s.start_line,
                 "end_line": s.end_line, "point_count": s.point_count, "min_step": s.min_step,
                 "max_step": s.max_step, "data": s.data} for s in write.segments])
        if write.rollups:
            conn.execute(_INSERT_ROLLUPS, [
                {"run_id": run_id, "key": r.key, "start_line": r.start_line,
                 "end_line": r.end_line, "raw_count": r.raw_count,
                 "finite_count": r.finite_count, "monotonic": r.monotonic,
                 "point_count": r.point_count, "data": r.data} for r in write.rollups])
        if write.log_lines:
            numbers = sorted(write.log_lines)
            # every stored line is below the run's log_line_count (only this write adds lines,
            # and it raises the count in the same transaction): lines from there on are new,
            # and only a rewritten line (a progress bar, a retried request) is replaced
            stored = [n for n in numbers if n < current.log_line_count]
            if stored:
                conn.execute(_DELETE_LOG_LINES, {"run_id": run_id, "numbers": stored})
            lines = write.log_lines
            if conn.dialect.name == "postgresql":  # its text holds no NUL: shown as U+FFFD
                lines = {n: text.replace("\x00", "\ufffd") for n, text in lines.items()}
            conn.execute(_INSERT_LOG_LINES, [
                {"run_id": run_id, "line_no": n, "content": lines[n]} for n in numbers])
        if write.uploaded_files:
            self._mark_uploaded(conn, run_id, write.uploaded_files)

    def _mark_uploaded(self, conn: Connection, run_id: int, names: list[str]) -> None:
        conn.execute(_MARK_UPLOADED, {"file_run_id": run_id, "names": names, "now": utcnow()})

    def mark_stale_runs_crashed(self, *, cutoff: datetime, now: datetime) -> list[int]:
        """Crash running runs whose heartbeat is older than cutoff; the ids this call
        changed (each run is claimed by exactly one process)."""
        stale = (t.runs.c.state == RUNNING, t.runs.c.heartbeat_at < cutoff)
        with self._read() as conn:
            candidates = list(conn.execute(select(t.runs.c.id).where(*stale)).scalars())
        crashed = []
        for run_id in candidates:
            with self._write() as conn:
                result = conn.execute(update(t.runs).where(t.runs.c.id == run_id, *stale)
                                      .values(state="crashed", updated_at=now))
            if result.rowcount:
                crashed.append(int(run_id))
        return crashed
