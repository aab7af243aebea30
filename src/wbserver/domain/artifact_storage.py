"""Where artifact bytes live: content-addressed by MD5, plus one manifest per version.

Content keys follow the install's layout, recorded once in the database (migration 0022):
`wandb_artifacts/md5/<xx>/<md5>` (W&B's prefix for artifact file blobs) for installs made since,
`artifacts/md5/<xx>/<md5>` for installs that held artifact content before; objects are never
moved between them. Manifests and staging keys stay under `artifacts/` in both.

A version's manifest is uploaded to its own upload key and copied on commit to the key
readers use, which no upload URL is ever signed for: a committed manifest cannot be
replaced. Content the server holds already but the uploader may not read (another project's)
is uploaded once more to the version's staging key, as proof the uploader has the bytes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

from wbserver.domain.artifact_models import PENDING
from wbserver.errors import InvalidInput
from wbserver.ports import BlobInfo, BlobStore, MetadataStore

MAX_PARTS = 10_000  # S3's limit; Azure takes 50,000 blocks

LAYOUT = "wandb_artifacts"  # the content key prefix of installs made since migration 0022
LEGACY_LAYOUT = "artifacts"  # installs that held artifact content before it keep theirs
LAYOUTS = (LAYOUT, LEGACY_LAYOUT)

_CONTENT_KEY = re.compile(r"^(wandb_artifacts|artifacts)/md5/([0-9a-f]{2})/([0-9a-f]{32})$")
_MANIFEST_KEY = re.compile(
    r"^artifacts/manifests/(\d+)/(upload/(patch-\d+/)?)?wandb_manifest\.json$")
_STAGING_KEY = re.compile(r"^artifacts/staging/(\d+)/([0-9a-f]{32})$")


def content_key(md5_hex: str, layout: str) -> str:
    """Where content with this MD5 lives under LAYOUT (MetadataStore.artifact_layout())."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown artifact storage layout {layout!r}")
    return f"{layout}/md5/{md5_hex[:2]}/{md5_hex}"


def manifest_key(artifact_id: int) -> str:
    return f"artifacts/manifests/{artifact_id}/wandb_manifest.json"


def manifest_upload_key(artifact_id: int) -> str:
    """Where the client PUTs a pending version's manifest (never read once committed)."""
    return f"artifacts/manifests/{artifact_id}/upload/wandb_manifest.json"


def manifest_patch_key(artifact_id: int, number: int) -> str:
    """Where a writer of a distributed version PUTs its patch number `number` (1, 2, ...);
    the patches are merged in that order on commit."""
    return f"artifacts/manifests/{artifact_id}/upload/patch-{number}/wandb_manifest.json"


def staging_key(artifact_id: int, md5_hex: str) -> str:
    """Where a version's uploader puts content stored already that it may not read."""
    return f"artifacts/staging/{artifact_id}/{md5_hex}"


def staged_content(key: str) -> tuple[int, str] | None:
    """The (artifact id, md5) a staging key names, or None for any other key."""
    match = _STAGING_KEY.match(key)
    return (int(match.group(1)), match.group(2)) if match else None


def md5_hex(b64: str, what: str = "md5") -> str:
    """The client's base64 MD5 as 32 hex digits."""
    try:
        raw = base64.b64decode(b64.encode(), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise InvalidInput(f"{what} {b64!r} is not a base64 MD5 digest") from None
    if len(raw) != 16:
        raise InvalidInput(f"{what} {b64!r} is not a base64 MD5 digest")
    return raw.hex()


def md5_b64(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


def content_md5(key: str, layout: str) -> str | None:
    """The MD5 a content key of LAYOUT names, or None for any other key (a key of the other
    layout included: nothing under it is this install's content)."""
    match = _CONTENT_KEY.match(key)
    if match is None or match.group(1) != layout or match.group(3)[:2] != match.group(2):
        return None
    return match.group(3)


def manifest_artifact(key: str) -> int | None:
    """The artifact id a manifest key (or manifest upload key) names, or None."""
    match = _MANIFEST_KEY.match(key)
    return int(match.group(1)) if match else None


def content_already_stored(store: MetadataStore, *, key: str) -> bool:
    """A PUT to a content key whose bytes are already stored changes nothing: skip it, so a
    stale upload URL can never replace good content."""
    md5 = content_md5(key, store.artifact_layout())
    return md5 is not None and md5 in store.stored_blobs([md5])


def check_version_upload(store: MetadataStore, *, key: str) -> None:
    """A PUT to a version's manifest or staging key is taken only while the version is
    pending: a committed version is immutable, whatever URL its uploader kept."""
    staged = staged_content(key)
    artifact_id = manifest_artifact(key) if staged is None else staged[0]
    if artifact_id is None:
        return
    found = store.get_artifact(artifact_id)
    if found is None or found.state != PENDING:
        raise InvalidInput("this artifact version is no longer pending: committed versions "
                           "are immutable")


def content_landed(store: MetadataStore, blobs: BlobStore | None, *, key: str,
                   info: BlobInfo, where: str | None = None) -> bool:
    """Record content that arrived under its MD5 key; refuse (and remove) bytes whose MD5
    is not the one the key names. False when `key` is not a content key."""
    md5 = content_md5(key, store.artifact_layout())
    if md5 is None:
        return False
    if info.md5_hex != md5:
        if blobs is not None:
            blobs.delete(key)
        raise InvalidInput(f"the uploaded bytes have MD5 {info.md5_hex}, not {md5}")
    store.record_blob(md5, info.size, store=where)
    return True


def part_numbers(parts: list[int]) -> list[int]:
    """The part numbers of a multipart upload, checked (1..MAX_PARTS, each once), in order."""
    if not parts or len(parts) > MAX_PARTS or len(set(parts)) != len(parts) \
            or any(not 1 <= n <= MAX_PARTS for n in parts):
        raise InvalidInput(f"a multipart upload has 1-{MAX_PARTS} distinct part numbers "
                           f"from 1 to {MAX_PARTS}")
    return sorted(parts)


def hashed(blobs: BlobStore, key: str) -> BlobInfo | None:
    """Size and MD5 of the stored bytes themselves, read through (None: not there)."""
    digest, size = hashlib.md5(usedforsecurity=False), 0
    try:
        for chunk in blobs.open_read(key):
            digest.update(chunk)
            size += len(chunk)
    except FileNotFoundError:
        return None
    return BlobInfo(size=size, md5_hex=digest.hexdigest())
