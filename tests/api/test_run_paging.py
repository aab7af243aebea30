"""Paging through a project's runs as wandb.Api().runs() does: keyset cursors in the order
by creation (runs created or deleted meanwhile neither repeat nor skip the others), offset
cursors in other orders and from before keysets, and runCount (kept per project for its
updated_at mark) right after every creation and deletion, on any server process."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.conftest import Api
from tests.postgres import on_every_database
from wbserver.app import create_app
from wbserver.config.runtime import SettingsSource
from wbserver.domain.models import RunKey
from wbserver.domain.run_search import evaluated

# the client's query (wandb/apis/public/runs.py), with the names only
RUNS = """query Runs($project: String!, $entity: String!, $cursor: String, $perPage: Int = 50,
  $order: String, $filters: JSONString) {
  project(name: $project, entityName: $entity) {
    internalId runCount(filters: $filters) readOnly
    runs(filters: $filters, after: $cursor, first: $perPage, order: $order) {
      edges { node { name } cursor } pageInfo { endCursor hasNextPage } } } }"""


def page(api: Api, cursor: str | None = None, *, per_page: int = 50, order: str = "+created_at",
         filters: dict[str, Any] | None = None) -> dict[str, Any]:
    body = api.gql(RUNS, project="proj", entity="alice", cursor=cursor, perPage=per_page,
                   order=order, filters=json.dumps(filters or {}))
    assert "errors" not in body, body
    return body["data"]["project"]


def names(found: dict[str, Any]) -> list[str]:
    return [edge["node"]["name"] for edge in found["runs"]["edges"]]


def iterate(api: Api, **kwargs: Any) -> list[str]:
    """Every page as the client asks them: `after` is the last edge's cursor."""
    seen: list[str] = []
    cursor = None
    while True:
        found = page(api, cursor, **kwargs)
        seen += names(found)
        if not found["runs"]["pageInfo"]["hasNextPage"]:
            return seen
        cursor = found["runs"]["edges"][-1]["cursor"]


def delete(app: Any, name: str) -> None:
    store = app.state.services.store
    run = store.get_run(RunKey("alice", "proj", name))
    store.delete_run(run.id)


@on_every_database()
@pytest.mark.parametrize("per_page", [50, 1000])
def test_paging_reads_every_run_once_in_either_order(api, app, per_page):
    made = [f"r{i:04d}" for i in range(1000 + 3 if per_page == 1000 else 123)]
    for name in made:
        api.upsert(name)
    assert iterate(api, per_page=per_page) == made  # created in this order
    store = app.state.services.store
    project = store.get_entity_and_project("alice", "proj")[1]
    newest_first = [v.run.name for v in evaluated(store, project, {}, "-created_at")]
    assert iterate(api, per_page=per_page, order="-created_at") == newest_first
    assert sorted(newest_first) == made
    assert page(api)["runCount"] == len(made)


@on_every_database()
@pytest.mark.parametrize("order", ["+created_at", "-created_at"])
def test_runs_created_and_deleted_while_paging_neither_repeat_nor_skip_others(api, app, order):
    for i in range(12):
        api.upsert(f"old{i:02d}")
    seen: list[str] = []
    first = page(api, per_page=4, order=order)
    seen += names(first)
    cursor = first["runs"]["edges"][-1]["cursor"]
    # before the cursor: one run of the page read and, in the descending order, new runs
    delete(app, seen[0])
    delete(app, seen[2])
    for i in range(5):
        api.upsert(f"new{i}")
    while True:
        found = page(api, cursor, per_page=4, order=order)
        seen += names(found)
        if not found["runs"]["pageInfo"]["hasNextPage"]:
            break
        cursor = found["runs"]["edges"][-1]["cursor"]
        if len(seen) == 8:  # after the cursor: a run not read yet is deleted, one more made
            unread = sorted({f"old{i:02d}" for i in range(12)} - set(seen))[1]
            delete(app, unread)
            api.upsert("new5")
    old = [n for n in seen if n.startswith("old")]
    assert len(old) == len(set(old)) == 11  # each run there throughout, once
    assert unread not in seen
    assert len(seen) == len(set(seen))


def test_cursors_from_before_keysets_are_offsets(api):
    for i in range(6):
        api.upsert(f"r{i}", summaryMetrics=json.dumps({"acc": i}))
    assert names(page(api, "2", per_page=2)) == ["r3", "r4"]  # an old cursor: position 2
    keyed = page(api, per_page=2)["runs"]["edges"][-1]["cursor"]
    assert not keyed.isdigit()  # opaque
    # a keyset cursor under another order is read as its position (1)
    assert names(page(api, keyed, per_page=2, order="-summary_metrics.acc")) == ["r3", "r2"]
    by_acc = page(api, per_page=2, order="-summary_metrics.acc")["runs"]["edges"]
    assert [e["cursor"] for e in by_acc] == ["0", "1"]  # other orders: offsets, as before
    for junk in ("cnVuczE6eDp5Ono=", "cnVuczE6MTo5OTk5LTk5LTk5IDk5Ojk5Ojk5OjE=", "%%%", "-1"):
        assert names(page(api, junk, per_page=2)) == ["r0", "r1"]  # unreadable: the start


@on_every_database()
def test_run_count_follows_creations_and_deletions_and_filters(api, app):
    for i in range(5):
        api.upsert(f"r{i}", config=json.dumps({"opt": {"value": "adam" if i % 2 else "sgd"}}))
    adam = {"config.opt": "adam"}
    assert page(api)["runCount"] == 5
    assert page(api, filters=adam)["runCount"] == 2
    for order in ("+created_at", "-created_at"):  # a keyset under a filter
        assert sorted(iterate(api, per_page=1, filters=adam, order=order)) == ["r1", "r3"]
    api.upsert("r5", config=json.dumps({"opt": {"value": "adam"}}))
    assert page(api)["runCount"] == 6
    assert page(api, filters=adam)["runCount"] == 3
    delete(app, "r1")
    assert page(api)["runCount"] == 5
    assert page(api, filters=adam)["runCount"] == 2
    api.upsert("r3", config=json.dumps({"opt": {"value": "sgd"}}))  # an update, not a new run
    assert page(api)["runCount"] == 5
    assert page(api, filters=adam)["runCount"] == 1


def test_run_count_is_fresh_on_another_server_process(api, app, database, tmp_path):
    """Two processes on one database: a count one of them keeps is not given once the other
    created or deleted a run (its mark, projects.updated_at, is in the database)."""
    for i in range(3):
        api.upsert(f"r{i}")
    assert page(api)["runCount"] == 3  # kept by the first process
    source = SettingsSource(environ=database, overrides={"data_dir": str(tmp_path / "data")})
    other = create_app(source)
    try:
        store = other.state.services.store
        project = store.get_entity_and_project("alice", "proj")[1]
        assert store.project_run_count(project.id, mark=project.updated_at) == 3
        run = store.get_run(RunKey("alice", "proj", "r0"))
        store.delete_run(run.id)  # by the other process
        assert page(api)["runCount"] == 2
        api.upsert("r9")
        project = store.get_entity_and_project("alice", "proj")[1]
        assert store.project_run_count(project.id, mark=project.updated_at) == 3
    finally:
        other.state.services.store.close()
