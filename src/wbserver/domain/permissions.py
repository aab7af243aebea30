"""Who may read and write what. Users write to their own entity; admins to any."""

from __future__ import annotations

from wbserver.domain.models import Entity, Project, User
from wbserver.errors import NotFound, PermissionDenied
from wbserver.ports import MetadataStore


def writable_entity(store: MetadataStore, *, viewer: User, name: str) -> Entity:
    entity = store.get_entity(name)
    if entity is None:
        raise NotFound(f"entity {name} not found")
    if not (viewer.is_admin or entity.user_id == viewer.id):
        raise PermissionDenied(f"{viewer.username} may not write to entity {name}")
    return entity


def readable_project(store: MetadataStore, *, viewer: User, entity: str,
                     project: str) -> Project | None:
    """The project if it exists and the viewer may read it; None otherwise."""
    found = store.get_project(entity, project)
    if found is None:
        return None
    owner = store.get_entity(entity)
    if owner is None or not (viewer.is_admin or owner.user_id == viewer.id):
        return None
    return found
