"""Who may read and write what, through GraphQL, file_stream and file downloads."""

import base64
import json
from datetime import datetime, timedelta

import pytest
from starlette.testclient import TestClient

from wbserver.app import create_app
from wbserver.config.runtime import SettingsSource
from wbserver.domain import accounts, teams
from wbserver.domain.clock import utcnow
from wbserver.domain.projects import upsert_project
from wbserver.domain.users import create_api_key
from wbserver.licensing import issue, keygen

ROLES = ("anonymous", "tviewer", "tmember", "tadmin", "other", "siteadmin", "owner")
# (entity, project, visibility, creator) -> who reads / who writes
PROJECTS = {
    "alice-private": ("alice", "mine", "private", "owner"),
    "team": ("lab", "shared", "team", "tadmin"),
    "open": ("lab", "public", "open", "tadmin"),
    "team-private": ("lab", "secret", "private", "tmember"),
}
READERS = {
    "alice-private": {"siteadmin", "owner"},
    "team": {"tviewer", "tmember", "tadmin", "siteadmin"},
    "open": {"tviewer", "tmember", "tadmin", "siteadmin", "other", "owner"},
    "team-private": {"tmember", "tadmin", "siteadmin"},
}
WRITERS = {
    "alice-private": {"siteadmin", "owner"},
    "team": {"tmember", "tadmin", "siteadmin"},
    "open": {"tmember", "tadmin", "siteadmin"},
    "team-private": {"tmember", "tadmin", "siteadmin"},
}
RUN_QUERY = """query R($e: String!, $p: String!) { project(name: $p, entityName: $e) {
  run(name: "r1") { name historyKeys sampledHistory(specs: ["{\\"keys\\":[\\"loss\\"]}"])
  files { edges { node { name url } } } } } }"""
WRITE = """mutation W($e: String!, $p: String!) { upsertBucket(input: {name: "r2", modelName: $p,
  entityName: $e}) { bucket { id } } }"""


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Users in every role, a team, projects of every visibility, a run with a file in each."""
    private, public = keygen()
    license_token = issue(private, subject="t", seats=20, teams=5, features=[],
                          expires_at=datetime.utcnow() + timedelta(days=9))
    environ = {"WBSERVER_LICENSE_PUBLIC_KEYS": public, "LICENSE": license_token}
    app = create_app(SettingsSource(environ=environ, overrides={
        "data_dir": str(tmp_path_factory.mktemp("matrix"))}))
    svc = app.state.services
    now = utcnow()
    users = {}
    for name, role in (("alice", "owner"), ("siteadmin", "siteadmin"), ("tadmin", "tadmin"),
                       ("tmember", "tmember"), ("tviewer", "tviewer"), ("other", "other")):
        users[role] = accounts.create_user(svc.store, username=name, email=f"{name}@x.io",
                                           is_admin=role == "siteadmin", password_hash=None,
                                           license=svc.license(), now=now)
    teams.create_team(svc.store, by=users["tadmin"], name="lab", license=svc.license(), now=now)
    teams.set_member(svc.store, by=users["tadmin"], team="lab", username="tmember", role="member")
    teams.set_member(svc.store, by=users["tadmin"], team="lab", username="tviewer", role="viewer")
    keys = {role: create_api_key(svc.store, username=u.username) for role, u in users.items()}
    with TestClient(app) as client:
        for entity, project, visibility, creator in PROJECTS.values():
            upsert_project(svc.store, viewer=users[creator], entity=entity, name=project,
                           description=None, visibility=visibility)
            headers = auth(keys[creator])
            body = {"query": WRITE.replace("r2", "r1"), "variables": {"e": entity, "p": project}}
            assert client.post("/graphql", json=body, headers=headers).status_code == 200
            stream = {"files": {"wandb-history.jsonl": {"offset": 0, "content": [
                json.dumps({"_step": 0, "loss": 1.0})]}}}
            assert client.post(f"/files/{entity}/{project}/r1/file_stream", json=stream,
                               headers=headers).status_code == 200
            files = {"query": 'mutation F($e: String!, $p: String!) { createRunFiles(input: '
                     '{entityName: $e, projectName: $p, runName: "r1", files: ["a.txt"]}) '
                     '{ files { uploadUrl } } }', "variables": {"e": entity, "p": project}}
            url = client.post("/graphql", json=files, headers=headers).json()
            upload = url["data"]["createRunFiles"]["files"][0]["uploadUrl"]
            assert client.put(upload.replace("http://testserver", ""), content=b"hi").status_code == 200
        yield client, keys
    svc.store.close()


def auth(key):
    return {"Authorization": "Basic " + base64.b64encode(f"api:{key}".encode()).decode()}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("resource", sorted(PROJECTS))
def test_reads(world, role, resource):
    client, keys = world
    entity, project, _vis, _creator = PROJECTS[resource]
    headers = auth(keys[role]) if role != "anonymous" else {}
    response = client.post("/graphql", json={"query": RUN_QUERY,
                                             "variables": {"e": entity, "p": project}},
                           headers=headers)
    download = client.get(f"/files/{entity}/{project}/r1/a.txt", headers=headers)
    if role == "anonymous":
        assert response.status_code == 401 and download.status_code == 401
        return
    run = (response.json()["data"]["project"] or {}).get("run")
    if role in READERS[resource]:
        assert run is not None and run["sampledHistory"] == [[{"loss": 1.0}]]
        assert [e["node"]["name"] for e in run["files"]["edges"]] == ["a.txt"]
        assert download.status_code == 200 and download.content == b"hi"
    else:
        assert response.json()["data"]["project"] is None, f"{role} must not see {resource}"
        assert download.status_code == 404


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("resource", sorted(PROJECTS))
def test_writes(world, role, resource):
    client, keys = world
    entity, project, _vis, _creator = PROJECTS[resource]
    headers = auth(keys[role]) if role != "anonymous" else {}
    response = client.post("/graphql", json={"query": WRITE, "variables": {"e": entity, "p": project}},
                           headers=headers)
    stream = client.post(f"/files/{entity}/{project}/r1/file_stream", json={}, headers=headers)
    if role == "anonymous":
        assert response.status_code == 401 and stream.status_code == 401
    elif role in WRITERS[resource]:
        assert response.status_code == 200, response.text
        assert stream.status_code == 200
    else:
        assert response.status_code in (403, 404), response.text
        assert stream.status_code in (403, 404)
        expected = 403 if role in READERS[resource] else 404
        assert response.status_code == expected and stream.status_code == expected


@pytest.mark.parametrize("role", ROLES)
def test_server_settings_are_for_site_admins_only(world, role):
    client, keys = world
    headers = auth(keys[role]) if role != "anonymous" else {}
    response = client.post("/graphql", json={"query": "{ serverSettings { envVar locked } }"},
                           headers=headers)
    if role == "siteadmin":
        assert response.status_code == 200
        assert {"envVar": "LICENSE", "locked": True} in response.json()["data"]["serverSettings"]
    else:
        assert response.status_code in (401, 403)
