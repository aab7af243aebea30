"""/metrics (who may read it, bounded labels, what it counts) and /readyz (which part failed)."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pymysql
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from wbserver.app import create_app
from wbserver.config.runtime import SettingsSource
from wbserver.domain.users import create_api_key, create_user

from .conftest import UPSERT

TOKEN = "scrape-" + "x" * 24


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"api:{key}".encode()).decode()}


@pytest.fixture
def site(tmp_path, database):
    source = SettingsSource(environ={**database, "WBSERVER_METRICS_TOKEN": TOKEN},
                            overrides={"data_dir": str(tmp_path / "data")})
    app = create_app(source)
    store = app.state.services.store
    create_user(store, username="root", email="root@example.com", is_admin=True)
    create_user(store, username="alice", email="alice@example.com", is_admin=False)
    keys = {"root": create_api_key(store, username="root"),
            "alice": create_api_key(store, username="alice")}
    with TestClient(app) as client:
        yield client, keys, app
    store.close()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_readers_are_the_token_and_site_admins(site):
    client, keys, _app = site
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers=basic(keys["alice"])).status_code == 403
    for headers in ({"Authorization": f"Bearer {TOKEN}"}, basic(keys["root"])):
        answer = client.get("/metrics", headers=headers)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
        assert "wbserver_http_requests_total" in answer.text


def test_requests_are_counted_by_route_template_and_rows_by_file(site):
    client, keys, _app = site
    history = [f'{{"_step": {i}, "loss": {i}}}' for i in range(3)]
    for run in ("r1", "r2"):
        made = client.post("/graphql", headers=basic(keys["alice"]), json={
            "query": UPSERT, "variables": {"name": run, "project": "proj", "entity": "alice"}})
        assert made.status_code == 200 and "errors" not in made.json(), made.text
        answer = client.post(f"/files/alice/proj/{run}/file_stream", headers=basic(keys["alice"]),
                             json={"files": {"wandb-history.jsonl": {"offset": 0,
                                                                     "content": history},
                                             "output.log": {"offset": 0, "content": ["hi"]}}})
        assert answer.status_code == 200, answer.text
    client.get("/no/such/page/at/all/here")
    text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    found = samples(text)
    route = "/files/{entity}/{project}/{run}/file_stream"
    assert found[("wbserver_http_requests_total",
                  (("method", "POST"), ("route", route), ("status", "200")))] == 2
    assert found[("wbserver_http_requests_total",
                  (("method", "POST"), ("route", "/graphql"), ("status", "200")))] == 2
    assert found[("wbserver_http_request_duration_seconds_count",
                  (("method", "POST"), ("route", route)))] == 2
    assert found[("wbserver_filestream_rows_total", (("file", "history"),))] == 6
    assert found[("wbserver_filestream_rows_total", (("file", "console"),))] == 2
    assert "/files/alice" not in text and "/no/such" not in text  # no raw path as a label
    assert ("wbserver_http_requests_total",
            (("method", "GET"), ("route", "<unmatched>"), ("status", "404"))) in found
    for gauge in ("wbserver_outbox_depth", "wbserver_bucket_queue_lag_seconds",
                  "wbserver_bucket_uploads_pending", "wbserver_db_pool_in_use"):
        assert (gauge, ()) in found


def test_readyz_names_the_storage_when_its_folder_is_gone(site, tmp_path):
    client, _keys, _app = site
    assert client.get("/readyz").json() == {"ok": True,
                                            "checked": ["database", "storage", "queue"]}
    shutil.rmtree(tmp_path / "data" / "files")
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert list(answer.json()["failed"]) == ["storage"]
    assert "is not a folder" in answer.json()["failed"]["storage"]


def test_readyz_names_the_database_when_it_is_down(site, tmp_path, database):
    client, _keys, app = site
    assert client.get("/readyz").status_code == 200
    if database:  # MariaDB: the database goes away under the server
        name = database["MYSQL"].rsplit("/", 1)[1]
        admin = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="")
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE {name}")
        admin.close()
    else:  # SQLite: the file is no database any more
        app.state.services.store.engine.dispose()  # the pool reopens the file
        Path(tmp_path / "data" / "wbserver.sqlite").write_bytes(b"\0" * 8192)
    answer = client.get("/readyz")
    assert answer.status_code == 503, answer.text
    assert list(answer.json()["failed"]) == ["database"]
