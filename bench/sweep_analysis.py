"""Sweep analysis over 200 runs: a sweep registered with upsertSweep and 200 runs written
through GraphQL (in-process), then the server's time for GET /_ui/<e>/<p>/sweeps/<s>/analysis
(parameter importance with the random forest, correlations, parallel-coordinates rows) and
for the workspace's parallel-coordinates panel (no forest) over the same runs.

    .venv/bin/python bench/sweep_analysis.py [--runs 200]
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import random
import statistics
import tempfile
import time
from pathlib import Path

import yaml
from starlette.testclient import TestClient

from wbserver.app import create_app
from wbserver.config.runtime import SettingsSource
from wbserver.domain.clock import utcnow
from wbserver.domain.sessions import start_session
from wbserver.domain.users import create_api_key, create_user

UPSERT_SWEEP = """mutation S($c: String) { upsertSweep(input: {entityName: "alice",
  projectName: "sw", config: $c}) { sweep { name } } }"""
UPSERT_RUN = """mutation U($name: String, $config: JSONString, $summary: JSONString,
  $sweep: String) { upsertBucket(input: {name: $name, modelName: "sw", entityName: "alice",
  config: $config, summaryMetrics: $summary, sweep: $sweep}) { bucket { id } } }"""
PARAMS = {"lr": {"min": 1e-5, "max": 1e-1, "distribution": "log_uniform_values"},
          "batch": {"values": [16, 32, 64, 128]}, "opt": {"values": ["adam", "sgd", "rmsprop"]},
          "dropout": {"min": 0.0, "max": 0.5}, "layers": {"values": [1, 2, 3, 4, 6, 8]},
          "width": {"values": [64, 128, 256, 512]}, "wd": {"min": 0.0, "max": 0.01},
          "warmup": {"values": [0, 100, 500]}}


def timed(client: TestClient, url: str, repeat: int = 7) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        out.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(SettingsSource(environ={"WBSERVER_RATE_LIMIT_RUN": "0",
                                                 "WBSERVER_RATE_LIMIT_PROJECT": "0"},
                                        overrides={"data_dir": str(Path(tmp))}))
        store = app.state.services.store
        user = create_user(store, username="alice", email="alice@example.com", is_admin=True)
        key = create_api_key(store, username="alice")
        auth = {"Authorization": "Basic " + base64.b64encode(f"api:{key}".encode()).decode()}
        rnd = random.Random(0)
        with TestClient(app) as client:
            def gql(query: str, **variables: object) -> dict:
                response = client.post("/graphql", headers=auth,
                                       json={"query": query, "variables": variables})
                assert response.status_code == 200 and "errors" not in response.json()
                return response.json()["data"]

            config = {"method": "random", "metric": {"name": "val/loss", "goal": "minimize"},
                      "parameters": PARAMS}
            sweep = gql(UPSERT_SWEEP, c=yaml.safe_dump(config))["upsertSweep"]["sweep"]["name"]
            for i in range(runs):
                values = {"lr": 10 ** rnd.uniform(-5, -1), "batch": rnd.choice([16, 32, 64, 128]),
                          "opt": rnd.choice(["adam", "sgd", "rmsprop"]),
                          "dropout": rnd.uniform(0, 0.5), "layers": rnd.choice([1, 2, 3, 4, 6, 8]),
                          "width": rnd.choice([64, 128, 256, 512]), "wd": rnd.uniform(0, 0.01),
                          "warmup": rnd.choice([0, 100, 500])}
                loss = (2 + 0.3 * abs(math.log10(values["lr"]) + 3) + 0.4 * values["dropout"]
                        + rnd.gauss(0, 0.05))
                gql(UPSERT_RUN, name=f"r{i:03d}", sweep=sweep,
                    config=json.dumps({k: {"value": v} for k, v in values.items()}),
                    summary=json.dumps({"val/loss": loss, "val/acc": rnd.random()}))
            session = start_session(store, user=user, now=utcnow(), session_hours=1)
            client.cookies.set("wbserver_session", session.token)
            analysis = timed(client, f"/_ui/alice/sw/sweeps/{sweep}/analysis")
            body = client.get(f"/_ui/alice/sw/sweeps/{sweep}/analysis").json()
            names = "".join(f"&runs=r{i:03d}" for i in range(runs))
            parallel = timed(client, "/_ui/alice/sw/panels/parallel?keys=val/loss" + names)
    top = ", ".join(f"{p['key']} {p['importance']:.2f}" for p in body["params"][:3])
    print(f"sweep analysis over {runs} runs x {len(PARAMS)} params (importance: {top})")
    print(f"  GET …/sweeps/<s>/analysis (random forest + correlations): median "
          f"{statistics.median(analysis):.0f} ms, min {min(analysis):.0f} ms")
    print(f"  GET …/panels/parallel (correlations only): median "
          f"{statistics.median(parallel):.0f} ms, min {min(parallel):.0f} ms")


if __name__ == "__main__":
    main()
