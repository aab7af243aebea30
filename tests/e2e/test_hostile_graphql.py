"""Hostile GraphQL against a live server and the real client (issue 19): a backtracking
`$regex` in `wandb.Api().runs(filters=…)` must not freeze the server, and what the server
refuses reaches the client as an error with the server's message."""

from __future__ import annotations

import json
import time

import httpx

from .harness import Client, Server, graphql

UPSERT = """mutation($name: String, $config: JSONString) {
  upsertBucket(input: {name: $name, modelName: "hostile", entityName: "alice",
                       config: $config}) { bucket { id } } }"""


def test_a_backtracking_regex_filter_does_not_freeze_the_server(server: Server,
                                                                 client: Client) -> None:
    graphql(server, UPSERT, {"name": "evil", "config": json.dumps({"x": {"value": "a" * 28 + "!"}})})
    graphql(server, UPSERT, {"name": "plain", "config": json.dumps({"x": {"value": "aaa"}})})
    spec = {"project": "alice/hostile",
            "queries": [{"filters": {"config.x": {"$regex": "^(a+)+$"}}, "order": "+created_at"}]}
    proc, out_path = client.popen("api_read.py", spec)
    slowest, probes = 0.0, 0
    with httpx.Client(base_url=server.url, timeout=120) as http:
        while proc.poll() is None:
            started = time.perf_counter()
            assert http.get("/healthz").status_code == 200
            slowest = max(slowest, time.perf_counter() - started)
            probes += 1
            time.sleep(0.1)
    _stdout, stderr = proc.communicate(timeout=60)
    assert probes >= 5
    assert slowest < 1.0, f"/healthz took {slowest:.1f} s while the filter ran"
    assert proc.returncode == 0, stderr[-3000:]
    out = json.loads(out_path.read_text())
    assert out["queries"] == {"value": [["plain"]]}, out


def test_a_refused_filter_reaches_the_client_with_the_servers_message(client: Client) -> None:
    out, _ = client.script("api_read.py", {
        "project": "alice/hostile",
        "queries": [{"filters": {"name": {"$regex": "(a)\\1"}}, "order": "+created_at"}]})
    error = out["queries"].get("error", "")
    assert "is not supported" in error and "RE2" in error, out
