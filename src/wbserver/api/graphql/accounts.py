"""Server settings for site admins, and project visibility (upsertModel)."""

from __future__ import annotations

from typing import Any

from wbserver.api.graphql.resolve_info import GraphQLResolveInfo
from wbserver.api.graphql.schema import Resolver
from wbserver.config.admin import describe, save_changes
from wbserver.domain.clock import utcnow
from wbserver.domain.projects import ACCESS_TO_VISIBILITY, VISIBILITY_TO_ACCESS, upsert_project
from wbserver.errors import PermissionDenied


def _require_site_admin(info: GraphQLResolveInfo) -> None:
    if not info.context.viewer.is_admin:
        raise PermissionDenied("only site admins read or change server settings")


def server_settings(_root: Any, info: GraphQLResolveInfo) -> list[dict[str, Any]]:
    _require_site_admin(info)
    return [{"name": r.name, "envVar": r.env, "section": r.section, "value": r.shown,
             "source": r.origin, "locked": r.locked, "secret": r.secret}
            for r in describe(info.context.services.settings_source)]


def update_server_settings(_root: Any, info: GraphQLResolveInfo,
                           input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    _require_site_admin(info)
    svc = info.context.services
    items = input["settings"]
    changes = {i["name"]: i.get("value") or "" for i in items if not i.get("clear")}
    changed = save_changes(svc.store, svc.settings_source, changes=changes,
                           actor_id=info.context.viewer.id, now=utcnow(),
                           encrypt=svc.secrets.encrypt, probes=info.context.probes,
                           clear=[i["name"] for i in items if i.get("clear")])
    return {"changed": changed}


def upsert_model(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    ctx = info.context
    access = input.get("access")
    visibility = ACCESS_TO_VISIBILITY.get(access.upper()) if access else None
    if access and visibility is None:
        from wbserver.errors import InvalidInput

        raise InvalidInput(f"access must be one of {', '.join(sorted(ACCESS_TO_VISIBILITY))}")
    project, inserted = upsert_project(ctx.store, viewer=ctx.viewer,
                                       entity=input.get("entityName") or ctx.viewer.username,
                                       name=input["name"], description=input.get("description"),
                                       visibility=visibility)
    return {"project": project, "model": project, "inserted": inserted}


RESOLVERS: dict[str, dict[str, Resolver]] = {
    "Query": {"serverSettings": server_settings},
    "Mutation": {"updateServerSettings": update_server_settings, "upsertModel": upsert_model},
    "Project": {"access": lambda p, _i: VISIBILITY_TO_ACCESS.get(p.visibility, "PRIVATE")},
}
