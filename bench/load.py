"""Load run: 16 client-like writers for 60 s against a live server (issue 19, rate limits).

Each writer does what the wandb client does for a run, faster: UpsertBucket, then a
file_stream request every `--interval` seconds (the client: every 15 s) carrying the history
rows logged since the last accepted one, a config update, and a last request marking the run
complete. Like the client, a writer that gets 429 waits `Retry-After` and sends the same
request again (later rows gather for the next one); after a 5xx it backs off and resends.
At the end it reads every run back and prints the requests sent, the 5xx and 429 answers,
whether each 429 carried Retry-After, and whether every row was stored. Figures, not
pass/fail (the exit code is 1 only when rows are missing or a run is not finished).

    .venv/bin/python bench/load.py                      # defaults: expect zero 429 and 5xx
    .venv/bin/python bench/load.py --rate-limit-run 0.5 --seconds 30   # a low limit
    .venv/bin/python bench/load.py --mysql mysql://root:@127.0.0.1:3306/wbload
"""

from __future__ import annotations

import argparse
import base64
import collections
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

UPSERT = """mutation UpsertBucket($name: String, $project: String, $entity: String,
  $config: JSONString) { upsertBucket(input: {name: $name, modelName: $project,
  entityName: $entity, config: $config}) { bucket { id name } inserted } }"""
COUNTS = """query RunResumeStatus($project: String, $entity: String, $name: String!) {
  model(name: $project, entityName: $entity) { bucket(name: $name, missingOk: true) {
  historyLineCount } } }"""
STATE = """query S($project: String!, $entity: String!, $name: String!) {
  project(name: $project, entityName: $entity) { run(name: $name) { state } } }"""


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    retry_after: list[float] = field(default_factory=list)
    no_retry_after: int = 0
    errors: collections.Counter[str] = field(default_factory=collections.Counter)

    def count(self, response: httpx.Response) -> None:
        with self.lock:
            self.statuses[response.status_code] += 1
            if response.status_code == 429:
                value = response.headers.get("retry-after")
                if value is None:
                    self.no_retry_after += 1
                else:
                    self.retry_after.append(float(value))


class Writer:
    def __init__(self, url: str, key: str, run: str, tally: Tally, rows_per_tick: int) -> None:
        token = base64.b64encode(f"api:{key}".encode()).decode()
        self.http = httpx.Client(base_url=url, timeout=120,
                                 headers={"Authorization": f"Basic {token}"})
        self.run, self.tally, self.rows_per_tick = run, tally, rows_per_tick
        self.logged = 0
        self.sent = 0  # rows the server acknowledged

    def send(self, method: str, path: str, body: Any) -> httpx.Response:
        """Until it is accepted, as the client does: Retry-After on 429, backoff on 5xx."""
        backoff = 1.0
        while True:
            try:
                response = self.http.request(method, path, json=body)
            except httpx.HTTPError as exc:
                with self.tally.lock:
                    self.tally.errors[type(exc).__name__] += 1
                time.sleep(backoff)
                continue
            self.tally.count(response)
            if response.status_code == 429:
                time.sleep(float(response.headers.get("retry-after", backoff)))
            elif response.status_code >= 500:
                time.sleep(backoff)
                backoff = min(30.0, backoff * 2)
            else:
                return response

    def gql(self, query: str, **variables: Any) -> dict[str, Any]:
        response = self.send("POST", "/graphql", {"query": query, "variables": variables})
        assert response.status_code == 200, response.text
        return response.json()["data"]  # type: ignore[no-any-return]

    def stream(self, *, final: bool = False) -> None:
        lines = [json.dumps({"_step": i, "loss": 1.0 / (i + 1), "acc": i % 97 / 97,
                             "_runtime": i * 0.01, "_timestamp": 1.7e9 + i})
                 for i in range(self.sent, self.logged)]
        body: dict[str, Any] = {"files": {"wandb-history.jsonl": {"offset": self.sent,
                                                                  "content": lines}}}
        if final:
            body.update(complete=True, exitcode=0)
        response = self.send("POST", f"/files/bench/load/{self.run}/file_stream", body)
        assert response.status_code == 200, response.text
        self.sent += len(lines)

    def work(self, until: float, interval: float) -> None:
        self.gql(UPSERT, name=self.run, project="load", entity="bench")
        started, ticks = time.monotonic(), 0
        while time.monotonic() < until:
            time.sleep(interval)
            # the training loop logs on while a request waits: rows go by the clock
            self.logged = int((time.monotonic() - started) / interval * self.rows_per_tick)
            self.stream()
            ticks += 1
            if ticks == 3:
                self.gql(UPSERT, name=self.run, project="load", entity="bench",
                         config=json.dumps({"lr": {"value": 0.001}}))
        self.stream(final=True)


