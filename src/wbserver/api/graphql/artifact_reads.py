"""Artifact queries and types: versions, memberships, sequences, aliases, lineage."""

from __future__ import annotations

import base64
from typing import Any

from wbserver.api.graphql.artifact_files import manifest_node, membership_files
from wbserver.api.graphql.artifact_links import collection_gid
from wbserver.api.graphql.ids import cursor, decode_id, encode_id, page_start
from wbserver.api.graphql.resolve_info import GraphQLResolveInfo
from wbserver.api.graphql.schema import Resolver, renames
from wbserver.domain import artifact_links as links, artifacts as domain
from wbserver.domain.artifact_models import (
    COMMITTED,
    LATEST,
    PORTFOLIO,
    TTL_INHERIT,
    Artifact,
    ArtifactAlias,
    ArtifactLink,
    ArtifactSequence,
)
from wbserver.domain.models import Project, Run
from wbserver.domain.permissions import readable_project
from wbserver.errors import NotFound

MAX_PAGE = 1000


def artifact(_root: Any, info: GraphQLResolveInfo, id: str) -> Artifact | None:  # noqa: A002
    ctx = info.context
    try:
        return domain.readable_artifact(ctx.store, viewer=ctx.viewer,
                                        artifact_id=decode_id("Artifact", id))
    except NotFound:
        return None


def client_id_mapping(_root: Any, info: GraphQLResolveInfo, clientID: str) -> dict[str, Any] | None:  # noqa: N803
    ctx = info.context
    found = ctx.store.get_artifact_by_client_id(clientID)
    if found is None or readable_project(ctx.store, viewer=ctx.viewer, entity=found.entity_name,
                                         project=found.project_name) is None:
        return None
    return {"serverID": encode_id("Artifact", found.id)}


def project_artifact(project: Project, info: GraphQLResolveInfo, name: str) -> Artifact | None:
    found = links.membership_by_name(info.context.store, project=project, name=name)
    return found.artifact if isinstance(found, ArtifactLink) else found


def project_membership(project: Project, info: GraphQLResolveInfo,
                       name: str) -> links.Membership | None:
    return links.membership_by_name(info.context.store, project=project, name=name)


def project_collection(project: Project, info: GraphQLResolveInfo,
                       name: str) -> ArtifactSequence | None:
    return info.context.store.find_sequence(project.id, name)


def _sequence(info: GraphQLResolveInfo, sequence_id: int) -> ArtifactSequence:
    found = info.context.store.get_sequence(sequence_id)
    assert found is not None
    return found


AliasOwner = Artifact | ArtifactLink


def _aliases(a: Artifact, info: GraphQLResolveInfo) -> list[tuple[ArtifactAlias, AliasOwner]]:
    """The version's aliases in its own sequence and in each portfolio it is linked into
    (the client keeps those of the collection it reads the version from)."""
    own: list[tuple[ArtifactAlias, AliasOwner]] = [(alias, a) for alias in a.aliases]
    ctx = info.context
    return own + [(alias, link) for link in links.readable_links(
        ctx.store, viewer=ctx.viewer, artifact_id=a.id) for alias in link.aliases]


def _member_aliases(m: AliasOwner, _info: GraphQLResolveInfo) -> list[tuple[ArtifactAlias,
                                                                           AliasOwner]]:
    return [(alias, m) for alias in m.aliases]


def _collection_of(m: AliasOwner | ArtifactSequence,
                   info: GraphQLResolveInfo) -> ArtifactSequence:
    if isinstance(m, ArtifactSequence):  # an alias listed by its collection
        return m
    return _sequence(info, m.portfolio_id if isinstance(m, ArtifactLink) else m.sequence_id)


def _alias_id(pair: tuple[ArtifactAlias, AliasOwner | ArtifactSequence],
              _info: GraphQLResolveInfo) -> str:
    owner = pair[1]
    in_portfolio = isinstance(owner, ArtifactLink) or (
        isinstance(owner, ArtifactSequence) and owner.kind == PORTFOLIO)
    return encode_id("ArtifactLinkAlias" if in_portfolio else "ArtifactAlias", pair[0].id)


def _member_id(m: AliasOwner, _info: GraphQLResolveInfo) -> str:
    if isinstance(m, ArtifactLink):
        return encode_id("ArtifactLink", m.id)
    return encode_id("ArtifactCollectionMembership", m.id)


def _created_by(a: Artifact, info: GraphQLResolveInfo) -> Run | None:
    if a.created_by_run_id is None:
        return None
    return info.context.store.get_run_by_id(a.created_by_run_id)


def _readable_runs(info: GraphQLResolveInfo, runs: list[Run]) -> list[Run]:
    ctx = info.context
    allowed: dict[tuple[str, str], bool] = {}
    for run in runs:
        key = (run.entity_name, run.project_name)
        if key not in allowed:
            allowed[key] = readable_project(ctx.store, viewer=ctx.viewer, entity=key[0],
                                            project=key[1]) is not None
    return [r for r in runs if allowed[(r.entity_name, r.project_name)]]


