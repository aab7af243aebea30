"""The real client against a server on PostgreSQL (POSTGRES=...): a run read back exactly,
artifact versions logged, aliased, used and downloaded from another run with a clean cache;
and `serve --workers 2` on PostgreSQL (two processes share the port; SIGTERM stops them)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import psycopg
import pytest

from tests.postgres import fresh_database

from .harness import (
    Client,
    Server,
    base_env,
    free_port,
    live_workers,
    log_and_read_back_a_rich_run,
    start_server,
)


@pytest.fixture(scope="module")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with fresh_database("wbe2e_") as uri:
        server = start_server(tmp_path_factory.mktemp("postgres-server"),
                              extra_env={"POSTGRES": uri, "WBSERVER_RATE_LIMIT_RUN": "0",
                                         "WBSERVER_RATE_LIMIT_PROJECT": "0"})
        try:
            yield server
        finally:
            server.stop()


def _scalar(server: Server, sql: str) -> object:
    with psycopg.connect(server.env["POSTGRES"]) as conn:
        row = conn.execute(sql).fetchone()
    return row[0] if row else None


def test_a_run_on_postgres_reads_back_exactly(postgres_server: Server, tmp_path: Path) -> None:
    assert _scalar(postgres_server, "SELECT to_regclass('runs')::text") == "runs", \
        "the server must keep its metadata in PostgreSQL"
    assert not (postgres_server.data_dir / "wbserver.sqlite").exists()
    log_and_read_back_a_rich_run(postgres_server, tmp_path / "client", "onpg", "pg01")
    assert _scalar(postgres_server, "SELECT history_line_count FROM runs WHERE name = 'pg01'") \
        == 120


def test_artifact_versions_aliases_use_and_download(postgres_server: Server,
                                                    tmp_path: Path) -> None:
    v0_files = {"a.txt": "alpha\n", "sub/b.txt": "bravo\n"}
    v1_files = {"a.txt": "alpha\n", "sub/b.txt": "bravo, changed\n"}
    producer = Client(server=postgres_server, root=tmp_path / "producer")

    def log(run_id: str, files: dict[str, str], **extra: object) -> dict:
        spec = {"action": "log", "init": {"project": "pgarts", "id": run_id}, "name": "data",
                "files": files, **extra}
        out, _ = producer.script("artifacts.py", spec)
        return out

    v0 = log("prod0", v0_files, aliases=["custom"], metadata={"rows": 2})
    assert v0["version"] == "v0" and v0["aliases"] == ["custom", "latest"]
    same = log("prod1", v0_files)
    assert same["version"] == "v0" and same["id"] == v0["id"]
    v1 = log("prod2", v1_files, aliases=["custom"])
    assert v1["version"] == "v1"
    # content is stored once: three distinct files in all
    assert _scalar(postgres_server, "SELECT COUNT(*) FROM artifact_blobs") == 3
    consumer = Client(server=postgres_server, root=tmp_path / "consumer")
    used, _ = consumer.script("artifacts.py", {
        "action": "use", "init": {"project": "pgarts", "id": "cons0"},
        "use": ["data:latest", "data:v0", "data:custom"]})
    assert used["used"]["data:latest"]["files"] == v1_files
    assert used["used"]["data:v0"]["files"] == v0_files
    assert used["used"]["data:custom"]["files"] == v1_files


def test_serve_workers_on_postgres(tmp_path: Path) -> None:
    env = {**base_env(tmp_path), "WBSERVER_DATA_DIR": str(tmp_path / "data")}
    port = free_port()
    command = [sys.executable, "-m", "wbserver", "serve", "--port", str(port), "--workers", "2"]
    with fresh_database("wbworkers_") as uri:
        proc = subprocess.Popen(command, env={**env, "POSTGRES": uri}, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            def workers() -> set[int]:
                return live_workers(proc.pid)
            deadline = time.monotonic() + 60
            ready = False
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    ready = httpx.get(f"http://127.0.0.1:{port}/readyz",
                                      timeout=2).status_code == 200 and len(workers()) == 2
                except httpx.HTTPError:
                    pass
                if ready:
                    break
                time.sleep(0.3)
            assert ready, proc.stderr.read() if proc.poll() is not None else "not ready"  # type: ignore[union-attr]
            left = workers()
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=60) == 0
            assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() !=
                           psutil.STATUS_ZOMBIE for pid in left)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
