"""One project of many runs (issue 24, item 2): 100,000 by default, generated through the real
write path of a live server (each run: UpsertBucket with its config as the client sends it, then
one file_stream request with a history row, the summary and `complete`), then:

* the runs table's first page, filtered by a config value and sorted by a summary metric
  (GraphQL as wandb.Api asks it, and the web UI's table JSON; bench/compare_wb.first_page);
* `wandb.Api().runs()` iterating every run with the real client (runs/s);
* the server's start time with that many runs (process start until /readyz answers).

Figures, not pass/fail.

    .venv/bin/python bench/many_runs.py --quick            # 2,000 runs
    .venv/bin/python bench/many_runs.py --runs 20000
    .venv/bin/python bench/many_runs.py --mysql mysql://root:@127.0.0.1:3306
    .venv/bin/python bench/many_runs.py --work /tmp/many100k   # keeps the data; the next
        # call with the same --work measures again without filling
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compare_wb as wb  # noqa: E402
from compare_servers import (  # noqa: E402
    WbServer,
    cpu_seconds,
    drop_mysql,
    free_port,
    rss,
    start_wbserver,
)

UPSERT = """mutation UpsertBucket($name: String, $config: JSONString) {
  upsertBucket(input: {name: $name, modelName: "table", entityName: "bench", config: $config})
  { bucket { id name project { name entity { name } } historyLineCount } inserted } }"""
ITERATE = textwrap.dedent("""
    import sys, time, wandb
    from wandb.apis.public import runs as public_runs
    api = wandb.Api(timeout=300)
    per_page, full = int(sys.argv[1]), sys.argv[2] == "full"
    fetching = [0.0]  # seconds inside the page requests (wandb-core, HTTP, server, JSON)
    fetch_page = public_runs.Runs._update_response
    def timed_fetch(self):
        t = time.perf_counter()
        fetch_page(self)
        fetching[0] += time.perf_counter() - t
    public_runs.Runs._update_response = timed_fetch
    t0 = time.perf_counter()
    n, seen = 0, 0.0
    for run in api.runs("bench/table", per_page=per_page, lazy=not full):
        n += 1
        if full:  # a lazy run would load these one run at a time
            seen += float(run.summary.get("loss", 0)) + len(run.config)
        else:
            seen += len(run.name)
    print("ITER", n, time.perf_counter() - t0, fetching[0], flush=True)
""")
# The same pages as the client asks them (its own query text), straight over HTTP: the pace
# the server and the wire allow, with no client objects made.
RAW_PAGES = textwrap.dedent("""
    import json, sys, time, httpx
    from wandb.apis.public.runs import _create_runs_query
    url, key, per_page, lazy = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "lazy"
    query = _create_runs_query(lazy=lazy)
    n, size, cursor = 0, 0, None
    with httpx.Client(base_url=url, auth=("api", key), timeout=300) as client:
        t0 = time.perf_counter()
        while True:
            response = client.post("/graphql", json={"query": query, "variables": {
                "project": "table", "entity": "bench", "cursor": cursor, "perPage": per_page,
                "order": None, "filters": "{}"}})
            size += len(response.content)
            runs = json.loads(response.content)["data"]["project"]["runs"]
            n += len(runs["edges"])
            if not runs["pageInfo"]["hasNextPage"]:
                break
            cursor = runs["pageInfo"]["endCursor"]
        print("RAW", n, time.perf_counter() - t0, size, flush=True)
