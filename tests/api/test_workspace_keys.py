"""The project key index (domain/project_keys.py) and the workspace's paged runs list, in
process on SQLite and MariaDB: the index the writes keep equals one rebuilt from the runs
(after new runs, new keys, new system metrics, a changed config and a deleted run); a write
logging only known keys does not touch it; the overview lists the newest runs and the ones
the saved layout shows; the runs list's pages, search and state filter."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import event

from tests.postgres import on_every_database
from wbserver.domain import workspace
from wbserver.domain.models import RunKey

from .test_web_ui import sign_in
from .test_workspace import UPSERT

UI = "/_ui/alice/proj"
CHART = {"_wandb": {"value": {"visualize": {"roc": {"panel_config": {
    "panelDefId": "wandb/line/v0", "fieldSettings": {"x": "x"},
    "stringSettings": {"title": "ROC"}, "userQuery": {"queryFields": [{"args": [
        {"name": "runSets", "value": "${runSets}"},
        {"name": "tableKey", "value": "roc_table"}]}]}}}}}}}


def _history(api, name: str, start: int, rows: list[dict[str, Any]]) -> None:
    api.stream(name, {"files": {"wandb-history.jsonl": {
        "offset": start, "content": [json.dumps(r) for r in rows]}}})


def _run(api, name: str, config: dict[str, Any], keys: tuple[str, ...] = ("loss",)) -> None:
    api.gql(UPSERT, name=name, config=json.dumps(config), group="g", job="train")
    _history(api, name, 0, [{"_step": s, **{k: s * 0.5 for k in keys}} for s in range(3)])


def _index(store) -> dict[tuple[str, str], tuple[str, int]]:
    _owner, project = store.get_entity_and_project("alice", "proj")
    return {(r.kind, r.key): (r.detail, r.runs) for r in store.project_keys(project.id)}


def _rebuilt(store) -> dict[tuple[str, str], tuple[str, int]]:
    _owner, project = store.get_entity_and_project("alice", "proj")
    store.rebuild_project_keys(project.id)
    return _index(store)


@on_every_database()
def test_the_index_the_writes_keep_is_the_one_the_runs_give(app, api):
    store = app.state.services.store
    _run(api, "a", {"lr": {"value": 0.1}, "opt": {"value": "adam"}, **CHART})
    _run(api, "b", {"lr": {"value": 0.2}}, keys=("loss", "acc"))
    index = _index(store)
    assert index[("metric", "loss")] == ("", 2) and index[("metric", "acc")] == ("", 1)
    assert index[("config", "lr")] == ("", 2) and index[("config", "opt")] == ("", 1)
    assert index[("chart", "roc")] == ("ROC", 1) and ("chart_table", "roc_table") in index
    # a new key, a media key, system metrics, then a config that drops a key
    _history(api, "a", 3, [{"_step": 3, "loss": 1.0, "val/new": 2.0,
                            "img": {"_type": "image-file", "path": "x.png"}}])
    api.stream("a", {"files": {"wandb-events.jsonl": {"offset": 0, "content": [
        json.dumps({"system.cpu": 3.0, "system.gpu.0.temp": 40, "_runtime": 1})]}}})
    api.gql(UPSERT, name="b", config=json.dumps({"lr": {"value": 0.3}, "seed": {"value": 1}}),
            group="g", job="train")
    index = _index(store)
    assert index[("metric", "val/new")] == ("", 1) and index[("media", "img")][1] == 1
    assert index[("system", "system.cpu")] == ("", 1)
    assert index[("config", "seed")] == ("", 1)
    assert index == _rebuilt(store)
    # a deleted run: one run fewer, and its own keys go
    store.delete_run(store.get_run(RunKey("alice", "proj", "a")).id)
    index = _index(store)
    assert index[("metric", "loss")] == ("", 1)
    assert ("metric", "val/new") not in index and ("chart", "roc") not in index
    assert index == _rebuilt(store)
    sign_in(api)
    body = api.client.get(UI + "/workspace").json()
    assert [m["key"] for m in body["metrics"]] == ["acc", "loss"]
    assert body["configKeys"] == ["lr", "seed"] and body["runCount"] == 1


def test_a_write_of_known_keys_leaves_the_index_alone(app, api):
    store = app.state.services.store
    _run(api, "a", {"lr": {"value": 0.1}})
    touched: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        if "project_keys" in statement:
            touched.append(statement)
    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        _history(api, "a", 3, [{"_step": 3, "loss": 9.0}, {"_step": 4, "loss": 8.0}])
        api.stream("a", {"files": {"wandb-summary.json": {"offset": 0, "content": [
            json.dumps({"loss": 8.0})]}}})
        assert touched == []
        _history(api, "a", 5, [{"_step": 5, "loss": 7.0, "fresh": 1.0}])
        assert touched  # a new key: the index hears of it
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)


def test_the_overview_lists_the_newest_runs_and_those_the_layout_shows(app, api, monkeypatch):
    for i in range(5):
        _run(api, f"r{i}", {"lr": {"value": i}})
    sign_in(api)
    monkeypatch.setattr(workspace, "DEFAULT_VISIBLE", 2)
    body = api.client.get(UI + "/workspace").json()
    assert [r["name"] for r in body["runs"]] == ["r4", "r3"] and body["runCount"] == 5
    assert body["metrics"][0]["runs"] == 5
    page = api.client.get("/alice/proj").text
    csrf = json.loads(page.split('id="workspace-data">')[1].split("</script>")[0])["csrf"]
    saved = api.client.put(UI + "/workspace/layout", headers={"X-CSRF-Token": csrf},
                           content=json.dumps({"visible": ["r0", "r4", "gone"]}))
    assert saved.status_code == 200, saved.text
    body = api.client.get(UI + "/workspace").json()
    assert [r["name"] for r in body["runs"]] == ["r4", "r3", "r0"]  # r0: the layout shows it


@on_every_database()
def test_the_runs_list_comes_a_page_at_a_time(api):
    for i in range(5):
        _run(api, f"r{i}", {})
    api.gql(UPSERT, name="other", config="{}", group="g", job="train")
    api.stream("r1", {"complete": True, "exitcode": 0, "files": {}})
    sign_in(api)
    page = api.client.get(UI + "/workspace/runs?limit=2").json()
    assert [r["name"] for r in page["runs"]] == ["other", "r4"] and page["total"] == 6
    page = api.client.get(UI + "/workspace/runs?limit=2&offset=5").json()
    assert [r["name"] for r in page["runs"]] == ["r0"] and page["offset"] == 5
    page = api.client.get(UI + "/workspace/runs?q=OTH").json()
    assert [r["name"] for r in page["runs"]] == ["other"] and page["total"] == 1
    for literal in ("r_", "%25", "r!"):  # a search's % and _ match themselves
        assert api.client.get(UI + "/workspace/runs?q=" + literal).json()["total"] == 0
    page = api.client.get(UI + "/workspace/runs?q=TRAIN%20r3").json()  # every word, any field
    assert [r["name"] for r in page["runs"]] == ["r3"]
    page = api.client.get(UI + "/workspace/runs?state=finished").json()
    assert [r["name"] for r in page["runs"]] == ["r1"]
    assert set(page["runs"][0]) >= {"displayName", "colour", "group", "createdAt", "tags"}
    for bad in ("limit=0", "limit=100000", "offset=-1", "offset=x", "state=nope"):
        response = api.client.get(UI + "/workspace/runs?" + bad)
        assert response.status_code == 400, (bad, response.text)


@pytest.mark.parametrize("path", ["/workspace/runs", "/workspace"])
def test_the_runs_list_of_a_project_one_cannot_read_is_not_found(api, path):
    _run(api, "r0", {})
    response = api.client.get(UI.replace("proj", "nothing") + path)
    assert response.status_code in (401, 404)


TAGGED = """mutation T($name: String, $tags: [String!]) {
  upsertBucket(input: {name: $name, modelName: "proj", entityName: "alice", tags: $tags})
  { bucket { id } } }"""


@on_every_database()
def test_the_runs_tags_are_in_the_index_and_the_runs_table_offers_them(app, api):
    store = app.state.services.store
    api.gql(TAGGED, name="a", tags=["base", "zeta"])
    api.gql(TAGGED, name="b", tags=["base", "ünï"])
    _owner, project = store.get_entity_and_project("alice", "proj")
    assert store.project_tags(project.id) == ["base", "zeta", "ünï"]
    api.gql(TAGGED, name="a", tags=["base", "new"])  # zeta gone, new came
    assert store.project_tags(project.id) == ["base", "new", "ünï"]
    assert _index(store)[("tag", "base")] == ("", 2)
    store.delete_run(store.get_run(RunKey("alice", "proj", "b")).id)
    assert store.project_tags(project.id) == ["base", "new"]
    assert _index(store) == _rebuilt(store)
    sign_in(api)
    page = api.client.get("/alice/proj/table").text  # the runs table's tag filter
    assert 'name="tag" value="base"' in page and 'name="tag" value="new"' in page
    assert 'value="zeta"' not in page and 'value="ünï"' not in page
