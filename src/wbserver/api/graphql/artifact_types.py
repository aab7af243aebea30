"""A project's artifact types: the types of the collections it holds (the project itself is
read-checked where it is resolved)."""

from __future__ import annotations

import base64
from typing import Any

from wbserver.api.graphql.ids import page_start
from wbserver.api.graphql.resolve_info import GraphQLResolveInfo
from wbserver.api.graphql.schema import Resolver
from wbserver.domain.models import Project

MAX_PAGE = 500


def _types(project: Project, info: GraphQLResolveInfo) -> list[dict[str, Any]]:
    earliest: dict[str, Any] = {}
    for sequence, _versions, _newest in info.context.store.list_artifact_collections(project.id):
        seen = earliest.get(sequence.type_name)
        if seen is None or sequence.created_at < seen:
            earliest[sequence.type_name] = sequence.created_at
    return [{"id": base64.b64encode(f"ArtifactType:{project.id}:{name}".encode()).decode(),
             "name": name, "description": None, "createdAt": created}
            for name, created in sorted(earliest.items())]


def artifact_types(project: Project, info: GraphQLResolveInfo, after: str | None = None,
                   first: int | None = None, includeAll: bool | None = None) -> dict[str, Any]:  # noqa: N803
    found = _types(project, info)
    start = page_start(after)
    size = MAX_PAGE if first is None else max(0, min(first, MAX_PAGE))
    page = found[start:start + size]
    edges = [{"node": node, "cursor": str(start + i)} for i, node in enumerate(page)]
    return {"totalCount": len(found), "edges": edges, "pageInfo": {
        "startCursor": edges[0]["cursor"] if edges else None,
        "endCursor": edges[-1]["cursor"] if edges else None,
        "hasNextPage": start + len(page) < len(found), "hasPreviousPage": start > 0}}


def artifact_type(project: Project, info: GraphQLResolveInfo, name: str) -> dict[str, Any] | None:
    return next((t for t in _types(project, info) if t["name"] == name), None)


RESOLVERS: dict[str, dict[str, Resolver]] = {
    "Project": {"artifactTypes": artifact_types, "artifactType": artifact_type},
}
