"""An artifact of many files (issue 24, item 5), with the real `wandb` client: 10,000 files
logged with `add_dir` (server CPU-seconds and wall time until the version is committed), then
downloaded with a clean cache (every file checked), then a new version that changes 10 files:
the client talks to the server through a counting proxy, which prints the requests and the
bytes uploaded (only the 10 changed files should go up: dedup).

    .venv/bin/python bench/big_artifact.py --quick        # 1,000 files
    .venv/bin/python bench/big_artifact.py                # 10,000 files
    .venv/bin/python bench/big_artifact.py --mysql mysql://root@127.0.0.1:3306   # on MariaDB
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import http.server
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compare_wb as wb  # noqa: E402
from compare_servers import cpu_seconds, drop_mysql, free_port, rss, start_wbserver  # noqa: E402

CLIENT = textwrap.dedent("""
    import sys, time, wandb
    what, path = sys.argv[1], sys.argv[2]
    t0 = time.time()
    if what == "log":
        run = wandb.init(project="bigart", job_type="bench")
        art = wandb.Artifact("files", type="dataset")
        art.add_dir(path)
        logged = run.log_artifact(art)
        logged.wait()
        print("VERSION", logged.version, flush=True)
        run.finish()
    else:
        art = wandb.Api(timeout=600).artifact("bench/bigart/files:" + sys.argv[3])
        art.download(root=path)
    print("TOOK", time.time() - t0, flush=True)
""")


class Counter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: collections.Counter[str] = collections.Counter()
        self.up_bytes: collections.Counter[str] = collections.Counter()
        self.puts: list[tuple[str, int]] = []


def kind(method: str, path: str, body: bytes) -> str:
    if path.startswith("/graphql"):
        name = re.search(rb"(?:mutation|query)\s+(\w+)", body)
        return "graphql " + (name.group(1).decode() if name else "?")
    if "file_stream" in path:
        return "file_stream"
    return f"{method} {path.strip('/').split('/')[0]}"


def start_proxy(upstream: str, counter: Counter) -> tuple[str, http.server.ThreadingHTTPServer]:
    """A counting HTTP proxy in front of the server (the Host header stays the proxy's, so
    the server's signed URLs point at the proxy too)."""
    client = httpx.Client(base_url=upstream, timeout=600)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with counter.lock:
                k = kind(self.command, self.path, body)
                counter.requests[k] += 1
                counter.up_bytes[k] += len(body)
                if self.command == "PUT":
                    counter.puts.append((self.path.split("?")[0], len(body)))
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in ("content-length", "transfer-encoding",
                                            "connection", "accept-encoding")}
            response = client.request(self.command, self.path, content=body, headers=headers)
            data = response.content
            self.send_response(response.status_code)
            for key, value in response.headers.items():
                if key.lower() not in ("content-length", "transfer-encoding", "connection",
                                       "content-encoding"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _any

    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{port}", server


def make_tree(root: Path, files: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    for i in range(files):
        path = root / f"d{i // 500:03d}" / f"f{i:05d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rng.randbytes(rng.randint(512, 8192)))


def digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.md5(p.read_bytes()).hexdigest()  # noqa: S324
            for p in root.rglob("*") if p.is_file()}


def client(script: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, str(script), *args], env=env, capture_output=True,
                          text=True)
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return done.stdout