""")


def fill(srv: Any, runs: int, threads: int) -> float:
    token = base64.b64encode(f"api:{srv.key}".encode()).decode()
    headers = {"Authorization": f"Basic {token}", "User-Agent": "wandb-core"}
    local = threading.local()
    done = [0]
    lock = threading.Lock()

    def one(i: int) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(base_url=srv.url, timeout=120,
                                                 headers=headers)
        rng = random.Random(i)
        name = f"run{i:05d}"
        config = {"lr": {"value": rng.random()}, "batch": {"value": 2 ** (i % 8)},
                  "opt": {"value": ("adam", "sgd")[i % 2]},
                  "_wandb": {"value": {"t": {"1": [1, 55]}, "cli_version": "0.28.2"}}}
        response = client.post("/graphql", json={"query": UPSERT, "variables": {
            "name": name, "config": json.dumps(config)}})
        assert response.status_code == 200 and "errors" not in response.json(), response.text
        row = {"loss": rng.random(), "acc": rng.random(), "_step": 100, "_runtime": 60.0,
               "_timestamp": 1.79e9 + i}
        summary = {**row, "_wandb": {"runtime": 60}}
        body = {"files": {"wandb-history.jsonl": {"offset": 0, "content": [json.dumps(row)]},
                          "wandb-summary.json": {"offset": 0, "content": [json.dumps(summary)]}},
                "complete": True, "exitcode": 0}
        response = client.post(f"/files/bench/table/{name}/file_stream", json=body)
        assert response.status_code == 200, response.text
        with lock:
            done[0] += 1
            if done[0] % 5000 == 0:
                print(f"  {done[0]:,} runs", flush=True)

    t0 = time.perf_counter()
    one(0)  # the first run creates the project on its own
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(1, runs)))
    return time.perf_counter() - t0


def iterate(srv: Any, work: Path, per_page: int, full: bool) -> tuple[int, float, float]:
    """(runs, seconds, of which inside the page requests) of the real client's iteration."""
    script = work / "iterate.py"
    script.write_text(ITERATE)
    env = wb._client_env(srv, work)
    done = subprocess.run([sys.executable, str(script), str(per_page),
                           "full" if full else "lazy"], env=env, check=True,
                          capture_output=True, text=True)
    line = [x for x in done.stdout.splitlines() if x.startswith("ITER")][-1].split()
    return int(line[1]), float(line[2]), float(line[3])


def raw_pages(srv: Any, work: Path, per_page: int, lazy: bool) -> tuple[int, float, int]:
    """(runs, seconds, response bytes) of every page fetched over plain HTTP."""
    script = work / "raw_pages.py"
    script.write_text(RAW_PAGES)
    done = subprocess.run([sys.executable, str(script), srv.url, srv.key, str(per_page),
                           "lazy" if lazy else "full"], check=True, capture_output=True,
                          text=True)
    line = [x for x in done.stdout.splitlines() if x.startswith("RAW")][-1].split()
    return int(line[1]), float(line[2]), int(line[3])


def restart(srv: Any, work: Path) -> tuple[float, float]:
    """Stop the server, start it again on the same data: (seconds until /readyz answers,
    the server's CPU seconds by then)."""
    if srv.proc is not None:
        srv.stop()
    port = free_port()
    t0 = time.perf_counter()
    srv.proc = subprocess.Popen([sys.executable, "-m", "wbserver", "serve", "--port",
                                 str(port), "--data-dir", str(work / "data"), "--log-level",
                                 "warning"], env=srv.env)
    srv.url = f"http://127.0.0.1:{port}"
    while True:
        try:
            if httpx.get(srv.url + "/readyz", timeout=1).status_code == 200:
                return time.perf_counter() - t0, cpu_seconds(srv.proc.pid)
        except httpx.HTTPError:
            pass
        if srv.proc.poll() is not None:
            raise SystemExit("the server did not start")
        time.sleep(0.02)


UI_PAGES = (  # (what, URL): the runs list and the workspace as a signed-in browser loads them
    ("runs table page (HTML), newest first", "/bench/table/table"),
    ("runs table JSON, newest first", "/_ui/bench/table/runs"),
    ("runs table JSON, sorted by config.lr", "/_ui/bench/table/runs?sort=config.lr&desc=0"),
    ("runs table JSON, summary.loss < 0.5", "/_ui/bench/table/runs?fk=summary.loss&fo=%3C&fv=0.5"),
    ("runs table JSON, the last page", "/_ui/bench/table/runs?page={last}"),
    ("project page with the workspace (HTML)", "/bench/table"),
    ("workspace overview JSON (its runs list)", "/_ui/bench/table/workspace"),
)


