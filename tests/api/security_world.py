"""A server with a user in every identity the access tests name, a team, and a project of each
visibility holding a run (history, a file) and a committed artifact. Built through the real
app, in process; shared by tests/api/test_access_matrix.py and the security tests."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from starlette.testclient import TestClient

from tests.mariadb import fresh_database
from wbserver.app import create_app
from wbserver.config.runtime import SettingsSource
from wbserver.domain import accounts, teams
from wbserver.domain.clock import utcnow
from wbserver.domain.models import User
from wbserver.domain.projects import upsert_project
from wbserver.domain.sessions import sign_out, start_session
from wbserver.domain.users import create_api_key
from wbserver.licensing import issue, keygen

# who asks: no credentials, an unknown key, a revoked key (of a team member), a deactivated
# user (a team member), a signed-in user outside the team, the team's viewer and member, the
# owner (the team's admin, who made every project) and a site admin
IDENTITIES = ("anonymous", "garbage_key", "revoked_key", "deactivated", "non_member",
              "team_viewer", "team_member", "owner", "site_admin")
UNAUTHENTICATED = frozenset({"anonymous", "garbage_key", "revoked_key", "deactivated"})
TEAM = "lab"
# visibility -> (entity, project)
PROJECTS = {"private": (TEAM, "secret"), "team": (TEAM, "shared"), "open": (TEAM, "public")}
USERS = {"owner": "olivia", "site_admin": "sam", "team_member": "mia", "team_viewer": "vic",
         "non_member": "nora", "revoked_key": "rick", "deactivated": "dora", "invitee": "ivy"}

UPSERT = """mutation U($e: String, $p: String, $n: String) {
  upsertBucket(input: {entityName: $e, modelName: $p, name: $n}) { bucket { id name } } }"""
CREATE_RUN_FILES = """mutation F($e: String!, $p: String!, $r: String!, $files: [String!]!) {
  createRunFiles(input: {entityName: $e, projectName: $p, runName: $r, files: $files}) {
    runID files { name uploadUrl } } }"""
CREATE_ARTIFACT = """mutation A($input: CreateArtifactInput!) {
  createArtifact(input: $input) { artifact { id state } } }"""
CREATE_MANIFEST = """mutation M($id: ID!, $e: String!, $p: String!, $digest: String!) {
  createArtifactManifest(input: {artifactID: $id, name: "wandb_manifest.json", digest: $digest,
    entityName: $e, projectName: $p, runName: "r1", type: FULL}) {
    artifactManifest { id file { uploadUrl } } } }"""
CREATE_ARTIFACT_FILES = """mutation C($input: CreateArtifactFilesInput!) {
  createArtifactFiles(input: $input) { files { edges { node { storagePath uploadUrl } } } } }"""
COMMIT = """mutation K($id: ID!) { commitArtifact(input: {artifactID: $id}) { artifact { id } } }"""


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"api:{key}".encode()).decode()}


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


@dataclass
class Version:
    """An artifact version: its GraphQL id, the bytes of its one file and their storage key."""
    id: str
    content: bytes
    storage_path: str
    client_id: str
    name: str


@dataclass
class World:
    app: Any
    client: TestClient
    users: dict[str, User]
    keys: dict[str, str] = field(default_factory=dict)  # identity -> API key (Basic auth)
    sessions: dict[str, tuple[str, str]] = field(default_factory=dict)  # -> (cookie, csrf)
    run_ids: dict[str, str] = field(default_factory=dict)  # visibility -> r1's GraphQL id
    versions: dict[str, Version] = field(default_factory=dict)  # visibility -> committed v0
    pending: dict[str, Version] = field(default_factory=dict)  # visibility -> uncommitted
    signed_put: dict[str, str] = field(default_factory=dict)  # visibility -> a run file's PUT
    signed_get: dict[str, str] = field(default_factory=dict)  # visibility -> a.txt's GET

    @property
    def store(self) -> Any:
        return self.app.state.services.store

    def headers(self, identity: str) -> dict[str, str]:
        key = self.keys.get(identity)
        return basic(key) if key else {}

    def cookies(self, identity: str) -> dict[str, str]:
        found = self.sessions.get(identity)
        return {"wbserver_session": found[0]} if found else {}

    def csrf(self, identity: str) -> str:
        found = self.sessions.get(identity)
        return found[1] if found else "no-token"

    def gql(self, identity: str, query: str, **variables: Any) -> httpx.Response:
        return self.client.post("/graphql", json={"query": query, "variables": variables},
                                headers=self.headers(identity))

    def ok(self, identity: str, query: str, **variables: Any) -> dict[str, Any]:
        response = self.gql(identity, query, **variables)
        assert response.status_code == 200 and "errors" not in response.json(), response.text
        return response.json()["data"]  # type: ignore[no-any-return]

    def page(self, identity: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        self.client.cookies.clear()
        for name, value in self.cookies(identity).items():
            self.client.cookies.set(name, value)
        try:
            return self.client.request(method, path, follow_redirects=False, **kwargs)
        finally:
            self.client.cookies.clear()

    def log_version(self, visibility: str, *, commit: bool = True, identity: str = "owner",
                    name: str = "data") -> Version:
        """A version of `name` holding one new file, logged the way wandb-core does."""
        entity, project = PROJECTS[visibility]
        content, client_id = secrets.token_bytes(16), secrets.token_hex(16)
        created = self.ok(identity, CREATE_ARTIFACT, input={
            "artifactTypeName": "dataset", "artifactCollectionName": name, "entityName": entity,
            "projectName": project, "runName": "r1", "digest": secrets.token_hex(16),
            "clientID": client_id, "sequenceClientID": secrets.token_hex(16),
            "aliases": [{"alias": "latest", "artifactCollectionName": name}]})
        artifact_id = created["createArtifact"]["artifact"]["id"]
        node = self.ok(identity, CREATE_ARTIFACT_FILES, input={"artifactFiles": [
            {"artifactID": artifact_id, "name": "f.bin", "md5": md5_b64(content)}]},
        )["createArtifactFiles"]["files"]["edges"][0]["node"]
        if node["uploadUrl"]:
            assert self.client.put(local(node["uploadUrl"]), content=content).status_code == 200
        manifest = json.dumps({"version": 1, "storagePolicy": "wandb-storage-policy-v1",
                               "storagePolicyConfig": {"storageLayout": "V2"},
                               "contents": {"f.bin": {"digest": md5_b64(content),
                                                      "size": len(content)}}}).encode()
        upload = self.ok(identity, CREATE_MANIFEST, id=artifact_id, e=entity, p=project,
                         digest=md5_b64(manifest))["createArtifactManifest"]
        assert self.client.put(local(upload["artifactManifest"]["file"]["uploadUrl"]),
                               content=manifest).status_code == 200
        if commit:
            self.ok(identity, COMMIT, id=artifact_id)
        return Version(id=artifact_id, content=content, storage_path=node["storagePath"],
                       client_id=client_id, name=name)


def make_app(data_dir: str, environ: dict[str, str] | None = None) -> Any:
    private, public = keygen()
    token = issue(private, subject="t", seats=50, teams=50, features=[],
                  expires_at=datetime.utcnow() + timedelta(days=9))
    env = {"WBSERVER_LICENSE_PUBLIC_KEYS": public, "LICENSE": token, **(environ or {})}
    return create_app(SettingsSource(environ=env, overrides={"data_dir": data_dir}))


def build_world(app: Any, client: TestClient) -> World:
    svc = app.state.services
    store, now = svc.store, utcnow()
    users = {identity: accounts.create_user(
        store, username=name, email=f"{name}@example.com", is_admin=identity == "site_admin",
        password_hash=None, license=svc.license(), now=now) for identity, name in USERS.items()}
    world = World(app=app, client=client, users=users)
    teams.create_team(store, by=users["owner"], name=TEAM, license=svc.license(), now=now)
    for identity, role in (("team_member", "member"), ("team_viewer", "viewer"),
                           ("revoked_key", "member"), ("deactivated", "member")):
        teams.set_member(store, by=users["owner"], team=TEAM, username=USERS[identity],
                         role=role)
    for identity, user in users.items():
        world.keys[identity] = create_api_key(store, username=user.username)
        signed_in = start_session(store, user=user, now=now, session_hours=1)
        world.sessions[identity] = (signed_in.token, signed_in.csrf_token)
    world.keys["garbage_key"] = "x" * 40
    world.sessions["garbage_key"] = (secrets.token_urlsafe(32), "no-token")
    for visibility, (entity, project) in PROJECTS.items():
        upsert_project(store, viewer=users["owner"], entity=entity, name=project,
                       description=None, visibility=visibility)
        bucket = world.ok("owner", UPSERT, e=entity, p=project, n="r1")["upsertBucket"]
        world.run_ids[visibility] = bucket["bucket"]["id"]
        stream = {"files": {"wandb-history.jsonl": {"offset": 0, "content": [
            json.dumps({"_step": 0, "loss": 1.0})]}}}
        assert client.post(f"/files/{entity}/{project}/r1/file_stream", json=stream,
                           headers=world.headers("owner")).status_code == 200
        target = world.ok("owner", CREATE_RUN_FILES, e=entity, p=project, r="r1",
                          files=["a.txt"])["createRunFiles"]["files"][0]
        assert client.put(local(target["uploadUrl"]), content=b"hi").status_code == 200
        world.versions[visibility] = world.log_version(visibility)
    # the revoked key and the deactivated user had working credentials until now
    rick = users["revoked_key"]
    store.revoke_api_key(user_id=rick.id, key_id=store.list_api_keys(rick.id)[-1].id)
    sign_out(store, world.sessions["revoked_key"][0])
    accounts.set_active(store, username=USERS["deactivated"], active=False,
                        license=svc.license(), now=now)
    return world


@contextmanager
def database_environ(kind: str) -> Iterator[dict[str, str]]:
    """The environment of an app on `kind` ("sqlite", or a fresh MariaDB database): the
    module-scoped twin of the `database` fixture of conftest.py."""
    if kind == "sqlite":
        yield {}
        return
    with fresh_database() as uri:
        yield {"MYSQL": uri}


@contextmanager
def world_on(kind: str, data_dir: str) -> Iterator[World]:
    with database_environ(kind) as environ:
        app = make_app(data_dir, environ)
        try:
            with TestClient(app) as client:
                yield build_world(app, client)
        finally:
            app.state.services.store.close()
