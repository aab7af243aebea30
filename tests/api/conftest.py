"""In-process API tests: the real app on a temporary data folder, driven by TestClient."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.mariadb import MARIADB, fresh_database  # noqa: F401 (MARIADB: for other modules)
from tests.postgres import fresh_database as fresh_postgres
from wbserver.app import create_app
from wbserver.config.runtime import SettingsSource
from wbserver.domain.users import create_api_key, create_user

UPSERT = """mutation UpsertBucket($id: String, $name: String, $project: String, $entity: String,
  $config: JSONString, $tags: [String!], $displayName: String, $summaryMetrics: JSONString) {
  upsertBucket(input: {id: $id, name: $name, modelName: $project, entityName: $entity,
    config: $config, tags: $tags, displayName: $displayName, summaryMetrics: $summaryMetrics}) {
    bucket { id name displayName config historyLineCount project { id name entity { id name } } }
    inserted
  }
}"""


class Api:
    def __init__(self, client: TestClient, key: str) -> None:
        self.client = client
        self.key = key

    def headers(self, key: str | None = None) -> dict[str, str]:
        token = base64.b64encode(f"api:{key or self.key}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def gql(self, query: str, expect: int = 200, **variables: Any) -> dict[str, Any]:
        response = self.client.post("/graphql", json={"query": query, "variables": variables},
                                    headers=self.headers())
        assert response.status_code == expect, response.text
        return response.json()

    def upsert(self, name: str, project: str = "proj", **variables: Any) -> dict[str, Any]:
        body = self.gql(UPSERT, name=name, project=project, entity="alice", **variables)
        return body["data"]["upsertBucket"]

    def stream(self, run: str, body: Any, project: str = "proj", expect: int = 200,
               **kwargs: Any) -> Any:
        response = self.client.post(f"/files/alice/{project}/{run}/file_stream",
                                    headers=self.headers(), json=body, **kwargs)
        assert response.status_code == expect, response.text
        return response.json()


@pytest.fixture(params=["sqlite", "mariadb"])
def database(request) -> Iterator[dict[str, str]]:
    """Every API test runs on the embedded SQLite and on a fresh MariaDB database; those
    marked with tests.postgres.on_every_database() on a fresh PostgreSQL database too."""
    yield from database_settings(request.param)


def database_settings(kind: str) -> Iterator[dict[str, str]]:
    """The environment of a server on KIND ("sqlite", "mariadb" or "postgres"), the
    database made for it and dropped afterwards."""
    if kind == "sqlite":
        yield {}
    elif kind == "postgres":
        with fresh_postgres() as uri:
            yield {"POSTGRES": uri}
    else:
        with fresh_database() as uri:
            yield {"MYSQL": uri}


@pytest.fixture
def app(tmp_path, database):
    source = SettingsSource(environ=database, overrides={"data_dir": str(tmp_path / "data")})
    app = create_app(source)
    yield app
    app.state.services.store.close()


@pytest.fixture
def web(app) -> Iterator[TestClient]:
    """The app as a browser sees it: redirects answered, not followed."""
    with TestClient(app, follow_redirects=False) as client:
        yield client


@pytest.fixture
def api(app) -> Iterator[Api]:
    store = app.state.services.store
    create_user(store, username="alice", email="alice@example.com", is_admin=False)
    key = create_api_key(store, username="alice")
    with TestClient(app) as client:
        yield Api(client, key)
