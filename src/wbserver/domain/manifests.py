"""Reading the artifact manifest the client uploads (wandb-storage-policy-v1)."""

from __future__ import annotations

import json
from typing import Any

from wbserver.domain.artifact_models import ManifestEntry
from wbserver.domain.artifact_storage import md5_hex
from wbserver.errors import InvalidInput


def parse_manifest(data: bytes) -> list[ManifestEntry]:
    """Entries in path order. Stored files carry a base64 MD5 digest; references a `ref`."""
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise InvalidInput(f"the artifact manifest is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("contents", {}), dict):
        raise InvalidInput("the artifact manifest must be an object with a 'contents' object")
    if doc.get("version", 1) != 1:
        raise InvalidInput(f"unsupported artifact manifest version {doc.get('version')!r}")
    entries = []
    for path, entry in sorted(doc.get("contents", {}).items()):
        entries.append(_entry(path, entry))
    return entries


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
