"""`wbserver export` / `import` in process, on SQLite and MariaDB: a copy of a project under
another entity of the same server (its runs, files, artifacts and its readers' saved
workspace layouts), and the refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.postgres import on_every_database
from wbserver.cli import main
from wbserver.domain.users import create_api_key, create_user

from .artifact_flow import log_version
from .conftest import Api
from .test_backup import HISTORY, LAYOUT, _env, _keys, _layout, _log, _save_layout
from .test_sweeps import AGENT as SWEEP_AGENT, UPSERT as SWEEP_UPSERT

COPY = HISTORY.replace('entityName: "alice"', 'entityName: "bob"')
LINK = """mutation L($id: ID!) { linkArtifact(input: {artifactID: $id, artifactPortfolioName: "pf",
  entityName: "alice", projectName: "proj", aliases: [{alias: "prod",
  artifactCollectionName: "pf"}]}) { versionIndex } }"""
SWEEP_CONFIG = "method: random\nmetric: {name: loss, goal: minimize}\nparameters:\n  lr: {values: [0.1, 0.01]}\n"
SWEEP = """query S($e: String!, $s: String!) { project(name: "proj", entityName: $e) {
  sweep(sweepName: $s) { name state method config } } }"""
LINKED = """query M($e: String!) { project(entityName: $e, name: "proj") {
  artifactCollectionMembership(name: "pf:prod") { versionIndex artifact { digest } } } }"""


@on_every_database()
def test_a_copy_under_another_entity_reads_the_same(app, api: Api, database: dict[str, str],
                                                   tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    _log(api)
    _save_layout(api)
    sweep = api.gql(SWEEP_UPSERT, e="alice", p="proj", c=SWEEP_CONFIG)["data"]["upsertSweep"]
    assert api.gql(SWEEP_AGENT, s=sweep["sweep"]["name"])["data"]["createAgent"]["agent"]["id"]
    swept = api.gql(SWEEP, e="alice", s=sweep["sweep"]["name"])["data"]["project"]["sweep"]
    logged = log_version(api, "ds", {"a.txt": b"linked\n"})
    api.gql(LINK, id=logged["id"])
    linked = api.gql(LINKED, e="alice")["data"]["project"]["artifactCollectionMembership"]
    assert linked["versionIndex"] == 0
    before = api.gql(HISTORY)["data"]["project"]["run"]
    _env(monkeypatch, database)
    data = ["--data-dir", str(tmp_path / "data"), "--quiet"]
    out = tmp_path / "export"
    assert main(["export", "--project", "alice/nothing", str(out), *data]) == 1
    assert "there is no project alice/nothing" in capsys.readouterr().err
    assert main(["export", "--project", "alice/proj", str(out), *data]) == 0
    assert main(["import", str(out), "--entity", "bob", *data]) == 1
    assert "there is no entity bob" in capsys.readouterr().err
    store = app.state.services.store
    create_user(store, username="bob", email="bob@example.com", is_admin=False)
    assert main(["import", str(out), "--entity", "bob", *data]) == 0
    assert main(["import", str(out), "--entity", "bob", *data]) == 1
    assert "bob/proj already exists" in capsys.readouterr().err
    bob = Api(api.client, create_api_key(store, username="bob"))
    after = bob.gql(COPY)["data"]["project"]["run"]
    assert after == before
    assert bob.gql(LINKED, e="bob")["data"]["project"]["artifactCollectionMembership"] == linked
    name = after["files"]["edges"][0]["node"]["name"]
    with TestClient(app) as client:
        assert client.get(f"/files/bob/proj/r1/{name}",
                          headers=bob.headers()).content == b"some notes\n"
    assert api.gql(HISTORY)["data"]["project"]["run"] == before  # the original is untouched
    # alice's saved workspace of the project came along (she is a user here too)
    assert _layout(store, "bob") == _layout(store, "alice") == LAYOUT
    # the key index is rebuilt from the imported runs (never exported)
    assert _keys(store, "bob") == _keys(store, "alice")
    assert _keys(store, "bob")[("metric", "loss")] == 1
    assert bob.gql(SWEEP, e="bob", s=swept["name"])["data"]["project"]["sweep"] == swept
