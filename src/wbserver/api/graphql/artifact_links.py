"""Portfolios and collection edits: linkArtifact, unlinkArtifact, a collection's versions,
its tags, name and description; memberships that are links."""

from __future__ import annotations

import base64
import json
from typing import Any

from wbserver.api.graphql.ids import decode_id, encode_id, page_start
from wbserver.api.graphql.resolve_info import GraphQLResolveInfo
from wbserver.api.graphql.schema import Resolver
from wbserver.domain import artifact_links as domain
from wbserver.domain.artifact_models import (
    LATEST,
    PORTFOLIO,
    SEQUENCE,
    Artifact,
    ArtifactLink,
    ArtifactSequence,
)
from wbserver.errors import InvalidInput

MAX_PAGE = 500
ORDERS = {None: True, "": True, "-createdAt": True, "createdAt": False,
          "-versionIndex": True, "versionIndex": False}


def client_order(order: str | None) -> str | None:
    """The order as ORDERS names it: the client writes the field as its user did, with a sign
    (`+version_index`, `-createdAt`)."""
    if not order:
        return order
    sign, field = ("-", order[1:]) if order[0] == "-" else ("", order.lstrip("+"))
    head, *rest = field.split("_")
    return sign + head + "".join(part[:1].upper() + part[1:] for part in rest)


def collection_id(value: str) -> int:
    """A collection's GraphQL id, of a sequence or of a portfolio."""
    try:
        return decode_id("ArtifactPortfolio", value)
    except InvalidInput:
        return decode_id("ArtifactSequence", value)


def collection_gid(s: ArtifactSequence) -> str:
    return encode_id("ArtifactPortfolio" if s.kind == PORTFOLIO else "ArtifactSequence", s.id)


