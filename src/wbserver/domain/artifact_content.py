"""Content deduplication that never hands over bytes the uploader could not read before.

Artifact content is stored once per MD5, but knowing an MD5 is no right to its bytes. An
upload is skipped only for content the uploader may read already: content that a committed
version (or one deleted after its commit) of the target project, or of another project the
uploader reads, holds. Any other
content is uploaded: to its content key when the server does not hold it yet, or, when it
does, to the version's staging key, whose bytes are checked and dropped on commit (storage
stays deduplicated). Commit applies the same rule to every file the manifest names.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from wbserver.domain.artifact_models import Artifact, FilePlan, ManifestEntry
from wbserver.domain.artifact_storage import content_key, hashed, staging_key
from wbserver.domain.models import User
from wbserver.domain.permissions import READ, project_access
from wbserver.errors import InvalidInput
from wbserver.ports import BlobStore, MetadataStore


def readable_content(store: MetadataStore, *, viewer: User, project_id: int,
                     md5s: set[str]) -> set[str]:
    """The md5s that committed versions in projects the viewer reads hold (`project_id`,
    the version's own project, is one the viewer writes)."""
    if not md5s:
        return set()
    readable = store.content_in_project(project_id, md5s)  # the common case, cheaply
    access: dict[int, bool] = {}
    for md5, projects in store.content_projects(md5s - readable).items():
        for holder in sorted(projects):
            if holder not in access:
                project = store.get_project_by_id(holder)
                access[holder] = project is not None and \
                    project_access(store, viewer, project) >= READ
            if access[holder]:
                readable.add(md5)
                break
    return readable


def guard_plans(store: MetadataStore, *, viewer: User, artifact: Artifact,
                plans: list[FilePlan]) -> list[FilePlan]:
    """The store's plans, with content the viewer may not read turned into staged uploads."""
    deduped = {p.md5 for p in plans if not p.needs_upload and not p.landed}
    allowed = readable_content(store, viewer=viewer, project_id=artifact.project_id,
                               md5s=deduped)
    return [p if p.needs_upload or p.landed or p.md5 in allowed
            else replace(p, needs_upload=True, staged=True, birth_artifact_id=artifact.id)
            for p in plans]


def upload_key(artifact_id: int, plan: FilePlan, layout: str) -> str:
    return staging_key(artifact_id, plan.md5) if plan.staged else content_key(plan.md5, layout)


def check_contents(store: MetadataStore, blobs: BlobStore, *, viewer: User,
                   artifact: Artifact, entries: list[ManifestEntry]) -> list[str]:
    """Every stored file of the manifest is content the viewer read already, content first
    stored after the version announced it (the upload its content key URL was handed out
    for), or content it uploaded to the staging key (checked here). Returns the staging keys
    to remove once committed; refuses what is missing."""
    missing = {e.md5 for e in entries if e.md5}
    missing -= readable_content(store, viewer=viewer, project_id=artifact.project_id,
                                md5s=missing)
    for md5 in sorted(missing - store.stored_blobs(missing)):
        info = blobs.stat(content_key(md5, store.artifact_layout()))  # bytes whose bucket event has not arrived yet
        if info is not None and info.md5_hex == md5:
            store.record_blob(md5, info.size, uploaded=False, store=blobs.name)
    fresh = store.stored_since_planned(artifact.id, missing)
    missing -= fresh
    # a second file of the same content, announced after the first one's upload landed, was
    # staged: that copy goes too (deleting a key that is not there is harmless)
    counts = Counter(e.md5 for e in entries if e.md5)
    staged = [staging_key(artifact.id, md5) for md5 in sorted(fresh) if counts[md5] > 1]
    for md5 in sorted(missing):
        if _take_staged(store, blobs, artifact_id=artifact.id, md5=md5):
            staged.append(staging_key(artifact.id, md5))
            missing.discard(md5)
    if missing:
        names = sorted(e.name for e in entries if e.md5 in missing)
        raise InvalidInput(f"{len(names)} file(s) of the artifact were not uploaded: "
                           f"{', '.join(names[:5])}")
    return staged


def _take_staged(store: MetadataStore, blobs: BlobStore, *, artifact_id: int,
                 md5: str) -> bool:
    """Whether the version's staging key holds the bytes of `md5`; they are stored under
    their content key if the server no longer holds them there."""
    key = staging_key(artifact_id, md5)
    info = blobs.stat(key)
    if info is not None and info.md5_hex != md5:
        info = hashed(blobs, key)  # an ETag is not always an MD5
    if info is None:
        return False
    if info.md5_hex != md5:
        blobs.delete(key)
        return False
    if md5 in store.stored_blobs([md5]):
        store.record_blob(md5, info.size)  # counted: an upload of it arrived
    else:
        landed = blobs.write(content_key(md5, store.artifact_layout()), blobs.open_read(key))
        store.record_blob(md5, landed.size, store=blobs.name)
    return True
