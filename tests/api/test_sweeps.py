"""Sweeps in process (issue 25): the claim on run slots under concurrency, Hyperband's stops
reaching the agent, the local controller's protocol, and who may drive whose sweep."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from itertools import product

import pytest
import yaml

from wbserver.api.graphql.ids import decode_id
from wbserver.domain.sweep_controller import controller_step, schedule_next
from wbserver.domain.users import create_api_key, create_user

from .conftest import Api, database_settings

UPSERT = """mutation S($e: String, $p: String, $c: String, $id: ID, $s: String,
  $controller: JSONString) {
  upsertSweep(input: {entityName: $e, projectName: $p, config: $c, id: $id, state: $s,
  controller: $controller}) { sweep { id name state } configValidationWarnings } }"""
AGENT = """mutation A($s: String!) { createAgent(input: {host: "h", entityName: "alice",
  projectName: "proj", sweep: $s}) { agent { id } } }"""
BEAT = """mutation H($id: ID!, $rs: JSONString) { agentHeartbeat(input: {id: $id,
  runState: $rs}) { commands } }"""
READ = """query R($s: String!) { project(name: "proj", entityName: "alice") { sweep(sweepName:
  $s) { state scheduler runCount runCountExpected bestLoss runs { edges { node { name state
  config shouldStop } } } } } }"""


@pytest.fixture(params=["sqlite"])
def database(request):
    """SQLite here; the tests of concurrency and of the controller's reads run on MariaDB
    and PostgreSQL too (a fresh database costs seconds)."""
    yield from database_settings(request.param)


BOTH = pytest.mark.parametrize("database", ["sqlite", "mariadb", "postgres"], indirect=True)


def _sweep(api: Api, config: dict) -> dict:
    body = api.gql(UPSERT, e="alice", p="proj", c=yaml.safe_dump(config))
    return body["data"]["upsertSweep"]["sweep"]


def _agent(api: Api, sweep: dict) -> str:
    return api.gql(AGENT, s=sweep["name"])["data"]["createAgent"]["agent"]["id"]


def _beat(api: Api, agent: str, alive: dict | None = None) -> list[dict]:
    body = api.gql(BEAT, id=agent, rs=json.dumps(alive or {}))
    return json.loads(body["data"]["agentHeartbeat"]["commands"])


def _read(api: Api, sweep: dict) -> dict:
    return api.gql(READ, s=sweep["name"])["data"]["project"]["sweep"]


@BOTH
def test_concurrent_claims_give_each_grid_point_once(api, app):
    """Twelve heartbeats at once (as from several agents and server processes) on a 3x3
    grid: the conditional UPDATE lets one claim each slot; nine runs, each point once."""
    sweep = _sweep(api, {"method": "grid", "parameters": {"a": {"values": [1, 2, 3]},
                                                          "b": {"values": ["u", "v", "w"]}}})
    store = app.state.services.store
    user = store.get_user_by_name("alice")
    sweep_id = decode_id("Sweep", sweep["id"])
    with ThreadPoolExecutor(6) as pool:
        made = [m for m in pool.map(lambda _i: schedule_next(store, sweep_id=sweep_id,
                                                             user_id=user.id), range(12))
                if isinstance(m, tuple)]
    while isinstance(more := schedule_next(store, sweep_id=sweep_id, user_id=user.id), tuple):
        made.append(more)  # a heartbeat that lost every race gets its run next time
    assert more == "exhausted"
    points = sorted((m[1]["a"]["value"], m[1]["b"]["value"]) for m in made)
    assert points == sorted(product([1, 2, 3], ["u", "v", "w"]))
    found = _read(api, sweep)
    assert found["runCount"] == 9 and found["runCountExpected"] == 9
    assert found["state"] == "RUNNING"  # covered: no tenth run; FINISHED once they end
    assert {e["node"]["state"] for e in found["runs"]["edges"]} == {"pending"}


@BOTH
def test_heartbeat_runs_then_hyperband_stops_a_bad_run_and_the_agent_is_told(api, app):
    config = {"method": "random", "metric": {"name": "loss", "goal": "minimize"},
              "early_terminate": {"type": "hyperband", "min_iter": 2, "eta": 2},
              "parameters": {"x": {"min": 0.0, "max": 1.0}}, "program": "train.py"}
    sweep = _sweep(api, config)
    agent = _agent(api, sweep)
    names = []
    for _ in range(4):
        [command] = _beat(api, agent)
        assert command["type"] == "run" and command["program"] == "train.py"
        assert 0.0 <= command["args"]["x"]["value"] <= 1.0
        names.append(command["run_id"])
        # its process starts: the run is the client's from now on
        api.upsert(command["run_id"], config=json.dumps(command["args"]))
    curves = {names[0]: [1, 0.5, 0.4, 0.3], names[1]: [1, 0.6, 0.5, 0.4],
              names[2]: [1, 0.7, 0.6, 0.5], names[3]: [5, 5, 5]}
    for name, losses in curves.items():
        lines = [json.dumps({"_step": i, "loss": v}) for i, v in enumerate(losses)]
        summary = [json.dumps({"loss": losses[-1]})]
        api.stream(name, {"files": {"wandb-history.jsonl": {"offset": 0, "content": lines},
                                    "wandb-summary.json": {"offset": 0, "content": summary}},
                          **({"complete": True, "exitcode": 0} if name != names[3] else {})})
    report = controller_step(app.state.services.store)
    assert report.stopped_runs == 1
    assert controller_step(app.state.services.store).stopped_runs == 0  # idempotent
    runs = {e["node"]["name"]: e["node"] for e in _read(api, sweep)["runs"]["edges"]}
    assert [n for n, r in runs.items() if r["shouldStop"]] == [names[3]]
    commands = _beat(api, agent, {names[3]: True})
    assert [(c["type"], c.get("run_id")) for c in commands] == [("stop", names[3])]
    assert _read(api, sweep)["bestLoss"] == 0.3


def test_pause_cancel_and_run_cap(api, app):
    sweep = _sweep(api, {"method": "random", "run_cap": 2,
                         "parameters": {"x": {"values": [1, 2, 3]}}})
    agent = _agent(api, sweep)
    api.gql(UPSERT, id=sweep["id"], s="PAUSED", e="alice", p="proj")
    assert _beat(api, agent) == []  # paused: nothing new
    api.gql(UPSERT, id=sweep["id"], s="RUNNING", e="alice", p="proj")
    first = _beat(api, agent)[0]["run_id"]
    assert _beat(api, agent, {first: True}) == []  # busy: nothing new
    second = _beat(api, agent)[0]["run_id"]
    assert [c["type"] for c in _beat(api, agent)] == ["exit"]  # run_cap reached
    assert _read(api, sweep)["state"] == "RUNNING"  # until its runs have ended
    for name in (first, second):
        api.upsert(name)
        api.stream(name, {"complete": True, "exitcode": 0})
    controller_step(app.state.services.store)
    assert _read(api, sweep)["state"] == "FINISHED"
    refused = api.gql(UPSERT, expect=400, id=sweep["id"], s="CANCELED", e="alice", p="proj")
    assert "cannot be set to canceled" in refused["errors"][0]["message"]

    other = _sweep(api, {"method": "grid", "parameters": {"x": {"values": [1, 2]}}})
    agent = _agent(api, other)
    run = _beat(api, agent)[0]["run_id"]
    api.gql(UPSERT, id=other["id"], s="CANCELED", e="alice", p="proj")
    assert [(c["type"], c.get("run_id")) for c in _beat(api, agent, {run: True})] == [
        ("stop", run), ("exit", None)]
    assert second != first


def test_local_controller_schedule_earlystop_and_done(api):
    """wandb.controller(): the client puts a run in controller.schedule, the server makes it
    and answers in scheduler.scheduled; earlystop reaches the agent; args None ends it."""
    sweep = _sweep(api, {"method": "bayes", "controller": {"type": "local"},
                         "metric": {"name": "loss"},
                         "parameters": {"x": {"min": 0.0, "max": 1.0}}})
    agent = _agent(api, sweep)
    assert _beat(api, agent) == []  # nothing scheduled yet
    schedule = {"schedule": [{"id": "s1", "data": {"args": {"x": {"value": 0.25}}}}]}
    api.gql(UPSERT, id=sweep["id"], controller=json.dumps(schedule), e="alice", p="proj")
    [command] = _beat(api, agent)
    assert command["type"] == "run" and command["args"] == {"x": {"value": 0.25}}
    scheduled = json.loads(_read(api, sweep)["scheduler"])["scheduled"]
    assert scheduled == [{"id": "s1", "runid": command["run_id"]}]
    assert _beat(api, _agent(api, sweep)) == []  # s1 is taken: another agent waits
    stop = {"schedule": [], "earlystop": [command["run_id"]]}
    api.gql(UPSERT, id=sweep["id"], controller=json.dumps(stop), e="alice", p="proj")
    assert [c["type"] for c in _beat(api, agent, {command["run_id"]: True})] == ["stop"]
    done = {"schedule": [{"id": "s2", "data": {"args": None}}]}
    api.gql(UPSERT, id=sweep["id"], controller=json.dumps(done), e="alice", p="proj")
    assert [c["type"] for c in _beat(api, agent)] == ["exit"]
    assert _read(api, sweep)["state"] == "FINISHED"


def test_prior_runs_join_the_new_sweep_and_count_in_its_grid(api):
    """`wandb sweep -R RUN`: the run joins the sweep; its grid point is not run again."""
    api.upsert("old", config=json.dumps({"x": {"value": 1}}))
    query = UPSERT.replace("$controller: JSONString)", "$controller: JSONString, $prior: "
                           "JSONString)").replace("controller: $controller}", "controller: "
                                                  "$controller, priorRunsFilters: $prior}")
    body = api.gql(query, e="alice", p="proj", prior=json.dumps({"$or": [{"name": "old"}]}),
                   c=yaml.safe_dump({"method": "grid", "parameters": {"x": {"values": [1, 2]}}}))
    sweep = body["data"]["upsertSweep"]["sweep"]
    agent = _agent(api, sweep)
    [command] = _beat(api, agent)
    assert command["args"] == {"x": {"value": 2}}
    names = {e["node"]["name"] for e in _read(api, sweep)["runs"]["edges"]}
    assert names == {"old", command["run_id"]}


def test_bad_configs_are_refused_with_a_message(api):
    body = api.gql(UPSERT, expect=400, e="alice", p="proj", c="method: nope\nparameters: {}\n")
    assert "method must be one of grid, random, bayes" in body["errors"][0]["message"]
    body = api.gql(UPSERT, expect=400, e="alice", p="proj", c="[1, 2")
    assert "not valid YAML" in body["errors"][0]["message"]
    warned = api.gql(UPSERT, e="alice", p="proj",
                     c=yaml.safe_dump({"method": "grid", "parameters": {"x": {"valuez": 1}}}))
    assert warned["data"]["upsertSweep"]["configValidationWarnings"]


def test_another_user_can_neither_drive_nor_see_the_sweep(api, app):
    sweep = _sweep(api, {"method": "grid", "parameters": {"x": {"values": [1]}}})
    agent = _agent(api, sweep)
    store = app.state.services.store
    create_user(store, username="bob", email="bob@example.com", is_admin=False)
    bob = Api(api.client, create_api_key(store, username="bob"))
    assert bob.gql(BEAT, expect=404, id=agent, rs="{}")["errors"][0]["message"] == \
        "sweep not found"
    assert bob.gql(UPSERT, expect=404, id=sweep["id"], s="PAUSED")["errors"]
    assert bob.gql(AGENT, expect=404, s=sweep["name"])["errors"]
    assert bob.gql(READ, s=sweep["name"])["data"]["project"] is None
    assert _read(api, sweep)["state"] == "RUNNING"


def test_sweep_page_shows_runs_and_best_run_and_its_buttons_change_the_state(api):
    """The project's Sweeps tab, the sweep page (runs, parameters, best run by the metric)
    and its buttons: CSRF-checked, for writers only."""
    from .test_artifact_delete_ui import csrf
    from .test_web_ui import sign_in

    sign_in(api)
    sweep = _sweep(api, {"method": "grid", "name": "my search",
                         "metric": {"name": "acc", "goal": "maximize"},
                         "parameters": {"lr": {"values": [0.1, 0.01]}}})
    agent = _agent(api, sweep)
    for acc in (0.5, 0.9):
        run = _beat(api, agent)[0]["run_id"]
        api.upsert(run, summaryMetrics=json.dumps({"acc": acc}))
    project = api.client.get("/alice/proj/sweeps").text
    assert 'href="/alice/proj/sweeps/' + sweep["name"] + '"' in project and "my search" in project
    page_url = "/alice/proj/sweeps/" + sweep["name"]
    page = api.client.get(page_url).text
    assert page.count('<tr class="best">') == 1 and "acc = 0.9" in page
    assert "<td>0.01</td>" in page and "<td>0.1</td>" in page, page[page.find("<tbody"):][:800]
    # the grid is covered: the idle agent exits; the sweep finishes once its runs have ended
    assert _beat(api, agent)[0]["type"] == "exit"
    for edge in _read(api, sweep)["runs"]["edges"]:
        api.stream(edge["node"]["name"], {"complete": True, "exitcode": 0})
    assert _beat(api, agent)[0]["type"] == "exit"
    page = api.client.get(page_url).text
    assert 'id="sweep-state">finished' in page
    assert 'id="sweep-controls"' not in page  # a covered grid: finished, no buttons

    other = _sweep(api, {"method": "random", "parameters": {"x": {"min": 0.0, "max": 1.0}}})
    page_url = "/alice/proj/sweeps/" + other["name"]
    page = api.client.get(page_url).text
    token = csrf(page)
    assert 'value="pause"' in page and 'value="cancel"' in page
    forged = api.client.post(page_url + "/state", data={"csrf_token": "x", "action": "pause"})
    assert forged.status_code == 403 and _read(api, other)["state"] == "RUNNING"
    done = api.client.post(page_url + "/state", data={"csrf_token": token, "action": "pause"},
                           follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == page_url
    assert _read(api, other)["state"] == "PAUSED"
    assert 'value="resume"' in api.client.get(page_url).text
