"""updateRunState and deleteRun: a run changed from outside its process (wandb.Api())."""

from __future__ import annotations

from typing import Any

from wbserver.api.graphql.ids import decode_id
from wbserver.api.graphql.resolve_info import GraphQLResolveInfo
from wbserver.api.graphql.schema import Resolver
from wbserver.domain.run_changes import delete_run, update_run_state


def update_state(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    ctx = info.context
    update_run_state(ctx.store, viewer=ctx.viewer, run_id=decode_id("Run", input["id"]),
                     state=input["state"])
    return {"success": True, "clientMutationId": input.get("clientMutationId")}


def delete(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    ctx = info.context
    delete_run(ctx.store, ctx.services.blobs, viewer=ctx.viewer,
               run_id=decode_id("Run", input["id"]),
               delete_artifacts=bool(input.get("deleteArtifacts")))
    return {"clientMutationId": input.get("clientMutationId")}


RESOLVERS: dict[str, dict[str, Resolver]] = {
    "Mutation": {"updateRunState": update_state, "deleteRun": delete},
}
