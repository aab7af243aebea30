"""`wbserver backup` / `restore` on SQLite, MariaDB and PostgreSQL: a round trip keeps runs,
history, files and saved workspace layouts; verify catches a damaged backup; restore refuses a
target that is not empty."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.mariadb import fresh_database as fresh_mariadb
from tests.postgres import fresh_database as fresh_postgres, on_every_database
from wbserver.app import create_app
from wbserver.cli import main
from wbserver.config.runtime import SettingsSource
from wbserver.domain.backup_manifest import Manifest
from wbserver.domain.workspace import save_layout

from .conftest import Api

pytestmark = on_every_database()


def _log(api: Api) -> None:
    api.upsert("r1", config=json.dumps({"lr": {"value": 0.1}}))
    rows = [json.dumps({"loss": 1 / (i + 1), "_step": i}) for i in range(30)]
    api.stream("r1", {"files": {"wandb-history.jsonl": {"offset": 0, "content": rows}}})
    query = """mutation($run: String!) { createRunFiles(input: {entityName: "alice",
      projectName: "proj", runName: $run, files: ["notes.txt"]}) { files { name uploadUrl } } }"""
    url = api.gql(query, run="r1")["data"]["createRunFiles"]["files"][0]["uploadUrl"]
    path = url.split("://", 1)[1].split("/", 1)[1]
    assert api.client.put("/" + path, content=b"some notes\n").status_code in (200, 201)


def _keys(store, entity: str) -> dict[tuple[str, str], int]:
    """The project key index of ENTITY/proj (domain/project_keys.py)."""
    _owner, project = store.get_entity_and_project(entity, "proj")
    return {(k.kind, k.key): k.runs for k in store.project_keys(project.id)}


LAYOUT = {"version": 1, "smoothing": 0.4, "visible": ["r1"], "collapsed": ["system"],
          "panels": [{"id": "c1", "kind": "line", "section": "custom", "keys": ["loss"]}]}


def _save_layout(api: Api) -> None:
    """alice's saved workspace of alice/proj (the workspace_layouts table)."""
    store = api.client.app.state.services.store
    save_layout(store, viewer=store.get_user_by_name("alice"), entity="alice", project="proj",
                body=json.dumps(LAYOUT).encode())


def _layout(store: Any, entity: str) -> Any:
    project = store.get_project(entity, "proj")
    saved = store.workspace_layout(store.get_user_by_name("alice").id, project.id)
    return json.loads(saved) if saved else None


HISTORY = """query { project(name: "proj", entityName: "alice") { run(name: "r1") {
  historyLineCount history(samples: 100) files { edges { node { name sizeBytes md5 } } } } } }"""


def _env(monkeypatch: pytest.MonkeyPatch, database: dict[str, str]) -> None:
    monkeypatch.delenv("MYSQL", raising=False)
    monkeypatch.delenv("POSTGRES", raising=False)
    monkeypatch.delenv("WBSERVER_SECRET_KEY", raising=False)
    for name, value in database.items():
        monkeypatch.setenv(name, value)


