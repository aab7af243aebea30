"""Viewer, users, entities and server info."""

from __future__ import annotations

from typing import Any

from wbserver.api.graphql.ids import encode_id
from wbserver.api.graphql.resolve_info import GraphQLResolveInfo
from wbserver.api.graphql.schema import Resolver
from wbserver.domain.models import Entity, User


def viewer(_root: Any, info: GraphQLResolveInfo) -> User:
    return info.context.viewer


# The wandb client versions this server is tested with (the oldest and the pinned one).
# `wandb verify` compares its own version with these; clients 0.28 and older read
# max_cli_version before logging Tables and Images (and ask again while it is missing).
CLI_VERSION_INFO = {"min_cli_version": "0.28.2", "max_cli_version": "0.31.0"}

# The client's ServerFeature names (wandb_internal.proto) of what this server really does;
# the client turns off whatever is not listed. FILESTREAM_GZIP: file_stream bodies may be
# gzip-encoded (api/rest/bodies.py). MARK_RUN_FILES_UPLOADED: markRunFilesUploaded commits
# files PUT straight to the bucket (Run.upload_file), without changing the run's state.
# ARTIFACT_MEMBERSHIP_IN_LINK_ARTIFACT_RESPONSE: linkArtifact answers the link's membership
# (the client then does not read the linked version again by name).
# TOTAL_COUNT_IN_FILE_CONNECTION: an artifact's `files` connection counts its (filtered)
# files, which `len(artifact.files())` reads. UPDATE_RUN_STATE: updateRunState moves a run to
# pending or failed (Run.update_state; run_changes.py).
SERVER_FEATURES = ("FILESTREAM_GZIP", "MARK_RUN_FILES_UPLOADED",
                   "ARTIFACT_MEMBERSHIP_IN_LINK_ARTIFACT_RESPONSE",
                   "TOTAL_COUNT_IN_FILE_CONNECTION", "UPDATE_RUN_STATE")


def server_info(_root: Any, _info: GraphQLResolveInfo) -> dict[str, Any]:
    return {"features": [{"name": name, "isEnabled": True} for name in SERVER_FEATURES],
            "cliVersionInfo": dict(CLI_VERSION_INFO), "latestLocalVersionInfo": None}


def entity(_root: Any, info: GraphQLResolveInfo, name: str | None = None) -> Entity | None:
    return info.context.store.get_entity(name or info.context.viewer.username)


def _is_self_or_admin(user: User, info: GraphQLResolveInfo) -> bool:
    viewer = info.context.viewer
    return bool(user.id == viewer.id or viewer.is_admin)


def _email(user: User, info: GraphQLResolveInfo) -> str | None:
    """A user's email: for themselves and site admins (a project's or run's creator is shown
    to its readers by name only)."""
    return user.email if _is_self_or_admin(user, info) else None


def _user_teams(user: User, info: GraphQLResolveInfo) -> dict[str, Any]:
    """The user's own entity first, then the teams they belong to: for themselves and site
    admins (empty for others)."""
    if not _is_self_or_admin(user, info):
        return {"edges": []}
    store = info.context.store
    own = store.get_entity(user.username)
    teams = [entity for entity, _role in store.list_user_teams(user.id)]
    return {"edges": [{"node": e} for e in ([own] if own else []) + teams]}


RESOLVERS: dict[str, dict[str, Resolver]] = {
    "Query": {"viewer": viewer, "serverInfo": server_info, "entity": entity},
    "User": {
        "id": lambda u, _i: encode_id("User", u.id),
        "name": lambda u, _i: u.username,
        "entity": lambda u, _i: u.username,
        "admin": lambda u, _i: u.is_admin,
        "flags": lambda _u, _i: "{}",
        "deletedAt": lambda u, _i: None,
        "createdAt": lambda u, _i: u.created_at,
        "defaultEntity": lambda u, info: info.context.store.get_entity(u.username),
        "teams": _user_teams,
        "email": _email,
    },
    "Entity": {
        "id": lambda e, _i: encode_id("Entity", e.id),
        "isTeam": lambda e, _i: e.is_team,
        "organization": lambda _e, _i: None,
    },
}
