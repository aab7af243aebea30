"""256 live runs at once against a live server: a load generator speaking the client's protocol
(issue 24, item 3). 256 real `wandb` clients do not fit on two cores, so each run is a coroutine
that sends what wandb-core sends, shaped like the recorded traffic in the shared protocol
traces (`--validate` compares the two): UpsertBucket, then a file_stream POST every
`--interval` seconds (15 by default, the real client's pace: bench/live_client_rate.py)
carrying the history rows logged since the last one (one a second), the
console lines (two a second), the whole summary, a system-metrics row every 15 s; a run with
nothing new sends `{}` (the heartbeat); the last request marks the run complete.

Prints the server's CPU (% of one core, every process of the server) over the whole run and
over the steady part (every run started, none finished),
the file_stream latency seen by the generator (p50/p99/max; it includes the generator's own
scheduling delay on a busy machine, so it is an upper bound) and whether every history row,
console line and system-metrics row was stored (read back through GraphQL). Figures, not
pass/fail.

    .venv/bin/python bench/live_runs.py --quick                 # 64 runs, 45 s
    .venv/bin/python bench/live_runs.py                         # 256 runs, 90 s
    .venv/bin/python bench/live_runs.py --validate              # only the shape comparison
    .venv/bin/python bench/live_runs.py --mysql mysql://root:@127.0.0.1:3306
    .venv/bin/python bench/live_runs.py --profile /tmp/live.txt   # py-spy on the server
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_servers import cpu_seconds, drop_mysql, rss, start_wbserver  # noqa: E402

TRACES = Path("/work/shared/protocol/traces")
UPSERT = """mutation UpsertBucket($id: String, $name: String, $project: String,
  $entity: String, $config: JSONString, $host: String) {
  upsertBucket(input: {id: $id, name: $name, modelName: $project, entityName: $entity,
  config: $config, host: $host}) {
  bucket { id name displayName project { id name entity { id name } } historyLineCount }
  inserted } }"""
COUNTS = """query($project: String!, $entity: String!) { project(name: $project,
  entityName: $entity) { runs(first: 1000) { edges { node { name state historyLineCount
  eventsLineCount logLineCount } } } } }"""
HEADERS = {"User-Agent": "wandb-core", "Content-Type": "application/json",
           "Accept-Encoding": "gzip"}
EVENTS_EVERY = 15.0
# wandb 0.31.0 (wandb-core) logging a row a second sends a file_stream request every 15.0 s
# (bench/live_client_rate.py measured 14.5-15.4 s gaps; its x_file_stream_transmit_interval
# defaults to 15 s): 256 live runs are about 17 requests a second, each carrying 15 rows.
CLIENT_INTERVAL = 15.0


class Conn:
    """A minimal keep-alive HTTP/1.1 client over asyncio streams: httpx costs the generator
    several times the server's CPU per request, and the generator shares the cores."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.host, port = url.split("://", 1)[1].split(":")
        self.port = int(port)
        self.head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, data: bytes) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                          f"{self.head}Content-Length: {len(data)}\r\n\r\n".encode() + data)
        await self.writer.drain()
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in
                  (line.partition(":") for line in head[1:] if line)}
        body = await self.reader.readexactly(int(fields.get("content-length", 0)))
        return status, fields, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class Run:
    """One live run's client side: what it has logged and what the server acknowledged."""

    def __init__(self, name: str, metrics: int, started: float) -> None:
        self.name, self.metrics, self.started = name, metrics, started
        self.rows = self.lines = self.events = 0  # acknowledged offsets
        self.logged_rows = self.logged_lines = self.logged_events = 0
        self.rng = random.Random(name)

    def body(self, now: float, *, final: bool = False) -> dict[str, Any]:
        elapsed = now - self.started
        self.logged_rows = int(elapsed) + 1        # one history row a second
        self.logged_lines = int(elapsed * 2) + 1   # two console lines a second
        self.logged_events = int(elapsed / EVENTS_EVERY) + 1
        files: dict[str, Any] = {}
        if self.logged_lines > self.lines:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
            files["output.log"] = {"offset": self.lines, "content": [
                f"{stamp}.{i % 1000000:06d} epoch {i // 100} batch {i % 100} loss "
                f"{self.rng.random():.4f}" for i in range(self.lines, self.logged_lines)]}
        if self.logged_rows > self.rows:
            rows = []
            for step in range(self.rows, self.logged_rows):
                row: dict[str, Any] = {f"m{k}": self.rng.random() for k in range(self.metrics)}
                row.update(_step=step, _runtime=float(step), _timestamp=self.started + step)
                rows.append(row)
            files["wandb-history.jsonl"] = {"offset": self.rows,
                                            "content": [json.dumps(r) for r in rows]}
            summary = {**rows[-1], "_wandb": {"runtime": int(rows[-1]["_runtime"])}}
            files["wandb-summary.json"] = {"offset": 0, "content": [json.dumps(summary)]}
        if self.logged_events > self.events:
            files["wandb-events.jsonl"] = {"offset": self.events, "content": [
                json.dumps({"_wandb": True, "_timestamp": now, "_runtime": elapsed,
                            "system.cpu": self.rng.random() * 100,
                            "system.memory_percent": self.rng.random() * 100,
                            "system.proc.memory.rssMB": 800 + self.rng.random(),
                            "system.network.sent": i * 1000, "system.network.recv": i * 2000,
                            "system.disk./.usageGB": 25.5, "system.gpu.0.gpu": 97.0})
                for i in range(self.events, self.logged_events)]}
        body: dict[str, Any] = {"files": files} if files else {}
        if final:
            body.update(uploaded=["config.yaml", "output.log", "wandb-summary.json"],
                        complete=True, exitcode=0)
        return body

    def acknowledged(self) -> None:
        self.rows, self.lines, self.events = (self.logged_rows, self.logged_lines,
                                              self.logged_events)


