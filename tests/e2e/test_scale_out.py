"""Scale-out (issue 23): three server processes on one MariaDB database and one S3 bucket with
its SQS queue (moto), behind a round-robin TCP proxy written here. Concurrent real `wandb`
runs (paced history, a 20 MB wandb.save, an artifact, an alert), and mid-way the process
holding the background jobs' leases is SIGKILLed, then started again. Afterwards: every
history row, file, artifact and alert exactly once; each saved file downloadable right after
finish(); wandb.Api() reads the same through each process; another process took the leases
within the lease time; and a setting saved through one process is in force on all of them
within the documented 2 s."""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pymysql
import pytest
from emulators import Emulators, s3_bucket, sqs_queue_for

from tests.mariadb import ADMIN, fresh_database

from .harness import Client, Server, free_port, live_workers, start_server

RUNS = 4
STEPS = 300
SAVE_MB = 20
LEASE_SECONDS = 6.0
SETTINGS_DELAY = 2.0  # SettingsSource's check_every: docs/deployment.md "Scaling out"
PROJECT = "scale"


class RoundRobinProxy:
    """A TCP proxy handing each new connection to the next backend that accepts it (what an
    L4 load balancer does); a backend that refuses is skipped."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self.port = free_port()
        self.connections = dict.fromkeys(ports, 0)
        self._next = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._ready.wait(10), "the proxy did not start"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", self.port))
        self._ready.set()
        self._loop.run_forever()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream = None
        for _ in range(len(self.ports)):
            port = self.ports[self._next % len(self.ports)]
            self._next += 1
            try:
                upstream = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                continue
            self.connections[port] += 1
            break
        if upstream is None:
            writer.close()
            return

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except OSError:
                pass
            finally:
                sink.close()

        await asyncio.gather(pipe(reader, upstream[1]), pipe(upstream[0], writer))

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


def query(database: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    conn = pymysql.connect(**ADMIN, database=database)
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql, args)
            return list(cursor.fetchall())
    finally:
        conn.close()


def lease_owners(database: str) -> dict[str, str]:
    return dict(query(database, "SELECT job, owner FROM worker_leases"))


def owner_pid(owner: str) -> int:
    return int(owner.split(":")[-2])


@pytest.fixture(scope="module")
def cluster(emulators: Emulators, tmp_path_factory: pytest.TempPathFactory,
            ) -> Iterator[tuple[list[Server], RoundRobinProxy, str]]:
    root = tmp_path_factory.mktemp("scale")
    bucket, env = s3_bucket(emulators)
    env.update(sqs_queue_for(emulators, bucket))
    ports = [free_port() for _ in range(3)]
    proxy = RoundRobinProxy(ports)
    servers: list[Server] = []
    with fresh_database("wbscale_") as uri:
        env.update({"MYSQL": uri, "WBSERVER_SECRET_KEY": secrets.token_hex(32),
                    "HOST": proxy.url, "WBSERVER_LEASE_SECONDS": str(LEASE_SECONDS),
                    "WBSERVER_BUCKET_RECONCILE_INTERVAL": "0",
                    "WBSERVER_RATE_LIMIT_RUN": "0", "WBSERVER_RATE_LIMIT_PROJECT": "0"})
        try:
            servers.append(start_server(root / "s0", extra_env=env, port=ports[0]))
            with ThreadPoolExecutor(2) as pool:  # the first one made the schema and alice
                servers += pool.map(lambda i: start_server(
                    root / f"s{i}", extra_env=env, port=ports[i], create_admin=False), (1, 2))
            for server in servers[1:]:
                server.api_key = servers[0].api_key
            yield servers, proxy, uri.rsplit("/", 1)[1]
        finally:
            for server in servers:
                server.stop()
            proxy.stop()


def restart(server: Server) -> Server:
    """Start the killed process again, same port, data folder and environment."""
    again = start_server(server.data_dir.parent, extra_env=server.env, port=server.port,
                         create_admin=False)
    again.api_key = server.api_key
    return again


def test_runs_through_three_processes_one_killed(
        cluster: tuple[list[Server], RoundRobinProxy, str], tmp_path: Path) -> None:
    servers, proxy, database = cluster
    front = Server(data_dir=servers[0].data_dir, port=proxy.port, proc=servers[0].proc,
                   log_path=servers[0].log_path, env=servers[0].env,
                   api_key=servers[0].api_key)
    runs = [f"run{i}" for i in range(RUNS)]
    started = [Client(server=front, root=tmp_path / run).popen("scale_run.py", {
        "project": PROJECT, "run": run, "steps": STEPS, "pause": 0.15, "save_mb": SAVE_MB})
        for run in runs]
    try:
        # the background jobs are held by one process
        deadline = time.monotonic() + 60
        while len(lease_owners(database)) < 4 and time.monotonic() < deadline:
            time.sleep(0.5)
        owners = set(lease_owners(database).values())
        assert len(owners) == 1, f"the jobs are not held by one process: {owners}"
        holder_pid = owner_pid(owners.pop())
        victim = next(i for i, s in enumerate(servers) if s.proc.pid == holder_pid)
        # mid-way: every run has begun its history
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            begun = query(database, "SELECT COUNT(DISTINCT run_id) FROM history_chunks")
            if begun[0][0] >= RUNS:
                break
            time.sleep(0.3)
        os.killpg(servers[victim].proc.pid, signal.SIGKILL)
        servers[victim].proc.wait(timeout=10)
        killed = time.monotonic()
        # another process takes the leases within the lease time and one renewal more
        while time.monotonic() - killed < LEASE_SECONDS * 2 + 5:
            now = lease_owners(database)
            if now and all(owner_pid(o) != holder_pid for o in now.values()):
                break
            time.sleep(0.25)
        took = time.monotonic() - killed
        assert took <= LEASE_SECONDS + LEASE_SECONDS / 3 + 2, f"leases taken over after {took:.1f} s"
        time.sleep(1.0)
        servers[victim] = restart(servers[victim])
        results = []
        for proc, out in started:
            stdout, stderr = proc.communicate(timeout=300)
            assert proc.returncode == 0, f"{stdout}\n{stderr}\n" + "\n".join(
                s.logs() for s in servers)
            results.append(json.loads(out.read_text()))
    finally:
        for proc, _ in started:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    assert all(r["md5"] == r["downloaded_md5"] for r in results), results
    assert all(proxy.connections[p] > 0 for p in proxy.ports), proxy.connections

    # exactly once, in the database
    rows = dict(query(database, "SELECT r.name, COUNT(*) FROM runs r JOIN alerts a "
                                "ON a.run_id = r.id GROUP BY r.name"))
    assert rows == dict.fromkeys(runs, 1), rows
    versions = query(database, "SELECT s.name, COUNT(*) FROM artifacts a JOIN "
                               "artifact_sequences s ON a.sequence_id = s.id GROUP BY s.name")
    assert dict(versions) == {f"data-{run}": 1 for run in runs}, versions
    files = query(database, "SELECT r.name, f.name, f.size_bytes FROM run_files f JOIN runs r "
                            "ON f.run_id = r.id WHERE f.name LIKE 'big-%%'")
    assert sorted(files) == sorted((run, f"big-{run}.bin", SAVE_MB << 20) for run in runs)

    # wandb.Api() through each process reads the same, every row once
    with ThreadPoolExecutor(3) as pool:
        reads = list(pool.map(lambda server: Client(
            server=server, root=tmp_path / f"read{server.port}").script(
            "scale_read.py", {"project": PROJECT, "runs": runs})[0], servers))
    assert reads[0] == reads[1] == reads[2]
    for run in runs:
        seen = reads[0][run]
        assert seen["state"] == "finished" and seen["final"] == run
        assert [step for step, _ in seen["history"]] == list(range(STEPS)), run
        assert [f[:2] for f in seen["files"]] == [[f"big-{run}.bin", SAVE_MB << 20]]
        assert [a["name"] for a in seen["artifacts"]] == [f"data-{run}:v0"]


def test_a_saved_setting_is_in_force_on_every_process(
        cluster: tuple[list[Server], RoundRobinProxy, str]) -> None:
    servers, proxy, _ = cluster
    password = secrets.token_urlsafe(16)
    servers[0].set_password("alice", password)
    big = {"query": "query { viewer { id } }", "padding": "x" * 300_000}

    def too_large(server: Server) -> bool:
        answer = httpx.post(server.url + "/graphql", json=big, timeout=30,
                            headers={"Authorization": "Bearer x"})
        return answer.status_code == 413
    assert not any(too_large(s) for s in servers)
    with httpx.Client(base_url=proxy.url, timeout=30, follow_redirects=False) as browser:
        login = browser.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)
        signed_in = browser.post("/login", data={"csrf_token": token, "username": "alice",
                                                 "password": password})
        assert signed_in.status_code in (302, 303), signed_in.text[:500]
        page = browser.get("/system-admin")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        saved = browser.post("/system-admin/settings", data={
            "csrf_token": token, "max_graphql_bytes": "100000"})
        assert saved.status_code == 200 and "Saved 1 setting" in saved.text, saved.text[-2000:]
        assert "BUCKET_QUEUE sqs://" in saved.text and "answers." in saved.text
    when = time.monotonic()
    for server in servers:
        while not too_large(server):
            assert time.monotonic() - when < SETTINGS_DELAY + 1.5, \
                f"process on port {server.port} still takes 300 kB GraphQL bodies"
            time.sleep(0.1)


def test_serve_workers(tmp_path: Path) -> None:
    """`serve --workers 2`: refused on SQLite; on MariaDB two processes share the port, a
    killed one is replaced, SIGTERM stops them all and the command exits 0."""
    import subprocess
    import sys

    import psutil

    from .harness import base_env

    env = {**base_env(tmp_path), "WBSERVER_DATA_DIR": str(tmp_path / "data")}
    port = free_port()
    command = [sys.executable, "-m", "wbserver", "serve", "--port", str(port), "--workers", "2"]
    refused = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "--workers 2 needs MYSQL" in refused.stderr, refused
    with fresh_database("wbworkers_") as uri:
        proc = subprocess.Popen(command, env={**env, "MYSQL": uri}, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            def workers() -> set[int]:
                return live_workers(proc.pid)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200 \
                            and len(workers()) == 2:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.3)
            first = workers()
            assert len(first) == 2, first
            os.kill(min(first), signal.SIGKILL)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and (len(workers()) != 2 or workers() == first):
                time.sleep(0.3)
            assert len(workers()) == 2 and min(first) not in workers()
            assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json() == {"ok": True}
            left = workers()
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=60) == 0
            assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() !=
                           psutil.STATUS_ZOMBIE for pid in left)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
