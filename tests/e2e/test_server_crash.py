"""The server is SIGKILLed twice while real clients log: every row arrives exactly once.

Two real `wandb` clients keep logging while the server process is killed without warning and
started again on the same port and data (SQLite, then MariaDB). The clients retry through the
outages; afterwards every run holds each of its rows exactly once, in order, with the values
the client logged."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.mariadb import fresh_database

from .harness import Client, Server, _spawn, _wait_healthy, section, start_server, wait_for

PROJECT = "crash-server"
CLIENTS = 2


def _kill_and_restart(server: Server, attempt: int) -> Server:
    os.killpg(server.proc.pid, signal.SIGKILL)
    server.proc.wait(timeout=30)
    time.sleep(1.0)
    restarted = _spawn(server.data_dir, server.env, server.log_path.with_name(
        f"restart{attempt}.log"), port=server.port)
    _wait_healthy(restarted)
    restarted.api_key = server.api_key
    return restarted


def _rows_logged(proc: subprocess.Popen[str]) -> int:
    out, _err = proc.communicate(timeout=240)
    assert proc.returncode == 0, f"client exited with {proc.returncode}:\n{_err[-4000:]}"
    return sum(1 for line in out.splitlines() if line.startswith("row "))


@pytest.fixture(params=["sqlite", "mariadb"])
def database_env(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    if request.param == "sqlite":
        yield {}
        return
    with fresh_database("wbcrash_") as uri:
        yield {"MYSQL": uri}


def test_rows_survive_two_server_kills(tmp_path: Path, database_env: dict[str, str]) -> None:
    server = start_server(tmp_path / "server", extra_env=database_env)
    stop_file = tmp_path / "stop"
    procs: list[tuple[subprocess.Popen[str], Path, Client]] = []
    try:
        for i in range(CLIENTS):
            client = Client(server=server, root=tmp_path / f"client{i}")
            spec: dict[str, Any] = {
                "init": {"project": PROJECT, "id": f"crash{i}{secrets.token_hex(3)}"},
                "stop_file": str(stop_file), "interval": 0.05, "max_rows": 1500,
            }
            proc, out_path = client.popen("slow_log.py", spec)
            procs.append((proc, out_path, client))
        reader = procs[0][2]

        def stored(run_id: str) -> int:
            read = reader.read_run({"run": f"alice/{PROJECT}/{run_id}", "sections": ["scan"]})
            return len(section(read, "scan")) if "error" not in read.get("scan", {}) else 0

        wait_for(lambda: all(out.exists() for _p, out, _c in procs), timeout=120,
                 what="the clients to start their runs")
        ids = [json.loads(out.read_text())["id"] for _p, out, _c in procs]
        wait_for(lambda: stored(ids[0]) >= 20, timeout=120, what="rows before the first kill")
        for attempt in (1, 2):
            server = _kill_and_restart(server, attempt)
            for _p, _out, client in procs:
                client.server = server
            before = stored(ids[0])
            wait_for(lambda b=before: stored(ids[0]) > b + 10, timeout=120,
                     what=f"rows after restart {attempt}")
        stop_file.write_text("stop")
        logged = [_rows_logged(proc) for proc, _out, _c in procs]
        for run_id, count in zip(ids, logged):
            read = reader.read_run({"run": f"alice/{PROJECT}/{run_id}", "sections": ["scan"]})
            rows = section(read, "scan")
            steps = [row["_step"] for row in rows]
            assert steps == list(range(count)), (
                f"{run_id}: {count} rows logged, server has {len(steps)}; "
                f"duplicates {len(steps) - len(set(steps))}, "
                f"missing {sorted(set(range(count)) - set(steps))[:20]}")
            assert [row["loss"] for row in rows] == [1 / (i + 1) for i in range(count)]
    finally:
        stop_file.write_text("stop")
        for proc, _out, _c in procs:
            if proc.poll() is None:
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
        server.stop()
