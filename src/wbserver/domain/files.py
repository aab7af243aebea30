"""Run files: safe names, where their bytes live, and recording what landed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from wbserver.domain.artifact_storage import (
    check_version_upload,
    content_already_stored,
    content_landed,
    content_md5,
    manifest_artifact,
)
from wbserver.domain.models import Run
from wbserver.domain.names import hidden_character
from wbserver.errors import InvalidInput
from wbserver.ports import BlobInfo, BlobStore, MetadataStore

MAX_NAME_LENGTH = 512
MAX_PART_BYTES = 255  # one folder or file name: the limit of common file systems
_RUN_KEY = re.compile(r"^runs/(\d+)/(.+)$")


def check_file_name(name: str) -> str:
    """A file name is a relative path that stays inside the run's folder."""
    if not name or len(name) > MAX_NAME_LENGTH or "\x00" in name or "\\" in name:
        raise InvalidInput(f"invalid file name {name!r}")
    hidden = hidden_character(name)
    if hidden is not None:
        raise InvalidInput(f"invalid file name {name!r}: it contains {hidden}; file names may "
                           f"not contain control, zero-width or text-direction characters")
    path = PurePosixPath(name)
    if path.is_absolute() or any(part in ("..", ".", "") for part in name.split("/")):
        raise InvalidInput(f"file name {name!r} must be a relative path inside the run")
    if any(len(part.encode("utf-8")) > MAX_PART_BYTES for part in name.split("/")):
        raise InvalidInput(f"invalid file name {name[:80]!r}...: each part of a path (between "
                           f"'/') is at most {MAX_PART_BYTES} bytes in UTF-8")
    return name


def run_file_key(run_id: int, name: str) -> str:
    return f"runs/{run_id}/{check_file_name(name)}"


@dataclass(frozen=True)
class UploadTarget:
    name: str
    url: str


def create_run_files(store: MetadataStore, blobs: BlobStore, *, run: Run, names: list[str],
                     base_url: str, expires_in: int) -> tuple[list[UploadTarget], list[str]]:
    """Signed upload URLs, one per name, in order; plus headers every PUT must carry."""
    for name in names:
        check_file_name(name)
    store.prepare_run_files(run.id, names)
    targets: list[UploadTarget] = []
    headers: list[str] = []
    for name in names:
        url, headers = blobs.upload_url(run_file_key(run.id, name), base_url=base_url,
                                        expires_in=expires_in)
        targets.append(UploadTarget(name=name, url=url))
    return targets, headers


def mark_run_files_uploaded(store: MetadataStore, blobs: BlobStore, *, run: Run,
                            names: list[str]) -> None:
    """markRunFilesUploaded: the client says it PUT these files (Run.upload_file); record
    each one whose bytes are in the store now, as a bucket event would. The run's state is
    left alone."""
    for name in names:
        check_file_name(name)
    store.prepare_run_files(run.id, names)
    for name in dict.fromkeys(names):
        key = run_file_key(run.id, name)
        info = blobs.stat(key)
        if info is not None:
            blob_landed(store, key=key, info=info, where=blobs.name)


def upload_needed(store: MetadataStore, *, key: str) -> bool:
    """Whether bytes PUT under `key` should be written at all (artifact content that is
    already stored is immutable: the PUT is accepted and ignored). A PUT to a manifest or
    staging key of a version that is no longer pending is refused."""
    check_version_upload(store, key=key)
    return not content_already_stored(store, key=key)


def blob_landed(store: MetadataStore, *, key: str, info: BlobInfo,
                blobs: BlobStore | None = None, where: str | None = None) -> None:
    """Called when bytes arrive under `key` (our storage route, or a bucket event) in the store
    named `where` (default: `blobs`'s name). Artifact content is checked against the MD5 its
    key names (`blobs` removes a mismatch)."""
    if where is None and blobs is not None:
        where = blobs.name
    if content_landed(store, blobs, key=key, info=info, where=where):
        return
    match = _RUN_KEY.match(key)
    if match:
        store.record_file_upload(int(match.group(1)), match.group(2), size_bytes=info.size,
                                 md5=info.md5_hex, store=where)


def parse_run_key(key: str) -> tuple[int, str] | None:
    match = _RUN_KEY.match(key)
    return (int(match.group(1)), match.group(2)) if match else None


def stored_in(store: MetadataStore, key: str) -> str | None:
    """The name of the store holding `key`, as its row remembers it (None: not recorded)."""
    run_file = parse_run_key(key)
    if run_file is not None:
        found = store.get_run_file(*run_file)
        return found.store if found is not None else None
    md5 = content_md5(key, store.artifact_layout())
    if md5 is not None:
        return store.content_store(md5)
    artifact_id = manifest_artifact(key)
    return store.manifest_store(artifact_id) if artifact_id is not None else None
