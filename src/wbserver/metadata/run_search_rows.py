"""Searching a project's runs in SQL: filters and orders planned by domain/run_query.py over
the `run_values` side table, kept in step with each run's config and summary."""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    LargeBinary,
    and_,
    bindparam,
    case,
    cast,
    exists,
    false,
    func,
    not_,
    or_,
    select,
    true,
)

from wbserver.domain.models import Run
from wbserver.domain.run_query import (
    BOOL,
    COMPLEX,
    NULL,
    NUMBER,
    OPAQUE,
    STRING,
    SUMMARY_AGGREGATES,
    Plan,
    blocking_paths,
)
from wbserver.domain.run_search import CREATED_SECOND
from wbserver.metadata import tables as t
from wbserver.metadata.run_pages import created_page, directed, page_of, past_created
from wbserver.metadata.run_rows import rows_to_runs, run_select
from wbserver.metadata.run_windows import PlanCheck, RunWindows

# `_top_numbers` reads at most this many index entries a page row (plus the extra) before
# leaving the page to the general plan: enough for filters matching 1 run in 16 or more.
TOP_WINDOW_PER_ROW, TOP_WINDOW_EXTRA = 16, 256
# The runs table's column list reads every config and summary value of the project (about
# 150 ms for 20,000 runs, growing with them): for projects of at least this many runs it is
# kept for a while (20 times what it took to read, 1-30 s). Smaller projects read it fresh.
VALUE_KEYS_CACHED_FROM_RUNS = 2000
_VALUE_KEYS_TTL = (20.0, 1.0, 30.0)  # x time taken, at least, at most
_clock = time.monotonic
RUN_COUNTS_KEPT = 4096  # projects whose run count a process keeps (project_run_count)
_OPS = {"eq": "__eq__", "gt": "__gt__", "gte": "__ge__", "lt": "__lt__", "lte": "__le__"}


# Aliases of run_values, built once: an alias builds its column collection when first read,
# which costs more than running a small query on SQLite.
_V = t.run_values.alias("v")  # the values a filter condition reads
_S = t.run_values.alias("s")  # the values the order reads
# Statements run on every runs page, built once (building one costs more than running it).
# MariaDB, misled by its table statistics, drove this from the project and read every run of
# it through (project_id, created_at) to find the page's 50 ids (9 ms at 10,000 runs):
# STRAIGHT_JOIN makes it read the runs by primary key first, then join their few rows.
_RUNS_BY_IDS = run_select().where(t.runs.c.id.in_(bindparam("ids", expanding=True))) \
    .prefix_with("STRAIGHT_JOIN", dialect="mysql").prefix_with("STRAIGHT_JOIN", dialect="mariadb")
_BLOCKED = and_(t.run_values.c.path.in_(bindparam("own", expanding=True)),
                t.run_values.c.kind >= COMPLEX)
_BLOCKED_PREFIX = and_(t.run_values.c.path.in_(bindparam("prefixes", expanding=True)),
                       t.run_values.c.kind == OPAQUE)
_BLOCKING = {  # has a value that makes the plan inexact, without and with prefixes to check
    with_prefixes: select(t.run_values.c.id).where(
        t.run_values.c.project_id == bindparam("project_id"),
        or_(_BLOCKED, _BLOCKED_PREFIX) if with_prefixes else _BLOCKED).limit(1)
    for with_prefixes in (False, True)}
_PROJECT_RUN_COUNT = select(func.count()).select_from(t.runs).where(
    t.runs.c.project_id == bindparam("project_id"))
_ORDER_OF_KIND = (_S.c.project_id == bindparam("project_id"), _S.c.path == bindparam("path"),
                  _S.c.kind == bindparam("kind"))
_WINDOW_BOUND = {  # the value `window` index entries down the order (descending or not)
    descending: select(_S.c.num).where(*_ORDER_OF_KIND)
    .order_by(directed(_S.c.num, descending), directed(_S.c.run_id, descending))
    .offset(bindparam("window")).limit(1)
    for descending in (False, True)}


