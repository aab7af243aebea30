"""Artifacts of a project are reached only by who may reach the project (issue 18, items 3
and 4): a team member without access to a private project neither creates, reads nor moves
aliases there; a guessed id or a known MD5 opens nothing; committed versions are immutable.

The world: team `lab` (admin `lead`), members `carol` and `mallory`. carol's private project
lab/secret holds `data:v0` (secret.txt, aliased `best`), logged by a run whose config holds a
secret; carol's run in the open project lab/public uses it. mallory writes only mallory/own.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from wbserver.app import create_app
from wbserver.config.runtime import SettingsSource
from wbserver.domain import accounts, teams
from wbserver.domain.artifact_storage import content_key, manifest_key
from wbserver.domain.clock import utcnow
from wbserver.domain.projects import upsert_project
from wbserver.domain.sessions import start_session
from wbserver.domain.users import create_api_key
from wbserver.licensing import issue, keygen

from .artifact_flow import (
    COMMIT,
    CREATE_FILES,
    CREATE_MANIFEST,
    UPDATE_MANIFEST,
    USE_CORE,
    local,
    log_version,
    md5_b64,
)
from .conftest import UPSERT, Api

SECRET = b"the launch codes are 0000\n"
SECRET_CONFIG = "hunter2-in-the-config"

CREATE_LEAKY = """mutation CreateArtifact ($input: CreateArtifactInput!) {
  createArtifact(input: $input) { artifact { id state aliases { alias }
    currentManifest { file { directUrl } }
    createdBy { ... on Run { name config } }
    artifactSequence { latestArtifact { id currentManifest { file { directUrl } } } } } }
}"""
BY_ID = """query A($id: ID!) { artifact(id: $id) { id state
  currentManifest { file { directUrl } } createdBy { ... on Run { config } } } }"""
MEMBERSHIP = """query M($e: String!, $p: String!, $name: String!) {
  project(name: $p, entityName: $e) { artifactCollectionMembership(name: $name) {
    id aliases { alias } artifact { id } files { edges { node { name directUrl } } } } } }"""
COLLECTION = """query C($e: String!, $p: String!, $name: String!) {
  project(name: $p, entityName: $e) { artifactCollection(name: $name) { id name } } }"""
RUN_LINEAGE = """query L($e: String!, $p: String!) { project(name: $p, entityName: $e) {
  run(name: "r1") {
    inputArtifacts { totalCount edges { node { id currentManifest { file { directUrl } } } } }
    outputArtifacts { totalCount edges { node { id } } } } } }"""
DELETE = """mutation D($id: ID!) { deleteArtifact(input: {artifactID: $id, deleteAliases: true}) {
  artifact { id } } }"""


class Member(Api):
    """A signed-in user of the world (its Api speaks with its own key)."""

    def run(self, entity: str, project: str, config: dict[str, Any] | None = None) -> None:
        self.gql(UPSERT, name="r1", project=project, entity=entity,
                 config=json.dumps(config or {}))

    def errors(self, query: str, **variables: Any) -> list[str]:
        response = self.client.post("/graphql", json={"query": query, "variables": variables},
                                    headers=self.headers())
        assert response.status_code in (200, 400, 403, 404), response.text
        return [e["message"] for e in response.json().get("errors") or []]


@pytest.fixture
def world(tmp_path, database):
    private, public = keygen()
    license_token = issue(private, subject="t", seats=20, teams=5, features=[],
                          expires_at=datetime.utcnow() + timedelta(days=9))
    environ = {**database, "WBSERVER_LICENSE_PUBLIC_KEYS": public, "LICENSE": license_token}
    app = create_app(SettingsSource(environ=environ, overrides={
        "data_dir": str(tmp_path / "data")}))
    svc = app.state.services
    now = utcnow()
    users = {name: accounts.create_user(svc.store, username=name, email=f"{name}@x.io",
                                        is_admin=False, password_hash=None,
                                        license=svc.license(), now=now)
             for name in ("lead", "carol", "mallory")}
    teams.create_team(svc.store, by=users["lead"], name="lab", license=svc.license(), now=now)
    for name in ("carol", "mallory"):
        teams.set_member(svc.store, by=users["lead"], team="lab", username=name, role="member")
    upsert_project(svc.store, viewer=users["carol"], entity="lab", name="secret",
                   description=None, visibility="private")
    upsert_project(svc.store, viewer=users["carol"], entity="lab", name="public",
                   description=None, visibility="open")
    with TestClient(app) as client:
        apis = {name: Member(client, create_api_key(svc.store, username=name))
                for name in users}
        carol, mallory = apis["carol"], apis["mallory"]
        carol.run("lab", "secret", config={"token": SECRET_CONFIG})
        logged = log_version(carol, "data", {"secret.txt": SECRET}, entity="lab",
                             project="secret", aliases=("best",), client_id="carol-client-1")
        carol.run("lab", "public")
        carol.gql(USE_CORE, input={"artifactID": logged["id"], "entityName": "lab",
                                   "projectName": "public", "runName": "r1"})
        mallory.run("mallory", "own")
        yield {"app": app, "carol": carol, "mallory": mallory, "secret": logged}
    svc.store.close()


def _create_input(*, entity: str, project: str, name: str, digest: str,
                  aliases: tuple[str, ...] = (), client_id: str | None = None) -> dict[str, Any]:
    return {"artifactTypeName": "dataset", "artifactCollectionName": name,
            "entityName": entity, "projectName": project, "runName": "r1", "digest": digest,
            "digestAlgorithm": "MANIFEST_MD5", "clientID": client_id,
            "enableDigestDeduplication": True,
            "aliases": [{"alias": a, "artifactCollectionName": name} for a in aliases]}


def _aliases(api: Member, name: str) -> list[str]:
    found = api.gql(MEMBERSHIP, e="lab", p="secret", name=name)["data"]["project"]
    return sorted(a["alias"] for a in found["artifactCollectionMembership"]["aliases"])


def test_a_member_cannot_create_read_or_move_aliases_in_a_private_project(world):
    carol, mallory, secret = world["carol"], world["mallory"], world["secret"]
    # the same digest in carol's collection: no new version, and no answer to read either
    for attempt in (_create_input(entity="lab", project="secret", name="data",
                                  digest=secret["digest"], aliases=("latest", "mallory")),
                    _create_input(entity="lab", project="secret", name="planted",
                                  digest="0" * 32)):
        response = mallory.client.post("/graphql", headers=mallory.headers(), json={
            "query": CREATE_LEAKY, "variables": {"input": attempt}})
        assert SECRET_CONFIG not in response.text and "storage/" not in response.text
        body = response.json()
        assert body.get("data") in (None, {"createArtifact": None}), body
        assert "not found" in body["errors"][0]["message"]
    assert _aliases(carol, "data:v0") == ["best", "latest"]  # no alias moved
    assert carol.gql(COLLECTION, e="lab", p="secret", name="planted")[
        "data"]["project"]["artifactCollection"] is None
    # mallory sees nothing of the project
    assert mallory.gql(MEMBERSHIP, e="lab", p="secret", name="data:v0")["data"]["project"] is None

    # a client id of carol's version, sent for mallory's own project, opens nothing either
    response = mallory.client.post("/graphql", headers=mallory.headers(), json={
        "query": CREATE_LEAKY, "variables": {"input": _create_input(
            entity="mallory", project="own", name="data", digest=secret["digest"],
            client_id="carol-client-1")}})
    assert SECRET_CONFIG not in response.text and "storage/" not in response.text
    assert response.json()["errors"] and secret["id"] not in response.text

    # nor do the artifact pages show (or delete) anything of it
    store = world["app"].state.services.store
    signed = start_session(store, user=store.get_user_by_name("mallory"), now=utcnow(),
                           session_hours=1)
    mallory.client.cookies.set("wbserver_session", signed.token)
    for path in ("/lab/secret/artifacts", "/lab/secret/artifacts/dataset/data",
                 "/lab/secret/artifacts/dataset/data/v0"):
        page = mallory.client.get(path)
        assert page.status_code == 404 and "secret.txt" not in page.text, path
    mallory.client.cookies.clear()

    # carol (who writes the project) still logs there
    logged = log_version(carol, "data", {"secret.txt": SECRET, "more.txt": b"more"},
                         entity="lab", project="secret")
    assert logged["state"] == "PENDING"


def test_guessed_artifact_ids_read_and_write_nothing(world):
    carol, mallory, secret = world["carol"], world["mallory"], world["secret"]
    number = int(base64.b64decode(secret["id"]).decode().split(":")[1])
    pending = log_version(carol, "draft", {"d.txt": b"draft"}, entity="lab", project="secret",
                          put_manifest=False, commit=False)
    for n in range(1, number + 3):
        guess = base64.b64encode(f"Artifact:{n}".encode()).decode()
        assert mallory.gql(BY_ID, id=guess)["data"]["artifact"] is None
    manifest_id = base64.b64encode(
        f"ArtifactManifest:{base64.b64decode(pending['id']).decode().split(':')[1]}".encode()
    ).decode()
    attempts = [
        (CREATE_MANIFEST, {"artifactID": pending["id"], "baseArtifactID": None,
                           "name": "wandb_manifest.json", "digest": "x", "entityName": "lab",
                           "projectName": "secret", "runName": "r1", "manifestType": "FULL",
                           "includeUpload": True}),
        (UPDATE_MANIFEST, {"artifactManifestID": manifest_id, "digest": "x",
                           "baseArtifactID": None, "includeUpload": True}),
        (CREATE_FILES, {"input": {"storageLayout": "V2", "artifactFiles": [
            {"artifactID": pending["id"], "name": "x.txt", "md5": md5_b64(b"x")}]}}),
        (COMMIT, {"artifactID": pending["id"]}),
        (DELETE, {"id": secret["id"]}),
        (USE_CORE, {"input": {"artifactID": secret["id"], "entityName": "mallory",
                              "projectName": "own", "runName": "r1"}}),
    ]
    for query, variables in attempts:
        errors = mallory.errors(query, **variables)
        assert errors and "not found" in errors[0], (query, errors)
    assert carol.gql(BY_ID, id=secret["id"])["data"]["artifact"]["state"] == "COMMITTED"


def test_lineage_shows_only_versions_the_reader_may_see(world):
    carol, mallory, secret = world["carol"], world["mallory"], world["secret"]
    # carol sees her run in the open project use the secret version ...
    run = carol.gql(RUN_LINEAGE, e="lab", p="public")["data"]["project"]["run"]
    assert [e["node"]["id"] for e in run["inputArtifacts"]["edges"]] == [secret["id"]]
    # ... mallory reads that open project too, but not the private version it used
    response = mallory.client.post("/graphql", headers=mallory.headers(), json={
        "query": RUN_LINEAGE, "variables": {"e": "lab", "p": "public"}})
    run = response.json()["data"]["project"]["run"]
    assert run["inputArtifacts"]["edges"] == [] and run["inputArtifacts"]["totalCount"] == 0
    assert secret["id"] not in response.text and "storage/" not in response.text
    # the run's page too lists only what its reader may see
    for name, shown in (("carol", True), ("mallory", False)):
        user = world["app"].state.services.store.get_user_by_name(name)
        signed = start_session(world["app"].state.services.store, user=user, now=utcnow(),
                               session_hours=1)
        carol.client.cookies.set("wbserver_session", signed.token)
        page = carol.client.get("/lab/public/runs/r1")
        assert page.status_code == 200
        assert ("/lab/secret/artifacts/dataset/data/v0" in page.text) is shown, name


def test_knowing_an_md5_reads_no_bytes(world):
    app, mallory = world["app"], world["mallory"]
    md5 = md5_b64(SECRET)
    # announcing the content gets an upload URL (never "stored already") to a staging key
    probe = log_version(mallory, "loot", {"loot.txt": SECRET}, entity="mallory",
                        project="own", upload=False, commit=False)
    edge = probe["edges"][0]
    assert edge["uploadUrl"] and edge["storagePath"] != content_key(
        md5_hex(SECRET), app.state.services.store.artifact_layout())
    assert edge["artifact"]["id"] == probe["id"]  # born here, not in carol's version
    # committing a manifest that names the content, without its bytes, is refused
    errors = mallory.errors(COMMIT, artifactID=probe["id"])
    assert errors and "were not uploaded: loot.txt" in errors[0]
    # ... as is a manifest that names it without ever announcing it
    blind = log_version(mallory, "blind", {}, entity="mallory", project="own", commit=False)
    blind_manifest = json.dumps({"version": 1, "contents": {"loot.txt": {
        "digest": md5, "size": len(SECRET)}}}).encode()
    url = mallory.gql(CREATE_MANIFEST, artifactID=blind["id"], baseArtifactID=None,
                      name="wandb_manifest.json", digest=md5_b64(blind_manifest),
                      entityName="mallory", projectName="own", runName="r1",
                      manifestType="FULL", includeUpload=True)[
        "data"]["createArtifactManifest"]["artifactManifest"]["file"]["uploadUrl"]
    assert mallory.client.put(local(url), content=blind_manifest).status_code == 200
    errors = mallory.errors(COMMIT, artifactID=blind["id"])
    assert errors and "were not uploaded: loot.txt" in errors[0]
    # other bytes in the staging key prove nothing
    assert mallory.client.put(local(edge["uploadUrl"]), content=b"guess").status_code == 200
    assert mallory.errors(COMMIT, artifactID=probe["id"])
    # nothing readable came of it, through GraphQL or the /artifactsV2 fallback
    for name in ("loot:latest", "blind:latest"):
        found = mallory.gql(MEMBERSHIP, e="mallory", p="own", name=name)["data"]["project"]
        assert found["artifactCollectionMembership"] is None
    fallback = mallory.client.get(
        f"/artifactsV2/default/mallory/own/loot/{probe['id']}/{md5_hex(SECRET)}/loot.txt",
        headers=mallory.headers())
    assert fallback.status_code == 404 and SECRET not in fallback.content

    # who has the bytes uploads them and logs the version; storage keeps one copy
    assert mallory.client.put(local(edge["uploadUrl"]), content=SECRET).status_code == 200
    mallory.gql(COMMIT, artifactID=probe["id"])
    files = mallory.gql(MEMBERSHIP, e="mallory", p="own", name="loot:latest")[
        "data"]["project"]["artifactCollectionMembership"]["files"]["edges"]
    assert mallory.client.get(local(files[0]["node"]["directUrl"])).content == SECRET
    blobs = app.state.services.blobs
    assert blobs.local_path(edge["storagePath"]) is None  # the staged copy is gone


def test_a_version_older_than_the_content_gets_no_pass_to_it(world):
    """Content first stored after a version was created is that version's own upload only
    if the version announced it before: a pending version kept for later opens nothing."""
    carol, mallory = world["carol"], world["mallory"]
    waiting = log_version(mallory, "waiting", {}, entity="mallory", project="own",
                          put_manifest=False, commit=False)
    fresh = b"carol's new secret, stored after mallory's version was made\n"
    log_version(carol, "later", {"new.txt": fresh}, entity="lab", project="secret")
    manifest = json.dumps({"version": 1, "contents": {"new.txt": {
        "digest": md5_b64(fresh), "size": len(fresh)}}}).encode()
    url = mallory.gql(CREATE_MANIFEST, artifactID=waiting["id"], baseArtifactID=None,
                      name="wandb_manifest.json", digest=md5_b64(manifest),
                      entityName="mallory", projectName="own", runName="r1",
                      manifestType="FULL", includeUpload=True)[
        "data"]["createArtifactManifest"]["artifactManifest"]["file"]["uploadUrl"]
    assert mallory.client.put(local(url), content=manifest).status_code == 200
    errors = mallory.errors(COMMIT, artifactID=waiting["id"])
    assert errors and "were not uploaded: new.txt" in errors[0]


def test_committed_versions_are_immutable(world):
    app, mallory = world["app"], world["mallory"]
    logged = log_version(mallory, "data", {"a.txt": b"alpha"}, entity="mallory",
                         project="own")
    number = int(base64.b64decode(logged["id"]).decode().split(":")[1])
    blobs = app.state.services.blobs
    # the manifest URL handed out before the commit writes nothing any more
    forged = json.dumps({"version": 1, "contents": {}}).encode()
    response = mallory.client.put(local(logged["manifest_url"]), content=forged)
    assert response.status_code == 400 and "immutable" in response.text
    assert blobs.local_path(f"artifacts/manifests/{number}/upload/wandb_manifest.json") is None
    assert b"".join(blobs.open_read(manifest_key(number))) == logged["manifest"]
    # and no new manifest URL, no new file, for the committed version
    manifest_vars = {"artifactID": logged["id"], "baseArtifactID": None,
                     "name": "wandb_manifest.json", "digest": md5_b64(forged),
                     "entityName": "mallory", "projectName": "own", "runName": "r1",
                     "manifestType": "FULL", "includeUpload": True}
    errors = mallory.errors(CREATE_MANIFEST, **manifest_vars)
    assert errors and "committed versions are immutable" in errors[0]
    manifest_id = base64.b64encode(f"ArtifactManifest:{number}".encode()).decode()
    errors = mallory.errors(UPDATE_MANIFEST, artifactManifestID=manifest_id,
                            digest=md5_b64(forged), baseArtifactID=None, includeUpload=True)
    assert errors and "committed versions are immutable" in errors[0]
    errors = mallory.errors(CREATE_FILES, input={"storageLayout": "V2", "artifactFiles": [
        {"artifactID": logged["id"], "name": "b.txt", "md5": md5_b64(b"bravo")}]})
    assert errors and "committed versions are immutable" in errors[0]
    # a file PUT with the version's old URL changes no byte
    file_url = local(logged["edges"][0]["uploadUrl"])
    assert mallory.client.put(file_url, content=b"rewritten").status_code == 400
    found = mallory.gql(MEMBERSHIP, e="mallory", p="own", name="data:v0")[
        "data"]["project"]["artifactCollectionMembership"]
    assert [e["node"]["name"] for e in found["files"]["edges"]] == ["a.txt"]
    assert mallory.client.get(local(found["files"]["edges"][0]["node"]["directUrl"])
                              ).content == b"alpha"
    # a new version is how content changes (the client never rewrites a committed one)
    again = log_version(mallory, "data", {"a.txt": b"alpha, v1"}, entity="mallory",
                        project="own")
    assert again["state"] == "PENDING" and again["id"] != logged["id"]


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()
