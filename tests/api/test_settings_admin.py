"""Settings: environment over saved over default, locked values, trusted proxies, and the
refusals an operator sees for a bad database or a bad value."""

from __future__ import annotations

import subprocess
import sys

from starlette.testclient import TestClient

from tests.postgres import fresh_database as fresh_postgres
from wbserver.app import create_app
from wbserver.config.runtime import SettingsSource
from wbserver.domain.users import create_api_key, create_user

from .test_security_settings import admin_client, shown

UPDATE = """mutation U($name: String!, $value: String!) { updateServerSettings(input: {
  settings: [{name: $name, value: $value}]}) { changed } }"""
READ = "{ serverSettings { name value source locked } }"


def app_with(tmp_path, database, environ):
    return create_app(SettingsSource(environ={**database, **environ},
                                     overrides={"data_dir": str(tmp_path / "data")}))


def admin_key(app) -> str:
    store = app.state.services.store
    if store.get_user_by_name("root") is None:
        create_user(store, username="root", email="root@example.com", is_admin=True)
    return create_api_key(store, username="root")


def settings_of(client, key):
    rows = client.post("/graphql", json={"query": READ}, auth=("api", key)).json()
    return {r["name"]: r for r in rows["data"]["serverSettings"]}


def test_env_locks_a_value_and_removing_it_reveals_the_saved_one(tmp_path, database):
    app = app_with(tmp_path, database, {})
    key = admin_key(app)
    with TestClient(app) as client:
        saved = client.post("/graphql", json={"query": UPDATE, "variables": {
            "name": "invite_hours", "value": "5"}}, auth=("api", key))
        assert saved.json() == {"data": {"updateServerSettings": {"changed": ["invite_hours"]}}}
    app.state.services.store.close()

    app = app_with(tmp_path, database, {"WBSERVER_INVITE_HOURS": "9"})
    key = admin_key(app)
    with TestClient(app) as client:
        row = settings_of(client, key)["invite_hours"]
        assert row == {"name": "invite_hours", "value": "9", "source": "environment", "locked": True}
        refused = client.post("/graphql", json={"query": UPDATE, "variables": {
            "name": "invite_hours", "value": "1"}}, auth=("api", key))
        assert refused.status_code == 403
        assert "set by the environment variable WBSERVER_INVITE_HOURS" in refused.text
    app.state.services.store.close()

    app = app_with(tmp_path, database, {})
    key = admin_key(app)
    with TestClient(app) as client:
        assert settings_of(client, key)["invite_hours"]["value"] == "5"
        assert settings_of(client, key)["invite_hours"]["source"] == "saved"
        # env-only settings cannot be saved at all
        refused = client.post("/graphql", json={"query": UPDATE, "variables": {
            "name": "mysql", "value": "mysql://x@y/z"}}, auth=("api", key))
        assert refused.status_code == 403 and "before the database opens" in refused.text
    app.state.services.store.close()


def test_absolute_urls_follow_host_then_trusted_proxies(tmp_path, database):
    app = app_with(tmp_path, database, {"WBSERVER_TRUSTED_PROXIES": "testclient"})
    key = admin_key(app)
    create_runs = """mutation { upsertBucket(input: {name: "r", modelName: "p"}) { bucket { id } } }"""
    files = """mutation { createRunFiles(input: {entityName: "root", projectName: "p", runName: "r",
      files: ["a.txt"]}) { files { uploadUrl } } }"""
    with TestClient(app) as client:
        client.post("/graphql", json={"query": create_runs}, auth=("api", key))
        proxied = client.post("/graphql", json={"query": files}, auth=("api", key), headers={
            "X-Forwarded-Proto": "https", "X-Forwarded-Host": "wandb.example.com"})
        url = proxied.json()["data"]["createRunFiles"]["files"][0]["uploadUrl"]
        assert url.startswith("https://wandb.example.com/storage/")
    app.state.services.store.close()
    app = app_with(tmp_path, database, {})  # an untrusted proxy's headers are ignored
    key = admin_key(app)
    with TestClient(app) as client:
        direct = client.post("/graphql", json={"query": files}, auth=("api", key), headers={
            "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example.com"})
        url = direct.json()["data"]["createRunFiles"]["files"][0]["uploadUrl"]
        assert url.startswith("http://testserver/storage/")
    app.state.services.store.close()
    app = app_with(tmp_path, database, {"HOST": "https://wb.corp.example/"})
    key = admin_key(app)
    with TestClient(app) as client:
        url = client.post("/graphql", json={"query": files}, auth=("api", key)).json()
        assert url["data"]["createRunFiles"]["files"][0]["uploadUrl"].startswith(
            "https://wb.corp.example/storage/")
    app.state.services.store.close()


def wbserver(*args: str, env: dict[str, str], tmp_path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wbserver", *args, "--data-dir",
                           str(tmp_path / "cli")], env={"PATH": "/usr/bin:/bin", **env},
                          capture_output=True, text=True, timeout=60)


