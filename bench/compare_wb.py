"""The wbserver side of bench/compare.py: feeding it (the real `wandb` client, file_stream,
GraphQL) and timing its answers."""

from __future__ import annotations

import json
import os
import random
import re
import statistics
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from compare_servers import PeakRss, WbServer, cpu_seconds
from sqlalchemy import create_engine, text

CLIENT = textwrap.dedent("""
    import sys, time, wandb
    steps, metrics, name, project = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    run = wandb.init(project=project, id=name, name=name)
    keys = [f"m{i}" for i in range(metrics)] if metrics > 1 else ["loss"]
    for step in range(steps):
        run.log({k: step * 0.001 + j for j, k in enumerate(keys)})
    print("LOOPEND", time.time(), flush=True)
    run.finish()
""")

RUNS_QUERY = """query Runs($project: String!, $entity: String!, $cursor: String,
  $perPage: Int = 50, $order: String, $filters: JSONString) {
  project(name: $project, entityName: $entity) {
    runCount(filters: $filters)
    runs(filters: $filters, after: $cursor, first: $perPage, order: $order) {
      edges { node { id tags name displayName sweepName state config group jobType
                     commit readOnly createdAt heartbeatAt description notes
                     systemMetrics summaryMetrics historyLineCount
                     user { name username } historyKeys } cursor }
      pageInfo { endCursor hasNextPage }
    }
  }
}"""

SAMPLED = """query($entity: String!, $project: String!, $run: String!, $specs: [JSONString!]!) {
  project(name: $project, entityName: $entity) { run(name: $run) { sampledHistory(specs: $specs) } }
}"""


def _engine_url(srv: WbServer, work: Path) -> str:
    mysql = srv.env.get("MYSQL")
    if mysql:
        return re.sub(r"^mysql(\+\w+)?://", "mysql+pymysql://", mysql)
    return f"sqlite:///{work / 'data' / 'wbserver.sqlite'}"


def _client_env(srv: WbServer, work: Path) -> dict[str, str]:
    return {**os.environ, "WANDB_BASE_URL": srv.url, "WANDB_API_KEY": srv.key,
            "WANDB_SILENT": "true", "WANDB_DIR": str(work), "WANDB_CACHE_DIR": str(work),
            "WANDB_CONFIG_DIR": str(work), "HOME": str(work), "WANDB_DISABLE_GIT": "true",
            "WANDB_ENTITY": "bench"}


def ingest(srv: WbServer, work: Path, *, runs: int, steps: int, metrics: int) -> dict[str, Any]:
    """`runs` concurrent real clients; server CPU from their start until every row is stored
    (after one small warm-up run); lag: from the last client's end of logging until the
    server had all its rows."""
    script = work / "client.py"
    script.write_text(CLIENT)
    engine = create_engine(_engine_url(srv, work))
    expected = runs * steps
    env = _client_env(srv, work)
    # Warm up as the MLflow side does (one small run first), so that neither server's figure
    # carries its first-use costs: imports, compiled statements, parsed GraphQL documents.
    subprocess.run([sys.executable, str(script), "10", str(metrics), "warmup", "warmup"],
                   env=env, check=True, capture_output=True)
    with PeakRss(srv.proc.pid) as peak:
        cpu0 = cpu_seconds(srv.proc.pid)
        t0 = time.time()
        clients = [subprocess.Popen([sys.executable, str(script), str(steps), str(metrics),
                                     f"ingest{i}", "ingest"], env=env, stdout=subprocess.PIPE,
                                    text=True) for i in range(runs)]
        stored, done_at = 0, None
        while done_at is None:
            time.sleep(0.1)
            with engine.connect() as conn:
                stored = int(conn.execute(text(
                    "select coalesce(sum(history_line_count), 0) from runs r join projects p"
                    " on p.id = r.project_id where p.name = 'ingest'")).scalar_one())
            if stored >= expected:
                done_at = time.time()
            elif all(c.poll() is not None for c in clients):
                raise SystemExit(f"clients ended with {stored} of {expected} rows stored")
        cpu = cpu_seconds(srv.proc.pid) - cpu0
        loop_ends = []
        for client in clients:
            out, _ = client.communicate()
            loop_ends += [float(m) for m in re.findall(r"LOOPEND ([0-9.]+)", out)]
            assert client.returncode == 0, client.returncode
    engine.dispose()
    points = expected * metrics
    return {"points": points, "cpu": cpu, "wall": done_at - t0,
            "points_per_cpu": points / max(cpu, 1e-9),
            "lag": max(0.0, done_at - max(loop_ends)) if loop_ends else float("nan"),
            "client_rate": points / max(max(loop_ends) - t0, 1e-9) if loop_ends else 0,
            "peak_rss": peak.peak}


def _gql(client: httpx.Client, srv: WbServer, query: str, **variables: Any) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": query, "variables": variables},
                           auth=("api", srv.key))
    assert response.status_code == 200, response.text[:300]
    body = response.json()
    assert not body.get("errors"), body["errors"]
    return body["data"]


def _median_ms(call: Any, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), max(times) - min(times)


def history(srv: WbServer, work: Path, *, points: int, repeat: int) -> tuple[float, float]:
    """Full history of one `points`-point metric, logged by the real client."""
    subprocess.run([sys.executable, str(work / "client.py"), str(points), "1", "hist",
                    "history"], env=_client_env(srv, work), check=True, capture_output=True)
    spec = json.dumps({"keys": ["_step", "loss"], "samples": points})
    with httpx.Client(base_url=srv.url, timeout=120) as client:
        def read() -> None:
            data = _gql(client, srv, SAMPLED, entity="bench", project="history", run="hist",
                        specs=[spec])
            assert len(data["project"]["run"]["sampledHistory"][0]) == points

        read()
        return _median_ms(read, repeat)


