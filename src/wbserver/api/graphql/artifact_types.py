"""A project's artifact types: the types of the collections it holds (the project itself is
read-checked where it is resolved)."""

from __future__ import annotations

import base64
from typing import Any

from wbserver.api.graphql.ids import page_start
from wbserver.api.graphql.resolve_info import GraphQLResolveInfo
from wbserver.api.graphql.schema import Resolver
from wbserver.domain.artifact_models import ArtifactSequence
from wbserver.domain.models import Project
from wbserver.errors import InvalidInput

MAX_PAGE = 500


def _types(project: Project, info: GraphQLResolveInfo) -> list[dict[str, Any]]:
    """Each type with its collections (under "sequences", not a GraphQL field)."""
    found: dict[str, list[ArtifactSequence]] = {}
    for sequence, _versions, _newest in info.context.store.list_artifact_collections(project.id):
        found.setdefault(sequence.type_name, []).append(sequence)
    return [{"id": base64.b64encode(f"ArtifactType:{project.id}:{name}".encode()).decode(),
             "name": name, "description": None, "sequences": sequences,
             "createdAt": min(s.created_at for s in sequences)}
            for name, sequences in sorted(found.items())]


def _page(found: list[Any], after: str | None, first: int | None) -> dict[str, Any]:
    start = page_start(after)
    size = MAX_PAGE if first is None else max(0, min(first, MAX_PAGE))
    page = found[start:start + size]
    edges = [{"node": node, "cursor": str(start + i)} for i, node in enumerate(page)]
    return {"totalCount": len(found), "edges": edges, "pageInfo": {
        "startCursor": edges[0]["cursor"] if edges else None,
        "endCursor": edges[-1]["cursor"] if edges else None,
        "hasNextPage": start + len(page) < len(found), "hasPreviousPage": start > 0}}


def artifact_types(project: Project, info: GraphQLResolveInfo, after: str | None = None,
                   first: int | None = None, includeAll: bool | None = None) -> dict[str, Any]:  # noqa: N803
    return _page(_types(project, info), after, first)


def artifact_type(project: Project, info: GraphQLResolveInfo, name: str) -> dict[str, Any] | None:
    return next((t for t in _types(project, info) if t["name"] == name), None)


def type_collection(kind: dict[str, Any], _info: GraphQLResolveInfo,
                    name: str) -> ArtifactSequence | None:
    return next((s for s in kind["sequences"] if s.name == name), None)


def type_collections(kind: dict[str, Any], _info: GraphQLResolveInfo, after: str | None = None,
                     first: int | None = None, filters: Any = None,
                     order: str | None = None) -> dict[str, Any]:
    if filters not in (None, "", "{}", "null"):
        raise InvalidInput("filters on artifact collections are not supported by this server")
    return _page(kind["sequences"], after, first)


def project_collections(project: Project, info: GraphQLResolveInfo, after: str | None = None,
                        first: int | None = None, filters: Any = None,
                        order: str | None = None) -> dict[str, Any]:
    """Every collection of the project, by type then name (the server does not claim
    ARTIFACT_COLLECTIONS_FILTERING_SORTING: the client sends no filters)."""
    if filters not in (None, "", "{}", "null"):
        raise InvalidInput("filters on artifact collections are not supported by this server")
    found = [s for kind in _types(project, info) for s in kind["sequences"]]
    return _page(found, after, first)


RESOLVERS: dict[str, dict[str, Resolver]] = {
    "Project": {"artifactTypes": artifact_types, "artifactType": artifact_type,
                "artifactCollections": project_collections},
    "ArtifactType": {"artifactCollection": type_collection,
                     "artifactCollections": type_collections},
}