@contextmanager
def _restore_target(database: dict[str, str],
                    monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The environment of the restore's target: a fresh database on the same server."""
    for name, fresh in (("MYSQL", fresh_mariadb), ("POSTGRES", fresh_postgres)):
        if name in database:
            with fresh("wbrestore_") as uri:
                monkeypatch.setenv(name, uri)
                yield {name: uri}
            return
    yield {}


def test_round_trip_verify_and_refusals(api: Api, database: dict[str, str], tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _log(api)
    _save_layout(api)
    before = api.gql(HISTORY)["data"]["project"]["run"]
    assert before["historyLineCount"] == 30 and before["files"]["edges"]
    _env(monkeypatch, database)
    backup = tmp_path / "backup"
    assert main(["backup", str(backup), "--data-dir", str(tmp_path / "data"), "--quiet"]) == 0
    assert main(["backup", "--verify", str(backup), "--quiet"]) == 0
    assert (backup / "secret.key").read_text() == (tmp_path / "data" / "secret.key").read_text()

    target = tmp_path / "restored"
    with _restore_target(database, monkeypatch) as restore_env:
        assert main(["restore", str(backup), "--data-dir", str(target), "--quiet"]) == 0
        # the target now holds a server: a second restore is refused, unless --force
        assert main(["restore", str(backup), "--data-dir", str(target), "--quiet"]) == 1
        assert main(["restore", str(backup), "--data-dir", str(target), "--quiet",
                     "--force"]) == 0
        source = SettingsSource(environ=restore_env, overrides={"data_dir": str(target)})
        app = create_app(source)
        try:
            with TestClient(app) as client:
                restored = Api(client, api.key)  # the restored database holds alice's key
                after = restored.gql(HISTORY)["data"]["project"]["run"]
                name = after["files"]["edges"][0]["node"]["name"]
                assert after == before
                assert client.get(f"/files/alice/proj/r1/{name}",
                                  headers=restored.headers()).content == b"some notes\n"
                assert _layout(app.state.services.store, "alice") == LAYOUT
                # the project key index came along, as the runs give it
                assert _keys(app.state.services.store, "alice") == {
                    ("config", "lr"): 1, ("metric", "loss"): 1}
        finally:
            app.state.services.store.close()


def test_verify_catches_a_damaged_backup_and_restore_refuses_it(
        api: Api, database: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _log(api)
    _env(monkeypatch, database)
    backup = tmp_path / "backup"
    assert main(["backup", str(backup), "--data-dir", str(tmp_path / "data"), "--quiet"]) == 0
    stored = next(p for p in (backup / "files").rglob("notes.txt"))
    stored.write_bytes(b"some notez\n")  # same size, one byte changed
    capsys.readouterr()
    assert main(["backup", "--verify", str(backup), "--quiet"]) == 1
    assert "notes.txt does not match its checksum" in capsys.readouterr().err
    target = tmp_path / "restored"
    monkeypatch.delenv("MYSQL", raising=False)  # SQLite target: refused before anything is written
    monkeypatch.delenv("POSTGRES", raising=False)
    assert main(["restore", str(backup), "--data-dir", str(target), "--quiet"]) == 1
    assert "fails verification" in capsys.readouterr().err
    assert not (target / "wbserver.sqlite").exists() and not (target / "secret.key").exists()


def test_backup_refuses_a_folder_that_is_not_empty(api: Api, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   database: dict[str, str],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    _env(monkeypatch, database)
    dest = tmp_path / "busy"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    assert main(["backup", str(dest), "--data-dir", str(tmp_path / "data"), "--quiet"]) == 1
    assert "not an empty folder" in capsys.readouterr().err
    assert (dest / "keep.txt").read_text() == "mine"


def test_a_backup_of_an_older_schema_is_migrated_and_a_newer_one_refused(
        database: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from sqlalchemy import text

    from wbserver.config.settings import load_settings
    from wbserver.metadata.engine import make_engine, upgrade_database

    _env(monkeypatch, database)
    data = tmp_path / "old"
    settings = load_settings(database, {"data_dir": str(data)})
    data.mkdir()
    (data / "secret.key").write_text("ab" * 32)
    engine = make_engine(settings.database_url)
    upgrade_database(engine, "0008")  # as an older wbserver left it
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (username, email, is_admin, is_active, created_at)"
                          " VALUES ('olduser', 'o@example.com', TRUE, TRUE, '2026-01-01 00:00:00')"))
    engine.dispose()
    backup = tmp_path / "backup"
    assert main(["backup", str(backup), "--data-dir", str(data), "--quiet"]) == 0
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["revision"] == "0008"

    with _restore_target(database, monkeypatch) as restore_env:
        target = tmp_path / "restored"
        original = (backup / "manifest.json").read_text()
        newer = Manifest.from_json(original)
        newer.revision = "0999"  # as a newer wbserver would write it
        (backup / "manifest.json").write_text(newer.to_json())
        capsys.readouterr()
        assert main(["restore", str(backup), "--data-dir", str(target), "--quiet"]) == 1
        assert "newer than this wbserver knows" in capsys.readouterr().err
        (backup / "manifest.json").write_text(original)
        assert main(["restore", str(backup), "--data-dir", str(target), "--quiet"]) == 0
        restored = make_engine(load_settings(restore_env, {"data_dir": str(target)}).database_url)
        with restored.connect() as conn:
            head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            users = conn.execute(text("SELECT username FROM users")).scalars().all()
            conn.execute(text("SELECT count(*) FROM server_marks"))  # made by 0011
        restored.dispose()
        assert head != "0008" and int(head) >= 12 and users == ["olduser"]


def test_a_restore_never_gives_a_deleted_runs_id_again(
        api: Api, app: object, database: dict[str, str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Run ids are never reused (migration 0013). Loading rows with their ids left MariaDB's
    AUTO_INCREMENT at the highest live run + 1: the newest run, deleted before the backup,
    gave its id to the first run made after a restore."""
    from sqlalchemy import text

    for name in ("r1", "r2", "r3"):
        api.upsert(name)
    store = app.state.services.store  # type: ignore[attr-defined]
    with store.engine.connect() as conn:
        ids = {name: id_ for name, id_ in conn.execute(text("SELECT name, id FROM runs"))}
    store.delete_run(ids["r3"])
    _env(monkeypatch, database)
    backup = tmp_path / "backup"
    assert main(["backup", str(backup), "--data-dir", str(tmp_path / "data"), "--quiet"]) == 0
    target = tmp_path / "restored"
    with _restore_target(database, monkeypatch) as restore_env:
        assert main(["restore", str(backup), "--data-dir", str(target), "--quiet"]) == 0
        restored_app = create_app(SettingsSource(environ=restore_env,
                                                 overrides={"data_dir": str(target)}))
        try:
            with TestClient(restored_app) as client:
                Api(client, api.key).upsert("r4")
            with restored_app.state.services.store.engine.connect() as conn:
                new_id = conn.execute(text("SELECT id FROM runs WHERE name = 'r4'")).scalar_one()
            assert new_id > ids["r3"] > ids["r2"]
        finally:
            restored_app.state.services.store.close()