async def live_run(client: httpx.AsyncClient, conn: Conn, name: str, *, project: str,
                   metrics: int,
                   seconds: float, interval: float, latencies: list[float],
                   sizes: list[int], errors: list[str], idle: bool) -> Run:
    await asyncio.sleep(random.random() * interval)  # runs start spread over an interval
    config = {"lr": {"value": 0.001}, "batch": {"value": 64},
              "_wandb": {"value": {"t": {"1": [1, 55], "2": [1, 55]}, "cli_version": "0.28.2"}}}
    response = await client.post("/graphql", json={"query": UPSERT, "variables": {
        "name": name, "project": project, "entity": "bench", "config": json.dumps(config),
        "host": "node-" + name}})
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    run = Run(name, metrics, time.time())
    end = time.monotonic() + seconds
    path = f"/files/bench/{project}/{name}/file_stream"
    while True:
        final = time.monotonic() >= end
        if idle and not final:
            body: dict[str, Any] = {}
        else:
            body = run.body(time.time(), final=final)
        data = json.dumps(body).encode()
        t0 = time.perf_counter()
        try:
            status, headers, _answer = await conn.post(path, data)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            errors.append(type(exc).__name__)
            conn.close()
            conn.writer = None
            await asyncio.sleep(1)
            continue
        latencies.append((time.perf_counter() - t0) * 1000)
        sizes.append(len(data))
        if status != 200:
            errors.append(str(status))
            await asyncio.sleep(float(headers.get("retry-after", 1)))
            continue
        if not idle or final:
            run.acknowledged()
        if final:
            conn.close()
            return run
        await asyncio.sleep(interval)


def recorded_shapes() -> dict[str, Any]:
    """What a real client's file_stream requests looked like (the slow run of the traces)."""
    bodies = []
    for line in (TRACES / "main.jsonl").read_text().splitlines():
        record = json.loads(line)
        if "file_stream" in record["path"] and record["scenario"] == "b-run-slow":
            bodies.append(record)
    return {"count": len(bodies),
            "headers": sorted({k for b in bodies for k in b["headers"]}),
            "user_agent": {b["headers"].get("User-Agent") for b in bodies},
            "files": sorted({f for b in bodies for f in (b["body"] or {}).get("files", {})}),
            "keys": sorted({k for b in bodies for k in (b["body"] or {})}),
            "bytes": [b["body_len"] for b in bodies],
            "history_row_bytes": statistics.mean(
                len(row) for b in bodies
                for row in (b["body"] or {}).get("files", {}).get(
                    "wandb-history.jsonl", {}).get("content", []))}


def validate() -> None:
    """The generator's requests beside the recorded ones, with the recording's one metric."""
    real = recorded_shapes()
    run = Run("shape", 1, time.time() - 2 * CLIENT_INTERVAL + 0.5)
    run.rows, run.lines, run.events = 15, 30, 1
    ours = run.body(time.time())
    rows = ours["files"]["wandb-history.jsonl"]["content"]
    print(f"recorded (b-run-slow, {real['count']} file_stream requests): top-level keys "
          f"{real['keys']}, files {real['files']}, User-Agent {real['user_agent']}, "
          f"bytes {real['bytes']}, history row ~{real['history_row_bytes']:.0f} B")
    print(f"generated (1 metric, {CLIENT_INTERVAL:g} s interval): top-level keys "
          f"{sorted(run.body(time.time(), final=True))}, files {sorted(ours['files'])}, "
          f"headers {sorted(HEADERS)}, bytes {len(json.dumps(ours))}, history row "
          f"~{statistics.mean(len(r) for r in rows):.0f} B")
    missing = set(real["files"]) - set(ours["files"]) - {"wandb-events.jsonl"}
    print("file kinds the recording has and the generator lacks:", sorted(missing) or "none")


