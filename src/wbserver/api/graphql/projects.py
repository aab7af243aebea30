"""Projects: lookup, run listing with filters, order and cursors."""

from __future__ import annotations

from typing import Any

from wbserver.api.graphql import run_cursors
from wbserver.api.graphql.ids import encode_id, page_start
from wbserver.api.graphql.resolve_info import GraphQLResolveInfo
from wbserver.api.graphql.schema import Resolver
from wbserver.api.graphql.selections import selected_run_name
from wbserver.domain.models import Entity, Project, RunKey
from wbserver.domain.permissions import (
    READ,
    project_access,
    readable_project,
    readable_project_and_run,
)
from wbserver.domain.run_filters import parse_filters
from wbserver.domain.run_search import count_runs, created_key, find_runs

MAX_PAGE = 1000


def project(_root: Any, info: GraphQLResolveInfo, name: str | None = None,
            entityName: str | None = None) -> Project | None:  # noqa: N803
    """The project; when the query selects one of its runs by name (`project { run(name:) }`,
    as most of wandb.Api's queries do), that run is read in the same lookup and kept for
    `run` below."""
    ctx = info.context
    entity, project_name = entityName or ctx.viewer.username, name or "uncategorized"
    run_name = selected_run_name(info)
    if run_name is None:
        return readable_project(ctx.store, viewer=ctx.viewer, entity=entity,
                                project=project_name)
    found, found_run = readable_project_and_run(ctx.store, viewer=ctx.viewer, entity=entity,
                                                project=project_name, run=run_name)
    if found is not None:
        ctx.cache[_run_cache_key(found, run_name)] = found_run
    return found


def _run_cache_key(project: Project, name: str) -> str:
    return f"run:{project.id}:{name}"


def run_count(project: Project, info: GraphQLResolveInfo, filters: str | None = None) -> int:
    return count_runs(info.context.store, project, parse_filters(filters))


def runs(project: Project, info: GraphQLResolveInfo, filters: str | None = None,
         after: str | None = None, first: int | None = None, order: str | None = None,
         **_ignored: Any) -> dict[str, Any]:
    page = run_cursors.decode(after)
    start, size = page.start, max(1, min(first or 50, MAX_PAGE))
    found = find_runs(info.context.store, project, filters=parse_filters(filters), order=order,
                      offset=start, limit=size, after=page.after)
    if found.keyed:
        edges = [{"node": r, "cursor": run_cursors.encode(start + i, created_key(r))}
                 for i, r in enumerate(found.runs)]
    else:
        edges = [{"node": r, "cursor": str(start + i)} for i, r in enumerate(found.runs)]
    return {
        "edges": edges,
        "totalCount": lambda *_a, **_k: found.count(),  # counted only when asked for
        "pageInfo": {"startCursor": edges[0]["cursor"] if edges else None,
                     "endCursor": edges[-1]["cursor"] if edges else None,
                     "hasNextPage": found.has_next,
                     "hasPreviousPage": start > 0},
    }


def run(project: Project, info: GraphQLResolveInfo, name: str, **_kw: Any) -> Any:
    key = _run_cache_key(project, name)
    if key in info.context.cache:  # read with its project (`project` above)
        return info.context.cache[key]
    return info.context.store.get_run(RunKey(project.entity_name, project.name, name))


def query_run(_root: Any, info: GraphQLResolveInfo, name: str, entityName: str | None = None,  # noqa: N803
              projectName: str | None = None) -> Any:  # noqa: N803
    """`run(entityName, projectName, name)` at the root: the run of a project the viewer may
    read, else null (as for a project: no leak of what exists)."""
    found = project(None, info, name=projectName, entityName=entityName)
    return run(found, info, name) if found is not None else None


def entity_projects(entity: Entity | None, info: GraphQLResolveInfo, after: str | None = None,
                    first: int | None = None) -> dict[str, Any]:
    """The entity's projects the viewer may read (a team's members see its team-visible
    projects, everyone its open ones), newest activity first, cursor-paged."""
    ctx = info.context
    found = [p for p in ctx.store.list_projects(entity.name)
             if project_access(ctx.store, ctx.viewer, p, entity) >= READ] if entity else []
    start = page_start(after)
    size = max(1, min(first or 50, MAX_PAGE))
    edges = [{"node": p, "cursor": str(start + i)} for i, p in enumerate(found[start:start + size])]
    return {"edges": edges,
            "pageInfo": {"startCursor": edges[0]["cursor"] if edges else None,
                         "endCursor": edges[-1]["cursor"] if edges else None,
                         "hasNextPage": start + size < len(found), "hasPreviousPage": start > 0}}


def models(_root: Any, info: GraphQLResolveInfo, entityName: str | None = None,  # noqa: N803
           after: str | None = None, first: int | None = None) -> dict[str, Any]:
    entity = info.context.store.get_entity(entityName or info.context.viewer.username)
    return entity_projects(entity, info, after=after, first=first)


RESOLVERS: dict[str, dict[str, Resolver]] = {
    "Query": {"project": project, "model": project, "models": models, "run": query_run},
    "Entity": {"projects": entity_projects},
    "Project": {
        "id": lambda p, _i: encode_id("Project", p.id),
        "internalId": lambda p, _i: str(p.id),
        "entityName": lambda p, _i: p.entity_name,
        "entity": lambda p, info: p.owner or info.context.store.get_entity(p.entity_name),
        "createdAt": lambda p, _i: p.created_at,
        "updatedAt": lambda p, _i: p.updated_at,
        "isBenchmark": lambda _p, _i: False,
        "readOnly": lambda _p, _i: False,
        "views": lambda _p, _i: None,  # saved workspace views: none (Api.create_project reads it)
        "user": lambda p, info: info.context.store.get_user(p.created_by) if p.created_by else None,
        "runCount": run_count,
        "runs": runs,
        "run": run,
        "bucket": run,
    },
}
