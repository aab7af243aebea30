"""Lineage (logged_by / used_by, a run's logged and used artifacts), deletion, and the
/artifactsV2 fallback download."""

from __future__ import annotations

import hashlib

from wandb.sdk.artifacts._generated import (
    ARTIFACT_CREATED_BY_GQL,
    ARTIFACT_MEMBERSHIP_BY_NAME_GQL,
    ARTIFACT_USED_BY_GQL,
    DELETE_ARTIFACT_GQL,
    RUN_INPUT_ARTIFACTS_GQL,
    RUN_OUTPUT_ARTIFACTS_GQL,
    ArtifactCreatedBy,
    ArtifactUsedBy,
    DeleteArtifact,
    RunInputArtifacts,
    RunOutputArtifacts,
)

from .artifact_flow import USE_CORE, log_version

FILES = {"a.txt": b"alpha\n"}
# The document wandb.sdk.artifacts._gqlutils.record_artifact_use builds (usedAs set).
USE_PY = """mutation UseArtifact($entityName: String!, $projectName: String!, $runName: String!,
  $artifactID: ID!, $usedAs: String) {
  useArtifact(input: {entityName: $entityName, projectName: $projectName, runName: $runName,
    artifactID: $artifactID, usedAs: $usedAs}) {
    artifact { id digest description state createdAt metadata } } }"""


def alias_of(api, name):
    data = api.gql(ARTIFACT_MEMBERSHIP_BY_NAME_GQL, entity="alice", project="proj", name=name)
    return data["data"]["project"]["artifactCollectionMembership"]


def test_logged_by_used_by_and_run_artifacts(api):
    api.upsert("producer")
    api.upsert("consumer")
    logged = log_version(api, "data", FILES, run="producer")
    used = api.gql(USE_PY, entityName="alice", projectName="proj", runName="consumer",
                   artifactID=logged["id"], usedAs=None)["data"]["useArtifact"]["artifact"]
    assert used["state"] == "COMMITTED" and used["digest"] == logged["digest"]
    # wandb-core's input shape, retried: still one use
    for _ in range(2):
        api.gql(USE_CORE, input={"entityName": "alice", "projectName": "proj",
                                 "runName": "consumer", "artifactID": logged["id"],
                                 "usedAs": None, "artifactEntityName": "alice",
                                 "artifactProjectName": "proj", "clientMutationId": None})

    created_by = api.gql(ARTIFACT_CREATED_BY_GQL, id=logged["id"])["data"]
    creator = ArtifactCreatedBy.model_validate(created_by).artifact.created_by
    assert creator.name == "producer" and creator.project.entity.name == "alice"
    used_by = api.gql(ARTIFACT_USED_BY_GQL, id=logged["id"])["data"]
    assert [e.node.name for e in ArtifactUsedBy.model_validate(used_by).artifact.used_by.edges] \
        == ["consumer"]

    variables = {"entity": "alice", "project": "proj", "cursor": None, "perPage": 100}
    out = api.gql(RUN_OUTPUT_ARTIFACTS_GQL, run="producer", **variables)["data"]
    outputs = RunOutputArtifacts.model_validate(out).project.run.artifacts
    assert outputs.total_count == 1 and outputs.edges[0].node.id == logged["id"]
    assert [a.alias for a in outputs.edges[0].node.aliases] == ["latest"]
    inp = api.gql(RUN_INPUT_ARTIFACTS_GQL, run="consumer", **variables)["data"]
    inputs = RunInputArtifacts.model_validate(inp).project.run.artifacts
    assert [e.node.id for e in inputs.edges] == [logged["id"]]
    assert api.gql(RUN_INPUT_ARTIFACTS_GQL, run="producer", **variables)["data"][
        "project"]["run"]["artifacts"]["totalCount"] == 0

    body = api.gql(USE_PY, expect=404, entityName="alice", projectName="proj",
                   runName="nobody", artifactID=logged["id"], usedAs=None)
    assert "run alice/proj/nobody not found" in body["errors"][0]["message"]


def test_delete_moves_latest_back_and_guards_custom_aliases(api):
    api.upsert("r1")
    v0 = log_version(api, "data", FILES)
    v1 = log_version(api, "data", {"a.txt": b"changed"}, aliases=("prod",))
    body = api.gql(DELETE_ARTIFACT_GQL, expect=400, input={"artifactID": v1["id"],
                                                           "deleteAliases": False})
    assert "prod" in body["errors"][0]["message"]
    assert alias_of(api, "data:latest")["artifact"]["id"] == v1["id"]
    data = api.gql(DELETE_ARTIFACT_GQL, input={"artifactID": v1["id"], "deleteAliases": True})
    assert DeleteArtifact.model_validate(data["data"]).result.artifact.id == v1["id"]
    assert alias_of(api, "data:latest")["artifact"]["id"] == v0["id"]
    assert alias_of(api, "data:v1") is None and alias_of(api, "data:prod") is None
    # deleting again is harmless; a new version gets the next index
    api.gql(DELETE_ARTIFACT_GQL, input={"artifactID": v1["id"], "deleteAliases": True})
    v2 = log_version(api, "data", {"a.txt": b"third"})
    assert alias_of(api, "data:latest")["artifact"]["id"] == v2["id"]
    assert alias_of(api, "data:v2")["artifact"]["id"] == v2["id"]


def test_artifacts_v2_fallback_download_needs_basic_auth(api):
    api.upsert("r1")
    logged = log_version(api, "data", FILES)
    hexhash = hashlib.md5(FILES["a.txt"]).hexdigest()
    birth = logged["id"]
    path = f"/artifactsV2/default/alice/proj/data/{birth}/{hexhash}/a.txt"
    assert api.client.get(path).status_code == 401
    response = api.client.get(path, headers=api.headers())
    assert response.status_code == 200 and response.content == FILES["a.txt"]
    with_id = f"/artifactsV2/default/alice/proj/data/{logged['id']}/{birth}/{hexhash}/a.txt"
    assert api.client.get(with_id, headers=api.headers()).content == FILES["a.txt"]
    other = f"/artifactsV2/default/alice/other/data/{birth}/{hexhash}/a.txt"
    assert api.client.get(other, headers=api.headers()).status_code == 404
    unknown = f"/artifactsV2/default/alice/proj/data/{birth}/{'0' * 32}/a.txt"
    assert api.client.get(unknown, headers=api.headers()).status_code == 404
