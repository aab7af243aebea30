"""Finding a project's runs by the client's filter language: in the database when the
filters and order have an exact SQL plan (run_query.py), else with the Python evaluator
(run_filters.py). Both give the same runs in the same order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wbserver.domain.models import Project, Run
from wbserver.domain.run_filters import RunView, check_filter, sort_runs
from wbserver.domain.run_query import plan
from wbserver.ports import MetadataStore

# the position of a run in the order by creation: (created_at to the second, id), as
# runs.created_second holds it; ties in a second are ordered by id, ascending either way
CreatedKey = tuple[str, int]
CREATED_SECOND = "%Y-%m-%d %H:%M:%S"


@dataclass
class RunPage:
    runs: list[Run]
    has_next: bool
    count: Callable[[], int]  # the number of matching runs, computed when asked
    keyed: bool = False  # ordered by creation in SQL: a next page may start at created_key


def created_key(run: Run) -> CreatedKey:
    # CREATED_SECOND's text (isoformat is three times as fast as strftime)
    return run.created_at.isoformat(" ", "seconds")[:19], run.id


def evaluated(store: MetadataStore, project: Project, filters: dict[str, Any],
              order: str | None, *, make_view: Callable[[Run], RunView] = RunView
              ) -> list[RunView]:
    """Every matching run, ordered, by the Python evaluator."""
    views = [make_view(r) for r in store.list_runs(project.id)]
    if filters:
        keep = check_filter(filters)
        views = [v for v in views if keep(v)]
    return sort_runs(views, order)


def find_runs(store: MetadataStore, project: Project, *, filters: dict[str, Any],
              order: str | None, offset: int, limit: int,
              after: CreatedKey | None = None) -> RunPage:
    """A page of the matching runs: from `offset`, or, when the order is by creation and SQL
    answers, just past the run whose `created_key` `after` is (a keyset: runs created or
    deleted before it do not move the page, as they move an offset)."""
    check_filter(filters)  # a bad filter is refused whether SQL or Python would answer it
    planned = plan(filters, order)
    if planned is not None:
        keyed = planned.order.kind == "created"
        found = store.search_runs(project.id, planned, offset=0 if keyed and after else offset,
                                  limit=limit + 1, after=after if keyed else None)
        if found is not None:
            def count() -> int:
                return count_runs(store, project, filters)

            return RunPage(runs=found[:limit], has_next=len(found) > limit, count=count,
                           keyed=keyed)
    ordered = evaluated(store, project, filters, order)
    return RunPage(runs=[v.run for v in ordered[offset:offset + limit]],
                   has_next=offset + limit < len(ordered), count=lambda: len(ordered))


def count_runs(store: MetadataStore, project: Project, filters: dict[str, Any]) -> int:
    """The number of matching runs. Without filters, the project's count kept for its
    updated_at mark (a paging client asks for it with every page)."""
    if not filters:
        return store.project_run_count(project.id, mark=project.updated_at)
    check_filter(filters)
    planned = plan(filters, None)
    if planned is not None:
        total = store.count_runs(project.id, planned)
        if total is not None:
            return total
    return len(evaluated(store, project, filters, None))
