"""A full disk under the local file store: 507 with a JSON message, nothing half-written kept or
served, and the same upload succeeds once there is space again (no restart)."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

from wbserver.storage import local

from .conftest import Api

CREATE_RUN_FILES = """mutation C($files: [String!]!) { createRunFiles(input: {
  entityName: "alice", projectName: "proj", runName: "r1", files: $files}) {
  files { name uploadUrl } } }"""


class FullDisk:
    """The `os` module as storage/local.py sees it, on a disk with `room` bytes left."""

    def __init__(self, room: int) -> None:
        self.room = room

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    def fdopen(self, fd: int, mode: str) -> Any:
        return _Filling(os.fdopen(fd, mode), self)


class _Filling:
    def __init__(self, handle: Any, disk: FullDisk) -> None:
        self.handle, self.disk = handle, disk

    def write(self, data: bytes) -> int:
        if len(data) > self.disk.room:
            self.handle.write(data[: self.disk.room])  # a part lands, then the disk is full
            self.disk.room = 0
            raise OSError(errno.ENOSPC, "No space left on device")
        self.disk.room -= len(data)
        return int(self.handle.write(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.handle, name)

    def __enter__(self) -> _Filling:
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.close()


def test_a_full_disk_gets_507_and_recovers_without_restart(api: Api, app, monkeypatch) -> None:
    api.upsert("r1")
    url = api.gql(CREATE_RUN_FILES, files=["model.bin"])["data"]["createRunFiles"]["files"][0][
        "uploadUrl"]
    payload = os.urandom(3 * 1024 * 1024)
    files_dir = Path(app.state.services.settings.files_dir)

    monkeypatch.setattr(local, "os", FullDisk(room=1024 * 1024))
    response = api.client.put(url, content=payload)
    assert response.status_code == 507, response.text
    message = response.json()["errors"][0]["message"]
    assert "disk is full" in message and "model.bin" in message, message
    # nothing half-written: no file under the key, no temporary file left, nothing served
    assert [p.name for p in files_dir.rglob("*") if p.is_file()] == []
    download = api.client.get("/files/alice/proj/r1/model.bin", headers=api.headers())
    assert download.status_code == 404, download.status_code

    monkeypatch.setattr(local, "os", os)  # an operator freed space
    response = api.client.put(url, content=payload)
    assert response.status_code == 200, response.text
    download = api.client.get("/files/alice/proj/r1/model.bin", headers=api.headers())
    assert download.status_code == 200 and download.content == payload


RESUME = """query R($name: String!) { model(name: "proj", entityName: "alice") {
  bucket(name: $name, missingOk: true) { historyLineCount } } }"""


def test_a_full_database_disk_gets_507_and_stores_nothing(tmp_path) -> None:
    """SQLite's own 'database or disk is full' (a page limit stands in for the disk)."""
    from sqlalchemy import event
    from starlette.testclient import TestClient

    from wbserver.app import create_app
    from wbserver.config.runtime import SettingsSource
    from wbserver.domain.users import create_api_key, create_user

    app = create_app(SettingsSource(environ={}, overrides={"data_dir": str(tmp_path / "d")}))
    store = app.state.services.store
    create_user(store, username="alice", email="alice@example.com", is_admin=False)
    key = create_api_key(store, username="alice")
    engine = store.engine
    full = {"on": False}

    @event.listens_for(engine, "begin")
    def _page_limit(conn: Any) -> None:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
        limit = pages if full["on"] else 1_000_000_000
        conn.exec_driver_sql(f"PRAGMA max_page_count = {limit}")

    lines = [f'{{"_step": {i}, "text": "{"w" * 2000}{i}"}}' for i in range(400)]
    body = {"files": {"wandb-history.jsonl": {"offset": 0, "content": lines}}}
    try:
        with TestClient(app) as client:
            api = Api(client, key)
            api.upsert("r1")
            full["on"] = True
            response = client.post("/files/alice/proj/r1/file_stream", json=body,
                                   headers=api.headers())
            assert response.status_code == 507, response.text
            assert "disk is full" in response.json()["errors"][0]["message"]
            full["on"] = False
            bucket = api.gql(RESUME, name="r1")["data"]["model"]["bucket"]
            assert bucket["historyLineCount"] == 0  # nothing of the refused request
            api.stream("r1", body)  # the client sends it again: now it lands
            bucket = api.gql(RESUME, name="r1")["data"]["model"]["bucket"]
            assert bucket["historyLineCount"] == 400
    finally:
        store.close()
