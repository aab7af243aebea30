"""/metrics after a real client run: the ingest counters moved; logs as JSON lines."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from .harness import Client, start_server

TOKEN = "prom-" + "t" * 27


def test_a_client_run_shows_in_metrics_and_json_logs(tmp_path: Path) -> None:
    server = start_server(tmp_path / "server", extra_env={
        "WBSERVER_METRICS_TOKEN": TOKEN, "WBSERVER_LOG_FORMAT": "json"})
    try:
        client = Client(server=server, root=tmp_path / "client")
        client.script("log_run.py", {"init": {"project": "metrics", "id": "m1"}, "steps": 30,
                                     "console": True,
                                     "save": {"name": "notes.txt", "content": "x" * 5000}})
        answer = httpx.get(f"{server.url}/metrics",
                           headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
        assert answer.status_code == 200, answer.text
        values: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
        for family in text_string_to_metric_families(answer.text):
            for sample in family.samples:
                values[(sample.name, frozenset(sample.labels.items()))] = sample.value

        def total(name: str, **labels: str) -> float:
            return sum(v for (n, ls), v in values.items()
                       if n == name and set(labels.items()) <= ls)

        assert total("wbserver_filestream_rows_total", file="history") >= 30
        assert total("wbserver_filestream_rows_total", file="console") > 0
        assert total("wbserver_upload_bytes_total") >= 5000  # notes.txt through /storage
        route = "/files/{entity}/{project}/{run}/file_stream"
        assert total("wbserver_http_requests_total", route=route, status="200") > 0
        assert total("wbserver_http_requests_total", route="/graphql") > 0
        assert total("wbserver_http_request_duration_seconds_count", route="/graphql") > 0
        assert not any("/files/alice" in dict(ls).get("route", "") for _n, ls in values)
        assert httpx.get(f"{server.url}/metrics", timeout=30).status_code == 401
        assert httpx.get(f"{server.url}/readyz", timeout=30).json()["ok"] is True
    finally:
        server.stop()
    records = [json.loads(line) for line in server.log_path.read_text().splitlines()
               if line.startswith("{")]
    assert any(r["logger"] == "uvicorn.error" and "startup complete" in r["message"]
               for r in records), server.logs()
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