def ui_pages(srv: Any, runs: int, repeat: int) -> list[tuple[str, str, str]]:
    client = wb._signed_in(srv)
    rows = []
    try:
        for what, url in UI_PAGES:
            url = url.format(last=max(1, (runs + 49) // 50))
            times, size = [], 0
            for _ in range(max(3, repeat // 2)):
                t0 = time.perf_counter()
                try:
                    response = client.get(url, timeout=300)
                except httpx.TimeoutException:
                    times.append(300_000)
                    break
                times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, (url, response.status_code,
                                                     response.text[:300])
                size = len(response.content)
                if times[-1] > 5000:  # once is enough to see it is not responsive
                    break
            times.sort()
            rows.append((f"web UI: {what}", f"{times[len(times) // 2]:.0f} ms "
                         f"({times[0]:.0f}–{times[-1]:.0f}; {size / 1024:,.0f} KiB)", "responsive"))
            print(rows[-1], flush=True)
    finally:
        client.close()
    return rows


def save_state(state_file: Path, srv: Any, runs: int) -> None:
    """What a later call with the same --work needs to measure the same data again."""
    state_file.write_text(json.dumps({
        "runs": runs, "key": srv.key, "password": srv.password, "mysql_db": srv.mysql_db,
        "env": {k: v for k, v in srv.env.items() if k == "MYSQL" or k.startswith("WBSERVER_")}}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2,000 runs")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--threads", type=int, default=6, help="concurrent writers")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--mysql", default=None, help="mysql://user:pass@host:port")
    parser.add_argument("--work", type=Path, default=None,
                        help="keep the data here; reuse it if it was filled before")
    parser.add_argument("--fill-only", action="store_true", help="stop after the fill")
    parser.add_argument("--iterate-only", action="store_true",
                        help="measure only wandb.Api().runs() iterating (no startup, UI pages)")
    parser.add_argument("--ui-only", action="store_true",
                        help="with a filled --work: measure the web UI pages only")
    args = parser.parse_args()
    runs = args.runs or (2000 if args.quick else 100_000)
    work = args.work or Path(tempfile.mkdtemp(prefix="wbmany-"))
    state_file = work / "state.json"
    label = "MariaDB" if args.mysql else "SQLite"
    rows: list[tuple[str, str, str]] = []
    fresh = not state_file.exists()
    if not fresh:
        state = json.loads(state_file.read_text())
        runs = state["runs"]
        env = {k: v for k, v in os.environ.items() if k != "MYSQL"}
        env.update(state["env"])
        srv = WbServer(url="", key=state["key"], password=state["password"], proc=None,  # type: ignore[arg-type]
                       env=env, mysql_db=state["mysql_db"])
        print(f"[{label}] reusing {runs:,} runs in {work}", flush=True)
        empty = None
        restart(srv, work)  # the first start of a reused folder warms the page cache
    else:
        work.mkdir(parents=True, exist_ok=True)
        srv = start_wbserver(work, args.mysql)
    try:
        if fresh:
            empty = sorted(restart(srv, work) for _ in range(2))
            print(f"[{label}] filling {runs:,} runs through UpsertBucket + file_stream",
                  flush=True)
            if args.work:  # written first: a fill stopped halfway can still be measured
                save_state(state_file, srv, runs)
            cpu0 = cpu_seconds(srv.proc.pid)
            took = fill(srv, runs, args.threads)
            cpu = cpu_seconds(srv.proc.pid) - cpu0
            rows.append((f"fill: {runs:,} runs (2 requests each), wall / server CPU",
                         f"{took:.0f} s ({runs / took:,.0f} runs/s) / {cpu:.0f} CPU-s", "—"))
            print(rows[-1], flush=True)
            if args.fill_only:
                return
        if args.ui_only:
            ui_pages(srv, runs, args.repeat)
            return
        if not args.iterate_only:
            measure_pages(srv, runs, args, label, empty, rows, work)
        iterate_all(srv, runs, label, rows, work)
        rows.append(("server RSS at the end", f"{rss(srv.proc.pid) / 2**20:.0f} MB", ""))
    finally:
        srv.stop()
        if not args.work:
            if args.mysql:
                drop_mysql(args.mysql, srv.mysql_db)
            shutil.rmtree(work, ignore_errors=True)
    print(f"\n{runs:,} runs in one project, {label}\n| figure | measured | target |\n"
          "|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


def measure_pages(srv: Any, runs: int, args: Any, label: str, empty: Any,
                  rows: list[tuple[str, str, str]], work: Path) -> None:
    """Startup, the first filtered page and the web UI's pages."""
    print(f"[{label}] startup with {runs:,} runs", flush=True)
    starts = sorted(restart(srv, work) for _ in range(3))
    rows.append((f"startup with {runs:,} runs (3 starts, process start to /readyz): wall; "
                 "server CPU", ", ".join(f"{w:.2f}" for w, _c in starts) + " s; "
                 + ", ".join(f"{c:.2f}" for _w, c in starts) + " CPU-s", "< 2 s"))
    if empty is not None:
        rows.append(("  same, empty project before the fill (2 starts): the part the "
                     "runs add is the difference", ", ".join(f"{w:.2f}" for w, _c in empty)
                     + " s; " + ", ".join(f"{c:.2f}" for _w, c in empty) + " CPU-s",
                     "< 1 s"))
    print(rows[-1], flush=True)
    rows.append(("server RSS after start", f"{rss(srv.proc.pid) / 2**20:.0f} MB", ""))
    print(f"[{label}] first page", flush=True)
    page = wb.first_page(srv, runs=runs, repeat=args.repeat)
    target = "< 100 ms" if args.mysql else "< 50 ms"
    rows.append(("first page (50), filtered config.opt=adam, sorted by summary loss: "
                 "GraphQL Runs (median, spread)",
                 f"{page['gql'][0]:.1f} ms (±{page['gql'][1]:.0f})", target))
    rows.append(("  same, web UI runs table JSON", f"{page['ui'][0]:.1f} ms "
                 f"(±{page['ui'][1]:.0f})", target))
    print(f"[{label}] web UI", flush=True)
    rows.extend(ui_pages(srv, runs, args.repeat))


def iterate_all(srv: Any, runs: int, label: str, rows: list[tuple[str, str, str]],
                work: Path) -> None:
    """wandb.Api().runs() over every run, with the real client and over plain HTTP."""
    for per_page, full in ((50, False), (1000, False), (1000, True)):
        how = f"per_page={per_page}, lazy={not full}" + (
            ", reading summary and config" if full else ", names")
        print(f"[{label}] wandb.Api().runs({how})", flush=True)
        cpu0 = cpu_seconds(srv.proc.pid)
        n, secs, fetching = iterate(srv, work, per_page, full)
        server_cpu = cpu_seconds(srv.proc.pid) - cpu0
        assert n == runs, (n, runs)
        rows.append((f"wandb.Api().runs({how}) over all {n:,}",
                     f"{n / secs:,.0f} runs/s ({secs:.1f} s, {100 * fetching / secs:.0f} % "
                     f"inside the page requests; server CPU {server_cpu / n * 1e6:.0f} µs a "
                     "run)", ">= 5,000 runs/s"))
        print(rows[-1], flush=True)
        cpu0 = cpu_seconds(srv.proc.pid)
        n, secs, size = raw_pages(srv, work, per_page, not full)
        server_cpu = cpu_seconds(srv.proc.pid) - cpu0
        rows.append((f"  same pages (the client's query, per_page={per_page}) over plain "
                     f"HTTP, no client objects", f"{n / secs:,.0f} runs/s ({secs:.1f} s, "
                     f"{size / n:,.0f} bytes a run; server CPU {server_cpu / n * 1e6:.0f} µs "
                     "a run)", "the server's pace"))
        print(rows[-1], flush=True)


if __name__ == "__main__":
    main()
