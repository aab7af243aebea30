"""Keeping `project_keys` (domain/project_keys.py) in step with the runs' writes, reading it
for the workspace, and rebuilding it from a project's runs (after an import)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    bindparam,
    case,
    delete,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import mysql, postgresql, sqlite

from wbserver.domain.models import ProjectKey, Run
from wbserver.domain.project_keys import (
    LATEST_DETAIL,
    TAG,
    count_facts,
    fact_changes,
    run_facts,
    stored_facts,
)
from wbserver.metadata import tables as t

_k = t.project_keys.c
_r = t.runs.c
_LOSE = (update(t.project_keys).where(_k.project_id == bindparam("p"), _k.kind == bindparam("k"),
                                      _k.key == bindparam("n")).values(runs=_k.runs - 1))
_EMPTY = delete(t.project_keys).where(_k.project_id == bindparam("p"), _k.runs <= 0)
_READ = (select(_k.kind, _k.key, _k.detail, _k.runs).where(_k.project_id == bindparam("p"))
         .order_by(_k.kind, _k.key))
_TAGS = select(_k.key).where(_k.project_id == bindparam("p"), _k.kind == TAG)
_BATCH = 500
# literals, not parameters: a statement run executemany (MySQLdb rewrites it into one
# multi-row INSERT, which takes parameters in the VALUES only)
_LATEST = or_(*[_k.kind == literal_column(f"'{kind}'") for kind in LATEST_DETAIL])
_ONE_MORE = _k.runs + literal_column("1")


def _gain(dialect: str) -> Any:
    """Insert a (kind, key) with one run, or count one run more (and take the detail for the
    kinds whose newest detail counts) — one statement, safe against a concurrent insert."""
    if dialect in ("mysql", "mariadb"):
        mine = mysql.insert(t.project_keys)
        return mine.on_duplicate_key_update(
            runs=_ONE_MORE,
            detail=case((_LATEST, mine.inserted.detail), else_=_k.detail))
    theirs = (postgresql if dialect == "postgresql" else sqlite).insert(t.project_keys)
    return theirs.on_conflict_do_update(
        index_elements=[_k.project_id, _k.kind, _k.key],
        set_={"runs": _ONE_MORE, "detail": case(
            (_LATEST, theirs.excluded.detail), else_=_k.detail)})


def sync_project_keys(conn: Connection, *, project_id: int, before: Run | None,
                      fields: dict[str, Any]) -> None:
    """Count the facts a run gained or lost by writing `fields` (inside the run's write; no
    statement when nothing changed, the common case)."""
    changes = fact_changes(before, fields)
    if not changes:
        return
    _apply(conn, project_id, sorted(changes.gained.items()), sorted(changes.lost))


def forget_run_keys(conn: Connection, run: Run) -> None:
    """A run being deleted: one run fewer has each of its facts."""
    _apply(conn, run.project_id, [], sorted(run_facts(run)))


def _apply(conn: Connection, project_id: int, gained: list[tuple[tuple[str, str], str]],
           lost: list[tuple[str, str]]) -> None:
    if lost:
        conn.execute(_LOSE, [{"p": project_id, "k": kind, "n": key} for kind, key in lost])
        conn.execute(_EMPTY, {"p": project_id})
    if gained:
        conn.execute(_gain(conn.dialect.name), [
            {"project_id": project_id, "kind": kind, "key": key, "detail": detail, "runs": 1}
            for (kind, key), detail in gained])


def rebuild_project_keys(conn: Connection, project_id: int) -> None:
    """The project's index again from its runs (in id order, as the writes would have)."""
    conn.execute(delete(t.project_keys).where(_k.project_id == project_id))
    totals: dict[tuple[str, str], list[Any]] = {}
    last = 0
    while True:
        batch = conn.execute(select(_r.id, _r.config, _r.history_keys, _r.system_metrics, _r.tags)
                             .where(_r.project_id == project_id, _r.id > last)
                             .order_by(_r.id).limit(_BATCH)).all()
        if not batch:
            break
        for r in batch:
            count_facts(totals, stored_facts(r.config, r.history_keys, r.system_metrics,
                                                    r.tags))
        last = batch[-1].id
    rows = [{"project_id": project_id, "kind": kind, "key": key, "detail": detail, "runs": n}
            for (kind, key), (detail, n) in totals.items()]
    for start in range(0, len(rows), _BATCH):
        conn.execute(t.project_keys.insert(), rows[start:start + _BATCH])


class ProjectKeyRows:
    if TYPE_CHECKING:  # SqlStore's (store.py)
        def _read(self) -> AbstractContextManager[Connection]: ...
        def _write(self) -> AbstractContextManager[Connection]: ...

    def project_keys(self, project_id: int) -> list[ProjectKey]:
        """The project's key index, by kind then key."""
        with self._read() as conn:
            return [ProjectKey(kind=r.kind, key=r.key, detail=r.detail, runs=r.runs)
                    for r in conn.execute(_READ, {"p": project_id})]

    def project_tags(self, project_id: int) -> list[str]:
        """Every tag a run of the project has, sorted (from the index: no pass over the runs)."""
        with self._read() as conn:
            return sorted(conn.execute(_TAGS, {"p": project_id}).scalars())

    def rebuild_project_keys(self, project_id: int) -> None:
        with self._write() as conn:
            rebuild_project_keys(conn, project_id)
