"""Multipart uploads of artifact content: part URLs from the stores that take parts (S3 on
moto, Azure on Azurite), completion, the MD5 check of the whole object, download; the local
store answers null and takes one PUT."""

from __future__ import annotations

import hashlib
import os

import pytest
from api.artifact_flow import COMMIT, CREATE_FILES, CREATE_MANIFEST, log_version, md5_b64
from api.conftest import UPSERT, Api
from api.test_artifacts import file_urls
from wandb.sdk.artifacts._generated import GET_ARTIFACT_MEMBERSHIP_FILE_URLS_GQL

from wbserver.domain.artifact_storage import content_key
from wbserver.domain.users import create_api_key, create_user

from .conftest import make_backend

COMPLETE = """mutation CompleteMultipartUploadArtifact ($completeMultipartAction: CompleteMultipartAction!, $completedParts: [UploadPartsInput!]!, $artifactID: ID!, $storagePath: String!, $uploadID: String!) {
	completeMultipartUploadArtifact(input: {completeMultipartAction:$completeMultipartAction,completedParts:$completedParts,artifactID:$artifactID,storagePath:$storagePath,uploadID:$uploadID}) {
		digest
	}
}"""

PART = 5 * 1024 * 1024  # S3's smallest part but the last


def _api(backend) -> Api:
    create_user(backend.store, username="alice", email="alice@example.com", is_admin=False)
    api = Api(backend.client, create_api_key(backend.store, username="alice"))
    api.upsert("r1")
    return api


def _parts(data: bytes) -> list[bytes]:
    return [data[i:i + PART] for i in range(0, len(data), PART)]


def _plan(api: Api, data: bytes, entity: str = "alice") -> tuple[str, str, str, dict]:
    """CreateArtifact + manifest (via log_version, without files) then CreateArtifactFiles
    with uploadPartsInput; (artifact id, manifest id, storage path, edge)."""
    logged = log_version(api, "big", {}, put_manifest=False, commit=False, entity=entity)
    manifest = api.gql(CREATE_MANIFEST, artifactID=logged["id"], baseArtifactID=None,
                       name="wandb_manifest.json", digest="", entityName=entity,
                       projectName="proj", runName="r1", manifestType="FULL",
                       includeUpload=False)["data"]["createArtifactManifest"]["artifactManifest"]
    parts = [{"partNumber": n, "hexMD5": hashlib.md5(p).hexdigest()}
             for n, p in enumerate(_parts(data), start=1)]
    node = api.gql(CREATE_FILES, input={"storageLayout": "V2", "artifactFiles": [
        {"artifactID": logged["id"], "name": "big.bin", "md5": md5_b64(data),
         "artifactManifestID": manifest["id"], "mimetype": None,
         "uploadPartsInput": parts}]})["data"]["createArtifactFiles"]["files"]["edges"][0]["node"]
    return logged["id"], manifest["id"], node["storagePath"], node


def _commit(api: Api, backend, artifact_id: str, node: dict, data: bytes,
            entity: str = "alice") -> None:
    import json

    manifest = json.dumps({"version": 1, "storagePolicy": "wandb-storage-policy-v1",
                           "storagePolicyConfig": {"storageLayout": "V2"},
                           "contents": {"big.bin": {
                               "digest": md5_b64(data), "size": len(data),
                               "birthArtifactID": node["artifact"]["id"]}}}).encode()
    second = api.gql(CREATE_MANIFEST, artifactID=artifact_id, baseArtifactID=None,
                     name="wandb_manifest.json", digest=md5_b64(manifest), entityName=entity,
                     projectName="proj", runName="r1", manifestType="FULL",
                     includeUpload=True)["data"]["createArtifactManifest"]["artifactManifest"]
    headers = dict(h.split(":", 1) for h in second["file"]["uploadHeaders"] or [])
    put = backend.http("PUT", second["file"]["uploadUrl"], content=manifest, headers=headers)
    assert put.status_code in (200, 201), put.text
    committed = api.gql(COMMIT, artifactID=artifact_id)
    assert committed["data"]["commitArtifact"]["artifact"]["id"] == artifact_id, committed


def _complete(api: Api, artifact_id: str, path: str, upload_id: str, etags: list[str],
              expect_error: bool = False) -> dict:
    body = api.gql(COMPLETE, expect=400 if expect_error else 200,
                   completeMultipartAction="Complete", artifactID=artifact_id,
                   storagePath=path, uploadID=upload_id,
                   completedParts=[{"partNumber": n, "hexMD5": e}
                                   for n, e in enumerate(etags, start=1)])
    assert ("errors" in body) is expect_error, body
    return body


