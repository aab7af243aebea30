"""Manifests a version is built from (issue 20, cause 6): INCREMENTAL over a base version,
PATCH uploads of a distributed version merged in order; what is refused; the committed
manifest and digest are the merged ones."""

from __future__ import annotations

import hashlib
import json
import secrets

from wandb.sdk.artifacts._generated import FETCH_ARTIFACT_MANIFEST_GQL

from .artifact_flow import (
    COMMIT,
    CREATE_ARTIFACT,
    CREATE_FILES,
    CREATE_MANIFEST,
    UPDATE_MANIFEST,
    local,
    log_version,
    md5_b64,
)


def create(api, name, *, distributed=None, digest=None, ttl=None):
    return api.gql(CREATE_ARTIFACT, input={
        "artifactTypeName": "dataset", "artifactCollectionName": name, "entityName": "alice",
        "projectName": "proj", "runName": "r1", "digest": digest or secrets.token_hex(16),
        "digestAlgorithm": "MANIFEST_MD5", "clientID": secrets.token_hex(16),
        "sequenceClientID": secrets.token_hex(16), "enableDigestDeduplication": True,
        "distributedID": distributed, "ttlDurationSeconds": ttl,
        "aliases": [{"alias": "latest", "artifactCollectionName": name}],
    })["data"]["createArtifact"]["artifact"]


def manifest(api, artifact_id, kind, base=None, expect=200):
    return api.gql(CREATE_MANIFEST, expect=expect, artifactID=artifact_id, baseArtifactID=base,
                   name="wandb_manifest.json", digest="", entityName="alice",
                   projectName="proj", runName="r1", manifestType=kind, includeUpload=True)


def upload(api, artifact_id, manifest_id, files):
    """Announce and PUT `files`; the manifest contents for them."""
    edges = api.gql(CREATE_FILES, input={"artifactFiles": [
        {"artifactID": artifact_id, "name": n, "md5": md5_b64(v),
         "artifactManifestID": manifest_id} for n, v in files.items()]}
    )["data"]["createArtifactFiles"]["files"]["edges"]
    for (_name, data), edge in zip(files.items(), edges, strict=True):
        if edge["node"]["uploadUrl"]:
            assert api.client.put(local(edge["node"]["uploadUrl"]), content=data).status_code == 200
    return {n: {"digest": md5_b64(v), "size": len(v)} for n, v in files.items()}


def doc(contents):
    return json.dumps({"version": 1, "storagePolicy": "wandb-storage-policy-v1",
                       "storagePolicyConfig": {"storageLayout": "V2"},
                       "contents": contents}).encode()


def put_update(api, manifest_id, contents):
    node = api.gql(UPDATE_MANIFEST, artifactManifestID=manifest_id, digest="d",
                   baseArtifactID=None, includeUpload=True)
    url = node["data"]["updateArtifactManifest"]["artifactManifest"]["file"]["uploadUrl"]
    assert api.client.put(local(url), content=doc(contents)).status_code == 200
    return url


def committed_manifest(api, artifact_id):
    art = api.gql(FETCH_ARTIFACT_MANIFEST_GQL, id=artifact_id)["data"]["artifact"]
    body = api.client.get(local(art["currentManifest"]["file"]["directUrl"])).content
    return json.loads(body)["contents"]


def client_digest(contents):
    hasher = hashlib.md5(b"wandb-artifact-manifest-v1\n")
    for path in sorted(contents):
        hasher.update(f"{path}:{contents[path]['digest']}\n".encode())
    return hasher.hexdigest()