def server_latency(exposition: str) -> dict[str, float]:
    """p50/p99 of file_stream as the server timed it (its Prometheus histogram: the bucket
    bound where the share is reached), from request start to the end of the answer."""
    buckets: list[tuple[float, float]] = []
    for line in exposition.splitlines():
        if line.startswith("wbserver_http_request_duration_seconds_bucket") and \
                "file_stream" in line and 'method="POST"' in line:
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            buckets.append((float(bound), float(line.rsplit(" ", 1)[1])))
    buckets.sort()
    total = buckets[-1][1] if buckets else 0.0
    out = {"count": total}
    for q in (0.5, 0.99):
        out[f"p{int(q * 100)}"] = next((b * 1000 for b, n in buckets if n >= q * total),
                                       float("nan"))
    return out


async def steady_cpu(args: argparse.Namespace) -> tuple[float, float]:
    """The server's CPU seconds and the wall seconds of the steady part: from when every run
    has started (created by UpsertBucket, its first request sent) to when the first run
    finishes. The creation burst at the start is not a live run's steady cost."""
    start = args.interval + 3.0
    await asyncio.sleep(start)
    cpu0, t0 = cpu_seconds(args.server_pid), time.monotonic()
    await asyncio.sleep(max(1.0, args.seconds - start))
    return cpu_seconds(args.server_pid) - cpu0, time.monotonic() - t0


async def drive(url: str, key: str, args: argparse.Namespace) -> dict[str, Any]:
    token = base64.b64encode(f"api:{key}".encode()).decode()
    limits = httpx.Limits(max_connections=args.runs, max_keepalive_connections=args.runs)
    latencies: list[float] = []
    sizes: list[int] = []
    errors: list[str] = []
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits,
                                 headers={**HEADERS, "Authorization": f"Basic {token}"}) as c:
        # the first run creates the project on its own (as compare_wb does)
        await c.post("/graphql", json={"query": UPSERT, "variables": {
            "name": "first", "project": "live", "entity": "bench"}})
        n_idle = int(args.runs * args.idle_fraction)
        raw = {**HEADERS, "Authorization": f"Basic {token}"}
        tasks = [live_run(c, Conn(url, raw), f"live{i:03d}", project="live", metrics=args.metrics,
                          seconds=args.seconds, interval=args.interval, latencies=latencies,
                          sizes=sizes, errors=errors, idle=i < n_idle)
                 for i in range(args.runs)]
        steady = asyncio.create_task(steady_cpu(args))
        runs = await asyncio.gather(*tasks)
        steady_share = await steady
        response = await c.post("/graphql", json={"query": COUNTS, "variables": {
            "project": "live", "entity": "bench"}})
        stored = {e["node"]["name"]: e["node"]
                  for e in response.json()["data"]["project"]["runs"]["edges"]}
        exposition = (await c.get("/metrics")).text
    return {"server_latency": server_latency(exposition), "steady": steady_share, "runs": runs, "latencies": latencies, "sizes": sizes, "errors": errors,
            "stored": stored}


