"""Statements of a page of a project's runs in an order (run_search_rows.py): the page is
ordered and cut on narrow rows, then its whole runs are read. In the order by creation a page
may start past a run (a keyset: from the (project_id, created_second) index, not counted
up to as an offset is)."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import bindparam, or_, select

from wbserver.metadata import tables as t
from wbserver.metadata.run_rows import run_select


def directed(key: Any, descending: bool) -> Any:
    return key.desc() if descending else key.asc()


def past_created(descending: bool) -> list[Any]:
    """The runs after (:second, :after_id) in the order by creation (ties by id, ascending
    either way): a range of the (project_id, created_second) index, then the ties of that
    second past the id."""
    column = t.runs.c.created_second
    second: Any = bindparam("second")
    run_id: Any = bindparam("after_id")
    if descending:
        return [column <= second, or_(column < second, t.runs.c.id > run_id)]
    return [column >= second, or_(column > second, t.runs.c.id > run_id)]


def page_of(ids: Any, keys: list[tuple[Any, bool]]) -> Any:
    """The whole runs of a page of `ids` (:offset, :limit), ordered and cut on the narrow
    rows first."""
    page = ids.add_columns(*[k.label(f"k{i}") for i, (k, _d) in enumerate(keys)]) \
        .order_by(*[directed(k, d) for k, d in keys]) \
        .offset(bindparam("offset")).limit(bindparam("limit")).subquery("page")
    return run_select().join(page, page.c.id == t.runs.c.id).order_by(
        *[directed(page.c[f"k{i}"], d) for i, (_k, d) in enumerate(keys)])


@functools.cache
def created_page(descending: bool, keyed: bool) -> Any:
    """A page of a project's runs (:project_id) by creation, past (:second, :after_id) if
    keyed (RunSearchRows._ordered's keys for that order)."""
    runs = t.runs.c
    ids = select(runs.id).where(runs.project_id == bindparam("project_id"))
    if keyed:
        ids = ids.where(*past_created(descending))
    return page_of(ids, [(runs.created_second, descending), (runs.id, False)])