def test_incremental_manifest_is_merged_over_its_base(api):
    api.upsert("r1")
    base = log_version(api, "data", {"a.txt": b"a", "b.txt": b"b"})["id"]
    other = log_version(api, "other", {"o.txt": b"o"})["id"]
    new = create(api, "data")
    assert new["state"] == "PENDING" and new["artifactSequence"]["latestArtifact"]["id"] == base
    body = manifest(api, new["id"], "INCREMENTAL", base=other, expect=400)
    assert "committed version of the same artifact" in body["errors"][0]["message"]
    manifest_id = manifest(api, new["id"], "INCREMENTAL", base=base)[
        "data"]["createArtifactManifest"]["artifactManifest"]["id"]
    body = manifest(api, new["id"], "FULL", expect=400)
    assert "manifest is INCREMENTAL, not FULL" in body["errors"][0]["message"]
    contents = upload(api, new["id"], manifest_id, {"c.txt": b"c", "b.txt": b"b2"})
    put_update(api, manifest_id, contents)
    done = api.gql(COMMIT, artifactID=new["id"])["data"]["commitArtifact"]["artifact"]
    merged = committed_manifest(api, new["id"])
    assert sorted(merged) == ["a.txt", "b.txt", "c.txt"]
    assert merged["b.txt"]["digest"] == md5_b64(b"b2")
    assert done["digest"] == client_digest(merged)
    assert sorted(committed_manifest(api, base)) == ["a.txt", "b.txt"]  # the base unchanged
    # the same entries logged in full later are the same version (digest dedup)
    again = create(api, "data", digest=client_digest(merged))
    assert again["id"] == new["id"] and again["state"] == "COMMITTED"


def test_distributed_version_is_made_of_every_patch(api):
    api.upsert("r1")
    log_version(api, "shards", {"old.txt": b"old"})  # a version before: not part of it
    first = create(api, "shards", distributed="g1")
    second = create(api, "shards", distributed="g1")
    assert first["id"] == second["id"] and first["state"] == "PENDING"
    assert create(api, "shards", distributed="g2")["id"] != first["id"]
    ids = [manifest(api, first["id"], "PATCH", base=first["artifactSequence"][
        "latestArtifact"]["id"])["data"]["createArtifactManifest"]["artifactManifest"]["id"]
        for _ in range(3)]
    assert len(set(ids)) == 1
    body = manifest(api, first["id"], "FULL", expect=400)
    assert "manifest is PATCH, not FULL" in body["errors"][0]["message"]
    one = upload(api, first["id"], ids[0], {"p1.txt": b"one", "same.txt": b"first"})
    two = upload(api, first["id"], ids[0], {"p2.txt": b"two", "same.txt": b"second"})
    url_one = put_update(api, ids[0], one)
    url_two = put_update(api, ids[0], two)
    assert local(url_one).split("?")[0] != local(url_two).split("?")[0]
    api.gql(UPDATE_MANIFEST, artifactManifestID=ids[0], digest="d", baseArtifactID=None,
            includeUpload=True)  # a URL handed out and never used is skipped
    api.gql(COMMIT, artifactID=first["id"])
    merged = committed_manifest(api, first["id"])
    assert sorted(merged) == ["p1.txt", "p2.txt", "same.txt"]
    assert merged["same.txt"]["digest"] == md5_b64(b"second")  # the later patch wins
    # a committed version's patch keys take no more bytes
    assert api.client.put(local(url_one), content=doc({})).status_code == 400
    assert create(api, "shards", distributed="g1")["id"] != first["id"]  # a new one after


def test_ttl_given_at_creation_is_checked_and_kept(api):
    api.upsert("r1")
    kept = create(api, "ttl", ttl=3600)["id"]
    query = "query A($id: ID!) { artifact(id: $id) { ttlDurationSeconds ttlIsInherited } }"
    assert api.gql(query, id=kept)["data"]["artifact"] == {"ttlDurationSeconds": 3600,
                                                           "ttlIsInherited": False}
    for ttl, want in ((-2, [-2, False]), (-1, [-1, True]), (None, [-1, True])):
        found = api.gql(query, id=create(api, f"ttl{ttl}", ttl=ttl)["id"])["data"]["artifact"]
        assert [found["ttlDurationSeconds"], found["ttlIsInherited"]] == want
    for ttl in (0, -5):
        body = api.gql(CREATE_ARTIFACT, expect=400, input={
            "artifactTypeName": "dataset", "artifactCollectionName": "bad", "entityName": "alice",
            "projectName": "proj", "digest": "x", "ttlDurationSeconds": ttl})
        assert f"invalid ttlDurationSeconds {ttl}" in body["errors"][0]["message"]
