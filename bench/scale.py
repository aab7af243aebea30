"""Scale-out benchmark: ingest with 1, 2 and 3 server processes on MariaDB (`serve --workers N`).

For each N: a fresh MariaDB database, `wbserver serve --workers N`, K real `wandb` clients x
S steps x M metrics at once. Prints a table: history rows/s and metric points/s (wall clock,
clients included), server CPU seconds (every process of the server: the parent and its
workers) and server CPU per million points. On a machine with few cores, wall-clock speed-up
says little (the clients take cores too): read the CPU per point, which shows what running
several processes costs. Figures, not pass/fail.

    .venv/bin/python bench/scale.py --runs 4 --steps 2000 --metrics 10 --processes 1 2 3

Needs MariaDB at 127.0.0.1:3306 (root, no password), as the tests do.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

import psutil
import pymysql

CLIENT = textwrap.dedent("""
    import sys, wandb
    steps, metrics, name = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    run = wandb.init(project="bench", id=name, name=name)
    keys = [f"m{i}" for i in range(metrics)]
    for step in range(steps):
        run.log({k: step * 0.001 + j for j, k in enumerate(keys)})
    run.finish()
""")
MARIADB = dict(host="127.0.0.1", port=3306, user="root", password="")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wbserver(*args: str, env: dict[str, str]) -> str:
    cmd = [sys.executable, "-m", "wbserver", *args]
    return subprocess.run(cmd, check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


def wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/readyz", timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not start")


def tree_cpu(root: psutil.Process, seen: dict[int, float]) -> float:
    """CPU seconds of `root` and its descendants; `seen` keeps the last figure of each
    process so that one that ended still counts."""
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
            seen[proc.pid] = times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return sum(seen.values())


def one(processes: int, args: argparse.Namespace, work: Path) -> dict[str, float]:
    name = "wbbench_" + secrets.token_hex(5)
    admin = pymysql.connect(**MARIADB)
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
    folder = work / f"p{processes}"
    folder.mkdir()
    env = {**os.environ, "MYSQL": f"mysql://root:@127.0.0.1:3306/{name}",
           "WBSERVER_SECRET_KEY": secrets.token_hex(32), "WBSERVER_DATA_DIR": str(folder),
           "WBSERVER_RATE_LIMIT_RUN": "0", "WBSERVER_RATE_LIMIT_PROJECT": "0"}
    server = None
    try:
        wbserver("users", "create", "bench", "--email", "bench@example.com", env=env)
        key = wbserver("keys", "create", "bench", env=env)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([sys.executable, "-m", "wbserver", "serve", "--port", str(port),
                                   "--log-level", "warning", "--workers", str(processes)],
                                  env=env, stderr=subprocess.DEVNULL)
        wait_ready(url)
        time.sleep(2)  # every worker up
        root = psutil.Process(server.pid)
        seen: dict[int, float] = {}
        cpu0 = tree_cpu(root, seen)
        script = folder / "client.py"
        script.write_text(CLIENT)
        client_env = {**os.environ, "WANDB_BASE_URL": url, "WANDB_API_KEY": key,
                      "WANDB_SILENT": "true", "WANDB_DIR": str(folder),
                      "WANDB_CACHE_DIR": str(folder), "WANDB_CONFIG_DIR": str(folder),
                      "HOME": str(folder), "WANDB_DISABLE_GIT": "true"}
        t0 = time.perf_counter()
        clients = [subprocess.Popen([sys.executable, str(script), str(args.steps),
                                     str(args.metrics), f"run{i}"], env=client_env)
                   for i in range(args.runs)]
        codes = [c.wait() for c in clients]
        elapsed = time.perf_counter() - t0
        cpu = tree_cpu(root, seen) - cpu0
        with admin.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(SUM(history_line_count), 0) FROM {name}.runs")
            rows = int(cursor.fetchone()[0])
        points = rows * (args.metrics + 3)  # user metrics + _step, _runtime, _timestamp
        if any(codes) or rows != args.runs * args.steps:
            print(f"  processes={processes}: client exit codes {codes}, rows {rows} of "
                  f"{args.runs * args.steps}", file=sys.stderr)
        return {"processes": processes, "rows": rows, "wall": elapsed,
                "rows_s": rows / elapsed, "points_s": points / elapsed, "cpu": cpu,
                "cpu_per_m": cpu / (points / 1e6)}
    finally:
        if server is not None:
            server.terminate()
            server.wait(60)
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--metrics", type=int, default=10)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wbscale-"))
    print(f"{args.runs} runs x {args.steps} steps x {args.metrics} metrics, MariaDB, "
          f"{os.cpu_count()} CPU cores")
    results = [one(n, args, work) for n in args.processes]
    print("| processes | rows stored | wall s | history rows/s | points/s | server CPU s "
          "| server CPU s per M points |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['processes']} | {r['rows']} | {r['wall']:.1f} | {r['rows_s']:,.0f} "
              f"| {r['points_s']:,.0f} | {r['cpu']:.1f} | {r['cpu_per_m']:.2f} |")


if __name__ == "__main__":
    main()
