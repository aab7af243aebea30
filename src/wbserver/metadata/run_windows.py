"""The runs page's first rows on MySQL/MariaDB and PostgreSQL (run_search_rows.py): windows of
the (project_id, path, kind, num, run_id) index in the page's order, each entry with whether
the filter keeps its run, all kinds in one statement; and the plan's exactness check, which
rides along the first window statement instead of costing a round trip of its own (on a busy
database server each statement waits its turn: fewer of them is what a page's time is made
of)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    SmallInteger,
    and_,
    literal_column,
    null,
    select,
    true,
    union_all,
)

from wbserver.domain.run_query import BOOL, NUMBER, Plan
from wbserver.metadata import tables as t
from wbserver.metadata.run_pages import directed

if TYPE_CHECKING:
    from sqlalchemy import Select


class PlanCheck:
    """Whether a value the plan reads is not comparable in SQL (run_search_rows._BLOCKING):
    run at most once per connection use, alone or as a column of another statement."""

    def __init__(self, statement: Select[Any], params: dict[str, Any]) -> None:
        self.statement = statement
        self.params = params
        self.found: bool | None = None  # None: not known yet

    def column(self) -> Any:
        """The check as a scalar column ("blocked": an id or NULL) of another statement."""
        return self.statement.scalar_subquery().label("blocked")

    def blocks(self, conn: Connection) -> bool:
        if self.found is None:
            self.found = conn.execute(self.statement, self.params).first() is not None
        return self.found


_S = t.run_values.alias("s")  # the window's entries (built once: see run_search_rows.py)


class RunWindows:
    """The window part of RunSearchRows (a mixin of SqlStore)."""

    if TYPE_CHECKING:  # RunSearchRows'
        def _where(self, expr: tuple[Any, ...], project_id: int, *,
                   per_run: bool = False) -> Any: ...

    def _top_numbers_in_window(self, conn: Connection, project_id: int, plan: Plan,
                               count: int, window: int,
                               check: PlanCheck | None = None) -> list[int] | None:
        """`_top_numbers` in two steps (MySQL/MariaDB, PostgreSQL): the first index entries
        of each kind in the order, then which of their runs the filter keeps (primary key
        lookups, each condition an index seek per run), both kinds in one statement. A
        filter keeping one run in four or more is served from a short first window; the
        whole window is read for a kind only when that falls short. `check` is answered by
        the first statement when it finds an entry."""
        first = min(window, 4 * count + 16)
        kinds = (NUMBER, BOOL)
        entries = self._windows(conn, project_id, plan, {kind: first for kind in kinds}, check)
        found: list[Any] = []
        for kind in kinds:
            rows, more = _kept(entries[kind], count, first, plan.order.descending)
            if len(rows) < count and more and window > first:
                retry = self._windows(conn, project_id, plan, {kind: window}, None)
                rows, more = _kept(retry[kind], count, window, plan.order.descending)
            if len(rows) < count and more:
                return None  # beyond the whole window too: the general plan decides
            found += rows
        if len(found) < count:
            return None  # the page reaches the strings and the runs without a value
        found.sort(key=lambda row: (row.num, row.run_id), reverse=plan.order.descending)
        return [int(row.run_id) for row in found[:count]]

    def _windows(self, conn: Connection, project_id: int, plan: Plan, sizes: dict[int, int],
                 check: PlanCheck | None) -> dict[int, list[Any]]:
        """{kind: the first `size` index entries of that kind in the order (any order here),
        each with `keep`: whether the filter keeps its run}, in one statement."""
        order, s = plan.order, _S
        parts: list[Any] = []
        for kind, size in sizes.items():
            # a derived table: its LIMIT keeps it from being merged into the outer query
            w = select(s.c.run_id, s.c.num).where(
                s.c.project_id == project_id, s.c.path == order.name, s.c.kind == kind) \
                .order_by(directed(s.c.num, order.descending),
                          directed(s.c.run_id, order.descending)).limit(size).subquery(f"w{kind}")
            columns = [w.c.run_id, w.c.num,
                       literal_column(str(int(kind)), SmallInteger).label("kind")]
            if check is not None:
                columns.append(check.column() if not parts else null().label("blocked"))
            if plan.where[0] == "true":
                part = select(*columns, true().label("keep")).select_from(w)
            else:  # (MySQL/MariaDB: the window first, then its runs by primary key)
                keep = and_(t.runs.c.project_id == project_id,
                            self._where(plan.where, project_id, per_run=True)).label("keep")
                part = select(*columns, keep).join_from(w, t.runs, t.runs.c.id == w.c.run_id) \
                    .prefix_with("STRAIGHT_JOIN", dialect="mysql") \
                    .prefix_with("STRAIGHT_JOIN", dialect="mariadb")
            parts.append(part)
        statement: Any = parts[0] if len(parts) == 1 else union_all(*parts)
        rows = conn.execute(statement, check.params if check is not None else {}).all()
        if check is not None and rows:  # the first part's rows carry it (if it had any)
            firsts = [row for row in rows if row.kind == next(iter(sizes))]
            if firsts:
                check.found = firsts[0].blocked is not None
        out: dict[int, list[Any]] = {kind: [] for kind in sizes}
        for row in rows:
            out[int(row.kind)].append(row)
        return out


def _kept(entries: list[Any], count: int, size: int,
          descending: bool) -> tuple[list[Any], bool]:
    """(the first `count` kept entries in the order, whether the index holds more entries
    beyond the window)."""
    entries = sorted(entries, key=lambda row: (row.num, row.run_id), reverse=descending)
    return [row for row in entries if row.keep][:count], len(entries) == size
