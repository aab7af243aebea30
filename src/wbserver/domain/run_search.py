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


@dataclass
class RunPage:
    runs: list[Run]
    has_next: bool
    count: Callable[[], int]  # the number of matching runs, computed when asked


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
              order: str | None, offset: int, limit: int) -> RunPage:
    check_filter(filters)  # a bad filter is refused whether SQL or Python would answer it
    planned = plan(filters, order)
    if planned is not None:
        found = store.search_runs(project.id, planned, offset=offset, limit=limit + 1)
        if found is not None:
            def count() -> int:
                total = store.count_runs(project.id, planned)
                return total if total is not None else \
                    len(evaluated(store, project, filters, order))

            return RunPage(runs=found[:limit], has_next=len(found) > limit, count=count)
    ordered = evaluated(store, project, filters, order)
    return RunPage(runs=[v.run for v in ordered[offset:offset + limit]],
                   has_next=offset + limit < len(ordered), count=lambda: len(ordered))


def count_runs(store: MetadataStore, project: Project, filters: dict[str, Any]) -> int:
    check_filter(filters)
    planned = plan(filters, None)
    if planned is not None:
        total = store.count_runs(project.id, planned)
        if total is not None:
            return total
    return len(evaluated(store, project, filters, None))