@pytest.mark.parametrize("kind", ["s3", "azure"])
def test_multipart_upload_complete_commit_download(kind, request, tmp_path, monkeypatch):
    backend = make_backend(kind, request, tmp_path, monkeypatch)
    try:
        api = _api(backend)
        data = os.urandom(PART + 1234567)
        artifact_id, _manifest_id, path, node = _plan(api, data)
        assert node["uploadUrl"]  # kept: a client may still do one PUT
        multipart = node["uploadMultipartUrls"]
        assert multipart and multipart["uploadID"]
        urls = multipart["uploadUrlParts"]
        assert [u["partNumber"] for u in urls] == [1, 2]
        etags = []
        for chunk, part in zip(_parts(data), urls, strict=True):
            put = backend.http("PUT", part["uploadUrl"], content=chunk,
                               headers={"Content-MD5": md5_b64(chunk)})
            assert put.status_code in (200, 201), put.text
            etags.append(put.headers.get("ETag") or hashlib.md5(chunk).hexdigest())
        done = _complete(api, artifact_id, path, multipart["uploadID"], etags)
        assert done["data"]["completeMultipartUploadArtifact"]["digest"] == md5_b64(data)
        again = _complete(api, artifact_id, path, multipart["uploadID"], etags)  # a retry
        assert again["data"]["completeMultipartUploadArtifact"]["digest"] == md5_b64(data)
        _commit(api, backend, artifact_id, node, data)
        url = file_urls(api, "big", "latest")["big.bin"]
        got = backend.http("GET", url)
        assert got.status_code == 200 and got.content == data
    finally:
        backend.store.close()


@pytest.mark.parametrize("kind", ["s3", "azure"])
def test_a_completed_upload_whose_bytes_differ_is_refused(kind, request, tmp_path, monkeypatch):
    backend = make_backend(kind, request, tmp_path, monkeypatch)
    try:
        api = _api(backend)
        data = os.urandom(PART + 10)
        artifact_id, _manifest_id, path, node = _plan(api, data)
        multipart = node["uploadMultipartUrls"]
        other = os.urandom(len(data))  # parts of other bytes under data's MD5 key
        for chunk, part in zip(_parts(other), multipart["uploadUrlParts"], strict=True):
            assert backend.http("PUT", part["uploadUrl"], content=chunk).status_code in (200, 201)
        body = _complete(api, artifact_id, path, multipart["uploadID"], ["x", "y"],
                         expect_error=True)
        assert "MD5" in body["errors"][0]["message"]
        assert backend.blobs.stat(content_key(hashlib.md5(data).hexdigest(),
                                                  backend.store.artifact_layout())) is None
        missing = _complete(api, artifact_id, path, "0" * 32, ["x"], expect_error=True)
        assert missing["errors"]
    finally:
        backend.store.close()


@pytest.mark.parametrize("kind", ["s3", "azure"])
def test_content_another_project_holds_is_staged_in_parts(kind, request, tmp_path, monkeypatch):
    """bob may not read alice's project: her content is uploaded again (in parts, to his
    version's staging key), checked on completion and on commit, and dropped (one copy)."""
    backend = make_backend(kind, request, tmp_path, monkeypatch)
    try:
        alice = _api(backend)
        data = os.urandom(PART + 4321)
        artifact_id, _manifest_id, _path, node = _plan(alice, data)
        headers = dict(h.split(":", 1) for h in node["uploadHeaders"])
        put = backend.http("PUT", node["uploadUrl"], content=data, headers=headers)
        assert put.status_code in (200, 201), put.text
        _commit(alice, backend, artifact_id, node, data)

        create_user(backend.store, username="bob", email="bob@example.com", is_admin=False)
        bob = Api(backend.client, create_api_key(backend.store, username="bob"))
        bob.gql(UPSERT, name="r1", project="proj", entity="bob")
        artifact_id, _manifest_id, path, node = _plan(bob, data, entity="bob")
        assert path.startswith("artifacts/staging/") and node["uploadUrl"]
        multipart = node["uploadMultipartUrls"]
        etags = []
        for chunk, part in zip(_parts(data), multipart["uploadUrlParts"], strict=True):
            put = backend.http("PUT", part["uploadUrl"], content=chunk,
                               headers={"Content-MD5": md5_b64(chunk)})
            assert put.status_code in (200, 201), put.text
            etags.append(put.headers.get("ETag") or hashlib.md5(chunk).hexdigest())
        done = _complete(bob, artifact_id, path, multipart["uploadID"], etags)
        assert done["data"]["completeMultipartUploadArtifact"]["digest"] == md5_b64(data)
        _commit(bob, backend, artifact_id, node, data, entity="bob")
        assert backend.blobs.stat(path) is None  # the staged copy is dropped
        files = bob.gql(GET_ARTIFACT_MEMBERSHIP_FILE_URLS_GQL, entity="bob", project="proj",
                        collection="big", alias="latest", cursor=None, perPage=10)["data"]
        edges = files["project"]["artifactCollection"]["artifactMembership"]["files"]["edges"]
        assert backend.http("GET", edges[0]["node"]["directUrl"]).content == data
    finally:
        backend.store.close()


def test_the_local_store_answers_null_multipart_urls(request, tmp_path, monkeypatch):
    backend = make_backend("local", request, tmp_path, monkeypatch)
    try:
        api = _api(backend)
        data = os.urandom(PART + 10)
        artifact_id, _manifest_id, _path, node = _plan(api, data)
        assert node["uploadMultipartUrls"] is None and node["uploadUrl"]
        assert backend.http("PUT", node["uploadUrl"], content=data).status_code == 200
        _commit(api, backend, artifact_id, node, data)
        got = backend.http("GET", file_urls(api, "big", "latest")["big.bin"])
        assert got.status_code == 200 and got.content == data
    finally:
        backend.store.close()
