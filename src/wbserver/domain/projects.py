"""Projects: created on first use by a run, or explicitly with a description and visibility."""

from __future__ import annotations

from wbserver.domain.models import Project, User
from wbserver.domain.names import check_name
from wbserver.domain.permissions import (
    VISIBILITIES,
    default_visibility,
    entity_role,
    writable_entity,
)
from wbserver.errors import InvalidInput, NotFound, PermissionDenied
from wbserver.ports import MetadataStore

# W&B's project access names, as the client and its API send them.
ACCESS_TO_VISIBILITY = {"PRIVATE": "private", "ENTITY_READ": "team", "ENTITY_WRITE": "team",
                        "TEAM": "team", "USER_READ": "open", "USER_WRITE": "open",
                        "OPEN": "open"}
VISIBILITY_TO_ACCESS = {"private": "PRIVATE", "team": "ENTITY_READ", "open": "USER_READ"}


def upsert_project(store: MetadataStore, *, viewer: User, entity: str, name: str,
                   description: str | None, visibility: str | None) -> tuple[Project, bool]:
    check_name("project", name)
    if visibility is not None and visibility not in VISIBILITIES:
        raise InvalidInput(f"visibility must be one of {', '.join(VISIBILITIES)}")
    owner = writable_entity(store, viewer=viewer, name=entity)
    existing = store.get_project(entity, name)
    if existing is not None:
        is_admin = entity_role(store, viewer, owner) == "admin"
        if not (is_admin or existing.created_by == viewer.id):
            if existing.visibility == "private":
                raise NotFound(f"project {entity}/{name} not found")
            raise PermissionDenied("only the project's creator or the entity's admins "
                                   "change its settings")
    project, inserted = store.upsert_project(
        entity_id=owner.id, name=name, user_id=viewer.id, description=description,
        visibility=visibility or (existing.visibility if existing else default_visibility(owner)))
    if project is None:
        raise NotFound(f"project {entity}/{name} not found")
    return project, inserted
