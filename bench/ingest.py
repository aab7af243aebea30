"""Ingest benchmark: K real `wandb` clients x N steps x M metrics against a live server.

Prints history rows/s and metric points/s accepted (wall clock, from the first client start to
the last run's data stored), server CPU seconds per million points, and server RSS (idle and
peak). Figures, not pass/fail.

    .venv/bin/python bench/ingest.py --runs 4 --steps 5000 --metrics 10
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.request
from pathlib import Path

import psutil

CLIENT = textwrap.dedent("""
    import sys, wandb
    steps, metrics, name = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    run = wandb.init(project="bench", id=name, name=name)
    keys = [f"m{i}" for i in range(metrics)]
    for step in range(steps):
        run.log({k: step * 0.001 + j for j, k in enumerate(keys)})
    run.finish()
""")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wbserver(*args: str, data_dir: str) -> str:
    cmd = [sys.executable, "-m", "wbserver", *args, "--data-dir", data_dir]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


def wait_ready(url: str, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def stored_rows(data_dir: str) -> int:
    import sqlite3

    with sqlite3.connect(Path(data_dir) / "wbserver.sqlite") as db:
        return int(db.execute("select coalesce(sum(history_line_count),0) from runs").fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--metrics", type=int, default=10)
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="wbbench-")
    data_dir = os.path.join(work, "data")
    wbserver("users", "create", "bench", "--email", "bench@example.com", data_dir=data_dir)
    key = wbserver("keys", "create", "bench", data_dir=data_dir)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "wbserver", "serve", "--port", str(port),
                               "--data-dir", data_dir, "--log-level", "warning"])
    try:
        wait_ready(url)
        proc = psutil.Process(server.pid)
        time.sleep(1)
        idle_rss = proc.memory_info().rss
        peak = {"rss": idle_rss}
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                peak["rss"] = max(peak["rss"], proc.memory_info().rss)
                time.sleep(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        script = os.path.join(work, "client.py")
        Path(script).write_text(CLIENT)
        env = {**os.environ, "WANDB_BASE_URL": url, "WANDB_API_KEY": key, "WANDB_SILENT": "true",
               "WANDB_DIR": work, "WANDB_CACHE_DIR": work, "WANDB_CONFIG_DIR": work,
               "HOME": work, "WANDB_DISABLE_GIT": "true"}
        cpu0 = proc.cpu_times()
        t0 = time.perf_counter()
        clients = [subprocess.Popen([sys.executable, script, str(args.steps), str(args.metrics),
                                     f"run{i}"], env=env) for i in range(args.runs)]
        codes = [c.wait() for c in clients]
        elapsed = time.perf_counter() - t0
        cpu1 = proc.cpu_times()
        stop.set()
        rows = stored_rows(data_dir)
        expected = args.runs * args.steps
        points = rows * (args.metrics + 3)  # user metrics + _step, _runtime, _timestamp
        server_cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
        print(f"runs={args.runs} steps={args.steps} metrics={args.metrics} client exit codes={codes}")
        print(f"history rows stored: {rows} of {expected}")
        print(f"wall time: {elapsed:.2f} s (clients included)")
        print(f"history rows/s: {rows / elapsed:,.0f}")
        print(f"metric points/s (incl. _step/_runtime/_timestamp): {points / elapsed:,.0f}")
        print(f"user metric points/s: {rows * args.metrics / elapsed:,.0f}")
        print(f"server CPU: {server_cpu:.2f} s = {server_cpu / (points / 1e6):.2f} s per million points"
              f" ({points / max(server_cpu, 1e-9):,.0f} points per server CPU-second)")
        print(f"server RSS: idle {idle_rss / 2**20:.0f} MB, peak {peak['rss'] / 2**20:.0f} MB")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