def _print(files: int, mysql: str | None, rows: list[tuple[str, str, str]]) -> None:
    where = "MariaDB/MySQL" if mysql else "SQLite"
    print(f"\nartifact of {files:,} files, local store, {where}\n| figure | measured | target |\n"
          "|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 files")
    parser.add_argument("--files", type=int, default=None)
    parser.add_argument("--change", type=int, default=10, help="files changed in version 2")
    parser.add_argument("--log-only", action="store_true",
                        help="only log version 0 (the server CPU figure), no download or v1")
    parser.add_argument("--mysql", default=None,
                        help="a MySQL/MariaDB server URL: the server's database is made there")
    args = parser.parse_args()
    files = args.files or (1000 if args.quick else 10_000)
    work = Path(tempfile.mkdtemp(prefix="wbbigart-"))
    srv = start_wbserver(work, args.mysql)
    rows: list[tuple[str, str, str]] = []
    try:
        tree = work / "tree"
        make_tree(tree, files)
        size = sum(p.stat().st_size for p in tree.rglob("*") if p.is_file())
        script = work / "client.py"
        script.write_text(CLIENT)
        env = wb._client_env(srv, work)
        env["WANDB_CACHE_DIR"] = str(work / "cache")
        pid = srv.proc.pid
        print(f"v0: {files:,} files, {size / 2**20:.1f} MiB, add_dir + log_artifact", flush=True)
        cpu0, t0, load0 = cpu_seconds(pid), time.perf_counter(), os.getloadavg()[0]
        client(script, env, "log", str(tree))
        wall, cpu = time.perf_counter() - t0, cpu_seconds(pid) - cpu0
        rows.append(("machine load average (1 min) before / after the log",
                     f"{load0:.1f} / {os.getloadavg()[0]:.1f}", ""))
        rows.append((f"log {files:,} files (add_dir) until committed: server CPU / client wall",
                     f"{cpu:.1f} CPU-s / {wall:.1f} s", "<= 10 s server"))
        rows.append(("server RSS after", f"{rss(pid) / 2**20:.0f} MB", ""))
        if args.log_only:
            _print(files, args.mysql, rows)
            return
        shutil.rmtree(work / "cache", ignore_errors=True)
        print("download v0 with a clean cache", flush=True)
        cpu0, t0 = cpu_seconds(pid), time.perf_counter()
        client(script, env, "get", str(work / "got0"), "v0")
        wall, cpu = time.perf_counter() - t0, cpu_seconds(pid) - cpu0
        same = digests(work / "got0") == digests(tree)
        rows.append(("download v0, clean cache: server CPU / client wall; all files equal",
                     f"{cpu:.1f} CPU-s / {wall:.1f} s; {same}", "works"))
        rng = random.Random(2)
        changed = rng.sample(sorted(p for p in tree.rglob("*") if p.is_file()), args.change)
        changed_bytes = 0
        for path in changed:
            data = rng.randbytes(path.stat().st_size)
            path.write_bytes(data)
            changed_bytes += len(data)
        counter = Counter()
        proxy_url, proxy = start_proxy(srv.url, counter)
        try:
            penv = {**env, "WANDB_BASE_URL": proxy_url}
            shutil.rmtree(work / "cache", ignore_errors=True)  # no help from the client's cache
            print(f"v1: {args.change} files changed, through the counting proxy", flush=True)
            cpu0, t0 = cpu_seconds(pid), time.perf_counter()
            out = client(script, penv, "log", str(tree))
            wall, cpu = time.perf_counter() - t0, cpu_seconds(pid) - cpu0
        finally:
            proxy.shutdown()
        assert "VERSION v1" in out, out
        puts = {k: v for k, v in counter.requests.items() if k.startswith("PUT")}
        put_bytes = sum(v for k, v in counter.up_bytes.items() if k.startswith("PUT"))
        rows.append((f"v1 ({args.change} of {files:,} files changed, {changed_bytes:,} B): "
                     "file uploads (PUT requests / bytes)",
                     f"{sum(puts.values())} / {put_bytes:,} B", f"{args.change} files"))
        rows.append(("  v1 all requests / all bytes sent by the client",
                     f"{sum(counter.requests.values())} / "
                     f"{sum(counter.up_bytes.values()):,} B", ""))
        rows.append(("  v1 server CPU / client wall", f"{cpu:.1f} CPU-s / {wall:.1f} s", ""))
        puts_list = counter.puts
        detail = ", ".join(f"{k} {n}" for k, n in counter.requests.most_common())
    finally:
        srv.stop()
        if args.mysql:
            drop_mysql(args.mysql, srv.mysql_db)
        shutil.rmtree(work, ignore_errors=True)
    _print(files, args.mysql, rows)
    print("v1 requests by kind:", detail)
    print("v1 PUTs (path, bytes):", "; ".join(f"{p} {n:,}" for p, n in puts_list))


if __name__ == "__main__":
    main()
