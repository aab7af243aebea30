"""Rate limits: per-run file_stream and per-project requests answer 429 with Retry-After when a
low limit is set; the defaults let a busy client through; 0 turns a limit off."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from wbserver.api.rate_limits import RateLimits, TokenBuckets
from wbserver.app import create_app
from wbserver.config.runtime import SettingsSource
from wbserver.domain.users import create_api_key, create_user

from .conftest import Api

HEARTBEAT: dict[str, object] = {}
VIEWER = "{ viewer { username } }"
PROJECT_QUERY = """query P($project: String!, $entity: String!) {
  project(name: $project, entityName: $entity) { name } }"""


def _api(tmp_path, database, **limits: str) -> Iterator[Api]:
    environ = {**database, **limits}
    app = create_app(SettingsSource(environ=environ,
                                    overrides={"data_dir": str(tmp_path / "data")}))
    store = app.state.services.store
    create_user(store, username="alice", email="alice@example.com", is_admin=False)
    key = create_api_key(store, username="alice")
    try:
        with TestClient(app) as client:
            yield Api(client, key)
    finally:
        store.close()


@pytest.fixture
def limited(tmp_path, database) -> Iterator[Api]:
    yield from _api(tmp_path, database, WBSERVER_RATE_LIMIT_RUN="0.2",
                    WBSERVER_RATE_LIMIT_PROJECT="100")


@pytest.fixture
def limited_project(tmp_path, database) -> Iterator[Api]:
    yield from _api(tmp_path, database, WBSERVER_RATE_LIMIT_PROJECT="2")


def _retry_after(response) -> int:
    assert response.status_code == 429, response.text
    message = response.json()["errors"][0]["message"]
    assert "rate limit exceeded" in message, message
    seconds = int(response.headers["Retry-After"])
    assert seconds >= 1 and f"try again in {seconds} s" in message
    return seconds


def test_file_stream_over_the_run_limit_gets_429_with_retry_after(limited: Api) -> None:
    limited.upsert("r1")
    limited.stream("r1", {"files": {"wandb-history.jsonl": {"offset": 0,
                                                            "content": ['{"_step": 0}']}}})
    response = limited.client.post("/files/alice/proj/r1/file_stream",
                                   headers=limited.headers(), json=HEARTBEAT)
    assert 1 <= _retry_after(response) <= 5  # one request every 5 s
    assert "WBSERVER_RATE_LIMIT_RUN" in response.json()["errors"][0]["message"]
    # another run of the project has its own allowance; the refused request stored nothing
    limited.upsert("r2")
    limited.stream("r2", HEARTBEAT)


def test_requests_naming_a_project_over_its_limit_get_429(limited_project: Api) -> None:
    limited = limited_project
    # the buckets' clock stands still: a slow request (a busy CI machine) refills nothing
    limited.client.app.state.rate_limits = RateLimits(TokenBuckets(clock=lambda: 1000.0))
    statuses = []
    for _ in range(4):
        response = limited.client.post("/graphql", headers=limited.headers(), json={
            "query": PROJECT_QUERY, "variables": {"project": "busy", "entity": "alice"}})
        statuses.append(response.status_code)
    assert statuses[:2] == [200, 200] and statuses[2] == 429, statuses
    _retry_after(response)
    assert "WBSERVER_RATE_LIMIT_PROJECT" in response.json()["errors"][0]["message"]
    # other projects, and requests naming none, are not held back
    limited.gql(PROJECT_QUERY, project="quiet", entity="alice")
    for _ in range(5):
        limited.gql(VIEWER)


def test_anonymous_requests_do_not_use_a_projects_allowance(limited: Api) -> None:
    for _ in range(5):
        response = limited.client.post("/files/alice/proj/r1/file_stream", json=HEARTBEAT)
        assert response.status_code == 401
    limited.upsert("r1")
    limited.stream("r1", HEARTBEAT)


def test_the_defaults_let_a_busy_client_through(api: Api) -> None:
    api.upsert("r1")
    for i in range(10):  # ten requests at once, far above the client's one per 15 s
        api.stream("r1", {"files": {"wandb-history.jsonl": {
            "offset": i, "content": [f'{{"_step": {i}}}']}}})


def test_zero_turns_a_limit_off(tmp_path, database) -> None:
    for api in _api(tmp_path, database, WBSERVER_RATE_LIMIT_RUN="0",
                    WBSERVER_RATE_LIMIT_PROJECT="0"):
        api.upsert("r1")
        for _ in range(30):
            api.stream("r1", HEARTBEAT)