def start_profile(pid: int, out: str) -> subprocess.Popen[bytes]:
    """py-spy (pip install py-spy) sampling the server without pausing it, collapsed stacks."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return subprocess.Popen([py_spy, "record", "--pid", str(pid), "--subprocesses", "--nonblocking", "--rate",
                             "200", "--format", "raw", "--output", out],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def top_frames(collapsed: str, count: int = 15) -> list[tuple[float, str]]:
    """The frames of the server's own code (and SQLAlchemy's, the drivers') most often on the
    stack, as a share of the samples in which the server was busy (idle waits left out)."""
    seen: dict[str, int] = {}
    busy = 0
    outer = ("wbserver/cli.py", "wbserver/__main__.py", "wbserver/http_server.py",
             "wbserver/api/security_headers.py", "wbserver/api/body_limits.py",
             "wbserver/api/metrics.py")  # the stem every request's stack shares
    for line in Path(collapsed).read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")]  # by function
        if any(w in frames[-1] for w in ("select (selectors", "_worker (concurrent", "wait (")):
            continue
        busy += int(n)
        for frame in set(frames):
            if any(k in frame for k in ("wbserver/", "sqlalchemy/", "MySQLdb/", "sqlite")) \
                    and not any(k in frame for k in outer):
                seen[frame] = seen.get(frame, 0) + int(n)
    ranked = sorted(seen.items(), key=lambda kv: -kv[1])[:count]
    return [(100 * n / max(busy, 1), frame) for frame, n in ranked]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="64 runs for 45 s")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--interval", type=float, default=CLIENT_INTERVAL,
                        help="seconds between a run's file_stream requests (default: the "
                        "real client's, measured by bench/live_client_rate.py)")
    parser.add_argument("--metrics", type=int, default=10, help="metrics in a history row")
    parser.add_argument("--idle-fraction", type=float, default=0.0,
                        help="share of runs that only send heartbeats ({}) until they end")
    parser.add_argument("--mysql", default=None, help="mysql://user:pass@host:port")
    parser.add_argument("--validate", action="store_true", help="only the shape comparison")
    parser.add_argument("--profile", default=None,
                        help="py-spy the server into this file (collapsed stacks) and print "
                        "its top frames")
    args = parser.parse_args()
    if args.validate:
        validate()
        return
    args.runs = args.runs or (64 if args.quick else 256)
    args.seconds = args.seconds or (45.0 if args.quick else 90.0)
    work = Path(tempfile.mkdtemp(prefix="wblive-"))
    srv = start_wbserver(work, args.mysql)
    try:
        time.sleep(1)
        pid = args.server_pid = srv.proc.pid
        profiler = start_profile(pid, args.profile) if args.profile else None
        cpu0, t0 = cpu_seconds(pid), time.monotonic()
        result = asyncio.run(drive(srv.url, srv.key, args))
        wall, cpu = time.monotonic() - t0, cpu_seconds(pid) - cpu0
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(timeout=60)
        peak = rss(pid)
    finally:
        srv.stop()
        if args.mysql:
            drop_mysql(args.mysql, srv.mysql_db)
        shutil.rmtree(work, ignore_errors=True)
    lat = sorted(result["latencies"])
    p = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))])  # noqa: E731
    missing = {"rows": 0, "lines": 0, "events": 0, "not finished": 0}
    for run in result["runs"]:
        got = result["stored"].get(run.name) or {}
        missing["rows"] += max(0, run.rows - int(got.get("historyLineCount") or 0))
        missing["lines"] += max(0, run.lines - int(got.get("logLineCount") or 0))
        missing["events"] += max(0, run.events - int(got.get("eventsLineCount") or 0))
        missing["not finished"] += got.get("state") != "finished"
    rows = sum(r.rows for r in result["runs"])
    srv_lat = result["server_latency"]
    steady_cpu_s, steady_wall = result["steady"]
    print(f"{args.runs} live runs for {args.seconds:g} s, a file_stream request every "
          f"{args.interval:g} s each, {args.metrics} metrics a row, idle share "
          f"{args.idle_fraction:g}; backend {'MariaDB' if args.mysql else 'SQLite'}")
    print(f"requests: {len(lat)} file_stream ({len(lat) / wall:.0f}/s), mean body "
          f"{statistics.mean(result['sizes']):.0f} B; errors/non-200: "
          f"{len(result['errors'])} {sorted(set(result['errors']))[:5]}")
    print(f"| figure | measured | target |\n|---|---|---|\n"
          f"| server CPU, % of one core ({cpu:.1f} CPU-s over {wall:.1f} s) | "
          f"{100 * cpu / wall:.1f} % | |\n"
          f"| same, steady part: every run started, none finished ({steady_cpu_s:.1f} CPU-s "
          f"over {steady_wall:.1f} s) | {100 * steady_cpu_s / steady_wall:.1f} % | < 10 % |\n"
          f"| file_stream latency p50 / p99 / max | {p(0.5):.1f} / {p(0.99):.1f} / "
          f"{lat[-1]:.1f} ms | p99 < 50 ms |\n"
          f"| same, timed by the server (histogram bucket bounds: at most) p50 / p99 | "
          f"{srv_lat['p50']:.0f} / {srv_lat['p99']:.0f} ms | p99 < 50 ms |\n"
          f"| history rows sent / missing | {rows:,} / {missing['rows']} | 0 missing |\n"
          f"| console lines, system rows missing; runs not finished | {missing['lines']}, "
          f"{missing['events']}; {missing['not finished']} | 0 |\n"
          f"| server RSS at the end | {peak / 2**20:.0f} MB | |")
    if args.profile:
        print("py-spy, share of the server's busy samples with the frame on the stack:")
        for share, frame in top_frames(args.profile):
            print(f"  {share:5.1f} %  {frame}")


if __name__ == "__main__":
    main()
