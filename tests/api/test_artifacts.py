"""Artifacts through GraphQL: shapes checked with the client's own documents and pydantic
models, version order, aliases, digest and content dedup, retries."""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta

from wandb.sdk.artifacts._generated import (
    ARTIFACT_MEMBERSHIP_BY_NAME_GQL,
    ARTIFACT_MEMBERSHIP_FILES_GQL,
    ARTIFACT_TYPE_GQL,
    FETCH_ARTIFACT_MANIFEST_GQL,
    GET_ARTIFACT_MEMBERSHIP_FILE_URLS_GQL,
    ArtifactMembershipByName,
    ArtifactMembershipFiles,
    ArtifactType,
    GetArtifactMembershipFileUrls,
)

from wbserver.metadata import artifact_rows

from .artifact_flow import (
    CLIENT_ID_MAPPING,
    COMMIT,
    CREATE_FILES,
    CREATE_MANIFEST,
    UPDATE_MANIFEST,
    local,
    log_version,
    md5_b64,
)

FILES = {"a.txt": b"alpha\n", "sub/b.txt": b"bravo\n"}


def membership(api, name, project="proj"):
    data = api.gql(ARTIFACT_MEMBERSHIP_BY_NAME_GQL, entity="alice", project=project, name=name,
                   includeAliases=True)["data"]
    ArtifactMembershipByName.model_validate(data)
    return data["project"]["artifactCollectionMembership"]


def file_urls(api, collection, alias):
    data = api.gql(GET_ARTIFACT_MEMBERSHIP_FILE_URLS_GQL, entity="alice", project="proj",
                   collection=collection, alias=alias, cursor=None, perPage=5000)["data"]
    GetArtifactMembershipFileUrls.model_validate(data)
    edges = data["project"]["artifactCollection"]["artifactMembership"]["files"]["edges"]
    return {e["node"]["name"]: e["node"]["directUrl"] for e in edges}


def test_log_then_read_back_with_the_clients_documents(api):
    api.upsert("r1")
    assert ArtifactType.model_validate(api.gql(ARTIFACT_TYPE_GQL, entity="alice", project="proj",
                                               name="data:latest")["data"]).project.artifact is None
    logged = log_version(api, "data", FILES, aliases=("first",), metadata={"k": 1})
    assert logged["state"] == "PENDING" and logged["base"] is None
    kinds = api.gql(ARTIFACT_TYPE_GQL, entity="alice", project="proj", name="data:latest")
    assert kinds["data"]["project"]["artifact"]["artifactType"]["name"] == "dataset"

    for name in ("data:latest", "data:v0", "data:first"):
        found = membership(api, name)
        art = found["artifact"]
        assert art["id"] == logged["id"] and art["versionIndex"] == 0
        assert art["state"] == "COMMITTED" and art["fileCount"] == 2
        assert art["size"] == sum(len(v) for v in FILES.values())
        assert json.loads(art["metadata"]) == {"k": 1}
        assert sorted(a["alias"] for a in found["aliases"]) == ["first", "latest"]
    assert membership(api, "data:v1") is None
    assert membership(api, "nothing:latest") is None

    urls = file_urls(api, "data", "v0")
    assert sorted(urls) == sorted(FILES)
    for name, url in urls.items():
        assert api.client.get(local(url)).content == FILES[name]
    listed = api.gql(ARTIFACT_MEMBERSHIP_FILES_GQL, entity="alice", project="proj",
                     collection="data", alias="latest", fileNames=None, cursor=None,
                     perPage=1)["data"]
    ArtifactMembershipFiles.model_validate(listed)
    page = listed["project"]["artifactCollection"]["artifactMembership"]["files"]
    assert page["pageInfo"]["hasNextPage"] and page["edges"][0]["node"]["md5"] == md5_b64(FILES["a.txt"])

    manifest = api.gql(FETCH_ARTIFACT_MANIFEST_GQL, id=logged["id"])["data"]["artifact"]
    body = api.client.get(local(manifest["currentManifest"]["file"]["directUrl"])).content
    assert body == logged["manifest"]
    mapped = api.gql(CLIENT_ID_MAPPING, clientID="nope")["data"]["clientIDMapping"]
    assert mapped is None