def link_artifact(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    ctx = info.context
    if not input.get("artifactID") or not input.get("artifactPortfolioName"):
        raise InvalidInput("linkArtifact needs artifactID and artifactPortfolioName (a "
                           "clientID or artifactPortfolioID alone is not supported here)")
    portfolio = input["artifactPortfolioName"]
    aliases = [a["alias"] for a in input.get("aliases") or []
               if a.get("artifactCollectionName") in (None, portfolio)]
    link = domain.link_artifact(
        ctx.store, viewer=ctx.viewer, artifact_id=decode_id("Artifact", input["artifactID"]),
        entity=input.get("entityName") or ctx.viewer.username,
        project=str(input.get("projectName")), portfolio=portfolio, aliases=aliases)
    return {"versionIndex": link.version_index, "artifactMembership": link,
            "clientMutationId": input.get("clientMutationId")}


def unlink_artifact(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    ctx = info.context
    domain.unlink_artifact(ctx.store, viewer=ctx.viewer,
                           artifact_id=decode_id("Artifact", input["artifactID"]),
                           portfolio_id=collection_id(input["artifactPortfolioID"]))
    return {"artifactID": input["artifactID"], "success": True,
            "clientMutationId": input.get("clientMutationId")}


def _update(kind: str, id_field: str) -> Resolver:
    def resolve(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
        ctx = info.context
        found = domain.update_collection(
            ctx.store, viewer=ctx.viewer, collection_id=collection_id(input[id_field]),
            kind=kind, name=input.get("name"), description=input.get("description"))
        return {"artifactCollection": found, "clientMutationId": input.get("clientMutationId")}
    return resolve


def _tags(add: bool) -> Resolver:
    def resolve(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
        ctx = info.context
        found = domain.change_collection_tags(
            ctx.store, viewer=ctx.viewer, entity=input["entityName"],
            project=input["projectName"], collection=input["artifactCollectionName"],
            tags=[tag["tagName"] for tag in input["tags"]], add=add)
        mutation_id = input.get("clientMutationId") or input.get("clientMutationID")
        if add:
            return {"tags": tag_nodes(found), "clientMutationId": mutation_id}
        return {"success": True, "clientMutationId": mutation_id}
    return resolve


def tag_nodes(s: ArtifactSequence) -> list[dict[str, str]]:
    return [{"id": base64.b64encode(f"Tag:c{s.id}:{name}".encode()).decode(), "name": name}
            for name in s.tags]


def _collection_versions(s: ArtifactSequence, info: GraphQLResolveInfo, after: str | None = None,
                         first: int | None = None, order: str | None = None,
                         filters: str | None = None) -> dict[str, Any]:
    """The committed versions of a sequence, or the links of a portfolio; newest first."""
    order = client_order(order)
    if order not in ORDERS:
        raise InvalidInput(f"order {str(order)[:40]!r} is not supported here: use one of "
                           f"{', '.join(sorted(o for o in ORDERS if o))}")
    wanted = json.loads(filters) if filters else {}
    if not isinstance(wanted, dict) or set(wanted) - {"state"} or \
            wanted.get("state", "COMMITTED") != "COMMITTED":
        raise InvalidInput("a collection's versions can be filtered by state COMMITTED only")
    start = page_start(after)
    size = MAX_PAGE if first is None else max(0, min(first, MAX_PAGE))
    store = info.context.store
    pairs: list[tuple[Artifact, int]]
    if s.kind == PORTFOLIO:
        links, total = store.list_links(s.id, offset=start, first=size,
                                        newest_first=ORDERS[order])
        pairs = [(link.artifact, link.version_index) for link in links]
    else:
        versions, total = store.list_sequence_page(s.id, offset=start, first=size,
                                                   newest_first=ORDERS[order])
        pairs = [(a, a.version_index or 0) for a in versions]
    edges = [{"node": a, "version": f"v{index}", "cursor": str(start + i)}
             for i, (a, index) in enumerate(pairs)]
    return {"totalCount": total, "edges": edges, "pageInfo": {
        "startCursor": edges[0]["cursor"] if edges else None,
        "endCursor": edges[-1]["cursor"] if edges else None,
        "hasNextPage": start + len(pairs) < total, "hasPreviousPage": start > 0}}


def _memberships(a: Artifact, info: GraphQLResolveInfo, after: str | None = None,
                 first: int | None = None) -> dict[str, Any]:
    """The version in its own sequence, then each portfolio it is linked into (that the
    viewer may read)."""
    ctx = info.context
    found: list[Artifact | ArtifactLink] = [
        a, *domain.readable_links(ctx.store, viewer=ctx.viewer, artifact_id=a.id)]
    start = page_start(after)
    size = MAX_PAGE if first is None else max(0, min(first, MAX_PAGE))
    page = found[start:start + size]
    edges = [{"node": m, "cursor": str(start + i)} for i, m in enumerate(page)]
    return {"totalCount": len(found), "edges": edges, "pageInfo": {
        "startCursor": edges[0]["cursor"] if edges else None,
        "endCursor": edges[-1]["cursor"] if edges else None,
        "hasNextPage": start + len(page) < len(found), "hasPreviousPage": start > 0}}


def _portfolio_latest(s: ArtifactSequence, info: GraphQLResolveInfo) -> Artifact | None:
    link = info.context.store.find_link(s.project_id, s.name, LATEST)
    return link.artifact if link else None


RESOLVERS: dict[str, dict[str, Resolver]] = {
    "Mutation": {
        "linkArtifact": link_artifact, "unlinkArtifact": unlink_artifact,
        "updateArtifactSequence": _update(SEQUENCE, "artifactSequenceID"),
        "updateArtifactPortfolio": _update(PORTFOLIO, "artifactPortfolioID"),
        "createArtifactCollectionTagAssignments": _tags(add=True),
        "deleteArtifactCollectionTagAssignments": _tags(add=False),
    },
    "ArtifactSequence": {
        "artifacts": _collection_versions,
        "tags": lambda s, _i: {"edges": [{"node": n} for n in tag_nodes(s)]},
    },
    "ArtifactPortfolio": {
        "artifacts": _collection_versions,
        "tags": lambda s, _i: {"edges": [{"node": n} for n in tag_nodes(s)]},
        "latestArtifact": _portfolio_latest,
    },
    "Artifact": {"artifactMemberships": _memberships},
}
