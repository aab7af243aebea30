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
from wbserver.errors import InvalidInput
from wbserver.ports import MetadataStore

PAGE_LIMIT = 500  # the most runs one page of the list carries


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
    """(the runs of one page, newest first — by id, which grows as runs are made; how many
    runs match in all)."""
    if state and state not in RUN_STATES:
        raise InvalidInput(f"state must be one of {', '.join(RUN_STATES)}")
    if offset < 0 or not 0 < limit <= PAGE_LIMIT:
        raise InvalidInput(f"offset is 0 or more, limit 1 to {PAGE_LIMIT}")
    return store.workspace_runs_page(project.id, words=search.lower().split(), state=state,
                                     offset=offset, limit=limit)


def colours_for(store: MetadataStore, project: Project, runs: list[Run], *,
                newest: list[Run] | None = None) -> dict[str, str]:
    """Each run's colour as the whole list gives it: the newest runs take distinct palette
    colours (compare.distinct_colours), every later one its own. NEWEST: the project's
    newest runs, newest first, when the caller has them."""
    if newest is None:
        newest, _total = page_of_runs(store, project, limit=len(PALETTE))
    newest = newest[:len(PALETTE)]
    distinct = distinct_colours([r.name for r in newest])
    return {r.name: distinct.get(r.name) or run_colour(r.name) for r in runs}


def listed_runs(store: MetadataStore, project: Project, runs: list[Run], *,
                newest: list[Run] | None = None) -> list[dict[str, Any]]:
    colours = colours_for(store, project, runs, newest=newest)
    return [run_entry(r, colours[r.name]) for r in runs]
