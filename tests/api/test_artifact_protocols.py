"""Both artifact protocol generations: wandb-core of 0.28.x names the storage layout and the
digest algorithm as enums (`$storageLayout: ArtifactStorageLayout!`, `digestAlgorithm:
MANIFEST_MD5`), 0.31 sends them as strings inside `$input`; both must be taken. A storage
region this server cannot honour is refused, not silently ignored."""

from __future__ import annotations

import secrets

import pytest
from starlette.testclient import TestClient

from wbserver.app import create_app
from wbserver.config.runtime import SettingsSource
from wbserver.domain.users import create_api_key, create_user

from .artifact_flow import CREATE_ARTIFACT, CREATE_FILES, local, log_version, md5_b64
from .conftest import Api

# the documents of wandb-core 0.28.2 and of the 0.28.2 Python sender, as sent
CREATE_FILES_028 = """mutation CreateArtifactFiles ($artifactFiles: [CreateArtifactFileSpecInput!]!, $storageLayout: ArtifactStorageLayout!) {
	createArtifactFiles(input: {artifactFiles: $artifactFiles, storageLayout: $storageLayout}) {
		files { edges { node { id name displayName uploadUrl uploadHeaders storagePath
			artifact { id } } } }
	}
}"""

CREATE_ARTIFACT_PY_028 = """mutation CreateArtifact($artifactTypeName: String!, $artifactCollectionNames: [String!], $entityName: String!, $projectName: String!, $runName: String, $description: String, $digest: String!, $aliases: [ArtifactAliasInput!], $metadata: JSONString, $clientID: ID, $sequenceClientID: ID, $ttlDurationSeconds: Int64, $tags: [TagInput!]) {
	createArtifact(input: {artifactTypeName: $artifactTypeName, artifactCollectionNames: $artifactCollectionNames, entityName: $entityName, projectName: $projectName, runName: $runName, description: $description, digest: $digest, digestAlgorithm: MANIFEST_MD5, aliases: $aliases, metadata: $metadata, clientID: $clientID, sequenceClientID: $sequenceClientID, enableDigestDeduplication: true, ttlDurationSeconds: $ttlDurationSeconds, tags: $tags}) {
		artifact { id state digest }
	}
}"""


def pending(api, name):
    return log_version(api, name, {"x.txt": b"x"}, upload=False, put_manifest=False,
                       commit=False)


def test_create_files_with_the_028_enum_storage_layout(api):
    api.upsert("r1")
    art = pending(api, "old")
    for layout in ("V2", "V1"):  # a file each (one announced again after its upload landed
        name, data = f"{layout}.txt", layout.encode()  # needs no upload URL)
        edges = api.gql(CREATE_FILES_028, storageLayout=layout, artifactFiles=[
            {"artifactID": art["id"], "name": name, "md5": md5_b64(data)}],
        )["data"]["createArtifactFiles"]["files"]["edges"]
        node = edges[0]["node"]
        assert node["displayName"] == name and node["artifact"]["id"] == art["id"]
        assert api.client.put(local(node["uploadUrl"]), content=data).status_code == 200
    body = api.gql(CREATE_FILES_028, expect=400, storageLayout="V9", artifactFiles=[
        {"artifactID": art["id"], "name": "x.txt", "md5": md5_b64(b"x")}])
    assert "ArtifactStorageLayout" in body["errors"][0]["message"]
    # the 0.31 form: a string inside $input
    api.gql(CREATE_FILES, input={"storageLayout": "V2", "artifactFiles": [
        {"artifactID": art["id"], "name": "x.txt", "md5": md5_b64(b"x")}]})