class RunSearchRows(RunWindows):
    engine: Any

    if TYPE_CHECKING:  # SqlStore's (store.py)
        def _read(self) -> AbstractContextManager[Connection]: ...

    def search_runs(self, project_id: int, plan: Plan, *, offset: int, limit: int,
                    after: tuple[str, int] | None = None) -> list[Run] | None:
        """A page of the project's runs as the plan filters and orders them, or None when a
        value the plan reads is not comparable in SQL (the caller evaluates in Python).
        `after`, for the order by creation only: the (created second, id) of the run the
        page follows (a keyset: read from the index where it starts, not counted up to);
        `offset` then counts from just past it."""
        with self._read() as conn:
            check = self._plan_check(project_id, plan)
            if check is not None and self.engine.dialect.name == "sqlite" \
                    and check.blocks(conn):
                return None
            if after is not None and plan.order.kind != "created":
                raise ValueError("a keyset page follows the order by creation only")
            # elsewhere the check rides along the first window statement, if there is one
            top = None if after else self._top_numbers(conn, project_id, plan, offset + limit,
                                                       check=check)
            if check is not None and check.blocks(conn):
                return None
            if top is not None:  # the page lies among the runs with a number there
                page_ids = top[offset:offset + limit]
                rows: Any = conn.execute(_RUNS_BY_IDS, {"ids": page_ids}) if page_ids else []
                found = {run.id: run for run in rows_to_runs(rows)}
                return [found[run_id] for run_id in page_ids]
            params: dict[str, Any] = {"offset": offset, "limit": limit}
            if after is not None:
                second: Any = after[0]
                if self.engine.dialect.name == "postgresql":  # a timestamp there (tables.py)
                    second = datetime.strptime(second, CREATED_SECOND)
                params.update(second=second, after_id=after[1])
            if plan.order.kind == "created" and plan.where in (("and", []), ("true",)):
                # every run by creation (the client's default): a statement built once
                query = created_page(plan.order.descending, after is not None)
                return rows_to_runs(conn.execute(query, {**params, "project_id": project_id}))
            # order and cut the page on narrow rows, then read the page's whole runs
            ids = select(t.runs.c.id).where(t.runs.c.project_id == project_id,
                                            self._where(plan.where, project_id))
            if _reads_username(plan):
                ids = ids.outerjoin(t.users, t.users.c.id == t.runs.c.user_id)
            ids, keys = self._ordered(ids, plan)
            if after is not None:
                ids = ids.where(*past_created(plan.order.descending))
            return rows_to_runs(conn.execute(page_of(ids, keys), params))

    def count_runs(self, project_id: int, plan: Plan) -> int | None:
        query = self._count_query(project_id, plan)
        check = self._plan_check(project_id, plan)
        with self._read() as conn:
            if check is None:
                return int(conn.execute(query).scalar_one())
            # the check and the count in one statement (one round trip)
            total, blocked = conn.execute(select(query.scalar_subquery(), check.column()),
                                          check.params).one()
            return None if blocked is not None else int(total)

    def _count_query(self, project_id: int, plan: Plan) -> Any:
        single = _single_condition(plan.where)
        if single is not None:
            ids, present = self._matching_ids(*single[1:], project_id=project_id)
            if present:  # one value condition: count its run ids, no pass over the runs
                # (COUNT(DISTINCT) in one pass: MariaDB materialized a DISTINCT subquery in a
                # temporary table first, half again the time)
                return ids.with_only_columns(func.count(func.distinct(_V.c.run_id)))
        query = select(func.count()).select_from(t.runs)
        if _reads_username(plan):
            query = query.outerjoin(t.users, t.users.c.id == t.runs.c.user_id)
        return query.where(t.runs.c.project_id == project_id,
                           self._where(plan.where, project_id))

    def project_value_keys(self, project_id: int) -> tuple[list[str], list[str]]:
        """Top-level config keys, and summary keys whose values are not dicts or lists plus
        the aggregates `summary="max"` etc. keep (`val/acc.max`), each list ordered by how
        many runs have the key (most first), then by name. For a project of
        VALUE_KEYS_CACHED_FROM_RUNS runs or more, the answer may be up to 30 s old."""
        cache: dict[int, tuple[float, tuple[list[str], list[str]]]] = \
            self.__dict__.setdefault("_value_keys_cache", {})
        hit = cache.get(project_id)
        if hit is not None and hit[0] > _clock():
            return list(hit[1][0]), list(hit[1][1])
        started = _clock()
        keys = self._read_value_keys(project_id)
        took = _clock() - started
        if self.project_run_count(project_id) >= VALUE_KEYS_CACHED_FROM_RUNS:
            factor, low, high = _VALUE_KEYS_TTL
            cache[project_id] = (_clock() + min(high, max(low, factor * took)), keys)
        else:
            cache.pop(project_id, None)
        return keys

    def _read_value_keys(self, project_id: int) -> tuple[list[str], list[str]]:
        v = t.run_values.c
        runs = func.count(func.distinct(v.run_id))
        query = (select(v.path, v.kind, v.top, runs).where(
            v.project_id == project_id,
            or_(v.top.is_(True), (v.kind == NUMBER) & v.path.like("summary.%")))
            .group_by(v.path, v.kind, v.top))
        config: dict[str, int] = {}
        summary: dict[str, int] = {}
        with self._read() as conn:
            for path, kind, top, count in conn.execute(query):
                source, _, key = path.partition(".")
                if source == "config" and top:
                    config[key] = config.get(key, 0) + count
                elif source != "summary":
                    continue
                elif top and (kind < COMPLEX or kind == OPAQUE):
                    summary[key] = summary.get(key, 0) + count
                elif not top and key.rpartition(".")[2] in SUMMARY_AGGREGATES \
                        and key.count(".") == 1:
                    summary[key] = summary.get(key, 0) + count
        return _by_count(config), _by_count(summary)

    def project_run_count(self, project_id: int, mark: datetime | None = None) -> int:
        """The number of the project's runs. `mark`: the project's updated_at as read
        before (creating or deleting one of its runs changes it, in the same transaction):
        the count is then kept for that mark, in this process, and given again while the
        project still has it (a paging client asks for the count with every page)."""
        cache: dict[int, tuple[datetime, int]] = self.__dict__.setdefault("_run_counts", {})
        if mark is not None:
            hit = cache.get(project_id)
            if hit is not None and hit[0] == mark:
                return hit[1]
        with self._read() as conn:
            count = int(conn.execute(_PROJECT_RUN_COUNT, {"project_id": project_id})
                        .scalar_one())
        if mark is not None:
            if len(cache) >= RUN_COUNTS_KEPT:
                cache.pop(next(iter(cache)))  # the oldest kept
            cache.pop(project_id, None)
            cache[project_id] = (mark, count)
        return count

    # --- SQL from the plan -----------------------------------------------------------

    def _plan_check(self, project_id: int, plan: Plan) -> PlanCheck | None:
        """The check that no value the plan reads is incomparable in SQL; None when the plan
        reads no value."""
        own, prefixes = blocking_paths(plan.paths)
        if not own:
            return None
        params = {"project_id": project_id, "own": own, **({"prefixes": prefixes} if prefixes
                                                            else {})}
        return PlanCheck(_BLOCKING[bool(prefixes)], params)

    def _column(self, name: str) -> Any:
        return t.users.c.username if name == "username" else t.runs.c[name]

    def _text(self, column: Any) -> Any:
        """Byte-wise comparison, as Python compares strings (MySQL collations fold case; a
        PostgreSQL database's collation may sort by language rules: "C" compares bytes)."""
        if self.engine.dialect.name == "postgresql":
            return column.collate("C")
        return column if self.engine.dialect.name == "sqlite" else cast(column, LargeBinary)

    def _bytewise(self, column: Any) -> Any:
        """A binary-collated column (run_values' text): byte-wise already on MySQL and SQLite;
        in C collation on PostgreSQL."""
        return column.collate("C") if self.engine.dialect.name == "postgresql" else column

    def _where(self, expr: tuple[Any, ...], project_id: int, *, per_run: bool = False) -> Any:
        """The plan's filter as a condition on `runs`. `per_run`: value conditions look up
        the one run's values (an index seek each) instead of collecting every matching run
        id first, which is cheaper when few runs are tested, as in `_top_numbers`."""
        tag = expr[0]
        if tag == "true":
            return true()
        if tag == "false":
            return false()
        if tag == "and":
            return and_(true(), *[self._where(e, project_id, per_run=per_run) for e in expr[1]])
        if tag == "or":
            return or_(false(), *[self._where(e, project_id, per_run=per_run) for e in expr[1]])
        if tag == "not":
            return not_(self._where(expr[1], project_id, per_run=per_run))
        if tag == "col":
            _tag, name, op, arg = expr
            column = self._column(name)
            if arg is None:
                return column.is_(None)
            return and_(column.isnot(None),
                        getattr(self._text(column), _OPS[op])(self._text_arg(arg)))
        return self._value(*expr[1:], project_id=project_id, per_run=per_run)

    def _text_arg(self, arg: str) -> Any:
        if self.engine.dialect.name in ("sqlite", "postgresql"):
            return arg
        return cast(arg.encode("utf-8"), LargeBinary)

    def _value(self, path: str, op: str, arg: Any, *, project_id: int,
               per_run: bool = False) -> Any:
        ids, present = self._matching_ids(path, op, arg, project_id=project_id)
        found: ColumnElement[bool]
        if per_run:  # the same rows, found from the run's side of the (run_id, path) index
            found = exists(ids.where(_V.c.run_id == t.runs.c.id))
        else:
            found = t.runs.c.id.in_(ids)
        return found if present else not_(found)

    def _matching_ids(self, path: str, op: str, arg: Any, *,
                      project_id: int) -> tuple[Any, bool]:
        """(the ids of the project's runs with a value at `path` matching (op, arg), whether
        the condition holds for the runs among them or for the runs not among them).
        Exact: a run_values row carries its run's project_id (runs never change project), a
        foreign key keeps its run_id pointing at a run, and run_id is never NULL, so IN and
        NOT IN mean what EXISTS and NOT EXISTS meant."""
        v = _V
        where = [v.c.project_id == project_id, v.c.path == path]
        if op == "exists":
            return select(v.c.run_id).where(*where, v.c.kind != NULL), bool(arg)
        if arg is None:
            return select(v.c.run_id).where(*where, v.c.kind != NULL), False
        if isinstance(arg, bool):
            where += [v.c.kind == BOOL, v.c.num == (1.0 if arg else 0.0)]
        elif isinstance(arg, str):
            text = v.c.text if op == "eq" else self._bytewise(v.c.text)  # = is byte-wise
            where += [v.c.kind == STRING, getattr(text, _OPS[op])(arg)]
        else:
            where += [v.c.kind == NUMBER, getattr(v.c.num, _OPS[op])(arg)]
        return select(v.c.run_id).where(*where), True

    def _top_numbers(self, conn: Connection, project_id: int, plan: Plan, count: int, *,
                     check: PlanCheck | None = None) -> list[int] | None:
        """The first `count` run ids in the plan's order when they all have a number (or a
        bool) at the order's value path, else None. Numbers come first in either direction,
        ordered by value, ties by run id in the same direction (as `_ordered` orders them), so
        they are read from the (project_id, path, kind, num, run_id) index in its order and
        checked against the filter: no sort of every matching run. Only a window of the index
        is read, so a filter that matches few runs costs a bounded scan before the general
        plan takes over. MySQL/MariaDB would turn that check into a semi-join driven by the
        runs and sort them all: there the window is read first and checked in a second
        query (`_top_numbers_in_window`, which answers `check` on the way)."""
        order = plan.order
        if order.kind != "val" or count <= 0 or _reads_username(plan):
            return None
        window = TOP_WINDOW_PER_ROW * count + TOP_WINDOW_EXTRA
        if self.engine.dialect.name != "sqlite":
            return self._top_numbers_in_window(conn, project_id, plan, count, window, check)
        s = _S
        ordered = (directed(s.c.num, order.descending), directed(s.c.run_id, order.descending))
        matches = exists().where(t.runs.c.id == s.c.run_id, t.runs.c.project_id == project_id,
                                 self._where(plan.where, project_id, per_run=True))
        found: list[Any] = []
        for kind in (NUMBER, BOOL):  # one index range each; merged below
            of_kind = [s.c.project_id == project_id, s.c.path == order.name, s.c.kind == kind]
            # the value `window` entries down the index bounds the scan (ties included)
            bound = conn.execute(_WINDOW_BOUND[order.descending], {
                "project_id": project_id, "path": order.name, "kind": kind,
                "window": window}).scalar()
            if bound is not None:
                of_kind.append(s.c.num >= bound if order.descending else s.c.num <= bound)
            rows = conn.execute(select(s.c.run_id, s.c.num).where(*of_kind, matches)
                                .order_by(*ordered).limit(count)).all()
            if len(rows) < count and bound is not None:
                return None  # more of this kind beyond the window: the general plan decides
            found += rows
        if len(found) < count:
            return None  # the page reaches the strings and the runs without a value
        found.sort(key=lambda row: (row.num, row.run_id), reverse=order.descending)
        return [int(row.run_id) for row in found[:count]]

    def _ordered(self, query: Any, plan: Plan) -> tuple[Any, list[tuple[Any, bool]]]:
        """(query with what the order reads joined, [(sort key, descending?), ...])."""
        order = plan.order
        runs = t.runs.c
        if order.kind == "created":  # the second, computed and indexed (migration 0021)
            return query, [(runs.created_second, order.descending), (runs.id, False)]
        if order.kind == "col":
            column = self._column(order.name)
            if order.name == "username" and not _reads_username(plan):
                query = query.outerjoin(t.users, t.users.c.id == runs.user_id)
            group = case((column.is_(None), 2), else_=1)
            keys = [(group, False), (self._text(column), order.descending)]
        else:
            s = _S
            query = query.outerjoin(s, and_(s.c.run_id == runs.id, s.c.path == order.name))
            group = case((s.c.kind.in_([NUMBER, BOOL]), 0), (s.c.kind == STRING, 1), else_=2)
            keys = [(group, False), (s.c.num, order.descending), (self._bytewise(s.c.text), order.descending)]
        if order.descending:  # ties: strings by id ascending, numbers and missing descending
            keys.append((case((group == 1, runs.id), else_=-runs.id), False))
        else:
            keys.append((runs.id, False))
        return query, keys


def _single_condition(expr: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """The one value condition ("val", path, op, arg) a filter consists of, if it is that."""
    while expr[0] == "and" and len(expr[1]) == 1:
        expr = expr[1][0]
    return expr if expr[0] == "val" else None


def _reads_username(plan: Plan) -> bool:
    """Whether the plan filters on the run's user name (a join with users)."""
    return _mentions(plan.where, "username")


def _mentions(expr: tuple[Any, ...], name: str) -> bool:
    tag = expr[0]
    if tag in ("and", "or"):
        return any(_mentions(e, name) for e in expr[1])
    if tag == "not":
        return _mentions(expr[1], name)
    return tag == "col" and bool(expr[1] == name)


def _by_count(counts: dict[str, int]) -> list[str]:
    return sorted(counts, key=lambda k: (-counts[k], k))
