"""Storage and start (issue 24, item 6): bytes on disk per dense numeric history point, and
the time `wbserver serve` takes to answer on an empty data folder; SQLite and, with
--mysql, MariaDB. Figures, not pass/fail.

    .venv/bin/python bench/storage.py
    .venv/bin/python bench/storage.py --mysql mysql://root:@127.0.0.1:3306 --points 1000000

Dense numeric history: every row logs the same `--metrics` float metrics (plus the _step,
_runtime and _timestamp the client adds), sent through file_stream as the client does.
Bytes per point: on SQLite the data folder's database files (wbserver.sqlite with its WAL,
checkpointed); on MariaDB information_schema's data_length + index_length of every table
(after ANALYZE TABLE); each the growth over the same server before the history was sent,
divided by the metric points (rows x metrics; the _step/_runtime/_timestamp columns are
counted as overhead, not as points).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_servers import (  # noqa: E402
    create_mysql_database,
    drop_mysql,
    free_port,
    start_wbserver,
    wait_ready,
)


def startup(work: Path, mysql: str | None, repeat: int) -> list[float]:
    """Seconds from spawning `wbserver serve` on an empty data folder (and empty database)
    until /healthz answers; a fresh folder and database each time."""
    import os

    times = []
    for i in range(repeat):
        env = {k: v for k, v in os.environ.items() if k != "MYSQL"}
        name = None
        if mysql:
            env["MYSQL"], name = create_mysql_database(mysql, "wbstart_")
        data = work / f"start{i}"
        port = free_port()
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "wbserver", "serve", "--port", str(port),
                                 "--data-dir", str(data), "--log-level", "warning"], env=env)
        try:
            wait_ready(f"http://127.0.0.1:{port}/healthz", proc)
            times.append(time.perf_counter() - t0)
        finally:
            proc.terminate()
            proc.wait(30)
            if mysql:
                drop_mysql(mysql, name)
    return times


def _stored_bytes(srv: Any, data: Path) -> int:
    mysql = srv.env.get("MYSQL")
    if not mysql:
        import sqlite3

        with sqlite3.connect(data / "wbserver.sqlite") as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return sum(p.stat().st_size for p in data.glob("wbserver.sqlite*"))
    import pymysql
    from sqlalchemy.engine import make_url

    url = make_url(mysql)
    conn = pymysql.connect(host=url.host or "127.0.0.1", port=url.port or 3306,
                           user=url.username or "root", password=url.password or "",
                           database=url.database)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SHOW TABLES")
            for (table,) in cursor.fetchall():
                cursor.execute(f"ANALYZE TABLE `{table}`")
                cursor.fetchall()
            cursor.execute("SELECT SUM(data_length + index_length) FROM "
                           "information_schema.tables WHERE table_schema = DATABASE()")
            return int(cursor.fetchone()[0] or 0)
    finally:
        conn.close()


def bytes_per_point(work: Path, mysql: str | None, *, points: int, metrics: int,
                    per_request: int) -> dict[str, float]:
    srv = start_wbserver(work, mysql)
    try:
        with httpx.Client(base_url=srv.url, timeout=300, auth=("api", srv.key)) as client:
            response = client.post("/graphql", json={"query": """mutation { upsertBucket(
                input: {name: "dense", modelName: "dense", entityName: "bench"})
                { bucket { id } } }"""})
            assert response.status_code == 200, response.text[:300]
            before = _stored_bytes(srv, work / "data")
            rows = points // metrics
            rng = random.Random(3)
            t0 = time.perf_counter()
            for start in range(0, rows, per_request):
                lines = [json.dumps({**{f"m{k}": rng.gauss(0, 1) for k in range(metrics)},
                                     "_step": step, "_runtime": step * 0.01,
                                     "_timestamp": 1.7e9 + step * 0.01})
                         for step in range(start, min(rows, start + per_request))]
                response = client.post("/files/bench/dense/dense/file_stream", json={
                    "files": {"wandb-history.jsonl": {"offset": start, "content": lines}}})
                assert response.status_code == 200, response.text[:300]
            fill = time.perf_counter() - t0
        after = _stored_bytes(srv, work / "data")
        return {"points": rows * metrics, "bytes": after - before,
                "per_point": (after - before) / (rows * metrics), "fill_s": fill}
    finally:
        srv.stop()
        if mysql:
            drop_mysql(mysql, srv.mysql_db)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mysql", default=None,
                        help="also on this MariaDB/MySQL server (mysql://user:pass@host:port;"
                             " fresh databases are made and dropped)")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--points", type=int, default=500_000, help="metric points")
    parser.add_argument("--metrics", type=int, default=10, help="metrics a row")
    parser.add_argument("--per-request", type=int, default=2_000, help="rows a request")
    parser.add_argument("--repeat", type=int, default=3, help="startups measured")
    args = parser.parse_args()
    backends = ([] if args.no_sqlite else [("SQLite", None)]) + (
        [("MariaDB", args.mysql)] if args.mysql else [])
    work = Path(tempfile.mkdtemp(prefix="wbstorage-"))
    lines = ["figure | " + " | ".join(name for name, _ in backends) + " | target"]
    try:
        stored = [bytes_per_point(work / f"points-{name}", url, points=args.points,
                                  metrics=args.metrics, per_request=args.per_request)
                  for name, url in backends]
        starts = [startup(work / f"start-{name}", url, args.repeat) for name, url in backends]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines.append(f"dense numeric history, bytes per point ({args.points:,} points, "
                 f"{args.metrics} metrics a row) | "
                 + " | ".join(f"{s['per_point']:.1f}" for s in stored) + " | <= 16")
    lines.append("  bytes stored for them | " + " | ".join(f"{s['bytes']:,}" for s in stored)
                 + " |")
    lines.append("startup on an empty data folder, median s (of "
                 f"{args.repeat}) | " + " | ".join(f"{statistics.median(s):.2f}"
                                                    for s in starts) + " | < 1 s")
    lines.append("  fastest, slowest s | " + " | ".join(f"{min(s):.2f}, {max(s):.2f}"
                                                          for s in starts) + " |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