def big_metric(srv: WbServer, *, points: int, per_request: int, repeat: int) -> dict[str, Any]:
    """A `points`-point metric sent through file_stream; then the chart's 1,000-bucket read."""
    with httpx.Client(base_url=srv.url, timeout=300, auth=("api", srv.key)) as client:
        _gql(client, srv, """mutation { upsertBucket(input: {name: "big", modelName: "big",
             entityName: "bench"}) { bucket { id } } }""")
        rng = random.Random(2)
        value = 1000.0
        t0 = time.perf_counter()
        for start in range(0, points, per_request):
            lines = []
            for step in range(start, min(points, start + per_request)):
                value += rng.gauss(0, 1)
                lines.append(json.dumps({"loss": value, "_step": step,
                                         "_runtime": step * 0.01,
                                         "_timestamp": 1.7e9 + step * 0.01}))
            response = client.post("/files/bench/big/big/file_stream", json={
                "files": {"wandb-history.jsonl": {"offset": start, "content": lines}}})
            assert response.status_code == 200, response.text[:300]
        # finished, as a client's run ends: a run left "running" would be marked crashed by
        # the stale-run worker in the middle of a later measurement
        response = client.post("/files/bench/big/big/file_stream",
                               json={"complete": True, "exitcode": 0})
        assert response.status_code == 200, response.text[:300]
        fill = time.perf_counter() - t0
    client = _signed_in(srv)
    try:
        url = "/_ui/bench/big/runs/big/series?keys=loss&buckets=1000"

        def read() -> None:
            response = client.get(url)
            assert response.status_code == 200, response.text[:300]
            assert response.json()["series"]["loss"]["total"] == points

        read()
        ms, spread = _median_ms(read, repeat)
    finally:
        client.close()
    return {"ms": ms, "spread": spread, "fill_s": fill}


def _signed_in(srv: WbServer) -> httpx.Client:
    client = httpx.Client(base_url=srv.url, timeout=120)
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token, "no sign-in form"
    response = client.post("/login", data={"username": "bench", "password": srv.password,
                                           "csrf_token": token.group(1)})
    assert response.status_code in (200, 303), response.text[:300]
    return client


# The table's runs are created finished, as runs logged earlier are: a "running" run gets
# no heartbeat here, and the stale-run worker would mark the 10,000 runs crashed one by one
# (a write each) during the measurement that follows.
UPSERT = """mutation($name: String, $config: JSONString, $summary: JSONString) {
  upsertBucket(input: {name: $name, modelName: "table", entityName: "bench", config: $config,
    summaryMetrics: $summary, state: "finished"}) { bucket { id } } }"""


def runs_table(srv: WbServer, *, runs: int, repeat: int) -> dict[str, Any]:
    """`runs` runs with config and summary; the first page filtered by a config value and
    sorted by a summary metric, through GraphQL (wandb.Api) and the web UI's table."""
    rng = random.Random(1)
    specs = [(f"run{i:05d}", json.dumps({"lr": {"value": rng.random()},
                                         "batch": {"value": 2 ** (i % 8)},
                                         "opt": {"value": ("adam", "sgd")[i % 2]}}),
              json.dumps({"loss": rng.random(), "acc": rng.random(), "_step": 100}))
             for i in range(runs)]
    t0 = time.perf_counter()
    with httpx.Client(base_url=srv.url, timeout=120) as client, ThreadPoolExecutor(4) as pool:
        # the first run creates the project (concurrent creation can deadlock on MariaDB)
        _gql(client, srv, UPSERT, name=specs[0][0], config=specs[0][1], summary=specs[0][2])
        list(pool.map(lambda s: _gql(client, srv, UPSERT, name=s[0], config=s[1],
                                     summary=s[2]), specs[1:]))
    fill = time.perf_counter() - t0
    return {"fill_s": fill, **first_page(srv, runs=runs, repeat=repeat)}


def first_page(srv: WbServer, *, runs: int, repeat: int, project: str = "table",
               ui: bool = True) -> dict[str, Any]:
    """Median ms of the first page of `project`'s runs (run{i:05d}, config opt adam on even i)
    filtered by config.opt and sorted by summary loss: GraphQL (wandb.Api's query) and the
    web UI's table JSON."""
    out: dict[str, Any] = {}
    with httpx.Client(base_url=srv.url, timeout=120) as client:
        def page() -> None:
            data = _gql(client, srv, RUNS_QUERY, entity="bench", project=project,
                        filters=json.dumps({"config.opt": "adam"}),
                        order="-summary_metrics.loss", perPage=50)
            assert len(data["project"]["runs"]["edges"]) == min(50, (runs + 1) // 2)

        page()
        out["gql"] = _median_ms(page, repeat)
    if not ui:
        return out
    client = _signed_in(srv)
    try:
        url = f"/_ui/bench/{project}/runs?sort=summary.loss&fk=config.opt&fo=%3D&fv=adam"

        def ui_page() -> None:
            response = client.get(url)
            assert response.status_code == 200, response.text[:300]

        ui_page()
        out["ui"] = _median_ms(ui_page, repeat)
    finally:
        client.close()
    return out
