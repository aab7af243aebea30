"""Reading the artifact manifest the client uploads (wandb-storage-policy-v1), and building a
version's manifest from several: an incremental manifest over its base version's, a
distributed version's patches one over the other."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from wbserver.domain.artifact_models import INCREMENTAL, PATCH, Artifact, ManifestEntry
from wbserver.domain.artifact_storage import (
    manifest_key,
    manifest_patch_key,
    manifest_upload_key,
    md5_hex,
)
from wbserver.errors import InvalidInput
from wbserver.ports import BlobStore

_DIGEST_HEADER = b"wandb-artifact-manifest-v1\n"


def parse_manifest(data: bytes) -> list[ManifestEntry]:
    """Entries in path order. Stored files carry a base64 MD5 digest; references a `ref`."""
    return [_entry(path, entry) for path, entry in sorted(_contents(_document(data)).items())]


def merge_manifests(layers: list[bytes]) -> bytes:
    """One manifest made of `layers`, each one's entries over the ones before (an entry of a
    later layer replaces the same path's). The last layer gives everything but the contents
    (storage policy, version)."""
    if not layers:
        raise InvalidInput("the artifact's manifest was not uploaded")
    contents: dict[str, Any] = {}
    doc: dict[str, Any] = {}
    for data in layers:
        doc = _document(data)
        layer = _contents(doc)
        for path, entry in layer.items():
            _entry(path, entry)  # each layer is checked, whatever replaces its entries
        contents.update(layer)
    return json.dumps({**doc, "contents": dict(sorted(contents.items()))}).encode()


def manifest_digest(data: bytes) -> str:
    """The digest the client gives a version with these entries (ArtifactManifestV1.digest:
    MD5 over a header and `path:digest` lines in path order)."""
    hasher = hashlib.md5(_DIGEST_HEADER, usedforsecurity=False)
    for path, entry in sorted(_contents(_document(data)).items()):
        hasher.update(f"{path}:{entry['digest']}\n".encode())
    return hasher.hexdigest()


def read_blob(blobs: BlobStore, key: str) -> bytes | None:
    try:
        return b"".join(blobs.open_read(key))
    except (FileNotFoundError, KeyError):
        return None


def manifest_layers(blobs: BlobStore, artifact: Artifact) -> tuple[list[bytes], list[str]]:
    """The manifests a version is made of, in order, and the upload keys they were read
    from (none: a retried commit, which finds the manifest where readers will). INCREMENTAL:
    the base version's, then the upload; PATCH: every patch that arrived, in the order
    their URLs were handed out (a URL its writer never used is skipped)."""
    keys = [manifest_upload_key(artifact.id)]
    if artifact.manifest_type == PATCH:
        keys += [manifest_patch_key(artifact.id, n)
                 for n in range(1, artifact.manifest_patches + 1)]
    found = [(key, data) for key in keys if (data := read_blob(blobs, key)) is not None]
    if not found:
        return [_legacy_manifest(blobs, artifact.id)], []
    layers = [data for _key, data in found]
    if artifact.manifest_type == INCREMENTAL and artifact.base_artifact_id is not None:
        base = read_blob(blobs, manifest_key(artifact.base_artifact_id))
        if base is None:
            raise InvalidInput("the manifest of the base version is gone (was it deleted?): "
                               "log the incremental version again")
        layers.insert(0, base)
    return layers, [key for key, _data in found]


def _legacy_manifest(blobs: BlobStore, artifact_id: int) -> bytes:
    """A manifest uploaded before upload keys existed (to the key readers use)."""
    data = read_blob(blobs, manifest_key(artifact_id))
    if data is None:
        raise InvalidInput("the artifact's manifest was not uploaded")
    return data


def _document(data: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise InvalidInput(f"the artifact manifest is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("contents", {}), dict):
        raise InvalidInput("the artifact manifest must be an object with a 'contents' object")
    if doc.get("version", 1) != 1:
        raise InvalidInput(f"unsupported artifact manifest version {doc.get('version')!r}")
    return doc


def _contents(doc: dict[str, Any]) -> dict[str, Any]:
    contents: dict[str, Any] = doc.get("contents", {})
    return contents


def _entry(path: str, entry: Any) -> ManifestEntry:
    if not isinstance(entry, dict):
        raise InvalidInput(f"manifest entry {path!r} must be an object")
    ref = entry.get("ref")
    digest = entry.get("digest")
    if not isinstance(digest, str) or not digest:
        raise InvalidInput(f"manifest entry {path!r} has no digest")
    size = entry.get("size") or 0
    if not isinstance(size, int) or size < 0:
        raise InvalidInput(f"manifest entry {path!r} has an invalid size")
    extra = entry.get("extra")
    birth = entry.get("birthArtifactID")
    return ManifestEntry(
        name=path, md5=None if ref else md5_hex(digest, f"digest of {path!r}"), size=size,
        birth_artifact_id=birth if isinstance(birth, str) else None,
        ref=str(ref) if ref else None, extra=json.dumps(extra) if extra else None)
