"""What an object-created event (or a look at the bucket) means for the metadata.

Handling is idempotent: an event for a key nobody asked for, or a second delivery of the
same event, changes nothing. A run file is recorded only if its row exists (CreateRunFiles
made it); artifact content only once, after its bytes matched the MD5 its key names.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from wbserver.domain.artifact_storage import content_md5, hashed
from wbserver.domain.clock import utcnow
from wbserver.domain.files import blob_landed, parse_run_key, run_file_key
from wbserver.ports import BlobInfo, BlobStore, MetadataStore

RECORDED, DUPLICATE, UNKNOWN, MISSING = "recorded", "duplicate", "unknown key", "not in store"


def object_created(store: MetadataStore, blobs: BlobStore, *, key: str, size: int | None,
                   md5_hex: str | None) -> str:
    """Record that `key` landed in the current store; returns what happened."""
    where = blobs.name
    row = None
    run_file = parse_run_key(key)
    md5 = content_md5(key, store.artifact_layout())
    if run_file is not None:
        row = store.get_run_file(*run_file)
        if row is None:
            return UNKNOWN
        if (md5_hex is not None and row.md5 == md5_hex and row.size_bytes == size
                and row.store == where):
            return DUPLICATE
    elif md5 is not None:
        if store.stored_blobs([md5]):
            return DUPLICATE
    else:
        return UNKNOWN  # manifests are read when committed; anything else is not ours
    info = BlobInfo(size=size, md5_hex=md5_hex) if size is not None and md5_hex else None
    if info is None:
        info = blobs.stat(key)
        if info is None:
            return MISSING
        if run_file is not None and row is not None and (row.md5, row.size_bytes, row.store) \
                == (info.md5_hex, info.size, where):
            return DUPLICATE
    if md5 is not None and info.md5_hex != md5:
        info = hashed(blobs, key)  # an ETag is not always an MD5 (e.g. SSE-KMS): look
        if info is None:
            return MISSING
    blob_landed(store, key=key, info=info, blobs=blobs, where=where)
    return RECORDED


def reconcile_run_files(store: MetadataStore, blobs: BlobStore, *, min_age: float,
                        max_age: float, limit: int = 500,
                        now: datetime | None = None) -> int:
    """Look in the store for run files handed an upload URL between `max_age` and `min_age`
    seconds ago that no event recorded; returns how many were found and recorded."""
    now = now or utcnow()
    found = 0
    for run_id, name in store.unlanded_run_files(
            created_after=now - timedelta(seconds=max_age),
            created_before=now - timedelta(seconds=min_age), limit=limit):
        key = run_file_key(run_id, name)
        if object_created(store, blobs, key=key, size=None, md5_hex=None) == RECORDED:
            found += 1
    return found


def uploads_reported(store: MetadataStore, blobs: BlobStore, *,
                     keys: list[str]) -> dict[str, str]:
    """The client reports these run files uploaded (file_stream `uploaded`, or
    markRunFilesUploaded): record each one whose object is in the store now (a HEAD gives its
    size and MD5), at once rather than when the bucket's event arrives; the event then finds
    it recorded (DUPLICATE). Returns what happened to each key; a key MISSING (not landed
    yet, or a store that lists late) is left for the event and the reconciliation."""
    return {key: object_created(store, blobs, key=key, size=None, md5_hex=None)
            for key in dict.fromkeys(keys)}
