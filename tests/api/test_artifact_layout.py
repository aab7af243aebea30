"""The artifact content layout (migration 0022, domain/artifact_storage.py), on SQLite and
MariaDB: a new install stores content under wandb_artifacts/, an install that held artifact
content before keeps artifacts/ (nothing moves), the layout is recorded once, and every
reader of keys (uploads, bucket events, backups) follows the install's own."""

from __future__ import annotations

import hashlib
from datetime import datetime

import pytest
from sqlalchemy import delete, text
from starlette.testclient import TestClient

from wbserver.app import create_app
from wbserver.cli import main
from wbserver.config.runtime import SettingsSource
from wbserver.config.settings import load_settings
from wbserver.domain.artifact_storage import LAYOUT, LEGACY_LAYOUT, content_key, content_md5
from wbserver.domain.bucket_events import UNKNOWN, object_created
from wbserver.domain.users import create_api_key, create_user
from wbserver.metadata import tables as t
from wbserver.metadata.backup_rows import snapshot_files
from wbserver.metadata.engine import make_engine, upgrade_database
from wbserver.metadata.store import SqlStore

from .artifact_flow import local, log_version
from .conftest import Api
from .test_backup import _env, _restore_target

NOW = datetime(2026, 11, 1, 12, 0, 0)
OLDER = b"stored before migration 0022\n"


def _older_database(settings, *, with_content: bool) -> None:
    """The database as the previous release left it (0021), holding content or not."""
    engine = make_engine(settings.database_url)
    try:
        upgrade_database(engine, "0021")
        if with_content:
            with engine.begin() as conn:
                conn.execute(text(
                    "INSERT INTO artifact_blobs (md5, size, created_at, referenced_at, "
                    "upload_count, store) VALUES (:md5, :size, :now, :now, 1, 'local')"),
                    {"md5": hashlib.md5(OLDER).hexdigest(), "size": len(OLDER), "now": NOW})
    finally:
        engine.dispose()


@pytest.fixture
def settings(tmp_path, database):
    (tmp_path / "data").mkdir()
    return load_settings(database, {"data_dir": str(tmp_path / "data")})


def test_content_keys_name_their_layout():
    md5 = hashlib.md5(b"x").hexdigest()
    assert content_key(md5, LAYOUT) == f"wandb_artifacts/md5/{md5[:2]}/{md5}"
    assert content_key(md5, LEGACY_LAYOUT) == f"artifacts/md5/{md5[:2]}/{md5}"
    assert content_md5(content_key(md5, LAYOUT), LAYOUT) == md5
    # a key of the other layout is no content of this install, nor is a misplaced one
    assert content_md5(content_key(md5, LAYOUT), LEGACY_LAYOUT) is None
    assert content_md5(content_key(md5, LEGACY_LAYOUT), LAYOUT) is None
    assert content_md5(f"wandb_artifacts/md5/zz/{md5}", LAYOUT) is None
    with pytest.raises(ValueError, match="unknown artifact storage layout"):
        content_key(md5, "elsewhere")


@pytest.mark.parametrize("with_content, expected", [(True, LEGACY_LAYOUT), (False, LAYOUT)])
def test_0022_keeps_the_layout_of_an_install_holding_content(settings, with_content,
                                                             expected):
    _older_database(settings, with_content=with_content)
    engine = make_engine(settings.database_url)
    try:
        upgrade_database(engine)  # what `wbserver serve` / `db upgrade` runs
        assert SqlStore(engine).artifact_layout() == expected
        with engine.connect() as conn:  # recorded once
            assert conn.execute(text("SELECT name FROM server_marks WHERE name LIKE "
                                     "'artifact_layout:%'")).scalars().all() == [
                "artifact_layout:" + expected]
    finally:
        engine.dispose()


def test_a_database_missing_its_mark_decides_by_what_it_holds(app, api: Api):
    store = app.state.services.store
    assert store.artifact_layout() == LAYOUT  # a new install
    api.upsert("r1")
    log_version(api, "ds", {"a.txt": b"a"})
    with store.engine.begin() as conn:
        conn.execute(delete(t.server_marks).where(t.server_marks.c.name.like(
            "artifact_layout:%")))
    assert SqlStore(store.engine).artifact_layout() == LEGACY_LAYOUT  # it holds content
    assert SqlStore(store.engine).artifact_layout() == LEGACY_LAYOUT  # recorded once


def test_an_older_install_keeps_uploading_and_serving_under_artifacts(settings, tmp_path,
                                                                      database, monkeypatch):
    _older_database(settings, with_content=True)
    app = create_app(SettingsSource(environ=database,
                                    overrides={"data_dir": settings.data_dir}))
    store, blobs = app.state.services.store, app.state.services.blobs
    try:
        assert store.artifact_layout() == LEGACY_LAYOUT
        create_user(store, username="alice", email="alice@example.com", is_admin=False)
        with TestClient(app) as client:
            api = Api(client, create_api_key(store, username="alice"))
            api.upsert("r1")
            logged = log_version(api, "ds", {"a.txt": b"alpha\n"})
            path = logged["edges"][0]["storagePath"]
            md5 = hashlib.md5(b"alpha\n").hexdigest()
            assert path == f"artifacts/md5/{md5[:2]}/{md5}"
            assert blobs.local_path(path) is not None
            again = log_version(api, "ds", {"a.txt": b"alpha\n", "b.txt": b"bravo\n"})
            assert again["edges"][0]["uploadUrl"] is None  # dedup: stored already
            url = blobs.download_url(path, base_url="http://testserver", expires_in=60)
            assert client.get(local(url)).content == b"alpha\n"
            got = client.get(f"/artifactsV2/default/alice/proj/ds/{logged['id']}/{md5}/a.txt",
                             headers=api.headers(), follow_redirects=True)
            assert got.content == b"alpha\n"
        # a bucket event for a key of the other layout records nothing
        other = content_key(hashlib.md5(b"other").hexdigest(), LAYOUT)
        assert object_created(store, blobs, key=other, size=5, md5_hex=None) == UNKNOWN
        # a backup copies content from where this install keeps it
        with store.engine.connect() as conn:
            keys = {f.key for f in snapshot_files(conn)[0]}
        assert content_key(md5, LEGACY_LAYOUT) in keys
        assert content_key(hashlib.md5(OLDER).hexdigest(), LEGACY_LAYOUT) in keys
        assert not any(k.startswith("wandb_artifacts/") for k in keys)
    finally:
        store.close()
    # restored into a new database (its migrations record the new layout first), the
    # install keeps its own
    _env(monkeypatch, database)
    backup = tmp_path / "backup"
    assert main(["backup", str(backup), "--data-dir", settings.data_dir, "--quiet"]) == 0
    with _restore_target(database, monkeypatch) as restore_env:
        target = tmp_path / "restored"
        assert main(["restore", str(backup), "--data-dir", str(target), "--quiet"]) == 0
        restored = make_engine(load_settings(restore_env, {"data_dir": str(target)})
                               .database_url)
        try:
            assert SqlStore(restored).artifact_layout() == LEGACY_LAYOUT
        finally:
            restored.dispose()
        assert (target / "files" / content_key(md5, LEGACY_LAYOUT)).read_bytes() == b"alpha\n"
