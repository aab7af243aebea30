"""The artifact documents wandb-core sends (from ../shared/protocol/operations.graphql) and a
helper that logs a version the way the client does."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any
from urllib.parse import urlsplit

CREATE_ARTIFACT = """mutation CreateArtifact ($input: CreateArtifactInput!) {
	createArtifact(input: $input) { ... CreatedArtifact }
}
fragment CreatedArtifact on CreateArtifactPayload {
	artifact { id state artifactSequence { latestArtifact { id } } }
}"""

CREATE_MANIFEST = """mutation CreateArtifactManifest ($artifactID: ID!, $baseArtifactID: ID, $name: String!, $digest: String!, $entityName: String!, $projectName: String!, $runName: String!, $manifestType: ArtifactManifestType!, $includeUpload: Boolean!) {
	createArtifactManifest(input: {artifactID:$artifactID,baseArtifactID:$baseArtifactID,name:$name,digest:$digest,entityName:$entityName,projectName:$projectName,runName:$runName,type:$manifestType}) {
		artifactManifest { id file { id uploadUrl @include(if: $includeUpload) uploadHeaders @include(if: $includeUpload) } }
	}
}"""

UPDATE_MANIFEST = """mutation UpdateArtifactManifest ($artifactManifestID: ID!, $digest: String, $baseArtifactID: ID, $includeUpload: Boolean!) {
	updateArtifactManifest(input: {artifactManifestID:$artifactManifestID,digest:$digest,baseArtifactID:$baseArtifactID}) {
		artifactManifest { id file { id uploadUrl @include(if: $includeUpload) uploadHeaders @include(if: $includeUpload) } }
	}
}"""

CREATE_FILES = """mutation CreateArtifactFiles ($input: CreateArtifactFilesInput!) {
	createArtifactFiles(input: $input) {
		files { edges { node { storagePath uploadUrl uploadHeaders
			uploadMultipartUrls { uploadID uploadUrlParts { partNumber uploadUrl } }
			artifact { id } } } }
	}
}"""

COMMIT = """mutation CommitArtifact ($artifactID: ID!) {
	commitArtifact(input: {artifactID:$artifactID}) { artifact { id digest } }
}"""

USE_CORE = """mutation UseArtifact ($input: UseArtifactInput!) {
	useArtifact(input: $input) { artifact { id } }
}"""

CLIENT_ID_MAPPING = """query ClientIDMapping ($clientID: ID!) {
	clientIDMapping(clientID: $clientID) { serverID }
}"""


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def log_version(api: Any, name: str, files: dict[str, bytes], *, project: str = "proj",
                run: str = "r1", type_name: str = "dataset", aliases: tuple[str, ...] = (),
                client_id: str | None = None, refs: dict[str, str] | None = None,
                metadata: dict[str, Any] | None = None, commit: bool = True,
                upload: bool = True, put_manifest: bool = True,
                expect: int = 200, entity: str = "alice",
                tags: tuple[str, ...] = ()) -> dict[str, Any]:
    """CreateArtifact -> manifest -> files -> PUTs -> manifest PUT -> commit, as wandb-core.

    Returns the ids, the state CreateArtifact answered, the upload edges and the manifest."""
    digest = hashlib.md5(json.dumps(
        [sorted((k, md5_b64(v)) for k, v in files.items()), sorted((refs or {}).items())]
    ).encode()).hexdigest()
    created = api.gql(CREATE_ARTIFACT, expect=expect, input={
        "artifactTypeName": type_name, "artifactCollectionName": name, "entityName": entity,
        "projectName": project, "runName": run, "digest": digest,
        "digestAlgorithm": "MANIFEST_MD5", "description": "desc", "labels": None,
        "metadata": json.dumps(metadata) if metadata is not None else None,
        "aliases": [{"alias": a, "artifactCollectionName": name} for a in ("latest", *aliases)],
        "clientID": client_id or secrets.token_hex(16), "sequenceClientID": secrets.token_hex(16),
        "enableDigestDeduplication": True, "historyStep": None, "ttlDurationSeconds": None,
        "distributedID": None, "storageRegion": None, "artifactCollectionNames": None,
        "tags": [{"tagName": tag} for tag in tags] or None,
        "clientMutationId": None})
    if expect != 200:
        return created  # type: ignore[no-any-return]
    created = created["data"]["createArtifact"]["artifact"]
    out: dict[str, Any] = {"id": created["id"], "state": created["state"],
                           "base": (created["artifactSequence"]["latestArtifact"] or {}).get("id"),
                           "edges": [], "digest": digest}
    if created["state"] == "COMMITTED":
        return out
    manifest_vars = {"artifactID": created["id"], "baseArtifactID": out["base"],
                     "name": "wandb_manifest.json", "entityName": entity,
                     "projectName": project, "runName": run, "manifestType": "FULL"}
    first = api.gql(CREATE_MANIFEST, digest="", includeUpload=False, **manifest_vars)
    manifest_id = first["data"]["createArtifactManifest"]["artifactManifest"]["id"]
    names = sorted(files)
    edges = []
    if names:
        edges = api.gql(CREATE_FILES, input={"storageLayout": "V2", "artifactFiles": [
            {"artifactID": created["id"], "name": n, "md5": md5_b64(files[n]),
             "artifactManifestID": manifest_id, "mimetype": None, "uploadPartsInput": None}
            for n in names]})["data"]["createArtifactFiles"]["files"]["edges"]
    out["edges"] = [e["node"] for e in edges]
    for n, node in zip(names, out["edges"], strict=True):
        if node["uploadUrl"] and upload:
            assert api.client.put(local(node["uploadUrl"]), content=files[n]).status_code == 200
    contents: dict[str, Any] = {
        n: {"digest": md5_b64(files[n]), "size": len(files[n]),
            "birthArtifactID": node["artifact"]["id"]}
        for n, node in zip(names, out["edges"], strict=True)}
    for path, ref in (refs or {}).items():
        contents[path] = {"digest": "etag-" + path, "ref": ref, "size": 7}
    manifest = json.dumps({"version": 1, "storagePolicy": "wandb-storage-policy-v1",
                           "storagePolicyConfig": {"storageLayout": "V2"},
                           "contents": contents}).encode()
    out["manifest"] = manifest
    if not put_manifest:
        return out
    second = api.gql(CREATE_MANIFEST, digest=md5_b64(manifest), includeUpload=True,
                     **manifest_vars)["data"]["createArtifactManifest"]["artifactManifest"]
    out["manifest_url"] = second["file"]["uploadUrl"]
    assert api.client.put(local(second["file"]["uploadUrl"]), content=manifest).status_code == 200
    if commit:
        api.gql(COMMIT, artifactID=created["id"])
    return out
