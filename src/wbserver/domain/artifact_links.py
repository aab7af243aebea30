"""Linking logged versions into portfolios (run.link_artifact, link_model, Artifact.link),
reading them back by name, and editing collections (name, description, tags).

Linking reads the source version (the viewer may read its project) and writes the target
project (made on first use where the viewer may create projects)."""

from __future__ import annotations

from wbserver.domain.artifact_models import (
    COMMITTED,
    LATEST,
    PORTFOLIO,
    SEQUENCE,
    Artifact,
    ArtifactLink,
    ArtifactSequence,
)
from wbserver.domain.artifacts import (
    check_alias,
    check_artifact_name,
    check_tag,
    readable_artifact,
    split_name,
)
from wbserver.domain.models import Project, User
from wbserver.domain.names import check_name
from wbserver.domain.permissions import (
    check_collection_write,
    check_project_writable,
    check_project_write,
    default_visibility,
    readable_project,
)
from wbserver.errors import InvalidInput, NotFound
from wbserver.ports import MetadataStore

Membership = Artifact | ArtifactLink


def link_artifact(store: MetadataStore, *, viewer: User, artifact_id: int, entity: str,
                  project: str, portfolio: str, aliases: list[str]) -> ArtifactLink:
    artifact = readable_artifact(store, viewer=viewer, artifact_id=artifact_id)
    if artifact.state != COMMITTED:
        raise InvalidInput("only a committed version can be linked: wait for it to finish "
                           "uploading")
    owner = check_project_writable(store, viewer=viewer, entity=entity, project=project)
    checked = [check_alias(alias) for alias in dict.fromkeys(aliases) if alias != LATEST]
    return store.link_artifact(
        artifact, entity_id=owner.id, project=check_name("project", project),
        portfolio=check_artifact_name("name", portfolio), aliases=checked, user_id=viewer.id,
        visibility=default_visibility(owner))


def writable_collection(store: MetadataStore, *, viewer: User,
                        collection_id: int) -> ArtifactSequence:
    return check_collection_write(store, viewer=viewer, collection_id=collection_id)


def unlink_artifact(store: MetadataStore, *, viewer: User, artifact_id: int,
                    portfolio_id: int) -> None:
    portfolio = writable_collection(store, viewer=viewer, collection_id=portfolio_id)
    if portfolio.kind != PORTFOLIO:
        raise InvalidInput(f"{portfolio.name!r} holds logged versions, not links: delete the "
                           f"version instead of unlinking it")
    if not store.unlink_artifact(portfolio.id, artifact_id):
        raise NotFound("the version is not linked into that portfolio")


def membership_by_name(store: MetadataStore, *, project: Project,
                       name: str) -> Membership | None:
    """'collection:alias' of a sequence (the version) or of a portfolio (the link)."""
    collection, alias = split_name(name)
    found = store.find_artifact(project.id, collection, alias)
    return found if found is not None else store.find_link(project.id, collection, alias)


def membership_in(store: MetadataStore, collection: ArtifactSequence,
                  alias: str) -> Membership | None:
    if collection.kind == PORTFOLIO:
        return store.find_link(collection.project_id, collection.name, alias)
    return store.find_artifact(collection.project_id, collection.name, alias)


def change_link_aliases(store: MetadataStore, *, viewer: User, artifact_id: int, entity: str,
                        project: str, portfolio: str, aliases: list[str], add: bool) -> None:
    """Aliases of the version in a portfolio it is linked into (Artifact.save() on a link)."""
    found = readable_project(store, viewer=viewer, entity=entity, project=project)
    collection = None if found is None else store.find_sequence(found.id, portfolio)
    if found is None or collection is None or collection.kind != PORTFOLIO:
        raise NotFound(f"portfolio {entity}/{project}/{portfolio} not found")
    check_project_write(store, viewer=viewer, project=found)
    # `latest` names the newest link by itself: Artifact.save() on a link sends it among the
    # aliases it drops or keeps, and it is left as it is (as linkArtifact does)
    checked = [check_alias(alias) for alias in dict.fromkeys(aliases) if alias != LATEST]
    if not checked:
        return
    store.change_link_aliases(collection.id, artifact_id, checked, add=add)


def update_collection(store: MetadataStore, *, viewer: User, collection_id: int, kind: str,
                      name: str | None, description: str | None) -> ArtifactSequence:
    found = writable_collection(store, viewer=viewer, collection_id=collection_id)
    if found.kind != kind:
        raise InvalidInput(f"{found.name!r} is a {found.kind}, not a {kind}")
    if name is not None:
        check_artifact_name("name", name)
    if name == found.name:
        name = None
    return store.update_collection(found.id, name=name, description=description)


def change_collection_tags(store: MetadataStore, *, viewer: User, entity: str, project: str,
                           collection: str, tags: list[str], add: bool) -> ArtifactSequence:
    check_project_writable(store, viewer=viewer, entity=entity, project=project)
    found_project = readable_project(store, viewer=viewer, entity=entity, project=project)
    found = None if found_project is None else store.find_sequence(found_project.id, collection)
    if found is None:
        raise NotFound(f"artifact collection {entity}/{project}/{collection} not found")
    names = tuple(dict.fromkeys(check_tag(tag) if add else tag for tag in tags))
    return store.change_collection_tags(found.id, add=names if add else (),
                                        remove=() if add else names)


def move_collection(store: MetadataStore, *, viewer: User, collection_id: int,
                    type_name: str) -> ArtifactSequence:
    found = writable_collection(store, viewer=viewer, collection_id=collection_id)
    if found.kind != SEQUENCE:
        raise InvalidInput(f"{found.name!r} is a portfolio: only a collection of logged "
                           f"versions changes type")
    return store.move_collection(found.id, check_artifact_name("type", type_name))


def delete_collection(store: MetadataStore, *, viewer: User, collection_id: int,
                      kind: str) -> ArtifactSequence:
    found = writable_collection(store, viewer=viewer, collection_id=collection_id)
    if found.kind != kind:
        raise InvalidInput(f"{found.name!r} is a {found.kind}, not a {kind}")
    return store.delete_collection(found.id)


def readable_collection(store: MetadataStore, *, viewer: User,
                        collection_id: int) -> ArtifactSequence | None:
    found = store.get_sequence(collection_id)
    if found is None or found.deleted or readable_project(
            store, viewer=viewer, entity=found.entity_name,
            project=found.project_name) is None:
        return None
    return found


def readable_links(store: MetadataStore, *, viewer: User | None,
                   artifact_id: int) -> list[ArtifactLink]:
    """The links of a version into portfolios of projects the viewer may read (a link
    elsewhere names a collection and project the viewer may not know of)."""
    shown: list[ArtifactLink] = []
    allowed: dict[int, bool] = {}
    for link in store.links_of([artifact_id]):
        if link.portfolio_id not in allowed:
            portfolio = store.get_sequence(link.portfolio_id)
            allowed[link.portfolio_id] = portfolio is not None and readable_project(
                store, viewer=viewer, entity=portfolio.entity_name,
                project=portfolio.project_name) is not None
        if allowed[link.portfolio_id]:
            shown.append(link)
    return shown
