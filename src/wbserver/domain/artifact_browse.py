"""The artifact pages: a project's artifacts by type and collection, a collection's
versions, and one version with files, metadata, aliases and lineage."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from wbserver.domain import artifacts
from wbserver.domain.artifact_models import LATEST, PORTFOLIO, Artifact, ArtifactLink
from wbserver.domain.artifact_storage import content_key
from wbserver.domain.models import Project, User
from wbserver.domain.permissions import WRITE, project_access, readable_project
from wbserver.domain.run_details import Links
from wbserver.errors import NotFound
from wbserver.ports import MetadataStore

MAX_FILES = 10_000  # the files tree opens folders lazily


def _project(store: MetadataStore, viewer: User | None, entity: str, project: str) -> Project:
    found = readable_project(store, viewer=viewer, entity=entity, project=project)
    if found is None:
        raise NotFound(f"project {entity}/{project} not found")
    return found


def project_artifacts(store: MetadataStore, *, viewer: User | None, entity: str,
                      project: str) -> dict[str, Any]:
    found = _project(store, viewer, entity, project)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for sequence, versions, newest in store.list_artifact_collections(found.id):
        by_type.setdefault(sequence.type_name, []).append(
            {"sequence": sequence, "versions": versions, "newest": newest})
    return {"project": found, "types": sorted(by_type.items())}


def collection_versions(store: MetadataStore, *, viewer: User | None, entity: str,
                        project: str, type_name: str, name: str) -> dict[str, Any]:
    found = _project(store, viewer, entity, project)
    sequence = store.find_sequence(found.id, name)
    if sequence is None or sequence.type_name != type_name:
        raise NotFound(f"artifact {name} not found")
    if sequence.kind == PORTFOLIO:
        links, _total = store.list_links(sequence.id, offset=0, first=500)
        return {"project": found, "sequence": sequence,
                "versions": [_as_version(link, name) for link in links]}
    return {"project": found, "sequence": sequence,
            "versions": store.list_sequence_versions(sequence.id)}


def _as_version(link: ArtifactLink, portfolio: str) -> Artifact:
    """A linked version shown as a version of the portfolio (its index and aliases there)."""
    return replace(link.artifact, sequence_name=portfolio, version_index=link.version_index,
                   aliases=link.aliases, created_at=link.created_at)


def readable_version(store: MetadataStore, *, viewer: User | None, entity: str, project: str,
                     type_name: str, name: str, version: str
                     ) -> tuple[Project, Artifact, ArtifactLink | None]:
    """A version by `vN`, `latest` or a custom alias, in a project the viewer reads; a
    linked version shows with the portfolio's index and aliases (and its link)."""
    found = _project(store, viewer, entity, project)
    artifact = store.find_artifact(found.id, name, version)
    link = None if artifact is not None else store.find_link(found.id, name, version)
    if link is not None:
        artifact = _as_version(link, name)
    if artifact is None or artifact.type_name != type_name:
        raise NotFound(f"artifact {name}:{version} not found")
    return found, artifact, link


def artifact_version(store: MetadataStore, links: Links, *, viewer: User | None, entity: str,
                     project: str, type_name: str, name: str, version: str) -> dict[str, Any]:
    """One version by `vN`, `latest` or a custom alias."""
    found, artifact, link = readable_version(store, viewer=viewer, entity=entity,
                                             project=project, type_name=type_name, name=name,
                                             version=version)
    files, more, total = store.list_artifact_files(artifact.id, names=None, after=None,
                                                   first=MAX_FILES, stored_only=False)
    layout = store.artifact_layout()
    shown = [[f.name, f.size,
              links.blobs.download_url(content_key(f.md5, layout), base_url=links.base_url,
                                       expires_in=links.expires_in) if f.md5 else None, f.ref]
             for f in files]
    metadata = json.loads(artifact.metadata) if artifact.metadata else None
    creator = store.get_run_by_id(artifact.created_by_run_id) \
        if artifact.created_by_run_id else None
    return {"project": found, "artifact": artifact, "files_tree": shown, "more_files": more,
            "file_total": total,
            "can_write": link is None and project_access(store, viewer, found) == WRITE,
            "custom_aliases": [a.alias for a in artifact.aliases if a.alias != LATEST],
            "metadata": json.dumps(metadata, indent=2, sort_keys=True) if metadata else "",
            "created_by": creator, "used_by": [
                r for r in store.artifact_users(artifact.id)
                if readable_project(store, viewer=viewer, entity=r.entity_name,
                                    project=r.project_name) is not None]}


def delete_version(store: MetadataStore, *, viewer: User, entity: str, project: str,
                   type_name: str, name: str, version: str, delete_aliases: bool) -> Artifact:
    """The page's "Delete version": the API's delete (write access; custom aliases refuse
    it unless they go too)."""
    found = _project(store, viewer, entity, project)
    artifact = store.find_artifact(found.id, name, version)
    if artifact is None or artifact.type_name != type_name:
        raise NotFound(f"artifact {name}:{version} not found")
    return artifacts.delete_artifact(store, viewer=viewer, artifact_id=artifact.id,
                                     delete_aliases=delete_aliases)
