"""Garbage collection of artifact content that no committed version references.

Content is collected when no committed version lists it, no pending version younger than the
grace period lists it, and it was neither uploaded nor offered for reuse within the grace
period. The rows go first (in one transaction that re-checks those rules), then the bytes.
Manifests of deleted versions go too, with the staged uploads of a version deleted before
its commit. Off unless an operator turns it on or runs the CLI.

Versions whose TTL has passed (`artifact.ttl`, counted from their creation) are deleted
first, aliases and all, as W&B does; the worker also runs `expire_versions` on its own every
minute, collector on or off (a TTL is the user's request to delete; the bytes are freed only
by a collection).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from wbserver.domain.artifact_models import Artifact, GcCandidate, GcReport
from wbserver.domain.artifact_storage import (
    content_key,
    manifest_key,
    manifest_upload_key,
    staging_key,
)
from wbserver.domain.clock import utcnow
from wbserver.ports import BlobStore, MetadataStore

MAX_STAGED = 100_000  # files of one version looked at for staged uploads


def collect_garbage(store: MetadataStore, blobs: BlobStore, *, grace_seconds: float,
                    dry_run: bool, now: datetime | None = None) -> GcReport:
    now = now or utcnow()
    expired = expire_versions(store, now=now, dry_run=dry_run)
    cutoff = now - timedelta(seconds=grace_seconds)
    candidates = [GcCandidate(md5=md5, size=size)
                  for md5, size in store.unreferenced_blobs(cutoff)]
    manifests = store.deleted_manifests()
    report = GcReport(blobs=candidates, manifests=[manifest_key(i) for i in manifests],
                      expired=expired, dry_run=dry_run)
    if dry_run:
        return report
    gone = set(store.forget_blobs([c.md5 for c in candidates], cutoff))
    layout = store.artifact_layout()
    for md5 in sorted(gone):
        blobs.delete(content_key(md5, layout))
    for artifact_id in manifests:
        blobs.delete(manifest_key(artifact_id))
        _drop_pending_uploads(store, blobs, artifact_id)
        store.forget_manifest(artifact_id)
    report.blobs = [c for c in candidates if c.md5 in gone]
    return report


def expire_versions(store: MetadataStore, *, now: datetime | None = None,
                    dry_run: bool = False) -> list[str]:
    """Delete the committed versions whose TTL has passed; their names."""
    now = now or utcnow()
    due = [a for a in store.versions_with_ttl() if _expired(a, now)]
    if not dry_run:
        for artifact in due:
            store.delete_artifact(artifact.id, delete_aliases=True)
    return [f"{a.entity_name}/{a.project_name}/{a.sequence_name}:v{a.version_index}"
            for a in due]


def _expired(artifact: Artifact, now: datetime) -> bool:
    ttl = artifact.ttl_duration_seconds
    return ttl is not None and ttl > 0 and artifact.created_at + timedelta(seconds=ttl) <= now


def _drop_pending_uploads(store: MetadataStore, blobs: BlobStore, artifact_id: int) -> None:
    """What a version deleted before its commit may have left: its manifest upload and
    staged content (a commit removes both)."""
    found = store.get_artifact(artifact_id)
    if found is None or found.version_index is not None:
        return
    blobs.delete(manifest_upload_key(artifact_id))
    files, _more, _total = store.list_artifact_files(artifact_id, names=None, after=None,
                                                     first=MAX_STAGED)
    for md5 in sorted({f.md5 for f in files if f.md5}):
        blobs.delete(staging_key(artifact_id, md5))


def describe(report: GcReport) -> str:
    """The report the CLI prints."""
    verb = "would free" if report.dry_run else "freed"
    lines = [f"{verb} {len(report.blobs)} stored file(s), {report.bytes} bytes, and "
             f"{len(report.manifests)} manifest(s) of deleted versions"]
    if report.expired:
        lines.append(f"{'would delete' if report.dry_run else 'deleted'} "
                     f"{len(report.expired)} version(s) past their TTL")
        lines += [f"  {name}" for name in report.expired]
    lines += [f"  {c.md5}\t{c.size}" for c in report.blobs]
    lines += [f"  {key}" for key in report.manifests]
    return "\n".join(lines)
