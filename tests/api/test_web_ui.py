"""The web UI in-process: project, run, compare and artifact pages and the JSON they fetch,
signed in with a session cookie, on SQLite and MariaDB."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from wbserver.domain.clock import utcnow
from wbserver.domain.sessions import start_session
from wbserver.domain.users import create_user

from .artifact_flow import log_version
from .test_files import CREATE as CREATE_FILES

UPSERT_MODEL = """mutation M($name: String!, $entity: String!) {
  upsertModel(input: {name: $name, entityName: $entity}) { project { id name } } }"""
UI = "/_ui/alice/proj"


def sign_in(api, username: str = "alice") -> None:
    store = api.client.app.state.services.store
    user = store.get_user_by_name(username)
    signed = start_session(store, user=user, now=utcnow(), session_hours=1)
    api.client.cookies.set("wbserver_session", signed.token)


def history(count: int, *, start: int = 0, scale: float = 1.0) -> list[str]:
    return [json.dumps({"_step": i, "_runtime": i * 0.5, "_timestamp": 1.7e9 + i * 0.5,
                        "loss": scale / (i + 1), "acc": (i % 97) / 97})
            for i in range(start, start + count)]


def make_runs(api, count: int) -> None:
    for i in range(count):
        api.upsert(f"r{i:02d}", displayName=f"run-{i:02d}", tags=["even" if i % 2 == 0 else "odd"],
                   config=json.dumps({"lr": {"value": round(0.1 * i, 2)},
                                      "opt": {"value": "adam" if i < 3 else "sgd"}}),
                   summaryMetrics=json.dumps({"acc": i / 10}))


def names(body) -> list[str]:
    return [row["name"] for row in body["rows"]]


def test_runs_table_sorts_filters_searches_and_pages(api):
    sign_in(api)
    make_runs(api, 6)
    api.stream("r01", {"files": {}, "complete": True, "exitcode": 0})
    get = lambda q: api.client.get(UI + "/runs?" + q).json()  # noqa: E731
    assert names(get("sort=config.lr&desc=0")) == ["r00", "r01", "r02", "r03", "r04", "r05"]
    assert names(get("sort=summary.acc&desc=1"))[:2] == ["r05", "r04"]
    assert names(get("sort=name&desc=0"))[0] == "r00"
    assert names(get("state=finished")) == ["r01"]
    assert set(names(get("state=running"))) == {"r00", "r02", "r03", "r04", "r05"}
    assert set(names(get("tag=odd"))) == {"r01", "r03", "r05"}
    assert set(names(get("fk=config.lr&fo=%3E%3D&fv=0.3"))) == {"r03", "r04", "r05"}
    assert set(names(get("fk=config.opt&fo=%3D&fv=adam"))) == {"r00", "r01", "r02"}
    assert set(names(get("fk=summary.acc&fo=%3C&fv=0.2&tag=even"))) == {"r00"}
    assert names(get("q=RUN-03")) == ["r03"]
    body = get("sort=config.lr&desc=0&col=config.lr&col=summary.acc")
    assert body["columns"] == ["config.lr", "summary.acc"]
    assert body["rows"][2]["cells"] == {"config.lr": "0.2", "summary.acc": "0.2"}
    assert body["anyRunning"] is True
    assert api.client.get(UI + "/runs?sort=bogus").status_code == 400
    assert api.client.get(UI + "/runs?fk=config.lr&fo=%3D%3D&fv=1").status_code == 400


def test_runs_table_pages_on_the_server(api):
    sign_in(api)
    make_runs(api, 53)
    first = api.client.get(UI + "/runs?sort=config.lr&desc=0").json()
    assert (first["total"], first["pages"], len(first["rows"])) == (53, 2, 50)
    second = api.client.get(UI + "/runs?sort=config.lr&desc=0&page=2").json()
    assert names(second) == ["r50", "r51", "r52"]
    html = api.client.get("/alice/proj?sort=config.lr&desc=0&page=2").text
    assert 'data-run="r52"' in html and 'data-run="r00"' not in html
    assert "Page 2 of 2" in html and 'rel="prev"' in html


def test_project_page_renders_table_and_teaching_empty_state(api):
    sign_in(api)
    make_runs(api, 3)
    workspace = api.client.get("/alice/proj").text  # the default view; the table a tab
    assert 'id="ws-sections"' in workspace and 'href="/alice/proj/table"' in workspace
    html = api.client.get("/alice/proj/table").text
    assert 'id="runs-table"' in html and "run-02" in html
    assert 'aria-sort="descending"' in html  # newest first by default
    assert 'name="runs" value="r01"' in html  # select for compare
    api.gql(UPSERT_MODEL, name="fresh", entity="alice")
    empty = api.client.get("/alice/fresh").text
    assert "wandb login --host http://testserver" in empty
    assert 'wandb.init(entity="alice", project="fresh")' in empty
    home = api.client.get("/").text
    assert 'href="/alice/proj"' in home and 'id="recent-runs"' in home and "run-02" in home


def test_pages_and_json_need_a_readable_project(api):
    make_runs(api, 1)
    assert api.client.get(UI + "/runs").status_code == 401
    response = api.client.get("/alice/proj", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    store = api.client.app.state.services.store
    create_user(store, username="bob", email="bob@example.com", is_admin=False)
    sign_in(api, "bob")
    assert api.client.get(UI + "/runs").status_code == 404
    assert api.client.get(UI + "/runs/r00/series?keys=loss").status_code == 404
    assert api.client.get("/alice/proj/runs/r00").status_code == 404
    assert api.client.get("/alice/proj/artifacts").status_code == 404
    assert api.client.get("/_ui/alice/proj/compare?runs=r00&keys=loss").status_code == 404


def test_run_series_downsamples_keeps_extremes_and_zooms_to_full_resolution(api):
    sign_in(api)
    api.upsert("big")
    lines = history(20000)
    for start in range(0, 20000, 5000):
        api.stream("big", {"files": {"wandb-history.jsonl": {
            "offset": start, "content": lines[start:start + 5000]}}})
    body = api.client.get(UI + "/runs/big/series?keys=loss,acc").json()
    loss = body["series"]["loss"]
    assert loss["total"] == 20000 and loss["sampled"] is True
    assert len(loss["x"]) <= 4000 and loss["x"][0] == 0 and loss["x"][-1] == 19999
    assert max(loss["y"]) == 1.0 and min(loss["y"]) == pytest.approx(1 / 20000)
    assert max(body["series"]["acc"]["y"]) == pytest.approx(96 / 97)
    zoomed = api.client.get(UI + "/runs/big/series?keys=loss&min=100&max=2099").json()
    part = zoomed["series"]["loss"]
    assert part["sampled"] is False and part["x"] == list(range(100, 2100))
    assert part["y"][0] == pytest.approx(1 / 101)
    runtime = api.client.get(UI + "/runs/big/series?keys=loss&x=runtime&max=10").json()
    assert runtime["series"]["loss"]["x"] == [i * 0.5 for i in range(21)]
    wall = api.client.get(UI + "/runs/big/series?keys=loss&x=wall&max=1700000001").json()
    assert wall["series"]["loss"]["x"][-1] == pytest.approx(1.7e9 + 1)
    assert api.client.get(UI + "/runs/big/series?keys=loss&x=nope").status_code == 400


def test_system_metrics_console_log_and_status(api):
    sign_in(api)
    api.upsert("r1")
    events = [json.dumps({"system.cpu": 10 + i, "system.memory": 50.5, "_wandb": True,
                          "_runtime": 2 * i, "_timestamp": 1.7e9 + 2 * i}) for i in range(5)]
    log = ["2024-01-01T00:00:00.000000 hello", "ERROR 2024-01-01T00:00:01.000000 oops",
           "2024-01-01T00:00:02.000000 bye"]
    api.stream("r1", {"files": {"wandb-events.jsonl": {"offset": 0, "content": events},
                                "output.log": {"offset": 0, "content": log},
                                "wandb-history.jsonl": {"offset": 0, "content": history(3)}}})
    system = api.client.get(UI + "/runs/r1/system?x=runtime").json()["series"]
    assert system["system.cpu"]["x"] == [0, 2, 4, 6, 8]
    assert system["system.cpu"]["y"] == [10, 11, 12, 13, 14]
    logs = api.client.get(UI + "/runs/r1/logs").json()
    assert [(ln["text"], ln["stderr"]) for ln in logs["lines"]] == [
        ("hello", False), ("oops", True), ("bye", False)]
    assert logs["next"] == 3
    found = api.client.get(UI + "/runs/r1/logs?q=OOP").json()
    assert [ln["n"] for ln in found["lines"]] == [1]
    tail = api.client.get(UI + "/runs/r1/logs?start=2").json()
    assert [ln["text"] for ln in tail["lines"]] == ["bye"]
    status = api.client.get(UI + "/runs/r1/status").json()
    assert status["state"] == "running" and status["historyLineCount"] == 3
    assert status["metrics"] == ["acc", "loss"]


def test_run_page_shows_overview_files_and_artifacts(api):
    sign_in(api)
    api.upsert("r1", config=json.dumps({"lr": {"value": 0.25}, "net": {"value": {"depth": 3}}}),
               tags=["baseline"], summaryMetrics=json.dumps({"best": 0.9}))
    api.stream("r1", {"files": {"wandb-history.jsonl": {"offset": 0, "content": history(3)}}})
    created = api.gql(CREATE_FILES, entity="alice", project="proj", run="r1",
                      files=["model.txt"])["data"]["createRunFiles"]["files"][0]
    parts = urlsplit(created["uploadUrl"])
    assert api.client.put(parts.path + "?" + parts.query, content=b"weights").status_code == 200
    log_version(api, "data", {"a.txt": b"alpha"}, metadata={"rows": 3})
    html = api.client.get("/alice/proj/runs/r1").text
    assert "<td>lr</td><td>0.25</td>" in html and "<td>net.depth</td><td>3</td>" in html
    assert "<td>best</td><td>0.9</td>" in html and "baseline" in html
    tree = json.loads(html.split('id="files-data">')[1].split("</script>")[0])
    assert [(f[0], f[1]) for f in tree["files"]] == [("model.txt", 7)]
    assert 'data-url="/_ui/alice/proj/runs/r1/lineage"' in html
    assert "/alice/proj/artifacts/dataset/data/v0" in html
    assert '"metrics": ["acc", "loss"]' in html


def test_artifact_pages_by_type_collection_and_version(api):
    sign_in(api)
    api.upsert("r1")
    api.upsert("r2")
    log_version(api, "data", {"a.txt": b"alpha"}, aliases=("best",), metadata={"rows": 3})
    log_version(api, "data", {"a.txt": b"beta", "b.txt": b"more"})
    store = api.client.app.state.services.store
    project = store.get_project("alice", "proj")
    first = store.find_artifact(project.id, "data", "v0")
    run2 = store.get_run_by_id(store.list_runs(project.id)[1].id)
    store.record_artifact_use(first.id, run2.id, None)
    listing = api.client.get("/alice/proj/artifacts").text
    assert 'data-type="dataset"' in listing and "/alice/proj/artifacts/dataset/data/v1" in listing
    versions = api.client.get("/alice/proj/artifacts/dataset/data").text
    assert versions.index(">v1<") < versions.index(">v0<")
    page = api.client.get("/alice/proj/artifacts/dataset/data/best").text
    assert "data:v0" in page and "&#34;rows&#34;: 3" in page
    assert 'id="logged-by"><a href="/alice/proj/runs/r1"' in page
    assert 'href="/alice/proj/runs/r2"' in page.split('id="used-by"')[1]
    tree = json.loads(page.split('id="files-data">')[1].split("</script>")[0])
    assert [(f[0], f[1]) for f in tree["files"]] == [("a.txt", 5)]
    parts = urlsplit(tree["files"][0][2])
    assert 'data-url="/_ui/alice/proj/artifacts/dataset/data/v0/lineage"' in page
    assert api.client.get(parts.path + "?" + parts.query).content == b"alpha"
    assert api.client.get("/alice/proj/artifacts/model/data/v0").status_code == 404
    assert api.client.get("/alice/proj/artifacts/dataset/data/v9").status_code == 404


def test_compare_overlays_runs_and_groups_by_config(api):
    sign_in(api)
    for name, opt, scale in (("a", "adam", 1.0), ("b", "adam", 3.0), ("c", "sgd", 2.0)):
        api.upsert(name, config=json.dumps({"opt": {"value": opt}}))
        api.stream(name, {"files": {"wandb-history.jsonl": {
            "offset": 0, "content": history(10, scale=scale)}}})
    body = api.client.get(UI + "/compare?runs=a&runs=b&keys=loss").json()
    lines = body["loss"]["runs"]
    assert [line["name"] for line in lines] == ["a", "b"]
    assert lines[1]["y"][0] == 3.0 and lines[0]["colour"] != "" and lines[0]["x"] == list(range(10))
    again = api.client.get(UI + "/compare?runs=b&runs=a&keys=loss").json()
    assert {ln["name"]: ln["colour"] for ln in again["loss"]["runs"]} == \
        {ln["name"]: ln["colour"] for ln in lines}  # colours stay with the run
    grouped = api.client.get(UI + "/compare?runs=a&runs=b&runs=c&keys=loss&group=opt").json()["loss"]["groups"]
    adam, sgd = grouped
    assert adam["label"] == "adam" and sorted(adam["runs"]) == ["a", "b"]
    assert adam["mean"][0] == 2.0 and adam["min"][0] == 1.0 and adam["max"][0] == 3.0
    assert sgd["mean"][0] == 2.0 and sgd["min"][0] == sgd["max"][0] == 2.0
    page = api.client.get("/alice/proj/compare?runs=a&runs=c").text
    assert 'data-run="a"' in page and 'data-run="c"' in page and '<option value="opt"' in page
