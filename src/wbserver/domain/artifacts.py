"""Artifacts: create a version, plan its uploads, take its manifest, commit, use, delete.

The flow the client drives (docs/architecture.md, "Artifacts"): CreateArtifact (PENDING, or an
existing COMMITTED version with the same digest) -> CreateArtifactManifest -> CreateArtifactFiles
(upload URLs only for content not stored yet) -> PUTs -> manifest PUT -> CommitArtifact.

Every write checks write access to the version's project; a committed version is immutable
(its manifest and files can no longer be changed: log a new version instead). Content
deduplication follows domain/artifact_content.py: it never hands over bytes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from wbserver.domain.artifact_content import check_contents, guard_plans
from wbserver.domain.artifact_models import (
    COMMITTED,
    DELETED,
    FULL,
    INCREMENTAL,
    LATEST,
    PATCH,
    PENDING,
    TTL_DISABLED,
    TTL_INHERIT,
    Artifact,
    FilePlan,
    FileSpec,
    NewArtifact,
)
from wbserver.domain.artifact_storage import (
    content_key,
    content_landed,
    content_md5,
    hashed,
    manifest_key,
    manifest_patch_key,
    manifest_upload_key,
    md5_b64,
    md5_hex,
    part_numbers,
    staged_content,
)
from wbserver.domain.files import check_file_name
from wbserver.domain.manifests import (
    manifest_digest,
    manifest_layers,
    merge_manifests,
    parse_manifest,
)
from wbserver.domain.models import Project, RunKey, User
from wbserver.domain.names import check_name
from wbserver.domain.permissions import (
    check_project_writable,
    check_project_write,
    readable_project,
)
from wbserver.errors import InvalidInput, NotFound
from wbserver.ports import BlobStore, MetadataStore, MultipartUpload, SupportsMultipart

_ARTIFACT_NAME = re.compile(r"^[-\w]+([ ]*[-.\w]+)*$")
_VERSION_ALIAS = re.compile(r"^v\d+$")
MAX_ALIAS = 128
MAX_TAG = 128
MAX_TTL = 100 * 366 * 86400  # a century
_TAG = re.compile(r"^[-\w]+( +[-\w]+)*$")


@dataclass(frozen=True)
class CreateRequest:
    entity: str
    project: str
    type_name: str
    sequence_name: str
    digest: str
    digest_algorithm: str | None = None
    description: str | None = None
    metadata: str | None = None
    aliases: tuple[str, ...] = ()
    client_id: str | None = None
    sequence_client_id: str | None = None
    run_name: str | None = None
    history_step: int | None = None
    dedupe: bool = True
    storage_region: str | None = None
    storage_regions: tuple[str, ...] = ()  # the regions the operator names (all one bucket)
    tags: tuple[str, ...] = ()
    distributed_id: str | None = None
    ttl_duration_seconds: int | None = None  # as the client sends it (TTL_INHERIT, ...)


def check_ttl(seconds: int) -> int | None:
    """What a version keeps for the client's ttlDurationSeconds: None to inherit (-1),
    TTL_DISABLED (-2), or a positive number of seconds."""
    if seconds == TTL_INHERIT:
        return None
    if seconds == TTL_DISABLED or 0 < seconds <= MAX_TTL:
        return seconds
    raise InvalidInput(f"invalid ttlDurationSeconds {seconds}: a positive number of seconds "
                       f"(at most {MAX_TTL}), -1 to inherit or -2 for none")


def check_artifact_name(kind: str, value: str) -> str:
    if not value or len(value) > 128 or not _ARTIFACT_NAME.match(value):
        raise InvalidInput(f"invalid artifact {kind} {value!r}: letters, digits, '-', '_' and "
                           f"'.', at most 128 characters")
    return value


def check_alias(alias: str) -> str:
    if not alias or len(alias) > MAX_ALIAS or any(c in alias for c in "/:"):
        raise InvalidInput(f"invalid alias {alias!r}: 1-{MAX_ALIAS} characters, no '/' or ':'")
    if _VERSION_ALIAS.match(alias):
        raise InvalidInput(f"alias {alias!r} is reserved: vN names version N")
    return alias


def check_tag(tag: str) -> str:
    if not tag or len(tag) > MAX_TAG or not _TAG.match(tag):
        raise InvalidInput(f"invalid tag {tag[:MAX_TAG]!r}: 1-{MAX_TAG} letters, digits, '-', "
                           f"'_' and single inner spaces")
    return tag


def create_artifact(store: MetadataStore, *, viewer: User,
                    request: CreateRequest) -> tuple[Artifact, Artifact | None]:
    """The new PENDING version (or the committed one it duplicates) and the sequence's latest
    committed version before this call (the client's base for incremental manifests)."""
    entity = check_project_writable(store, viewer=viewer, entity=request.entity or viewer.username,
                                    project=request.project)
    if not request.digest or len(request.digest) > 128:
        raise InvalidInput("digest must be 1-128 characters")
    if request.distributed_id is not None and not 0 < len(request.distributed_id) <= 128:
        raise InvalidInput("distributedID must be 1-128 characters")
    if request.storage_region and request.storage_region not in request.storage_regions:
        offered = (f"the regions it offers are {', '.join(request.storage_regions)}"
                   if request.storage_regions else "it keeps artifacts in its own bucket")
        raise InvalidInput(f"storage region {request.storage_region[:64]!r} is not available on "
                           f"this server: {offered}; leave storage_region unset or name one "
                           f"of those")
    if request.metadata is not None:
        try:
            parsed = json.loads(request.metadata)
        except ValueError:
            raise InvalidInput("metadata is not valid JSON") from None
        if parsed is not None and not isinstance(parsed, dict):
            raise InvalidInput("metadata must be a JSON object")
    spec = NewArtifact(
        entity_id=entity.id, project=check_name("project", request.project),
        type_name=check_artifact_name("type", request.type_name),
        sequence_name=check_artifact_name("name", request.sequence_name),
        digest=request.digest, digest_algorithm=request.digest_algorithm,
        description=request.description, metadata=request.metadata,
        aliases=tuple(check_alias(a) for a in dict.fromkeys(request.aliases)),
        client_id=request.client_id, sequence_client_id=request.sequence_client_id,
        run_name=request.run_name, history_step=request.history_step,
        dedupe=request.dedupe, user_id=viewer.id,
        tags=tuple(check_tag(tag) for tag in dict.fromkeys(request.tags)),
        distributed_id=request.distributed_id or None,
        ttl_duration_seconds=None if request.ttl_duration_seconds is None
        else check_ttl(request.ttl_duration_seconds))
    artifact, latest, _created = store.create_artifact(spec)
    if (artifact.entity_name, artifact.project_name) != (entity.name, spec.project):
        raise InvalidInput(f"clientID {request.client_id!r} is used by another artifact")
    return artifact, latest


def _artifact_and_project(store: MetadataStore, *, viewer: User,
                          artifact_id: int) -> tuple[Artifact, Project]:
    """The version and its project, if the viewer reads it; NotFound otherwise (an id
    guessed for a project the viewer cannot see says no more than an unknown one)."""
    artifact = store.get_artifact(artifact_id)
    project = None if artifact is None else readable_project(
        store, viewer=viewer, entity=artifact.entity_name, project=artifact.project_name)
    if artifact is None or project is None:
        raise NotFound("artifact not found")
    return artifact, project


def readable_artifact(store: MetadataStore, *, viewer: User, artifact_id: int) -> Artifact:
    return _artifact_and_project(store, viewer=viewer, artifact_id=artifact_id)[0]


def writable_artifact(store: MetadataStore, *, viewer: User, artifact_id: int) -> Artifact:
    artifact, project = _artifact_and_project(store, viewer=viewer, artifact_id=artifact_id)
    check_project_write(store, viewer=viewer, project=project)
    return artifact


def readable_versions(store: MetadataStore, *, viewer: User | None,
                      found: list[Artifact]) -> list[Artifact]:
    """The versions in projects the viewer reads, in order (a run may use another
    project's versions, which its readers need not see)."""
    allowed: dict[int, bool] = {}
    for a in found:
        if a.project_id not in allowed:
            allowed[a.project_id] = readable_project(
                store, viewer=viewer, entity=a.entity_name, project=a.project_name) is not None
    return [a for a in found if allowed[a.project_id]]


def pending_artifact(store: MetadataStore, *, viewer: User, artifact_id: int) -> Artifact:
    """A version the viewer may write that is still being logged (not committed)."""
    artifact = writable_artifact(store, viewer=viewer, artifact_id=artifact_id)
    if artifact.state == COMMITTED:
        raise InvalidInput(f"artifact {artifact.sequence_name}:v{artifact.version_index} is "
                           f"committed and committed versions are immutable: log a new "
                           f"version instead")
    if artifact.state != PENDING:
        raise InvalidInput(f"this artifact version is {artifact.state.lower()}")
    return artifact


def plan_files(store: MetadataStore, *, viewer: User,
               files: list[tuple[int, FileSpec]]) -> list[FilePlan]:
    """CreateArtifactFiles: one plan per entry, in order. `files` holds (artifact id, spec)
    with the MD5 still in the client's base64."""
    by_artifact: dict[int, list[FileSpec]] = {}
    for artifact_id, spec in files:
        check_file_name(spec.name)
        by_artifact.setdefault(artifact_id, []).append(
            FileSpec(name=spec.name, md5=md5_hex(spec.md5), mimetype=spec.mimetype))
    plans: dict[tuple[int, str], FilePlan] = {}
    for artifact_id, specs in by_artifact.items():
        artifact = pending_artifact(store, viewer=viewer, artifact_id=artifact_id)
        for plan in guard_plans(store, viewer=viewer, artifact=artifact,
                                plans=store.plan_artifact_files(artifact_id, specs)):
            plans[(artifact_id, plan.name)] = plan
    return [plans[(artifact_id, spec.name)] for artifact_id, spec in files]


def start_multipart(blobs: BlobStore, *, key: str, parts: list[int],
                    expires_in: int) -> MultipartUpload | None:
    """Part upload URLs for content planned for upload (CreateArtifactFiles with
    uploadPartsInput); None when the store takes the file in one PUT of any size."""
    if not isinstance(blobs, SupportsMultipart):
        return None
    return blobs.start_multipart(key, parts=part_numbers(parts), expires_in=expires_in)


def complete_multipart(store: MetadataStore, blobs: BlobStore, *, viewer: User,
                       artifact_id: int, key: str, upload_id: str, parts: list[int]) -> str:
    """CompleteMultipartUploadArtifact: have the store assemble the parts, then check the
    object against the MD5 its key names by reading it through once (a multipart object's
    ETag is no MD5, and the part MD5s the client declared say nothing about the whole). A
    mismatch is removed and refused. Returns the content's base64 MD5. A staged upload (the
    version's own staging key) is checked the same way and left for its commit."""
    pending_artifact(store, viewer=viewer, artifact_id=artifact_id)
    staged = staged_content(key)
    md5 = content_md5(key, store.artifact_layout()) if staged is None else staged[1]
    if md5 is None or (staged is not None and staged[0] != artifact_id):
        raise InvalidInput(f"{key!r} is not a content path of this artifact")
    numbers = part_numbers(parts)
    if staged is None and md5 in store.stored_blobs([md5]):
        return md5_b64(md5)  # a retry, or the same content completed by another upload
    if staged is not None and (done := blobs.stat(key)) is not None and done.md5_hex == md5:
        return md5_b64(md5)  # a retry
    if not isinstance(blobs, SupportsMultipart):
        raise InvalidInput("this server's store takes no multipart uploads")
    blobs.complete_multipart(key, upload_id=upload_id, parts=numbers)
    info = hashed(blobs, key)
    if info is None:
        raise InvalidInput(f"the completed upload of {key} is not in the store")
    if staged is None:
        content_landed(store, blobs, key=key, info=info, where=blobs.name)
    elif info.md5_hex != md5:
        blobs.delete(key)
        raise InvalidInput(f"the uploaded bytes have MD5 {info.md5_hex}, not {md5}")
    return md5_b64(md5)


def manifest_upload(store: MetadataStore, blobs: BlobStore, *, viewer: User, artifact_id: int,
                    digest: str | None, base_url: str, expires_in: int,
                    manifest_type: str | None = None, base_id: int | None = None,
                    ) -> tuple[Artifact, str, list[str]]:
    """Where to PUT a pending version's manifest (a retry gets a fresh URL). The upload key
    is read on commit only: no URL ever writes a committed manifest. createArtifactManifest
    gives `manifest_type` (and for INCREMENTAL the base version); updateArtifactManifest
    does not, and for a PATCH version hands out the next patch's own key."""
    artifact = pending_artifact(store, viewer=viewer, artifact_id=artifact_id)
    if manifest_type is not None:
        base = _manifest_base(store, viewer=viewer, artifact=artifact,
                              manifest_type=manifest_type, base_id=base_id)
        artifact = store.set_artifact_manifest(artifact_id, digest or None,
                                               manifest_type=manifest_type,
                                               base_artifact_id=base)
        key = manifest_upload_key(artifact_id)
    elif artifact.manifest_type == PATCH:
        artifact = store.set_artifact_manifest(artifact_id, digest or None, new_patch=True)
        key = manifest_patch_key(artifact_id, artifact.manifest_patches)
    else:
        artifact = store.set_artifact_manifest(artifact_id, digest or None)
        key = manifest_upload_key(artifact_id)
    url, headers = blobs.upload_url(key, base_url=base_url, expires_in=expires_in)
    store.set_manifest_store(artifact_id, blobs.name)
    return artifact, url, headers


def _manifest_base(store: MetadataStore, *, viewer: User, artifact: Artifact,
                   manifest_type: str, base_id: int | None) -> int | None:
    """The version an INCREMENTAL manifest extends: a committed version of the same
    collection. A FULL manifest needs none, and a PATCH builds the version from its own
    patches (the client sends the collection's latest version as base with both)."""
    if artifact.manifest_type not in (None, manifest_type):
        raise InvalidInput(f"this version's manifest is {artifact.manifest_type}, not "
                           f"{manifest_type}")
    if manifest_type == FULL and artifact.distributed_id:
        raise InvalidInput("a distributed artifact version is built from PATCH manifests")
    if manifest_type != INCREMENTAL or base_id is None:
        return None
    base = readable_artifact(store, viewer=viewer, artifact_id=base_id)
    if base.sequence_id != artifact.sequence_id or base.state != COMMITTED:
        raise InvalidInput("baseArtifactID must name a committed version of the same artifact")
    return base.id


def commit_artifact(store: MetadataStore, blobs: BlobStore, *, viewer: User,
                    artifact_id: int) -> Artifact:
    """Read the uploaded manifest (merged with its base's or from its patches), check every
    stored file's content arrived (and that the uploader may have it), keep the manifest
    where only the server writes, commit."""
    artifact = writable_artifact(store, viewer=viewer, artifact_id=artifact_id)
    if artifact.state == COMMITTED:
        return artifact
    if artifact.state == DELETED:
        raise InvalidInput("this artifact version was deleted")
    layers, uploaded = manifest_layers(blobs, artifact)
    merged = artifact.manifest_type in (INCREMENTAL, PATCH)
    data = merge_manifests(layers) if merged else layers[0]
    entries = parse_manifest(data)
    staged = check_contents(store, blobs, viewer=viewer, artifact=artifact, entries=entries)
    if uploaded:  # a retried commit finds the manifest where readers will
        blobs.write(manifest_key(artifact_id), [data])
        for key in uploaded:
            blobs.delete(key)
        store.set_manifest_store(artifact_id, blobs.name)
    committed = store.commit_artifact(artifact_id, entries, digest=manifest_digest(data) if (
        merged and artifact.digest_algorithm in (None, "MANIFEST_MD5")) else None)
    for key in staged:
        blobs.delete(key)
    return committed


def use_artifact(store: MetadataStore, *, viewer: User, artifact_id: int, run: RunKey,
                 used_as: str | None) -> Artifact:
    artifact = readable_artifact(store, viewer=viewer, artifact_id=artifact_id)
    check_project_writable(store, viewer=viewer, entity=run.entity, project=run.project)
    found = store.get_run(run)
    if found is None:
        raise NotFound(f"run {run.entity}/{run.project}/{run.name} not found")
    store.record_artifact_use(artifact.id, found.id, used_as)
    return artifact


def delete_artifact(store: MetadataStore, *, viewer: User, artifact_id: int,
                    delete_aliases: bool) -> Artifact:
    writable_artifact(store, viewer=viewer, artifact_id=artifact_id)
    return store.delete_artifact(artifact_id, delete_aliases=delete_aliases)


def split_name(name: str) -> tuple[str, str]:
    """'coll:alias' -> (coll, alias); no alias means latest."""
    sequence, sep, alias = name.partition(":")
    if not sequence:
        raise InvalidInput(f"invalid artifact name {name!r}")
    return sequence, (alias if sep and alias else LATEST)


def artifact_by_name(store: MetadataStore, *, project: Project, name: str) -> Artifact | None:
    sequence, alias = split_name(name)
    return store.find_artifact(project.id, sequence, alias)


def readable_content_key(store: MetadataStore, *, viewer: User, entity: str, project: str,
                         md5: str) -> str:
    """The storage key of content a committed version of entity/project holds (the
    /artifactsV2 fallback download), or NotFound."""
    found = readable_project(store, viewer=viewer, entity=entity, project=project)
    if found is None or not re.fullmatch(r"[0-9a-f]{32}", md5):
        raise NotFound("artifact file not found")
    if store.find_artifact_file(found.id, md5) is None:
        raise NotFound("artifact file not found")
    return content_key(md5, store.artifact_layout())
