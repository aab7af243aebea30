"""Artifact files as GraphQL `File` nodes (dicts shaped by field name), with signed URLs."""

from __future__ import annotations

import mimetypes
from typing import Any

from wbserver.api.graphql.ids import cursor, encode_id
from wbserver.api.graphql.resolve_info import GraphQLResolveInfo
from wbserver.domain.artifact_models import PENDING, Artifact, ArtifactFile
from wbserver.domain.artifact_storage import (
    content_key,
    manifest_key,
    manifest_upload_key,
    md5_b64,
)

MAX_PAGE = 10000


def download_url(info: GraphQLResolveInfo, key: str) -> str:
    ctx = info.context
    return ctx.services.blobs.download_url(key, base_url=ctx.base_url,
                                           expires_in=ctx.services.settings.download_url_ttl)


def upload_url(info: GraphQLResolveInfo, key: str,
               md5_hex: str | None = None) -> tuple[str, list[str]]:
    """A signed PUT URL; with `md5_hex`, bound to those bytes where the store can."""
    ctx = info.context
    return ctx.services.blobs.upload_url(
        key, base_url=ctx.base_url, expires_in=ctx.services.settings.upload_url_ttl,
        content_md5=md5_b64(md5_hex) if md5_hex else None)


def file_node(info: GraphQLResolveInfo, file: ArtifactFile) -> dict[str, Any]:
    """A stored file (signed URLs to its content) or a reference: its directUrl is the
    reference itself (file://, s3://, https://...), which the client resolves on its own
    side (the server never fetches it), and it has no `url` to serve."""
    md5 = file.md5 or ""
    key = content_key(md5, info.context.store.artifact_layout()) if md5 else None
    url = download_url(info, key) if key else None
    digest = md5_b64(md5) if md5 else None
    return {
        "id": encode_id("ArtifactFile", file.id), "name": file.name, "displayName": file.name,
        "url": url, "directUrl": url if md5 else file.ref or "", "sizeBytes": file.size or 0,
        "mimetype": file.mimetype or mimetypes.guess_type(file.name)[0],
        "updatedAt": file.updated_at, "md5": digest, "digest": digest,
        "storagePath": key,
    }


def manifest_node(info: GraphQLResolveInfo, artifact: Artifact,
                  upload: tuple[str, list[str]] | None = None) -> dict[str, Any]:
    key = manifest_upload_key(artifact.id) if artifact.state == PENDING \
        else manifest_key(artifact.id)
    return {"id": encode_id("ArtifactManifest", artifact.id),
            "file": {"id": encode_id("ArtifactManifestFile", artifact.id),
                     "name": "wandb_manifest.json", "displayName": "wandb_manifest.json",
                     "directUrl": download_url(info, key), "url": download_url(info, key),
                     "storagePath": key, "uploadUrl": upload[0] if upload else None,
                     "uploadHeaders": upload[1] if upload else None}}


def membership_files(artifact: Artifact, info: GraphQLResolveInfo,
                     names: list[str] | None = None, after: str | None = None,
                     first: int | None = None) -> dict[str, Any]:
    """The version's entries, stored files and references alike: the client downloads
    what this lists (a reference from where it points, a file from its URL)."""
    files, has_next, total = info.context.store.list_artifact_files(
        artifact.id, names=[n for n in names or [] if n] or None,
        after=cursor(after),
        first=max(1, min(first or 50, MAX_PAGE)), stored_only=False)
    edges = [{"node": file_node(info, f), "cursor": str(f.id)} for f in files]
    return {"edges": edges, "totalCount": total,
            "pageInfo": {"endCursor": edges[-1]["cursor"] if edges else None,
                         "startCursor": edges[0]["cursor"] if edges else None,
                         "hasNextPage": has_next, "hasPreviousPage": False}}