def test_dedup_by_digest_and_by_content_and_moving_aliases(api, app):
    api.upsert("r1")
    v0 = log_version(api, "data", FILES, aliases=("best",))
    assert all(e["uploadUrl"] for e in v0["edges"])
    again = log_version(api, "data", FILES, aliases=("again",))
    assert again["state"] == "COMMITTED" and again["id"] == v0["id"] and not again["edges"]
    assert sorted(a["alias"] for a in membership(api, "data:v0")["aliases"]) == \
        ["again", "best", "latest"]

    changed = {**FILES, "sub/b.txt": b"bravo, changed\n"}
    v1 = log_version(api, "data", changed, aliases=("best",))
    assert v1["state"] == "PENDING" and v1["base"] == v0["id"]
    by_name = dict(zip(sorted(changed), v1["edges"], strict=True))
    assert by_name["a.txt"]["uploadUrl"] is None  # the content is stored already
    assert by_name["a.txt"]["artifact"]["id"] == v0["id"]  # born in v0
    assert by_name["sub/b.txt"]["uploadUrl"] and by_name["sub/b.txt"]["artifact"]["id"] == v1["id"]
    assert by_name["a.txt"]["storagePath"].startswith("wandb_artifacts/md5/")  # a new install

    assert membership(api, "data:latest")["artifact"]["versionIndex"] == 1
    assert membership(api, "data:best")["artifact"]["id"] == v1["id"]
    assert sorted(a["alias"] for a in membership(api, "data:v0")["aliases"]) == ["again"]
    assert api.client.get(local(file_urls(api, "data", "latest")["sub/b.txt"])).content == \
        changed["sub/b.txt"]


def test_retries_are_idempotent(api):
    api.upsert("r1")
    first = log_version(api, "data", FILES, client_id="client-1", commit=False)
    retried = log_version(api, "data", FILES, client_id="client-1", commit=False)
    assert retried["id"] == first["id"]
    api.gql(COMMIT, artifactID=first["id"])
    committed = api.gql(COMMIT, artifactID=first["id"])["data"]["commitArtifact"]["artifact"]
    assert committed["digest"] == first["digest"]
    assert membership(api, "data:latest")["versionIndex"] == 0
    assert membership(api, "data:v1") is None
    # a retried upload of stored content is accepted and changes nothing; other bytes are
    # refused and the stored content stays
    url = local(first["edges"][0]["uploadUrl"])
    assert api.client.put(url, content=FILES["a.txt"]).status_code == 200
    assert api.client.put(url, content=b"not the content").status_code == 400
    assert api.client.get(local(file_urls(api, "data", "v0")["a.txt"])).content == FILES["a.txt"]
    mapped = api.gql(CLIENT_ID_MAPPING, clientID="client-1")["data"]["clientIDMapping"]
    assert mapped["serverID"] == first["id"]


