"""Users, API keys and teams through GraphQL, as wandb.Api() manages them."""

from __future__ import annotations

import re
from typing import Any

from wbserver.api.graphql.ids import decode_id, encode_id
from wbserver.api.graphql.resolve_info import GraphQLResolveInfo
from wbserver.api.graphql.schema import Resolver
from wbserver.domain import accounts, teams
from wbserver.domain.clock import utcnow
from wbserver.domain.models import ApiKey, Entity, User
from wbserver.domain.permissions import entity_role
from wbserver.domain.users import create_api_key
from wbserver.errors import InvalidInput, NotFound, PermissionDenied


def _site_admin(info: GraphQLResolveInfo) -> User:
    viewer = info.context.viewer
    if not viewer.is_admin:
        raise PermissionDenied("only site admins manage users")
    return viewer


def _free_username(store: Any, email: str) -> str:
    base = re.sub(r"[^A-Za-z0-9_.-]", "-", email.split("@")[0]).strip("-.")[:60] or "user"
    name, n = base, 1
    while store.get_entity(name) is not None:
        n += 1
        name = f"{base}{n}"
    return name


def create_user(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    """A user named after the email's local part; they set a password with a reset link."""
    _site_admin(info)
    ctx = info.context
    email = input["email"].strip()
    user = accounts.create_user(ctx.store, username=_free_username(ctx.store, email), email=email,
                                is_admin=bool(input.get("admin")), password_hash=None,
                                license=ctx.services.license(), now=utcnow())
    return {"user": user}


def generate_api_key(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    """A new key for the viewer; its `name` is the key itself, shown only this once."""
    ctx = info.context
    description = (input.get("description") or "api").strip()[:128] or "api"
    key = create_api_key(ctx.store, username=ctx.viewer.username, name=description)
    stored = ctx.store.list_api_keys(ctx.viewer.id)[-1]
    return {"apiKey": {"id": encode_id("ApiKey", stored.id), "name": key,
                       "description": description}}


def delete_api_key(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    ctx = info.context
    key_id = decode_id("ApiKey", input["id"])
    if not ctx.store.revoke_api_key(user_id=ctx.viewer.id, key_id=key_id):
        raise NotFound("no such API key of yours")
    return {"success": True}


def create_team(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    ctx = info.context
    owner = ctx.viewer
    if input.get("teamAdminUserName") and input["teamAdminUserName"] != owner.username:
        _site_admin(info)
        named = ctx.store.get_user_by_name(input["teamAdminUserName"])
        if named is None:
            raise NotFound(f"user {input['teamAdminUserName']!r} not found")
        owner = named
    entity = teams.create_team(ctx.store, by=owner, name=input["teamName"],
                               license=ctx.services.license(), now=utcnow())
    return {"entity": entity}


def create_invite(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    """Add an existing user to a team (no email is sent: invite new people by link)."""
    ctx = info.context
    username = input.get("username")
    if not username and input.get("email"):
        found = [u for u in ctx.store.list_users() if u.email.lower() == input["email"].lower()]
        username = found[0].username if found else None
    if not username:
        raise InvalidInput("no user with that name or email exists here; create them first or "
                           "send an invite link from /system-admin/users")
    teams.set_member(ctx.store, by=ctx.viewer, team=input["entityName"], username=username,
                     role="admin" if input.get("admin") else "member")
    user = ctx.store.get_user_by_name(username)
    return {"invite": {"id": encode_id("Invite", user.id if user else 0), "name": username,
                       "email": user.email if user else None, "createdAt": utcnow(),
                       "toUser": user}}


def users(_root: Any, info: GraphQLResolveInfo, query: str | None = None,
          first: int | None = None) -> dict[str, Any]:
    _site_admin(info)
    needle = (query or "").lower()
    found = [u for u in info.context.store.list_users()
             if needle in u.username.lower() or needle in u.email.lower()]
    return {"edges": [{"node": u} for u in found[: first or 100]]}


def _members(entity: Entity, info: GraphQLResolveInfo) -> list[dict[str, Any]]:
    store = info.context.store
    if entity_role(store, info.context.viewer, entity) is None:
        return []
    if not entity.is_team:
        owner = store.get_user(entity.user_id) if entity.user_id else None
        return [_member(owner, "admin")] if owner else []
    return [_member(store.get_user(m.user_id), m.role) for m in store.list_team_members(entity.id)]


def _member(user: User | None, role: str) -> dict[str, Any]:
    assert user is not None
    return {"id": encode_id("User", user.id), "admin": role == "admin", "pending": False,
            "email": user.email, "username": user.username, "name": user.username,
            "accountType": "USER", "apiKey": None, "role": role}


def _storage_bytes(entity: Entity, info: GraphQLResolveInfo) -> int:
    """An entity's storage size: for its own members and site admins; 0 for others (the
    client's Team model needs a number: null made `Api().team(name)` fail for a non-member)."""
    ctx = info.context
    if entity_role(ctx.store, ctx.viewer, entity) is None:
        return 0
    return ctx.store.entity_storage_bytes(entity.id)


def _api_keys(user: User, info: GraphQLResolveInfo) -> dict[str, Any]:
    if user.id != info.context.viewer.id and not info.context.viewer.is_admin:
        return {"edges": []}
    keys: list[ApiKey] = info.context.store.list_api_keys(user.id)
    # `name` is the key's id as the client shows it (User.api_keys, delete_api_key): the
    # start of the key, never the secret; the label the key was made with is its description.
    return {"edges": [{"node": {"id": encode_id("ApiKey", k.id), "name": k.key_prefix,
                                "description": k.name}} for k in keys]}


RESOLVERS: dict[str, dict[str, Resolver]] = {
    "Query": {"users": users},
    "Mutation": {"createUser": create_user, "generateApiKey": generate_api_key,
                 "deleteApiKey": delete_api_key, "createTeam": create_team,
                 "createInvite": create_invite},
    "User": {"apiKeys": _api_keys},
    "Entity": {
        "available": lambda _e, _i: False, "readOnly": lambda _e, _i: False,
        "readOnlyAdmin": lambda _e, _i: False, "privateOnly": lambda _e, _i: False,
        "entityType": lambda e, _i: "TEAM" if e.is_team else "USER",
        "defaultAccess": lambda e, _i: "ENTITY_READ" if e.is_team else "PRIVATE",
        "isPaid": lambda _e, _i: False, "codeSavingEnabled": lambda _e, _i: False,
        "members": _members, "limits": lambda _e, _i: "{}",
        "storageBytes": _storage_bytes,
    },
}
