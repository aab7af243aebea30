"""Where the server's ingest CPU goes, request kind by request kind (issue 10).

`record` runs real `wandb` clients against an in-process server and saves every request they
sent; `replay` sends those requests again, one after another, to fresh in-process servers
(no network, no clients competing for the cores) and prints the CPU time of each kind of
request. Repeatable within a few percent, unlike the whole-server figure of bench/compare.py,
so it tells whether a change to the ingest path helped. Figures, not pass/fail.

    .venv/bin/python bench/replay.py record --runs 8 --steps 5000 --out /tmp/ingest.requests
    .venv/bin/python bench/replay.py replay /tmp/ingest.requests --repeat 5
    .venv/bin/python bench/replay.py replay /tmp/ingest.requests --mysql mysql://root:@127.0.0.1:3306
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import os
import pickle
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compare_wb  # noqa: E402
from compare_servers import create_mysql_database, drop_mysql  # noqa: E402

# The same signing secret when recording and replaying, so recorded upload URLs stay valid.
SECRET = "bench-replay-" + "0" * 40
Request = tuple[str, str, bytes, dict[str, str], bytes]  # method, path, query, headers, body


def make_app(data_dir: Path, mysql: str | None = None) -> tuple[Any, str]:
    from wbserver.app import create_app
    from wbserver.cli import tune_gc
    from wbserver.config.runtime import SettingsSource
    from wbserver.domain.users import create_api_key, create_user

    environ = {"WBSERVER_SECRET_KEY": SECRET, **({"MYSQL": mysql} if mysql else {}),
               # requests are replayed back to back: limits that never bite, yet are counted
               "WBSERVER_RATE_LIMIT_RUN": "1e9", "WBSERVER_RATE_LIMIT_PROJECT": "1e9"}
    app = create_app(SettingsSource(environ=environ, overrides={"data_dir": str(data_dir)}))
    store = app.state.services.store
    create_user(store, username="bench", email="bench@example.com", is_admin=True)
    tune_gc()  # as `wbserver serve` does
    return app, create_api_key(store, username="bench")


def record(runs: int, steps: int, out: Path) -> None:
    import uvicorn

    work = Path(tempfile.mkdtemp(prefix="wbrecord-"))
    app, key = make_app(work / "data")
    log: list[Request] = []

    async def recorder(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await app(scope, receive, send)
        chunks: list[bytes] = []

        async def tap() -> dict[str, Any]:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
            return message

        await app(scope, tap, send)
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        log.append((scope["method"], scope["path"], scope["query_string"], headers,
                    b"".join(chunks)))

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(recorder, port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    script = work / "client.py"
    script.write_text(compare_wb.CLIENT)
    env = {**os.environ, "WANDB_BASE_URL": f"http://127.0.0.1:{port}", "WANDB_API_KEY": key,
           "WANDB_SILENT": "true", "WANDB_DIR": str(work), "WANDB_CACHE_DIR": str(work),
           "WANDB_CONFIG_DIR": str(work), "HOME": str(work), "WANDB_DISABLE_GIT": "true",
           "WANDB_ENTITY": "bench"}
    clients = [subprocess.Popen([sys.executable, str(script), str(steps), "10", f"ingest{i}",
                                 "ingest"], env=env, stdout=subprocess.DEVNULL)
               for i in range(runs)]
    for client in clients:
        assert client.wait() == 0, "a client failed"
    time.sleep(1)
    server.should_exit = True
    out.write_bytes(pickle.dumps(log))
    print(f"recorded {len(log)} requests of {runs} runs x {steps} steps into {out}")


def kind(method: str, path: str, body: bytes) -> str:
    if path.endswith("/file_stream"):
        return "file_stream " + ("with history" if b"wandb-history.jsonl" in body else "other")
    if path == "/graphql":
        found = re.search(rb"(?:mutation|query)\s+(\w+)", body)
        return "graphql " + (found.group(1).decode() if found else "?")
    return f"{method} {path.split('/')[1]}"


async def _call(app: Any, request: Request, auth: str) -> int:
    method, path, query, headers, body = request
    if "authorization" in headers:
        headers = {**headers, "authorization": auth}
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    status: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": query, "root_path": "", "client": ("127.0.0.1", 1),
             "server": ("127.0.0.1", 80), "state": {},
             "headers": [(k.encode(), v.encode()) for k, v in headers.items()]}
    await app(scope, receive, send)
    return status[0]


async def replay(log: list[Request], repeat: int, mysql: str | None) -> None:
    rounds: list[collections.Counter[str]] = []
    counts = collections.Counter(kind(m, p, b) for m, p, _q, _h, b in log)
    for _ in range(repeat):
        url, name = create_mysql_database(mysql, "wbreplay_") if mysql else (None, None)
        app, key = make_app(Path(tempfile.mkdtemp(prefix="wbreplay-")) / "data", url)
        auth = "Basic " + base64.b64encode(f"api:{key}".encode()).decode()
        spent: collections.Counter[str] = collections.Counter()
        for request in log:
            started = time.process_time()
            status = await _call(app, request, auth)
            spent[kind(request[0], request[1], request[4])] += time.process_time() - started
            if status >= 400 and not request[1].startswith("/sdk/"):  # the client's telemetry
                print(f"  {status} for {kind(request[0], request[1], request[4])}")
        app.state.services.store.close()
        if mysql:
            drop_mysql(mysql, name)
        rounds.append(spent)
    warm = rounds[1:] or rounds  # the first round pays for first-use compilation
    best = {k: min(r[k] for r in warm) for k in counts}
    total = sum(best.values())
    print(f"{len(log)} requests; CPU of the best round after the first: {total * 1000:.0f} ms"
          f" (first round {sum(rounds[0].values()) * 1000:.0f} ms)")
    for name, seconds in sorted(best.items(), key=lambda kv: -kv[1]):
        print(f"  {seconds * 1000:8.1f} ms  {counts[name]:4d} x {seconds / counts[name] * 1000:6.2f}"
              f" ms  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record")
    rec.add_argument("--runs", type=int, default=8)
    rec.add_argument("--steps", type=int, default=5000)
    rec.add_argument("--out", type=Path, required=True)
    rep = sub.add_parser("replay")
    rep.add_argument("file", type=Path)
    rep.add_argument("--repeat", type=int, default=5)
    rep.add_argument("--mysql", help="a MySQL/MariaDB server URL; a database per round")
    args = parser.parse_args()
    if args.command == "record":
        record(args.runs, args.steps, args.out)
    else:
        asyncio.run(replay(pickle.loads(args.file.read_bytes()), args.repeat, args.mysql))


if __name__ == "__main__":
    main()