def start_server(data_dir: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str, str]:
    def cli(*args: str) -> str:
        return subprocess.run([sys.executable, "-m", "wbserver", *args, "--data-dir", data_dir],
                              check=True, capture_output=True, text=True, env=env).stdout.strip()

    cli("users", "create", "bench", "--email", "bench@example.com")
    key = cli("keys", "create", "bench")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "wbserver", "serve", "--port", str(port),
                               "--data-dir", data_dir, "--log-level", "warning"], env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return server, url, key
        except httpx.HTTPError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("the server did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--interval", type=float, default=1.0,
                        help="seconds between a writer's file_stream requests (client: 15)")
    parser.add_argument("--rows", type=int, default=50, help="history rows per interval")
    parser.add_argument("--rate-limit-run", help="WBSERVER_RATE_LIMIT_RUN for the server")
    parser.add_argument("--rate-limit-project", help="WBSERVER_RATE_LIMIT_PROJECT")
    parser.add_argument("--mysql", help="MYSQL=mysql://… (an empty database) instead of SQLite")
    args = parser.parse_args()

    env = {**os.environ}
    for name, value in (("WBSERVER_RATE_LIMIT_RUN", args.rate_limit_run),
                        ("WBSERVER_RATE_LIMIT_PROJECT", args.rate_limit_project),
                        ("MYSQL", args.mysql)):
        if value is not None:
            env[name] = value
    data_dir = os.path.join(tempfile.mkdtemp(prefix="wbload-"), "data")
    server, url, key = start_server(data_dir, env)
    tally = Tally()
    try:
        writers = [Writer(url, key, f"load{i}", tally, args.rows) for i in range(args.clients)]
        started = time.monotonic()
        until = started + args.seconds
        threads = [threading.Thread(target=w.work, args=(until, args.interval))
                   for w in writers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        took = time.monotonic() - started
        reader = writers[0]
        stored = [reader.gql(COUNTS, project="load", entity="bench", name=w.run)["model"][
            "bucket"]["historyLineCount"] for w in writers]
        states = collections.Counter(reader.gql(STATE, project="load", entity="bench",
                                                name=w.run)["project"]["run"]["state"]
                                     for w in writers)
    finally:
        server.terminate()
        code = server.wait(30)
    logged = sum(w.logged for w in writers)
    requests = sum(tally.statuses.values())
    server_errors = sum(n for status, n in tally.statuses.items() if status >= 500)
    limited = tally.statuses[429]
    print(f"{args.clients} writers, {took:.0f} s (asked {args.seconds:.0f} s), a file_stream "
          f"request every {args.interval:g} s each, {args.rows} rows a request")
    print(f"limits: WBSERVER_RATE_LIMIT_RUN={env.get('WBSERVER_RATE_LIMIT_RUN', 'default')} "
          f"WBSERVER_RATE_LIMIT_PROJECT={env.get('WBSERVER_RATE_LIMIT_PROJECT', 'default')}")
    print(f"requests: {requests} ({requests / took:.0f}/s); by status: "
          f"{dict(sorted(tally.statuses.items()))}; connection errors: {dict(tally.errors)}")
    print(f"5xx: {server_errors}")
    shown = (f" of {min(tally.retry_after):g}-{max(tally.retry_after):g} s"
             if tally.retry_after else "")
    print(f"429: {limited} ({limited - tally.no_retry_after} with Retry-After{shown}; "
          f"{tally.no_retry_after} without)")
    print(f"history rows: logged {logged}, stored {sum(stored)}; runs: {dict(states)}; "
          f"server exit code {code}")
    complete = sum(stored) == logged and states.get("finished", 0) == len(writers)
    print("every row stored, every run finished" if complete else "ROWS OR RUNS MISSING")
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