def test_bad_values_and_an_unreachable_database_stop_with_a_clear_message(tmp_path):
    bad = wbserver("db", "upgrade", env={"WBSERVER_HEARTBEAT_TIMEOUT": "soon"}, tmp_path=tmp_path)
    assert bad.returncode == 1
    assert "WBSERVER_HEARTBEAT_TIMEOUT='soon' is not valid" in bad.stderr
    away = wbserver("db", "upgrade", env={"MYSQL": "mysql://wb:pw@127.0.0.1:9/wbdb"},
                    tmp_path=tmp_path)
    assert away.returncode == 1
    assert "cannot use the database MYSQL=mysql://wb@127.0.0.1:9/wbdb" in away.stderr
    assert "pw" not in away.stderr.replace("wbdb", "")
    scheme = wbserver("db", "upgrade", env={"MYSQL": "postgres://u@h/db"}, tmp_path=tmp_path)
    assert scheme.returncode == 1 and "MYSQL" in scheme.stderr and "mysql://" in scheme.stderr
    away = wbserver("db", "upgrade", env={"POSTGRES": "postgresql://wb:pw@127.0.0.1:9/wbdb"},
                    tmp_path=tmp_path)
    assert away.returncode == 1
    assert "cannot use the database POSTGRES=postgresql://wb@127.0.0.1:9/wbdb" in away.stderr
    assert "pw" not in away.stderr.replace("wbdb", "")
    both = wbserver("db", "upgrade", env={"MYSQL": "mysql://u:pw@h/db",
                                          "POSTGRES": "postgresql://u:pw@h/db"}, tmp_path=tmp_path)
    assert both.returncode == 1 and "MYSQL and POSTGRES are both set" in both.stderr


def test_postgres_is_shown_locked_and_never_its_password(tmp_path):
    with fresh_postgres() as uri:
        with_password = uri.replace("postgres@", "postgres:pg-s3cret@")  # trust: any password
        app = app_with(tmp_path, {"POSTGRES": with_password}, {})
        try:
            key = admin_key(app)
            with TestClient(app) as client:
                row = settings_of(client, key)["postgres"]
                assert row == {"name": "postgres", "value": "set", "source": "environment",
                               "locked": True}
                refused = client.post("/graphql", json={"query": UPDATE, "variables": {
                    "name": "postgres", "value": "postgresql://x@y/z"}}, auth=("api", key))
                assert refused.status_code == 403
                assert "pg-s3cret" not in refused.text
            with admin_client(app) as browser:
                page = browser.get("/system-admin").text
                assert 'data-setting="POSTGRES"' in page and "pg-s3cret" not in page
                assert shown(browser, "POSTGRES")[1] == "environment"
        finally:
            app.state.services.store.close()


def test_two_processes_migrating_one_new_postgres_database_at_once(tmp_path):
    import psycopg

    with fresh_postgres("wbmig_") as uri:
        procs = [subprocess.Popen([sys.executable, "-m", "wbserver", "db", "upgrade",
                                   "--data-dir", str(tmp_path / f"d{i}")],
                                  env={"PATH": "/usr/bin:/bin", "POSTGRES": uri},
                                  stderr=subprocess.PIPE, text=True) for i in range(2)]
        results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
        assert all(code == 0 for code, _ in results), results
        with psycopg.connect(uri) as conn:
            assert len(conn.execute("SELECT version_num FROM alembic_version").fetchall()) == 1


def test_two_processes_migrating_one_new_mariadb_database_at_once(tmp_path):
    import secrets

    import pymysql

    name = "wbmig_" + secrets.token_hex(4)
    admin = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="")
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
        env = {"MYSQL": f"mysql://root:@127.0.0.1:3306/{name}"}
        procs = [subprocess.Popen([sys.executable, "-m", "wbserver", "db", "upgrade",
                                   "--data-dir", str(tmp_path / f"d{i}")],
                                  env={"PATH": "/usr/bin:/bin", **env}, stderr=subprocess.PIPE,
                                  text=True) for i in range(2)]
        results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
        assert all(code == 0 for code, _ in results), results
        with admin.cursor() as cursor:
            cursor.execute(f"SELECT version_num FROM {name}.alembic_version")
            assert len(cursor.fetchall()) == 1
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.close()


def test_an_unreachable_notifications_queue_is_not_saved(tmp_path, database):
    app = app_with(tmp_path, database, {"AWS_REGION": "us-east-1"})
    key = admin_key(app)
    with TestClient(app) as client:
        refused = client.post("/graphql", json={"query": UPDATE, "variables": {
            "name": "notifications_queue", "value": "sqs://AK:SK@127.0.0.1:9/run-events"}},
            auth=("api", key))
        assert refused.status_code == 400, refused.text
        assert "cannot reach SQS queue 'run-events'" in refused.json()["errors"][0]["message"]
        assert settings_of(client, key)["notifications_queue"]["value"] == "not set"
        bad = client.post("/graphql", json={"query": UPDATE, "variables": {
            "name": "notifications_queue", "value": "internal://"}}, auth=("api", key))
        assert bad.status_code == 400 and "unknown scheme 'internal'" in bad.text
    app.state.services.store.close()
