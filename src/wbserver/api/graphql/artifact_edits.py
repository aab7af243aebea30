"""Editing a logged artifact version: updateArtifact, addAliases, deleteAliases."""

from __future__ import annotations

from typing import Any

from wbserver.api.graphql.ids import decode_id
from wbserver.api.graphql.resolve_info import GraphQLResolveInfo
from wbserver.api.graphql.schema import Resolver
from wbserver.domain import artifact_edits as domain


def _tags(entries: list[dict[str, Any]] | None) -> tuple[str, ...]:
    return tuple(entry["tagName"] for entry in entries or [])


def update_artifact(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    ctx = info.context
    change = domain.ArtifactChange(
        description=input.get("description"), metadata=input.get("metadata"),
        tags_to_add=_tags(input.get("tagsToAdd")), tags_to_delete=_tags(input.get("tagsToDelete")),
        aliases=None if input.get("aliases") is None
        else tuple((a["artifactCollectionName"], a["alias"]) for a in input["aliases"]),
        ttl_duration_seconds=input.get("ttlDurationSeconds"))
    artifact = domain.update_artifact(ctx.store, viewer=ctx.viewer,
                                      artifact_id=decode_id("Artifact", input["artifactID"]),
                                      change=change)
    return {"artifact": artifact, "clientMutationId": input.get("clientMutationId")}


def _alias_targets(input: dict[str, Any]) -> list[domain.AliasTarget]:  # noqa: A002
    return [domain.AliasTarget(entity=a["entityName"], project=a["projectName"],
                               collection=a["artifactCollectionName"], alias=a["alias"])
            for a in input["aliases"]]


def add_aliases(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    ctx = info.context
    domain.change_aliases(ctx.store, viewer=ctx.viewer,
                          artifact_id=decode_id("Artifact", input["artifactID"]),
                          targets=_alias_targets(input), add=True)
    return {"success": True, "clientMutationId": input.get("clientMutationId")}


def delete_aliases(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    ctx = info.context
    domain.change_aliases(ctx.store, viewer=ctx.viewer,
                          artifact_id=decode_id("Artifact", input["artifactID"]),
                          targets=_alias_targets(input), add=False)
    return {"success": True, "clientMutationId": input.get("clientMutationId")}


RESOLVERS: dict[str, dict[str, Resolver]] = {
    "Mutation": {"updateArtifact": update_artifact, "addAliases": add_aliases,
                 "deleteAliases": delete_aliases},
}