def test_update_manifest_and_references(api):
    api.upsert("r1")
    logged = log_version(api, "refs", {"local.txt": b"x"}, type_name="model",
                         refs={"remote/obj.bin": "s3://bucket/obj.bin",
                               "other/t.json": "wandb-artifact://0a1b/t.json"}, commit=False)
    manifest_id = api.gql(UPDATE_MANIFEST, artifactManifestID=encode_manifest(logged["id"]),
                          digest="abc", baseArtifactID=None, includeUpload=True)
    assert manifest_id["data"]["updateArtifactManifest"]["artifactManifest"]["file"]["uploadUrl"]
    api.client.put(local(manifest_id["data"]["updateArtifactManifest"]["artifactManifest"]
                         ["file"]["uploadUrl"]), content=logged["manifest"])
    api.gql(COMMIT, artifactID=logged["id"])
    art = membership(api, "refs:latest")["artifact"]
    assert art["fileCount"] == 3 and art["artifactType"]["name"] == "model"
    # the client downloads what this lists (cause 7), references into other artifacts too
    urls = file_urls(api, "refs", "v0")
    assert urls["remote/obj.bin"] == "s3://bucket/obj.bin" and sorted(urls) == [
        "local.txt", "other/t.json", "remote/obj.bin"]
    listed = api.gql(ARTIFACT_MEMBERSHIP_FILES_GQL, entity="alice", project="proj",
                     collection="refs", alias="v0", fileNames=None, cursor=None,
                     perPage=10)["data"]
    ArtifactMembershipFiles.model_validate(listed)
    nodes = {e["node"]["name"]: e["node"] for e in
             listed["project"]["artifactCollection"]["artifactMembership"]["files"]["edges"]}
    assert nodes["remote/obj.bin"]["url"] is None and nodes["remote/obj.bin"]["sizeBytes"] == 7
    manifest = api.gql(FETCH_ARTIFACT_MANIFEST_GQL, id=logged["id"])["data"]["artifact"]
    body = json.loads(api.client.get(local(manifest["currentManifest"]["file"]["directUrl"])).content)
    assert body["contents"]["remote/obj.bin"]["ref"] == "s3://bucket/obj.bin"


def encode_manifest(artifact_id):
    import base64

    number = base64.b64decode(artifact_id).decode().split(":")[1]
    return base64.b64encode(f"ArtifactManifest:{number}".encode()).decode()


def test_bad_input_gets_clear_4xx(api):
    import base64

    api.upsert("r1")
    body = api.gql(COMMIT, expect=400, artifactID="not-an-id")
    assert "not a valid Artifact id" in body["errors"][0]["message"]
    missing = base64.b64encode(b"Artifact:999").decode()
    assert "not found" in api.gql(COMMIT, expect=404, artifactID=missing)["errors"][0]["message"]

    no_manifest = log_version(api, "nomanifest", FILES, put_manifest=False, commit=False)
    body = api.gql(COMMIT, expect=400, artifactID=no_manifest["id"])
    assert "manifest was not uploaded" in body["errors"][0]["message"]

    not_uploaded = log_version(api, "lost", {"x.txt": b"never uploaded"}, upload=False,
                               commit=False)
    body = api.gql(COMMIT, expect=400, artifactID=not_uploaded["id"])
    assert "were not uploaded: x.txt" in body["errors"][0]["message"]
    assert membership(api, "lost:latest") is None

    body = api.gql(CREATE_FILES, expect=400, input={"storageLayout": "V2", "artifactFiles": [
        {"artifactID": not_uploaded["id"], "name": "a.txt", "md5": "zz"}]})
    assert "base64 MD5" in body["errors"][0]["message"]
    body = api.gql(CREATE_FILES, expect=400, input={"storageLayout": "V2", "artifactFiles": [
        {"artifactID": not_uploaded["id"], "name": "../up.txt", "md5": md5_b64(b"u")}]})
    assert "relative path" in body["errors"][0]["message"]

    # bytes that do not match the MD5 the URL names are refused and not kept
    url = local(not_uploaded["edges"][0]["uploadUrl"])
    response = api.client.put(url, content=b"something else")
    assert response.status_code == 400 and "MD5" in response.json()["errors"][0]["message"]
    api.gql(COMMIT, expect=400, artifactID=not_uploaded["id"])
    assert api.client.put(url, content=b"never uploaded").status_code == 200
    api.gql(COMMIT, artifactID=not_uploaded["id"])
    assert membership(api, "lost:latest")["artifact"]["fileCount"] == 1


def test_type_clash_and_reserved_alias(api):
    api.upsert("r1")
    log_version(api, "data", FILES)
    body = log_version(api, "data", FILES, type_name="model", expect=400)
    assert "already exists with type 'dataset'" in body["errors"][0]["message"]
    body = log_version(api, "data", {"z": b"z"}, aliases=("v7",), expect=400)
    assert "reserved" in body["errors"][0]["message"]
    body = log_version(api, "bad/name", FILES, expect=400)
    assert "invalid artifact name" in body["errors"][0]["message"]