def test_create_artifact_with_the_enum_digest_algorithm_literal(api):
    api.upsert("r1")
    made = api.gql(CREATE_ARTIFACT_PY_028, artifactTypeName="dataset",
                   artifactCollectionNames=["pyold"], entityName="alice", projectName="proj",
                   runName="r1", digest="d" * 32, clientID=secrets.token_hex(16),
                   sequenceClientID=secrets.token_hex(16),
                   tags=None)["data"]["createArtifact"]["artifact"]
    assert made["state"] == "PENDING" and made["digest"] == "d" * 32
    body = api.gql(CREATE_ARTIFACT, expect=400, input={
        "artifactTypeName": "dataset", "artifactCollectionName": "bad", "entityName": "alice",
        "projectName": "proj", "digest": "e" * 32, "digestAlgorithm": "SHA1"})
    assert "ArtifactDigestAlgorithm" in body["errors"][0]["message"]


def test_unknown_storage_region_is_refused(api):
    api.upsert("r1")
    body = api.gql(CREATE_ARTIFACT, expect=400, input={
        "artifactTypeName": "dataset", "artifactCollectionName": "far", "entityName": "alice",
        "projectName": "proj", "runName": "r1", "digest": "f" * 32,
        "digestAlgorithm": "MANIFEST_MD5", "storageRegion": "coreweave-us"})
    message = body["errors"][0]["message"]
    assert "storage region 'coreweave-us' is not available" in message, message
    made = api.gql(CREATE_ARTIFACT, input={
        "artifactTypeName": "dataset", "artifactCollectionName": "near", "entityName": "alice",
        "projectName": "proj", "runName": "r1", "digest": "f" * 32,
        "digestAlgorithm": "MANIFEST_XXH128", "storageRegion": None})
    assert made["data"]["createArtifact"]["artifact"]["state"] == "PENDING"


@pytest.fixture
def regional(tmp_path, database):
    """A server whose operator names two storage regions (WBSERVER_STORAGE_REGIONS)."""
    environ = {**database, "WBSERVER_STORAGE_REGIONS": " minio-local ,eu-west,minio-local"}
    app = create_app(SettingsSource(environ=environ,
                                    overrides={"data_dir": str(tmp_path / "data")}))
    store = app.state.services.store
    create_user(store, username="alice", email="alice@example.com", is_admin=False)
    with TestClient(app) as client:
        yield Api(client, create_api_key(store, username="alice"))
    store.close()


def test_a_region_the_operator_names_is_taken_and_others_refused(regional):
    regional.upsert("r1")
    for name, region in (("near", "minio-local"), ("west", "eu-west")):
        made = regional.gql(CREATE_ARTIFACT, input={
            "artifactTypeName": "dataset", "artifactCollectionName": name, "entityName": "alice",
            "projectName": "proj", "runName": "r1", "digest": "f" * 32,
            "digestAlgorithm": "MANIFEST_MD5", "storageRegion": region})
        assert made["data"]["createArtifact"]["artifact"]["state"] == "PENDING"
    body = regional.gql(CREATE_ARTIFACT, expect=400, input={
        "artifactTypeName": "dataset", "artifactCollectionName": "far", "entityName": "alice",
        "projectName": "proj", "runName": "r1", "digest": "f" * 32,
        "digestAlgorithm": "MANIFEST_MD5", "storageRegion": "coreweave-us"})
    message = body["errors"][0]["message"]
    assert "storage region 'coreweave-us' is not available" in message, message
    assert "minio-local, eu-west" in message, message


READ_TAGS = """query ($entity: String!, $project: String!, $name: String!) {
	project(name: $project, entityName: $entity) { artifact(name: $name) { tags { id name } } }
}"""


def test_tags_given_at_creation_are_kept_and_checked(api):
    api.upsert("r1")
    log_version(api, "tagged", {"p.txt": b"p"}, tags=("gold", "two words", "gold"))
    log_version(api, "plain", {"p.txt": b"q"})
    read = api.gql(READ_TAGS, entity="alice", project="proj", name="tagged:v0")
    assert [t["name"] for t in read["data"]["project"]["artifact"]["tags"]] == [
        "gold", "two words"]
    read = api.gql(READ_TAGS, entity="alice", project="proj", name="plain:v0")
    assert read["data"]["project"]["artifact"]["tags"] == []
    body = log_version(api, "badtag", {"p.txt": b"r"}, tags=("bad/tag",), expect=400)
    assert "invalid tag 'bad/tag'" in body["errors"][0]["message"]
