"""The project workspace's JSON in-process (SQLite and MariaDB): the overview (runs, keys
in sections, the x axis define_metric chose), panel data equal to the rows file_stream
stored, any metric as x axis, grouping with bands, the saved layout (per user, checked,
CSRF), and the runs table's summary aggregates and default columns."""

from __future__ import annotations

import json

import pytest

from wbserver.domain.users import create_user

from .test_web_ui import sign_in

UI = "/_ui/alice/proj"
# what wandb-core keeps in config _wandb.m for define_metric("epoch") and
# define_metric("val/*", step_metric="epoch") and define_metric("val/acc", summary="max")
UPSERT = """mutation U($name: String, $config: JSONString, $group: String, $job: String) {
  upsertBucket(input: {name: $name, modelName: "proj", entityName: "alice", config: $config,
    groupName: $group, jobType: $job}) { bucket { id } } }"""
METRIC_DEFS = [{"1": "epoch"}, {"2": "val/*", "5": 1}, {"1": "val/acc", "5": 1, "7": [2]}]


def rows(run: int, count: int) -> list[dict]:
    out = []
    for step in range(count):
        row = {"_step": step, "_runtime": step * 0.5, "_timestamp": 1.7e9 + step,
               "train/loss": (run + 1) / (step + 1), "train/lr": 1e-4 / (step + 1)}
        if step % 4 == 3:
            row.update({"epoch": step // 4, "val/acc": round(0.1 * run + step / 100, 4)})
        out.append(row)
    return out


@pytest.fixture
def project(api):
    sign_in(api)
    logged = {}
    for i in range(4):
        name = f"r{i}"
        config = {"opt": {"value": "adam" if i < 2 else "sgd"}, "lr": {"value": 10.0 ** -i},
                  "_wandb": {"value": {"m": METRIC_DEFS}}}
        api.gql(UPSERT, name=name, config=json.dumps(config), group="g" + str(i % 2),
                job="train")
        logged[name] = rows(i, 40)
        api.stream(name, {"files": {"wandb-history.jsonl": {
            "offset": 0, "content": [json.dumps(r) for r in logged[name]]}}})
    return logged


def panel(api, query: str) -> dict:
    response = api.client.get(UI + "/panels/line?" + query)
    assert response.status_code == 200, response.text
    return response.json()


def runs_param(names) -> str:
    return "".join(f"&runs={n}" for n in names)


def test_overview_lists_runs_keys_in_sections_and_defined_x_axes(api, project):
    body = api.client.get(UI + "/workspace").json()
    assert [r["name"] for r in body["runs"]] == ["r3", "r2", "r1", "r0"]  # newest first
    assert {r["group"] for r in body["runs"]} == {"g0", "g1"}
    assert body["runs"][0]["config"] == {"opt": "sgd", "lr": 0.001}
    metrics = {m["key"]: m for m in body["metrics"]}
    assert set(metrics) == {"train/loss", "train/lr", "val/acc", "epoch"}
    assert (metrics["train/loss"]["section"], metrics["val/acc"]["section"],
            metrics["epoch"]["section"]) == ("train", "val", "charts")
    assert metrics["val/acc"]["xAxis"] == "epoch" and metrics["train/loss"]["xAxis"] is None
    assert "line" in body["panelKinds"] and body["layout"] is None


def test_panel_data_is_what_was_logged_on_any_x_axis(api, project):
    names = ["r0", "r1", "r2", "r3"]
    body = panel(api, "keys=train/loss,val/acc" + runs_param(names))
    loss = {line["name"]: line for line in body["keys"]["train/loss"]["runs"]}
    for name in names:
        assert loss[name]["x"] == [r["_step"] for r in project[name]]
        assert loss[name]["y"] == pytest.approx([r["train/loss"] for r in project[name]])
    # define_metric's x axis: val/acc over epoch; any metric serves
    acc = panel(api, "keys=val/acc&x=epoch" + runs_param(names))["keys"]["val/acc"]["runs"]
    logged = [r for r in project["r2"] if "val/acc" in r]
    assert acc[2]["x"] == [r["epoch"] for r in logged]
    assert acc[2]["y"] == pytest.approx([r["val/acc"] for r in logged])
    by_loss = panel(api, "keys=train/lr&x=train/loss&runs=r1")["keys"]["train/lr"]["runs"][0]
    assert sorted(by_loss["x"]) == pytest.approx(sorted(r["train/loss"] for r in project["r1"]))
    runtime = panel(api, "keys=train/loss&x=runtime&runs=r0")["keys"]["train/loss"]["runs"][0]
    assert runtime["x"] == [r["_runtime"] for r in project["r0"]]
    # only the runs asked for, in that order
    assert [line["name"] for line in panel(api, "keys=train/loss&runs=r2&runs=r0")[
        "keys"]["train/loss"]["runs"]] == ["r2", "r0"]


def test_panel_groups_runs_with_bands(api, project):
    body = panel(api, "keys=train/loss&group=config.opt" + runs_param(["r0", "r1", "r2", "r3"]))
    groups = {g["label"]: g for g in body["keys"]["train/loss"]["groups"]}
    assert set(groups) == {"adam", "sgd"}
    adam = groups["adam"]
    assert sorted(adam["runs"]) == ["r0", "r1"] and adam["n"][0] == 2
    # step 0: r0 logs 1.0, r1 logs 2.0
    assert adam["mean"][0] == pytest.approx(1.5) and adam["std"][0] == pytest.approx(0.5)
    assert (adam["min"][0], adam["max"][0]) == (pytest.approx(1.0), pytest.approx(2.0))
    two = panel(api, "keys=train/loss&group=group,job_type&runs=r0&runs=r1")
    assert sorted(g["label"] for g in two["keys"]["train/loss"]["groups"]) == \
        ["g0 · train", "g1 · train"]


def test_panel_queries_are_checked(api, project):
    get = api.client.get
    assert get(UI + "/panels/line?runs=r0").status_code == 400  # no keys
    assert get(UI + "/panels/nope?keys=a&runs=r0").status_code == 404
    assert get(UI + "/panels/line?keys=a&group=host").status_code == 400
    assert get(UI + "/panels/line?keys=a&min=x").status_code == 400
    many = "".join(f"&runs=x{i}" for i in range(501))
    assert "at most 500" in get(UI + "/panels/line?keys=a" + many).json()["error"]


def test_layout_saved_per_user_checked_and_csrf_bound(api, project):
    put = api.client.put
    store = api.client.app.state.services.store
    page = api.client.get("/alice/proj").text
    csrf = json.loads(page.split('id="workspace-data">')[1].split("</script>")[0])["csrf"]
    layout = {"version": 1, "xAxis": "epoch", "smoothing": 0.3, "logY": False,
              "band": "stderr", "visible": ["r0", "r2"], "collapsed": ["val"],
              "groupBy": ["config.opt"], "colours": {"r0": "#123abc"},
              "panels": [{"id": "c1", "kind": "line", "section": "custom",
                          "keys": ["train/loss", "val/acc"]}]}
    assert put(UI + "/workspace/layout", json=layout).status_code == 403  # no token
    assert put(UI + "/workspace/layout", json=layout,
               headers={"X-CSRF-Token": "forged"}).status_code == 403
    saved = put(UI + "/workspace/layout", json=layout, headers={"X-CSRF-Token": csrf})
    assert saved.status_code == 200, saved.text
    assert put(UI + "/workspace/layout", json=layout,  # a retry writes the same
               headers={"X-CSRF-Token": csrf}).status_code == 200
    assert api.client.get(UI + "/workspace").json()["layout"] == layout
    for bad, why in (({"smoothing": 1.5}, "smoothing"), ({"band": "x"}, "band"),
                     ({"colours": {"r0": "red"}}, "colours"), ({"spy": 1}, "unknown"),
                     ({"panels": [{"id": "p", "kind": "line", "section": "s", "keys": []}]},
                      "panels")):
        response = put(UI + "/workspace/layout", json=bad, headers={"X-CSRF-Token": csrf})
        assert response.status_code == 400 and why in response.json()["error"], bad
    big = {"visible": ["x" * 500] * 200}
    response = put(UI + "/workspace/layout", json=big, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 400 and "KiB" in response.json()["error"]
    # another reader of the project has a layout of their own (none yet)
    bob = create_user(store, username="bob", email="bob@example.com", is_admin=True)
    assert bob.is_admin
    sign_in(api, "bob")
    assert api.client.get(UI + "/workspace").json()["layout"] is None
    api.client.cookies.clear()
    assert put(UI + "/workspace/layout", json=layout).status_code == 401


def test_runs_table_shows_summary_aggregates_and_shared_columns(api):
    sign_in(api)
    for i in range(3):
        config = {"shared": {"value": i}} | ({f"a{k}": {"value": k} for k in range(7)}
                                             if i == 0 else {})
        api.upsert(f"s{i}", config=json.dumps(config),
                   summaryMetrics=json.dumps({"val/acc": {"max": 0.5 + i / 10},
                                              "img": {"_type": "image-file", "width": 3}}))
    body = api.client.get(UI + "/runs?sort=name&desc=0").json()
    assert "config.shared" in body["columns"]  # most runs have it; a0..a6 only one
    assert "summary.val/acc.max" in body["columns"]
    assert not any(c.startswith("summary.img") for c in body["columns"])
    assert {r["name"]: r["cells"]["summary.val/acc.max"] for r in body["rows"]} == \
        {"s0": "0.5", "s1": "0.6", "s2": "0.7"}
    found = api.client.get(UI + "/runs?fk=summary.val/acc.max&fo=%3E&fv=0.55").json()
    assert sorted(names["name"] for names in found["rows"]) == ["s1", "s2"]
    html = api.client.get("/alice/proj/table?fk=summary.nowhere&fo=%3D&fv=1").text
    assert 'id="active-filters"' in html and "summary.nowhere = 1" in html
    assert '<option value="summary.nowhere" selected>' in html


def test_media_panel_shows_the_first_shown_runs_values(api):
    """A media key's panel: each shown run's values over steps as logged, for the first
    MAX_MEDIA_RUNS shown runs that logged the key (in the page's order), and how many did."""
    from wbserver.domain.media_panel import MAX_MEDIA_RUNS

    sign_in(api)
    names = [f"m{i}" for i in range(MAX_MEDIA_RUNS + 2)]
    logged = {}
    for i, name in enumerate(names):
        api.gql(UPSERT, name=name, config="{}", group=None, job=None)
        values = [{"_type": "histogram", "values": [i, step], "bins": [0.0, 0.5, 1.0]}
                  for step in range(2)]
        lines = [{"_step": step, "weights": v, "loss": 1.0} for step, v in enumerate(values)]
        if i == 0:
            lines = [{"_step": 0, "loss": 1.0}]  # this run never logged the key
        api.stream(name, {"files": {"wandb-history.jsonl": {
            "offset": 0, "content": [json.dumps(r) for r in lines]}}})
        logged[name] = values
    overview = api.client.get(UI + "/workspace").json()
    assert {"key": "weights", "section": "charts", "type": "histogram"} in overview["media"]
    order = list(reversed(names))
    response = api.client.get(UI + "/panels/media?keys=weights&type=histogram" +
                              runs_param(order))
    assert response.status_code == 200, response.text
    body = response.json()
    part = body["keys"]["weights"]
    assert body["cap"] == MAX_MEDIA_RUNS and part["of"] == len(names) - 1
    assert [r["name"] for r in part["runs"]] == order[:MAX_MEDIA_RUNS]
    for entry in part["runs"]:
        assert [v["step"] for v in entry["values"]] == [0, 1]
        assert [v["value"]["values"] for v in entry["values"]] == \
            [v["values"] for v in logged[entry["name"]]]
    hidden = api.client.get(UI + "/panels/media?keys=weights&runs=m0").json()
    assert hidden["keys"]["weights"] == {"runs": [], "of": 0}


def events(run: int, count: int) -> list[dict]:
    """System metrics as the client samples them into wandb-events.jsonl."""
    return [{"system.cpu": 10.0 * run + t, "system.memory_percent": 50.0 + t,
             "system.disk./.usageGB": 100.5 + run, "system.network.sent": 1000 * t,
             "system.gpu.0.temp": 40 + run, "_runtime": 2.0 * t, "_timestamp": 1.7e9 + 2 * t,
             "_wandb": True} for t in range(count)]


def test_system_metrics_are_a_section_with_units_across_runs(api, project):
    sampled = {"r0": events(0, 6), "r1": events(1, 9)}
    for name, rows_ in sampled.items():
        api.stream(name, {"files": {"wandb-events.jsonl": {
            "offset": 0, "content": [json.dumps(r) for r in rows_]}}})
    body = api.client.get(UI + "/workspace").json()
    system = {m["key"]: m for m in body["system"]}
    assert set(system) == {"system.cpu", "system.memory_percent", "system.disk./.usageGB",
                           "system.network.sent", "system.gpu.0.temp"}
    assert {m["section"] for m in system.values()} == {"system"}
    assert {k: m["unit"] for k, m in system.items()} == {
        "system.cpu": "%", "system.memory_percent": "%", "system.disk./.usageGB": "GB",
        "system.network.sent": "bytes", "system.gpu.0.temp": "°C"}
    assert system["system.cpu"]["runs"] == 2
    assert "system.cpu" not in {m["key"] for m in body["metrics"]}  # not a history key

    response = api.client.get(UI + "/panels/system?keys=system.cpu,system.gpu.0.temp&x=runtime"
                              + runs_param(["r0", "r1", "r2"]))  # r2 sent no events
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["units"] == {"system.cpu": "%", "system.gpu.0.temp": "°C"}
    cpu = {line["name"]: line for line in data["keys"]["system.cpu"]["runs"]}
    assert set(cpu) == {"r0", "r1"}
    for name, rows_ in sampled.items():
        assert cpu[name]["x"] == [r["_runtime"] for r in rows_]
        assert cpu[name]["y"] == [r["system.cpu"] for r in rows_]
    wall = api.client.get(UI + "/panels/system?keys=system.cpu&x=wall&runs=r1").json()
    assert wall["keys"]["system.cpu"]["runs"][0]["x"] == [r["_timestamp"] for r in sampled["r1"]]
    zoomed = api.client.get(UI + "/panels/system?keys=system.cpu&min=4&max=8&runs=r1").json()
    assert zoomed["keys"]["system.cpu"]["runs"][0]["x"] == [4.0, 6.0, 8.0]
    grouped = api.client.get(UI + "/panels/system?keys=system.memory_percent&group=config.opt"
                             + runs_param(["r0", "r1", "r2", "r3"])).json()
    (adam,) = grouped["keys"]["system.memory_percent"]["groups"]  # r2, r3 (sgd) sent none
    assert adam["label"] == "adam" and sorted(adam["runs"]) == ["r0", "r1"]
    assert adam["mean"][0] == pytest.approx(50.0)


def test_system_panels_parse_a_runs_events_once_until_more_come(api, project, monkeypatch):
    """The second view of the system panels reads no events; a run that sends more is read
    anew and shows them."""
    from wbserver.domain import system_panel

    monkeypatch.setattr(system_panel, "CACHE", system_panel.ColumnCache(budget=2**20))
    api.stream("r0", {"files": {"wandb-events.jsonl": {
        "offset": 0, "content": [json.dumps(r) for r in events(0, 4)]}}})
    parsed: list[int] = []
    real = system_panel.system_columns
    monkeypatch.setattr(system_panel, "system_columns",
                        lambda store, run, *a: parsed.append(run.id) or real(store, run, *a))
    url = UI + "/panels/system?keys=system.cpu,system.gpu.0.temp&x=runtime&runs=r0"
    first = api.client.get(url).json()
    assert api.client.get(url).json() == first and len(parsed) == 1
    api.client.get(UI + "/panels/system?keys=system.network.sent&min=2&runs=r0")
    assert len(parsed) == 1  # another key and a zoom: the same parsed columns
    api.stream("r0", {"files": {"wandb-events.jsonl": {
        "offset": 4, "content": [json.dumps(r) for r in events(0, 6)[4:]]}}})
    cpu = api.client.get(url).json()["keys"]["system.cpu"]["runs"][0]
    assert len(parsed) == 2 and cpu["x"] == [2.0 * t for t in range(6)]
    wall = api.client.get(url.replace("x=runtime", "x=wall")).json()
    assert len(parsed) == 3 and len(wall["keys"]["system.cpu"]["runs"][0]["x"]) == 6
