"""What the home and project pages show: the viewer's projects, recent runs, and a
project's runs table."""

from __future__ import annotations

from typing import Any

from wbserver.domain.models import Project, User
from wbserver.domain.permissions import READ, project_access, readable_project
from wbserver.domain.run_table import RunQuery, RunTable, run_table
from wbserver.errors import NotFound
from wbserver.ports import MetadataStore

RECENT_RUNS = 15


def visible_projects(store: MetadataStore, *, viewer: User) -> list[Project]:
    """Projects of the viewer's own entity and teams that the viewer may read."""
    names = [viewer.username] + [e.name for e, _role in store.list_user_teams(viewer.id)]
    found = [p for name in names for p in store.list_projects(name)]
    return [p for p in found if project_access(store, viewer, p) >= READ]


def home_overview(store: MetadataStore, *, viewer: User) -> dict[str, Any]:
    projects = visible_projects(store, viewer=viewer)
    entities = [(viewer.username, "you")] + [
        (e.name, role) for e, role in store.list_user_teams(viewer.id)]
    recent = store.recent_runs([p.id for p in projects], limit=RECENT_RUNS)
    return {"projects": projects, "entities": entities, "recent": recent}


def project_runs(store: MetadataStore, *, viewer: User | None, entity: str, project: str,
                 query: RunQuery) -> tuple[Project, RunTable]:
    found = readable_project(store, viewer=viewer, entity=entity, project=project)
    if found is None:
        raise NotFound(f"project {entity}/{project} not found")
    return found, run_table(store, found, query)


def project_page(store: MetadataStore, *, viewer: User | None, entity: str,
                 project: str) -> tuple[Project, int]:
    """The project a page shows and its number of runs (the data comes from the
    workspace's JSON)."""
    found = readable_project(store, viewer=viewer, entity=entity, project=project)
    if found is None:
        raise NotFound(f"project {entity}/{project} not found")
    return found, store.project_run_count(found.id, mark=found.updated_at)
