"""`project { run(name:) }` reads the project and its run in one lookup (as most of
wandb.Api's queries ask): the same answers, permissions included, as two lookups gave."""

from __future__ import annotations

import pytest

from tests.postgres import on_every_database
from wbserver.domain.users import create_api_key, create_user

RUN_QUERY = """query($entity: String!, $project: String!, $run: String!) {
  project(name: $project, entityName: $entity) {
    name
    run(name: $run) { name displayName project { name } user { username } }
  }
}"""
LITERAL_QUERY = """query {
  project(name: "proj", entityName: "alice") { run(name: "r1") { name displayName } }
}"""


@pytest.fixture
def store_spy(app, monkeypatch):
    """Counts the store's lookups of a run by its key (the separate run lookup)."""
    store = app.state.services.store
    calls: list[object] = []
    original = store.get_run

    def get_run(key):
        calls.append(key)
        return original(key)

    monkeypatch.setattr(store, "get_run", get_run)
    return calls


@on_every_database()
def test_the_run_comes_with_its_project(api, store_spy):
    api.upsert("r1", displayName="first")
    api.upsert("r2", displayName="second")
    body = api.gql(RUN_QUERY, entity="alice", project="proj", run="r2")
    assert body["data"]["project"] == {
        "name": "proj", "run": {"name": "r2", "displayName": "second",
                                "project": {"name": "proj"}, "user": {"username": "alice"}}}
    body = api.gql(LITERAL_QUERY)
    assert body["data"]["project"]["run"] == {"name": "r1", "displayName": "first"}
    assert store_spy == []  # no second lookup: the project's lookup brought the run


@on_every_database()
def test_a_missing_run_or_project_is_null(api, store_spy):
    api.upsert("r1")
    body = api.gql(RUN_QUERY, entity="alice", project="proj", run="nope")
    assert body["data"]["project"] == {"name": "proj", "run": None}
    body = api.gql(RUN_QUERY, entity="alice", project="nope", run="r1")
    assert body["data"]["project"] is None
    body = api.gql(RUN_QUERY, entity="nobody", project="proj", run="r1")
    assert body["data"]["project"] is None
    assert store_spy == []


def test_a_run_of_a_private_project_stays_hidden(api, app):
    """Bob cannot read alice's private project: neither it nor its run comes back."""
    api.upsert("r1")
    store = app.state.services.store
    create_user(store, username="bob", email="bob@example.com", is_admin=False)
    bob = create_api_key(store, username="bob")
    response = api.client.post("/graphql", headers=api.headers(bob), json={
        "query": RUN_QUERY, "variables": {"entity": "alice", "project": "proj", "run": "r1"}})
    assert response.status_code == 200
    assert response.json()["data"]["project"] is None


def test_other_runs_are_looked_up_as_before(api, store_spy):
    """Aliased runs beyond the first, and runs inside fragments, are read by their own
    lookup, with the same answers."""
    api.upsert("r1", displayName="first")
    api.upsert("r2", displayName="second")
    body = api.gql("""query { project(name: "proj", entityName: "alice") {
        a: run(name: "r1") { displayName } b: run(name: "r2") { displayName }
        ... on Project { c: run(name: "r2") { name } } } }""")
    assert body["data"]["project"] == {"a": {"displayName": "first"},
                                       "b": {"displayName": "second"}, "c": {"name": "r2"}}
    assert len(store_spy) == 2  # b and c; a came with the project


@on_every_database()
def test_store_reads_entity_project_and_run_at_once(api, app):
    api.upsert("r1", displayName="first")
    store = app.state.services.store
    entity, project, run = store.get_project_and_run("alice", "proj", "r1")
    assert (entity.name, project.name, project.entity_name) == ("alice", "proj", "alice")
    expected = store.get_run_by_id(run.id)
    assert run == expected
    entity, project, run = store.get_project_and_run("alice", "proj", "zz")
    assert (entity.name, project.name, run) == ("alice", "proj", None)
    entity, project, run = store.get_project_and_run("alice", "zz", "r1")
    assert (entity.name, project, run) == ("alice", None, None)
    assert store.get_project_and_run("zz", "proj", "r1") == (None, None, None)
