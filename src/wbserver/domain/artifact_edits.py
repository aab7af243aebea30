"""Editing a logged version (Artifact.save() after logging): description, metadata, tags,
aliases and TTL (kept as the client reads it back; the artifact GC worker deletes a version
once its TTL has passed, domain/artifact_gc.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from wbserver.domain.artifact_links import change_link_aliases
from wbserver.domain.artifact_models import COMMITTED, LATEST, Artifact
from wbserver.domain.artifacts import (
    check_alias,
    check_tag,
    check_ttl,
    readable_artifact,
    writable_artifact,
)
from wbserver.domain.models import User
from wbserver.errors import InvalidInput, NotFound
from wbserver.ports import MetadataStore


@dataclass(frozen=True)
class ArtifactChange:
    description: str | None = None  # None: unchanged
    metadata: str | None = None  # JSON object; None: unchanged
    tags_to_add: tuple[str, ...] = ()
    tags_to_delete: tuple[str, ...] = ()
    aliases: tuple[tuple[str, str], ...] | None = None  # (collection, alias): the full set
    ttl_duration_seconds: int | None = None  # None: unchanged; TTL_INHERIT, TTL_DISABLED, > 0


@dataclass(frozen=True)
class AliasTarget:
    entity: str
    project: str
    collection: str
    alias: str


def check_metadata(metadata: str | None) -> None:
    if metadata is None:
        return
    try:
        parsed = json.loads(metadata)
    except ValueError:
        raise InvalidInput("metadata is not valid JSON") from None
    if parsed is not None and not isinstance(parsed, dict):
        raise InvalidInput("metadata must be a JSON object")


def update_artifact(store: MetadataStore, *, viewer: User, artifact_id: int,
                    change: ArtifactChange) -> Artifact:
    artifact = writable_artifact(store, viewer=viewer, artifact_id=artifact_id)
    ttl = None if change.ttl_duration_seconds is None \
        else check_ttl(change.ttl_duration_seconds)
    check_metadata(change.metadata)
    add = tuple(check_tag(tag) for tag in dict.fromkeys(change.tags_to_add))
    drop = tuple(dict.fromkeys(change.tags_to_delete))
    if change.aliases is not None:
        wanted = {alias for collection, alias in change.aliases
                  if collection == artifact.sequence_name}
        have = {a.alias for a in artifact.aliases} - {LATEST}
        _aliases(store, artifact, sorted(wanted - have - {LATEST}), add=True)
        _aliases(store, artifact, sorted(have - wanted), add=False)
    return store.update_artifact(artifact_id, description=change.description,
                                 metadata=change.metadata, tags_to_add=add, tags_to_delete=drop,
                                 set_ttl=change.ttl_duration_seconds is not None,
                                 ttl_duration_seconds=ttl)


def change_aliases(store: MetadataStore, *, viewer: User, artifact_id: int,
                   targets: list[AliasTarget], add: bool) -> None:
    """Aliases in the version's own collection (write to its project), or in a portfolio it
    is linked into (write to the portfolio's project)."""
    artifact = readable_artifact(store, viewer=viewer, artifact_id=artifact_id)
    own = (artifact.entity_name, artifact.project_name, artifact.sequence_name)
    elsewhere: dict[tuple[str, str, str], list[str]] = {}
    for target in targets:
        key = (target.entity, target.project, target.collection)
        if key != own:
            elsewhere.setdefault(key, []).append(target.alias)
    mine = [t.alias for t in targets if (t.entity, t.project, t.collection) == own]
    if mine:
        writable_artifact(store, viewer=viewer, artifact_id=artifact_id)
        _aliases(store, artifact, mine, add=add)
    for (entity, project, collection), aliases in elsewhere.items():
        try:
            change_link_aliases(store, viewer=viewer, artifact_id=artifact.id, entity=entity,
                                project=project, portfolio=collection, aliases=aliases,
                                add=add)
        except NotFound:
            raise InvalidInput(f"alias {aliases[0]!r} names collection {entity}/{project}/"
                               f"{collection}: an alias can only be set in the version's own "
                               f"collection {'/'.join(own)} or in a portfolio it is linked "
                               f"into") from None


def _aliases(store: MetadataStore, artifact: Artifact, aliases: list[str], *,
             add: bool) -> None:
    if not aliases:
        return
    if LATEST in aliases:
        raise InvalidInput("'latest' names the newest version by itself: it cannot be "
                           "set or removed")
    checked = [check_alias(alias) for alias in dict.fromkeys(aliases)]
    if artifact.state != COMMITTED:
        raise InvalidInput("aliases can be changed on committed versions only")
    if add:
        store.add_artifact_aliases(artifact.id, checked)
    else:
        store.delete_artifact_aliases(artifact.id, checked)
