"""Sweep analysis over HTTP (issues 22 and 25): the sweep page's JSON, the workspace's
analysis panel kinds and the compare page's config diff, on a synthetic sweep whose metric
one parameter (lr) drives."""

from __future__ import annotations

import json
import random

import pytest
import yaml

from .test_web_ui import sign_in

UPSERT_SWEEP = """mutation S($c: String) { upsertSweep(input: {entityName: "alice",
  projectName: "proj", config: $c}) { sweep { name } } }"""
UPSERT_RUN = """mutation U($name: String, $config: JSONString, $summary: JSONString,
  $sweep: String) { upsertBucket(input: {name: $name, modelName: "proj", entityName: "alice",
  config: $config, summaryMetrics: $summary, sweep: $sweep}) { bucket { id } } }"""
CONFIG = {"method": "random", "metric": {"name": "val/loss", "goal": "minimize"},
          "parameters": {"lr": {"min": 0.0, "max": 1.0}, "batch": {"values": [16, 32, 64]},
                         "opt": {"values": ["adam", "sgd"]}}}


@pytest.fixture
def database():
    """SQLite only: the analysis reads runs through the store's existing sweep and run reads
    (tested on MariaDB elsewhere); the numbers are computed in Python."""
    return {}


def fill_sweep(api, runs: int = 24) -> str:
    sign_in(api)
    name = api.gql(UPSERT_SWEEP, c=yaml.safe_dump(CONFIG))["data"]["upsertSweep"]["sweep"]["name"]
    rnd = random.Random(5)
    for i in range(runs):
        lr = rnd.random()
        config = {"lr": lr, "batch": rnd.choice([16, 32, 64]), "opt": rnd.choice(["adam", "sgd"]),
                  "seed": 1}
        summary = {"val/loss": 3 - 2 * lr + rnd.gauss(0, 0.02), "acc": rnd.random()}
        if i == 0:
            summary = {"acc": 0.5}  # a run without the metric (crashed early)
        api.gql(UPSERT_RUN, name=f"s{i}", sweep=name, summary=json.dumps(summary),
                config=json.dumps({k: {"value": v} for k, v in config.items()}))
    return name


def test_sweep_analysis_json_ranks_the_driving_parameter_first(api):
    name = fill_sweep(api)
    response = api.client.get(f"/_ui/alice/proj/sweeps/{name}/analysis")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["metric"] == "val/loss" and body["goal"] == "minimize"
    assert body["metrics"][0] == "val/loss" and "acc" in body["metrics"]
    assert [p["key"] for p in body["params"]][0] == "lr"
    assert {p["key"] for p in body["params"]} == {"lr", "batch", "opt"}
    assert body["params"][0]["importance"] > 0.8 and body["params"][0]["correlation"] < -0.99
    assert body["constant"] == ["seed"] and body["scored"] == 23 and body["missing"] == 1
    by_name = {r["name"]: r for r in body["runs"]}
    assert by_name["s0"]["metric"] is None and set(by_name["s1"]["config"]) == {"lr", "batch", "opt"}
    other = api.client.get(f"/_ui/alice/proj/sweeps/{name}/analysis?metric=acc").json()
    assert other["metric"] == "acc" and other["scored"] == 24 and other["goal"] is None
    assert abs(other["params"][0]["correlation"] or 0) < 0.6  # noise: nothing drives acc
    assert api.client.get("/_ui/alice/proj/sweeps/nope/analysis").status_code == 404
    long = api.client.get(f"/_ui/alice/proj/sweeps/{name}/analysis?metric=" + "m" * 300)
    assert long.status_code == 400


def test_too_few_runs_give_a_message(api):
    sign_in(api)
    name = fill_sweep(api, runs=3)  # s0 lacks the metric: two scored runs
    body = api.client.get(f"/_ui/alice/proj/sweeps/{name}/analysis").json()
    assert body["messageId"] == "too_few" and "at least 3 runs" in body["message"]
    assert all(p["importance"] is None for p in body["params"])


def test_workspace_analysis_panels_over_the_shown_runs(api):
    fill_sweep(api)
    runs = "".join(f"&runs=s{i}" for i in range(24))
    imp = api.client.get("/_ui/alice/proj/panels/importance?keys=val/loss" + runs)
    assert imp.status_code == 200, imp.text
    data = imp.json()["keys"]["val/loss"]
    assert data["params"][0]["key"] == "lr" and data["importance"] is True
    par = api.client.get("/_ui/alice/proj/panels/parallel?keys=val/loss" + runs).json()
    data = par["keys"]["val/loss"]
    assert data["importance"] is False and data["params"][0]["key"] == "lr"  # by |correlation|
    assert all(p["importance"] is None for p in data["params"])
    few = api.client.get("/_ui/alice/proj/panels/scatter?keys=val/loss&runs=s1&runs=s2").json()
    assert few["keys"]["val/loss"]["messageId"] == "too_few"


def test_compare_shows_only_differing_config_keys(api):
    fill_sweep(api, runs=4)
    page = api.client.get("/alice/proj/compare?runs=s1&runs=s2&runs=s3")
    assert page.status_code == 200
    text = page.text
    assert 'id="config-diff"' in text
    assert 'data-key="lr"' in text and 'data-key="seed"' not in text  # same everywhere
    assert 'class="differs"' in text