def _used_by(a: Artifact, info: GraphQLResolveInfo, after: str | None = None,
             first: int | None = None) -> dict[str, Any]:
    runs = _readable_runs(info, info.context.store.artifact_users(a.id))
    start = page_start(after)
    size = max(1, min(first or 100, MAX_PAGE))
    edges = [{"node": r, "cursor": str(start + i)} for i, r in enumerate(runs[start:start + size])]
    return {"edges": edges, "totalCount": len(runs),
            "pageInfo": {"startCursor": edges[0]["cursor"] if edges else None,
                         "endCursor": edges[-1]["cursor"] if edges else None,
                         "hasNextPage": start + size < len(runs), "hasPreviousPage": start > 0}}


def _run_artifacts(output: bool) -> Resolver:
    def resolve(run: Run, info: GraphQLResolveInfo, after: str | None = None,
                first: int | None = None) -> dict[str, Any]:
        found, has_next, total = info.context.store.run_artifacts(
            run.id, output=output, after=cursor(after),
            first=max(1, min(first or 100, MAX_PAGE)))
        shown = domain.readable_versions(info.context.store, viewer=info.context.viewer,
                                         found=found)
        edges = [{"node": a, "cursor": str(a.id)} for a in shown]
        return {"edges": edges, "totalCount": total - (len(found) - len(shown)),
                "pageInfo": {"endCursor": str(found[-1].id) if found else None,
                             "hasNextPage": has_next, "hasPreviousPage": False}}
    return resolve


def _manifest(a: Artifact, info: GraphQLResolveInfo) -> dict[str, Any] | None:
    if a.state != COMMITTED and not a.manifest_digest:
        return None
    return manifest_node(info, a)


def _type(a: Artifact | ArtifactSequence, _info: GraphQLResolveInfo) -> dict[str, Any]:
    sequence_id = a.sequence_id if isinstance(a, Artifact) else a.id
    return {"id": encode_id("ArtifactType", sequence_id), "name": a.type_name,
            "description": None, "createdAt": None}


def _membership(s: ArtifactSequence, info: GraphQLResolveInfo,
                aliasName: str) -> links.Membership | None:  # noqa: N803
    return links.membership_in(info.context.store, s, aliasName)


def _tag_id(artifact_id: int, name: str) -> str:
    return base64.b64encode(f"Tag:{artifact_id}:{name}".encode()).decode()


_ARTIFACT_COMMON = renames({"versionIndex": "version_index", "createdAt": "created_at"})
_COLLECTION_COMMON: dict[str, Resolver] = {
    **renames({"createdAt": "created_at", "updatedAt": "updated_at"}),
    "id": lambda s, _i: collection_gid(s),
    "project": lambda s, info: info.context.store.get_project_by_id(s.project_id),
    "defaultArtifactType": _type,
    "artifactMembership": _membership,
}

RESOLVERS: dict[str, dict[str, Resolver]] = {
    "Query": {"artifact": artifact, "clientIDMapping": client_id_mapping},
    "Project": {"artifact": project_artifact, "artifactCollection": project_collection,
                "artifactCollectionMembership": project_membership},
    "Run": {"outputArtifacts": _run_artifacts(True), "inputArtifacts": _run_artifacts(False)},
    "ArtifactCollection": {"__resolve_type": lambda s, _i, _t: "ArtifactPortfolio"
                           if s.kind == PORTFOLIO else "ArtifactSequence"},
    "ArtifactCreator": {"__resolve_type": lambda v, _i, _t: "Run" if isinstance(v, Run) else "User"},
    "Artifact": {
        **_ARTIFACT_COMMON,
        **renames({"digestAlgorithm": "digest_algorithm", "fileCount": "file_count",
                   "updatedAt": "updated_at", "historyStep": "history_step"}),
        "id": lambda a, _i: encode_id("Artifact", a.id),
        "commitHash": lambda a, _i: a.digest[:20] if a.state == COMMITTED else None,
        "ttlDurationSeconds": lambda a, _i: TTL_INHERIT if a.ttl_duration_seconds is None
        else a.ttl_duration_seconds,
        "ttlIsInherited": lambda a, _i: a.ttl_duration_seconds is None,
        "tags": lambda a, _i: [{"id": _tag_id(a.id, name), "name": name} for name in a.tags],
        "aliases": _aliases,
        "artifactType": _type,
        "artifactSequence": lambda a, info: _sequence(info, a.sequence_id),
        "currentManifest": _manifest,
        "createdBy": _created_by,
        "usedBy": _used_by,
    },
    "ArtifactCollectionMembership": {
        **_ARTIFACT_COMMON,
        "id": _member_id,
        "aliases": _member_aliases,
        "artifactCollection": _collection_of,
        "artifact": lambda m, _i: m.artifact if isinstance(m, ArtifactLink) else m,
        "files": lambda m, info, **kw: membership_files(
            m.artifact if isinstance(m, ArtifactLink) else m, info, **kw),
    },
    "ArtifactAlias": {
        "id": _alias_id,
        "alias": lambda pair, _i: pair[0].alias,
        "artifactCollection": lambda pair, info: _collection_of(pair[1], info),
    },
    "ArtifactSequence": _COLLECTION_COMMON | {
        "latestArtifact": lambda s, info: info.context.store.find_artifact(
            s.project_id, s.name, LATEST),
    },
    "ArtifactPortfolio": _COLLECTION_COMMON,
}
