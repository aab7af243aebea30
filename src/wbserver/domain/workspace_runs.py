"""The workspace's runs list, a page at a time: the newest runs (the overview's first page),
the runs a saved layout names, and the pages the list's search, state filter and scrolling
ask for — never every run of a project (a project may hold 100,000)."""

from __future__ import annotations

from typing import Any

from wbserver.domain.clock import iso
from wbserver.domain.compare import PALETTE, distinct_colours, run_colour
from wbserver.domain.json_text import loads
from wbserver.domain.models import RUN_STATES, Project, Run
from wbserver.domain.project_keys import scalar_config
from wbserver.domain.run_filters import RunView, check_filter
from wbserver.domain.run_query import plan
from wbserver.domain.run_table import RunQuery, mongo_filter
from wbserver.errors import InvalidInput
from wbserver.ports import MetadataStore

PAGE_LIMIT = 500  # the most runs one page of the list carries
NEWEST = "-id"  # a run's id grows with its creation: newest first, exactly


def run_entry(run: Run, colour: str) -> dict[str, Any]:
    """One run as the workspace lists it."""
    return {"name": run.name, "displayName": run.display_name or run.name,
            "state": run.state, "colour": colour, "group": run.group_name or "",
            "jobType": run.job_type or "", "user": run.username or "",
            "createdAt": iso(run.created_at), "tags": list(run.tags),
            "config": scalar_config(_dict(loads(run.config or "{}")))}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def page_of_runs(store: MetadataStore, project: Project, *, search: str = "",
                 state: str = "", offset: int = 0,
                 limit: int = PAGE_LIMIT) -> tuple[list[Run], int]:
    """(the runs of one page, newest first; how many runs match in all)."""
    if state and state not in RUN_STATES:
        raise InvalidInput(f"state must be one of {', '.join(RUN_STATES)}")
    if offset < 0 or not 0 < limit <= PAGE_LIMIT:
        raise InvalidInput(f"offset is 0 or more, limit 1 to {PAGE_LIMIT}")
    wanted = mongo_filter(RunQuery(search=search, states=(state,) if state else ()))
    planned = plan(wanted, NEWEST)
    if planned is not None:
        total = store.count_runs(project.id, planned)
        found = store.search_runs(project.id, planned, offset=offset, limit=limit) \
            if total is not None else None
        if total is not None and found is not None:
            return found, total
    # not comparable in SQL (rare): every run, filtered here
    runs = sorted(store.list_runs(project.id), key=lambda r: r.created_at, reverse=True)
    keep = check_filter(wanted)
    kept = [r for r in runs if keep(RunView(r))] if wanted else runs
    return kept[offset:offset + limit], len(kept)


def newest_runs(store: MetadataStore, project: Project, limit: int) -> list[Run]:
    """The project's newest LIMIT runs (no count of all)."""
    planned = plan({}, NEWEST)
    found = store.search_runs(project.id, planned, offset=0, limit=limit) \
        if planned is not None else None
    return found if found is not None else page_of_runs(store, project, limit=limit)[0]


def colours_for(store: MetadataStore, project: Project, runs: list[Run]) -> dict[str, str]:
    """Each run's colour as the whole list gives it: the newest runs take distinct palette
    colours (compare.distinct_colours), every later one its own."""
    newest = newest_runs(store, project, len(PALETTE))
    distinct = distinct_colours([r.name for r in newest])
    return {r.name: distinct.get(r.name) or run_colour(r.name) for r in runs}


def listed_runs(store: MetadataStore, project: Project, runs: list[Run]) -> list[dict[str, Any]]:
    colours = colours_for(store, project, runs)
    return [run_entry(r, colours[r.name]) for r in runs]
