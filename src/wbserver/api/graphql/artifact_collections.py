"""A collection by id, its aliases, its type and its deletion."""

from __future__ import annotations

from typing import Any

from wbserver.api.graphql.artifact_links import collection_id
from wbserver.api.graphql.ids import page_start
from wbserver.api.graphql.resolve_info import GraphQLResolveInfo
from wbserver.api.graphql.schema import Resolver
from wbserver.domain import artifact_links as domain
from wbserver.domain.artifact_models import PORTFOLIO, SEQUENCE, ArtifactSequence

MAX_PAGE = 1000


def artifact_collection(_root: Any, info: GraphQLResolveInfo, id: str) -> ArtifactSequence | None:  # noqa: A002
    ctx = info.context
    return domain.readable_collection(ctx.store, viewer=ctx.viewer,
                                      collection_id=collection_id(id))


def move_sequence(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    ctx = info.context
    found = domain.move_collection(ctx.store, viewer=ctx.viewer,
                                   collection_id=collection_id(input["artifactSequenceID"]),
                                   type_name=input["destinationArtifactTypeName"])
    return {"artifactCollection": found, "clientMutationId": input.get("clientMutationId")}


def _delete(kind: str, id_field: str) -> Resolver:
    def resolve(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
        ctx = info.context
        found = domain.delete_collection(ctx.store, viewer=ctx.viewer,
                                         collection_id=collection_id(input[id_field]), kind=kind)
        return {"artifactCollection": found, "clientMutationId": input.get("clientMutationId")}
    return resolve


def _aliases(s: ArtifactSequence, info: GraphQLResolveInfo, after: str | None = None,
             first: int | None = None) -> dict[str, Any]:
    found = info.context.store.collection_aliases(s.id)
    start = page_start(after)
    size = MAX_PAGE if first is None else max(0, min(first, MAX_PAGE))
    page = found[start:start + size]
    edges = [{"node": (alias, s), "cursor": str(start + i)} for i, alias in enumerate(page)]
    return {"edges": edges, "pageInfo": {
        "startCursor": edges[0]["cursor"] if edges else None,
        "endCursor": edges[-1]["cursor"] if edges else None,
        "hasNextPage": start + len(page) < len(found), "hasPreviousPage": start > 0}}


def _state(s: ArtifactSequence, _info: GraphQLResolveInfo) -> str:
    return "DELETED" if s.deleted else "READY"


RESOLVERS: dict[str, dict[str, Resolver]] = {
    "Query": {"artifactCollection": artifact_collection},
    "Mutation": {"moveArtifactSequence": move_sequence,
                 "deleteArtifactSequence": _delete(SEQUENCE, "artifactSequenceID"),
                 "deleteArtifactPortfolio": _delete(PORTFOLIO, "artifactPortfolioID")},
    "ArtifactSequence": {"aliases": _aliases, "state": _state},
    "ArtifactPortfolio": {"aliases": _aliases, "state": _state},
}