def test_same_content_announced_after_its_upload_is_staged_then_dropped(api, app):
    """Two files of one content in two CreateArtifactFiles batches: the second batch, after
    the first one's upload landed, is staged (the version may not read its own pending
    content yet); the commit keeps one copy."""
    api.upsert("r1")
    same = b"twice in one version\n"
    logged = log_version(api, "twins", {"x.txt": same}, put_manifest=False, commit=False)
    second = api.gql(CREATE_FILES, input={"storageLayout": "V2", "artifactFiles": [
        {"artifactID": logged["id"], "name": "y.txt", "md5": md5_b64(same)}]})
    node = second["data"]["createArtifactFiles"]["files"]["edges"][0]["node"]
    assert node["storagePath"].startswith("artifacts/staging/") and node["uploadUrl"]
    assert api.client.put(local(node["uploadUrl"]), content=same).status_code == 200
    manifest = json.dumps({"version": 1, "contents": {
        n: {"digest": md5_b64(same), "size": len(same)} for n in ("x.txt", "y.txt")}}).encode()
    url = api.gql(CREATE_MANIFEST, artifactID=logged["id"], baseArtifactID=None,
                  name="wandb_manifest.json", digest=md5_b64(manifest), entityName="alice",
                  projectName="proj", runName="r1", manifestType="FULL", includeUpload=True)[
        "data"]["createArtifactManifest"]["artifactManifest"]["file"]["uploadUrl"]
    assert api.client.put(local(url), content=manifest).status_code == 200
    api.gql(COMMIT, artifactID=logged["id"])
    assert app.state.services.blobs.local_path(node["storagePath"]) is None
    urls = file_urls(api, "twins", "latest")
    assert sorted(urls) == ["x.txt", "y.txt"]
    assert {api.client.get(local(u)).content for u in urls.values()} == {same}


def test_a_file_batch_announced_again_after_its_uploads_keeps_them(api, monkeypatch):
    """CreateArtifactFiles answered once more after the batch's uploads landed (the client
    gave up waiting for an answer and asked again, and the server got to the first copy last;
    or the client saw an upload fail that had landed and asks for a fresh URL): the files
    keep the time they were first announced, so commit still counts their uploads, and they
    need no upload again (before, their announcement moved past their upload and commit
    refused them as "not uploaded")."""
    ticks = itertools.count()
    monkeypatch.setattr(artifact_rows, "utcnow",  # each store write a second later
                        lambda: datetime(2026, 1, 1) + timedelta(seconds=next(ticks)))
    api.upsert("r1")
    logged = log_version(api, "late", FILES, put_manifest=False, commit=False)
    assert all(node["uploadUrl"] for node in logged["edges"])
    again = api.gql(CREATE_FILES, input={"storageLayout": "V2", "artifactFiles": [
        {"artifactID": logged["id"], "name": name, "md5": md5_b64(data)}
        for name, data in sorted(FILES.items())]})["data"]["createArtifactFiles"]["files"]
    manifest = logged["manifest"]
    url = api.gql(CREATE_MANIFEST, artifactID=logged["id"], baseArtifactID=None,
                  name="wandb_manifest.json", digest=md5_b64(manifest), entityName="alice",
                  projectName="proj", runName="r1", manifestType="FULL", includeUpload=True)[
        "data"]["createArtifactManifest"]["artifactManifest"]["file"]["uploadUrl"]
    assert api.client.put(local(url), content=manifest).status_code == 200
    committed = api.client.post("/graphql", json={"query": COMMIT, "variables": {
        "artifactID": logged["id"]}}, headers=api.headers()).json()
    assert "errors" not in committed, committed["errors"]
    assert membership(api, "late:latest")["versionIndex"] == 0
    assert [edge["node"]["uploadUrl"] for edge in again["edges"]] == [None, None]
    urls = file_urls(api, "late", "latest")
    assert {name: api.client.get(local(u)).content for name, u in urls.items()} == FILES
