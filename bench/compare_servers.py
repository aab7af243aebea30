"""Starting the two servers of bench/compare.py and watching their CPU and memory."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}: {url}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server did not answer at {url}")


def tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def cpu_seconds(pid: int) -> float:
    total = 0.0
    for proc in tree(pid):
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def rss(pid: int) -> int:
    total = 0
    for proc in tree(pid):
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


@dataclass
class PeakRss:
    """Samples a process tree's resident memory in the background while in a `with`."""

    pid: int
    peak: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> PeakRss:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss(self.pid))
            time.sleep(0.2)

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class WbServer:
    url: str
    key: str
    password: str
    proc: subprocess.Popen[bytes]
    env: dict[str, str]
    mysql_db: str | None = None

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def create_mysql_database(server_url: str, prefix: str) -> tuple[str, str]:
    """A new empty database on the MySQL/MariaDB server of `server_url`: (its URL, its name)."""
    import pymysql
    from sqlalchemy.engine import make_url

    parsed = make_url(server_url)
    name = prefix + secrets.token_hex(4)
    conn = pymysql.connect(host=parsed.host or "127.0.0.1", port=parsed.port or 3306,
                           user=parsed.username or "root", password=parsed.password or "")
    with conn.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
    conn.close()
    return str(parsed.set(database=name).render_as_string(hide_password=False)), name


def start_wbserver(work: Path, mysql: str | None) -> WbServer:
    env = {k: v for k, v in os.environ.items() if k != "MYSQL"}
    # The benchmark feeds one run as fast as it can (the 1,000,000-point metric, the runs
    # table): measured is throughput, not the rate limits a runaway client would meet.
    env.update(WBSERVER_RATE_LIMIT_RUN="0", WBSERVER_RATE_LIMIT_PROJECT="0")
    db_name = None
    if mysql:
        env["MYSQL"], db_name = create_mysql_database(mysql, "wbbench_")
    data = str(work / "data")
    cli = [sys.executable, "-m", "wbserver"]

    def run(*args: str, stdin: str | None = None) -> str:
        return subprocess.run([*cli, *args, "--data-dir", data], env=env, check=True,
                              capture_output=True, text=True, input=stdin).stdout.strip()

    run("users", "create", "bench", "--email", "bench@example.com", "--admin")
    password = "bench-" + secrets.token_hex(8)
    run("users", "reset-password", "bench", "--password-stdin", stdin=password + "\n")
    key = run("keys", "create", "bench")
    port = free_port()
    proc = subprocess.Popen([*cli, "serve", "--port", str(port), "--data-dir", data,
                             "--log-level", "warning"], env=env)
    url = f"http://127.0.0.1:{port}"
    wait_ready(url + "/healthz", proc)
    return WbServer(url=url, key=key, password=password, proc=proc, env=env, mysql_db=db_name)


def drop_mysql(mysql: str, name: str | None) -> None:
    if not name:
        return
    import pymysql
    from sqlalchemy.engine import make_url

    parsed = make_url(mysql)
    conn = pymysql.connect(host=parsed.host or "127.0.0.1", port=parsed.port or 3306,
                           user=parsed.username or "root", password=parsed.password or "")
    with conn.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name}")
    conn.close()


def start_mlflow(work: Path, python: str) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    store = work / "mlflow"
    store.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [python, "-m", "mlflow", "server", "--backend-store-uri",
         f"sqlite:///{store / 'mlflow.db'}", "--default-artifact-root", str(store / "artifacts"),
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=store)
    url = f"http://127.0.0.1:{port}"
    wait_ready(url + "/health", proc, timeout=300)
    return url, proc
